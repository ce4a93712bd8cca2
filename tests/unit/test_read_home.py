"""Use case "get a user's home": L1 first, L2 once per user, generic when L2 is down."""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from fakes import RecordingRefreshQueue, SwitchableStore
from homewidgets.domain.generic import GenericWidgets
from homewidgets.domain.model import Change, WidgetWrite
from homewidgets.domain.read_home import HomeReader
from homewidgets.domain.refresh_requests import RefreshRequester
from homewidgets.outbound.l1_cache import MokaHomeCache
from homewidgets.registry import demo_registry

USER = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
TEXT = b'{"type":"text","text":"%s"}'


class World:
    def __init__(self) -> None:
        self.registry = demo_registry()
        self.store = SwitchableStore()
        self.queue = RecordingRefreshQueue()
        self.cache = MokaHomeCache(10_000_000)
        self.generic = GenericWidgets()
        self.refresher = RefreshRequester(self.queue, window_seconds=60)
        self.reader = HomeReader(
            registry=self.registry,
            store=self.store,
            cache=self.cache,
            generic=self.generic,
            refresher=self.refresher,
        )
        self.store.subscribe(self.reader.on_change)

    async def push(self, product: str, user: str | None, text: str, **kw: object) -> None:
        await self.store.put(WidgetWrite(product, user, TEXT % text.encode(), **kw))  # type: ignore[arg-type]

    async def home(self, user: str = USER) -> dict[str, object]:
        return msgspec.json.decode((await self.reader.read(user)).v1.body)  # type: ignore[no-any-return]


@pytest.fixture
async def world() -> World:
    w = World()
    for product in w.registry.pullable:
        await w.push(product, None, f"generic {product}")
    await w.reader.reload_generic()
    return w


def texts(home: dict[str, object]) -> dict[str, str]:
    return {w["product"]: w["content"]["text"] for w in home["widgets"]}  # type: ignore[attr-defined,index]


async def test_a_cold_user_gets_generic_widgets_and_one_refresh_request(world: World) -> None:
    home = await world.home()
    assert home["personalised"] is False
    assert texts(home)["energy"] == "generic energy"
    await world.home()  # a second read within the window asks nobody again
    await world.refresher.flush()
    assert len(world.queue.requests) == 1
    assert world.queue.requests[0].user_id == USER
    assert set(world.queue.requests[0].products) == set(world.registry.pullable)


async def test_a_second_read_is_an_l1_hit_without_touching_l2(world: World) -> None:
    await world.home()
    reads = world.store.user_reads
    assert world.reader.cached(USER) is not None
    await world.home()
    assert world.store.user_reads == reads


async def test_a_push_invalidates_l1_and_the_next_read_shows_it(world: World) -> None:
    await world.home()
    await world.push("energy", USER, "your tariff")
    assert world.reader.cached(USER) is None
    home = await world.home()
    assert texts(home)["energy"] == "your tariff"
    assert home["personalised"] is True


async def test_a_generic_change_rebuilds_cached_homes_without_l2_reads(world: World) -> None:
    await world.push("energy", USER, "your tariff")
    await world.home()
    reads = world.store.user_reads
    await world.push("flights", None, "new deals")
    await world.reader.reload_generic()
    assert texts(await world.home())["flights"] == "new deals"
    assert world.store.user_reads == reads


async def test_concurrent_misses_for_one_user_share_one_l2_read(world: World) -> None:
    homes = await asyncio.gather(*(world.reader.load(USER) for _ in range(20)))
    assert len({id(h) for h in homes}) == 1
    assert world.store.user_reads == 1


async def test_l2_down_serves_generic_marked_not_personalised(world: World) -> None:
    await world.push("energy", USER, "your tariff")
    world.store.down = True
    home = await world.home()
    assert home["personalised"] is False
    assert texts(home)["energy"] == "generic energy"
    assert all(w["personalised"] is False for w in home["widgets"])  # type: ignore[attr-defined]


async def test_l2_down_still_serves_what_l1_holds(world: World) -> None:
    await world.push("energy", USER, "your tariff")
    await world.home()
    world.store.down = True
    assert texts(await world.home())["energy"] == "your tariff"


async def test_after_a_feed_reset_a_home_is_served_once_more_and_reread_behind_it(
    world: World,
) -> None:
    await world.home()
    # A notice is lost while the feed is away: L2 changes, L1 does not hear of it.
    world.store._listeners.clear()
    await world.push("energy", USER, "changed while away")
    world.store.subscribe(world.reader.on_change)
    world.reader.on_change(Change(reset=True))
    reads = world.store.user_reads
    assert texts(await world.home())["energy"] == "generic energy"  # served at once, stale
    await asyncio.sleep(0.01)  # the background re-read
    assert world.store.user_reads == reads + 1
    assert texts(await world.home())["energy"] == "changed while away"


async def test_a_reread_after_a_reset_keeps_the_cached_home_when_l2_is_down(
    world: World,
) -> None:
    await world.push("energy", USER, "your tariff")
    await world.home()
    world.reader.on_change(Change(reset=True))
    world.store.down = True
    await world.home()
    await asyncio.sleep(0.01)
    assert texts(await world.home())["energy"] == "your tariff"


async def test_a_load_that_raced_a_change_is_served_but_not_cached(world: World) -> None:
    class SlowStore(SwitchableStore):
        async def user_widgets(self, user_id: str):  # type: ignore[no-untyped-def]
            result = await super().user_widgets(user_id)
            world.reader.on_change(Change("energy", USER, 99))  # a change lands mid-read
            return result

    world.reader._store = SlowStore()
    await world.reader.load(USER)
    assert world.reader.cached(USER) is None


async def test_a_widget_with_ttl_expires_from_l1(world: World) -> None:
    import time

    await world.push("energy", USER, "flash sale", expires_at=time.time() + 0.2)
    assert texts(await world.home())["energy"] == "flash sale"
    await asyncio.sleep(0.3)
    assert texts(await world.home())["energy"] == "generic energy"


async def test_an_undeclared_failure_of_the_l2_client_still_gets_the_generic_widgets(
    world: World,
) -> None:
    class BrokenClientStore(SwitchableStore):
        async def user_widgets(self, user_id: str):  # type: ignore[no-untyped-def]
            raise AttributeError("'NoneType' object has no attribute 'writelines'")

    world.reader._store = BrokenClientStore()  # the race needs the store swapped
    home = await world.home()
    assert home["personalised"] is False
    assert texts(home)["energy"] == "generic energy"


def test_a_torn_down_connection_inside_redis_py_counts_as_l2_down() -> None:
    import redis.asyncio.connection as redis_connection

    from homewidgets.outbound._redis_client import is_down

    # The same AttributeError, raised once in redis-py's module and once in ours.
    with pytest.raises(AttributeError) as inside:
        exec("None.writelines([])", vars(redis_connection).copy())
    assert is_down(inside.value)
    with pytest.raises(AttributeError) as ours:
        None.writelines([])  # type: ignore[attr-defined]
    assert not is_down(ours.value)  # our own bug stays a bug
