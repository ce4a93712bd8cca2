"""HttpProductBackend against a fake server (an httpx.MockTransport handler), no sockets."""

from __future__ import annotations

import json
import random
from collections.abc import Callable

import httpx
import pytest

from homewidgets.domain.errors import ProductUnavailable, UnknownProduct
from homewidgets.domain.model import Product, Registry
from homewidgets.outbound.breaker import BreakerState, CircuitBreaker
from homewidgets.outbound.products_http import HttpProductBackend, RetryPolicy

USERS = ["00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b"]
REGISTRY = Registry.of(
    [
        Product("energy", "Energy", 10, pull_url="http://products.test/energy"),
        Product("dsl", "DSL", 20, pull_url="http://products.test/dsl/"),
        Product("mobile", "Mobile", 30),  # no pull_url: push only
    ]
)
ANSWER = b'{"widgets": []}'

Handler = Callable[[httpx.Request], httpx.Response]


class FakeProducts:
    """A fake product server: records every request, answers from a script of responses."""

    def __init__(self, *script: int | Exception) -> None:
        self.script = list(script)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.script.pop(0) if self.script else 200
        if isinstance(step, Exception):
            raise step
        return httpx.Response(step, content=ANSWER if step == 200 else b"{}")


class Sleeps:
    """Stands in for asyncio.sleep and the clock: pauses are recorded and move `now`."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self.now = 0.0

    async def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def backend(
    server: Handler,
    *,
    sleeps: Sleeps | None = None,
    threshold: int = 5,
    attempts: int = 3,
    budget: float | None = None,
) -> HttpProductBackend:
    client = httpx.AsyncClient(transport=httpx.MockTransport(server))
    sleeps = sleeps or Sleeps()
    return HttpProductBackend(
        client,
        REGISTRY,
        timeout_seconds=1.0,
        budget_seconds=budget,
        retry=RetryPolicy(attempts=attempts, base_backoff_seconds=0.1, max_backoff_seconds=0.3),
        breaker_factory=lambda _p: CircuitBreaker(failure_threshold=threshold, reset_seconds=60),
        rng=random.Random(7),
        sleep=sleeps,
        clock=sleeps.clock,
    )


async def test_a_pull_posts_the_user_ids_to_the_products_batch_endpoint() -> None:
    server = FakeProducts(200)
    answer = await backend(server).pull("energy", USERS)
    assert answer == ANSWER
    [request] = server.requests
    assert request.method == "POST"
    assert str(request.url) == "http://products.test/energy/home-widgets:batch"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"user_ids": USERS}


async def test_a_trailing_slash_in_the_pull_url_makes_no_double_slash() -> None:
    server = FakeProducts(200)
    await backend(server).pull("dsl", USERS)
    assert str(server.requests[0].url) == "http://products.test/dsl/home-widgets:batch"


async def test_each_attempt_carries_an_explicit_timeout() -> None:
    server = FakeProducts(200)
    await backend(server).pull("energy", USERS)
    timeouts = server.requests[0].extensions["timeout"]
    assert timeouts["read"] == pytest.approx(1.0, abs=0.01)
    assert timeouts["connect"] <= 0.5


async def test_server_errors_and_timeouts_are_retried_with_growing_jittered_backoff() -> None:
    server = FakeProducts(503, httpx.ReadTimeout("slow"), 200)
    sleeps = Sleeps()
    assert await backend(server, sleeps=sleeps).pull("energy", USERS) == ANSWER
    assert len(server.requests) == 3
    assert len(sleeps.pauses) == 2
    assert 0 <= sleeps.pauses[0] <= 0.1  # full jitter below base * 2**0
    assert 0 <= sleeps.pauses[1] <= 0.2  # ... and below base * 2**1


async def test_a_call_gives_up_after_its_attempts_with_product_unavailable() -> None:
    server = FakeProducts(500, 502, 504, 200)
    with pytest.raises(ProductUnavailable, match=r"after retries.*HTTP 504"):
        await backend(server).pull("energy", USERS)
    assert len(server.requests) == 3  # the fourth answer (200) was never asked for


async def test_a_client_error_is_not_retried() -> None:
    server = FakeProducts(422, 200)
    with pytest.raises(ProductUnavailable, match="HTTP 422"):
        await backend(server).pull("energy", USERS)
    assert len(server.requests) == 1


async def test_connection_errors_are_retried() -> None:
    server = FakeProducts(httpx.ConnectError("refused"), 200)
    assert await backend(server).pull("energy", USERS) == ANSWER


async def test_retries_stop_when_the_calls_time_budget_is_spent() -> None:
    # Ten attempts allowed, but backoff pauses may add up to at most 0.15 s: the call
    # gives up before the next pause would cross that line.
    server = FakeProducts(*([503] * 10))
    sleeps = Sleeps()
    patient = backend(server, sleeps=sleeps, attempts=10, budget=0.15, threshold=100)
    with pytest.raises(ProductUnavailable):
        await patient.pull("energy", USERS)
    assert sum(sleeps.pauses) < 0.15
    assert 1 <= len(server.requests) < 10
    assert len(server.requests) == len(sleeps.pauses) + 1


async def test_the_first_attempt_always_goes_out_even_with_no_budget_for_retries() -> None:
    server = FakeProducts(503, 200)
    sleeps = Sleeps()
    with pytest.raises(ProductUnavailable):
        await backend(server, sleeps=sleeps, budget=0.000_001).pull("energy", USERS)
    assert len(server.requests) == 1
    assert sleeps.pauses == []


async def test_an_attempt_never_waits_longer_than_what_is_left_of_the_budget() -> None:
    server = FakeProducts(503, 200)
    sleeps = Sleeps()
    await backend(server, sleeps=sleeps, budget=1.0).pull("energy", USERS)
    first, second = (r.extensions["timeout"]["read"] for r in server.requests)
    assert first == pytest.approx(1.0)  # the per-attempt timeout, all of the budget
    [pause] = sleeps.pauses
    assert pause > 0
    assert second == pytest.approx(1.0 - pause)  # what the backoff left of the budget


async def test_repeated_failures_open_the_products_breaker_and_calls_stop_going_out() -> None:
    server = FakeProducts(*([503] * 10))
    products = backend(server, threshold=4, attempts=3)
    with pytest.raises(ProductUnavailable):
        await products.pull("energy", USERS)  # 3 failed attempts
    with pytest.raises(ProductUnavailable, match="breaker open"):
        await products.pull("energy", USERS)  # 1 more failure opens it, no 5th attempt
    assert len(server.requests) == 4
    with pytest.raises(ProductUnavailable, match="breaker open"):
        await products.pull("energy", USERS)
    assert len(server.requests) == 4  # shed without a request
    assert products.breaker("energy").state is BreakerState.OPEN


async def test_one_products_open_breaker_leaves_the_others_alone() -> None:
    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503 if "/energy/" in request.url.path else 200, content=ANSWER)

    products = backend(server, threshold=2, attempts=1)
    for _ in range(2):
        with pytest.raises(ProductUnavailable):
            await products.pull("energy", USERS)
    assert products.breaker("energy").state is BreakerState.OPEN
    assert await products.pull("dsl", USERS) == ANSWER
    assert products.breaker("dsl").state is BreakerState.CLOSED


async def test_a_product_without_pull_url_is_unavailable_and_an_unknown_one_is_unknown() -> None:
    products = backend(FakeProducts())
    with pytest.raises(ProductUnavailable, match="no pull_url"):
        await products.pull("mobile", USERS)
    with pytest.raises(UnknownProduct):
        await products.pull("nosuch", USERS)
