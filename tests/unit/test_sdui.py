"""The SDUI validator: canonical output, each rule with its pointer and reason, the schemas."""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homewidgets.domain import _sdui_types as t
from homewidgets.domain._sdui_problems import problem_from_msgspec
from homewidgets.domain.errors import InvalidWidget, Problem
from homewidgets.domain.sdui import COMPONENT_TAGS, ContentValidator, url_pattern
from homewidgets.domain.sdui_schema import sdui_json_schema, sdui_openapi_components

VALIDATOR = ContentValidator(allowed_schemes=frozenset({"checkapp"}))


def problem(raw: bytes | str, validator: ContentValidator = VALIDATOR) -> Problem:
    data = raw.encode() if isinstance(raw, str) else raw
    with pytest.raises(InvalidWidget) as caught:
        validator.validate(data)
    assert not caught.value.too_large
    (only,) = caught.value.problems
    return only


def column(depth: int) -> bytes:
    """Columns nested `depth` deep, a divider innermost."""
    outer = b'{"type":"column","children":[' * (depth - 1)
    return outer + b'{"type":"divider"}' + b"]}" * (depth - 1)


def image(url: str) -> str:
    return json.dumps({"type": "image", "url": url, "alt": "a"})


# ---------------------------------------------------------------- canonical output


def test_the_catalogue_is_the_one_of_the_contract() -> None:
    assert set(COMPONENT_TAGS) == {
        "section",
        "carousel",
        "card",
        "text",
        "image",
        "button",
        "price",
        "badge",
        "rating",
        "row",
        "column",
        "countdown",
        "divider",
    }


def test_valid_content_comes_back_compact_in_field_order_without_defaults() -> None:
    raw = b'{ "style": "body", "text": "Hallo \\u00fc", "type": "text" }'
    assert VALIDATOR.validate(raw) == '{"type":"text","text":"Hallo ü"}'.encode()


def test_type_may_come_after_the_other_fields() -> None:
    raw = b'{"label": "Sale", "tone": "deal", "type": "badge"}'
    assert VALIDATOR.validate(raw) == b'{"type":"badge","label":"Sale","tone":"deal"}'


def test_the_implied_type_of_a_card_image_is_added_to_the_canonical_output() -> None:
    # A known leniency of msgspec: a slot that holds one type only does not need `type`.
    raw = b'{"type":"card","title":"t","image":{"url":"/a.png","alt":"a"}}'
    assert b'"image":{"type":"image","url":"/a.png","alt":"a"}' in VALIDATOR.validate(raw)


def test_countdown_times_keep_their_offset() -> None:
    raw = b'{"type":"countdown","until":"2026-12-24T18:00:00+01:00"}'
    assert VALIDATOR.validate(raw) == raw


# ---------------------------------------------------------------- the rules, one by one


def test_malformed_json_points_at_the_root() -> None:
    found = problem('{"type": "text", "text": "a",}')
    assert found.pointer == ""
    assert found.reason.startswith("malformed JSON")


def test_a_missing_field_is_pointed_at_itself() -> None:
    assert problem('{"type":"row","children":[{"type":"card"}]}') == Problem(
        "/children/0/title", "missing required field `title`"
    )


def test_an_unknown_field_is_pointed_at_itself_escaped_per_rfc_6901() -> None:
    assert problem('{"type":"divider","a/b~c":1}') == Problem("/a~1b~0c", "unknown field `a/b~c`")


def test_an_unknown_type_names_the_known_ones() -> None:
    found = problem('{"type":"section","children":[{"type":"video"}]}')
    assert found.pointer == "/children/0/type"
    assert "'video'" in found.reason
    assert ", ".join(COMPONENT_TAGS) in found.reason


def test_an_unknown_action_names_the_known_actions() -> None:
    found = problem('{"type":"button","label":"x","action":{"type":"call"}}')
    assert found.pointer == "/action/type"
    assert "dismiss, navigate, track" in found.reason


@pytest.mark.parametrize(
    ("raw", "pointer", "expected"),
    [
        ('{"type":"card","title":"x","image":{"type":"text","text":"t"}}', "/image/type", "image"),
        ('{"type":"card","title":"x","badge":{"type":"text","text":"t"}}', "/badge/type", "badge"),
        ('{"type":"card","title":"x","actions":[{"type":"divider"}]}', "/actions/0/type", "button"),
    ],
)
def test_card_slots_accept_only_their_own_type(raw: str, pointer: str, expected: str) -> None:
    found = problem(raw)
    assert found.pointer == pointer
    assert f"`{expected}` component" in found.reason


