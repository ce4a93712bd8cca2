"""The WidgetStore contract, run on the memory store, one Redis server and a Cluster."""

from __future__ import annotations

import time
import uuid

import pytest

from homewidgets.domain.model import PutOutcome, StoredWidget, WidgetWrite
from homewidgets.domain.ports import WidgetStore

CONTENT = b'{"type":"text","text":"Hello | world"}'


def user() -> str:
    return str(uuid.uuid4())


def content(n: int) -> bytes:
    return b'{"type":"text","text":"v%d"}' % n


async def test_a_stored_widget_is_read_back_with_its_version_priority_and_expiry(
    widget_store: WidgetStore,
) -> None:
    alice = user()
    expires_at = round(time.time() + 3600, 3)
    write = WidgetWrite("energy", alice, CONTENT, version=7, priority=-3, expires_at=expires_at)

    assert await widget_store.put(write) == PutOutcome(7, stored=True)

    widgets = await widget_store.user_widgets(alice)
    assert widgets == {"energy": StoredWidget("energy", 7, CONTENT, -3, expires_at)}


async def test_a_user_without_widgets_has_an_empty_mapping(widget_store: WidgetStore) -> None:
    assert await widget_store.user_widgets(user()) == {}
    assert await widget_store.generic_widgets() == {}


async def test_a_write_without_version_gets_one_more_than_the_stored_one(
    widget_store: WidgetStore,
) -> None:
    alice = user()
    first = await widget_store.put(WidgetWrite("energy", alice, content(1)))
    second = await widget_store.put(WidgetWrite("energy", alice, content(2)))
    await widget_store.put(WidgetWrite("energy", alice, content(40), version=40))
    third = await widget_store.put(WidgetWrite("energy", alice, content(41)))

    assert (first, second, third) == (
        PutOutcome(1, stored=True),
        PutOutcome(2, stored=True),
        PutOutcome(41, stored=True),
    )
    assert (await widget_store.user_widgets(alice))["energy"].content == content(41)


async def test_an_older_version_is_refused_as_stale_and_changes_nothing(
    widget_store: WidgetStore,
) -> None:
    alice = user()
    await widget_store.put(WidgetWrite("energy", alice, content(5), version=5))

    outcome = await widget_store.put(WidgetWrite("energy", alice, content(4), version=4))

    assert outcome == PutOutcome(5, stored=False, stale=True)
    assert (await widget_store.user_widgets(alice))["energy"].content == content(5)


async def test_an_equal_version_is_an_idempotent_no_op(widget_store: WidgetStore) -> None:
    alice = user()
    await widget_store.put(WidgetWrite("energy", alice, content(5), version=5))

    outcome = await widget_store.put(WidgetWrite("energy", alice, b'{"type":"divider"}', version=5))

    assert outcome == PutOutcome(5, stored=False, stale=False)
    assert (await widget_store.user_widgets(alice))["energy"].content == content(5)


async def test_a_newer_version_replaces_the_stored_widget(widget_store: WidgetStore) -> None:
    alice = user()
    await widget_store.put(WidgetWrite("energy", alice, content(5), version=5, priority=2))

    outcome = await widget_store.put(WidgetWrite("energy", alice, content(9), version=9))

    assert outcome == PutOutcome(9, stored=True)
    assert (await widget_store.user_widgets(alice))["energy"] == StoredWidget(
        "energy", 9, content(9)
    )


async def test_epoch_millisecond_versions_round_trip_exactly(widget_store: WidgetStore) -> None:
    # Products often use a timestamp as their counter: it must not lose digits.
    alice = user()
    version = 1_764_000_000_123
    await widget_store.put(WidgetWrite("energy", alice, content(1), version=version))
    assigned = await widget_store.put(WidgetWrite("energy", alice, content(2)))

    assert assigned == PutOutcome(version + 1, stored=True)
    assert (await widget_store.user_widgets(alice))["energy"].version == version + 1


async def test_generic_and_personalised_widgets_are_kept_apart(widget_store: WidgetStore) -> None:
    alice = user()
    await widget_store.put(WidgetWrite("energy", None, content(1), version=3))
    await widget_store.put(WidgetWrite("flights", None, content(2)))
    await widget_store.put(WidgetWrite("energy", alice, content(3), version=1))

    generic = await widget_store.generic_widgets()
    assert {p: (w.version, w.content) for p, w in generic.items()} == {
        "energy": (3, content(1)),
        "flights": (1, content(2)),
    }
    assert list(await widget_store.user_widgets(alice)) == ["energy"]


async def test_users_do_not_see_each_others_widgets(widget_store: WidgetStore) -> None:
    alice, bob = user(), user()
    await widget_store.put(WidgetWrite("energy", alice, content(1)))
    await widget_store.put(WidgetWrite("hotels", bob, content(2)))

    assert list(await widget_store.user_widgets(alice)) == ["energy"]
    assert list(await widget_store.user_widgets(bob)) == ["hotels"]


