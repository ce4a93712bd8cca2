"""In-process refresh queue and event logs: the embedded defaults and the test fakes.

They keep the Redis adapters' semantics (one contract suite runs against both): the
dedup window per user, at-least-once delivery with redelivery of entries left
unacknowledged for `claim_idle_ms`, stream-like ids ("<ms>-<seq>"), bounded lengths,
and `block_ms` waits. Single event loop only; they live as long as the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass

from homewidgets.domain.model import RefreshRequest
from homewidgets.outbound.redis_streams import (
    DEFAULT_CLAIM_IDLE_MS,
    DEFAULT_DEDUP_SECONDS,
    DEFAULT_MAXLEN,
    consumer_name,
)

__all__ = ["MemoryEventLog", "MemoryRefreshConsumer", "MemoryRefreshQueue"]


class _Ids:
    """Strictly increasing "<ms>-<seq>" ids, like a stream's."""

    def __init__(self) -> None:
        self.last = (0, 0)

    def next(self) -> tuple[int, int]:
        ms = int(time.time() * 1000)
        self.last = (ms, 0) if ms > self.last[0] else (self.last[0], self.last[1] + 1)
        return self.last


def _format(entry_id: tuple[int, int]) -> str:
    return f"{entry_id[0]}-{entry_id[1]}"


def _parse(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


async def _wait(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)


@dataclass(slots=True)
class _Pending:
    request: RefreshRequest
    consumer: str
    delivered_at: float  # time.monotonic()


class MemoryRefreshQueue:
    """RefreshQueue; also the shared state that its `MemoryRefreshConsumer`s read."""

    def __init__(
        self, *, maxlen: int = DEFAULT_MAXLEN, dedup_seconds: float = DEFAULT_DEDUP_SECONDS
    ) -> None:
        self.dedup_seconds = dedup_seconds
        self.new: deque[tuple[str, RefreshRequest]] = deque(maxlen=maxlen)
        self.pending: OrderedDict[str, _Pending] = OrderedDict()
        self.arrived = asyncio.Event()
        # user id -> monotonic time its window ends, oldest first: the windows all last
        # `dedup_seconds`, so insertion order is end order and expired ones are swept
        # from the front (O(1) per request, even with a million users asked per minute).
        self._asked: OrderedDict[str, float] = OrderedDict()
        self._ids = _Ids()

    async def enqueue(self, requests: Sequence[RefreshRequest]) -> int:
        now = time.monotonic()
        asked = self._asked
        while asked and asked[next(iter(asked))] <= now:
            asked.popitem(last=False)
        queued = 0
        for request in requests:
            if request.user_id in asked:  # its window is still open
                continue
            asked[request.user_id] = now + self.dedup_seconds
            self.new.append((_format(self._ids.next()), request))
            queued += 1
        if queued:
            self.arrived.set()
        return queued

    def consumer(
        self, name: str | None = None, *, claim_idle_ms: int = DEFAULT_CLAIM_IDLE_MS
    ) -> MemoryRefreshConsumer:
        return MemoryRefreshConsumer(self, consumer=name, claim_idle_ms=claim_idle_ms)


class MemoryRefreshConsumer:
    """RefreshConsumer over a MemoryRefreshQueue; several may share one queue."""

    def __init__(
        self,
        queue: MemoryRefreshQueue,
        *,
        consumer: str | None = None,
        claim_idle_ms: int = DEFAULT_CLAIM_IDLE_MS,
    ) -> None:
        self.queue = queue
        self.consumer = consumer or consumer_name()
        self.claim_idle_ms = claim_idle_ms

    async def receive(self, max_count: int, block_ms: int) -> list[tuple[str, RefreshRequest]]:
        out = self._claim(max_count)
        deadline = time.monotonic() + max(block_ms, 0) / 1000
        while True:
            out.extend(self._take(max_count - len(out)))
            remaining = deadline - time.monotonic()
            if out or remaining <= 0:
                return out
            self.queue.arrived.clear()
            await _wait(self.queue.arrived, remaining)

    async def acknowledge(self, message_ids: Sequence[str]) -> None:
        for message_id in message_ids:
            self.queue.pending.pop(message_id, None)

    def _claim(self, max_count: int) -> list[tuple[str, RefreshRequest]]:
        now = time.monotonic()
        idle_before = now - self.claim_idle_ms / 1000
        claimed: list[tuple[str, RefreshRequest]] = []
        for message_id, pending in self.queue.pending.items():
            if len(claimed) >= max_count:
                break
            if pending.delivered_at <= idle_before:
                claimed.append((message_id, pending.request))
        for message_id, _ in claimed:
            pending = self.queue.pending.pop(message_id)
            pending.consumer, pending.delivered_at = self.consumer, now
            self.queue.pending[message_id] = pending  # to the end: oldest delivery first
        return claimed

    def _take(self, count: int) -> list[tuple[str, RefreshRequest]]:
        taken: list[tuple[str, RefreshRequest]] = []
        now = time.monotonic()
        while self.queue.new and len(taken) < count:
            message_id, request = self.queue.new.popleft()
            self.queue.pending[message_id] = _Pending(request, self.consumer, now)
            taken.append((message_id, request))
        return taken


class MemoryEventLog:
    """EventLog: a bounded deque per product, oldest trimmed first."""

    def __init__(self, *, maxlen: int = DEFAULT_MAXLEN) -> None:
        self.maxlen = maxlen
        self._logs: dict[str, deque[tuple[tuple[int, int], bytes]]] = {}
        self._arrived: dict[str, asyncio.Event] = {}
        self._ids = _Ids()

    async def append(self, product: str, events: Sequence[bytes]) -> None:
        if not events:
            return
        log = self._logs.setdefault(product, deque(maxlen=self.maxlen))
        for event in events:
            log.append((self._ids.next(), event))
        self._event(product).set()

    async def read(
        self, product: str, after: str, count: int, block_ms: int
    ) -> list[tuple[str, bytes]]:
        log = self._logs.get(product)
        start = (log[-1][0] if log else (0, 0)) if after == "$" else _parse(after)
        deadline = time.monotonic() + max(block_ms, 0) / 1000
        while True:
            found = self._after(product, start, count)
            remaining = deadline - time.monotonic()
            if found or remaining <= 0:
                return found
            arrived = self._event(product)
            arrived.clear()
            await _wait(arrived, remaining)

    async def last_id(self, product: str) -> str:
        log = self._logs.get(product)
        return _format(log[-1][0]) if log else "0-0"

    def _after(self, product: str, start: tuple[int, int], count: int) -> list[tuple[str, bytes]]:
        log = self._logs.get(product, ())
        newer: list[tuple[str, bytes]] = []
        for entry_id, event in reversed(log):  # the newest are what readers usually want
            if entry_id <= start:
                break
            newer.append((_format(entry_id), event))
        newer.reverse()
        return newer[:count]

    def _event(self, product: str) -> asyncio.Event:
        return self._arrived.setdefault(product, asyncio.Event())
