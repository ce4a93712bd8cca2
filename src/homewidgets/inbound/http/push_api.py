"""The product teams' push endpoints (CONTRACT 4): parse, call one use case, answer.

Authentication comes before anything else is read, and a body is fully validated
before anything is stored.
"""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from homewidgets.domain.model import parse_user_id
from homewidgets.domain.push import ItemResult, TokenChecker, WidgetParser, put_batch, put_widget
from homewidgets.inbound.http.bodies import read_body
from homewidgets.inbound.http.errors import json_response
from homewidgets.runtime import Runtime

_PUT_OVERHEAD = 4096  # body bytes allowed beyond the content limit (version, priority, ...)


class PushApi:
    """Lives as long as the app."""

    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self._parser: WidgetParser = runtime.parser
        self._tokens = TokenChecker(runtime.registry)
        self._put_limit = runtime.settings.max_content_bytes + _PUT_OVERHEAD
        self._batch_limit = runtime.settings.max_batch_items * (self._put_limit // 4) + 1024

    def routes(self) -> list[Route]:
        base = "/v1/products/{product}"
        return [
            Route(base + "/widgets:batch", self.put_batch, methods=["POST"]),
            Route(base + "/widgets/{user_id}", self.put_user_widget, methods=["PUT"]),
            Route(base + "/widgets/{user_id}", self.delete_user_widget, methods=["DELETE"]),
            Route(base + "/generic", self.put_generic, methods=["PUT"]),
        ]

    def _authorize(self, request: Request) -> str:
        product: str = request.path_params["product"]
        self._rt.registry.get(product)
        self._tokens.check(product, request.headers.get("authorization"))
        self._rt.push_limiter.check(product)
        return product

    async def put_user_widget(self, request: Request) -> Response:
        return await self._put(request, generic=False)

    async def put_generic(self, request: Request) -> Response:
        return await self._put(request, generic=True)

    async def _put(self, request: Request, *, generic: bool) -> Response:
        """One widget: a user's, or the product's generic one. Who asks is checked first."""
        product = self._authorize(request)
        user_id = None if generic else _user_id(request)
        write = self._parser.parse_put(product, user_id, await read_body(request, self._put_limit))
        outcome = await put_widget(write, store=self._rt.writer)
        self._rt.metrics.pushed(product, 1)
        return json_response(
            {
                "product": product,
                "user_id": user_id,
                "version": outcome.version,
                "stored": outcome.stored,
            }
        )

    async def delete_user_widget(self, request: Request) -> Response:
        product = self._authorize(request)
        user_id = _user_id(request)
        deleted = await self._rt.writer.delete(product, user_id)
        return json_response({"product": product, "user_id": user_id, "deleted": deleted})

    async def put_batch(self, request: Request) -> Response:
        product = self._authorize(request)
        raw = await read_body(request, self._batch_limit)
        parsed = self._parser.parse_batch(product, raw, self._rt.settings.max_batch_items)
        results = await put_batch(parsed, store=self._rt.writer)
        stored = sum(1 for r in results if r.status == 200)
        self._rt.metrics.pushed(product, stored)
        self._rt.metrics.rejected(product, len(results) - stored)
        body = _encode_results(_Results([_result(r) for r in results]))
        return Response(body, media_type="application/json")


def _user_id(request: Request) -> str:
    return parse_user_id(request.path_params["user_id"])


class _Answer(msgspec.Struct, omit_defaults=True, gc=False):
    """One item of the batch answer (CONTRACT 4): UNSET fields are left out of the JSON.

    Encoded by msgspec straight from Structs: a thousand dicts per batch cost more
    than the rest of the answer.
    """

    user_id: str | None
    status: int
    version: int | msgspec.UnsetType = msgspec.UNSET
    stored: bool | msgspec.UnsetType = msgspec.UNSET
    error: str | msgspec.UnsetType = msgspec.UNSET
    problems: list[dict[str, str]] | msgspec.UnsetType = msgspec.UNSET


class _Results(msgspec.Struct, gc=False):
    results: list[_Answer]


_encode_results = msgspec.json.Encoder().encode
_UNSET = msgspec.UNSET


def _result(result: ItemResult) -> _Answer:
    if result.status == 200 and result.version is not None:  # the usual case, made short
        return _Answer(result.user_id, 200, result.version, result.stored)
    return _Answer(
        result.user_id,
        result.status,
        _UNSET if result.version is None else result.version,
        result.stored if result.status == 200 else _UNSET,
        result.error or _UNSET,
        [p.as_dict() for p in result.problems] if result.problems else _UNSET,
    )
