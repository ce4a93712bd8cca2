"""The control plane's observability, as one ASGI wrapper around the Starlette app.

Per request: a request id (the caller's `x-request-id` when it looks sane, else a new
one) bound into every log line and echoed in the answer; counts and latency by route
template; refused pushes by product and error code; a debug-level access log line.
It wraps only the control plane: the read path (`ReadPath`) stays in front and pays
none of this. Lives as long as the app.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from time import perf_counter

import structlog

from homewidgets.inbound.http.asgi_types import ASGIApp, Message, Receive, Scope, Send
from homewidgets.metrics import Metrics

REQUEST_ID_HEADER = b"x-request-id"
UNMATCHED_ROUTE = "unmatched"  # 404s: never label by raw path (unbounded cardinality)
_SANE_ID = re.compile(rb"[A-Za-z0-9._:@/+=-]{1,128}")
_PUSH_ROUTES = "/v1/products/{product}/"
_REASONS = {400: "malformed", 401: "unauthorized", 403: "forbidden", 404: "not_found",
            409: "stale_version", 413: "too_large", 422: "invalid_widget",
            429: "rate_limited", 503: "store_unavailable"}


class ObservedControl:
    """ASGI wrapper: `ObservedControl(starlette_app, metrics, products=registry_ids)`."""

    __slots__ = ("_app", "_log", "_metrics", "_products")

    def __init__(self, app: ASGIApp, metrics: Metrics, *, products: Iterable[str]) -> None:
        self._app = app
        self._metrics = metrics
        self._products = frozenset(products)
        # Taken per app, not at import: a logger is cached on first use, and an app is
        # built after `configure_logging` ran.
        self._log = structlog.get_logger("homewidgets.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request_id = _request_id(scope)
        echoed = (REQUEST_ID_HEADER, request_id.encode())
        status = 500  # if the app fails before answering, ServerErrorMiddleware says 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), echoed]}
            await send(message)

        started = perf_counter()
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self._app(scope, receive, send_with_id)
            finally:
                self._record(scope, status, perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route_obj = scope.get("route")
        route: str = getattr(route_obj, "path", None) or UNMATCHED_ROUTE
        method: str = scope["method"]
        self._metrics.route(method, route).observe(status, seconds)
        if status >= 400 and route.startswith(_PUSH_ROUTES):
            product = scope.get("path_params", {}).get("product")
            if product in self._products:
                self._metrics.rejected(product, 1, _REASONS.get(status, str(status)))
        self._log.debug("request", method=method, route=route, path=scope["path"],
                        status=status, duration_ms=round(seconds * 1000, 3))


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER and _SANE_ID.fullmatch(value):
            return str(value.decode("ascii"))
    return uuid.uuid4().hex
