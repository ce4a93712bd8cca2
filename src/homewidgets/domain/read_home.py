"""Use case "get a user's home": L1, else L2 (once per user at a time), else generic.

The read path never calls a product and never fails because L2 did: when L2 is down the
user gets what L1 holds, or the generic widgets marked as not personalised.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from homewidgets.domain.errors import StoreUnavailable
from homewidgets.domain.generic import GenericWidgets
from homewidgets.domain.home import HomeAssembler, HomeDocument
from homewidgets.domain.live import HomeWatchers
from homewidgets.domain.model import Change, Registry, StoredWidget
from homewidgets.domain.ports import HomeCache, WidgetStore
from homewidgets.domain.refresh_requests import RefreshRequester

log = logging.getLogger(__name__)

DEGRADED_TTL_SECONDS = 1.0  # how long a home built without L2 is reused before L2 is tried again
_NEVER = float("inf")


class HomeReader:
    """Lives as long as the app; one per process. `cached` is the per-request fast path."""

    def __init__(
        self,
        *,
        registry: Registry,
        store: WidgetStore,
        cache: HomeCache,
        generic: GenericWidgets,
        refresher: RefreshRequester | None = None,
        watchers: HomeWatchers | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._assembler = HomeAssembler(registry)
        self._store = store
        self._cache = cache
        self._generic = generic
        self._refresher = refresher
        self.watchers = watchers or HomeWatchers()
        self._clock = clock
        self._loading: dict[str, asyncio.Task[HomeDocument]] = {}
        # user -> monotonic time of the last change notice: a load that began before it
        # may hold stale widgets, so its result is served but not cached.
        self._changed_at: dict[str, float] = {}
        self._reset_at = -1.0
        # Bumped when the change feed may have missed notices (a reconnect): homes read
        # in an older epoch are served once more and re-read from L2 in the background.
        self._epoch = 0
        self._generic_reload: asyncio.Task[None] | None = None
        self.loads = 0
        self.degraded = 0

    def cached(self, user_id: str) -> HomeDocument | None:
        home = self._cache.get(user_id)
        if home is None:
            return None
        if home.generation != self._generic.generation:
            home = self._rebuild(home)
        if home.epoch != self._epoch:
            self._revalidate(user_id)
        if home.missing and home.refresh_after <= time.monotonic():
            self._ask_refresh(home)
        return home

    async def read(self, user_id: str) -> HomeDocument:
        return self.cached(user_id) or await self.load(user_id)

    async def load(self, user_id: str) -> HomeDocument:
        """Fill L1 from L2; concurrent misses for one user share one L2 call."""
        task = self._loading.get(user_id)
        if task is None:
            task = asyncio.ensure_future(self._load(user_id))
            self._loading[user_id] = task
            task.add_done_callback(self._loaded(user_id))
        return await asyncio.shield(task)

    async def _load(self, user_id: str) -> HomeDocument:
        started, epoch = time.monotonic(), self._epoch
        self.loads += 1
        try:
            personalised = await self._store.user_widgets(user_id)
        except StoreUnavailable:
            return self._degraded(user_id)
        except Exception:
            # A client library can fail in ways it does not declare (seen: redis-py during
            # a Cluster failover). Readers still get an answer; the bug is logged.
            log.exception("unexpected error reading L2 for a home; serving generic widgets")
            return self._degraded(user_id)
        return self._fill(user_id, personalised, started, epoch)

    def _degraded(self, user_id: str) -> HomeDocument:
        """L2 is down: the generic widgets, marked as such, reused briefly."""
        self.degraded += 1
        home = self._assembler.assemble(
            user_id, {}, self._generic.widgets, self._generic.generation, self._clock()
        )
        home.refresh_after = _NEVER  # nothing to ask while L2 is down
        home.epoch = self._epoch
        self._cache.put(user_id, home, DEGRADED_TTL_SECONDS)
        return home

    def _fill(
        self, user_id: str, personalised: dict[str, StoredWidget], started: float, epoch: int
    ) -> HomeDocument:
        home = self._assembler.assemble(
            user_id, personalised, self._generic.widgets, self._generic.generation, self._clock()
        )
        home.epoch = epoch
        if home.missing:
            self._ask_refresh(home)
        if self._changed_at.get(user_id, -1.0) < started and self._reset_at < started:
            self._cache.put(user_id, home, self._ttl(home))
        return home

    def _revalidate(self, user_id: str) -> None:
        """Re-read a home that may be stale in the background; keep it if L2 is down."""
        if user_id in self._loading:
            return

        async def revalidate() -> HomeDocument:
            started, epoch = time.monotonic(), self._epoch
            try:
                personalised = await self._store.user_widgets(user_id)
            except Exception as exc:
                if not isinstance(exc, StoreUnavailable):
                    log.exception("unexpected error re-reading a home from L2")
                stale = self._cache.get(user_id)
                # stale-if-error: what L1 holds beats the generic widgets
                return stale if stale is not None else self._degraded(user_id)
            return self._fill(user_id, personalised, started, epoch)

        task = asyncio.ensure_future(revalidate())
        self._loading[user_id] = task
        task.add_done_callback(self._loaded(user_id))

    def _loaded(self, user_id: str) -> Callable[[asyncio.Task[HomeDocument]], None]:
        def done(task: asyncio.Task[HomeDocument]) -> None:
            self._loading.pop(user_id, None)
            if not task.cancelled():
                task.exception()  # retrieved: a failed background read is not an error

        return done

    def _rebuild(self, home: HomeDocument) -> HomeDocument:
        fresh = self._assembler.assemble(
            home.user_id,
            home.personalised,
            self._generic.widgets,
            self._generic.generation,
            self._clock(),
        )
        fresh.refresh_after = home.refresh_after
        fresh.epoch = home.epoch
        self._cache.put(home.user_id, fresh, self._ttl(fresh))
        return fresh

    def _ask_refresh(self, home: HomeDocument) -> None:
        if self._refresher is not None:
            home.refresh_after = self._refresher.request(home.user_id, home.missing)
        else:
            home.refresh_after = _NEVER

    def _ttl(self, home: HomeDocument) -> float | None:
        return None if home.expires_at is None else home.expires_at - self._clock()

    # -- keeping L1 coherent -------------------------------------------------------------

    def on_change(self, change: Change) -> None:
        """Apply a change notice from any instance (the ChangeFeed calls this)."""
        if change.reset:
            # Notices may have been missed. Dropping all of L1 would send every reader to
            # L2 at once; instead each home is served once more and re-read behind it.
            self._reset_at = time.monotonic()
            self._epoch += 1
            self._changed_at.clear()
            self._reload_generic_soon()
            self.watchers.notify_all()
        elif change.user_id is None:
            self._reload_generic_soon()
        else:
            self._cache.invalidate(change.user_id)
            self._changed_at[change.user_id] = time.monotonic()
            self.watchers.notify(change.user_id)

    def _reload_generic_soon(self) -> None:
        if self._generic_reload is None or self._generic_reload.done():
            self._generic_reload = asyncio.ensure_future(self.reload_generic())

    async def reload_generic(self) -> None:
        before = self._generic.generation
        await self._generic.reload(self._store)
        if self._generic.generation != before:
            self.watchers.notify_all()

    def forget_old_changes(self, older_than: float = 10.0) -> None:
        """Drop change times no load can still be waiting on (loads time out sooner)."""
        limit = time.monotonic() - older_than
        self._changed_at = {u: t for u, t in self._changed_at.items() if t >= limit}
