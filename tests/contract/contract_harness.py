"""What the contract tests hold on to: an adapter pair plus what it delivered.

A module of its own (not conftest.py) so the test modules can import these names.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from homewidgets.domain.model import Change, WidgetWrite
from homewidgets.domain.ports import ChangeFeed, RefreshConsumer, RefreshQueue, WidgetStore


async def eventually(check: Callable[[], bool], within: float = 2.0) -> None:
    """Wait until `check()` holds; fail the test after `within` seconds."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {within}s")
        await asyncio.sleep(0.005)


@dataclass
class FeedHarness:
    """A store, the feed of the same L2, and every change the feed delivered."""

    store: WidgetStore
    feed: ChangeFeed
    changes: list[Change] = field(default_factory=list)
    # On a Cluster, notices from different shards may overtake each other: wait a little
    # after the sentinel before concluding that no other notice is coming.
    grace: float = 0.0

    async def settle(self, user_id: str | None = None) -> list[Change]:
        """The changes so far, once a fresh write's own notice has come through.

        Notices from one server arrive in order, so after the sentinel's nothing older is
        in flight: a test can then assert that a write produced NO notice, without sleeping.
        On a Cluster that holds per shard: pass the user whose writes are checked, so the
        sentinel goes to the same hash (and shard) as theirs.
        """
        sentinel_product = "sentinel"
        outcome = await self.store.put(
            WidgetWrite(sentinel_product, user_id, b'{"type":"divider"}')
        )
        await eventually(
            lambda: any(
                c.product == sentinel_product and c.version == outcome.version for c in self.changes
            )
        )
        await asyncio.sleep(self.grace)
        return [c for c in self.changes if c.product != sentinel_product]


@dataclass
class QueueHarness:
    """The read side's queue and a factory of worker-side consumers of the same stream.

    `make_queue` builds another read-side queue (e.g. with a short dedup window); on
    memory it does not share state with `queue`, so use it for enqueue counts only.
    """

    queue: RefreshQueue
    new_consumer: Callable[..., RefreshConsumer]
    make_queue: Callable[[int], RefreshQueue]
