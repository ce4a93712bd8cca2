"""Who watches which home: pings coalesce, the bound holds, and closing ends every stream."""

from __future__ import annotations

import asyncio

from homewidgets.domain.live import HomeWatchers


async def test_a_change_pings_every_watcher_of_that_user_once() -> None:
    watchers = HomeWatchers()
    a, b, other = watchers.watch("u1"), watchers.watch("u1"), watchers.watch("u2")
    assert a is not None and b is not None and other is not None
    watchers.notify("u1")
    watchers.notify("u1")  # coalesces: a slow client holds one pending ping at most
    assert (a.qsize(), b.qsize(), other.qsize()) == (1, 1, 0)


def test_no_more_watchers_than_the_bound() -> None:
    watchers = HomeWatchers(max_watchers=2)
    assert watchers.watch("u1") is not None and watchers.watch("u2") is not None
    assert watchers.watch("u3") is None
    assert len(watchers) == 2


async def test_closing_wakes_every_stream_refuses_new_ones_and_waits_for_them() -> None:
    watchers = HomeWatchers()
    queues = [watchers.watch(f"u{i}") for i in range(3)]
    watchers.close()
    assert all(q is not None and q.qsize() == 1 for q in queues)  # woken to see `closed`
    assert watchers.watch("late") is None
    drained = asyncio.ensure_future(watchers.drained())
    for i, queue in enumerate(queues):
        await asyncio.sleep(0)
        assert not drained.done()
        assert queue is not None
        watchers.unwatch(f"u{i}", queue)
    await asyncio.wait_for(drained, 1)


async def test_closing_with_no_stream_open_is_drained_at_once() -> None:
    watchers = HomeWatchers()
    watchers.close()
    await asyncio.wait_for(watchers.drained(), 1)
