"""Counters the service keeps as plain integers, read (not pushed) when /metrics is scraped.

Plain ints because the read path must not pay for a metrics library per request; the
Prometheus exposition reads these at scrape time.
"""

from __future__ import annotations

from collections import Counter


class Metrics:
    """Lives as long as the app; one per process."""

    def __init__(self) -> None:
        self.pushes: Counter[str] = Counter()
        self.rejections: Counter[str] = Counter()

    def pushed(self, product: str, count: int) -> None:
        if count:
            self.pushes[product] += count

    def rejected(self, product: str, count: int) -> None:
        if count:
            self.rejections[product] += count
