"""The circuit breaker: closed -> open after K failures -> half-open probe -> closed or open."""

from __future__ import annotations

import pytest

from homewidgets.outbound.breaker import BreakerState, CircuitBreaker


class FakeClock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def breaker(clock: FakeClock, threshold: int = 3, reset: float = 5.0) -> CircuitBreaker:
    return CircuitBreaker(failure_threshold=threshold, reset_seconds=reset, clock=clock)


def test_a_new_breaker_is_closed_and_lets_every_call_through(clock: FakeClock) -> None:
    b = breaker(clock)
    assert b.state is BreakerState.CLOSED
    assert all(b.allow() for _ in range(100))


def test_it_opens_after_k_consecutive_failures_and_then_sheds_calls(clock: FakeClock) -> None:
    b = breaker(clock, threshold=3)
    b.record_failure()
    b.record_failure()
    states = [b.state]  # two is not three
    b.record_failure()
    states.append(b.state)
    assert states == [BreakerState.CLOSED, BreakerState.OPEN]
    assert b.times_opened == 1
    assert not b.allow()
    assert not b.allow()
    assert b.shed == 2


def test_a_success_resets_the_count_of_consecutive_failures(clock: FakeClock) -> None:
    b = breaker(clock, threshold=3)
    b.record_failure()
    b.record_failure()
    b.record_success()
    b.record_failure()
    b.record_failure()
    assert b.state is BreakerState.CLOSED
    assert b.consecutive_failures == 2


def test_after_the_cool_down_exactly_one_probe_goes_through(clock: FakeClock) -> None:
    b = breaker(clock, threshold=1, reset=5.0)
    b.record_failure()
    clock.advance(4.9)
    assert not b.allow()  # still cooling down
    clock.advance(0.1)
    assert b.state is BreakerState.HALF_OPEN
    assert b.allow()  # the probe
    assert not b.allow()  # everyone else waits for its outcome
    assert not b.allow()


def test_a_successful_probe_closes_the_breaker(clock: FakeClock) -> None:
    b = breaker(clock, threshold=1)
    b.record_failure()
    clock.advance(5)
    assert b.allow()
    b.record_success()
    assert b.state is BreakerState.CLOSED
    assert b.allow()
    assert b.allow()


def test_a_failed_probe_opens_the_breaker_for_a_fresh_cool_down(clock: FakeClock) -> None:
    b = breaker(clock, threshold=2, reset=5.0)
    b.record_failure()
    b.record_failure()
    clock.advance(5)
    assert b.allow()
    b.record_failure()
    assert b.state is BreakerState.OPEN
    clock.advance(4)
    assert not b.allow()  # the cool-down restarted at the failed probe
    clock.advance(1)
    assert b.allow()


def test_a_probe_that_never_reports_does_not_stick_the_breaker(clock: FakeClock) -> None:
    # The probing call was cancelled (shutdown, an outer timeout) and reported nothing:
    # after another cool-down a new probe is let through.
    b = breaker(clock, threshold=1, reset=5.0)
    b.record_failure()
    clock.advance(5)
    assert b.allow()
    clock.advance(4)
    assert not b.allow()
    clock.advance(1)
    assert b.allow()


def test_a_threshold_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="failure_threshold"):
        CircuitBreaker(failure_threshold=0)
