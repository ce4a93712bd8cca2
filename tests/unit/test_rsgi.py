"""The RSGI face: native read routes, and Starlette served through the ASGI bridge.

A fake of granian's RSGI protocol records what would go on the wire; the apps behind it
are real (Starlette, the Runtime on the embedded L2). tests/e2e/test_rsgi_server.py runs
the same paths under real granian.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from homewidgets.bootstrap import build_runtime
from homewidgets.config import Settings
from homewidgets.domain.model import WidgetWrite
from homewidgets.inbound.http.app import create_rsgi_app
from homewidgets.inbound.http.asgi_types import Receive, Scope, Send
from homewidgets.inbound.http.rsgi import RsgiFront, forget_placeholder_task
from homewidgets.inbound.http.rsgi_bridge import AsgiBridge
from inprocess import CARD

USER = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"


class Headers(dict[str, str]):
    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        return list(super().items())


@dataclass
class FakeScope:
    path: str
    method: str = "GET"
    headers: Headers = field(default_factory=Headers)
    query_string: str = ""
    proto: str = "http"
    http_version: str = "1.1"
    scheme: str = "http"
    client: str = "127.0.0.1:50000"
    server: str = "127.0.0.1:8000"


class ClientGone(RuntimeError):
    """What granian raises when writing to a closed connection (RSGIProtocolClosed)."""


@dataclass
class FakeStream:
    chunks: list[bytes] = field(default_factory=list)
    closed: bool = False

    async def send_bytes(self, data: bytes) -> None:
        if self.closed:
            raise ClientGone("closed")
        self.chunks.append(data)


@dataclass
class FakeProtocol:
    """granian's RSGIHTTPProtocol as far as we use it; records the one response."""

    body: list[bytes] = field(default_factory=list)
    gone: asyncio.Event = field(default_factory=asyncio.Event)
    response: tuple[int, list[tuple[str, str]], bytes] | None = None
    stream: FakeStream | None = None
    status: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        for chunk in self.body:
            yield chunk

    async def client_disconnect(self) -> None:
        await self.gone.wait()

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        assert self.response is None and self.stream is None, "answered twice"
        self.response = (status, headers, body)

    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> FakeStream:
        assert self.response is None and self.stream is None, "answered twice"
        self.status, self.headers, self.stream = status, headers, FakeStream()
        return self.stream


async def echo(request: Request) -> Response:
    body = await request.body()
    return JSONResponse({
        "path": request.url.path, "raw_path": request.scope["raw_path"].decode(),
        "query": dict(request.query_params), "client": list(request.client or ()),
        "agent": request.headers.get("user-agent"), "method": request.method,
        "body_bytes": len(body),
    })


async def ticks(_request: Request) -> Response:
    async def forever() -> AsyncIterator[bytes]:
        n = 0
        while True:
            n += 1
            yield b"tick %d\n" % n
            await asyncio.sleep(0.01)

    return StreamingResponse(forever(), media_type="text/plain")


async def broken(_request: Request) -> Response:
    raise RuntimeError("boom")


CONTROL = Starlette(routes=[
    Route("/echo/{rest:path}", echo, methods=["GET", "POST"]),
    Route("/ticks", ticks), Route("/broken", broken),
])


async def test_a_request_reaches_starlette_as_asgi_and_its_answer_is_one_response() -> None:
    protocol = FakeProtocol(body=[b"hel", b"lo"])
    scope = FakeScope("/echo/a b", method="POST", query_string="x=1&y=%20",
                      headers=Headers({"user-agent": "test/1"}))
    await AsgiBridge(CONTROL)(scope, protocol)
    assert protocol.response is not None
    status, headers, body = protocol.response
    assert status == 200 and ("content-type", "application/json") in headers
    assert json.loads(body) == {
        "path": "/echo/a b", "raw_path": "/echo/a%20b", "query": {"x": "1", "y": " "},
        "client": ["127.0.0.1", 50000], "agent": "test/1", "method": "POST", "body_bytes": 5,
    }


async def test_a_streamed_answer_goes_out_chunk_by_chunk_until_the_client_leaves() -> None:
    protocol = FakeProtocol()
    served = asyncio.ensure_future(AsgiBridge(CONTROL)(FakeScope("/ticks"), protocol))
    await asyncio.sleep(0.1)
    assert protocol.stream is not None and protocol.status == 200
    assert protocol.stream.chunks[:2] == [b"tick 1\n", b"tick 2\n"]
    protocol.gone.set()
    await asyncio.wait_for(served, 2)  # the disconnect ends the endless stream


