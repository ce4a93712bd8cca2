"""One OpenAPI 3.1 document for the whole service, read path and control plane alike.

The read path is framework-free, so nothing generates this for us: the paths are listed
here, and every schema comes from the same msgspec types that validate requests, so the
document cannot drift from what the service accepts. Swagger UI is served from the
`swagger-ui-py` package's files (no CDN).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import swagger_ui  # type: ignore[import-untyped]
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from homewidgets import __version__
from homewidgets.domain.push import BatchBody, BatchItem, PushBody
from homewidgets.domain.sdui_schema import sdui_openapi_components
from homewidgets.inbound.http.live import EventBatch
from homewidgets.runtime import Runtime

_SWAGGER_DIR = Path(swagger_ui.__file__).parent / "static"
_REF = "#/components/schemas/{name}"

_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Home Widgets API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/static/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui",
deepLinking: true});</script></body></html>"""


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(schema_ref: str, description: str = "OK") -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}},
    }


_USER_ID = {
    "name": "user_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "format": "uuid"},
}
_PRODUCT = {
    "name": "product",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[a-z][a-z0-9_]{1,39}$"},
}
_AUTH_ERRORS = {
    "401": _error("No or unknown bearer token"),
    "403": _error("The token belongs to another product"),
    "404": _error("Unknown product"),
    "429": _error("Push rate limit exceeded"),
    "503": _error("L2 unreachable: retry after Retry-After seconds"),
}
_BODY_ERRORS = {
    "400": _error("Malformed JSON"),
    "413": _error("Content over 64 KiB"),
    "422": _error("Invalid body; `problems` names each field by JSON pointer"),
}


