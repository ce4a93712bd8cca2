"""The read path's side of cold-user refresh: note who needs asking, send in batches.

A read must never wait on the queue, so `request` only appends to a bounded buffer;
a background task flushes it to the RefreshQueue (which dedups across instances with
its own window). When the buffer is full, requests are dropped and counted: the user
is asked again on a later read, after the local window.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from homewidgets.domain.errors import StoreUnavailable
from homewidgets.domain.model import RefreshRequest
from homewidgets.domain.ports import RefreshQueue

log = logging.getLogger(__name__)


class RefreshRequester:
    """Lives as long as the app; `request` is called from the read path."""

    def __init__(
        self,
        queue: RefreshQueue,
        *,
        window_seconds: float,
        max_pending: int = 10_000,
        flush_every: float = 0.02,
    ) -> None:
        self._queue = queue
        self._pending: dict[str, RefreshRequest] = {}
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.window_seconds = window_seconds
        self.max_pending = max_pending
        self.flush_every = flush_every
        self.requested = 0
        self.dropped = 0
        self.enqueued = 0

    def request(self, user_id: str, products: tuple[str, ...]) -> float:
        """Ask for a refresh; returns the monotonic time before which not to ask again."""
        now = time.monotonic()
        if user_id not in self._pending:
            if len(self._pending) >= self.max_pending:
                self.dropped += 1
                return now + 1.0
            self._pending[user_id] = RefreshRequest(user_id, products)
            self.requested += 1
            self._wakeup.set()
        return now + self.window_seconds

    async def flush(self) -> None:
        """Send everything pending now (also used by tests and shutdown)."""
        if not self._pending:
            return
        batch = list(self._pending.values())
        self._pending.clear()
        try:
            self.enqueued += await self._queue.enqueue(batch)
        except StoreUnavailable:
            self.dropped += len(batch)
            log.warning("refresh queue unreachable: dropped %d requests", len(batch))

    async def run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            await asyncio.sleep(self.flush_every)  # let a burst of cold reads gather
            await self.flush()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="refresh-requester")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()
