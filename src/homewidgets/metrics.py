"""Counters the service keeps as plain numbers, read (not pushed) when /metrics is scraped.

Plain ints and floats because the read path must not pay for a metrics library per
request: it bumps a list slot and a Counter entry, and `inbound/http/metrics_api.py`
turns these numbers into the Prometheus exposition at scrape time. Everything here is
per process (each granian worker has its own), lives as long as the app, and is only
touched from the event loop, so no locks.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

# Upper bounds (seconds) of the latency histograms, Prometheus `le` semantics. The low
# end is fine-grained because an L1 hit is served in tens of microseconds.
LATENCY_BUCKETS: tuple[float, ...] = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
)

HOME_ROUTE = "/v1/home/{user_id}"
COMPAT_ROUTE = "/get_recommendations/{user_id}"

BreakerStates = Callable[[], Mapping[str, str]]
"""Returns each product's circuit breaker state: "closed", "open" or "half_open"."""


class Histogram:
    """A fixed-bucket latency histogram: `buckets[i]` counts observations <= LATENCY_BUCKETS[i]
    (not cumulative; the last slot is +Inf), `total` sums the seconds."""

    __slots__ = ("buckets", "total")

    def __init__(self) -> None:
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        self.buckets[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.total += seconds

    @property
    def count(self) -> int:
        return sum(self.buckets)

    def cumulative(self) -> list[tuple[str, int]]:
        """Buckets as Prometheus wants them: (le, observations <= le), ending with +Inf."""
        out: list[tuple[str, int]] = []
        running = 0
        for bound, count in zip((*map(repr, LATENCY_BUCKETS), "+Inf"), self.buckets, strict=True):
            running += count
            out.append((bound, running))
        return out


# Every status the bare read path can answer with; its counters are pre-seeded with them.
READ_PATH_STATUSES = (200, 304, 401, 403, 405, 422)


class RouteStats:
    """Requests of one (method, route): counts by status code and a latency histogram.

    The read path updates the slots inline (`statuses[status] += 1`, then
    `buckets[bisect_left(LATENCY_BUCKETS, elapsed)] += 1`, `total += elapsed`) rather than
    through a method call; the control plane calls `observe`. `statuses` is a plain dict
    (not a Counter: CPython's fast path for `d[k] += 1` is for exact dicts only), so the
    read path's statuses are there from the start.
    """

    __slots__ = ("latency", "statuses")

    def __init__(self, statuses: tuple[int, ...] = ()) -> None:
        self.statuses: dict[int, int] = dict.fromkeys(statuses, 0)
        self.latency = Histogram()

    def observe(self, status: int, seconds: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latency.observe(seconds)


class ReadPathStats:
    """What the bare read path counts: its two routes and L1 lookups/misses."""

    __slots__ = ("compat", "home", "l1_lookups", "l1_misses")

    def __init__(self) -> None:
        self.home = RouteStats(READ_PATH_STATUSES)
        self.compat = RouteStats(READ_PATH_STATUSES)
        self.l1_lookups = 0
        self.l1_misses = 0


@dataclass(slots=True)
class StoreCallStats:
    """One L2 operation's latency and how often it failed (StoreUnavailable)."""

    latency: Histogram
    errors: int = 0


class Metrics:
    """Lives as long as the app; one per process."""

    def __init__(self) -> None:
        self.read_path = ReadPathStats()
        self.control: dict[tuple[str, str], RouteStats] = {}
        self.l2: dict[str, StoreCallStats] = {}
        self.pushes: Counter[str] = Counter()
        self.rejections: Counter[tuple[str, str]] = Counter()
        self.breaker_sources: list[BreakerStates] = []

    def route(self, method: str, route: str) -> RouteStats:
        """The stats of a control-plane route (by its template, never the raw path)."""
        key = (method, route)
        stats = self.control.get(key)
        if stats is None:
            stats = self.control[key] = RouteStats()
        return stats

    def store_call(self, operation: str) -> StoreCallStats:
        stats = self.l2.get(operation)
        if stats is None:
            stats = self.l2[operation] = StoreCallStats(Histogram())
        return stats

    def pushed(self, product: str, count: int) -> None:
        if count:
            self.pushes[product] += count

    def rejected(self, product: str, count: int, reason: str = "invalid_widget") -> None:
        """Pushes refused; `reason` is the error code of the answer (a small fixed set)."""
        if count:
            self.rejections[product, reason] += count

    def watch_breakers(self, source: BreakerStates) -> None:
        """Report these circuit breakers at every scrape (an in-process worker registers them)."""
        self.breaker_sources.append(source)

    def breaker_states(self) -> dict[str, str]:
        states: dict[str, str] = {}
        for source in self.breaker_sources:
            states.update(source())
        return states
