"""Value types of the domain: frozen, no I/O, cheap to create."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from homewidgets.domain.errors import InvalidUserId, UnknownProduct

SCHEMA_VERSION = 1
PRODUCT_ID_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"


def parse_user_id(raw: str) -> str:
    """The canonical (lower-case, hyphenated) form of a UUID user id, or InvalidUserId."""
    if len(raw) == 36 and raw.islower() and raw[8] == raw[13] == raw[18] == raw[23] == "-":
        # Fast path for the canonical form clients send: validate without allocating a UUID.
        try:
            int(raw.replace("-", ""), 16)
        except ValueError:
            pass
        else:
            return raw
    try:
        return str(uuid.UUID(raw))
    except (ValueError, AttributeError, TypeError):
        raise InvalidUserId(f"user_id must be a UUID, got {raw[:64]!r}") from None


@dataclass(frozen=True, slots=True)
class StoredWidget:
    """A widget as L2 holds it: its validated SDUI content kept as canonical JSON bytes.

    `content` is serialised once, at push time, so the read path only joins bytes.
    `expires_at` is a Unix time in seconds, or None for "until replaced".
    """

    product: str
    version: int
    content: bytes
    priority: int = 0
    expires_at: float | None = None

    def is_live(self, now: float) -> bool:
        return self.expires_at is None or self.expires_at > now


@dataclass(frozen=True, slots=True)
class WidgetWrite:
    """One upsert of a widget: personalised for `user_id`, or the generic one when it is None.

    `version` None means "assign the next one". `content` is validated canonical JSON.
    """

    product: str
    user_id: str | None
    content: bytes
    version: int | None = None
    priority: int = 0
    expires_at: float | None = None


@dataclass(frozen=True, slots=True)
class PutOutcome:
    """What a store did with one write: `stored` False with the same version is a no-op."""

    version: int
    stored: bool
    stale: bool = False  # True: refused, an older version than `version` (the stored one)


@dataclass(frozen=True, slots=True)
class Change:
    """A note that a widget changed in L2, sent to every instance so their L1 follows.

    `user_id` None: the product's generic widget changed. `reset`: the feed may have
    missed changes (e.g. after a reconnect) and every L1 entry must be dropped.
    """

    product: str = ""
    user_id: str | None = None
    version: int = 0
    reset: bool = False


@dataclass(frozen=True, slots=True)
class RefreshRequest:
    """Ask the products in `products` for `user_id`'s personalised widgets."""

    user_id: str
    products: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Product:
    """One product of the registry. Tokens are held only as SHA-256 hex digests."""

    id: str
    name: str
    order: int
    pull_url: str | None = None
    token_sha256: tuple[str, ...] = ()


@dataclass(frozen=True)
class Registry:
    """The products the home page shows, in registry order; lives as long as the app."""

    products: tuple[Product, ...]
    _by_id: Mapping[str, Product] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {p.id: p for p in self.products})

    @classmethod
    def of(cls, products: Iterable[Product]) -> Registry:
        return cls(tuple(sorted(products, key=lambda p: (p.order, p.id))))

    def get(self, product_id: str) -> Product:
        try:
            return self._by_id[product_id]
        except KeyError:
            raise UnknownProduct(f"unknown product {product_id[:64]!r}") from None

    def __contains__(self, product_id: object) -> bool:
        return product_id in self._by_id

    def __iter__(self) -> Iterator[Product]:
        return iter(self.products)

    def __len__(self) -> int:
        return len(self.products)

    @property
    def pullable(self) -> tuple[str, ...]:
        """Ids of the products that can be asked for a cold user's widgets."""
        return tuple(p.id for p in self.products if p.pull_url)
