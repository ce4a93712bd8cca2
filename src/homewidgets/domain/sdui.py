"""SDUI schema version 1: strict validation of pushed content (the published schemas are
in `sdui_schema`).

`ContentValidator` is built once per process (it holds compiled decoders and the URL rule)
and called on every push, so it does the least work that keeps bad content out: one
msgspec decode into the depth- and URL-bounded copy of the catalogue (`_sdui_bounded`:
types, fields, enums, limits, nesting depth and URL schemes all checked by msgspec),
one encode to canonical compact JSON. The read path then serves those bytes as they are.
Content that copy refuses is decoded again into the Structs of `_sdui_types` and walked
for the two rules msgspec cannot state there, which is what words the problems.

Problems are reported as JSON pointers relative to the content root, so a push handler
moves them under its own prefix with `InvalidWidget.under("/content")`.
"""

from __future__ import annotations

import re
from functools import lru_cache, partial
from typing import Any

import msgspec

from homewidgets.domain import _sdui_types as t
from homewidgets.domain._sdui_bounded import bounded_component
from homewidgets.domain._sdui_problems import (
    deep_pointer_in_json,
    deep_pointer_in_value,
    problem_from_msgspec,
)
from homewidgets.domain.errors import InvalidWidget, Problem

COMPONENT_TAGS = t.COMPONENT_TAGS
"""Every component `type` of schema version 1, sorted."""

__all__ = [
    "COMPONENT_TAGS",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "ContentValidator",
    "problem_from_msgspec",
    "url_pattern",
]

DEFAULT_MAX_BYTES = 65536
DEFAULT_MAX_DEPTH = 16

_FORBIDDEN_SCHEMES = frozenset({"javascript", "vbscript", "data", "http", "file", "blob"})
_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]{0,31}")
_URL_CHAR = r"[^\x00-\x20\x7f\\]"  # no spaces, control characters or backslashes anywhere


