"""RedisChangeFeed across failures: every gap in the feed is reported as a reset."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

import pytest

from homewidgets.domain.model import Change, WidgetWrite
from homewidgets.outbound._redis_client import RedisClient, connect
from homewidgets.outbound.redis_feed import RedisChangeFeed, parse_notice
from homewidgets.outbound.redis_store import RedisWidgetStore
from redis_servers import RedisServer

pytestmark = pytest.mark.redis

CONTENT = b'{"type":"divider"}'
RESET = Change(reset=True)


async def eventually(check: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"still false after {within}s"
        await asyncio.sleep(0.01)


def test_notices_parse_into_changes() -> None:
    assert parse_notice(b"u|energy|42|a-b") == Change("energy", "a-b", 42)
    assert parse_notice(b"g|hotels|7") == Change("hotels", None, 7)


async def test_a_restarted_server_is_reported_as_a_reset_then_changes_flow_again(
    disposable_redis: RedisServer,
) -> None:
    client = connect(disposable_redis.url)
    feed = RedisChangeFeed(client)
    changes: list[Change] = []
    feed.subscribe(changes.append)
    await feed.start()
    assert changes == []  # the first subscription is not a gap

    disposable_redis.restart()
    await eventually(lambda: RESET in changes)
    await eventually(lambda: feed.connected)
    store = RedisWidgetStore(client)
    await store.put(WidgetWrite("energy", None, CONTENT))

    await eventually(lambda: Change("energy", None, 1) in changes)
    assert changes.index(RESET) < changes.index(Change("energy", None, 1))
    await feed.stop()
    await client.aclose()


async def test_a_feed_started_while_redis_is_down_connects_later_with_a_reset(
    disposable_redis: RedisServer,
) -> None:
    disposable_redis.stop()
    client = connect(disposable_redis.url)
    feed = RedisChangeFeed(client, start_timeout=0.3)
    changes: list[Change] = []
    feed.subscribe(changes.append)

    started = time.monotonic()
    await feed.start()
    assert time.monotonic() - started < 1.0
    assert not feed.connected

    disposable_redis.start()
    await eventually(lambda: changes == [RESET])
    await feed.stop()
    await client.aclose()


async def test_a_server_that_stops_answering_is_noticed_by_pings(
    disposable_redis: RedisServer,
) -> None:
    client = connect(disposable_redis.url)
    feed = RedisChangeFeed(client, ping_interval=0.2)
    changes: list[Change] = []
    feed.subscribe(changes.append)
    await feed.start()

    disposable_redis.pause()
    await eventually(lambda: not feed.connected, within=3)
    disposable_redis.resume()

    await eventually(lambda: changes == [RESET])
    await feed.stop()
    await client.aclose()


async def test_stop_ends_the_subscription(redis_client: RedisClient) -> None:
    feed = RedisChangeFeed(redis_client)
    changes: list[Change] = []
    feed.subscribe(changes.append)
    await feed.start()
    await feed.stop()

    await RedisWidgetStore(redis_client).put(WidgetWrite("energy", None, CONTENT))
    await asyncio.sleep(0.1)

    assert changes == []
    assert not feed.connected
    assert await redis_client.pubsub_numsub("hw:changes") == [(b"hw:changes", 0)]


async def test_malformed_notices_and_failing_listeners_do_not_stop_the_feed(
    redis_client: RedisClient,
) -> None:
    feed = RedisChangeFeed(redis_client)
    changes: list[Change] = []

    def broken(change: Change) -> None:
        raise RuntimeError("a bug in one listener")

    feed.subscribe(broken)
    feed.subscribe(changes.append)
    await feed.start()
    alice = str(uuid.uuid4())

    await redis_client.publish("hw:changes", b"nonsense")
    await RedisWidgetStore(redis_client).put(WidgetWrite("energy", alice, CONTENT))

    await eventually(lambda: changes == [Change("energy", alice, 1)])
    assert feed.connects == 1
    await feed.stop()
