"""Redis Streams adapters: the cold-user refresh queue and the per-product event logs.

    hw:refresh              stream  {u: <user_id>, p: "<product>,<product>"}  MAXLEN ~
    hw:{<user_id>}:asked    string  "1" EX <dedup window>: the user was queued recently
    hw:events:<product>     stream  {e: <event JSON>}  MAXLEN ~

Every key is read or written alone, so the same code runs on one server and on a
Cluster. Blocking reads (XREADGROUP/XREAD with BLOCK) need a client whose socket
timeout is longer than the block: `from_url` builds one; when you pass your own
client, `max_block_ms` must stay below its `socket_timeout`.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Sequence
from typing import Any

from redis.exceptions import ResponseError

from homewidgets.domain.model import RefreshRequest
from homewidgets.outbound._redis_client import RedisClient, Timeouts, connect, unavailable

__all__ = [
    "DEFAULT_CLAIM_IDLE_MS",
    "DEFAULT_DEDUP_SECONDS",
    "DEFAULT_MAXLEN",
    "GROUP",
    "RedisEventLog",
    "RedisRefreshConsumer",
    "RedisRefreshQueue",
    "consumer_name",
]

DEFAULT_MAXLEN = 100_000
DEFAULT_DEDUP_SECONDS = 60
DEFAULT_CLAIM_IDLE_MS = 15_000
DEFAULT_MAX_BLOCK_MS = 5_000
GROUP = "hw-workers"


def consumer_name() -> str:
    """Unique per worker process, and readable in XINFO CONSUMERS."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


def _blocking_client(url: str, timeouts: Timeouts | None, max_block_ms: int) -> RedisClient:
    base = timeouts or Timeouts()
    return connect(url, Timeouts(base.socket + max_block_ms / 1000, base.connect, base.retries))


class RedisRefreshQueue:
    """The read path's side: queue users not asked for within the dedup window.

    Two round trips per call (SET NX for every user, then XADD for the fresh ones);
    in between nothing can go wrong but a dropped connection, after which a user waits
    one dedup window for the next try. Does not close a client it was given.
    """

    def __init__(
        self,
        client: RedisClient,
        *,
        namespace: str = "hw:",
        maxlen: int = DEFAULT_MAXLEN,
        dedup_seconds: int = DEFAULT_DEDUP_SECONDS,
        close_client: bool = False,
    ) -> None:
        self.client = client
        self.namespace = namespace
        self.stream = f"{namespace}refresh"
        self.maxlen = maxlen
        self.dedup_seconds = dedup_seconds
        self._close_client = close_client

    @classmethod
    def from_url(
        cls, url: str, *, timeouts: Timeouts | None = None, **kw: Any
    ) -> RedisRefreshQueue:
        return cls(connect(url, timeouts), close_client=True, **kw)

    async def aclose(self) -> None:
        if self._close_client:
            await self.client.aclose()

    async def enqueue(self, requests: Sequence[RefreshRequest]) -> int:
        if not requests:
            return 0
        with unavailable("queueing refresh requests"):
            pipe = self.client.pipeline(transaction=False)
            for request in requests:
                key = f"{self.namespace}{{{request.user_id}}}:asked"
                _ = pipe.set(key, b"1", nx=True, ex=self.dedup_seconds)
            fresh = [r for r, ok in zip(requests, await pipe.execute(), strict=True) if ok]
            if fresh:
                pipe = self.client.pipeline(transaction=False)
                for request in fresh:
                    fields: dict[Any, Any] = {
                        b"u": request.user_id,
                        b"p": ",".join(request.products),
                    }
                    _ = pipe.xadd(self.stream, fields, maxlen=self.maxlen, approximate=True)
                await pipe.execute()
        return len(fresh)


