"""A small typed client for product teams: push, delete, batch and validate widgets.

    from homewidgets.client import HomeWidgetsClient

    with HomeWidgetsClient("https://home.example", token) as client:
        client.push("energy", user_id, {"type": "text", "text": "Hello"}, version=7)

`AsyncHomeWidgetsClient` has the same methods as coroutines. Refusals raise typed errors
that mirror the service's error body, JSON-pointer problems included:

    ClientError                      anything this client raises
    ├── RequestRefused               4xx: .status, .error, .message, .problems
    │   ├── InvalidContent           400/413/422: the body or content breaks the schema
    │   ├── AuthenticationFailed     401: no token, or one no product owns
    │   ├── PermissionDenied         403: another product's token
    │   ├── NotFound                 404: unknown product (or path)
    │   ├── VersionConflict          409: a newer version is stored (.stored_version)
    │   └── TooManyRequests          429: over the product's push rate (.retry_after)
    ├── ServiceUnavailable           5xx: retry later (.retry_after when the service says)
    └── ConnectionFailed             no answer: refused, timed out, DNS
"""

from homewidgets.client._clients import (
    DEFAULT_TIMEOUT,
    USER_AGENT,
    AsyncHomeWidgetsClient,
    HomeWidgetsClient,
)
from homewidgets.client._errors import (
    AuthenticationFailed,
    ClientError,
    ConnectionFailed,
    InvalidContent,
    NotFound,
    PermissionDenied,
    RequestRefused,
    ServiceUnavailable,
    TooManyRequests,
    VersionConflict,
)
from homewidgets.client._models import BatchItem, BatchItemResult, Content, PushResult
from homewidgets.domain.errors import Problem

__all__ = [
    "DEFAULT_TIMEOUT", "USER_AGENT", "AsyncHomeWidgetsClient", "AuthenticationFailed",
    "BatchItem", "BatchItemResult", "ClientError", "ConnectionFailed", "Content",
    "HomeWidgetsClient", "InvalidContent", "NotFound", "PermissionDenied", "Problem",
    "PushResult", "RequestRefused", "ServiceUnavailable", "TooManyRequests", "VersionConflict",
]
