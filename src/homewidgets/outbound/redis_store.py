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
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.exceptions import NoScriptError, ResponseError

from homewidgets.domain.model import PutOutcome, StoredWidget, WidgetWrite
from homewidgets.outbound import _envelope
from homewidgets.outbound._redis_client import RedisClient, Timeouts, connect, unavailable
from homewidgets.outbound.redis_read_batcher import HashReadBatcher

__all__ = ["DEFAULT_USER_TTL_SECONDS", "RedisWidgetStore"]

DEFAULT_USER_TTL_SECONDS = 30 * 24 * 3600
T = TypeVar("T")

# One script stores one or many writes, in order (KEYS[i] is the hash of write i;
# ARGV[1] the channel, then 6 ARGV per write: field, version, the envelope (without its
# leading "<version>|" when the version is to be assigned here: copying a content inside
# Lua costs Redis more than anything else the script does per write), the key's TTL,
# and the notice before and after the version). Versions stay
# strings where they are written out, so an epoch-millis version is not reformatted as
# "1.7e+12"; comparisons use Lua numbers (exact below 2**53). Returns version, status
# (-1 stale, 0 same, 1 stored) for each write.
_PUT = """
local out, notices = {}, {}
for i = 1, #KEYS do
  local a = 2 + (i - 1) * 6
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
    local envelope = ARGV[a + 2]
    if ARGV[a + 1] == '' then envelope = version .. '|' .. envelope end
    redis.call('HSET', key, field, envelope)
    if ARGV[a + 3] ~= '0' then redis.call('EXPIRE', key, ARGV[a + 3]) end
    notices[#notices + 1] = ARGV[a + 4] .. version .. ARGV[a + 5]
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
        self._single = client if isinstance(client, Redis) else None
        self._user_reads = HashReadBatcher(client)  # L1 misses of one loop turn: one pipeline
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
            raw = await self._user_reads.hgetall(self.user_key(user_id))
        return _live(raw)

    async def generic_widgets(self) -> dict[str, StoredWidget]:
        with unavailable("reading the generic widgets"):
            raw = await self.client.hgetall(self._generic_key)
        return _live(raw)

    async def put(self, write: WidgetWrite) -> PutOutcome:
        keys, args = self._put_args([write])
        with unavailable("storing a widget"):
            reply = await self._put_script(keys, [self._channel_bytes, *args])
        return _outcomes([reply])[0]

    async def put_many(self, writes: Sequence[WidgetWrite]) -> list[PutOutcome]:
        """All writes in one pipeline (one round trip per node), outcomes in order.

        On one server, writes go in scripts of `BATCH` writes each: far less work per
        write for both redis-py and Redis than a script call per write, while no script
        holds the server for more than a few milliseconds. On a Cluster, a user's keys
        live on different shards, so each write is its own script call.
        """
        if not writes:
            return []
        with unavailable("storing widgets"):
            if self._single is not None:
                single = self._single
                packed = [self._packed_put(writes[i : i + BATCH])
                          for i in range(0, len(writes), BATCH)]  # fmt: skip
                replies = await self._with_script(
                    packed, lambda commands: self._send_packed(single, commands))
            else:
                calls = [self._put_args([write]) for write in writes]
                replies = await self._with_script(calls, self._evalsha_all)
        return _outcomes(replies)

    async def _with_script(
        self, commands: list[T], send: Callable[[list[T]], Awaitable[list[Any]]]
    ) -> list[Any]:
        """`send(commands)`'s replies, in order. Commands refused for an unknown script
        (the server restarted or failed over) are sent once more after loading it; then
        the first error left is raised."""
        replies = await send(commands)
        missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
        if missing:
            await self.client.script_load(_PUT)
            again = await send([commands[i] for i in missing])
            for i, reply in zip(missing, again, strict=True):
                replies[i] = reply
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return replies

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
        for write in writes:
            key, product, version, head, ttl, before, after = self._write_parts(write)
            keys.append(key)
            args += (product, version, head + write.content, ttl, before, after)
        return keys, args

    def _write_parts(self, write: WidgetWrite) -> tuple[bytes, ...]:
        """key, field, version, envelope head (content follows), TTL, notice parts."""
        priority, expires = _envelope.header(write)
        product = write.product.encode()
        if write.version is None:
            version, head = b"", b"%s|%s|" % (priority, expires)
        else:
            version = b"%d" % write.version
            head = b"%s|%s|%s|" % (version, priority, expires)
        if write.user_id is None:
            return self._generic_key_bytes, product, version, head, b"0", b"g|%s|" % product, b""
        user = write.user_id.encode()
        key = b"%s{%s}:w" % (self._namespace_bytes, user)
        return key, product, version, head, self._ttl, b"u|%s|" % product, b"|%s" % user

    def _packed_put(self, writes: Sequence[WidgetWrite]) -> bytes:
        """One EVALSHA of the put script for `writes`, in the Redis protocol.

        The same command as EVALSHA with `_put_args` (a test holds them equal), packed
        with one format per write:
        redis-py's packer re-copies a growing buffer for every argument, and even a
        generic per-argument packer was a tenth of put_many's CPU.
        """
        keys: list[bytes] = []
        args: list[bytes] = []
        for write in writes:
            key, product, version, head, ttl, before, after = self._write_parts(write)
            content = write.content
            keys.append(b"$%d\r\n%s\r\n" % (len(key), key))
            args.append(
                b"$%d\r\n%s\r\n$%d\r\n%s\r\n$%d\r\n%s%s\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
                % (len(product), product, len(version), version,
                   len(head) + len(content), head, content, len(ttl), ttl,
                   len(before), before, len(after), after)
            )  # fmt: skip
        count = b"%d" % len(writes)
        head = b"*%d\r\n$7\r\nEVALSHA\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (
            4 + 7 * len(writes), len(self._sha), self._sha, len(count), count)  # fmt: skip
        channel = b"$%d\r\n%s\r\n" % (len(self._channel_bytes), self._channel_bytes)
        return b"".join([head, *keys, channel, *args])

    async def _evalsha_all(self, calls: list[tuple[list[bytes], list[bytes]]]) -> list[Any]:
        """The calls in one Cluster pipeline (one round trip per node), replies in order."""
        pipe = self.client.pipeline(transaction=False)
        sha, channel = self._sha, self._channel_bytes
        for keys, args in calls:
            # execute_command: RedisCluster's pipeline refuses its own evalsha() method.
            _ = pipe.execute_command("EVALSHA", sha, len(keys), *keys, channel, *args)
        return list(await pipe.execute(raise_on_error=False))

    async def _send_packed(self, client: Redis, packed: list[bytes]) -> list[Any]:
        """Packed commands on one pooled connection of one server, replies in order."""
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


def _outcomes(replies: list[Any]) -> list[PutOutcome]:
    """The outcome of every write in the script replies, in order.

    Outcomes are immutable values and a batch mostly repeats one (same version, stored),
    so each distinct (version, status) is built once per call.
    """
    outcomes: list[PutOutcome] = []
    made: dict[tuple[Any, Any], PutOutcome] = {}
    for reply in replies:
        for i in range(0, len(reply), 2):
            key = (reply[i], reply[i + 1])
            outcome = made.get(key)
            if outcome is None:
                version, status = int(key[0]), key[1]
                if status == _STALE:
                    outcome = PutOutcome(version, stored=False, stale=True)
                else:
                    outcome = PutOutcome(version, stored=status != _SAME)
                made[key] = outcome
            outcomes.append(outcome)
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
