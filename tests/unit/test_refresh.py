"""The refresh use case with fakes: in-memory queue and store, a product backend that records."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence

import pytest

from homewidgets.domain.errors import ProductUnavailable, StoreUnavailable
from homewidgets.domain.model import (
    Product,
    PutOutcome,
    RefreshRequest,
    Registry,
    StoredWidget,
    WidgetWrite,
)
from homewidgets.domain.push import WidgetParser
from homewidgets.domain.refresh import RefreshWorker
from homewidgets.domain.sdui import ContentValidator
from homewidgets.outbound.memory_store import MemoryWidgetStore
from homewidgets.outbound.memory_streams import MemoryRefreshConsumer, MemoryRefreshQueue

PRODUCTS = ("energy", "dsl", "flights")
REGISTRY = Registry.of(
    [
        *(
            Product(p, p.title(), 10 * i, pull_url=f"http://p.test/{p}")
            for i, p in enumerate(PRODUCTS)
        ),
        Product("push_only", "Push only", 99),  # no pull_url: never pulled
    ]
)


def card(title: str) -> dict[str, object]:
    return {"type": "card", "title": title}


class FakeProductBackend:
    """Answers every pull with a card per user; records each call (product, users).

    `failing` products raise ProductUnavailable; `gates[product]` makes that product's
    answer wait until the test sets the event; `answers[product]` overrides the body.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[str, ...]]] = []
        self.failing: set[str] = set()
        self.gates: dict[str, asyncio.Event] = {}
        self.answers: dict[str, bytes] = {}
        self.version = 1
        self.called = asyncio.Event()

    def calls_to(self, product: str) -> list[tuple[str, ...]]:
        return [users for p, users in self.calls if p == product]

    async def pull(self, product: str, user_ids: Sequence[str]) -> bytes:
        self.calls.append((product, tuple(user_ids)))
        self.called.set()
        if product in self.gates:
            await self.gates[product].wait()
        if product in self.failing:
            raise ProductUnavailable(f"{product} is down")
        if product in self.answers:
            return self.answers[product]
        widgets = [
            {"user_id": u, "content": card(f"{product} for {u}"), "version": self.version}
            for u in user_ids
        ]
        return json.dumps({"widgets": widgets}).encode()


