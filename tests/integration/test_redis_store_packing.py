"""RedisWidgetStore.put_many's own packing of the put script agrees with the general path.

On one server `put_many` writes the Redis protocol itself (one format per write) instead
of going through redis-py; `put` and the Cluster path still hand redis-py the arguments
from `_put_args`. These tests hold the two byte for byte and outcome for outcome.
"""

from __future__ import annotations

import uuid

import pytest

from homewidgets.domain.model import PutOutcome, WidgetWrite
from homewidgets.outbound._redis_client import RedisClient, connect
from homewidgets.outbound.redis_store import BATCH, RedisWidgetStore

pytestmark = pytest.mark.redis

CARD = b'{"type":"card","title":"caf\xc3\xa9 | 100 %","subtitle":"a\\r\\nb"}'


def resp(args: list[bytes]) -> bytes:
    """The Redis protocol of one command, spelled out the obvious way."""
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def mixed_writes() -> list[WidgetWrite]:
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    return [
        WidgetWrite("energy", alice, CARD, version=7, priority=-3, expires_at=1_900_000_000.25),
        WidgetWrite("energy", None, CARD),
        WidgetWrite("hotels", bob, b"{}", version=None, priority=1000),
        WidgetWrite("energy", alice, CARD, version=2**53),
    ]


async def test_the_packed_command_is_evalsha_with_the_scripts_arguments() -> None:
    client = connect("redis://127.0.0.1:1/0")  # never connects: packing needs no server
    store = RedisWidgetStore(client, namespace="ns:", user_ttl_seconds=77)
    writes = mixed_writes()
    keys, args = store._put_args(writes)

    expected = resp([b"EVALSHA", store._sha, b"%d" % len(keys), *keys, b"ns:changes", *args])
    assert store._packed_put(writes) == expected
    await client.aclose()


async def test_put_many_stores_and_answers_exactly_like_one_put_per_write(
    redis_client: RedisClient,
) -> None:
    one_by_one = RedisWidgetStore(redis_client, namespace="a:")
    packed = RedisWidgetStore(redis_client, namespace="b:")
    writes = mixed_writes()
    writes += [WidgetWrite(w.product, w.user_id, w.content, w.version) for w in writes]  # again
    writes += [WidgetWrite("energy", writes[0].user_id, CARD, version=1)]  # older: stale

    singles = [await one_by_one.put(w) for w in writes]
    many = await packed.put_many(writes)

    assert many == singles
    assert many[-2] == PutOutcome(2**53, stored=False)  # the same version again: no-op
    assert many[-1] == PutOutcome(2**53, stored=False, stale=True)  # an older one: stale
    for key in await redis_client.keys("a:*"):
        assert isinstance(key, bytes)  # decode_responses is off
        twin = b"b:" + key[2:]
        assert await redis_client.hgetall(twin) == await redis_client.hgetall(key)
        assert abs(await redis_client.ttl(twin) - await redis_client.ttl(key)) <= 1


async def test_a_batch_over_several_script_calls_keeps_every_outcome_in_order(
    redis_client: RedisClient,
) -> None:
    store = RedisWidgetStore(redis_client)
    users = [str(uuid.uuid4()) for _ in range(2 * BATCH + 3)]
    await store.put(WidgetWrite("energy", users[5], CARD, version=50))

    outcomes = await store.put_many([WidgetWrite("energy", u, CARD, version=9) for u in users])

    expected = [PutOutcome(9, stored=True)] * len(users)
    expected[5] = PutOutcome(50, stored=False, stale=True)
    assert outcomes == expected
