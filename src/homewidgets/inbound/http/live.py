"""Live and behavioural traffic: the home's events stream, and impressions/clicks/dismissals.

`GET /v1/home/{user_id}/events` (Server-Sent Events) sends the whole home when it
changes on any instance. `POST /v1/events` takes end users' events and appends them to
each product's log; `GET /v1/products/{product}/events` lets that product read them.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Annotated, Literal

import msgspec
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from homewidgets.domain.errors import Forbidden, InvalidInput, Problem
from homewidgets.domain.model import parse_user_id
from homewidgets.domain.push import TokenChecker, problem_from_msgspec
from homewidgets.inbound.http.bodies import read_body
from homewidgets.inbound.http.errors import error_response, json_response
from homewidgets.runtime import Runtime

HEARTBEAT_SECONDS = 15.0
MAX_EVENTS_PER_CALL = 200
MAX_WAIT_MS = 30_000

Short = Annotated[str, msgspec.Meta(max_length=100)]


class UserEvent(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """One behavioural event from a client (CONTRACT 8)."""

    type: Literal["impression", "click", "dismiss"]
    product: Short
    user_id: Short
    widget_version: Annotated[int, msgspec.Meta(ge=0)] | None = None
    component_id: Short | None = None
    event: Short | None = None  # the `track` action's event name
    ts: Annotated[int, msgspec.Meta(ge=0)] | None = None


class EventBatch(msgspec.Struct, forbid_unknown_fields=True):
    events: Annotated[list[UserEvent], msgspec.Meta(min_length=1, max_length=MAX_EVENTS_PER_CALL)]


class LiveApi:
    """Lives as long as the app."""

    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self._tokens = TokenChecker(runtime.registry)
        self._decode_batch = msgspec.json.Decoder(EventBatch).decode
        self._encode = msgspec.json.Encoder().encode

    def routes(self) -> list[Route]:
        return [
            Route("/v1/home/{user_id}/events", self.home_events, methods=["GET"]),
            Route("/v1/events", self.post_events, methods=["POST"]),
            Route("/v1/products/{product}/events", self.product_events, methods=["GET"]),
        ]

    def _check_user(self, request: Request, user_id: str, *, query_token: bool = False) -> None:
        """With end-user auth on, a user reads and reports only as themself.

        `query_token`: a browser's EventSource cannot send headers, so the events stream
        also takes the JWT as `?access_token=` (RFC 6750, section 2.3).
        """
        if self._rt.authenticator is not None:
            authorization = request.headers.get("authorization")
            token = request.query_params.get("access_token") if query_token else None
            if authorization is None and token:
                authorization = f"Bearer {token}"
            subject = self._rt.authenticator.subject(authorization)
            if subject != user_id:
                raise Forbidden("a user may act only as themself")

    async def home_events(self, request: Request) -> Response:
        user_id = parse_user_id(request.path_params["user_id"])
        self._check_user(request, user_id, query_token=True)
        watchers = self._rt.reader.watchers
        queue = watchers.watch(user_id)
        if queue is None:
            return error_response(
                503,
                "too_many_watchers",
                "no room for another event stream on this instance (full, or stopping)",
                headers={"retry-after": "5"},
            )

        async def stream() -> AsyncIterator[bytes]:
            try:
                sent_etag = ""
                yield b"retry: 2000\n\n"
                while True:
                    home = await self._rt.reader.read(user_id)
                    if home.v1.etag != sent_etag:
                        sent_etag = home.v1.etag
                        yield b"event: home\ndata: " + home.v1.body + b"\n\n"
                    try:
                        await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                    except TimeoutError:
                        yield b": ping\n\n"
                    if watchers.closed:  # shutting down: end, the client reconnects elsewhere
                        return
            finally:
                watchers.unwatch(user_id, queue)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
        )

    async def post_events(self, request: Request) -> Response:
        raw = await read_body(request, 256 * 1024)
        try:
            batch = self._decode_batch(raw)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise InvalidInput([problem_from_msgspec(exc)]) from None
        by_product: defaultdict[str, list[bytes]] = defaultdict(list)
        for index, event in enumerate(batch.events):
            if event.product not in self._rt.registry:
                raise InvalidInput(
                    [Problem(f"/events/{index}/product", f"unknown product {event.product!r}")]
                )
            try:
                event.user_id = parse_user_id(event.user_id)
            except Exception as exc:
                raise InvalidInput([Problem(f"/events/{index}/user_id", str(exc))]) from None
            self._check_user(request, event.user_id)
            by_product[event.product].append(self._encode(event))
        for product, events in by_product.items():
            await self._rt.events.append(product, events)
        return json_response({"accepted": len(batch.events)}, 202)

    async def product_events(self, request: Request) -> Response:
        product: str = request.path_params["product"]
        self._rt.registry.get(product)
        self._tokens.check(product, request.headers.get("authorization"))
        after = request.query_params.get("after", "$")
        if after == "$":  # pin "only new" to an id, so nothing slips between two polls
            after = await self._rt.events.last_id(product)
        count = _bounded_int(request, "count", 100, 1, 1000)
        wait_ms = _bounded_int(request, "wait_ms", 0, 0, MAX_WAIT_MS)
        entries = await self._rt.events.read(product, after, count, wait_ms)
        body = b"".join(
            (
                b'{"events":[',
                b",".join(
                    b'{"id":"%s","event":%s}' % (event_id.encode(), data)
                    for event_id, data in entries
                ),
                b'],"last_id":',
                self._encode(entries[-1][0] if entries else after),
                b"}",
            )
        )
        return Response(body, media_type="application/json")


def _bounded_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidInput([Problem(f"/{name}", f"{name} must be an integer {low}..{high}")])
    return int(raw)
