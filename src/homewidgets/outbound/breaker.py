"""A small circuit breaker: stop calling a product backend that keeps failing.

    closed  --K consecutive failures-->  open
    open    --cool-down elapsed------->  half-open (one probe call let through)
    half-open --probe succeeds-->  closed;  --probe fails-->  open (a new cool-down)

Ours rather than a library's: NOTES.md found purgatory and aiobreaker thin or
unmaintained, and what the worker needs fits in this page. It is synchronous and
holds no lock because it lives on one event loop: `allow`, `record_success` and
`record_failure` never await. One breaker per product, for the worker's lifetime.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum

__all__ = ["BreakerState", "CircuitBreaker"]

DEFAULT_FAILURE_THRESHOLD = 5
DEFAULT_RESET_SECONDS = 5.0


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Counts consecutive failures of one backend and sheds calls while it is open.

    Callers ask `allow()` before each call and report the outcome with
    `record_success()` or `record_failure()`. In half-open state exactly one caller
    gets True (the probe); if that caller never reports (it was cancelled), another
    probe is let through after a further cool-down, so the breaker cannot stick.
    """

    def __init__(
        self,
        *,
        failure_threshold: int = DEFAULT_FAILURE_THRESHOLD,
        reset_seconds: float = DEFAULT_RESET_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.failure_threshold = failure_threshold
        self.reset_seconds = reset_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None  # None: closed
        self._probe_at: float | None = None  # when the current half-open probe was let through
        self.times_opened = 0
        self.shed = 0  # calls refused while open

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self.reset_seconds:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def allow(self) -> bool:
        """May a call go out now? In half-open state, True for one probe only."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN:
            now = self._clock()
            if self._probe_at is None or now - self._probe_at >= self.reset_seconds:
                self._probe_at = now
                return True
        self.shed += 1
        return False

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._probe_at = None

    def record_failure(self) -> None:
        self._failures += 1
        if self._opened_at is not None:
            # A failed probe (or a late failure of a call let through before opening):
            # stay open for a fresh cool-down.
            self._open()
        elif self._failures >= self.failure_threshold:
            self._open()
            self.times_opened += 1

    def _open(self) -> None:
        self._opened_at = self._clock()
        self._probe_at = None
