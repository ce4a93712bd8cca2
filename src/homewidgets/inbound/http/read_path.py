"""The read path as a bare ASGI callable: `GET /v1/home/{id}` and `/get_recommendations/{id}`.

Everything else goes to the control plane (a Starlette app). This layer is deliberately
framework-free: per request it parses the path, looks the home up in L1, compares the
ETag, picks the gzip copy, and sends prebuilt headers and bytes (NOTES.md: every extra
await or object per request shows at this rate).
"""

from __future__ import annotations

from bisect import bisect_left
from time import perf_counter

import msgspec

from homewidgets.domain.errors import InvalidUserId, Unauthorized
from homewidgets.domain.home import HomeDocument, Representation
from homewidgets.domain.model import parse_user_id
from homewidgets.domain.ports import UserAuthenticator
from homewidgets.domain.read_home import HomeReader
from homewidgets.inbound.http.asgi_types import ASGIApp, Receive, Scope, Send
from homewidgets.metrics import LATENCY_BUCKETS, ReadPathStats, RouteStats

_HOME_PREFIX = "/v1/home/"
_COMPAT_PREFIX = "/get_recommendations/"
_JSON_HEADERS = [(b"content-type", b"application/json")]
_EMPTY_BODY = {"type": "http.response.body", "body": b""}


class ReadPath:
    """Front ASGI app: serves the two read routes itself, hands the rest to `control`."""

    __slots__ = ("authenticator", "control", "reader", "stats")

    def __init__(
        self,
        reader: HomeReader,
        control: ASGIApp,
        authenticator: UserAuthenticator | None = None,
        stats: ReadPathStats | None = None,
    ) -> None:
        self.reader = reader
        self.control = control
        self.authenticator = authenticator
        # Plain ints and one histogram per route, read by /metrics at scrape time: per
        # request that is one perf_counter pair, a bisect and a few integer increments.
        self.stats = stats or ReadPathStats()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            route: RouteStats | None = None
            if path.startswith(_HOME_PREFIX):
                raw_id = path[9:]
                if "/" not in raw_id:
                    route, compat = self.stats.home, False
            elif path.startswith(_COMPAT_PREFIX):
                raw_id, route, compat = path[21:], self.stats.compat, True
            if route is not None:
                started = perf_counter()
                status = await self._serve(scope, send, raw_id, compat=compat)
                elapsed = perf_counter() - started
                route.statuses[status] += 1
                latency = route.latency
                latency.buckets[bisect_left(LATENCY_BUCKETS, elapsed)] += 1
                latency.total += elapsed
                return
        await self.control(scope, receive, send)

    async def _serve(self, scope: Scope, send: Send, raw_id: str, *, compat: bool) -> int:
        """Answer one read; returns the status sent (for the counters)."""
        method = scope["method"]
        if method != "GET" and method != "HEAD":
            await _error(
                send,
                405,
                b'{"error":"method_not_allowed","message":"use GET"}',
                [(b"allow", b"GET, HEAD")],
            )
            return 405
        reader = self.reader
        stats = self.stats
        stats.l1_lookups += 1
        # L1 is keyed by canonical UUIDs, so a hit on the raw id proves it valid: the
        # parse (and the allocation of a canonical string) waits for a miss.
        home: HomeDocument | None = reader.cached(raw_id)
        user_id = raw_id
        if home is None:
            try:
                user_id = parse_user_id(raw_id)
            except InvalidUserId as exc:
                await _error(send, 422, _problem_body(str(exc)), [])
                return 422
        if self.authenticator is not None:
            refused = await _refused(self.authenticator, scope, send, user_id)
            if refused:
                return refused
        if home is None:
            stats.l1_misses += 1
            home = reader.cached(user_id) or await reader.load(user_id)
        rep: Representation = home.compat if compat else home.v1
        etag_match = gzip_ok = False
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                etag_match = rep.etag in value or value.strip() == b"*"
            elif name == b"accept-encoding":
                gzip_ok = b"gzip" in value
        if etag_match:
            await send(rep.not_modified)
            await send(_EMPTY_BODY)
            return 304
        start, body = rep.gzipped() if gzip_ok else (rep.start, rep.body_message)
        await send(start)
        await send(body if method == "GET" else _EMPTY_BODY)
        return 200


async def _refused(authenticator: UserAuthenticator, scope: Scope, send: Send, user_id: str) -> int:
    """With end-user auth on, only the user themself may read their home; returns the
    status sent when refused (401 or 403), 0 when allowed."""
    authorization = next(
        (v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization"), None
    )
    try:
        subject = authenticator.subject(authorization)
    except Unauthorized as exc:
        body = msgspec.json.encode({"error": "unauthorized", "message": str(exc)})
        await _error(send, 401, body, [(b"www-authenticate", b"Bearer")])
        return 401
    if subject != user_id:
        body = msgspec.json.encode(
            {"error": "forbidden", "message": "a user may read only their own home"}
        )
        await _error(send, 403, body, [])
        return 403
    return 0


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