def url_pattern(allowed_schemes: frozenset[str] = frozenset()) -> str:
    """The URL rule as one regular expression, valid both in Python and in ECMA-262.

    Accepted: `https://host...`, a site-relative path `/...` (but not `//host` nor `/\\host`,
    which browsers read as another host), and `<scheme>:...` for each allowed app scheme.
    Schemes match case-insensitively (spelled as character classes, since ECMA has no
    inline flags); whitespace, control characters and backslashes are refused anywhere,
    so " javascript:" or "java\\tscript:" cannot slip through a lenient browser parser.
    It ends in `(?![\\s\\S])` rather than `$`, which in Python also matches before a final
    newline.
    """

    def ci(word: str) -> str:
        return "".join(f"[{c}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)

    host_start = r"[^\x00-\x20\x7f\\/?#]"
    options = [f"{ci('https')}://{host_start}{_URL_CHAR}*", f"/(?![/\\\\]){_URL_CHAR}*"]
    options += [f"{ci(s)}:{_URL_CHAR}*" for s in sorted(allowed_schemes)]
    return f"^(?:{'|'.join(options)})(?![\\s\\S])"


class ContentValidator:
    """Validates one SDUI component and returns its canonical JSON; lives as long as the app.

    `allowed_schemes`: app URL schemes (e.g. "checkapp") accepted besides `https:` and
    site-relative paths. `max_bytes`: the content size limit (413 above it). `max_depth`:
    how many components may nest inside one another, the root and fallbacks included.
    """

    __slots__ = (
        "_decoder", "_encode", "_gate", "_max_bytes", "_max_depth", "_url_ok", "allowed_schemes"
    )  # fmt: skip

    def __init__(
        self,
        *,
        allowed_schemes: frozenset[str] = frozenset(),
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_depth: int = DEFAULT_MAX_DEPTH,
    ) -> None:
        for scheme in allowed_schemes:
            if not _SCHEME.fullmatch(scheme) or scheme in _FORBIDDEN_SCHEMES:
                raise ValueError(f"not an allowable app URL scheme: {scheme!r}")
        self.allowed_schemes = allowed_schemes
        self._max_bytes = max_bytes
        self._max_depth = max_depth
        self._url_ok = re.compile(url_pattern(allowed_schemes)).match
        self._decoder = msgspec.json.Decoder(t.Component)
        self._encode = msgspec.json.Encoder().encode
        self._gate = _gate(max_depth, url_pattern(allowed_schemes))

    def validate(self, raw: bytes | msgspec.Raw) -> bytes:
        """Validate one SDUI component given as JSON bytes; return canonical compact JSON bytes.

        Valid content passes the gate (every rule checked by msgspec while decoding) and
        is encoded; anything the gate refuses takes the original path, which says why.
        `raw` may be a `msgspec.Raw` slice of a bigger body (no copy on the fast path).
        """
        if len(raw) > self._max_bytes:
            raise InvalidWidget([self._too_large(len(raw))], too_large=True)
        try:
            return self._encode(self._gate(raw))
        except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
            raw = bytes(raw)
        try:
            tree = self._decoder.decode(raw)
        except msgspec.ValidationError as exc:
            document = partial(msgspec.json.decode, raw)
            raise InvalidWidget([problem_from_msgspec(str(exc), document)]) from None
        except msgspec.DecodeError as exc:
            reason = f"malformed JSON: {_lower_first(str(exc))}"
            raise InvalidWidget([Problem("", reason)]) from None
        except RecursionError:
            pointer = deep_pointer_in_json(raw, self._max_depth)
            raise InvalidWidget([self._too_deep(pointer)]) from None
        return self._finish(tree)

    def validate_value(self, value: object) -> bytes:
        """Like `validate`, for content already decoded from JSON (e.g. one item of a batch).

        The size limit then applies to the canonical output, the only bytes there are.
        """
        try:
            tree = msgspec.convert(value, t.Component)
        except msgspec.ValidationError as exc:
            raise InvalidWidget([problem_from_msgspec(str(exc), lambda: value)]) from None
        except RecursionError:
            pointer = deep_pointer_in_value(value, self._max_depth)
            raise InvalidWidget([self._too_deep(pointer)]) from None
        out = self._finish(tree)
        if len(out) > self._max_bytes:
            raise InvalidWidget([self._too_large(len(out))], too_large=True)
        return out

    def _finish(self, tree: t.Component) -> bytes:
        if not self._tree_ok(tree):
            raise InvalidWidget([self._first_problem(tree)])
        return self._encode(tree)

    def _tree_ok(self, root: t.Component) -> bool:
        """Depth and URL rules, checked level by level (refused content and `validate_value`).

        Breadth-first with `list.extend` keeps per-component work to a few attribute
        reads (2-3x faster than a stack of (node, depth, path) entries), and needs no
        recursion however deep the input. Where it fails, `_first_problem` finds out why.
        """
        url_ok, unset = self._url_ok, msgspec.UNSET
        image, button, navigate, card = t.Image, t.Button, t.Navigate, t.Card
        level: list[Any] = [root]
        for _ in range(self._max_depth):
            below: list[Any] = []
            add, add_all = below.append, below.extend
            for node in level:
                cls = type(node)
                if cls is image:
                    if not url_ok(node.url):
                        return False
                elif cls is button:
                    action = node.action
                    if type(action) is navigate and not url_ok(action.url):
                        return False
                elif cls is card:  # the only type with more than one nested slot
                    if node.image is not unset:
                        add(node.image)
                    if node.badge is not unset:
                        add(node.badge)
                    add_all(node.children)
                    add_all(node.actions)
                else:
                    lists = cls.NESTED_LISTS  # at most one (`children` or `items`)
                    if lists:
                        add_all(getattr(node, lists[0]))
                if node.fallback is not unset:
                    add(node.fallback)
            if not below:
                return True
            level = below
        return False

    def _first_problem(self, root: t.Component) -> Problem:
        """The problem `_tree_ok` found, with its pointer; walks depth-first, no recursion.

        Stack entries are (node, depth, parent entry, key): following the parent links
        gives the pointer of the offending node.
        """
        max_depth, url_ok, unset = self._max_depth, self._url_ok, msgspec.UNSET
        stack: list[tuple[Any, int, Any, str]] = [(root, 1, None, "")]
        while stack:
            entry = stack.pop()
            node, depth = entry[0], entry[1]
            if depth > max_depth:
                return self._too_deep(_pointer(entry))
            if isinstance(node, t.Image) and not url_ok(node.url):
                return self._bad_url(_pointer(entry) + "/url", node.url)
            action = getattr(node, "action", None)
            if isinstance(action, t.Navigate) and not url_ok(action.url):
                return self._bad_url(_pointer(entry) + "/action/url", action.url)
            for name in node.NESTED:
                child = getattr(node, name)
                if child is not unset:
                    stack.append((child, depth + 1, entry, name))
            for name in node.NESTED_LISTS:
                for i, child in enumerate(getattr(node, name)):
                    stack.append((child, depth + 1, entry, f"{name}/{i}"))
        raise AssertionError("_first_problem called on a valid tree")  # pragma: no cover

    def _too_large(self, size: int) -> Problem:
        return Problem("", f"content is {size} bytes, over the limit of {self._max_bytes} bytes")

    def _too_deep(self, pointer: str) -> Problem:
        limit = self._max_depth
        return Problem(pointer, f"components nest deeper than the limit of {limit} levels")

    def _bad_url(self, pointer: str, url: str) -> Problem:
        allowed = ", ".join(f"{s}:" for s in sorted(self.allowed_schemes))
        also = f", or an allowed app scheme ({allowed})" if allowed else ""
        return Problem(
            pointer,
            f"URL not allowed: {url[:80]!r}; use https://..., a site-relative /path{also}",
        )


@lru_cache(maxsize=8)
def _gate(max_depth: int, pattern: str) -> Any:
    """The decode function of the depth- and URL-bounded catalogue (built in ~0.1 s, so
    shared by every validator with the same rules)."""
    return msgspec.json.Decoder(bounded_component(max_depth, pattern)).decode


def _pointer(entry: tuple[Any, int, Any, str]) -> str:
    keys: list[str] = []
    while entry[2] is not None:
        keys.append(entry[3])
        entry = entry[2]
    return "".join(f"/{k}" for k in reversed(keys))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
