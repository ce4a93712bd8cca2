"""RedisWidgetStore details the contract does not cover: key layout, TTLs, failures."""

from __future__ import annotations

import time
import uuid

import pytest

from homewidgets.domain.errors import StoreUnavailable
from homewidgets.domain.model import PutOutcome, WidgetWrite
from homewidgets.outbound._redis_client import RedisClient, Timeouts, connect
from homewidgets.outbound.redis_store import DEFAULT_USER_TTL_SECONDS, RedisWidgetStore
from redis_servers import RedisServer

pytestmark = pytest.mark.redis

CONTENT = b'{"type":"divider"}'


async def test_widgets_live_in_one_hash_per_user_and_one_generic_hash(
    redis_client: RedisClient,
) -> None:
    store = RedisWidgetStore(redis_client)
    alice = str(uuid.uuid4())
    await store.put(WidgetWrite("energy", alice, CONTENT, version=3, priority=2, expires_at=1e10))
    await store.put(WidgetWrite("hotels", None, CONTENT))

    assert await redis_client.hgetall(f"hw:{{{alice}}}:w") == {
        b"energy": b"3|2|10000000000000|" + CONTENT
    }
    assert await redis_client.hgetall("hw:generic") == {b"hotels": b"1|0||" + CONTENT}


async def test_a_deleted_widget_leaves_a_tombstone_with_its_version(
    redis_client: RedisClient,
) -> None:
    store = RedisWidgetStore(redis_client)
    alice = str(uuid.uuid4())
    await store.put(WidgetWrite("energy", alice, CONTENT, version=8))
    await store.delete("energy", alice)

    assert await redis_client.hget(f"hw:{{{alice}}}:w", "energy") == b"8|0||"


async def test_every_write_refreshes_the_idle_expiry_of_the_users_hash_only(
    redis_client: RedisClient,
) -> None:
    store = RedisWidgetStore(redis_client, user_ttl_seconds=100)
    alice = str(uuid.uuid4())
    await store.put(WidgetWrite("energy", alice, CONTENT))
    await redis_client.expire(f"hw:{{{alice}}}:w", 5)
    await store.put_many([WidgetWrite("hotels", alice, CONTENT), WidgetWrite("x1", None, CONTENT)])

    assert 95 <= await redis_client.ttl(f"hw:{{{alice}}}:w") <= 100
    assert await redis_client.ttl("hw:generic") == -1  # generic widgets never idle out
    assert DEFAULT_USER_TTL_SECONDS == 30 * 24 * 3600


async def test_the_namespace_prefixes_every_key_and_the_channel(redis_client: RedisClient) -> None:
    store = RedisWidgetStore(redis_client, namespace="staging:")
    await store.put(WidgetWrite("energy", None, CONTENT))

    assert await redis_client.keys("*") == [b"staging:generic"]
    assert store.channel == "staging:changes"


async def test_put_many_reloads_the_script_after_the_server_forgot_it(
    redis_client: RedisClient,
) -> None:
    store = RedisWidgetStore(redis_client)
    alice = str(uuid.uuid4())
    await store.put(WidgetWrite("energy", alice, CONTENT))
    await redis_client.script_flush()

    outcomes = await store.put_many([WidgetWrite("energy", alice, CONTENT) for _ in range(250)])
    await redis_client.script_flush()
    single = await store.put(WidgetWrite("energy", alice, CONTENT))

    assert [o.version for o in outcomes] == list(range(2, 252))
    assert single == PutOutcome(252, stored=True)


async def test_every_operation_raises_store_unavailable_quickly_when_redis_is_down(
    disposable_redis: RedisServer,
) -> None:
    store = RedisWidgetStore.from_url(disposable_redis.url)
    await store.ping()
    disposable_redis.stop()

    alice = str(uuid.uuid4())
    operations = {
        "ping": store.ping(),
        "user_widgets": store.user_widgets(alice),
        "generic_widgets": store.generic_widgets(),
        "put": store.put(WidgetWrite("energy", alice, CONTENT)),
        "put_many": store.put_many([WidgetWrite("energy", alice, CONTENT)]),
        "delete": store.delete("energy", alice),
    }
    for name, operation in operations.items():
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            await operation
        assert time.monotonic() - started < 1.5, name
    await store.aclose()


async def test_a_paused_server_times_out_as_store_unavailable(
    disposable_redis: RedisServer,
) -> None:
    store = RedisWidgetStore.from_url(disposable_redis.url, timeouts=Timeouts(socket=0.2))
    await store.ping()
    disposable_redis.pause()
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            await store.user_widgets(str(uuid.uuid4()))
        assert time.monotonic() - started < 1.0
    finally:
        disposable_redis.resume()
    await store.aclose()


async def test_the_store_recovers_by_itself_once_redis_is_back(
    disposable_redis: RedisServer,
) -> None:
    store = RedisWidgetStore.from_url(disposable_redis.url)
    await store.put(WidgetWrite("energy", None, CONTENT))
    disposable_redis.restart()  # no persistence: it comes back empty

    assert await store.put(WidgetWrite("energy", None, CONTENT)) == PutOutcome(1, stored=True)
    await store.aclose()


async def test_a_store_does_not_close_a_client_it_was_given(redis_url: str) -> None:
    client = connect(redis_url)
    store = RedisWidgetStore(client)
    await store.aclose()

    await client.ping()  # still usable
    await client.aclose()


def test_connect_understands_the_single_server_and_cluster_url_forms() -> None:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

    single = connect("redis://127.0.0.1:6390/2")
    cluster = connect("redis+cluster://:s3cret@127.0.0.1:7001,127.0.0.1:7002")

    assert isinstance(single, Redis)
    assert single.connection_pool.connection_kwargs["db"] == 2
    assert single.connection_pool.connection_kwargs["socket_timeout"] == 0.25
    assert isinstance(cluster, RedisCluster)
    assert sorted(n.port for n in cluster.startup_nodes) == [7001, 7002]
    assert cluster.connection_kwargs["password"] == "s3cret"
    with pytest.raises(ValueError, match="no host:port"):
        connect("redis+cluster://")
