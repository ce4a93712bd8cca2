"""The embedded L2: every port on in-process adapters, for the one-command demo and tests."""

from __future__ import annotations

from dataclasses import dataclass

from homewidgets.config import Settings
from homewidgets.outbound.memory_store import MemoryWidgetStore
from homewidgets.outbound.memory_streams import MemoryEventLog, MemoryRefreshQueue


@dataclass(frozen=True, slots=True)
class MemoryAdapters:
    store: MemoryWidgetStore
    feed: MemoryWidgetStore  # the store announces its own changes
    queue: MemoryRefreshQueue
    events: MemoryEventLog


def wire(settings: Settings, *, store: object | None = None) -> MemoryAdapters:
    memory = store if isinstance(store, MemoryWidgetStore) else MemoryWidgetStore()
    return MemoryAdapters(
        store=memory,
        feed=memory,
        queue=MemoryRefreshQueue(
            maxlen=settings.refresh_stream_maxlen, dedup_seconds=settings.refresh_window_seconds
        ),
        events=MemoryEventLog(maxlen=settings.events_stream_maxlen),
    )
