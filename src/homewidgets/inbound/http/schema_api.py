"""The SDUI schema for clients and product teams: the JSON Schema, a validator, examples."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from homewidgets.domain.sdui_schema import sdui_json_schema
from homewidgets.inbound.http.bodies import read_body
from homewidgets.runtime import Runtime


class SchemaApi:
    """Lives as long as the app; the schema and examples are built once."""

    def __init__(self, runtime: Runtime) -> None:
        self._validator = runtime.validator
        self._limit = runtime.settings.max_content_bytes + 1
        self._schema = msgspec.json.encode(
            sdui_json_schema(allowed_schemes=runtime.settings.allowed_app_schemes)
        )
        self._examples: bytes | None = None

    def routes(self) -> list[Route]:
        return [
            Route("/v1/schema/sdui.json", self.schema, methods=["GET"]),
            Route("/v1/schema/validate", self.validate, methods=["POST"]),
            Route("/v1/schema/examples", self.examples, methods=["GET"]),
        ]

    async def schema(self, _request: Request) -> Response:
        return Response(self._schema, media_type="application/schema+json")

    async def validate(self, request: Request) -> Response:
        """Validate one SDUI component (the body) without storing it: for the playground and CI."""
        canonical = self._validator.validate(await read_body(request, self._limit))
        return Response(
            b'{"valid":true,"content":' + canonical + b"}", media_type="application/json"
        )

    async def examples(self, _request: Request) -> Response:
        if self._examples is None:
            self._examples = msgspec.json.encode({"examples": _load_examples()})
        return Response(self._examples, media_type="application/json")


def _load_examples() -> list[dict[str, Any]]:
    from homewidgets.conformance import load_cases

    return [
        {
            "name": case.name,
            "description": case.description,
            "content": msgspec.json.decode(case.content),
        }
        for case in load_cases()
        if case.expect_status is None
    ]
