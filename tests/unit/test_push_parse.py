"""WidgetParser.parse_batch: one decode for a clean batch, item by item once one is off.

Either way each item stands alone; these pin the answers of both ways to each other.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from homewidgets.domain.errors import InvalidWidget
from homewidgets.domain.model import WidgetWrite
from homewidgets.domain.push import WidgetParser
from homewidgets.domain.sdui import ContentValidator

PARSER = WidgetParser(ContentValidator(), clock=lambda: 1000.0)
CARD = {"type": "card", "title": "Hello"}
ALICE, BOB = str(uuid.uuid4()), str(uuid.uuid4())


def batch(*items: object) -> bytes:
    return json.dumps({"items": list(items)}).encode()


def pointers(parsed: list[WidgetWrite | InvalidWidget]) -> list[list[str] | None]:
    return [[p.pointer for p in x.problems] if isinstance(x, InvalidWidget) else None
            for x in parsed]


def test_a_clean_batch_becomes_writes_with_version_priority_and_expiry() -> None:
    parsed = PARSER.parse_batch("energy", batch(
        {"user_id": ALICE, "content": CARD, "version": 3, "priority": 7, "ttl_seconds": 60},
        {"user_id": BOB.upper(), "content": CARD},
    ), 10)  # fmt: skip

    assert parsed == [
        WidgetWrite("energy", ALICE, b'{"type":"card","title":"Hello"}', 3, 7, 1060.0),
        WidgetWrite("energy", BOB, b'{"type":"card","title":"Hello"}', None, 0, None),
    ]


def test_an_item_off_the_item_schema_is_refused_alone_with_its_own_pointer() -> None:
    parsed = PARSER.parse_batch("energy", batch(
        {"user_id": ALICE, "content": CARD},
        {"user_id": BOB, "content": CARD, "colour": "red"},
        {"user_id": ALICE, "content": CARD, "priority": 5000},
        {"user_id": "nobody", "content": CARD},
        {"user_id": BOB, "content": {"type": "card"}},
        [1, 2],
    ), 10)  # fmt: skip

    assert pointers(parsed) == [
        None, ["/items/1/colour"], ["/items/2/priority"], ["/items/3/user_id"],
        ["/items/4/content/title"], ["/items/5"],
    ]  # fmt: skip


def test_the_same_bad_content_gets_the_same_pointer_whichever_way_the_batch_is_read() -> None:
    bad = {"user_id": BOB, "content": {"type": "image", "url": "javascript:1", "alt": ""}}
    clean = PARSER.parse_batch("energy", batch({"user_id": ALICE, "content": CARD}, bad), 10)
    mixed = PARSER.parse_batch("energy", batch({"user_id": 1, "content": CARD}, bad), 10)

    assert pointers(clean)[1] == pointers(mixed)[1] == ["/items/1/content/url"]


@pytest.mark.parametrize("extra", [{}, {"colour": "red"}])
def test_too_many_items_are_refused_as_a_whole(extra: dict[str, Any]) -> None:
    items = [{"user_id": ALICE, "content": CARD} for _ in range(3)]
    with pytest.raises(InvalidWidget) as caught:
        PARSER.parse_batch("energy", batch(*items[:2], {**items[2], **extra}), 2)
    assert caught.value.problems[0].pointer == "/items"
