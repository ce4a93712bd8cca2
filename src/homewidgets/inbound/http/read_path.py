"""The read path as a bare ASGI callable: `GET /v1/home/{id}` and `/get_recommendations/{id}`.

Everything else goes to the control plane (a Starlette app). This layer is deliberately
framework-free: per request it parses the path, looks the home up in L1, compares the
ETag, picks the gzip copy, and sends prebuilt headers and bytes (NOTES.md: every extra
await or object per request shows at this rate).
"""

from __future__ import annotations

import msgspec

from homewidgets.domain.errors import InvalidUserId, Unauthorized
from homewidgets.domain.home import HomeDocument, Representation
from homewidgets.domain.model import parse_user_id
from homewidgets.domain.ports import UserAuthenticator
from homewidgets.domain.read_home import HomeReader
from homewidgets.inbound.http.asgi_types import ASGIApp, Receive, Scope, Send

_HOME_PREFIX = "/v1/home/"
_COMPAT_PREFIX = "/get_recommendations/"
_JSON_HEADERS = [(b"content-type", b"application/json")]


class ReadPath:
    """Front ASGI app: serves the two read routes itself, hands the rest to `control`."""

    __slots__ = ("authenticator", "control", "reader")

    def __init__(
        self,
        reader: HomeReader,
        control: ASGIApp,
        authenticator: UserAuthenticator | None = None,
    ) -> None:
        self.reader = reader
        self.control = control
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path.startswith(_HOME_PREFIX):
                raw_id = path[9:]
                if "/" not in raw_id:
                    await self._serve(scope, send, raw_id, compat=False)
                    return
            elif path.startswith(_COMPAT_PREFIX):
                await self._serve(scope, send, path[21:], compat=True)
                return
        await self.control(scope, receive, send)

    async def _serve(self, scope: Scope, send: Send, raw_id: str, *, compat: bool) -> None:
        method = scope["method"]
        if method != "GET" and method != "HEAD":
            await _error(send, 405, b'{"error":"method_not_allowed","message":"use GET"}',
                         [(b"allow", b"GET, HEAD")])
            return
        try:
            user_id = parse_user_id(raw_id)
        except InvalidUserId as exc:
            await _error(send, 422, _problem_body(str(exc)), [])
            return
        if self.authenticator is not None and not await _allowed(
            self.authenticator, scope, send, user_id
        ):
            return
        reader = self.reader
        home: HomeDocument | None = reader.cached(user_id)
        if home is None:
            home = await reader.load(user_id)
        rep: Representation = home.compat if compat else home.v1
        etag_match = gzip_ok = False
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                etag_match = rep.etag in value or value.strip() == b"*"
            elif name == b"accept-encoding":
                gzip_ok = b"gzip" in value
        if etag_match:
            await send({"type": "http.response.start", "status": 304,
                        "headers": rep.not_modified_headers})
            await send({"type": "http.response.body", "body": b""})
            return
        if gzip_ok:
            body, headers = rep.gzipped()
        else:
            body, headers = rep.body, rep.headers
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})


async def _allowed(
    authenticator: UserAuthenticator, scope: Scope, send: Send, user_id: str
) -> bool:
    """With end-user auth on, only the user themself may read their home."""
    authorization = next(
        (v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization"), None
    )
    try:
        subject = authenticator.subject(authorization)
    except Unauthorized as exc:
        body = msgspec.json.encode({"error": "unauthorized", "message": str(exc)})
        await _error(send, 401, body, [(b"www-authenticate", b"Bearer")])
        return False
    if subject != user_id:
        body = msgspec.json.encode(
            {"error": "forbidden", "message": "a user may read only their own home"}
        )
        await _error(send, 403, body, [])
        return False
    return True


def _problem_body(message: str) -> bytes:
    return msgspec.json.encode(
        {
            "error": "invalid_user_id",
            "message": message,
            "problems": [{"pointer": "/user_id", "reason": message}],
        }
    )


async def _error(send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]]) -> None:
    headers = [*_JSON_HEADERS, (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