async def test_writing_to_a_closed_stream_ends_the_app_instead_of_looping() -> None:
    protocol = FakeProtocol()
    served = asyncio.ensure_future(AsgiBridge(CONTROL)(FakeScope("/ticks"), protocol))
    await asyncio.sleep(0.05)
    assert protocol.stream is not None
    protocol.stream.closed = True  # the connection died without granian telling receive()
    await asyncio.wait_for(served, 2)


async def test_an_app_that_fails_before_answering_still_gets_its_client_a_500() -> None:
    protocol = FakeProtocol()
    await AsgiBridge(CONTROL)(FakeScope("/broken"), protocol)
    assert protocol.response is not None and protocol.response[0] == 500


async def test_an_app_that_returns_without_answering_gets_a_500_too() -> None:
    async def silent(scope: Scope, receive: Receive, send: Send) -> None:
        return None

    protocol = FakeProtocol()
    await AsgiBridge(silent)(FakeScope("/"), protocol)
    assert protocol.response is not None and protocol.response[0] == 500
    assert json.loads(protocol.response[2])["error"] == "internal"


@pytest.fixture
async def front() -> AsyncIterator[RsgiFront]:
    runtime = build_runtime(Settings(embedded_worker=False))
    await runtime.start()
    await runtime.store.put(WidgetWrite("energy", USER, json.dumps(CARD).encode(), 3))
    try:
        yield create_rsgi_app(runtime)
    finally:
        await runtime.stop()


async def test_a_read_is_answered_natively_with_the_homes_ready_reply(front: RsgiFront) -> None:
    protocol = FakeProtocol()
    await front.__rsgi__(FakeScope(f"/v1/home/{USER}"), protocol)
    assert protocol.response is not None
    status, headers, body = protocol.response
    assert status == 200 and json.loads(body)["widgets"][0]["version"] == 3
    etag = dict(headers)["etag"]
    again = FakeProtocol()  # now an L1 hit: same answer, and 304 for its ETag
    await front.__rsgi__(FakeScope(f"/v1/home/{USER}",
                                   headers=Headers({"if-none-match": etag})), again)
    assert again.response is not None and again.response[0] == 304
    assert again.response[2] == b""


async def test_read_routes_refuse_what_they_cannot_serve(front: RsgiFront) -> None:
    for scope, status in ((FakeScope("/v1/home/not-a-uuid"), 422),
                          (FakeScope(f"/v1/home/{USER}", method="POST"), 405)):
        protocol = FakeProtocol()
        await front.__rsgi__(scope, protocol)
        assert protocol.response is not None and protocol.response[0] == status


async def test_other_routes_go_to_the_control_plane(front: RsgiFront) -> None:
    protocol = FakeProtocol()
    await front.__rsgi__(FakeScope("/v1/products"), protocol)
    assert protocol.response is not None and protocol.response[0] == 200
    assert "products" in json.loads(protocol.response[2])


def test_the_worker_hooks_start_and_stop_the_runtime() -> None:
    calls: list[str] = []

    class Lifecycle:
        async def start(self) -> None:
            calls.append("start")

        def stopping(self) -> None:
            calls.append("stopping")

        async def stop(self) -> None:
            calls.append("stop")

    front = RsgiFront(None, CONTROL, Lifecycle())
    loop = asyncio.new_event_loop()
    try:
        front.__rsgi_init__(loop)
        front.__rsgi_del__(loop)
    finally:
        loop.close()
    assert calls == ["start", "stop"]


async def test_without_native_reads_every_route_goes_to_the_asgi_app() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["path"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    class Idle:
        async def start(self) -> None: ...
        def stopping(self) -> None: ...
        async def stop(self) -> None: ...

    protocol = FakeProtocol()
    await RsgiFront(None, app, Idle()).__rsgi__(FakeScope(f"/v1/home/{USER}"), protocol)
    assert seen == [f"/v1/home/{USER}"] and protocol.response == (204, [], b"")


class Placeholder(asyncio.Task):  # type: ignore[type-arg]
    """Like granian's Rust-mode placeholder: registered, current, never initialised."""

    def __init__(self) -> None:
        asyncio.tasks._register_task(self)


async def test_granians_uninitialised_placeholder_task_is_hidden_from_all_tasks() -> None:
    loop = asyncio.get_running_loop()
    placeholder = Placeholder()
    current = asyncio.current_task()
    assert current is not None
    asyncio.tasks._leave_task(loop, current)
    asyncio.tasks._enter_task(loop, placeholder)
    try:
        with pytest.raises(RuntimeError, match="not initialized"):
            asyncio.all_tasks()
        forget_placeholder_task()
        assert placeholder not in asyncio.all_tasks()
    finally:
        asyncio.tasks._leave_task(loop, placeholder)
        asyncio.tasks._enter_task(loop, current)
    forget_placeholder_task()  # a real task stays registered
    assert current in asyncio.all_tasks()
