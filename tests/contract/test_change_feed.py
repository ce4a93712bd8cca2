"""The ChangeFeed contract: each stored change is announced exactly once, refusals never.

On memory the store announces synchronously; on Redis the notice travels through
pub/sub, so the harness `settle()`s on a sentinel write before counting.
"""

from __future__ import annotations

import uuid

from contract_harness import FeedHarness, eventually

from homewidgets.domain.model import Change, WidgetWrite

CONTENT = b'{"type":"divider"}'


async def test_a_personalised_put_is_announced_once_with_product_user_and_version(
    feed_harness: FeedHarness,
) -> None:
    alice = str(uuid.uuid4())
    await feed_harness.store.put(WidgetWrite("energy", alice, CONTENT, version=12))

    assert await feed_harness.settle(alice) == [Change("energy", alice, 12)]


async def test_a_generic_put_is_announced_without_a_user(feed_harness: FeedHarness) -> None:
    await feed_harness.store.put(WidgetWrite("hotels", None, CONTENT))

    assert await feed_harness.settle() == [Change("hotels", None, 1)]


async def test_a_delete_is_announced_once(feed_harness: FeedHarness) -> None:
    alice = str(uuid.uuid4())
    await feed_harness.store.put(WidgetWrite("energy", alice, CONTENT, version=3))
    await feed_harness.store.delete("energy", alice)
    await feed_harness.store.delete("energy", alice)  # nothing left: no second notice

    assert await feed_harness.settle(alice) == [
        Change("energy", alice, 3),
        Change("energy", alice, 3),
    ]


async def test_refused_and_no_op_writes_are_not_announced(feed_harness: FeedHarness) -> None:
    alice = str(uuid.uuid4())
    await feed_harness.store.put(WidgetWrite("energy", alice, CONTENT, version=5))
    await feed_harness.settle(alice)
    feed_harness.changes.clear()

    await feed_harness.store.put(WidgetWrite("energy", alice, CONTENT, version=5))  # same
    await feed_harness.store.put(WidgetWrite("energy", alice, CONTENT, version=2))  # stale
    await feed_harness.store.put_many([WidgetWrite("energy", alice, CONTENT, version=1)])
    await feed_harness.store.delete("flights", alice)  # nothing to delete

    assert await feed_harness.settle(alice) == []


async def test_put_many_announces_each_stored_write(feed_harness: FeedHarness) -> None:
    users = [str(uuid.uuid4()) for _ in range(20)]
    await feed_harness.store.put_many(
        [WidgetWrite("energy", u, CONTENT, version=i + 1) for i, u in enumerate(users)]
    )

    # Across users (on a Cluster: across shards) the order of notices is not promised.
    await eventually(lambda: len(feed_harness.changes) >= 20)
    changes = await feed_harness.settle()
    assert sorted(changes, key=lambda c: c.version) == [
        Change("energy", u, i + 1) for i, u in enumerate(users)
    ]


async def test_one_users_changes_are_announced_in_the_order_they_were_stored(
    feed_harness: FeedHarness,
) -> None:
    alice = str(uuid.uuid4())
    await feed_harness.store.put_many([WidgetWrite("energy", alice, CONTENT) for _ in range(5)])
    await feed_harness.store.put(WidgetWrite("hotels", alice, CONTENT, version=9))

    assert await feed_harness.settle(alice) == [
        *(Change("energy", alice, v) for v in range(1, 6)),
        Change("hotels", alice, 9),
    ]
