"""Concurrent hash reads share round trips, on a real Redis and a real Cluster."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from homewidgets.outbound._redis_client import RedisClient, connect
from homewidgets.outbound.redis_read_batcher import HashReadBatcher

pytestmark = pytest.mark.redis


def user_key() -> str:
    return f"hw:{{{uuid.uuid4()}}}:w"


async def test_reads_of_one_loop_turn_go_out_as_one_pipeline(redis_client: RedisClient) -> None:
    keys = [user_key() for _ in range(50)]
    for index, key in enumerate(keys[:25]):
        await redis_client.hset(key, mapping={b"energy": b"%d" % index})
    batcher = HashReadBatcher(redis_client)
    replies = await asyncio.gather(*(batcher.hgetall(key) for key in keys))
    assert batcher.round_trips == 1
    assert replies[:25] == [{b"energy": b"%d" % i} for i in range(25)]
    assert replies[25:] == [{}] * 25  # unknown users: empty hashes, in order


async def test_a_lone_read_is_answered_on_its_own(redis_client: RedisClient) -> None:
    key = user_key()
    await redis_client.hset(key, mapping={b"dsl": b"x"})
    batcher = HashReadBatcher(redis_client)
    assert await batcher.hgetall(key) == {b"dsl": b"x"}
    assert await batcher.hgetall(user_key()) == {}
    assert batcher.round_trips == 2


async def test_a_big_burst_is_split_into_bounded_pipelines(redis_client: RedisClient) -> None:
    batcher = HashReadBatcher(redis_client, max_batch=16)
    replies = await asyncio.gather(*(batcher.hgetall(user_key()) for _ in range(40)))
    assert replies == [{}] * 40 and batcher.round_trips == 3


async def test_every_reader_of_a_failed_batch_gets_the_error() -> None:
    client = connect("redis://127.0.0.1:1/0")  # nothing listens on port 1
    try:
        batcher = HashReadBatcher(client)
        outcomes = await asyncio.gather(*(batcher.hgetall(user_key()) for _ in range(5)),
                                        return_exceptions=True)  # fmt: skip
    finally:
        await client.aclose()
    assert all(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    assert batcher.round_trips == 1


@pytest.mark.cluster
async def test_one_burst_reads_users_on_every_shard_of_a_cluster(cluster_url: str) -> None:
    client = connect(cluster_url)
    try:
        keys = [user_key() for _ in range(60)]  # spread over the three primaries
        for key in keys[::2]:
            await client.hset(key, mapping={b"p": key.encode()})
        batcher = HashReadBatcher(client)
        replies = await asyncio.gather(*(batcher.hgetall(key) for key in keys))
    finally:
        await client.aclose()
    assert replies == [{b"p": key.encode()} if i % 2 == 0 else {} for i, key in enumerate(keys)]
    assert batcher.round_trips == 1
