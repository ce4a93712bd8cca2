"""The one place where the exception tree becomes HTTP (CONTRACT 4: a JSON body naming the field).

Internals never leak: an unexpected exception is logged with its traceback and answered
with a bare 500 body.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from homewidgets.domain.errors import (
    Forbidden,
    HomewidgetsError,
    InvalidInput,
    InvalidUserId,
    InvalidWidget,
    Problem,
    RateLimited,
    StaleVersion,
    StoreUnavailable,
    Unauthorized,
    UnknownProduct,
)

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = "1"


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(msgspec.json.encode(payload), status, headers, "application/json")


def error_response(
    status: int,
    error: str,
    message: str,
    problems: list[Problem] | tuple[Problem, ...] = (),
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {"error": error, "message": message}
    if problems:
        body["problems"] = [p.as_dict() for p in problems]
    body.update(extra)
    return json_response(body, status, headers)


def response_for(exc: HomewidgetsError) -> Response:
    """The HTTP answer for a domain error."""
    if isinstance(exc, InvalidInput):
        status = 413 if exc.too_large else 422
        if any(p.reason.startswith("malformed JSON") for p in exc.problems):
            status = 400
        error = "invalid_widget" if isinstance(exc, InvalidWidget) else "invalid_request"
        return error_response(status, error, str(exc), exc.problems)
    if isinstance(exc, InvalidUserId):
        return error_response(422, "invalid_user_id", str(exc), [Problem("/user_id", str(exc))])
    if isinstance(exc, UnknownProduct):
        return error_response(404, "unknown_product", str(exc))
    if isinstance(exc, Unauthorized):
        return error_response(401, "unauthorized", str(exc), headers={"www-authenticate": "Bearer"})
    if isinstance(exc, Forbidden):
        return error_response(403, "forbidden", str(exc))
    if isinstance(exc, StaleVersion):
        return error_response(
            409,
            "stale_version",
            str(exc),
            [Problem("/version", str(exc))],
            stored_version=exc.stored_version,
        )
    if isinstance(exc, RateLimited):
        return error_response(
            429,
            "rate_limited",
            str(exc),
            headers={"retry-after": str(max(1, math.ceil(exc.retry_after)))},
        )
    if isinstance(exc, StoreUnavailable):
        return error_response(
            503,
            "store_unavailable",
            "the widget store is unreachable; retry shortly",
            headers={"retry-after": RETRY_AFTER_SECONDS},
        )
    return error_response(400, "bad_request", str(exc))


async def handle_domain_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HomewidgetsError)
    return response_for(exc)


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal", "internal error")