class FlakyStore(MemoryWidgetStore):
    """The memory store, but `down` makes every write fail as an unreachable Redis would."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    async def put_many(self, writes: Sequence[WidgetWrite]) -> list[PutOutcome]:
        if self.down:
            raise StoreUnavailable("L2 is down (test)")
        return await super().put_many(writes)


def users(n: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(n)]


@pytest.fixture
def queue() -> MemoryRefreshQueue:
    return MemoryRefreshQueue(dedup_seconds=0)


@pytest.fixture
def consumer(queue: MemoryRefreshQueue) -> MemoryRefreshConsumer:
    return queue.consumer(claim_idle_ms=60_000)


@pytest.fixture
def backend() -> FakeProductBackend:
    return FakeProductBackend()


@pytest.fixture
def store() -> FlakyStore:
    return FlakyStore()


def make_worker(
    consumer: MemoryRefreshConsumer,
    backend: FakeProductBackend,
    store: MemoryWidgetStore,
    **kw: int,
) -> RefreshWorker:
    return RefreshWorker(
        consumer=consumer,
        backend=backend,
        parser=WidgetParser(ContentValidator()),
        store=store,
        registry=REGISTRY,
        block_ms=kw.pop("block_ms", 0),
        **kw,
    )


@pytest.fixture
def worker(
    consumer: MemoryRefreshConsumer, backend: FakeProductBackend, store: FlakyStore
) -> RefreshWorker:
    return make_worker(consumer, backend, store)


async def ask(queue: MemoryRefreshQueue, user_ids: Sequence[str], products: Sequence[str]) -> None:
    await queue.enqueue([RefreshRequest(u, tuple(products)) for u in user_ids])


async def stored(store: MemoryWidgetStore, user_id: str) -> dict[str, StoredWidget]:
    return await store.user_widgets(user_id)


async def test_a_batch_of_cold_users_costs_one_pull_call_per_product_not_per_user(
    queue: MemoryRefreshQueue, worker: RefreshWorker, backend: FakeProductBackend, store: FlakyStore
) -> None:
    cold = users(40)
    await ask(queue, cold, PRODUCTS)
    assert await worker.run_once() == 40
    for product in PRODUCTS:
        assert backend.calls_to(product) == [tuple(cold)]  # one call, every user, in order
    for user in cold:
        widgets = await stored(store, user)
        assert set(widgets) == set(PRODUCTS)
        assert json.loads(widgets["dsl"].content) == card(f"dsl for {user}")
    assert worker.counters.pulls == 3
    assert worker.counters.widgets_written == 120


async def test_requests_are_acknowledged_once_their_widgets_are_written(
    queue: MemoryRefreshQueue, worker: RefreshWorker
) -> None:
    await ask(queue, users(5), PRODUCTS)
    await worker.run_once()
    assert not queue.pending
    assert worker.counters.acknowledged == 5


async def test_each_user_is_asked_once_per_product_even_if_requested_twice(
    queue: MemoryRefreshQueue, worker: RefreshWorker, backend: FakeProductBackend
) -> None:
    [user] = users(1)
    await ask(queue, [user], ["energy"])
    await ask(queue, [user], ["energy", "dsl"])  # a second read, another instance
    assert await worker.run_once() == 2
    assert backend.calls_to("energy") == [(user,)]
    assert backend.calls_to("dsl") == [(user,)]
    assert not queue.pending


async def test_each_product_is_asked_only_about_the_users_missing_it(
    queue: MemoryRefreshQueue, worker: RefreshWorker, backend: FakeProductBackend
) -> None:
    a, b = users(2)
    await ask(queue, [a], ["energy"])
    await ask(queue, [b], ["energy", "flights"])
    await worker.run_once()
    assert backend.calls_to("energy") == [(a, b)]
    assert backend.calls_to("flights") == [(b,)]
    assert backend.calls_to("dsl") == []


async def test_big_batches_are_split_into_calls_of_at_most_max_users_per_call(
    queue: MemoryRefreshQueue,
    consumer: MemoryRefreshConsumer,
    backend: FakeProductBackend,
    store: FlakyStore,
) -> None:
    worker = make_worker(consumer, backend, store, batch_size=250, max_users_per_call=100)
    await ask(queue, users(250), ["energy"])
    await worker.run_once()
    assert [len(call) for call in backend.calls_to("energy")] == [100, 100, 50]


async def test_products_without_pull_url_or_unknown_are_not_pulled_and_the_request_is_done(
    queue: MemoryRefreshQueue, worker: RefreshWorker, backend: FakeProductBackend
) -> None:
    await ask(queue, users(3), ["push_only", "retired_product"])
    await worker.run_once()
    assert backend.calls == []
    assert not queue.pending


async def test_a_failing_product_does_not_stop_the_others_and_its_requests_are_acknowledged(
    queue: MemoryRefreshQueue, worker: RefreshWorker, backend: FakeProductBackend, store: FlakyStore
) -> None:
    # Acknowledged on purpose: redelivering would hammer a product that is down; the
    # read path asks again after its dedup window.
    backend.failing.add("energy")
    cold = users(4)
    await ask(queue, cold, PRODUCTS)
    await worker.run_once()
    for user in cold:
        assert set(await stored(store, user)) == {"dsl", "flights"}
    assert worker.counters.pull_failures == 1
    assert not queue.pending


async def test_a_failed_write_leaves_the_requests_unacknowledged_for_redelivery(
    queue: MemoryRefreshQueue, backend: FakeProductBackend, store: FlakyStore
) -> None:
    first = make_worker(queue.consumer("first", claim_idle_ms=0), backend, store)
    cold = users(3)
    await ask(queue, cold, ["energy"])
    store.down = True
    await first.run_once()
    assert len(queue.pending) == 3  # not acknowledged: nothing was written
    assert first.counters.store_failures == 3  # the first try and two more
    # L2 is back; another worker claims the abandoned requests and finishes them.
    store.down = False
    second = make_worker(queue.consumer("second", claim_idle_ms=0), backend, store)
    assert await second.run_once() == 3
    assert not queue.pending
    for user in cold:
        assert "energy" in await stored(store, user)


async def test_a_short_l2_blip_during_the_write_is_retried_in_place(
    queue: MemoryRefreshQueue, worker: RefreshWorker, store: FlakyStore
) -> None:
    [user] = users(1)
    await ask(queue, [user], ["energy"])
    store.down = True
    batch = asyncio.create_task(worker.run_once())
    await asyncio.sleep(0.02)  # inside the first pause before writing again
    store.down = False
    await batch
    assert "energy" in await stored(store, user)
    assert worker.counters.store_failures == 1
    assert not queue.pending


async def test_a_request_is_held_back_only_if_one_of_its_own_writes_failed(
    queue: MemoryRefreshQueue, worker: RefreshWorker, backend: FakeProductBackend, store: FlakyStore
) -> None:
    # energy's write fails; requests that did not ask energy are done anyway.
    a, b = users(2)
    await ask(queue, [a], ["energy", "dsl"])
    await ask(queue, [b], ["dsl"])
    original = store.put_many

    async def energy_down(writes: Sequence[WidgetWrite]) -> list[PutOutcome]:
        if any(w.product == "energy" for w in writes):
            raise StoreUnavailable("slot of energy's keys is failing over (test)")
        return await original(writes)

    store.put_many = energy_down  # type: ignore[method-assign]
    await worker.run_once()
    assert [p.request.user_id for p in queue.pending.values()] == [a]


async def test_invalid_widgets_in_an_answer_are_refused_as_a_push_would_be(
    queue: MemoryRefreshQueue, worker: RefreshWorker, backend: FakeProductBackend, store: FlakyStore
) -> None:
    good, bad = users(2)
    backend.answers["energy"] = json.dumps(
        {
            "widgets": [
                {"user_id": good, "content": card("fine"), "version": 3},
                {"user_id": bad, "content": {"type": "image", "url": "javascript:alert(1)",
                                             "alt": "x"}, "version": 3},
            ]
        }
    ).encode()  # fmt: skip
    await ask(queue, [good, bad], ["energy"])
    await worker.run_once()
    assert "energy" in await stored(store, good)
    assert await stored(store, bad) == {}
    assert worker.counters.invalid_items == 1
    assert not queue.pending


async def test_answers_about_users_nobody_asked_for_are_ignored(
    queue: MemoryRefreshQueue, worker: RefreshWorker, backend: FakeProductBackend, store: FlakyStore
) -> None:
    asked, stranger = users(2)
    backend.answers["energy"] = json.dumps(
        {"widgets": [{"user_id": u, "content": card("x"), "version": 1} for u in (asked, stranger)]}
    ).encode()
    await ask(queue, [asked], ["energy"])
    await worker.run_once()
    assert "energy" in await stored(store, asked)
    assert await stored(store, stranger) == {}
    assert worker.counters.unasked_items == 1


async def test_an_unreadable_answer_counts_as_a_failed_pull(
    queue: MemoryRefreshQueue, worker: RefreshWorker, backend: FakeProductBackend
) -> None:
    backend.answers["energy"] = b"<html>502 Bad Gateway</html>"
    await ask(queue, users(2), ["energy"])
    await worker.run_once()
    assert worker.counters.pull_failures == 1
    assert not queue.pending


async def test_redelivered_requests_rewrite_nothing(
    queue: MemoryRefreshQueue, worker: RefreshWorker, store: FlakyStore
) -> None:
    [user] = users(1)
    await ask(queue, [user], ["energy"])
    await worker.run_once()
    await ask(queue, [user], ["energy"])  # the same answer (version 1) once more
    await worker.run_once()
    assert worker.counters.widgets_written == 1
    assert worker.counters.widgets_unchanged == 1


async def test_products_are_pulled_at_once_so_a_slow_one_delays_nobody_elses_widgets(
    queue: MemoryRefreshQueue, worker: RefreshWorker, backend: FakeProductBackend, store: FlakyStore
) -> None:
    backend.gates["energy"] = asyncio.Event()
    [user] = users(1)
    await ask(queue, [user], ["energy", "dsl"])
    batch = asyncio.create_task(worker.run_once())
    for _ in range(100):
        if "dsl" in await stored(store, user):
            break
        await asyncio.sleep(0.001)
    assert set(await stored(store, user)) == {"dsl"}  # written while energy still thinks
    assert queue.pending  # not acknowledged before energy is done
    backend.gates["energy"].set()
    await batch
    assert set(await stored(store, user)) == {"dsl", "energy"}
    assert not queue.pending


async def test_requests_arriving_within_the_linger_time_share_one_batch(
    queue: MemoryRefreshQueue,
    consumer: MemoryRefreshConsumer,
    backend: FakeProductBackend,
    store: FlakyStore,
) -> None:
    worker = make_worker(consumer, backend, store, block_ms=1000, linger_ms=50)
    a, b = users(2)
    await ask(queue, [a], ["energy"])

    async def second_read_a_moment_later() -> None:
        await asyncio.sleep(0.01)
        await ask(queue, [b], ["energy"])

    late = asyncio.create_task(second_read_a_moment_later())
    assert await worker.run_once() == 2
    await late
    assert backend.calls_to("energy") == [(a, b)]


async def test_run_finishes_the_batch_in_flight_when_stopped(
    queue: MemoryRefreshQueue, worker: RefreshWorker, backend: FakeProductBackend, store: FlakyStore
) -> None:
    backend.gates["energy"] = asyncio.Event()
    [user] = users(1)
    await ask(queue, [user], ["energy"])
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(backend.called.wait(), 2)
    stop.set()  # SIGTERM arrives mid-batch
    await asyncio.sleep(0.01)
    assert not running.done()  # still waiting for energy
    backend.gates["energy"].set()
    await asyncio.wait_for(running, 2)
    assert "energy" in await stored(store, user)
    assert not queue.pending


async def test_run_keeps_several_batches_in_flight(
    queue: MemoryRefreshQueue,
    consumer: MemoryRefreshConsumer,
    backend: FakeProductBackend,
    store: FlakyStore,
) -> None:
    # energy hangs on the first batch; later batches (dsl) are still served.
    worker = make_worker(consumer, backend, store, in_flight=2, linger_ms=0, block_ms=10)
    backend.gates["energy"] = asyncio.Event()
    first, second = users(2)
    await ask(queue, [first], ["energy"])
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(backend.called.wait(), 2)
    await ask(queue, [second], ["dsl"])
    for _ in range(200):
        if "dsl" in await stored(store, second):
            break
        await asyncio.sleep(0.005)
    assert "dsl" in await stored(store, second)
    backend.gates["energy"].set()
    stop.set()
    await asyncio.wait_for(running, 2)
    assert worker.counters.batches == 2


async def test_a_slow_batch_is_not_started_twice_when_its_entries_are_claimed_again(
    queue: MemoryRefreshQueue, backend: FakeProductBackend, store: FlakyStore
) -> None:
    # claim_idle_ms=0: the queue offers the worker its own in-flight entries again.
    worker = make_worker(
        queue.consumer(claim_idle_ms=0), backend, store, linger_ms=0, block_ms=10,
        overlap_after_ms=0,
    )  # fmt: skip
    backend.gates["energy"] = asyncio.Event()
    [user] = users(1)
    await ask(queue, [user], ["energy"])
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(backend.called.wait(), 2)
    await asyncio.sleep(0.1)  # many receives, each offered the same pending entry
    backend.gates["energy"].set()
    stop.set()
    await asyncio.wait_for(running, 2)
    assert backend.calls_to("energy") == [(user,)]
    assert worker.counters.batches == 1


class DownThenUpConsumer:
    """A consumer whose queue is unreachable for the first `failures` receives."""

    def __init__(self, inner: MemoryRefreshConsumer, failures: int) -> None:
        self.inner = inner
        self.failures = failures

    async def receive(self, max_count: int, block_ms: int) -> list[tuple[str, RefreshRequest]]:
        if self.failures:
            self.failures -= 1
            raise StoreUnavailable("queue down (test)")
        return await self.inner.receive(max_count, block_ms)

    async def acknowledge(self, message_ids: Sequence[str]) -> None:
        await self.inner.acknowledge(message_ids)


async def test_run_survives_an_unreachable_queue_and_carries_on_when_it_is_back(
    queue: MemoryRefreshQueue,
    consumer: MemoryRefreshConsumer,
    backend: FakeProductBackend,
    store: FlakyStore,
) -> None:
    worker = RefreshWorker(
        consumer=DownThenUpConsumer(consumer, failures=1),
        backend=backend,
        parser=WidgetParser(ContentValidator()),
        store=store,
        registry=REGISTRY,
        block_ms=10,
    )
    [user] = users(1)
    await ask(queue, [user], ["energy"])
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    for _ in range(200):
        if "energy" in await stored(store, user):
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(running, 2)
    assert "energy" in await stored(store, user)
    assert worker.counters.receive_failures == 1
