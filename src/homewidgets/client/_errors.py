"""The client's exception tree (drawn in `homewidgets.client`), and the one place where an
HTTP answer becomes a result or one of these errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import msgspec

from homewidgets.domain.errors import Problem


class ClientError(Exception):
    """Root of everything this client raises."""


class RequestRefused(ClientError):
    """The service answered 4xx; nothing of the request was stored."""

    def __init__(self, status: int, error: str, message: str,
                 problems: tuple[Problem, ...] = (), body: Mapping[str, Any] | None = None) -> None:
        self.status = status
        self.error = error
        self.message = message
        self.problems = problems
        self.body: Mapping[str, Any] = body or {}
        super().__init__(f"{status} {error}: {message}")


class InvalidContent(RequestRefused):
    """The body or its SDUI content breaks the schema; `problems` name each field."""


class AuthenticationFailed(RequestRefused):
    """No bearer token, or one that no product owns."""


class PermissionDenied(RequestRefused):
    """A valid token of another product."""


class NotFound(RequestRefused):
    """The product is not in the service's registry."""


class VersionConflict(RequestRefused):
    """A newer version of this widget is stored; `stored_version` says which."""

    @property
    def stored_version(self) -> int | None:
        value = self.body.get("stored_version")
        return value if isinstance(value, int) else None


class TooManyRequests(RequestRefused):
    """The product pushes faster than its limit; wait `retry_after` seconds."""

    retry_after: float | None = None


class ServiceUnavailable(ClientError):
    """The service answered 5xx (e.g. its store is unreachable); retry later."""

    def __init__(self, status: int, message: str, retry_after: float | None) -> None:
        self.status = status
        self.retry_after = retry_after
        super().__init__(f"{status}: {message}")


class ConnectionFailed(ClientError):
    """The service could not be reached or did not answer in time."""


_REFUSALS: dict[int, type[RequestRefused]] = {
    400: InvalidContent, 401: AuthenticationFailed, 403: PermissionDenied, 404: NotFound,
    409: VersionConflict, 413: InvalidContent, 422: InvalidContent, 429: TooManyRequests,
}


def problems_of(raw: Any) -> tuple[Problem, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(Problem(str(p.get("pointer", "")), str(p.get("reason", "")))
                 for p in raw if isinstance(p, dict))


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        return {}
    return body if isinstance(body, dict) else {}


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["retry-after"])
    except (KeyError, ValueError):
        return None


def checked(response: httpx.Response) -> dict[str, Any]:
    """The JSON body of a 2xx answer; the matching ClientError otherwise."""
    body = _json(response)
    status = response.status_code
    if status < 300:
        return body
    message = str(body.get("message") or response.reason_phrase)
    if status >= 500:
        raise ServiceUnavailable(status, message, _retry_after(response))
    kind = _REFUSALS.get(status, RequestRefused)
    error = kind(status, str(body.get("error", "refused")), message,
                 problems_of(body.get("problems")), body)
    if isinstance(error, TooManyRequests):
        error.retry_after = _retry_after(response)
    raise error
