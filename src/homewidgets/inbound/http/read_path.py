"""The read routes, `GET /v1/home/{id}` and `/get_recommendations/{id}`, for any server.

`HomeReads` decides every answer and returns it as a ready `Reply` (status, headers,
body); the server adapters only send it: `rsgi.RsgiFront` in production (granian's
RSGI, one call per response) and `ReadPath` here, the same routes as a bare ASGI app for
in-process tests, other ASGI servers and tracing. Deliberately framework-free: per L1 hit
it is a path slice, one cache lookup, two header checks and a prebuilt tuple
(NOTES.md: every extra await or object per request shows at this rate).
"""

from __future__ import annotations

from bisect import bisect_left
from time import perf_counter

import msgspec

from homewidgets.domain.errors import InvalidUserId, Unauthorized
from homewidgets.domain.home import HomeDocument, Reply
from homewidgets.domain.model import parse_user_id
from homewidgets.domain.ports import UserAuthenticator
from homewidgets.domain.read_home import HomeReader
from homewidgets.inbound.http.asgi_types import ASGIApp, Receive, Scope, Send
from homewidgets.metrics import LATENCY_BUCKETS, ReadPathStats, RouteStats

_HOME_PREFIX = "/v1/home/"
_COMPAT_PREFIX = "/get_recommendations/"
_JSON = ("content-type", "application/json")


class HomeReads:
    """What the two read routes answer; the adapters pass in the request's few inputs."""

    __slots__ = ("authenticator", "reader", "stats")

    def __init__(
        self,
        reader: HomeReader,
        authenticator: UserAuthenticator | None = None,
        stats: ReadPathStats | None = None,
    ) -> None:
        self.reader = reader
        self.authenticator = authenticator
        # Plain ints and one histogram per route, read by /metrics at scrape time: per
        # request that is one perf_counter pair, a bisect and a few integer increments.
        self.stats = stats or ReadPathStats()

    def route(self, path: str) -> tuple[str, bool, RouteStats] | None:
        """(raw user id, compat shape?, the route's counters), or None: not a read route."""
        if path.startswith(_HOME_PREFIX):
            raw_id = path[9:]
            return None if "/" in raw_id else (raw_id, False, self.stats.home)
        if path.startswith(_COMPAT_PREFIX):
            return path[21:], True, self.stats.compat
        return None

    def hit(
        self, method: str, raw_id: str, compat: bool, if_none_match: str | None,
        accept_encoding: str | None,
    ) -> Reply | None:  # fmt: skip
        """The answer straight from L1, or None when it needs `answer` (a miss, end-user
        auth, another method). L1 is keyed by canonical UUIDs, so a hit on the raw id
        proves it valid: parsing waits for a miss."""
        if self.authenticator is not None or (method != "GET" and method != "HEAD"):
            return None
        home = self.reader.cached(raw_id)
        if home is None:
            return None
        self.stats.l1_lookups += 1
        return _choose(home, compat, method, if_none_match, accept_encoding)

    async def answer(
        self, method: str, raw_id: str, compat: bool, if_none_match: str | None,
        accept_encoding: str | None, authorization: str | None,
    ) -> Reply:  # fmt: skip
        """Every case `hit` left: method check, id validation, end-user auth, L1, then L2.
        The id is parsed first: the raw one may be a valid UUID in another spelling."""
        if method != "GET" and method != "HEAD":
            return _error(405, b'{"error":"method_not_allowed","message":"use GET"}',
                          ("allow", "GET, HEAD"))  # fmt: skip
        try:
            user_id = parse_user_id(raw_id)
        except InvalidUserId as exc:
            return _error(422, _problem_body(str(exc)))
        if self.authenticator is not None:
            refused = _refused(self.authenticator, authorization, user_id)
            if refused is not None:
                return refused
        self.stats.l1_lookups += 1
        home = self.reader.cached(user_id)
        if home is None:
            self.stats.l1_misses += 1
            home = await self.reader.load(user_id)
        return _choose(home, compat, method, if_none_match, accept_encoding)


def record(route: RouteStats, status: int, started: float) -> None:
    """Count one answered read: its status and its latency since `started`."""
    elapsed = perf_counter() - started
    route.statuses[status] += 1
    latency = route.latency
    latency.buckets[bisect_left(LATENCY_BUCKETS, elapsed)] += 1
    latency.total += elapsed


def _choose(
    home: HomeDocument, compat: bool, method: str, if_none_match: str | None,
    accept_encoding: str | None,
) -> Reply:  # fmt: skip
    rep = home.compat if compat else home.v1
    if if_none_match is not None and (rep.etag in if_none_match or if_none_match.strip() == "*"):
        return rep.not_modified
    reply = rep.gzipped() if accept_encoding is not None and "gzip" in accept_encoding else rep.ok
    return reply if method == "GET" else (reply[0], reply[1], b"")


def _refused(
    authenticator: UserAuthenticator, authorization: str | None, user_id: str
) -> Reply | None:
    """With end-user auth on, only the user themself may read their home."""
    try:
        subject = authenticator.subject(authorization)
    except Unauthorized as exc:
        body = msgspec.json.encode({"error": "unauthorized", "message": str(exc)})
        return _error(401, body, ("www-authenticate", "Bearer"))
    if subject != user_id:
        body = msgspec.json.encode(
            {"error": "forbidden", "message": "a user may read only their own home"}
        )
        return _error(403, body)
    return None


def _problem_body(message: str) -> bytes:
    return msgspec.json.encode(
        {
            "error": "invalid_user_id",
            "message": message,
            "problems": [{"pointer": "/user_id", "reason": message}],
        }
    )


def _error(status: int, body: bytes, *extra: tuple[str, str]) -> Reply:
    return status, [_JSON, ("content-length", str(len(body))), *extra], body


class ReadPath:
    """The read routes as a bare ASGI app in front of `control`, which gets the rest."""

    __slots__ = ("control", "reads")

    def __init__(self, reads: HomeReads, control: ASGIApp) -> None:
        self.reads = reads
        self.control = control

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        matched = self.reads.route(scope["path"]) if scope["type"] == "http" else None
        if matched is None:
            await self.control(scope, receive, send)
            return
        started = perf_counter()
        raw_id, compat, route = matched
        method: str = scope["method"]
        if_none_match = accept_encoding = authorization = None
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                if_none_match = value.decode("latin-1")
            elif name == b"accept-encoding":
                accept_encoding = value.decode("latin-1")
            elif name == b"authorization":
                authorization = value.decode("latin-1")
        reads = self.reads
        status, headers, body = reads.hit(
            method, raw_id, compat, if_none_match, accept_encoding
        ) or await reads.answer(
            method, raw_id, compat, if_none_match, accept_encoding, authorization
        )  # fmt: skip
        await send({"type": "http.response.start", "status": status,
                    "headers": [(k.encode(), v.encode()) for k, v in headers]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})
        record(route, status, started)
