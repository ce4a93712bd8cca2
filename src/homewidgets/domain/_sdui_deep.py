"""Find the first too-deep component in input too deep for msgspec to decode.

msgspec raises RecursionError on input nested thousands of levels deep (a cheap attack).
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
from typing import Any

_ONE = frozenset({"fallback", "image", "badge"})
_MANY = frozenset({"children", "items", "actions"})
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.DOTALL)


def _join(keys: list[str]) -> str:
    return "".join("/" + k.replace("~", "~0").replace("/", "~1") for k in keys)


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
