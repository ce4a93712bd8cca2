"""ProductBackend over HTTP: `POST {pull_url}/home-widgets:batch {"user_ids": [...]}`.

Every call is bounded: each attempt by an explicit httpx timeout, all attempts of one
call together by `budget_seconds`. Timeouts, transport errors, 429 and 5xx are retried
with exponential backoff and full jitter (so workers that failed together do not retry
together); other 4xx are not (asking again will not help). Each attempt's outcome
feeds the product's circuit breaker, and an open breaker fails the call at once with
ProductUnavailable, so a dead product costs the worker nothing but a log line.

The client is the caller's to open and close (it outlives this adapter).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import httpx
import msgspec

from homewidgets.domain.errors import ProductUnavailable
from homewidgets.domain.model import Registry
from homewidgets.outbound.breaker import CircuitBreaker

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT_SECONDS",
    "HttpProductBackend",
    "RetryPolicy",
    "new_client",
]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 2.0
CONNECT_TIMEOUT_SECONDS = 0.5
# Enough connections for every product's calls of a few batches in flight at once.
DEFAULT_LIMITS = httpx.Limits(max_connections=64, max_keepalive_connections=32)
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_encode = msgspec.json.Encoder().encode


class _PullBody(msgspec.Struct):
    user_ids: Sequence[str]


def new_client(timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> httpx.AsyncClient:
    """The worker's client for every product: explicit timeouts and pool limits."""
    return httpx.AsyncClient(
        timeout=_timeout(timeout_seconds),
        limits=DEFAULT_LIMITS,
        follow_redirects=False,
    )


def _timeout(seconds: float) -> httpx.Timeout:
    """One attempt's limits: `seconds` for each phase, connecting faster (loopback/LAN)."""
    return httpx.Timeout(seconds, connect=min(CONNECT_TIMEOUT_SECONDS, seconds))


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently one pull call is retried.

    `attempts` counts the first try. Backoff before retry n (1-based) is a uniform
    random delay in [0, base * 2**(n-1)], capped at `max_backoff_seconds`.
    """

    attempts: int = 3
    base_backoff_seconds: float = 0.05
    max_backoff_seconds: float = 1.0

    def backoff(self, retry: int, rng: random.Random) -> float:
        ceiling = min(self.max_backoff_seconds, self.base_backoff_seconds * 2 ** (retry - 1))
        return rng.uniform(0, ceiling)


class _Retryable(Exception):
    """An attempt failed in a way that another attempt might not."""


class HttpProductBackend:
    """Pulls cold users' widgets from each product; lives as long as the worker.

    `timeout_seconds` bounds one attempt; `budget_seconds` (default: twice that) bounds
    a whole call with its retries. `breaker_factory(product)` makes each product's
    breaker on first use; `breakers` exposes them for metrics and tests.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        registry: Registry,
        *,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        budget_seconds: float | None = None,
        retry: RetryPolicy | None = None,
        breaker_factory: Callable[[str], CircuitBreaker] | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._registry = registry
        self.timeout_seconds = timeout_seconds
        self.budget_seconds = budget_seconds if budget_seconds is not None else 2 * timeout_seconds
        self.retry = retry or RetryPolicy()
        self._breaker_factory = breaker_factory or (lambda _product: CircuitBreaker())
        self.breakers: dict[str, CircuitBreaker] = {}
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._clock = clock
        self.attempts = 0

    def breaker(self, product: str) -> CircuitBreaker:
        breaker = self.breakers.get(product)
        if breaker is None:
            breaker = self.breakers[product] = self._breaker_factory(product)
        return breaker

    async def pull(self, product: str, user_ids: Sequence[str]) -> bytes:
        url = self._url(product)
        body = _encode(_PullBody(user_ids))
        breaker = self.breaker(product)
        deadline = self._clock() + self.budget_seconds
        last = "no attempt made"
        for attempt in range(1, self.retry.attempts + 1):
            if attempt > 1:
                pause = self.retry.backoff(attempt - 1, self._rng)
                if self._clock() + pause >= deadline:
                    break
                await self._sleep(pause)
            remaining = deadline - self._clock()
            if not breaker.allow():
                raise ProductUnavailable(f"{product}: circuit breaker open ({last})")
            try:
                seconds = max(min(self.timeout_seconds, remaining), 0.001)
                answer = await self._attempt(url, body, seconds)
            except _Retryable as exc:
                self._failed(product, breaker)
                last = str(exc)
                continue
            except ProductUnavailable:
                self._failed(product, breaker)
                raise
            breaker.record_success()
            return answer
        raise ProductUnavailable(f"{product}: pull failed after retries ({last})")

    def _failed(self, product: str, breaker: CircuitBreaker) -> None:
        opened = breaker.times_opened
        breaker.record_failure()
        if breaker.times_opened > opened:
            log.warning(
                "circuit breaker of %s opened after %d consecutive failures; probing in %.0f s",
                product, breaker.consecutive_failures, breaker.reset_seconds,
            )  # fmt: skip

    def summary(self) -> dict[str, str]:
        """Each product's breaker, for logs: state, times opened, calls shed."""
        return {
            product: f"{b.state.value}, opened {b.times_opened}x, shed {b.shed}"
            for product, b in self.breakers.items()
        }

    async def _attempt(self, url: str, body: bytes, seconds: float) -> bytes:
        self.attempts += 1
        try:
            response = await self._client.post(
                url,
                content=body,
                headers={"content-type": "application/json", "accept": "application/json"},
                timeout=_timeout(seconds),
            )
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timed out after {seconds:.2f} s ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise _Retryable(f"transport error: {type(exc).__name__}: {exc}") from None
        if response.status_code in _RETRY_STATUSES:
            raise _Retryable(f"HTTP {response.status_code}")
        if response.status_code != 200:
            raise ProductUnavailable(f"{url}: HTTP {response.status_code}, not retried")
        return response.content

    def _url(self, product: str) -> str:
        pull_url = self._registry.get(product).pull_url  # UnknownProduct if not registered
        if not pull_url:
            raise ProductUnavailable(f"{product}: no pull_url in the registry")
        return f"{pull_url.rstrip('/')}/home-widgets:batch"
