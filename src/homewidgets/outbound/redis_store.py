"""L2 on Redis/Valkey (one server or a Cluster): one hash per user, one for generic widgets.

Keys (namespace `hw:` by default) are Cluster-ready: a user's keys share the hash tag
`{<user_id>}`, so each script touches one slot.

    hw:{<user_id>}:w   hash  product -> envelope (see `_envelope`), EXPIRE refreshed per write
    hw:generic         hash  product -> envelope
    hw:changes         pub/sub channel of change notices, published by the write script

Every write is one Lua script (EVALSHA) that compares versions, writes, refreshes the
key's EXPIRE and PUBLISHes the change notice: a notice can neither be lost for a stored
write nor be sent for a refused one. Notices are tiny and split on "|":
`u|<product>|<version>|<user_id>` and `g|<product>|<version>`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from redis.exceptions import NoScriptError

from homewidgets.domain.model import PutOutcome, StoredWidget, WidgetWrite
from homewidgets.outbound import _envelope
from homewidgets.outbound._redis_client import RedisClient, Timeouts, connect, unavailable

__all__ = ["DEFAULT_USER_TTL_SECONDS", "RedisWidgetStore"]

DEFAULT_USER_TTL_SECONDS = 30 * 24 * 3600

# Versions stay strings in Lua where they are written out, so a 13-digit epoch-millis
# version is not reformatted as "1.7e+12"; comparisons use Lua numbers (exact < 2**53).
_PUT = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
local version = ARGV[2]
if old then
  local stored = string.sub(old, 1, string.find(old, '|', 1, true) - 1)
  if version == '' then
    version = string.format('%d', tonumber(stored) + 1)
  else
    local wanted, have = tonumber(version), tonumber(stored)
    if wanted < have then return {stored, -1} end
    if wanted == have then return {stored, 0} end
  end
elseif version == '' then
  version = '1'
end
redis.call('HSET', KEYS[1], ARGV[1], version .. '|' .. ARGV[3] .. '|' .. ARGV[4] .. '|' .. ARGV[5])
if ARGV[6] ~= '0' then redis.call('EXPIRE', KEYS[1], ARGV[6]) end
redis.call('PUBLISH', ARGV[7], ARGV[8] .. version .. ARGV[9])
return {version, 1}
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
        keys, args = self._put_call(write)
        with unavailable("storing a widget"):
            reply = await self._put_script(keys, args)
        return _outcome(reply)

    async def put_many(self, writes: Sequence[WidgetWrite]) -> list[PutOutcome]:
        """All writes in one pipeline (one round trip per node), outcomes in order."""
        if not writes:
            return []
        calls = [self._put_call(write) for write in writes]
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
                with unavailable("storing widgets"):
                    raise reply
        return [_outcome(reply) for reply in replies]

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

    def _put_call(self, write: WidgetWrite) -> tuple[list[str], list[bytes | str]]:
        priority, expires = _envelope.header(write)
        version = b"" if write.version is None else b"%d" % write.version
        if write.user_id is None:
            key, ttl, prefix, suffix = self._generic_key, b"0", f"g|{write.product}|", ""
        else:
            key, ttl = self.user_key(write.user_id), self._ttl
            prefix, suffix = f"u|{write.product}|", f"|{write.user_id}"
        args: list[bytes | str] = [write.product, version, priority, expires, write.content]
        return [key], [*args, ttl, self.channel, prefix, suffix]

    async def _evalsha_all(self, calls: list[tuple[list[str], list[bytes | str]]]) -> list[Any]:
        pipe = self.client.pipeline(transaction=False)
        sha = self._put_script.sha
        for keys, args in calls:
            _ = pipe.execute_command("EVALSHA", sha, len(keys), *keys, *args)
        return list(await pipe.execute(raise_on_error=False))


def _outcome(reply: list[Any]) -> PutOutcome:
    version, status = int(reply[0]), int(reply[1])
    if status == _STALE:
        return PutOutcome(version, stored=False, stale=True)
    return PutOutcome(version, stored=status != _SAME)


def _live(raw: dict[Any, Any]) -> dict[str, StoredWidget]:
    now = time.time()
    live = {}
    for field, envelope in raw.items():
        product = field.decode()
        widget = _envelope.decode(product, envelope, now)
        if widget is not None:
            live[product] = widget
    return live
