"""Fakes that record state, for unit tests of the domain (no mocks)."""

from __future__ import annotations

from collections.abc import Sequence

from homewidgets.domain.errors import StoreUnavailable
from homewidgets.domain.model import PutOutcome, RefreshRequest, StoredWidget, WidgetWrite
from homewidgets.outbound.memory_store import MemoryWidgetStore


class RecordingRefreshQueue:
    """A RefreshQueue that keeps what it was given; `down` makes it fail like Redis."""

    def __init__(self) -> None:
        self.requests: list[RefreshRequest] = []
        self.down = False

    async def enqueue(self, requests: Sequence[RefreshRequest]) -> int:
        if self.down:
            raise StoreUnavailable("queue down")
        self.requests.extend(requests)
        return len(requests)


class SwitchableStore(MemoryWidgetStore):
    """The memory store, with a switch that makes every call fail as an unreachable L2."""

    def __init__(self) -> None:
        super().__init__(record_changes=True)
        self.down = False
        self.user_reads = 0

    def _check(self) -> None:
        if self.down:
            raise StoreUnavailable("L2 switched off by the test")

    async def user_widgets(self, user_id: str) -> dict[str, StoredWidget]:
        self._check()
        self.user_reads += 1
        return await super().user_widgets(user_id)

    async def generic_widgets(self) -> dict[str, StoredWidget]:
        self._check()
        return await super().generic_widgets()

    async def put(self, write: WidgetWrite) -> PutOutcome:
        self._check()
        return await super().put(write)

    async def put_many(self, writes: Sequence[WidgetWrite]) -> list[PutOutcome]:
        self._check()
        return await super().put_many(writes)

    async def delete(self, product: str, user_id: str) -> bool:
        self._check()
        return await super().delete(product, user_id)

    async def ping(self) -> None:
        self._check()
