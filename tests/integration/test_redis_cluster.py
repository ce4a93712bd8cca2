"""The Redis adapters on a 6-node Cluster while nodes die: slow tests, seconds each."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

import pytest

from homewidgets.domain.errors import StoreUnavailable
from homewidgets.domain.model import Change, WidgetWrite
from homewidgets.outbound.redis_feed import RedisChangeFeed
from homewidgets.outbound.redis_store import RedisWidgetStore
from redis_servers import RedisClusterServers

pytestmark = [pytest.mark.redis, pytest.mark.cluster]

CONTENT = b'{"type":"divider"}'
RESET = Change(reset=True)


async def eventually(check: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"still false after {within}s"
        await asyncio.sleep(0.02)


def user_not_on(cluster: RedisClusterServers, port: int) -> str:
    """A user id whose keys live on another primary than the node at `port`."""
    while True:
        user_id = str(uuid.uuid4())
        if cluster.primary_of(f"hw:{{{user_id}}}:w").port != port:
            return user_id


async def test_the_feed_hears_writes_to_every_shard(
    cluster_url: str, redis_cluster: RedisClusterServers
) -> None:
    store = RedisWidgetStore.from_url(cluster_url)
    feed = RedisChangeFeed(store.client)
    changes: list[Change] = []
    feed.subscribe(changes.append)
    await feed.start()
    users = [str(uuid.uuid4()) for _ in range(30)]
    shards = {redis_cluster.primary_of(f"hw:{{{u}}}:w").port for u in users}

    await store.put_many([WidgetWrite("energy", u, CONTENT) for u in users])

    await eventually(lambda: len(changes) == 30, within=3)
    assert {c.user_id for c in changes} == set(users)
    assert len(shards) == 3
    await feed.stop()
    await store.aclose()


async def test_when_the_feeds_node_dies_it_moves_to_another_node_and_reports_a_reset(
    cluster_url: str, redis_cluster: RedisClusterServers
) -> None:
    store = RedisWidgetStore.from_url(cluster_url)
    feed = RedisChangeFeed(store.client, ping_interval=0.3)
    changes: list[Change] = []
    feed.subscribe(changes.append)
    await feed.start()
    assert feed.node is not None
    dead_port = int(feed.node.rsplit(":", 1)[1])

    redis_cluster.node(dead_port).kill()
    await eventually(lambda: RESET in changes and feed.connected)
    assert feed.node != f"127.0.0.1:{dead_port}"

    alice = user_not_on(redis_cluster, dead_port)
    await store.put(WidgetWrite("energy", alice, CONTENT))
    await eventually(lambda: Change("energy", alice, 1) in changes, within=3)
    await feed.stop()
    await store.aclose()


async def test_a_killed_primary_fails_over_and_writes_to_its_slots_resume(
    cluster_url: str, redis_cluster: RedisClusterServers
) -> None:
    store = RedisWidgetStore.from_url(cluster_url)
    alice = str(uuid.uuid4())
    await store.put(WidgetWrite("energy", alice, CONTENT, version=1))
    primary = redis_cluster.primary_of(f"hw:{{{alice}}}:w")
    bob = user_not_on(redis_cluster, primary.port)
    await store.put(WidgetWrite("energy", bob, CONTENT, version=1))

    primary.kill()
    started, unavailable, version = time.monotonic(), 0, 2
    while True:
        try:
            await store.put(WidgetWrite("energy", alice, CONTENT, version=version))
            break
        except StoreUnavailable:
            unavailable += 1
            assert time.monotonic() - started < 15, "no failover within 15 s"
            await asyncio.sleep(0.1)
    outage = time.monotonic() - started

    # The other shard served throughout; the failed-over one has the write, not a loss.
    assert (await store.user_widgets(bob))["energy"].version == 1
    assert (await store.user_widgets(alice))["energy"].version == 2
    print(f"writes to the dead primary's slots failed for {outage:.1f}s ({unavailable} tries)")
    await store.aclose()


async def test_put_many_reloads_the_script_on_every_shard_that_forgot_it(
    cluster_url: str, redis_cluster: RedisClusterServers
) -> None:
    store = RedisWidgetStore.from_url(cluster_url)
    await store.put(WidgetWrite("energy", None, CONTENT))
    for node in redis_cluster.nodes:
        with node.client() as c:
            c.script_flush()
    users = [str(uuid.uuid4()) for _ in range(30)]

    outcomes = await store.put_many([WidgetWrite("energy", u, CONTENT) for u in users])

    assert [o.stored for o in outcomes] == [True] * 30
    await store.aclose()
