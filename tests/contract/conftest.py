"""The adapters under contract: every fixture here runs each test on memory AND Redis.

A test in tests/contract/ asserts behaviour of a port, never of one adapter; what only
exists on Redis (a server going down, key layout, reconnects) is tested in
tests/integration/test_redis_*.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from contract_harness import FeedHarness, QueueHarness

from homewidgets.domain.ports import EventLog, RefreshConsumer, RefreshQueue, WidgetStore
from homewidgets.outbound.memory_store import MemoryWidgetStore
from homewidgets.outbound.memory_streams import (
    MemoryEventLog,
    MemoryRefreshConsumer,
    MemoryRefreshQueue,
)
from homewidgets.outbound.redis_feed import RedisChangeFeed
from homewidgets.outbound.redis_store import RedisWidgetStore
from homewidgets.outbound.redis_streams import (
    RedisEventLog,
    RedisRefreshConsumer,
    RedisRefreshQueue,
)

BACKENDS = [
    "memory",
    pytest.param("redis", marks=pytest.mark.redis),
    pytest.param("cluster", marks=[pytest.mark.redis, pytest.mark.cluster]),
]


def url_for(request: pytest.FixtureRequest) -> str:
    fixture = "cluster_url" if request.param == "cluster" else "redis_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture(params=BACKENDS)
async def widget_store(request: pytest.FixtureRequest) -> AsyncIterator[WidgetStore]:
    if request.param == "memory":
        yield MemoryWidgetStore()
        return
    store = RedisWidgetStore.from_url(url_for(request))
    yield store
    await store.aclose()


@pytest.fixture(params=BACKENDS)
async def feed_harness(request: pytest.FixtureRequest) -> AsyncIterator[FeedHarness]:
    if request.param == "memory":
        memory = MemoryWidgetStore()
        harness = FeedHarness(memory, memory)
        memory.subscribe(harness.changes.append)
        yield harness
        return
    store = RedisWidgetStore.from_url(url_for(request))
    feed = RedisChangeFeed(store.client)
    harness = FeedHarness(store, feed, grace=0.1 if request.param == "cluster" else 0.0)
    feed.subscribe(harness.changes.append)
    await feed.start()
    assert feed.connected, "the feed should be subscribed when start() returns"
    yield harness
    await feed.stop()
    await store.aclose()


@pytest.fixture(params=BACKENDS)
async def queue_harness(request: pytest.FixtureRequest) -> AsyncIterator[QueueHarness]:
    if request.param == "memory":
        memory = MemoryRefreshQueue(dedup_seconds=60)

        def memory_consumer(*, claim_idle_ms: int = 15_000) -> RefreshConsumer:
            return MemoryRefreshConsumer(memory, claim_idle_ms=claim_idle_ms)

        yield QueueHarness(memory, memory_consumer, lambda s: MemoryRefreshQueue(dedup_seconds=s))
        return
    url = url_for(request)
    opened: list[RedisRefreshQueue | RedisRefreshConsumer] = []

    def redis_queue(dedup_seconds: int) -> RefreshQueue:
        queue = RedisRefreshQueue.from_url(url, dedup_seconds=dedup_seconds)
        opened.append(queue)
        return queue

    def redis_consumer(*, claim_idle_ms: int = 15_000) -> RefreshConsumer:
        consumer = RedisRefreshConsumer.from_url(
            url, claim_idle_ms=claim_idle_ms, max_block_ms=3000
        )
        opened.append(consumer)
        return consumer

    yield QueueHarness(redis_queue(60), redis_consumer, redis_queue)
    for adapter in opened:
        await adapter.aclose()


@pytest.fixture(params=BACKENDS)
async def event_log_factory(
    request: pytest.FixtureRequest,
) -> AsyncIterator[Callable[..., EventLog]]:
    """Makes event logs (all on the same L2) with a chosen `maxlen`."""
    if request.param == "memory":
        yield lambda *, maxlen=100_000: MemoryEventLog(maxlen=maxlen)
        return
    url = url_for(request)
    logs: list[RedisEventLog] = []

    def make(*, maxlen: int = 100_000) -> EventLog:
        log = RedisEventLog.from_url(url, maxlen=maxlen, max_block_ms=3000)
        logs.append(log)
        return log

    yield make
    for log in logs:
        await log.aclose()
