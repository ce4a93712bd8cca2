"""The generic widgets as this instance knows them: trusted for a few seconds, then re-read.

Generic widgets change rarely and for everyone at once, so instead of storing them in
every user's L1 entry we keep one copy and a `generation` number; a cached home built
on an older generation is rebuilt (from its own personalised widgets, no L2 call) the
next time it is read. When L2 is down the last copy stays in use (stale-if-error).
"""

from __future__ import annotations

import logging

from homewidgets.domain.errors import StoreUnavailable
from homewidgets.domain.model import StoredWidget
from homewidgets.domain.ports import WidgetStore

log = logging.getLogger(__name__)


class GenericWidgets:
    """One per process; `widgets` and `generation` are read on every request."""

    __slots__ = ("generation", "healthy", "widgets")

    def __init__(self) -> None:
        self.widgets: dict[str, StoredWidget] = {}
        self.generation = 0
        self.healthy = False

    async def reload(self, store: WidgetStore) -> bool:
        """Re-read from L2; bump the generation if anything changed. False if L2 is down."""
        try:
            fresh = await store.generic_widgets()
        except StoreUnavailable:
            if self.healthy:
                log.warning("L2 unreachable: serving the last generic widgets")
            self.healthy = False
            return False
        self.healthy = True
        if _versions(fresh) != _versions(self.widgets):
            self.widgets = fresh
            self.generation += 1
        return True


def _versions(widgets: dict[str, StoredWidget]) -> dict[str, tuple[int, float | None]]:
    return {product: (w.version, w.expires_at) for product, w in widgets.items()}
