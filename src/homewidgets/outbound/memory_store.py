"""The in-process L2: the embedded default when no Redis is configured, and the test fake.

It keeps the same byte envelopes and the same version rules as `RedisWidgetStore`
(one contract suite runs against both), and it is its own ChangeFeed: every stored
change is handed to the listeners synchronously, before `put` returns, which is what
"one instance" needs and what lets tests assert on state instead of sleeping.
Lives as long as the app; holds everything in dicts, so it forgets on restart.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from homewidgets.domain.model import Change, PutOutcome, StoredWidget, WidgetWrite
from homewidgets.domain.ports import ChangeListener
from homewidgets.outbound import _envelope

__all__ = ["MemoryWidgetStore"]

_log = logging.getLogger(__name__)


class MemoryWidgetStore:
    """WidgetStore + ChangeFeed in one object; `changes` records every announced change."""

    def __init__(self, *, record_changes: bool = False) -> None:
        self._users: dict[str, dict[str, bytes]] = {}
        self._generic: dict[str, bytes] = {}
        self._listeners: list[ChangeListener] = []
        # Only tests want the full history; the embedded default must not grow forever.
        self.changes: list[Change] | None = [] if record_changes else None

    # -- WidgetStore ------------------------------------------------------------------

    async def user_widgets(self, user_id: str) -> dict[str, StoredWidget]:
        return _live(self._users.get(user_id, {}))

    async def generic_widgets(self) -> dict[str, StoredWidget]:
        return _live(self._generic)

    async def put(self, write: WidgetWrite) -> PutOutcome:
        return self._put(write)

    async def put_many(self, writes: Sequence[WidgetWrite]) -> list[PutOutcome]:
        return [self._put(write) for write in writes]

    async def delete(self, product: str, user_id: str) -> bool:
        widgets = self._users.get(user_id)
        old = None if widgets is None else widgets.get(product)
        if widgets is None or old is None or _envelope.is_tombstone(old):
            return False
        version = _envelope.version_of(old)
        widgets[product] = _envelope.tombstone(version)
        self._announce(Change(product, user_id, version))
        return _envelope.is_live(old, time.time())

    async def ping(self) -> None:
        return None

    # -- ChangeFeed -------------------------------------------------------------------

    def subscribe(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    # -- internals --------------------------------------------------------------------

    def _put(self, write: WidgetWrite) -> PutOutcome:
        if write.user_id is None:
            table = self._generic
        else:
            table = self._users.setdefault(write.user_id, {})
        old = table.get(write.product)
        if old is None:
            version = 1 if write.version is None else write.version
        else:
            stored = _envelope.version_of(old)
            if write.version is None:
                version = stored + 1
            elif write.version < stored:
                return PutOutcome(stored, stored=False, stale=True)
            elif write.version == stored:
                return PutOutcome(stored, stored=False)
            else:
                version = write.version
        table[write.product] = _envelope.encode(version, write)
        self._announce(Change(write.product, write.user_id, version))
        return PutOutcome(version, stored=True)

    def _announce(self, change: Change) -> None:
        if self.changes is not None:
            self.changes.append(change)
        for listener in self._listeners:
            try:
                listener(change)
            except Exception:  # a broken listener must not undo or fail a stored write
                _log.exception("change listener failed on %r", change)


def _live(table: dict[str, bytes]) -> dict[str, StoredWidget]:
    now = time.time()
    live = {}
    for product, envelope in table.items():
        widget = _envelope.decode(product, envelope, now)
        if widget is not None:
            live[product] = widget
    return live
