"""The refresh queue's backlog as /metrics reports it, on the in-process queue and on Redis."""

from __future__ import annotations

import pytest

from homewidgets.domain.model import RefreshRequest
from homewidgets.observability.backlog import Backlog, read_backlog
from homewidgets.outbound._redis_client import RedisClient, connect
from homewidgets.outbound.memory_streams import MemoryRefreshQueue
from homewidgets.outbound.redis_streams import RedisRefreshConsumer, RedisRefreshQueue
from redis_servers import RedisServer

REQUESTS = [RefreshRequest(f"3f2504e0-4f89-11d3-9a0c-03050000000{i}", ("energy",))
            for i in range(3)]


async def test_the_in_process_queue_reports_undelivered_and_pending_entries() -> None:
    queue = MemoryRefreshQueue()
    assert await read_backlog(queue) == Backlog(0, 0, 0, 0.0)
    await queue.enqueue(REQUESTS)
    consumer = queue.consumer()
    received = await consumer.receive(max_count=1, block_ms=0)

    backlog = await read_backlog(queue)

    assert backlog is not None
    assert (backlog.length, backlog.undelivered, backlog.pending) == (3, 2, 1)
    assert 0 <= backlog.oldest_age_seconds < 5
    await consumer.acknowledge([message_id for message_id, _ in received])
    after = await read_backlog(queue)
    assert after is not None and (after.length, after.undelivered, after.pending) == (2, 2, 0)


@pytest.mark.redis
async def test_the_redis_stream_reports_the_consumer_groups_lag(
    redis_client: RedisClient,
) -> None:
    queue = RedisRefreshQueue(redis_client)
    assert await read_backlog(queue) == Backlog(0, 0, 0, 0.0)  # no stream yet
    await queue.enqueue(REQUESTS)
    before_workers = await read_backlog(queue)
    assert before_workers is not None and before_workers.undelivered == 3  # no group yet

    consumer = RedisRefreshConsumer(redis_client)
    received = await consumer.receive(max_count=1, block_ms=0)
    assert len(received) == 1
    backlog = await read_backlog(queue)
    assert backlog is not None
    assert (backlog.length, backlog.undelivered, backlog.pending) == (3, 2, 1)
    assert 0 <= backlog.oldest_age_seconds < 5

    await consumer.acknowledge([received[0][0]])  # the worker XDELs what it acknowledges
    after = await read_backlog(queue)
    assert after is not None and (after.length, after.undelivered, after.pending) == (2, 2, 0)


@pytest.mark.redis
async def test_an_unreachable_redis_leaves_the_backlog_out_instead_of_failing_the_scrape(
    disposable_redis: RedisServer,
) -> None:
    url = disposable_redis.url
    disposable_redis.stop()
    client = connect(url)
    try:
        assert await read_backlog(RedisRefreshQueue(client)) is None
    finally:
        await client.aclose()
