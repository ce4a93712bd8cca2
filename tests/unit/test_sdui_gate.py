"""The bounded catalogue (`_sdui_bounded`) accepts exactly what the validator's rules accept.

`ContentValidator.validate` trusts the gate's "yes" and only explains its "no" with the
original path; so a gate more lenient than the rules would let bad content in, and one
stricter than them would send valid pushes down the slow path. Both are checked here
against the original rules on random trees that cross the depth limit and carry bad URLs.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homewidgets.domain._sdui_bounded import bounded_component
from homewidgets.domain.errors import InvalidWidget
from homewidgets.domain.sdui import ContentValidator, url_pattern

SCHEMES = frozenset({"checkapp"})
DEPTH = 3
VALIDATOR = ContentValidator(allowed_schemes=SCHEMES, max_depth=DEPTH)
GATE = msgspec.json.Decoder(bounded_component(DEPTH, url_pattern(SCHEMES)))
ENCODE = msgspec.json.Encoder().encode


def gate_accepts(raw: bytes) -> bytes | None:
    try:
        return ENCODE(GATE.decode(raw))
    except msgspec.ValidationError:
        return None


def rules_accept(raw: bytes) -> bytes | None:
    try:
        return VALIDATOR.validate(raw)
    except InvalidWidget:
        return None


def nest(levels: int, leaf: bytes = b'{"type":"divider"}') -> bytes:
    for _ in range(levels - 1):
        leaf = b'{"type":"column","children":[' + leaf + b"]}"
    return leaf


URLS = st.sampled_from([
    "https://cdn.example/a.png", "/a?b=c", "checkapp://x", "CheckApp:y",
    "javascript:alert(1)", "//evil.example", "http://plain.example", "/\\evil", "https://a b",
    "https://x/\"quoted\"", "", "otherapp:z",
])
TEXTS = st.text(max_size=8)
IMAGES = st.builds(lambda u: {"type": "image", "url": u, "alt": "a"}, URLS)
BADGES = st.just({"type": "badge", "label": "new"})
BUTTONS = st.builds(
    lambda label, action: {"type": "button", "label": label, "action": action},
    TEXTS,
    st.one_of(st.builds(lambda u: {"type": "navigate", "url": u}, URLS),
              st.just({"type": "dismiss"}), st.just({"type": "track", "event": "e"})),
)
LEAVES = st.one_of(IMAGES, BADGES, BUTTONS, st.just({"type": "divider"}),
                   st.builds(lambda s: {"type": "text", "text": s}, TEXTS))


def _with_fallback(node: dict[str, Any], fallback: dict[str, Any] | None) -> dict[str, Any]:
    return node if fallback is None else {**node, "fallback": fallback}


def _nest(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    kids = st.lists(inner, max_size=2)
    maybe = st.none() | inner
    return st.one_of(
        st.builds(lambda c, f: _with_fallback({"type": "column", "children": c}, f), kids, maybe),
        st.builds(lambda c: {"type": "carousel", "items": c}, kids),
        st.builds(lambda c: {"type": "section", "children": c}, kids),
        st.builds(
            lambda c, image, badge, buttons, f: _with_fallback(
                {"type": "card", "title": "t", "children": c, "actions": buttons,
                 **({"image": image} if image else {}), **({"badge": badge} if badge else {})},
                f),
            kids, st.none() | IMAGES, st.none() | BADGES, st.lists(BUTTONS, max_size=2), maybe,
        ),
    )


TREES = st.recursive(LEAVES, _nest, max_leaves=10)


@settings(max_examples=400, deadline=None)
@given(TREES)
def test_the_gate_accepts_exactly_what_the_rules_accept_with_the_same_bytes(
    tree: dict[str, Any],
) -> None:
    raw = json.dumps(tree).encode()
    assert gate_accepts(raw) == rules_accept(raw)


def test_the_last_level_is_accepted_and_one_more_refused() -> None:
    assert gate_accepts(nest(DEPTH)) == nest(DEPTH)
    assert gate_accepts(nest(DEPTH + 1)) is None
    assert rules_accept(nest(DEPTH + 1)) is None


def test_empty_lists_and_absent_slots_are_fine_at_the_last_level() -> None:
    last = b'{"type":"card","title":"t"}'
    empty = b'{"type":"card","title":"t","children":[],"actions":[]}'
    assert gate_accepts(nest(DEPTH, last)) == nest(DEPTH, last)
    assert gate_accepts(nest(DEPTH, empty)) == nest(DEPTH, last)  # defaults are omitted


def test_a_null_slot_at_the_last_level_is_refused_as_everywhere_else() -> None:
    for slot in (b'"fallback":null', b'"image":null', b'"children":[null]'):
        raw = nest(DEPTH, b'{"type":"card","title":"t",' + slot + b"}")
        assert gate_accepts(raw) is None
        assert rules_accept(raw) is None


def test_a_bad_url_in_a_button_is_refused_by_the_gate_with_the_rules_problem_after() -> None:
    raw = b'{"type":"button","label":"x","action":{"type":"navigate","url":"javascript:1"}}'
    assert gate_accepts(raw) is None
    with pytest.raises(InvalidWidget) as caught:
        VALIDATOR.validate(raw)
    assert caught.value.problems[0].pointer == "/action/url"


def test_max_depth_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        bounded_component(0, url_pattern())
