"""The simulated products' state: which offer each user sees, and version numbers.

One `Simulator` lives as long as the backend app and is shared by the pull endpoint
and the background tasks (push mode, dismissal reactions), so a user who dismissed
an offer gets the new one from either path.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from typing import Any

from homewidgets.products.content import PRODUCT_IDS, personalised_offer
from homewidgets.products.faults import FaultConfig
from homewidgets.products.stats import Stats

# The web page's demo identities (inbound/web/app.js DEMO_USERS: Anna, Jonas, Mia): push
# mode favours them so an open demo page visibly changes.
DEMO_USER_IDS: tuple[str, ...] = (
    "6f1c2a4e-1b7d-4c8e-9a51-3d2b7e0c9f11",
    "2d9e8f70-5a43-4b1e-8c6d-7f0a1b2c3d44",
    "a3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c66",
)


class VersionClock:
    """Milliseconds since the epoch, strictly increasing within the process.

    Time-based, so versions never go backwards across restarts (the home service
    refuses a version older than the stored one with 409).
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._last = 0

    def next(self) -> int:
        self._last = max(self._last + 1, int(self._clock() * 1000))
        return self._last


class Simulator:
    """State of all simulated products: fault settings, counters, offers shown."""

    def __init__(
        self,
        *,
        faults: FaultConfig | None = None,
        products: tuple[str, ...] = PRODUCT_IDS,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.products = products
        self.faults = faults or FaultConfig()
        self.stats = Stats(products)
        self.versions = VersionClock(clock)
        self.rng = rng or random.Random()
        self._variants: dict[tuple[str, str], int] = {}

    def variant(self, product: str, user_id: str) -> int:
        return self._variants.get((product, user_id), 0)

    def next_variant(self, product: str, user_id: str) -> int:
        """Move the user on to another offer (after a dismissal, or a new deal)."""
        value = self._variants.get((product, user_id), 0) + 1
        self._variants[(product, user_id)] = value
        return value

    def widget_item(self, product: str, user_id: str) -> dict[str, Any]:
        """The user's current widget in the shape of CONTRACT 5 (pull answer item).

        The PUT body of CONTRACT 4 is the same without `user_id`.
        """
        offer = personalised_offer(product, user_id, self.variant(product, user_id))
        item: dict[str, Any] = {
            "user_id": user_id,
            "content": offer.content,
            "version": self.versions.next(),
        }
        if offer.ttl_seconds is not None:
            item["ttl_seconds"] = offer.ttl_seconds
        if offer.priority is not None:
            item["priority"] = offer.priority
        return item

    def random_user(self) -> str:
        """A demo user now and then, else someone new (most pushes go to users who never look)."""
        if self.rng.random() < 0.3:
            return self.rng.choice(DEMO_USER_IDS)
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
