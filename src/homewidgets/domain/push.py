"""Use cases of the push path: parse and validate what a product sends, then store it.

Parsing happens fully before anything is written, so a refused request stores nothing;
in a batch each item stands alone (one bad item does not sink the others).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Sequence
from typing import Annotated

import msgspec

from homewidgets.domain.errors import (
    Forbidden,
    InvalidUserId,
    InvalidWidget,
    Problem,
    StaleVersion,
    Unauthorized,
)
from homewidgets.domain.model import (
    PutOutcome,
    Registry,
    WidgetWrite,
    parse_user_id,
)
from homewidgets.domain.ports import WidgetStore
from homewidgets.domain.sdui import ContentValidator
from homewidgets.domain.sdui import problem_from_msgspec as sdui_problem

MAX_VERSION = 2**53  # JSON clients (JavaScript) lose integers above this
MAX_TTL_SECONDS = 366 * 24 * 3600


class PushBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The body of `PUT .../widgets/{user_id}` and `PUT .../generic` (CONTRACT 4)."""

    content: msgspec.Raw
    version: Annotated[int, msgspec.Meta(ge=0, le=MAX_VERSION)] | None = None
    priority: Annotated[int, msgspec.Meta(ge=-1000, le=1000)] = 0
    ttl_seconds: Annotated[int, msgspec.Meta(ge=1, le=MAX_TTL_SECONDS)] | None = None


class BatchItem(PushBody, forbid_unknown_fields=True, kw_only=True):
    """One item of `POST .../widgets:batch`, and of a product's pull answer (CONTRACT 5)."""

    user_id: str


class BatchBody(msgspec.Struct, forbid_unknown_fields=True):
    items: list[msgspec.Raw]


class _DecodedBatch(msgspec.Struct, forbid_unknown_fields=True):
    """A batch whose items all fit `BatchItem`: decoded in one call (the usual case)."""

    items: list[BatchItem]


class PullAnswer(msgspec.Struct):
    widgets: list[msgspec.Raw]


def problem_from_msgspec(exc: msgspec.ValidationError | msgspec.DecodeError) -> Problem:
    """A msgspec failure as a Problem: a schema error names its field, malformed JSON the root."""
    if isinstance(exc, msgspec.ValidationError):
        return sdui_problem(str(exc))
    return Problem("", f"malformed JSON: {exc}")


class ItemResult(msgspec.Struct, frozen=True, gc=False):
    """The answer for one batch item: the stored version, or why it was refused.

    A Struct rather than a frozen dataclass: a batch makes a thousand of them, and a
    Struct is built about ten times faster. (No cycles can form, hence `gc=False`.)
    """

    user_id: str | None
    status: int
    version: int | None = None
    stored: bool = False
    error: str | None = None
    problems: tuple[Problem, ...] = ()


