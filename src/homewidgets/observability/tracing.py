"""Optional OpenTelemetry tracing of HTTP requests: off by default, and free when off.

`traced(app, enabled=False)` returns `app` itself, so with tracing off no wrapper, no
import of OpenTelemetry and no per-request work exist at all. Switched on
(HOMEWIDGETS_OTEL_ENABLED=true), every request (the read path included: the operator
chose to pay for it) becomes a server span, continuing the caller's W3C `traceparent`.
Spans go to OTLP when `opentelemetry-exporter-otlp` is installed (its standard
OTEL_EXPORTER_OTLP_* variables apply), else to stderr. Needs the `otel` extra
(`pip install homewidgets[otel]`).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from homewidgets import __version__
from homewidgets.inbound.http.asgi_types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import SpanProcessor
    from opentelemetry.trace import Tracer

SERVICE_NAME = "homewidgets"
_READ_ROUTES = (("/v1/home/", "/v1/home/{user_id}"),
                ("/get_recommendations/", "/get_recommendations/{user_id}"))


def traced(app: ASGIApp, *, enabled: bool, processor: SpanProcessor | None = None) -> ASGIApp:
    """`app`, wrapped in a tracing middleware only when `enabled`.

    `processor` receives the finished spans (tests pass an in-memory exporter's); by
    default a batch processor exports them in the background.
    """
    if not enabled:
        return app
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        raise RuntimeError("HOMEWIDGETS_OTEL_ENABLED needs opentelemetry-sdk: "
                           "pip install 'homewidgets[otel]'") from None
    provider = TracerProvider(resource=Resource.create(
        {"service.name": SERVICE_NAME, "service.version": __version__}))
    provider.add_span_processor(processor or BatchSpanProcessor(_default_exporter()))
    return TracingMiddleware(app, provider.get_tracer("homewidgets.http", __version__))


def _default_exporter() -> Any:
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # type: ignore[import-not-found]
            OTLPSpanExporter,
        )
    except ImportError:
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter(out=sys.stderr)
    return OTLPSpanExporter()


class TracingMiddleware:
    """One server span per HTTP request; lives as long as the app."""

    __slots__ = ("_app", "_tracer")

    def __init__(self, app: ASGIApp, tracer: Tracer) -> None:
        self._app = app
        self._tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        from opentelemetry import propagate
        from opentelemetry.trace import SpanKind, Status, StatusCode

        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        method: str = scope["method"]
        path: str = scope["path"]
        with self._tracer.start_as_current_span(
            f"{method} {_read_route(path) or ''}".rstrip(), context=propagate.extract(carrier),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": path},
        ) as span:
            status = 500

            async def send_and_note(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await self._app(scope, receive, send_and_note)
            finally:
                route = _read_route(path) or getattr(scope.get("route"), "path", None)
                if route:
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))


def _read_route(path: str) -> str | None:
    for prefix, template in _READ_ROUTES:
        if path.startswith(prefix) and "/" not in path[len(prefix):]:
            return template
    return None
