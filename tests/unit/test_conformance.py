"""The shared SDUI corpus: the validator, its canonical output and the JSON Schema agree with it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from homewidgets.conformance import ConformanceCase, generate, load_cases
from homewidgets.domain.errors import InvalidWidget
from homewidgets.domain.sdui import COMPONENT_TAGS, ContentValidator
from homewidgets.domain.sdui_schema import sdui_json_schema

CASES = load_cases()
VALID = [c for c in CASES if c.valid]
INVALID = [c for c in CASES if not c.valid]
VALIDATOR = ContentValidator()  # the corpus assumes the default configuration

# What JSON Schema cannot express; the validator alone refuses these.
SCHEMA_CANNOT_SAY = {
    "invalid/14-too-deep",  # a depth limit
    "invalid/15-malformed-json",  # not JSON: nothing to validate
    "invalid/16-too-large",  # a byte size
    "invalid/18-rating-above-max",  # one field compared with another
    "invalid/19-countdown-without-timezone",  # `format` is only an annotation by default
    "invalid/27-deep-attack",  # a depth limit (and too deep for a recursive validator)
}


def ids(cases: list[ConformanceCase]) -> list[str]:
    return [c.name for c in cases]


def types_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("type"), str):
            yield node["type"]
        for value in node.values():
            yield from types_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from types_in(value)


def test_the_corpus_has_a_valid_case_for_every_component_type() -> None:
    seen = {tag for case in VALID for tag in types_in(json.loads(case.content))}
    assert set(COMPONENT_TAGS) <= seen


def test_the_corpus_has_invalid_cases_for_both_statuses() -> None:
    assert {c.expect_status for c in INVALID} == {413, 422}
    assert all(c.expect_pointer is not None for c in INVALID)


def test_case_names_are_unique_and_numbered() -> None:
    assert len({c.name for c in CASES}) == len(CASES)
    assert all(c.name.split("/")[1][:2].isdigit() for c in CASES)


@pytest.mark.parametrize("case", VALID, ids=ids(VALID))
def test_valid_cases_are_accepted_and_their_canonical_form_is_stable(case: ConformanceCase) -> None:
    canonical = VALIDATOR.validate(case.content)
    assert VALIDATOR.validate(canonical) == canonical
    assert json.loads(canonical)["type"] == json.loads(case.content)["type"]


@pytest.mark.parametrize("case", VALID, ids=ids(VALID))
def test_validate_value_agrees_on_valid_cases(case: ConformanceCase) -> None:
    assert VALIDATOR.validate_value(json.loads(case.content)) == VALIDATOR.validate(case.content)


@pytest.mark.parametrize("case", INVALID, ids=ids(INVALID))
def test_invalid_cases_get_their_status_and_pointer(case: ConformanceCase) -> None:
    with pytest.raises(InvalidWidget) as caught:
        VALIDATOR.validate(case.content)
    status = 413 if caught.value.too_large else 422
    assert (status, caught.value.problems[0].pointer) == (case.expect_status, case.expect_pointer)
    assert all(p.reason for p in caught.value.problems)


# Not JSON, and too deep for the stdlib's json.loads (test_sdui covers deep values).
JSON_INVALID = [
    c for c in INVALID if c.name not in {"invalid/15-malformed-json", "invalid/27-deep-attack"}
]


@pytest.mark.parametrize("case", JSON_INVALID, ids=ids(JSON_INVALID))
def test_validate_value_agrees_on_invalid_cases(case: ConformanceCase) -> None:
    with pytest.raises(InvalidWidget) as caught:
        VALIDATOR.validate_value(json.loads(case.content))
    status = 413 if caught.value.too_large else 422
    assert (status, caught.value.problems[0].pointer) == (case.expect_status, case.expect_pointer)


def test_generate_hints_produce_what_the_readme_says() -> None:
    big = generate({"kind": "too_large", "min_bytes": 65537})
    assert len(big) >= 65537
    assert ContentValidator(max_bytes=len(big)).validate(big)
    deep = json.loads(generate({"kind": "deep_fallback", "depth": 3}))
    innermost = {"type": "divider"}
    assert deep == {"type": "divider", "fallback": {"type": "divider", "fallback": innermost}}
    with pytest.raises(ValueError, match="unknown generate hint"):
        generate({"kind": "huge"})


# ---------------------------------------------------------------- the published JSON Schema


@pytest.fixture(scope="module")
def schema_validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    return jsonschema.Draft202012Validator(sdui_json_schema())


@pytest.mark.parametrize("case", VALID, ids=ids(VALID))
def test_the_json_schema_accepts_valid_cases(case: ConformanceCase, schema_validator: Any) -> None:
    schema_validator.validate(json.loads(case.content))


SCHEMA_INVALID = [c for c in INVALID if c.name not in SCHEMA_CANNOT_SAY]


@pytest.mark.parametrize("case", SCHEMA_INVALID, ids=ids(SCHEMA_INVALID))
def test_the_json_schema_refuses_invalid_cases_at_the_same_place(
    case: ConformanceCase, schema_validator: Any
) -> None:
    exceptions = pytest.importorskip("jsonschema.exceptions")
    error = exceptions.best_match(schema_validator.iter_errors(json.loads(case.content)))
    assert error is not None
    # The schema stops at the object holding the problem (e.g. "'title' is a required
    # property" at /children/0), the validator names the field: one is a prefix of the other.
    where = "".join(f"/{step}" for step in error.absolute_path)
    assert case.expect_pointer is not None
    assert case.expect_pointer.startswith(where)


def test_the_schema_exceptions_are_real_cases() -> None:
    assert {c.name for c in INVALID} >= SCHEMA_CANNOT_SAY