def test_a_wrong_field_type_names_both_types() -> None:
    found = problem('{"type":"text","text":42}')
    assert found == Problem("/text", "Expected `str`, got `int`")


@pytest.mark.parametrize(
    ("raw", "allowed"),
    [
        ('{"type":"text","text":"a","style":"primary"}', "title, subtitle, body, caption"),
        (
            '{"type":"button","label":"a","style":"body","action":{"type":"dismiss"}}',
            "primary, secondary, link",
        ),
        (
            '{"type":"row","children":[{"type":"badge","label":"a","tone":"fire"}]}',
            "neutral, info, success, warning, danger, deal",
        ),
    ],
)
def test_a_bad_enum_value_names_the_values_its_component_allows(raw: str, allowed: str) -> None:
    assert problem(raw).reason.endswith(f"allowed: {allowed}")
    with pytest.raises(InvalidWidget) as caught:
        VALIDATOR.validate_value(json.loads(raw))
    assert caught.value.problems[0].reason.endswith(f"allowed: {allowed}")


def test_null_is_not_a_way_to_leave_a_field_out() -> None:
    assert problem('{"type":"card","title":"x","subtitle":null}').pointer == "/subtitle"


@pytest.mark.parametrize(
    ("raw", "pointer", "limit"),
    [
        (json.dumps({"type": "text", "text": "x" * 2001}), "/text", "2000"),
        (json.dumps({"type": "badge", "label": "x" * 201}), "/label", "200"),
        (json.dumps({"type": "row", "children": [{"type": "divider"}] * 51}), "/children", "50"),
        (json.dumps({"type": "image", "url": "/" + "x" * 2048, "alt": "a"}), "/url", "2048"),
    ],
)
def test_length_limits_are_named_in_the_reason(raw: str, pointer: str, limit: str) -> None:
    found = problem(raw)
    assert found.pointer == pointer
    assert limit in found.reason


@pytest.mark.parametrize(
    ("raw", "pointer"),
    [
        ('{"type":"price","amount":1,"currency":"Eur"}', "/currency"),
        ('{"type":"price","amount":-0.01,"currency":"EUR"}', "/amount"),
        ('{"type":"price","amount":1,"currency":"EUR","was_amount":-1}', "/was_amount"),
        ('{"type":"price","amount":1e400,"currency":"EUR"}', "/amount"),
        ('{"type":"price","amount":1,"currency":"EUR","period":"week"}', "/period"),
        ('{"type":"rating","value":4,"max":0}', "/max"),
        ('{"type":"rating","value":4,"count":-1}', "/count"),
        ('{"type":"rating","value":4,"count":1.5}', "/count"),
        ('{"type":"rating","value":11,"max":10}', "/value"),
        ('{"type":"image","url":"/a","alt":"a","aspect_ratio":-1}', "/aspect_ratio"),
        ('{"type":"text","text":"a","style":"shout"}', "/style"),
        ('{"type":"button","label":"a","style":"big","action":{"type":"dismiss"}}', "/style"),
        ('{"type":"countdown","until":"tomorrow"}', "/until"),
        ('{"type":"countdown","until":"2026-12-24T18:00:00"}', "/until"),
    ],
)
def test_field_rules_point_at_the_field(raw: str, pointer: str) -> None:
    assert problem(raw).pointer == pointer


def test_a_rating_above_its_max_says_so() -> None:
    assert problem('{"type":"rating","value":6}') == Problem(
        "/value", "must be at most `max` (5), got 6"
    )


def test_content_over_the_size_limit_is_too_large_with_the_limit_in_the_reason() -> None:
    validator = ContentValidator(max_bytes=30)
    with pytest.raises(InvalidWidget) as caught:
        validator.validate(b'{"type":"text","text":"abcdefg"}')
    assert caught.value.too_large
    assert caught.value.problems == [Problem("", "content is 32 bytes, over the limit of 30 bytes")]


