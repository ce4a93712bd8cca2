"""The EventLog contract: per-product, ordered, bounded, readable from a point or live."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from homewidgets.domain.ports import EventLog

LogFactory = Callable[..., EventLog]


def event(n: int) -> bytes:
    return b'{"type":"click","n":%d}' % n


def ids_increase(ids: list[str]) -> bool:
    keys = [tuple(int(part) for part in i.split("-")) for i in ids]
    return keys == sorted(keys) and len(set(keys)) == len(keys)


async def test_appended_events_are_read_back_in_order_from_the_start(
    event_log_factory: LogFactory,
) -> None:
    log = event_log_factory()
    await log.append("energy", [event(1), event(2)])
    await log.append("energy", [event(3)])

    read = await log.read("energy", "0", count=100, block_ms=0)

    assert [e for _, e in read] == [event(1), event(2), event(3)]
    assert ids_increase([i for i, _ in read])


async def test_reading_after_an_id_returns_only_later_events_up_to_count(
    event_log_factory: LogFactory,
) -> None:
    log = event_log_factory()
    await log.append("energy", [event(n) for n in range(10)])
    first = await log.read("energy", "0", count=4, block_ms=0)

    rest = await log.read("energy", first[-1][0], count=100, block_ms=0)

    assert [e for _, e in first] == [event(n) for n in range(4)]
    assert [e for _, e in rest] == [event(n) for n in range(4, 10)]


async def test_products_have_separate_logs(event_log_factory: LogFactory) -> None:
    log = event_log_factory()
    await log.append("energy", [event(1)])
    await log.append("hotels", [event(2)])

    assert [e for _, e in await log.read("hotels", "0", 10, 0)] == [event(2)]
    assert await log.read("flights", "0", 10, 0) == []


async def test_a_live_reader_waits_for_new_events_only(event_log_factory: LogFactory) -> None:
    log = event_log_factory()
    await log.append("energy", [event(0)])  # old: a "$" reader does not want it

    async def append_later() -> None:
        await asyncio.sleep(0.1)
        await log.append("energy", [event(1)])

    later = asyncio.create_task(append_later())
    read = await log.read("energy", "$", count=10, block_ms=2000)
    await later

    assert [e for _, e in read] == [event(1)]


async def test_a_blocking_read_returns_nothing_after_block_ms(
    event_log_factory: LogFactory,
) -> None:
    log = event_log_factory()
    await log.append("energy", [event(0)])
    [(last, _)] = await log.read("energy", "0", 10, 0)

    started = time.monotonic()
    assert await log.read("energy", last, count=10, block_ms=200) == []
    assert 0.15 < time.monotonic() - started < 1.5


async def test_the_log_is_bounded_and_drops_the_oldest_events(
    event_log_factory: LogFactory,
) -> None:
    # Redis trims approximately (whole nodes of ~100 entries), so assert the bound loosely.
    log = event_log_factory(maxlen=10)
    for start in range(0, 1000, 100):
        await log.append("energy", [event(n) for n in range(start, start + 100)])

    kept = [e for _, e in await log.read("energy", "0", count=10_000, block_ms=0)]

    assert 10 <= len(kept) <= 300
    assert kept == [event(n) for n in range(1000 - len(kept), 1000)]


async def test_appending_nothing_adds_nothing(event_log_factory: LogFactory) -> None:
    log = event_log_factory()
    await log.append("energy", [])

    assert await log.read("energy", "0", 10, 0) == []


async def test_last_id_is_the_newest_events_id_and_reading_after_it_gets_only_newer(
    event_log_factory: LogFactory,
) -> None:
    log = event_log_factory()
    assert await log.last_id("energy") == "0-0"
    await log.append("energy", [event(1), event(2)])

    last = await log.last_id("energy")
    await log.append("energy", [event(3)])

    assert last == (await log.read("energy", "0", 10, 0))[1][0]
    assert [e for _, e in await log.read("energy", last, 10, 0)] == [event(3)]
