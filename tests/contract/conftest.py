"""The adapters under contract: every fixture here runs each test on memory AND Redis.

A test in tests/contract/ asserts behaviour of a port, never of one adapter; where a
behaviour only exists on Redis (a server going down), the test says so in its name and
asks for `redis_only`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest

from homewidgets.domain.model import Change
from homewidgets.domain.ports import (
    ChangeFeed,
    EventLog,
    RefreshConsumer,
    RefreshQueue,
    WidgetStore,
)
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

BACKENDS = ["memory", "redis", pytest.param("cluster", marks=pytest.mark.cluster)]
STREAM_BACKENDS = BACKENDS


def url_for(request: pytest.FixtureRequest) -> str:
    fixture = "cluster_url" if request.param == "cluster" else "redis_url"
    url: str = request.getfixturevalue(fixture)
    return url


async def eventually(check: Callable[[], bool], within: float = 2.0) -> None:
    """Wait until `check()` holds; fail the test after `within` seconds."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {within}s")
        await asyncio.sleep(0.005)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=BACKENDS)
async def widget_store(request: pytest.FixtureRequest) -> AsyncIterator[WidgetStore]:
    if request.param == "memory":
        yield MemoryWidgetStore()
        return
    store = RedisWidgetStore.from_url(url_for(request))
    yield store
    await store.aclose()


@dataclass
class FeedHarness:
    """A store, the feed of the same L2, and every change the feed delivered."""

    store: WidgetStore
    feed: ChangeFeed
    changes: list[Change] = field(default_factory=list)

    async def settle(self, sentinel_product: str = "sentinel") -> list[Change]:
        """The changes so far, once a fresh write's own notice has come through.

        Notices arrive in order, so after the sentinel's nothing older is in flight: a
        test can then assert that a write produced NO notice, without sleeping.
        """
        from homewidgets.domain.model import WidgetWrite

        outcome = await self.store.put(WidgetWrite(sentinel_product, None, b'{"type":"divider"}'))
        await eventually(
            lambda: any(
                c.product == sentinel_product and c.version == outcome.version for c in self.changes
            )
        )
        return [c for c in self.changes if c.product != sentinel_product]


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
    harness = FeedHarness(store, feed)
    feed.subscribe(harness.changes.append)
    await feed.start()
    assert feed.connected, "the feed should be subscribed when start() returns"
    yield harness
    await feed.stop()
    await store.aclose()


@dataclass
class QueueHarness:
    """The read side's queue and a factory of worker-side consumers of the same stream.

    `make_queue` builds another read-side queue (e.g. with a short dedup window); on
    memory it does not share state with `queue`, so use it for enqueue counts only.
    """

    queue: RefreshQueue
    new_consumer: Callable[..., RefreshConsumer]
    make_queue: Callable[[int], RefreshQueue]


@pytest.fixture(params=STREAM_BACKENDS)
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


@pytest.fixture(params=["memory", "redis"])
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
