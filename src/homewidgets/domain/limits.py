"""Per-product push rate limits: a token bucket each, refilled continuously.

In-process on purpose: with N instances behind a balancer the effective limit is about
N times this one, which is the point (protect each instance's L2 connection and CPU).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from homewidgets.domain.errors import RateLimited


class PushLimiter:
    """`check(product)` spends one token or raises RateLimited; 0 per second = unlimited."""

    def __init__(
        self,
        per_second: float,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_second = per_second
        self.burst = burst if burst is not None else max(per_second, 1.0)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # product -> (tokens, at)

    def check(self, product: str, cost: float = 1.0) -> None:
        if self.per_second <= 0:
            return
        now = self._clock()
        tokens, at = self._buckets.get(product, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.per_second)
        if tokens < cost:
            self._buckets[product] = (tokens, now)
            raise RateLimited((cost - tokens) / self.per_second)
        self._buckets[product] = (tokens - cost, now)
