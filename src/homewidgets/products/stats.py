"""Counters of what the simulated backends did, for tests and the demo (`GET /stats`).

Lives as long as the app. Batch sizes are kept as a histogram plus the most recent
sizes, so a test can assert coalescing ("one pull call carried 5 users") without
the record growing without bound in a long demo.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

RECENT_BATCHES = 1000
EVENT_TYPES = ("impression", "click", "dismiss")


@dataclass(slots=True)
class ProductStats:
    pull_calls: int = 0
    pull_users: int = 0
    pull_failures: int = 0
    batch_histogram: Counter[int] = field(default_factory=Counter)
    recent_batch_sizes: deque[int] = field(default_factory=lambda: deque(maxlen=RECENT_BATCHES))
    pushed: int = 0
    push_errors: int = 0
    generic_pushes: int = 0
    dismiss_reactions: int = 0
    events: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "pull_calls": self.pull_calls,
            "pull_users": self.pull_users,
            "pull_failures": self.pull_failures,
            "users_per_call": list(self.recent_batch_sizes),
            "users_per_call_histogram": {
                str(k): v for k, v in sorted(self.batch_histogram.items())
            },
            "pushed": self.pushed,
            "push_errors": self.push_errors,
            "generic_pushes": self.generic_pushes,
            "dismiss_reactions": self.dismiss_reactions,
            "events": {t: self.events.get(t, 0) for t in EVENT_TYPES},
        }


class Stats:
    """Per-product counters; one instance per app."""

    def __init__(self, products: tuple[str, ...]) -> None:
        self._products = products
        self.by_product: dict[str, ProductStats] = {p: ProductStats() for p in products}

    def __getitem__(self, product: str) -> ProductStats:
        return self.by_product[product]

    def pulled(self, product: str, users: int) -> None:
        """Count a pull call on arrival, so one abandoned by its caller still counts."""
        s = self.by_product[product]
        s.pull_calls += 1
        s.pull_users += users
        s.batch_histogram[users] += 1
        s.recent_batch_sizes.append(users)

    def reset(self) -> None:
        self.by_product = {p: ProductStats() for p in self._products}

    def as_dict(self) -> dict[str, Any]:
        products = {p: s.as_dict() for p, s in self.by_product.items()}
        keys = (
            "pull_calls",
            "pull_users",
            "pull_failures",
            "pushed",
            "push_errors",
            "generic_pushes",
        )
        totals: dict[str, Any] = {k: sum(s[k] for s in products.values()) for k in keys}
        totals["events"] = {t: sum(s["events"][t] for s in products.values()) for t in EVENT_TYPES}
        return {"products": products, "totals": totals}
