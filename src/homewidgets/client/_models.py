"""What the client sends and gets back: request bodies and typed results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import msgspec

from homewidgets.client._errors import problems_of
from homewidgets.domain.errors import Problem

Content = Mapping[str, Any] | bytes
"""An SDUI component: a mapping, or JSON bytes sent exactly as they are."""


@dataclass(frozen=True, slots=True)
class PushResult:
    """A stored push: the version the service holds, and whether this call changed it."""

    product: str
    user_id: str | None
    version: int
    stored: bool


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One upsert of a batch (the PUT body plus the user)."""

    user_id: str
    content: Content
    version: int | None = None
    priority: int | None = None
    ttl_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class BatchItemResult:
    """The service's answer for one batch item: stored (status 200) or refused."""

    user_id: str
    status: int
    version: int | None = None
    stored: bool | None = None
    error: str | None = None
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == 200


def widget_body(content: Content, version: int | None, priority: int | None,
                 ttl_seconds: int | None, user_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "content": msgspec.Raw(content) if isinstance(content, bytes) else content
    }
    if user_id is not None:
        body["user_id"] = user_id
    optional = {"version": version, "priority": priority, "ttl_seconds": ttl_seconds}
    body.update({name: value for name, value in optional.items() if value is not None})
    return body


def push_result(body: Mapping[str, Any]) -> PushResult:
    return PushResult(body["product"], body.get("user_id"), int(body["version"]),
                      bool(body["stored"]))


def batch_results(body: Mapping[str, Any]) -> list[BatchItemResult]:
    return [
        BatchItemResult(
            user_id=str(item.get("user_id")), status=int(item["status"]),
            version=item.get("version"), stored=item.get("stored"), error=item.get("error"),
            problems=problems_of(item.get("problems")),
        )
        for item in body.get("results", [])
    ]


class Calls:
    """What each method sends: (method, path, body); shared by the two clients."""

    @staticmethod
    def push(product: str, user_id: str | None, content: Content, version: int | None,
             priority: int | None, ttl_seconds: int | None) -> tuple[str, str, bytes]:
        where = "generic" if user_id is None else f"widgets/{quote(user_id, safe='')}"
        path = f"/v1/products/{quote(product, safe='')}/{where}"
        body = widget_body(content, version, priority, ttl_seconds)
        return "PUT", path, msgspec.json.encode(body)

    @staticmethod
    def batch(product: str, items: Sequence[BatchItem]) -> tuple[str, str, bytes]:
        body = {"items": [widget_body(i.content, i.version, i.priority, i.ttl_seconds,
                                       i.user_id) for i in items]}
        return "POST", f"/v1/products/{product}/widgets:batch", msgspec.json.encode(body)

    @staticmethod
    def validate(content: Content) -> tuple[str, str, bytes]:
        raw = content if isinstance(content, bytes) else msgspec.json.encode(content)
        return "POST", "/v1/schema/validate", raw
