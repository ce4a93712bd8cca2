"""The ASGI application: the bare read path in front, a Starlette control plane behind it.

`create_app(runtime)` is what tests use; `app_from_environ()` is the factory the
production server (granian) imports in each worker process.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from homewidgets.bootstrap import build_runtime
from homewidgets.config import Settings
from homewidgets.domain.errors import HomewidgetsError, StoreUnavailable
from homewidgets.inbound.http.asgi_types import ASGIApp
from homewidgets.inbound.http.errors import (
    error_response,
    handle_domain_error,
    handle_unexpected,
    json_response,
)
from homewidgets.inbound.http.live import LiveApi
from homewidgets.inbound.http.metrics_api import MetricsApi
from homewidgets.inbound.http.openapi import OpenApiDocument
from homewidgets.inbound.http.push_api import PushApi
from homewidgets.inbound.http.read_path import ReadPath
from homewidgets.inbound.http.schema_api import SchemaApi
from homewidgets.inbound.http.web import web_routes
from homewidgets.observability.control_plane import ObservedControl
from homewidgets.observability.logs import configure_logging
from homewidgets.observability.tracing import traced
from homewidgets.runtime import Runtime

Endpoint = Callable[[Request], Awaitable[Response]]


def create_app(runtime: Runtime) -> ReadPath:
    """The whole HTTP surface over one Runtime; the lifespan starts and stops it."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    openapi = OpenApiDocument(runtime)
    routes: list[BaseRoute] = [
        Route("/healthz", _healthz, methods=["GET"]),
        Route("/readyz", _readyz(runtime), methods=["GET"]),
        Route("/v1/products", _products(runtime), methods=["GET"]),
        *PushApi(runtime).routes(),
        *SchemaApi(runtime).routes(),
        *LiveApi(runtime).routes(),
        *openapi.routes(),
        *MetricsApi(runtime).routes(),
        *web_routes(),
    ]
    control = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(GZipMiddleware, minimum_size=1024)],  # SSE is left alone
        exception_handlers={HomewidgetsError: handle_domain_error, Exception: handle_unexpected},
    )
    control.state.runtime = runtime
    observed = ObservedControl(control, runtime.metrics, products=(p.id for p in runtime.registry))
    return ReadPath(runtime.reader, observed, runtime.authenticator, runtime.metrics.read_path)


def app_from_environ() -> ASGIApp:
    """Granian's factory: each worker process builds its own Runtime from HOMEWIDGETS_*."""
    settings = Settings.from_environ()
    configure_logging(settings.log_level)
    return traced(create_app(build_runtime(settings)), enabled=settings.otel_enabled)


async def _healthz(_request: Request) -> Response:
    return json_response({"status": "ok"})


def _readyz(runtime: Runtime) -> Endpoint:
    async def readyz(_request: Request) -> Response:
        try:
            await runtime.store.ping()
        except StoreUnavailable:
            return error_response(503, "not_ready", "L2 unreachable", checks={"l2": "failing"})
        return json_response({"status": "ok", "checks": {"l2": "ok"}})

    return readyz


def _products(runtime: Runtime) -> Endpoint:
    listing = [{"id": p.id, "name": p.name, "order": p.order} for p in runtime.registry]

    async def products(_request: Request) -> Response:
        return json_response({"products": listing})

    return products
