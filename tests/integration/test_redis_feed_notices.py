"""RedisChangeFeed reads a message of many notices line by line, skipping only bad lines."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from homewidgets.domain.model import Change
from homewidgets.outbound._redis_client import RedisClient
from homewidgets.outbound.redis_feed import RedisChangeFeed, parse_notice

pytestmark = pytest.mark.redis


async def eventually(check: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"still false after {within}s"
        await asyncio.sleep(0.01)


async def heard(redis_client: RedisClient, message: bytes, expected: int) -> list[Change]:
    """The changes a started feed passes on for one raw message on its channel."""
    feed = RedisChangeFeed(redis_client)
    changes: list[Change] = []
    feed.subscribe(changes.append)
    await feed.start()
    try:
        await redis_client.publish(feed.channel, message)
        await redis_client.publish(feed.channel, b"g|end|1")
        await eventually(lambda: Change("end", None, 1) in changes)
    finally:
        await feed.stop()
    assert len(changes) == expected + 1
    return changes[:-1]


async def test_every_notice_of_one_message_reaches_the_listeners_in_order(
    redis_client: RedisClient,
) -> None:
    message = b"u|energy|3|a-b\ng|hotels|9\nu|energy|4|c-d|extra"

    assert await heard(redis_client, message, 3) == [
        Change("energy", "a-b", 3), Change("hotels", None, 9), Change("energy", "c-d", 4),
    ]  # fmt: skip


async def test_malformed_lines_are_skipped_and_the_others_still_heard(
    redis_client: RedisClient,
) -> None:
    message = b"u|energy|x|a-b\nu|energy|5\ng|hotels\nu|caf\xe9|6|e-f\nu|energy|7|g-h"

    assert await heard(redis_client, message, 1) == [Change("energy", "g-h", 7)]


async def test_a_failing_listener_does_not_keep_the_others_from_a_notice(
    redis_client: RedisClient,
) -> None:
    feed = RedisChangeFeed(redis_client)
    changes: list[Change] = []

    def broken(change: Change) -> None:
        raise RuntimeError("listener bug")

    feed.subscribe(broken)
    feed.subscribe(changes.append)
    await feed.start()
    try:
        await redis_client.publish(feed.channel, b"g|hotels|2\ng|hotels|3")
        await eventually(lambda: len(changes) == 2)
    finally:
        await feed.stop()
    assert changes == [Change("hotels", None, 2), Change("hotels", None, 3)]


def test_a_notice_that_is_not_utf8_is_malformed() -> None:
    with pytest.raises(UnicodeDecodeError):
        parse_notice(b"u|caf\xe9|6|e-f")
