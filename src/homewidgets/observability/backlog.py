"""How far behind the refresh workers are: the refresh queue's length and lag, at scrape time.

Read when /metrics is scraped, never per request. Knows the two queue adapters
(in-process and Redis Streams); for any other queue it reports nothing rather than guess.
A scrape must not hang on a slow L2, so the Redis probe has its own short deadline.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from homewidgets.domain.errors import StoreUnavailable
from homewidgets.domain.ports import RefreshQueue

PROBE_TIMEOUT_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class Backlog:
    """One reading of the refresh queue."""

    length: int  # entries queued now (undelivered + delivered but not acknowledged)
    undelivered: int  # not handed to any worker yet: the consumer group's lag
    pending: int  # handed to a worker, not acknowledged yet
    oldest_age_seconds: float  # age of the oldest undelivered entry; 0 when there is none


async def read_backlog(queue: RefreshQueue) -> Backlog | None:
    """The queue's backlog, or None when this kind of queue cannot tell or L2 is down."""
    from homewidgets.outbound.memory_streams import MemoryRefreshQueue
    from homewidgets.outbound.redis_streams import RedisRefreshQueue

    if isinstance(queue, MemoryRefreshQueue):
        return _memory_backlog(queue)
    if isinstance(queue, RedisRefreshQueue):
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
                return await _redis_backlog(queue)
        except (TimeoutError, StoreUnavailable):
            return None
    return None


def _age_of(entry_id: Any) -> float:
    text = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
    millis = int(text.partition("-")[0])
    return max(time.time() - millis / 1000, 0.0)


def _memory_backlog(queue: Any) -> Backlog:
    undelivered = len(queue.new)
    pending = len(queue.pending)
    oldest = _age_of(queue.new[0][0]) if undelivered else 0.0
    return Backlog(undelivered + pending, undelivered, pending, oldest)


async def _redis_backlog(queue: Any) -> Backlog:
    from redis.exceptions import ResponseError

    from homewidgets.outbound._redis_client import unavailable
    from homewidgets.outbound.redis_streams import GROUP

    client, stream = queue.client, queue.stream
    with unavailable("reading the refresh queue's backlog"):
        length = int(await client.xlen(stream))
        try:
            groups = await client.xinfo_groups(stream)
        except ResponseError:  # no stream yet: nothing was ever queued
            return Backlog(length, length, 0, 0.0)
        group = next((g for g in groups if _text(g.get("name")) == GROUP), None)
        if group is None:  # no worker has started yet: everything is undelivered
            first = await client.xrange(stream, count=1)
            return Backlog(length, length, 0, _age_of(first[0][0]) if first else 0.0)
        pending = int(group.get("pending") or 0)
        lag = group.get("lag")
        # Workers XDEL what they acknowledge, so length - pending is the lag whenever
        # Redis cannot compute it itself (it reports nil after deletions).
        undelivered = int(lag) if lag is not None else max(length - pending, 0)
        oldest = 0.0
        if undelivered:
            after = "(" + _text(group.get("last-delivered-id") or "0-0")
            first = await client.xrange(stream, min=after, count=1)
            oldest = _age_of(first[0][0]) if first else 0.0
    return Backlog(length, undelivered, pending, oldest)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