def test_content_of_exactly_the_size_limit_is_accepted() -> None:
    raw = b'{"type":"text","text":"abcdefg"}'
    assert ContentValidator(max_bytes=len(raw)).validate(raw) == raw


# ---------------------------------------------------------------- nesting depth


def test_sixteen_levels_are_accepted_and_seventeen_refused_at_the_seventeenth() -> None:
    assert VALIDATOR.validate(column(16)) == column(16)
    assert problem(column(17)) == Problem(
        "/children/0" * 16, "components nest deeper than the limit of 16 levels"
    )


def test_fallback_image_and_badge_count_as_a_level() -> None:
    validator = ContentValidator(max_depth=2)
    # divider (1) -> its fallback row (2) -> the row's child (3): one too many.
    fallback = b'{"type":"divider","fallback":{"type":"row","children":[{"type":"divider"}]}}'
    assert problem(fallback, validator).pointer == "/fallback/children/0"
    card = b'{"type":"card","title":"t","badge":{"type":"badge","label":"b"}}'
    assert validator.validate(card) == card
    deeper = b'{"type":"row","children":[' + card + b"]}"
    assert problem(deeper, validator).pointer == "/children/0/badge"


def test_ten_thousand_levels_do_not_crash_the_validator() -> None:
    validator = ContentValidator(max_bytes=10_000_000)
    assert problem(column(10_000), validator).pointer == "/children/0" * 16


def test_ten_thousand_levels_of_decoded_json_do_not_crash_validate_value() -> None:
    value: dict[str, Any] = {"type": "divider"}
    for _ in range(10_000):
        value = {"type": "divider", "fallback": value}
    with pytest.raises(InvalidWidget) as caught:
        VALIDATOR.validate_value(value)
    assert caught.value.problems[0].pointer == "/fallback" * 16


# ---------------------------------------------------------------- URLs


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.example/a.png",
        "HTTPS://CDN.EXAMPLE/A.PNG",
        "https://cdn.example/a.png?w=2&q=ü#x",
        "/static/a.png",
        "/",
        "checkapp://offers/42",
        "CheckApp:offers",
    ],
)
def test_allowed_urls(url: str) -> None:
    assert VALIDATOR.validate(image(url).encode())


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "\x00javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "http://cdn.example/a.png",
        "//evil.example/a.png",
        "/\\evil.example/a.png",
        "\\\\evil.example/a.png",
        "https:evil.example",
        "https:///a.png",
        "https://cdn.example/a b.png",
        "https://cdn.example/a.png\n",
        "otherapp://x",
        "a.png",
        "",
    ],
)
def test_refused_urls(url: str) -> None:
    found = problem(image(url))
    assert found.pointer == "/url"
    assert "URL not allowed" in found.reason


def test_navigate_urls_follow_the_same_rule() -> None:
    raw = '{"type":"button","label":"a","action":{"type":"navigate","url":"javascript:x"}}'
    assert problem(raw).pointer == "/action/url"


def test_app_schemes_are_refused_unless_configured() -> None:
    assert problem(image("checkapp://x"), ContentValidator()).pointer == "/url"


@pytest.mark.parametrize("scheme", ["javascript", "data", "http", "Bad", "a b", ""])
def test_dangerous_or_malformed_schemes_cannot_be_allowed(scheme: str) -> None:
    with pytest.raises(ValueError, match="app URL scheme"):
        ContentValidator(allowed_schemes=frozenset({scheme}))


def test_the_url_pattern_has_no_python_only_syntax() -> None:
    # It is published in the JSON Schema, where ECMA-262 regexes apply: no inline flags, no \Z.
    pattern = url_pattern(frozenset({"checkapp"}))
    assert "(?i" not in pattern
    assert "\\Z" not in pattern
    assert re.search(pattern, "https://a.example\n") is None


# ---------------------------------------------------------------- msgspec messages


def test_msgspec_paths_become_json_pointers() -> None:
    message = "Expected `str`, got `int` - at `$.items[12].children[0].title`"
    assert problem_from_msgspec(message) == Problem(
        "/items/12/children/0/title", "Expected `str`, got `int`"
    )
    assert problem_from_msgspec("Expected `object`, got `array`") == Problem(
        "", "Expected `object`, got `array`"
    )


