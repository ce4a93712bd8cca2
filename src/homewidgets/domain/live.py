"""Who is watching which home on this instance, for the live events stream.

A watcher is an asyncio.Queue of "something changed" pings; it holds no home data,
so a slow client costs one pending item at most (the queue is size 1: pings coalesce).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict


class HomeWatchers:
    """Lives as long as the app; touched only from the event loop."""

    def __init__(self, max_watchers: int = 10_000) -> None:
        self._by_user: defaultdict[str, set[asyncio.Queue[None]]] = defaultdict(set)
        self._count = 0
        self.max_watchers = max_watchers
        self.closed = False  # shutting down: streams end at their next wake-up
        self._gone = asyncio.Event()  # closed, and the last stream has gone

    def watch(self, user_id: str) -> asyncio.Queue[None] | None:
        """A queue that gets a ping when the user's home changes; None when full or closed."""
        if self._count >= self.max_watchers or self.closed:
            return None
        queue: asyncio.Queue[None] = asyncio.Queue(maxsize=1)
        self._by_user[user_id].add(queue)
        self._count += 1
        return queue

    def unwatch(self, user_id: str, queue: asyncio.Queue[None]) -> None:
        queues = self._by_user.get(user_id)
        if queues is not None and queue in queues:
            queues.discard(queue)
            self._count -= 1
            if not queues:
                del self._by_user[user_id]
            if self.closed and not self._count:
                self._gone.set()

    def notify(self, user_id: str) -> None:
        for queue in self._by_user.get(user_id, ()):
            if queue.empty():
                queue.put_nowait(None)

    def notify_all(self) -> None:
        for user_id in list(self._by_user):
            self.notify(user_id)

    def close(self) -> None:
        """Shutting down: wake every stream so it ends (streams check `closed`), and
        refuse new ones. The server cannot finish draining while a stream is open."""
        self.closed = True
        self.notify_all()
        if not self._count:
            self._gone.set()

    async def drained(self) -> None:
        """Returns once `close` was called and every stream has gone."""
        await self._gone.wait()

    def __len__(self) -> int:
        return self._count
