"""The RefreshQueue + RefreshConsumer contract: dedup per user, at-least-once delivery."""

from __future__ import annotations

import asyncio
import time
import uuid

from contract_harness import QueueHarness

from homewidgets.domain.model import RefreshRequest


def request(*products: str) -> RefreshRequest:
    return RefreshRequest(str(uuid.uuid4()), products or ("energy", "hotels"))


async def test_queued_requests_are_received_with_their_products(
    queue_harness: QueueHarness,
) -> None:
    worker = queue_harness.new_consumer()
    asks = [request("energy", "hotels"), request("flights")]

    assert await queue_harness.queue.enqueue(asks) == 2

    received = await worker.receive(10, block_ms=500)
    assert [r for _, r in received] == asks
    assert len({message_id for message_id, _ in received}) == 2


async def test_requests_queued_before_any_worker_started_are_delivered(
    queue_harness: QueueHarness,
) -> None:
    ask = request()
    await queue_harness.queue.enqueue([ask])

    worker = queue_harness.new_consumer()

    assert [r for _, r in await worker.receive(10, block_ms=500)] == [ask]


async def test_a_user_asked_for_recently_is_not_queued_again(
    queue_harness: QueueHarness,
) -> None:
    ask = request()
    again = RefreshRequest(ask.user_id, ("flights",))

    assert await queue_harness.queue.enqueue([ask, again]) == 1  # twice in one call
    assert await queue_harness.queue.enqueue([again, request()]) == 1  # and in a later one

    worker = queue_harness.new_consumer()
    received = await worker.receive(10, block_ms=300)
    assert [r.user_id for _, r in received].count(ask.user_id) == 1


async def test_a_user_can_be_queued_again_once_the_dedup_window_closed(
    queue_harness: QueueHarness,
) -> None:
    queue = queue_harness.make_queue(1)
    ask = request()
    assert await queue.enqueue([ask]) == 1
    assert await queue.enqueue([ask]) == 0

    await asyncio.sleep(1.1)

    assert await queue.enqueue([ask]) == 1


async def test_receive_waits_up_to_block_ms_for_a_request(queue_harness: QueueHarness) -> None:
    worker = queue_harness.new_consumer()
    ask = request()

    async def enqueue_later() -> None:
        await asyncio.sleep(0.1)
        await queue_harness.queue.enqueue([ask])

    started = time.monotonic()
    later = asyncio.create_task(enqueue_later())
    received = await worker.receive(10, block_ms=2000)
    await later

    assert [r for _, r in received] == [ask]
    assert time.monotonic() - started < 1.5


async def test_receive_returns_nothing_after_block_ms_when_idle(
    queue_harness: QueueHarness,
) -> None:
    worker = queue_harness.new_consumer()

    started = time.monotonic()
    assert await worker.receive(10, block_ms=200) == []
    assert 0.15 < time.monotonic() - started < 1.5
    assert await worker.receive(10, block_ms=0) == []


async def test_receive_hands_out_at_most_max_count(queue_harness: QueueHarness) -> None:
    worker = queue_harness.new_consumer()
    await queue_harness.queue.enqueue([request() for _ in range(5)])

    first = await worker.receive(3, block_ms=300)
    second = await worker.receive(3, block_ms=300)

    assert (len(first), len(second)) == (3, 2)


async def test_two_workers_share_the_requests_without_overlap(
    queue_harness: QueueHarness,
) -> None:
    one, two = queue_harness.new_consumer(), queue_harness.new_consumer()
    asks = [request() for _ in range(6)]
    await queue_harness.queue.enqueue(asks)

    got_one = await one.receive(3, block_ms=300)
    got_two = await two.receive(10, block_ms=300)

    assert sorted([r.user_id for _, r in got_one + got_two]) == sorted(a.user_id for a in asks)


async def test_a_request_a_dead_worker_never_acknowledged_goes_to_another_worker(
    queue_harness: QueueHarness,
) -> None:
    # The first worker takes the request and dies before acknowledging it.
    dead = queue_harness.new_consumer(claim_idle_ms=600)
    ask = request()
    await queue_harness.queue.enqueue([ask])
    [(message_id, _)] = await dead.receive(10, block_ms=300)

    survivor = queue_harness.new_consumer(claim_idle_ms=600)
    assert await survivor.receive(10, block_ms=100) == []  # not yet idle long enough

    await asyncio.sleep(0.7)
    redelivered = await survivor.receive(10, block_ms=100)
    assert redelivered == [(message_id, ask)]

    await survivor.acknowledge([message_id])
    await asyncio.sleep(0.7)
    assert await survivor.receive(10, block_ms=100) == []  # done for good


async def test_acknowledged_requests_are_never_delivered_again(
    queue_harness: QueueHarness,
) -> None:
    worker = queue_harness.new_consumer(claim_idle_ms=300)
    await queue_harness.queue.enqueue([request(), request()])
    received = await worker.receive(10, block_ms=300)

    await worker.acknowledge([message_id for message_id, _ in received])
    await worker.acknowledge([])
    await asyncio.sleep(0.4)

    assert await worker.receive(10, block_ms=100) == []


async def test_enqueueing_nothing_queues_nothing(queue_harness: QueueHarness) -> None:
    assert await queue_harness.queue.enqueue([]) == 0
