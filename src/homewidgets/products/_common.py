"""What every product's content builder shares: a seeded context and the user's profile.

A `Ctx` lives for the building of one widget. Everything random comes from its
`rng`, seeded from (product, user, variant), so the same inputs always give the
same widget and tests can assert on it.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

Component = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Offer:
    """A built widget plus what the product tells the home service about it."""

    content: Component
    ttl_seconds: int | None = None
    priority: int | None = None


@dataclass(frozen=True, slots=True)
class City:
    name: str
    postcode: str
    airport: str  # IATA code of the nearest airport
    airport_name: str


CITIES: tuple[City, ...] = (
    City("Berlin", "10115", "BER", "Berlin Brandenburg"),
    City("Hamburg", "20095", "HAM", "Hamburg"),
    City("München", "80331", "MUC", "Munich"),
    City("Köln", "50667", "CGN", "Cologne/Bonn"),
    City("Frankfurt am Main", "60311", "FRA", "Frankfurt"),
    City("Stuttgart", "70173", "STR", "Stuttgart"),
    City("Düsseldorf", "40213", "DUS", "Düsseldorf"),
    City("Leipzig", "04109", "LEJ", "Leipzig/Halle"),
    City("Hannover", "30159", "HAJ", "Hannover"),
    City("Nürnberg", "90402", "NUE", "Nuremberg"),
)


def seeded(*parts: object) -> random.Random:
    """A Random seeded from a stable hash (Python's `hash()` is salted per process)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def home_city(user_id: str) -> City:
    """Where the user lives: the same for every product, so their widgets agree."""
    return seeded("city", user_id).choice(CITIES)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class Ctx:
    """The seeded state for building one widget of `product`."""

    product: str
    rng: random.Random
    now: datetime
    city: City | None = None
    _offer_no: int = field(default=0)

    def cid(self, *parts: object) -> str:
        """A component id, stable for the same (product, user, variant)."""
        return "-".join((self.product, *map(str, parts)))

    def offer_no(self) -> int:
        """A fresh offer number: part of the tracking URL and of component ids."""
        return self.rng.randint(10_000, 99_999)

    def offer_url(self, number: int) -> str:
        return f"/go/{self.product}/offer/{number}"

    def deal_end(self, min_hours: int, max_hours: int) -> datetime:
        """A deal's end a few hours or days ahead, on a whole hour, so it reads naturally."""
        start = self.now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        return start + timedelta(hours=self.rng.randint(min_hours, max_hours))

    def ttl_until(self, moment: datetime) -> int:
        return max(60, int((moment - self.now).total_seconds()))

    def money(self, low: float, high: float, step: float = 1.0, cents: float = 0.99) -> float:
        """A price like 34.99: a whole number of `step`s in [low, high] minus a shop's cents."""
        units = self.rng.randint(int(low / step), int(high / step))
        return round(units * step - (1 - cents), 2) if cents < 1 else float(units * step)
