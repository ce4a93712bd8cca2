"""The HTTP application: the bare read routes in front, a Starlette control plane behind.

Two faces over one Runtime: `create_app(runtime)`, an ASGI app (in-process tests, any
ASGI server: `app_from_environ`), and `create_rsgi_app(runtime)`, what the production
server (granian, RSGI) imports in each worker process through `rsgi_app_from_environ`.
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
from homewidgets.inbound.http.read_path import HomeReads, ReadPath
from homewidgets.inbound.http.rsgi import RsgiFront
from homewidgets.inbound.http.schema_api import SchemaApi
from homewidgets.inbound.http.web import web_routes
from homewidgets.observability.control_plane import ObservedControl
from homewidgets.observability.logs import configure_logging
from homewidgets.observability.tracing import traced
from homewidgets.runtime import Runtime

Endpoint = Callable[[Request], Awaitable[Response]]


def create_app(runtime: Runtime) -> ReadPath:
    """The whole HTTP surface over one Runtime as ASGI; the lifespan starts and stops it."""
    return ReadPath(_reads(runtime), _control_plane(runtime))


def create_rsgi_app(runtime: Runtime, *, tracing: bool = False) -> RsgiFront:
    """The whole HTTP surface over one Runtime as RSGI; granian's worker hooks start and
    stop it. With tracing on, every request goes through the traced ASGI app."""
    if tracing:
        return RsgiFront(None, traced(create_app(runtime), enabled=True), runtime)
    return RsgiFront(_reads(runtime), _control_plane(runtime), runtime)


def _reads(runtime: Runtime) -> HomeReads:
    return HomeReads(runtime.reader, runtime.authenticator, runtime.metrics.read_path)


def _control_plane(runtime: Runtime) -> ASGIApp:
    """Starlette with every route but the two reads, wrapped in its observability; its
    lifespan (ASGI servers only) starts and stops the Runtime."""

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
        # SSE is left alone. Level 5, not Starlette's 9: a 1,000-item batch answer (~75 KB)
        # at 9 cost 4 % of a push's CPU; 5 packs JSON nearly as tight.
        middleware=[Middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)],
        exception_handlers={HomewidgetsError: handle_domain_error, Exception: handle_unexpected},
    )
    control.state.runtime = runtime
    return ObservedControl(control, runtime.metrics, products=(p.id for p in runtime.registry))


def app_from_environ() -> ASGIApp:
    """An ASGI server's factory: each worker process builds its Runtime from HOMEWIDGETS_*."""
    settings = Settings.from_environ()
    configure_logging(settings.log_level)
    return traced(create_app(build_runtime(settings)), enabled=settings.otel_enabled)


def rsgi_app_from_environ() -> RsgiFront:
    """granian's factory (`homewidgets serve`): the same, as RSGI."""
    settings = Settings.from_environ()
    configure_logging(settings.log_level)
    return create_rsgi_app(build_runtime(settings), tracing=settings.otel_enabled)


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