class WidgetParser:
    """Turns push bodies into validated WidgetWrites; lives as long as the app."""

    def __init__(
        self, validator: ContentValidator, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._validator = validator
        self._clock = clock
        self._decode_body = msgspec.json.Decoder(PushBody).decode
        self._decode_item = msgspec.json.Decoder(BatchItem).decode
        self._decode_batch = msgspec.json.Decoder(BatchBody).decode
        self._decode_whole_batch = msgspec.json.Decoder(_DecodedBatch).decode
        self._decode_pull = msgspec.json.Decoder(PullAnswer).decode

    def parse_put(self, product: str, user_id: str | None, raw: bytes) -> WidgetWrite:
        """One widget (user_id None: the generic one); InvalidWidget names the field."""
        try:
            body = self._decode_body(raw)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise InvalidWidget([problem_from_msgspec(exc)]) from None
        return self._write(product, user_id, body)

    def parse_batch(
        self, product: str, raw: bytes, max_items: int
    ) -> list[WidgetWrite | InvalidWidget]:
        """Every item of a batch body, each valid on its own or with its own error.

        One decode of the whole body usually does; if any item breaks the item schema,
        the body is decoded again item by item, so each item gets its own problems.
        """
        try:
            decoded = self._decode_whole_batch(raw).items
        except (msgspec.ValidationError, msgspec.DecodeError):
            pass
        else:
            if len(decoded) > max_items:
                raise InvalidWidget([Problem("/items", f"at most {max_items} items per batch")])
            check = self._check_item
            return [check(product, item, "/items", i) for i, item in enumerate(decoded)]
        try:
            items = self._decode_batch(raw).items
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise InvalidWidget([problem_from_msgspec(exc)]) from None
        if len(items) > max_items:
            raise InvalidWidget([Problem("/items", f"at most {max_items} items per batch")])
        return [self._parse_item(product, item, "/items", i) for i, item in enumerate(items)]

    def parse_pull_answer(self, product: str, raw: bytes) -> list[WidgetWrite | InvalidWidget]:
        """A product's answer to a pull call (CONTRACT 5): the same items as a batch."""
        try:
            widgets = self._decode_pull(raw).widgets
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise InvalidWidget([problem_from_msgspec(exc)]) from None
        return [self._parse_item(product, w, "/widgets", i) for i, w in enumerate(widgets)]

    def _parse_item(
        self, product: str, raw: msgspec.Raw, prefix: str, index: int
    ) -> WidgetWrite | InvalidWidget:
        try:
            item = self._decode_item(raw)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            return InvalidWidget([problem_from_msgspec(exc)]).under(f"{prefix}/{index}")
        return self._check_item(product, item, prefix, index)

    def _check_item(
        self, product: str, item: BatchItem, prefix: str, index: int
    ) -> WidgetWrite | InvalidWidget:
        """A decoded item as a write, or its problems under `<prefix>/<index>`."""
        try:
            user_id = parse_user_id(item.user_id)
        except InvalidUserId as exc:
            return InvalidWidget([Problem(f"{prefix}/{index}/user_id", str(exc))])
        try:
            return self._write(product, user_id, item)
        except InvalidWidget as exc:
            return exc.under(f"{prefix}/{index}")

    def _write(self, product: str, user_id: str | None, body: PushBody) -> WidgetWrite:
        try:
            content = self._validator.validate(body.content)
        except InvalidWidget as exc:
            raise exc.under("/content") from None
        ttl = body.ttl_seconds
        return WidgetWrite(  # positional: the order of WidgetWrite's fields
            product,
            user_id,
            content,
            body.version,
            body.priority,
            None if ttl is None else self._clock() + ttl,
        )


async def put_widget(write: WidgetWrite, *, store: WidgetStore) -> PutOutcome:
    """Store one widget; StaleVersion if an older version than the stored one."""
    outcome = await store.put(write)
    if outcome.stale:
        raise StaleVersion(outcome.version)
    return outcome


async def put_batch(
    parsed: Sequence[WidgetWrite | InvalidWidget], *, store: WidgetStore
) -> list[ItemResult]:
    """Store the valid items in one round trip; a result per item, in order."""
    writes = [item for item in parsed if isinstance(item, WidgetWrite)]
    if len(writes) == len(parsed):  # the usual case: every item valid
        outcomes = await store.put_many(writes) if writes else []
        return [_stored(write, outcome) for write, outcome in zip(writes, outcomes, strict=True)]
    remaining = iter(await store.put_many(writes) if writes else [])
    results: list[ItemResult] = []
    for item in parsed:
        if isinstance(item, InvalidWidget):
            status = 413 if item.too_large else 422
            results.append(
                ItemResult(None, status, error="invalid_widget", problems=tuple(item.problems))
            )
        else:
            results.append(_stored(item, next(remaining)))
    return results


def _stored(write: WidgetWrite, outcome: PutOutcome) -> ItemResult:
    if outcome.stale:
        return ItemResult(write.user_id, 409, version=outcome.version, error="stale_version")
    return ItemResult(write.user_id, 200, outcome.version, outcome.stored)


class TokenChecker:
    """Checks push tokens against the registry's SHA-256 digests (never the tokens)."""

    def __init__(self, registry: Registry) -> None:
        self._owner = {digest: p.id for p in registry for digest in p.token_sha256}

    def check(self, product: str, authorization: str | None) -> None:
        if not authorization:
            raise Unauthorized("missing Authorization: Bearer <token>")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Authorization must be 'Bearer <token>'")
        digest = hashlib.sha256(token.strip().encode()).hexdigest()
        owner = self._owner.get(digest)
        if owner is None:
            raise Unauthorized("unknown push token")
        if not hmac.compare_digest(owner, product):
            raise Forbidden(f"this token belongs to another product, not {product!r}")
