"""The running service's parts and their lifecycle (started and stopped by the ASGI lifespan).

A Runtime is made by `bootstrap.build_runtime`; it owns its background tasks and the
clients it was given to close.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from homewidgets.config import Settings
from homewidgets.domain.generic import GenericWidgets
from homewidgets.domain.limits import PushLimiter
from homewidgets.domain.model import Registry
from homewidgets.domain.ports import (
    ChangeFeed,
    EventLog,
    HomeCache,
    RefreshQueue,
    UserAuthenticator,
    WidgetStore,
)
from homewidgets.domain.push import WidgetParser
from homewidgets.domain.read_home import HomeReader
from homewidgets.domain.refresh_requests import RefreshRequester
from homewidgets.domain.sdui import ContentValidator
from homewidgets.metrics import Metrics

log = logging.getLogger(__name__)

FREEZE_EVERY_SECONDS = 30.0
_STREAMS_CLOSE_SECONDS = 2.0  # open event streams get this long to end at shutdown
Background = Callable[[], Coroutine[Any, Any, None]]


@dataclass
class Runtime:
    """Everything one service process runs on; lives from lifespan start to shutdown."""

    settings: Settings
    registry: Registry
    store: WidgetStore
    feed: ChangeFeed
    queue: RefreshQueue
    events: EventLog
    cache: HomeCache
    generic: GenericWidgets
    refresher: RefreshRequester
    reader: HomeReader
    validator: ContentValidator
    parser: WidgetParser
    push_limiter: PushLimiter
    metrics: Metrics
    push_store: WidgetStore | None = None  # the store writes go to; `store` when None
    authenticator: UserAuthenticator | None = None
    background: list[Background] = field(default_factory=list)
    closers: list[Background] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    started: bool = False

    @property
    def writer(self) -> WidgetStore:
        """The store the push path and the worker write to (a longer timeout on Redis)."""
        return self.push_store or self.store

    async def start(self) -> None:
        if self.started:
            return
        self.feed.subscribe(self.reader.on_change)
        await self.feed.start()
        await self.reader.reload_generic()
        self.refresher.start()
        self._tasks.append(asyncio.create_task(self._maintain(), name="l1-maintenance"))
        for run in self.background:
            self._tasks.append(asyncio.create_task(run(), name=getattr(run, "__name__", "bg")))
        self.started = True

    def stopping(self) -> None:
        """A stop is coming (the server got SIGTERM and now drains its connections):
        end the open event streams at once, or the drain would wait for them."""
        self.reader.watchers.close()

    async def stop(self) -> None:
        if not self.started:
            return
        self.started = False
        self.reader.watchers.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.reader.watchers.drained(), _STREAMS_CLOSE_SECONDS)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await self.refresher.stop()
        await self.feed.stop()
        for close in reversed(self.closers):
            try:
                await close()
            except Exception:  # closing must go on for the others
                log.exception("error while closing")

    async def _maintain(self) -> None:
        """Re-read the generic widgets every few seconds (they live in L1 only that long).

        Also moves what has survived so far out of the cyclic garbage collector's sight
        (`gc.freeze`): a warm L1 holds millions of objects, and one full collection over
        them stalled every request for 1.8 s (bench/results, PERFORMANCE.md). Homes hold
        no reference cycles, so reference counting still frees them when evicted.
        """
        frozen_at = time.monotonic()
        while True:
            await asyncio.sleep(self.settings.generic_ttl_seconds)
            await self.reader.reload_generic()
            self.reader.forget_old_changes()
            if time.monotonic() - frozen_at > FREEZE_EVERY_SECONDS:
                gc.collect(1)  # young garbage first, so it is not frozen with the rest
                gc.freeze()
                frozen_at = time.monotonic()
