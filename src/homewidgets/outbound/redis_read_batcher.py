"""Reads of many users' hashes that arrive together go to Redis as one pipeline.

Each L1 miss reads one user's hash. Sent one by one, redis-py spends 175-189 CPU µs per
HGETALL here (its command and connection handling, not Redis); the same reads in one
pipeline cost 20-25 µs each (`bench/micro_reads.py`, 256 keys, 2026-11-26). Misses
come in bursts: a cold start, a flood of new users, a change-feed reconnect. So readers
queue their key, and the first one of an event-loop turn schedules one flush for all the
keys queued by then; a lone read goes out as a plain HGETALL.
"""

from __future__ import annotations

import asyncio
from typing import Any

from homewidgets.outbound._redis_client import RedisClient

MAX_BATCH = 256  # keys per pipeline: bounds one reply's size and one pipeline's latency


class HashReadBatcher:
    """`await batcher.hgetall(key)`, as redis-py's, but sharing round trips.

    Errors reach every reader of the failed batch, as redis-py raised them. Lives as long
    as its client; touched only from one event loop.
    """

    def __init__(self, client: RedisClient, *, max_batch: int = MAX_BATCH) -> None:
        self._client = client
        self._max_batch = max_batch
        self._queued: list[tuple[str, asyncio.Future[Any]]] = []
        self._sending: set[asyncio.Task[None]] = set()
        self.round_trips = 0  # batches sent (the tests count them)

    async def hgetall(self, key: str) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if not self._queued:
            loop.call_soon(self._flush)
        self._queued.append((key, future))
        return await future

    def _flush(self) -> None:
        queued, self._queued = self._queued, []
        for start in range(0, len(queued), self._max_batch):
            task = asyncio.ensure_future(self._send(queued[start : start + self._max_batch]))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[tuple[str, asyncio.Future[Any]]]) -> None:
        self.round_trips += 1
        try:
            if len(batch) == 1:
                replies = [await self._client.hgetall(batch[0][0])]
            else:
                pipe = self._client.pipeline(transaction=False)
                for key, _ in batch:
                    _ = pipe.hgetall(key)  # queued; the pipeline returns it
                replies = await pipe.execute()
        except asyncio.CancelledError:
            for _, future in batch:
                future.cancel()
            raise
        except Exception as exc:  # every reader of the batch gets the failure
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), reply in zip(batch, replies, strict=True):
            if not future.done():
                future.set_result(reply)