def build_document(runtime: Runtime) -> dict[str, Any]:
    component_ref, sdui_components = sdui_openapi_components(
        allowed_schemes=runtime.settings.allowed_app_schemes
    )
    _, api_components = msgspec.json.schema_components(
        [PushBody, BatchItem, BatchBody, EventBatch], ref_template=_REF
    )
    # The push types hold content as raw JSON; the document says what that JSON must be.
    for name in ("PushBody", "BatchItem"):
        api_components[name]["properties"]["content"] = component_ref
    api_components["BatchBody"]["properties"]["items"] = {
        "type": "array",
        "maxItems": runtime.settings.max_batch_items,
        "items": {"$ref": "#/components/schemas/BatchItem"},
    }
    schemas = {**sdui_components, **api_components, **_STATIC_SCHEMAS}
    schemas["HomeWidget"]["properties"]["content"] = component_ref
    push_body = {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PushBody"}}},
    }
    secured: list[dict[str, list[str]]] = [{"productToken": []}]
    paths: dict[str, Any] = {
        "/v1/home/{user_id}": {
            "get": {
                "tags": ["read"],
                "summary": "A user's home: every product's widget, in display order",
                "parameters": [_USER_ID],
                "responses": {
                    "200": _json("Home"),
                    "304": {"description": "Not modified (ETag)"},
                    "422": _error("user_id is not a UUID"),
                },
            }
        },
        "/get_recommendations/{user_id}": {
            "get": {
                "tags": ["read"],
                "summary": "The same data in the proof of concept's shape",
                "parameters": [_USER_ID],
                "responses": {
                    "200": _json("Recommendations"),
                    "304": {"description": "Not modified (ETag)"},
                    "422": _error("user_id is not a UUID"),
                },
            }
        },
        "/v1/home/{user_id}/events": {
            "get": {
                "tags": ["read"],
                "summary": "Server-Sent Events: `event: home` with the new home",
                "parameters": [_USER_ID],
                "responses": {
                    "200": {
                        "description": "An event stream",
                        "content": {"text/event-stream": {"schema": {"type": "string"}}},
                    },
                    "422": _error("user_id is not a UUID"),
                    "503": _error("Too many open streams"),
                },
            }
        },
        "/v1/products/{product}/widgets/{user_id}": {
            "put": {
                "tags": ["push"],
                "summary": "Store a user's widget",
                "security": secured,
                "parameters": [_PRODUCT, _USER_ID],
                "requestBody": push_body,
                "responses": {
                    "200": _json("PushResult"),
                    "409": _error("An older version than the stored one"),
                    **_AUTH_ERRORS,
                    **_BODY_ERRORS,
                },
            },
            "delete": {
                "tags": ["push"],
                "summary": "Drop a user's widget (generic shows again)",
                "security": secured,
                "parameters": [_PRODUCT, _USER_ID],
                "responses": {
                    "200": _json("DeleteResult"),
                    **_AUTH_ERRORS,
                    "422": _error("user_id is not a UUID"),
                },
            },
        },
        "/v1/products/{product}/generic": {
            "put": {
                "tags": ["push"],
                "summary": "Store the product's generic widget",
                "security": secured,
                "parameters": [_PRODUCT],
                "requestBody": push_body,
                "responses": {
                    "200": _json("PushResult"),
                    "409": _error("Older version"),
                    **_AUTH_ERRORS,
                    **_BODY_ERRORS,
                },
            }
        },
        "/v1/products/{product}/widgets:batch": {
            "post": {
                "tags": ["push"],
                "summary": "Up to 1,000 upserts; a result per item",
                "security": secured,
                "parameters": [_PRODUCT],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/BatchBody"}}
                    },
                },
                "responses": {"200": _json("BatchResult"), **_AUTH_ERRORS, **_BODY_ERRORS},
            }
        },
        "/v1/products/{product}/events": {
            "get": {
                "tags": ["events"],
                "summary": "Read the product's behavioural events (long poll)",
                "security": secured,
                "parameters": [
                    _PRODUCT,
                    {"name": "after", "in": "query", "schema": {"type": "string", "default": "$"}},
                    {
                        "name": "count",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                    },
                    {
                        "name": "wait_ms",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 0, "maximum": 30000},
                    },
                ],
                "responses": {
                    "200": _json("ProductEvents"),
                    **_AUTH_ERRORS,
                    "422": _error("Bad query parameter"),
                },
            }
        },
        "/v1/events": {
            "post": {
                "tags": ["events"],
                "summary": "Report impressions, clicks and dismissals",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/EventBatch"}}
                    },
                },
                "responses": {"202": _json("Accepted", "Accepted"), **_BODY_ERRORS},
            }
        },
        "/v1/products": {
            "get": {
                "tags": ["meta"],
                "summary": "The product registry",
                "responses": {"200": _json("Products")},
            }
        },
        "/v1/schema/sdui.json": {
            "get": {
                "tags": ["meta"],
                "summary": "The SDUI JSON Schema (version 1)",
                "responses": {
                    "200": {
                        "description": "JSON Schema 2020-12",
                        "content": {"application/schema+json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
        "/v1/schema/validate": {
            "post": {
                "tags": ["meta"],
                "summary": "Validate one SDUI component without storing it",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": component_ref}},
                },
                "responses": {"200": _json("Validated"), **_BODY_ERRORS},
            }
        },
        "/v1/schema/examples": {
            "get": {
                "tags": ["meta"],
                "summary": "Catalogue examples",
                "responses": {"200": _json("Examples")},
            }
        },
        "/healthz": {
            "get": {"tags": ["meta"], "summary": "Alive", "responses": {"200": _json("Health")}}
        },
        "/readyz": {
            "get": {
                "tags": ["meta"],
                "summary": "L2 reachable",
                "responses": {"200": _json("Health"), "503": _error("Not ready")},
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Home Widgets",
            "version": __version__,
            "description": "One request per user, every product's widget, as SDUI.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"productToken": {"type": "http", "scheme": "bearer"}},
        },
    }


class OpenApiDocument:
    """`/openapi.json` and `/docs`; the document is built once, on first request."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._body: bytes | None = None

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/openapi.json", self.openapi, methods=["GET"]),
            Route("/docs", self.docs, methods=["GET"]),
            Mount("/docs/static", StaticFiles(directory=_SWAGGER_DIR), name="swagger"),
        ]

    async def openapi(self, _request: Request) -> Response:
        if self._body is None:
            self._body = msgspec.json.encode(build_document(self._runtime))
        return Response(self._body, media_type="application/json")

    async def docs(self, _request: Request) -> Response:
        return HTMLResponse(_DOCS_PAGE)


_STR = {"type": "string"}
_INT = {"type": "integer"}
_BOOL = {"type": "boolean"}
_PROBLEM = {
    "type": "object",
    "required": ["pointer", "reason"],
    "properties": {"pointer": _STR, "reason": _STR},
}

_STATIC_SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": _STR,
            "message": _STR,
            "problems": {"type": "array", "items": _PROBLEM},
            "stored_version": _INT,
        },
    },
    "HomeWidget": {
        "type": "object",
        "required": ["product", "personalised", "version", "content"],
        "properties": {"product": _STR, "personalised": _BOOL, "version": _INT, "content": {}},
    },
    "Home": {
        "type": "object",
        "required": ["user_id", "schema_version", "personalised", "widgets"],
        "properties": {
            "user_id": _STR,
            "schema_version": {"const": 1},
            "personalised": _BOOL,
            "widgets": {"type": "array", "items": {"$ref": "#/components/schemas/HomeWidget"}},
        },
    },
    "Recommendations": {
        "type": "object",
        "required": ["user_id", "recs_by_product"],
        "properties": {"user_id": _STR, "recs_by_product": {"type": "object"}},
    },
    "PushResult": {
        "type": "object",
        "required": ["product", "version", "stored"],
        "properties": {
            "product": _STR,
            "user_id": {"type": ["string", "null"]},
            "version": _INT,
            "stored": _BOOL,
        },
    },
    "DeleteResult": {
        "type": "object",
        "required": ["product", "user_id", "deleted"],
        "properties": {"product": _STR, "user_id": _STR, "deleted": _BOOL},
    },
    "BatchResult": {
        "type": "object",
        "required": ["results"],
        "properties": {
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["user_id", "status"],
                    "properties": {
                        "user_id": {"type": ["string", "null"]},
                        "status": _INT,
                        "version": _INT,
                        "stored": _BOOL,
                        "error": _STR,
                        "problems": {"type": "array", "items": _PROBLEM},
                    },
                },
            }
        },
    },
    "ProductEvents": {
        "type": "object",
        "required": ["events", "last_id"],
        "properties": {
            "events": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"id": _STR, "event": {"type": "object"}},
                },
            },
            "last_id": _STR,
        },
    },
    "Accepted": {"type": "object", "properties": {"accepted": _INT}},
    "Products": {
        "type": "object",
        "properties": {
            "products": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"id": _STR, "name": _STR, "order": _INT},
                },
            }
        },
    },
    "Validated": {"type": "object", "properties": {"valid": _BOOL, "content": {}}},
    "Examples": {
        "type": "object",
        "properties": {
            "examples": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"name": _STR, "description": _STR, "content": {}},
                },
            }
        },
    },
    "Health": {"type": "object", "properties": {"status": _STR, "checks": {"type": "object"}}},
}
