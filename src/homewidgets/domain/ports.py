"""The ports: what the domain needs from the outside world, named by role.

Each has an in-memory adapter in `homewidgets.outbound` that is both the embedded
default (no Redis configured) and the fake the unit tests use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from homewidgets.domain.home import HomeDocument
from homewidgets.domain.model import Change, PutOutcome, RefreshRequest, StoredWidget, WidgetWrite

ChangeListener = Callable[[Change], None]


class WidgetStore(Protocol):
    """L2: every widget pushed, shared by all instances. Raises StoreUnavailable when down."""

    async def user_widgets(self, user_id: str) -> dict[str, StoredWidget]:
        """The user's live personalised widgets by product (expired and deleted left out)."""
        ...

    async def generic_widgets(self) -> dict[str, StoredWidget]:
        """The live generic widget of each product that has one."""
        ...

    async def put(self, write: WidgetWrite) -> PutOutcome:
        """Store one widget unless an equal or newer version is stored; announce the change."""
        ...

    async def put_many(self, writes: Sequence[WidgetWrite]) -> list[PutOutcome]:
        """`put` for many writes in as few round trips as the backend allows."""
        ...

    async def delete(self, product: str, user_id: str) -> bool:
        """Drop a user's widget (they fall back to the generic one); False if there was none."""
        ...

    async def ping(self) -> None:
        """Return if L2 answers, else raise StoreUnavailable."""
        ...


class ChangeFeed(Protocol):
    """Tells this instance about every change to L2 made by any instance."""

    def subscribe(self, listener: ChangeListener) -> None:
        """Call `listener` for every change from now on (on the event loop, never blocking)."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class RefreshQueue(Protocol):
    """Carries cold users' refresh requests from the read path to the workers."""

    async def enqueue(self, requests: Sequence[RefreshRequest]) -> int:
        """Queue the requests whose user was not asked for recently; return how many."""
        ...


class RefreshConsumer(Protocol):
    """The worker's side of the refresh queue: at-least-once delivery."""

    async def receive(self, max_count: int, block_ms: int) -> list[tuple[str, RefreshRequest]]:
        """Up to `max_count` (message id, request) pairs, claiming abandoned ones first."""
        ...

    async def acknowledge(self, message_ids: Sequence[str]) -> None:
        """Mark messages done: only after their widgets were written."""
        ...


class ProductBackend(Protocol):
    """A product's pull endpoint, asked for cold users' personalised widgets."""

    async def pull(self, product: str, user_ids: Sequence[str]) -> bytes:
        """The raw JSON answer `{"widgets": [{"user_id", "content", "version", ...}]}`.

        Raises ProductUnavailable when the product times out, fails, or its breaker is open.
        """
        ...


class EventLog(Protocol):
    """Per-product append-only logs of behavioural events (impressions, clicks, dismissals)."""

    async def append(self, product: str, events: Sequence[bytes]) -> None:
        """Append JSON-encoded events to the product's log (bounded: oldest trimmed)."""
        ...

    async def read(
        self, product: str, after: str, count: int, block_ms: int
    ) -> list[tuple[str, bytes]]:
        """Events after id `after` ("0" for the start, "$" for only new), oldest first."""
        ...

    async def last_id(self, product: str) -> str:
        """The id of the newest event ("0-0" when there is none): where "only new" starts."""
        ...


class HomeCache(Protocol):
    """L1: assembled homes by user id, bounded in memory, each entry with its own expiry."""

    def get(self, user_id: str) -> HomeDocument | None: ...

    def put(self, user_id: str, home: HomeDocument, ttl: float | None = None) -> None:
        """Keep `home` until evicted, invalidated, or `ttl` seconds have passed."""
        ...

    def invalidate(self, user_id: str) -> None: ...

    def clear(self) -> None: ...

    def __len__(self) -> int: ...


class UserAuthenticator(Protocol):
    """Verifies end users' credentials on the read path (optional: off when not configured)."""

    def subject(self, authorization: str | None) -> str:
        """The verified user id (`sub`) of an `Authorization: Bearer <JWT>` header.

        Raises Unauthorized for a missing, malformed, tampered or expired token.
        """
        ...
