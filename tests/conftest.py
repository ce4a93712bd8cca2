"""Shared fixtures: a clean environment, and real Redis servers started by the suite.

One `redis-server` serves the whole run (flushed before each test that asks for
`redis_url`); a 6-node Cluster is started only if a test asks for it. Without
`redis-server` the Redis tests fail with an explanation: never a silent skip.
`--redis-url` points the suite at a server you run yourself instead.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from homewidgets.outbound._redis_client import RedisClient, connect
from redis_servers import (
    MISSING,
    RedisClusterServers,
    RedisServer,
    redis_server_available,
    start_cluster,
    start_server,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--redis-url",
        default=None,
        help="use this Redis (it gets FLUSHALLed!) instead of starting a redis-server",
    )


def require_redis_server() -> None:
    if not redis_server_available():
        pytest.fail(MISSING, pytrace=False)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's HOMEWIDGETS_* variables must not change what a test sees."""
    for name in list(os.environ):
        if name.startswith("HOMEWIDGETS_"):
            monkeypatch.delenv(name)


# -- one server --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RedisServer | str]:
    """The run's Redis: a RedisServer we started, or the `--redis-url` given."""
    external: str | None = request.config.getoption("--redis-url")
    if external:
        yield external
        return
    require_redis_server()
    server = start_server(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer | str) -> str:
    """The URL of an empty Redis (FLUSHALL before the test)."""
    if isinstance(redis_server, str):
        import redis

        with redis.Redis.from_url(redis_server) as c:
            c.flushall()
        return redis_server
    if not redis_server.running:  # an earlier test stopped it on purpose
        redis_server.start()
    with redis_server.client() as c:
        c.flushall()
    return redis_server.url


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[RedisClient]:
    """An asyncio client with the production timeouts, closed after the test."""
    client = connect(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def disposable_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A server of the test's own, free to stop, kill or pause."""
    require_redis_server()
    server = start_server(tmp_path / "redis")
    yield server
    server.stop()


# -- Cluster -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterServers]:
    """3 primaries + 3 replicas on loopback, started on first use, for the whole run."""
    require_redis_server()
    cluster = start_cluster(tmp_path_factory.mktemp("cluster"))
    yield cluster
    cluster.stop()


@pytest.fixture
def cluster_url(redis_cluster: RedisClusterServers) -> str:
    """The `redis+cluster://` URL of an empty, healthy Cluster."""
    for node in redis_cluster.nodes:
        if not node.running:  # a fault test killed it: bring it back as a replica
            node.start()
    redis_cluster.wait_healthy()
    redis_cluster.flush()
    return redis_cluster.url