def test_only_cards_have_more_than_one_nested_slot_besides_fallback() -> None:
    # The fast tree walk special-cases Card; a new slot elsewhere must change it too.
    lists = {cls.__name__: cls.NESTED_LISTS for cls in t.COMPONENT_TYPES if cls.NESTED_LISTS}
    assert lists == {
        "Section": ("children",),
        "Carousel": ("items",),
        "Card": ("children", "actions"),
        "Row": ("children",),
        "Column": ("children",),
    }
    singles = {cls.__name__: cls.NESTED for cls in t.COMPONENT_TYPES if cls.NESTED != ("fallback",)}
    assert singles == {"Card": ("fallback", "image", "badge")}


# ---------------------------------------------------------------- properties


def _components(leaf: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    def nest(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        kids = st.lists(inner, max_size=3)
        return st.one_of(
            st.builds(lambda c: {"type": "column", "children": c}, kids),
            st.builds(lambda c, ti: {"type": "carousel", "items": c, "title": ti}, kids, TEXTS),
            st.builds(lambda c, f: {"type": "row", "children": c, "fallback": f}, kids, inner),
            st.builds(
                lambda ti, c, b: {"type": "card", "title": ti, "children": c, "actions": [b]},
                TEXTS,
                kids,
                BUTTONS,
            ),
        )

    return st.recursive(leaf, nest, max_leaves=12)


TEXTS = st.text(max_size=30)
URLS = st.sampled_from(["https://cdn.example/a.png", "/a?b=c", "checkapp://x"])
BUTTONS = st.builds(
    lambda label, url, style: {
        "type": "button",
        "label": label,
        "style": style,
        "action": {"type": "navigate", "url": url},
    },
    TEXTS,
    URLS,
    st.sampled_from(["primary", "secondary", "link"]),
)
LEAVES = st.one_of(
    st.builds(
        lambda s, st_: {"type": "text", "text": s, "style": st_},
        TEXTS,
        st.sampled_from(["title", "subtitle", "body", "caption"]),
    ),
    st.builds(
        lambda a, c: {"type": "price", "amount": a, "currency": c},
        st.floats(0, 1e9) | st.integers(0, 10**9),
        st.from_regex(r"\A[A-Z]{3}\Z"),
    ),
    st.builds(
        lambda v, n: {"type": "rating", "value": v, "count": n},
        st.floats(0, 5),
        st.integers(0, 10**6),
    ),
    st.builds(
        lambda u, r: {"type": "image", "url": u, "alt": "a", "aspect_ratio": r},
        URLS,
        st.floats(0.01, 100),
    ),
    st.just({"type": "divider"}),
    BUTTONS,
)


@settings(max_examples=150, deadline=None)
@given(_components(LEAVES))
def test_canonical_output_is_a_fixed_point_and_keeps_the_content(content: dict[str, Any]) -> None:
    canonical = VALIDATOR.validate(json.dumps(content).encode())
    assert VALIDATOR.validate(canonical) == canonical
    assert VALIDATOR.validate_value(content) == canonical
    decoded = msgspec.json.decode(canonical)
    assert decoded["type"] == content["type"]


# ---------------------------------------------------------------- published schemas


def test_the_json_schema_is_a_valid_2020_12_schema_with_an_id() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = sdui_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"].endswith("/v1/schema/sdui.json")
    assert schema["title"]
    assert set(schema["$defs"]["Component"]["properties"]["type"]["enum"]) == set(COMPONENT_TAGS)


def test_the_json_schema_states_the_configured_url_rule() -> None:
    schema = sdui_json_schema(allowed_schemes=frozenset({"checkapp"}))
    for name in ("Image", "Navigate"):
        assert schema["$defs"][name]["properties"]["url"]["pattern"] == url_pattern(
            frozenset({"checkapp"})
        )


def _refs(node: object) -> set[str]:
    if isinstance(node, dict):
        own = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return own.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def test_openapi_components_are_prefixed_and_every_ref_resolves() -> None:
    root, components = sdui_openapi_components()
    assert root == {"$ref": "#/components/schemas/SduiComponent"}
    assert all(name.startswith("Sdui") for name in components)
    mapping = components["SduiComponent"]["discriminator"]["mapping"]
    assert mapping["card"] == "#/components/schemas/SduiCard"
    targets = {f"#/components/schemas/{name}" for name in components}
    assert _refs(components) | _refs(root) <= targets