class RedisRefreshConsumer:
    """A worker's side: consumer group `hw-workers`, at-least-once.

    `receive` first claims entries another consumer received but did not acknowledge
    within `claim_idle_ms` (it died, or hangs), then reads new ones. Lives as long as
    the worker process; `consumer` names it in the group (unique by default).
    """

    def __init__(
        self,
        client: RedisClient,
        *,
        namespace: str = "hw:",
        consumer: str | None = None,
        claim_idle_ms: int = DEFAULT_CLAIM_IDLE_MS,
        max_block_ms: int = DEFAULT_MAX_BLOCK_MS,
        delete_acked: bool = True,
        close_client: bool = False,
    ) -> None:
        self.client = client
        self.stream = f"{namespace}refresh"
        self.consumer = consumer or consumer_name()
        self.claim_idle_ms = claim_idle_ms
        self.max_block_ms = max_block_ms
        self.delete_acked = delete_acked
        self._close_client = close_client
        self._group_ready = False
        self._cursor = "0-0"

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        timeouts: Timeouts | None = None,
        max_block_ms: int = DEFAULT_MAX_BLOCK_MS,
        **kw: Any,
    ) -> RedisRefreshConsumer:
        client = _blocking_client(url, timeouts, max_block_ms)
        return cls(client, max_block_ms=max_block_ms, close_client=True, **kw)

    async def aclose(self) -> None:
        if self._close_client:
            await self.client.aclose()

    async def receive(self, max_count: int, block_ms: int) -> list[tuple[str, RefreshRequest]]:
        with unavailable("receiving refresh requests"):
            try:
                return await self._receive(max_count, block_ms)
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                self._group_ready = False  # the stream was lost (restart, flush): recreate
                return await self._receive(max_count, block_ms)

    async def acknowledge(self, message_ids: Sequence[str]) -> None:
        if not message_ids:
            return
        with unavailable("acknowledging refresh requests"):
            pipe = self.client.pipeline(transaction=False)
            _ = pipe.xack(self.stream, GROUP, *message_ids)
            if self.delete_acked:
                _ = pipe.xdel(self.stream, *message_ids)
            await pipe.execute()

    async def _receive(self, max_count: int, block_ms: int) -> list[tuple[str, RefreshRequest]]:
        await self._ensure_group()
        claimed = await self.client.xautoclaim(
            self.stream,
            GROUP,
            self.consumer,
            min_idle_time=self.claim_idle_ms,
            start_id=self._cursor,
            count=max_count,
        )
        # The cursor walks the pending list over successive calls; "0-0" means "wrapped".
        self._cursor = _text(claimed[0])
        out = _requests(claimed[1])
        if len(out) >= max_count:
            return out
        block = min(block_ms, self.max_block_ms) if not out and block_ms > 0 else None
        reply = await self.client.xreadgroup(
            GROUP, self.consumer, {self.stream: ">"}, count=max_count - len(out), block=block
        )
        for entries in _stream_entries(reply):
            out.extend(_requests(entries))
        return out

    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            # From "0": requests queued before the first worker started are served too.
            await self.client.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True


class RedisEventLog:
    """EventLog: one capped stream per product; lives with the app or the consumer."""

    def __init__(
        self,
        client: RedisClient,
        *,
        namespace: str = "hw:",
        maxlen: int = DEFAULT_MAXLEN,
        max_block_ms: int = DEFAULT_MAX_BLOCK_MS,
        close_client: bool = False,
    ) -> None:
        self.client = client
        self.namespace = namespace
        self.maxlen = maxlen
        self.max_block_ms = max_block_ms
        self._close_client = close_client

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        timeouts: Timeouts | None = None,
        max_block_ms: int = DEFAULT_MAX_BLOCK_MS,
        **kw: Any,
    ) -> RedisEventLog:
        client = _blocking_client(url, timeouts, max_block_ms)
        return cls(client, max_block_ms=max_block_ms, close_client=True, **kw)

    async def aclose(self) -> None:
        if self._close_client:
            await self.client.aclose()

    def key(self, product: str) -> str:
        return f"{self.namespace}events:{product}"

    async def append(self, product: str, events: Sequence[bytes]) -> None:
        if not events:
            return
        key = self.key(product)
        with unavailable("appending events"):
            pipe = self.client.pipeline(transaction=False)
            for event in events:
                _ = pipe.xadd(key, {b"e": event}, maxlen=self.maxlen, approximate=True)
            await pipe.execute()

    async def read(
        self, product: str, after: str, count: int, block_ms: int
    ) -> list[tuple[str, bytes]]:
        block = min(block_ms, self.max_block_ms) if block_ms > 0 else None
        with unavailable("reading events"):
            reply = await self.client.xread({self.key(product): after}, count=count, block=block)
        return [
            (_text(entry_id), fields[b"e"])
            for entries in _stream_entries(reply)
            for entry_id, fields in entries
            if fields
        ]

    async def last_id(self, product: str) -> str:
        with unavailable("reading the last event id"):
            newest = await self.client.xrevrange(self.key(product), count=1)
        return _text(newest[0][0] or b"0-0") if newest else "0-0"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _stream_entries(reply: Any) -> list[Any]:
    """The entry lists of an XREAD/XREADGROUP reply, whichever RESP version parsed it."""
    if not reply:
        return []
    if isinstance(reply, dict):  # RESP3: {stream: [entries]}
        return [entries[0] if _is_nested(entries) else entries for entries in reply.values()]
    return [entries for _, entries in reply]  # RESP2: [[stream, entries], ...]


def _is_nested(entries: Any) -> bool:
    return bool(entries) and isinstance(entries[0], list) and not isinstance(entries[0], tuple)


def _requests(entries: Any) -> list[tuple[str, RefreshRequest]]:
    out = []
    for entry_id, fields in entries:
        if not fields:  # trimmed away while pending: nothing left to do
            continue
        products = fields.get(b"p", b"").decode()
        request = RefreshRequest(fields[b"u"].decode(), tuple(p for p in products.split(",") if p))
        out.append((_text(entry_id), request))
    return out
