"""The SDUI catalogue with the depth and URL rules built into the types: the push fast path.

Private to `homewidgets.domain.sdui`. The Structs of `_sdui_types` cannot state two rules
(how deep components nest, which URLs are allowed), so `ContentValidator` used to walk
every decoded tree in Python after msgspec, a third of the validation time. Here the
catalogue is copied once per nesting level: a component at level `d` can only hold
components of level `d + 1`, and at the last level nothing at all; every URL field
carries the URL rule as a msgspec `pattern`. msgspec then checks both rules while it
decodes, in C.

These types are only ever a yes/no gate. A tree they accept is valid under every rule,
and encodes to the same canonical bytes (each copy subclasses its original, so fields,
their order, tags and options are the original's). Anything they refuse is validated
again by the original path, which finds the same problems with the same pointers and
wording as before: the gate may be stricter than the rules, never more lenient, and only
invalid content pays twice.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

from msgspec import NODEFAULT, Meta, Struct, UnsetType, defstruct, structs

from homewidgets.domain import _sdui_types as t

__all__ = ["bounded_component"]

_NOTHING_BELOW = Annotated[list[None], Meta(max_length=0)]
"""A nested list at the last level: only `[]` passes (any element fails as "not null")."""


def bounded_component(max_depth: int, url_pattern: str) -> Any:
    """The union of root components (level 1) of a tree at most `max_depth` levels deep,
    every URL matching `url_pattern`. Builds 13 Structs per level: call once per validator.
    """
    if max_depth < 1:
        raise ValueError("max_depth must be at least 1")
    url = Annotated[str, Meta(max_length=t.MAX_URL, pattern=url_pattern)]
    navigate = defstruct("Navigate", [("url", url)], bases=(t.Navigate,), tag="navigate")
    fixed: dict[Any, Any] = {t.Navigate: navigate}
    below: dict[Any, Any] | None = None  # original class -> its copy one level down
    for depth in range(max_depth, 0, -1):
        mapping = fixed if below is None else {**fixed, **below}
        below = {
            cls: _copy(cls, depth, url, mapping, last=depth == max_depth)
            for cls in t.COMPONENT_TYPES
        }
    assert below is not None
    return Union[tuple(below[cls] for cls in t.COMPONENT_TYPES)]  # noqa: UP007


def _copy(
    cls: type[Struct], depth: int, url: Any, mapping: dict[Any, Any], *, last: bool = False
) -> type[Struct]:
    """`cls` at nesting level `depth`: nested component types replaced through `mapping`,
    or (`last`) nested fields that only accept "absent" and "empty"."""
    nested, nested_lists = set(cls.NESTED), set(cls.NESTED_LISTS)  # type: ignore[attr-defined]
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for field in structs.fields(cls):
        if field.name == "url":
            tp: Any = url
        elif last and field.name in nested:
            tp = UnsetType
        elif last and field.name in nested_lists:
            tp = _NOTHING_BELOW
        else:
            tp = _rewrite(field.type, mapping)
        if field.default is not NODEFAULT:
            fields.append((field.name, tp, field.default))
        elif field.default_factory is not NODEFAULT:  # msgspec copies an empty [] per use
            fields.append((field.name, tp, field.default_factory()))
        else:
            fields.append((field.name, tp))
    return defstruct(
        f"{cls.__name__}{depth}", fields, bases=(cls,), tag=cls.__struct_config__.tag
    )


def _rewrite(tp: Any, mapping: dict[Any, Any]) -> Any:
    """`tp` with every class in `mapping` replaced, inside unions, lists and Annotated."""
    if isinstance(tp, type) and tp in mapping:
        return mapping[tp]
    origin = get_origin(tp)
    if origin is Annotated:
        base, *meta = get_args(tp)
        return Annotated[(_rewrite(base, mapping), *meta)]
    if origin is list:
        (item,) = get_args(tp)
        return list[_rewrite(item, mapping)]  # type: ignore[misc]
    if origin is Union or origin is types.UnionType:
        return Union[tuple(_rewrite(arg, mapping) for arg in get_args(tp))]  # noqa: UP007
    return tp
