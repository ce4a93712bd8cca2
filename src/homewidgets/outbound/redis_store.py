"""L2 on Redis/Valkey (one server or a Cluster): one hash per user, one for generic widgets.

Keys (namespace `hw:` by default) are Cluster-ready: a user's keys share the hash tag
`{<user_id>}`, so each script touches one slot.

    hw:{<user_id>}:w   hash  product -> envelope (see `_envelope`), EXPIRE refreshed per write
    hw:generic         hash  product -> envelope
    hw:changes         pub/sub channel of change notices, published by the write script

Every write goes through one Lua script (EVALSHA) that compares versions, writes,
refreshes the key's EXPIRE and PUBLISHes the change notice: a notice can neither be lost
for a stored write nor be sent for a refused one. Notices are tiny and split on "|":
`u|<product>|<version>|<user_id>` and `g|<product>|<version>`; a script storing many
widgets publishes their notices as one message, one notice a line (a batch of 1,000
writes costs the subscribers a handful of messages, not a thousand).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import NoScriptError, ResponseError

from homewidgets.domain.model import PutOutcome, StoredWidget, WidgetWrite
from homewidgets.outbound import _envelope
from homewidgets.outbound._redis_client import RedisClient, Timeouts, connect, unavailable

__all__ = ["DEFAULT_USER_TTL_SECONDS", "RedisWidgetStore"]

DEFAULT_USER_TTL_SECONDS = 30 * 24 * 3600

# One script stores one or many writes, in order (KEYS[i] is the hash of write i;
# ARGV[1] the channel, then 8 ARGV per write). Versions stay strings where they are
# written out, so an epoch-millis version is not reformatted as "1.7e+12"; comparisons
# use Lua numbers (exact below 2**53). Returns version, status (-1 stale, 0 same, 1 stored)
# for each write.
_PUT = """
local out, notices = {}, {}
for i = 1, #KEYS do
  local a = 2 + (i - 1) * 8
  local key, field, version = KEYS[i], ARGV[a], ARGV[a + 1]
  local old = redis.call('HGET', key, field)
  local status = 1
  if old then
    local stored = string.sub(old, 1, string.find(old, '|', 1, true) - 1)
    if version == '' then
      version = string.format('%d', tonumber(stored) + 1)
    else
      local wanted, have = tonumber(version), tonumber(stored)
      if wanted < have then status = -1 elseif wanted == have then status = 0 end
      if status ~= 1 then version = stored end
    end
  elseif version == '' then
    version = '1'
  end
  if status == 1 then
    redis.call('HSET', key, field,
      version .. '|' .. ARGV[a + 2] .. '|' .. ARGV[a + 3] .. '|' .. ARGV[a + 4])
    if ARGV[a + 5] ~= '0' then redis.call('EXPIRE', key, ARGV[a + 5]) end
    notices[#notices + 1] = ARGV[a + 6] .. version .. ARGV[a + 7]
  end
  out[2 * i - 1] = version
  out[2 * i] = status
end
if #notices > 0 then redis.call('PUBLISH', ARGV[1], table.concat(notices, '\\n')) end
return out
"""

_DELETE = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return 0 end
local p1 = string.find(old, '|', 1, true)
local p2 = string.find(old, '|', p1 + 1, true)
local p3 = string.find(old, '|', p2 + 1, true)
if p3 == #old then return 0 end
local version = string.sub(old, 1, p1 - 1)
redis.call('HSET', KEYS[1], ARGV[1], version .. '|0||')
if ARGV[3] ~= '0' then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
redis.call('PUBLISH', ARGV[4], ARGV[5] .. version .. ARGV[6])
local expires = string.sub(old, p2 + 1, p3 - 1)
if expires ~= '' and tonumber(expires) <= tonumber(ARGV[2]) then return 0 end
return 1
"""

_STALE, _SAME = -1, 0
BATCH = 100  # writes per script call in put_many on one server


class RedisWidgetStore:
    """WidgetStore on a ready redis-py asyncio client (`Redis` or `RedisCluster`).

    The store does not close a client it was given; one made by `from_url` is closed
    by `aclose()`. Lives as long as the app. `decode_responses` must be off.
    """

    def __init__(
        self,
        client: RedisClient,
        *,
        namespace: str = "hw:",
        user_ttl_seconds: int = DEFAULT_USER_TTL_SECONDS,
        close_client: bool = False,
    ) -> None:
        self.client = client
        self.namespace = namespace
        self.channel = f"{namespace}changes"
        self._generic_key = f"{namespace}generic"
        self._ttl = b"%d" % user_ttl_seconds
        self._close_client = close_client
        self._put_script = client.register_script(_PUT)
        self._sha = self._put_script.sha.encode()
        self._channel_bytes = self.channel.encode()
        self._namespace_bytes = namespace.encode()
        self._generic_key_bytes = self._generic_key.encode()
        self._cluster = isinstance(client, RedisCluster)
        self._single = client if isinstance(client, Redis) else None
        self._delete_script = client.register_script(_DELETE)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        namespace: str = "hw:",
        user_ttl_seconds: int = DEFAULT_USER_TTL_SECONDS,
        timeouts: Timeouts | None = None,
    ) -> RedisWidgetStore:
        """A store owning a new client for `url` (`redis://…` or `redis+cluster://…`)."""
        return cls(
            connect(url, timeouts),
            namespace=namespace,
            user_ttl_seconds=user_ttl_seconds,
            close_client=True,
        )

    async def aclose(self) -> None:
        if self._close_client:
            await self.client.aclose()

    def user_key(self, user_id: str) -> str:
        return f"{self.namespace}{{{user_id}}}:w"

    async def user_widgets(self, user_id: str) -> dict[str, StoredWidget]:
        with unavailable("reading a user's widgets"):
            raw = await self.client.hgetall(self.user_key(user_id))
        return _live(raw)

    async def generic_widgets(self) -> dict[str, StoredWidget]:
        with unavailable("reading the generic widgets"):
            raw = await self.client.hgetall(self._generic_key)
        return _live(raw)

    async def put(self, write: WidgetWrite) -> PutOutcome:
        keys, args = self._put_args([write])
        with unavailable("storing a widget"):
            reply = await self._put_script(keys, [self._channel_bytes, *args])
        return _outcomes(reply)[0]

    async def put_many(self, writes: Sequence[WidgetWrite]) -> list[PutOutcome]:
        """All writes in one pipeline (one round trip per node), outcomes in order.

        On one server, writes go in scripts of `BATCH` writes each: far less work per
        write for both redis-py and Redis than a script call per write, while no script
        holds the server for more than a few milliseconds. On a Cluster, a user's keys
        live on different shards, so each write is its own script call.
        """
        if not writes:
            return []
        size = 1 if self._cluster else BATCH
        calls = [self._put_args(writes[i : i + size]) for i in range(0, len(writes), size)]
        with unavailable("storing widgets"):
            replies = await self._evalsha_all(calls)
            missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
            if missing:  # the server restarted or failed over: load once, redo those
                await self.client.script_load(_PUT)
                again = await self._evalsha_all([calls[i] for i in missing])
                for i, reply in zip(missing, again, strict=True):
                    replies[i] = reply
            for reply in replies:
                if isinstance(reply, Exception):
                    raise reply
        return [outcome for reply in replies for outcome in _outcomes(reply)]

    async def delete(self, product: str, user_id: str) -> bool:
        keys = [self.user_key(user_id)]
        args: list[bytes | str] = [
            product,
            b"%d" % round(time.time() * 1000),
            self._ttl,
            self.channel,
            f"u|{product}|",
            f"|{user_id}",
        ]
        with unavailable("deleting a widget"):
            return bool(await self._delete_script(keys, args))

    async def ping(self) -> None:
        with unavailable("pinging L2"):
            await self.client.ping()

    def _put_args(self, writes: Sequence[WidgetWrite]) -> tuple[list[bytes], list[bytes]]:
        """KEYS and the per-write ARGV of the put script (without the channel), as bytes."""
        keys: list[bytes] = []
        args: list[bytes] = []
        ttl, namespace = self._ttl, self._namespace_bytes
        for write in writes:
            priority, expires = _envelope.header(write)
            version = b"" if write.version is None else b"%d" % write.version
            product = write.product.encode()
            if write.user_id is None:
                keys.append(self._generic_key_bytes)
                args += (product, version, priority, expires, write.content, b"0",
                         b"g|%s|" % product, b"")  # fmt: skip
            else:
                user = write.user_id.encode()
                keys.append(b"%s{%s}:w" % (namespace, user))
                args += (product, version, priority, expires, write.content, ttl,
                         b"u|%s|" % product, b"|%s" % user)  # fmt: skip
        return keys, args

    async def _evalsha_all(self, calls: list[tuple[list[bytes], list[bytes]]]) -> list[Any]:
        if self._single is not None:
            return await self._evalsha_packed(self._single, calls)
        pipe = self.client.pipeline(transaction=False)
        sha, channel = self._sha, self._channel_bytes
        for keys, args in calls:
            # execute_command: RedisCluster's pipeline refuses its own evalsha() method.
            _ = pipe.execute_command("EVALSHA", sha, len(keys), *keys, channel, *args)
        return list(await pipe.execute(raise_on_error=False))

    async def _evalsha_packed(
        self, client: Redis, calls: list[tuple[list[bytes], list[bytes]]]
    ) -> list[Any]:
        """`_evalsha_all` on one server: our own RESP packing, one pooled connection.

        redis-py's pipeline re-copies a growing buffer for every argument; with a
        thousand ~1 KiB contents that was half of put_many's CPU. Packing is linear here.
        """
        sha, channel = self._sha, self._channel_bytes
        packed = [
            _resp([b"EVALSHA", sha, b"%d" % len(keys), *keys, channel, *args])
            for keys, args in calls
        ]
        pool = client.connection_pool
        connection = await pool.get_connection()  # type: ignore[no-untyped-call]
        try:
            await connection.send_packed_command(packed)
            replies: list[Any] = []
            for _ in packed:
                try:
                    replies.append(await connection.read_response())
                except ResponseError as exc:  # e.g. NOSCRIPT: keep reading the others
                    replies.append(exc)
            return replies
        except BaseException:
            await connection.disconnect()  # replies may be left unread on it
            raise
        finally:
            await pool.release(connection)


def _resp(args: list[bytes]) -> bytes:
    """One command in the Redis protocol."""
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def _outcomes(reply: list[Any]) -> list[PutOutcome]:
    outcomes = []
    for i in range(0, len(reply), 2):
        version, status = int(reply[i]), reply[i + 1]
        if status == _STALE:
            outcomes.append(PutOutcome(version, stored=False, stale=True))
        else:
            outcomes.append(PutOutcome(version, stored=status != _SAME))
    return outcomes


def _live(raw: dict[Any, Any]) -> dict[str, StoredWidget]:
    now = time.time()
    live = {}
    for field, envelope in raw.items():
        product = field.decode()
        widget = _envelope.decode(product, envelope, now)
        if widget is not None:
            live[product] = widget
    return live
