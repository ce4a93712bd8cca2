"""Opening Redis/Valkey clients from a URL, and telling "L2 is down" apart from bugs.

Shared by the Redis adapters so they agree on timeouts, retries and the URL forms:
`redis://host:port/db` (`rediss://` for TLS) for one server, and
`redis+cluster://h1:p1,h2:p2,...` (optionally `:password@` before the hosts) for a
Redis/Valkey Cluster. Clients are built without connecting (redis-py connects lazily),
so `connect` never blocks and never fails on an unreachable server.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeAlias
from urllib.parse import unquote

from redis.asyncio import Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import (
    ClusterError,
    ConnectionError,
    RedisClusterException,
    SlotNotCoveredError,
    TimeoutError,
    TryAgainError,
)

from homewidgets.domain.errors import StoreUnavailable

RedisClient: TypeAlias = "Redis | RedisCluster"

CLUSTER_SCHEMES = ("redis+cluster://", "rediss+cluster://")

# What "L2 did not answer usefully" looks like; anything else is a bug and propagates.
_DOWN: tuple[type[Exception], ...] = (
    ConnectionError,  # includes BusyLoadingError, MaxConnectionsError, AuthenticationError
    TimeoutError,
    ClusterError,  # ClusterDownError, MasterDownError
    TryAgainError,
    SlotNotCoveredError,
)


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds before giving up: short, because the read path degrades instead of waiting.

    `retries` extra attempts (with a few ms of backoff) cover a dropped idle connection;
    more would only make a down L2 slower to notice. Only connection errors are retried:
    after a timeout the server may still run the command, and running a write twice
    would assign a second version and announce it twice.
    """

    socket: float = 0.25
    connect: float = 0.5
    retries: int = 1

    def retry(self) -> Retry:
        return Retry(
            ExponentialBackoff(cap=0.05, base=0.005),
            self.retries,
            supported_errors=(ConnectionError,),
        )


def is_cluster_url(url: str) -> bool:
    return url.startswith(CLUSTER_SCHEMES)


def connect(url: str, timeouts: Timeouts | None = None) -> RedisClient:
    """A ready (lazily connecting) client for `url`; the caller closes it with `aclose()`."""
    timeouts = timeouts or Timeouts()
    if not is_cluster_url(url):
        return Redis.from_url(
            url,
            socket_timeout=timeouts.socket,
            socket_connect_timeout=timeouts.connect,
            retry=timeouts.retry(),
        )
    scheme, _, rest = url.partition("://")
    rest = rest.split("/", 1)[0].split("?", 1)[0]
    password = None
    if "@" in rest:
        credentials, _, rest = rest.rpartition("@")
        password = unquote(credentials.partition(":")[2]) or None
    nodes = []
    for hostport in filter(None, rest.split(",")):
        host, _, port = hostport.rpartition(":")
        nodes.append(ClusterNode(host.strip("[]") or "127.0.0.1", int(port or 6379)))
    if not nodes:
        raise ValueError(f"no host:port in cluster URL {url!r}")
    return RedisCluster(
        startup_nodes=nodes,
        password=password,
        ssl=scheme.startswith("rediss"),
        # Keep serving the slots that are up while a shard fails over.
        require_full_coverage=False,
        socket_timeout=timeouts.socket,
        socket_connect_timeout=timeouts.connect,
        retry=timeouts.retry(),
    )


def is_down(exc: BaseException) -> bool:
    """Whether `exc` means L2 is unreachable (as opposed to a bug in our commands)."""
    if isinstance(exc, _DOWN):
        return True
    if isinstance(exc, AttributeError | TypeError) and _raised_inside_redis_py(exc):
        # A connection torn down mid-command (seen during a Cluster failover: "'NoneType'
        # object has no attribute 'writelines'"): the client's own state, not our bug.
        return True
    # redis-py raises this bare class when no startup node of a cluster answers.
    return isinstance(exc, RedisClusterException) and "cannot be connected" in str(exc)


def _raised_inside_redis_py(exc: BaseException) -> bool:
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    return last is not None and last.tb_frame.f_globals.get("__name__", "").startswith("redis.")


@contextmanager
def unavailable(what: str) -> Iterator[None]:
    """Turn redis-py's connection failures inside the block into StoreUnavailable."""
    try:
        yield
    except Exception as exc:
        if is_down(exc):
            raise StoreUnavailable(f"{what}: {type(exc).__name__}: {exc}") from exc
        raise
