"""The Redis Streams adapters' details: key layout, trimming, recovery, failures."""

from __future__ import annotations

import time
import uuid

import pytest

from homewidgets.domain.errors import StoreUnavailable
from homewidgets.domain.model import RefreshRequest
from homewidgets.outbound._redis_client import RedisClient
from homewidgets.outbound.redis_streams import (
    GROUP,
    RedisEventLog,
    RedisRefreshConsumer,
    RedisRefreshQueue,
    consumer_name,
)
from redis_servers import RedisServer

pytestmark = pytest.mark.redis


def ask(*products: str) -> RefreshRequest:
    return RefreshRequest(str(uuid.uuid4()), products or ("energy",))


async def test_a_queued_request_is_one_stream_entry_and_a_dedup_key_with_a_ttl(
    redis_client: RedisClient,
) -> None:
    queue = RedisRefreshQueue(redis_client, dedup_seconds=60)
    request = ask("energy", "dsl")
    await queue.enqueue([request])

    [(_, fields)] = await redis_client.xrange("hw:refresh")
    assert fields == {b"u": request.user_id.encode(), b"p": b"energy,dsl"}
    assert 55 <= await redis_client.ttl(f"hw:{{{request.user_id}}}:asked") <= 60


async def test_the_queue_is_trimmed_to_about_maxlen(redis_client: RedisClient) -> None:
    queue = RedisRefreshQueue(redis_client, maxlen=100)
    for _ in range(10):
        await queue.enqueue([ask() for _ in range(100)])

    assert await redis_client.xlen("hw:refresh") <= 300


async def test_acknowledged_entries_are_deleted_from_the_stream(
    redis_client: RedisClient,
) -> None:
    await RedisRefreshQueue(redis_client).enqueue([ask(), ask()])
    consumer = RedisRefreshConsumer(redis_client, max_block_ms=100)
    received = await consumer.receive(10, block_ms=0)

    await consumer.acknowledge([message_id for message_id, _ in received])

    assert await redis_client.xlen("hw:refresh") == 0
    assert (await redis_client.xpending("hw:refresh", GROUP))["pending"] == 0


async def test_a_consumer_recreates_its_group_when_the_stream_was_lost(
    redis_client: RedisClient,
) -> None:
    queue = RedisRefreshQueue(redis_client)
    consumer = RedisRefreshConsumer(redis_client, max_block_ms=100)
    await consumer.receive(10, block_ms=0)  # creates the group
    await redis_client.flushall()  # a restart without persistence, say

    request = ask()
    await queue.enqueue([request])

    assert [r for _, r in await consumer.receive(10, block_ms=0)] == [request]


def test_consumer_names_are_unique_per_process_and_name_the_host() -> None:
    import socket

    names = {consumer_name() for _ in range(50)}
    assert len(names) == 50
    assert all(name.startswith(socket.gethostname()) for name in names)


async def test_streams_raise_store_unavailable_when_redis_is_down(
    disposable_redis: RedisServer,
) -> None:
    queue = RedisRefreshQueue.from_url(disposable_redis.url)
    consumer = RedisRefreshConsumer.from_url(disposable_redis.url, max_block_ms=500)
    events = RedisEventLog.from_url(disposable_redis.url, max_block_ms=500)
    disposable_redis.stop()

    started = time.monotonic()
    for operation in (
        queue.enqueue([ask()]),
        consumer.receive(10, block_ms=100),
        consumer.acknowledge(["1-0"]),
        events.append("energy", [b"{}"]),
        events.read("energy", "0", 10, 0),
    ):
        with pytest.raises(StoreUnavailable):
            await operation
    assert time.monotonic() - started < 5
    for adapter in (queue, consumer, events):
        await adapter.aclose()


async def test_events_are_stored_one_entry_per_event_in_the_products_stream(
    redis_client: RedisClient,
) -> None:
    log = RedisEventLog(redis_client)
    await log.append("energy", [b'{"type":"click"}'])

    [(_, fields)] = await redis_client.xrange("hw:events:energy")
    assert fields == {b"e": b'{"type":"click"}'}