async def test_expired_widgets_are_left_out_of_both_readings(widget_store: WidgetStore) -> None:
    alice, past, future = user(), time.time() - 1, time.time() + 60
    await widget_store.put(WidgetWrite("energy", alice, content(1), expires_at=past))
    await widget_store.put(WidgetWrite("hotels", alice, content(2), expires_at=future))
    await widget_store.put(WidgetWrite("energy", None, content(3), expires_at=past))
    await widget_store.put(WidgetWrite("hotels", None, content(4), expires_at=future))

    assert list(await widget_store.user_widgets(alice)) == ["hotels"]
    assert list(await widget_store.generic_widgets()) == ["hotels"]


async def test_a_deleted_widget_disappears_and_delete_says_whether_there_was_one(
    widget_store: WidgetStore,
) -> None:
    alice = user()
    await widget_store.put(WidgetWrite("energy", alice, content(1), version=3))
    await widget_store.put(WidgetWrite("hotels", alice, content(2)))

    assert await widget_store.delete("energy", alice) is True
    assert await widget_store.delete("energy", alice) is False  # already gone
    assert await widget_store.delete("flights", alice) is False  # never there
    assert await widget_store.delete("energy", user()) is False  # unknown user
    assert list(await widget_store.user_widgets(alice)) == ["hotels"]


async def test_deleting_an_expired_widget_reports_nothing_live(widget_store: WidgetStore) -> None:
    alice = user()
    await widget_store.put(WidgetWrite("energy", alice, content(1), expires_at=time.time() - 1))

    assert await widget_store.delete("energy", alice) is False


async def test_an_older_push_cannot_resurrect_a_deleted_widget(widget_store: WidgetStore) -> None:
    alice = user()
    await widget_store.put(WidgetWrite("energy", alice, content(5), version=5))
    await widget_store.delete("energy", alice)

    late = await widget_store.put(WidgetWrite("energy", alice, content(4), version=4))
    replay = await widget_store.put(WidgetWrite("energy", alice, content(5), version=5))

    assert late == PutOutcome(5, stored=False, stale=True)
    assert replay == PutOutcome(5, stored=False)
    assert await widget_store.user_widgets(alice) == {}

    # The product's next version brings it back; so does an assigned one.
    assert await widget_store.put(WidgetWrite("energy", alice, content(6), version=6)) == (
        PutOutcome(6, stored=True)
    )
    await widget_store.delete("energy", alice)
    assert await widget_store.put(WidgetWrite("energy", alice, content(7))) == (
        PutOutcome(7, stored=True)
    )
    assert (await widget_store.user_widgets(alice))["energy"].content == content(7)


async def test_put_many_returns_each_outcome_in_order(widget_store: WidgetStore) -> None:
    alice, bob = user(), user()
    await widget_store.put(WidgetWrite("energy", alice, content(5), version=5))

    outcomes = await widget_store.put_many(
        [
            WidgetWrite("energy", alice, content(4), version=4),  # stale
            WidgetWrite("energy", alice, content(5), version=5),  # same
            WidgetWrite("hotels", alice, content(1)),  # assigned
            WidgetWrite("energy", bob, content(8), version=8),  # new
            WidgetWrite("energy", bob, content(9)),  # after the previous item
            WidgetWrite("energy", None, content(2), version=2),  # generic
        ]
    )

    assert outcomes == [
        PutOutcome(5, stored=False, stale=True),
        PutOutcome(5, stored=False),
        PutOutcome(1, stored=True),
        PutOutcome(8, stored=True),
        PutOutcome(9, stored=True),
        PutOutcome(2, stored=True),
    ]
    assert (await widget_store.user_widgets(bob))["energy"].content == content(9)
    assert (await widget_store.generic_widgets())["energy"].version == 2


async def test_put_many_of_nothing_stores_nothing(widget_store: WidgetStore) -> None:
    assert await widget_store.put_many([]) == []


async def test_put_many_stores_a_thousand_widgets_of_many_users(widget_store: WidgetStore) -> None:
    users = [user() for _ in range(250)]
    writes = [
        WidgetWrite(product, u, content(i), version=i + 1)
        for i, u in enumerate(users)
        for product in ("energy", "hotels", "flights", "dsl")
    ]

    outcomes = await widget_store.put_many(writes)

    assert [o.stored for o in outcomes] == [True] * 1000
    assert len(await widget_store.user_widgets(users[-1])) == 4


async def test_ping_returns_when_the_store_answers(widget_store: WidgetStore) -> None:
    await widget_store.ping()


@pytest.mark.parametrize("size", [1, 64 * 1024])
async def test_contents_of_any_allowed_size_and_bytes_survive_intact(
    widget_store: WidgetStore, size: int
) -> None:
    alice = user()
    body = b'{"type":"text","text":"' + "ü|€".encode() * (size // 7 + 1) + b'"}'
    await widget_store.put(WidgetWrite("energy", alice, body))

    assert (await widget_store.user_widgets(alice))["energy"].content == body
