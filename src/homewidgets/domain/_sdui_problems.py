"""How the SDUI validator words its problems: JSON pointers and reasons.

Private to `homewidgets.domain.sdui`; everything here runs on the error path only, so it
favours clear messages over speed.

`problem_from_msgspec` turns msgspec's error messages into `Problem`s. The deep scanners
find the first too-deep component in input too deep for msgspec to decode: msgspec raises
RecursionError on input nested thousands of levels deep (a cheap attack).
The validator then needs a pointer to the offending component without recursing itself,
so these two scanners walk the raw JSON text or the decoded Python value with an explicit
stack. They run on that error path only; speed does not matter here, robustness does.

Component slots are the root, `fallback`, `image` and `badge` of a component, and the
elements of its `children`, `items` and `actions` lists: the same slots the validator's
tree walk follows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import msgspec

from homewidgets.domain import _sdui_types as t
from homewidgets.domain.errors import Problem

# ---------------------------------------------------------------- msgspec errors -> Problem

_PATH_TOKEN = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_MISSING = "Object missing required field `"
_UNKNOWN = "Object contains unknown field `"
_BAD_TAG = "Invalid value "
_LONG_QUOTE = re.compile(r"(['`])([^'`]{60})[^'`]+\1")
_SLOT_TYPES = {"image": "an `image`", "badge": "a `badge`", "actions": "a `button`"}


def escape_pointer_token(token: str) -> str:
    """RFC 6901: `~` becomes `~0` and `/` becomes `~1`."""
    return token.replace("~", "~0").replace("/", "~1")


def problem_from_msgspec(message: str, document: Callable[[], object] | None = None) -> Problem:
    """Translate a msgspec error ("... - at `$.children[0].title`") into a Problem.

    The path becomes a JSON pointer; a missing or unknown field is pointed at itself; an
    unknown `type` names the types that slot accepts. `document` (called on this error
    path only) gives the content as plain JSON, so a bad enum value can name the allowed
    values of that component's field.
    """
    text, sep, path = message.rpartition(" - at `")
    if not sep:
        text, path = message, "$"
    found = _PATH_TOKEN.findall(path.rstrip("`"))
    tokens = [name if index == "" else index for name, index in found]
    reason = text
    if text.startswith((_MISSING, _UNKNOWN)) and text.endswith("`"):
        field = text[len(_MISSING) : -1]
        tokens.append(field)
        kind = "missing required field" if text.startswith(_MISSING) else "unknown field"
        reason = f"{kind} `{field}`"
    elif text.startswith("@") and ":" in text:  # raised by a Struct's __post_init__
        field, _, reason = text[1:].partition(":")
        tokens.append(field)
    elif text.startswith(_BAD_TAG) and tokens[-1:] == ["type"]:
        reason = _unknown_type_reason(tokens[:-1], text[len(_BAD_TAG) :])
    elif text.startswith("Invalid enum value") and tokens and document is not None:
        allowed = _enum_values(tokens, document)
        if allowed:
            reason = f"{text}; allowed: {', '.join(allowed)}"
    elif text == "Number out of range":
        reason = "number out of range"
    # Quoted input (a 5 KB "type", say) is cut short: the pointer already says where it is.
    reason = _LONG_QUOTE.sub(r"\1\2…\1", reason)
    return Problem("".join(f"/{escape_pointer_token(tok)}" for tok in tokens), reason)


def _unknown_type_reason(slot: list[str], value: str) -> str:
    parent = slot[-1] if slot else ""
    if parent.isdigit() and len(slot) > 1:
        parent = slot[-2] if slot[-2] == "actions" else ""
    if parent == "action":
        return f"unknown action type {value}; known action types: {', '.join(t.ACTION_TAGS)}"
    if parent in _SLOT_TYPES:
        return f"`{parent}` must hold {_SLOT_TYPES[parent]} component, got type {value}"
    return f"unknown component type {value}; known types: {', '.join(t.COMPONENT_TAGS)}"


def _enum_values(tokens: list[str], document: Callable[[], object]) -> tuple[str, ...]:
    try:
        node = document()
        for token in tokens[:-1]:
            node = node[int(token)] if isinstance(node, list) else node[token]  # type: ignore[index]
    except (msgspec.DecodeError, RecursionError, LookupError, TypeError, ValueError):
        return ()
    tag = node.get("type") if isinstance(node, dict) else None
    return t.ENUM_FIELDS.get((str(tag), tokens[-1]), ())


# ---------------------------------------------------------------- too deep to decode

_ONE = frozenset({"fallback", "image", "badge"})
_MANY = frozenset({"children", "items", "actions"})
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.DOTALL)


def _join(keys: list[str]) -> str:
    return "".join("/" + escape_pointer_token(k) for k in keys)


def deep_pointer_in_json(raw: bytes, max_depth: int) -> str:
    """Pointer to the first component deeper than `max_depth` in `raw`, else "" (the root).

    A frame is [is_object, holds_components, position, component_depth, expecting_key]:
    for an object `position` is its current key, for an array the current index.
    """
    frames: list[list[Any]] = []
    for match in _TOKEN.finditer(raw.decode("utf-8", "replace")):
        tok = match.group()
        top = frames[-1] if frames else None
        if tok in ("{", "["):
            if top is None:
                slot, depth = tok == "{", 0
            elif top[0]:
                slot, depth = top[1] and top[2] in (_ONE if tok == "{" else _MANY), top[3]
            else:
                slot, depth = top[1] and tok == "{", top[3]
            if tok == "{":
                depth += slot
                if slot and depth > max_depth:
                    return _join([str(f[2]) for f in frames])
                frames.append([True, slot, None, depth, True])
            else:
                frames.append([False, slot, 0, depth, False])
        elif tok in ("}", "]"):
            if frames:
                frames.pop()
        elif top is None:
            continue
        elif tok == ",":
            if top[0]:
                top[4] = True
            else:
                top[2] += 1
        elif tok == ":":
            top[4] = False
        elif top[0] and top[4] and tok.startswith('"'):
            try:
                top[2] = json.loads(tok)
            except ValueError:
                top[2] = tok.strip('"')
    return ""


def deep_pointer_in_value(value: object, max_depth: int) -> str:
    """Pointer to the first component deeper than `max_depth` in a decoded JSON value."""
    stack: list[tuple[object, int, list[str]]] = [(value, 1, [])]
    while stack:
        node, depth, path = stack.pop()
        if not isinstance(node, dict):
            continue
        if depth > max_depth:
            return _join(path)
        for key, child in node.items():
            if key in _ONE:
                stack.append((child, depth + 1, [*path, key]))
            elif key in _MANY and isinstance(child, list):
                stack.extend((c, depth + 1, [*path, key, str(i)]) for i, c in enumerate(child))
    return ""
