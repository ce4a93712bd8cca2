"""ChangeFeed on Redis pub/sub: every instance hears every write's notice on `hw:changes`.

Pub/sub is fire-and-forget: notices sent while this instance was disconnected are
gone. So the feed owns its subscriber connection (retries off, so redis-py cannot
reconnect behind our back), and after any drop it reconnects with backoff and tells
the listeners `Change(reset=True)`: their caches must forget what they hold.
A silent peer (a paused server, a cut network) is noticed by PINGs on the subscriber
connection that go unanswered.

On a Cluster, a plain PUBLISH is broadcast to every node, so the feed subscribes on any
one node, and moves to the next node when that one fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from redis import exceptions as redis_errors
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from homewidgets.domain.model import Change
from homewidgets.domain.ports import ChangeListener
from homewidgets.outbound._redis_client import RedisClient, is_down

__all__ = ["RedisChangeFeed", "parse_notice"]

FEED_SOCKET_TIMEOUT = 5.0  # seconds
_log = logging.getLogger(__name__)

RESET = Change(reset=True)


def parse_notice(data: bytes) -> Change:
    """`u|<product>|<version>|<user_id>` or `g|<product>|<version>` as a Change.

    IndexError or ValueError (UnicodeDecodeError included) if it is neither.
    """
    return _change(data.decode())


def _change(line: str) -> Change:
    kind, product, version, *rest = line.split("|")
    return Change(product, rest[0] if kind == "u" else None, int(version))


class RedisChangeFeed:
    """Subscribes in a background task between `start()` and `stop()`; lives with the app.

    Listeners run on the event loop, in the feed's task, one notice at a time. The feed
    never closes `client`: it only reads its settings (and, for a Cluster, its nodes).
    """

    def __init__(
        self,
        client: RedisClient,
        *,
        namespace: str = "hw:",
        ping_interval: float = 3.0,
        max_backoff: float = 0.5,
        start_timeout: float = 2.0,
    ) -> None:
        self.client = client
        self.channel = f"{namespace}changes"
        self.ping_interval = ping_interval
        self.max_backoff = max_backoff
        self.start_timeout = start_timeout
        self.connects = 0  # how many times a subscription was set up (for tests, health)
        self.node: str | None = None  # "host:port" subscribed to, while connected
        self._listeners: list[ChangeListener] = []
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._started = False
        self._next_node = 0

    def subscribe(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    @property
    def connected(self) -> bool:
        return self._subscribed.is_set()

    async def start(self) -> None:
        """Start listening; waits (briefly) for the first subscription, so changes made
        after `start()` returns are heard. If L2 is down, returns anyway and keeps trying."""
        if self._task is not None:
            return
        self._task = asyncio.create_task(self._run(), name="redis-change-feed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), self.start_timeout)
        self._started = True

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._subscribed.clear()

    async def _run(self) -> None:
        backoff = 0.05
        while True:
            connects = self.connects
            try:
                await self._listen_once()
            except Exception as exc:
                if is_down(exc):
                    _log.warning("change feed lost L2 (%s); reconnecting", exc)
                else:
                    _log.exception("change feed failed; reconnecting")
            if self.connects != connects:
                backoff = 0.05  # it was up for a while: retry soon
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff)

    async def _listen_once(self) -> None:
        """One subscription, from connect to the first failure (which it raises)."""
        node = await self._node_client()
        pubsub: PubSub = node.pubsub()
        try:
            await pubsub.subscribe(self.channel)
            # The confirmation proves the subscription is live before we tell anyone.
            if await pubsub.get_message(timeout=self.start_timeout) is None:
                raise redis_errors.ConnectionError("no confirmation of the subscription")
            self.connects += 1
            self.node = _address(node)
            if self._started or self.connects > 1:
                self._dispatch(RESET)  # notices may have been missed while we were away
            self._subscribed.set()
            await self._pump(pubsub)
        finally:
            self._subscribed.clear()
            self.node = None
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
            with contextlib.suppress(Exception):
                await node.aclose()

    async def _pump(self, pubsub: PubSub) -> None:
        heard = pinged = time.monotonic()
        interval = self.ping_interval
        while True:
            message = await pubsub.get_message(timeout=interval / 2)
            now = time.monotonic()
            if message is not None:
                heard = now
                if message["type"] == "message":
                    self._on_notice(message["data"])
                continue
            if now - heard > 2.5 * interval:
                raise redis_errors.TimeoutError(
                    f"no answer from the change feed's node in {now - heard:.1f}s"
                )
            if now - heard > interval and now - pinged > interval:
                pinged = now
                await pubsub.ping()

    def _on_notice(self, data: bytes) -> None:
        """Every notice of one message (a batch's notices come as one, a line each).

        Every worker of every instance runs this for every stored widget, so it decodes
        the message once and calls the listeners inline.
        """
        try:
            lines: list[str] | list[bytes] = data.decode().split("\n")
        except UnicodeDecodeError:  # some line is malformed: parse each on its own
            lines = data.split(b"\n")
        listeners = self._listeners
        for line in lines:
            try:
                change = _change(line) if isinstance(line, str) else parse_notice(line)
            except (IndexError, ValueError):
                _log.warning("ignoring malformed change notice %r", line[:100])
                continue
            for listener in listeners:
                try:
                    listener(change)
                except Exception:
                    _log.exception("change listener failed on %r", change)

    def _dispatch(self, change: Change) -> None:
        for listener in self._listeners:
            try:
                listener(change)
            except Exception:
                _log.exception("change listener failed on %r", change)

    async def _node_client(self) -> Redis:
        """A fresh single-connection client for the subscription, retries off."""
        settings: dict[str, Any]
        connection_class: type[Any]
        if isinstance(self.client, RedisCluster):
            _ = await self.client.initialize()
            nodes = self.client.get_nodes()
            node = nodes[self._next_node % len(nodes)]
            self._next_node += 1  # the next attempt (after a failure) tries another node
            settings = dict(node.connection_kwargs)
            settings.update(host=node.host, port=node.port)
            connection_class = node.connection_class
        else:
            pool = self.client.connection_pool
            settings = dict(pool.connection_kwargs)
            connection_class = pool.connection_class
        for key in ("event_dispatcher", "response_callbacks", "retry_on_error"):
            settings.pop(key, None)
        settings["retry"] = Retry(NoBackoff(), 0)
        # Nobody waits on this connection: a busy event loop must not read as a dead node
        # (a false alarm makes every instance re-read its L1 from L2).
        settings["socket_timeout"] = max(settings.get("socket_timeout") or 0.0, FEED_SOCKET_TIMEOUT)
        pool = ConnectionPool(connection_class=connection_class, max_connections=2, **settings)
        return Redis(connection_pool=pool)


def _address(client: Redis) -> str:
    kwargs = client.connection_pool.connection_kwargs
    return f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"
