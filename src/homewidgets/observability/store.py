"""L2 latency and errors: a WidgetStore that times every call of the store it wraps.

A wrapper, not code in each adapter, so the memory and Redis stores (and any later one)
are measured the same way. Its cost (one perf_counter pair and a bisect per call) is paid
only on L1 misses and pushes, never on an L1 hit.
"""

from __future__ import annotations

from collections.abc import Sequence
from time import perf_counter
from typing import Any

from homewidgets.domain.errors import StoreUnavailable
from homewidgets.domain.model import PutOutcome, StoredWidget, WidgetWrite
from homewidgets.domain.ports import WidgetStore
from homewidgets.metrics import Metrics


class InstrumentedStore:
    """WidgetStore over another one; lives as long as the store it wraps (and does not close it)."""

    def __init__(self, inner: WidgetStore, metrics: Metrics) -> None:
        self.inner = inner
        self._stats = {
            op: metrics.store_call(op)
            for op in ("user_widgets", "generic_widgets", "put", "put_many", "delete", "ping")
        }

    def __getattr__(self, name: str) -> Any:
        # Adapter extras (e.g. RedisWidgetStore.user_key in tests) pass through untimed.
        return getattr(self.inner, name)

    async def user_widgets(self, user_id: str) -> dict[str, StoredWidget]:
        started = perf_counter()
        try:
            return await self.inner.user_widgets(user_id)
        except StoreUnavailable:
            self._stats["user_widgets"].errors += 1
            raise
        finally:
            self._stats["user_widgets"].latency.observe(perf_counter() - started)

    async def generic_widgets(self) -> dict[str, StoredWidget]:
        started = perf_counter()
        try:
            return await self.inner.generic_widgets()
        except StoreUnavailable:
            self._stats["generic_widgets"].errors += 1
            raise
        finally:
            self._stats["generic_widgets"].latency.observe(perf_counter() - started)

    async def put(self, write: WidgetWrite) -> PutOutcome:
        started = perf_counter()
        try:
            return await self.inner.put(write)
        except StoreUnavailable:
            self._stats["put"].errors += 1
            raise
        finally:
            self._stats["put"].latency.observe(perf_counter() - started)

    async def put_many(self, writes: Sequence[WidgetWrite]) -> list[PutOutcome]:
        started = perf_counter()
        try:
            return await self.inner.put_many(writes)
        except StoreUnavailable:
            self._stats["put_many"].errors += 1
            raise
        finally:
            self._stats["put_many"].latency.observe(perf_counter() - started)

    async def delete(self, product: str, user_id: str) -> bool:
        started = perf_counter()
        try:
            return await self.inner.delete(product, user_id)
        except StoreUnavailable:
            self._stats["delete"].errors += 1
            raise
        finally:
            self._stats["delete"].latency.observe(perf_counter() - started)

    async def ping(self) -> None:
        started = perf_counter()
        try:
            await self.inner.ping()
        except StoreUnavailable:
            self._stats["ping"].errors += 1
            raise
        finally:
            self._stats["ping"].latency.observe(perf_counter() - started)
