"""The published schemas of SDUI version 1: JSON Schema and OpenAPI components.

Generated from the same msgspec Structs that validate pushes (`_sdui_types`), plus the
two rules only the validator enforces (URL schemes as a `pattern`; depth in words), so
what is documented is what is accepted.
"""

from __future__ import annotations

import copy
from typing import Any

import msgspec

from homewidgets.domain import _sdui_types as t
from homewidgets.domain.sdui import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, url_pattern

__all__ = ["SCHEMA_ID", "sdui_json_schema", "sdui_openapi_components"]

SCHEMA_ID = "https://homewidgets.example/v1/schema/sdui.json"

_UNION_KEY = "Component"


def _schema_defs(
    ref_prefix: str, allowed_schemes: frozenset[str], *, dispatch: bool
) -> dict[str, dict[str, Any]]:
    """Definitions of every component, with the component union named once as `Component`.

    msgspec inlines the union (13 refs plus a discriminator) at each use; naming it keeps
    the document small. The URL rule, which only the validator enforces, is added as a
    `pattern`; the depth limit and `rating.value <= max` stay in descriptions.

    `dispatch`: state the union as `if type == X then X` instead of `anyOf`. Generic
    validators (python-jsonschema among them) evaluate every `anyOf` branch in full, and
    four branches accept `children`, so 16 levels of nesting cost 4**16 branch checks;
    with `if`/`then` only the matching branch descends. OpenAPI keeps `anyOf` plus the
    `discriminator`, which documentation and code generators understand.
    """
    (union,), defs = msgspec.json.schema_components(
        [t.Component], ref_template=ref_prefix + "{name}"
    )
    union_ref = {"$ref": ref_prefix + _UNION_KEY}

    def fold(node: Any) -> Any:
        if isinstance(node, dict):
            return union_ref if node == union else {k: fold(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fold(v) for v in node]
        return node

    defs = {name: fold(schema) for name, schema in defs.items()}
    pattern = url_pattern(allowed_schemes)
    defs["Image"]["properties"]["url"]["pattern"] = pattern
    defs["Navigate"]["properties"]["url"]["pattern"] = pattern
    defs["Rating"]["properties"]["value"]["description"] = "At most `max`."
    description = (
        "One SDUI component, chosen by `type`. Components nest at most "
        f"{DEFAULT_MAX_DEPTH} deep (fallbacks included); content is at most "
        f"{DEFAULT_MAX_BYTES} bytes of JSON."
    )
    if not dispatch:
        defs[_UNION_KEY] = copy.deepcopy(union) | {"description": description}
        return defs
    mapping: dict[str, str] = union["discriminator"]["mapping"]
    defs[_UNION_KEY] = {
        "description": description,
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"enum": sorted(mapping)}},
        "allOf": [
            {
                "if": {"required": ["type"], "properties": {"type": {"const": tag}}},
                "then": {"$ref": ref},
            }
            for tag, ref in mapping.items()
        ],
    }
    return defs


def sdui_json_schema(*, allowed_schemes: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The JSON Schema (2020-12) of one component, as served at `GET /v1/schema/sdui.json`."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Home widgets SDUI component, schema version 1",
        "$ref": f"#/$defs/{_UNION_KEY}",
        "$defs": _schema_defs("#/$defs/", allowed_schemes, dispatch=True),
    }


def sdui_openapi_components(
    *, allowed_schemes: frozenset[str] = frozenset(), prefix: str = "Sdui"
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(schema of one component as a $ref, the component schemas) for an OpenAPI 3.1 document.

    Names are prefixed (`SduiCard`, `SduiComponent`...) so they cannot clash with the
    schemas of the push API in the same `components/schemas`.
    """
    ref_prefix = f"#/components/schemas/{prefix}"
    defs = _schema_defs(ref_prefix, allowed_schemes, dispatch=False)
    return {"$ref": ref_prefix + _UNION_KEY}, {prefix + name: s for name, s in defs.items()}
