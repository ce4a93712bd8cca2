"""Serving an ASGI app (the Starlette control plane) from granian's RSGI interface.

The read routes are RSGI-native (`rsgi.RsgiFront`); everything else is ordinary
Starlette code, which this adapter runs unchanged: it builds the ASGI scope from the
RSGI one, streams the request body chunk by chunk (so body limits still refuse an
oversized upload while it arrives), reports the client's disconnect after the body,
and turns the ASGI messages into one `response_bytes` call or, for streamed answers
such as Server-Sent Events, a response stream.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol
from urllib.parse import quote

from homewidgets.inbound.http.asgi_types import ASGIApp, Message

log = logging.getLogger(__name__)

_SAFE_PATH = "/:@!$&'()*+,;=-._~"
_INTERNAL_ERROR = b'{"error":"internal","message":"internal server error"}'


class RsgiHeaders(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...
    def items(self) -> list[tuple[str, str]]: ...


class RsgiScope(Protocol):
    """The parts of granian's RSGI scope we read (granian.rsgi.Scope)."""

    proto: str
    http_version: str
    method: str
    path: str
    query_string: str
    scheme: str
    client: str
    server: str

    @property
    def headers(self) -> RsgiHeaders: ...


class RsgiStream(Protocol):
    async def send_bytes(self, data: bytes) -> None: ...


class RsgiProtocol(Protocol):
    """The parts of granian's RSGI HTTP protocol we use (granian.rsgi.HTTPProtocol)."""

    def __aiter__(self) -> AsyncIterator[bytes]: ...
    async def client_disconnect(self) -> None: ...
    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None: ...
    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> RsgiStream: ...


class AsgiBridge:
    """`await AsgiBridge(asgi_app)(rsgi_scope, rsgi_protocol)` serves one HTTP request.

    The app runs in an asyncio task of its own, so code that needs the current task
    (anyio's task groups and cancel scopes in Starlette, `asyncio.timeout`) works
    whichever task implementation granian drives the RSGI callback with.
    """

    __slots__ = ("_app",)

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: RsgiScope, protocol: RsgiProtocol) -> None:
        exchange = _Exchange(protocol)
        try:
            app = self._app(asgi_scope(scope), exchange.receive, exchange.send)
            await asyncio.ensure_future(app)
        except Exception:
            log.exception("unhandled error in the control plane")
        exchange.finish()


def asgi_scope(scope: RsgiScope) -> dict[str, Any]:
    """The ASGI HTTP scope of an RSGI request. RSGI gives the path already decoded, so
    `raw_path` is re-encoded from it."""
    path = scope.path
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": scope.http_version,
        "method": scope.method,
        "scheme": scope.scheme,
        "path": path,
        "raw_path": quote(path, safe=_SAFE_PATH).encode("ascii"),
        "query_string": scope.query_string.encode("latin-1"),
        "root_path": "",
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in scope.headers.items()],
        "client": _address(scope.client),
        "server": _address(scope.server),
        "state": {},
    }


def _address(text: str) -> tuple[str, int] | None:
    host, _, port = text.rpartition(":")
    return (host.strip("[]"), int(port)) if host and port.isdigit() else None


class _Exchange:
    """One request's receive and send callables, over one RSGI protocol object."""

    __slots__ = ("_body", "_headers", "_protocol", "_status", "_stream", "responded")

    def __init__(self, protocol: RsgiProtocol) -> None:
        self._protocol = protocol
        self._body: AsyncIterator[bytes] | None = protocol.__aiter__()
        self._status = 200
        self._headers: list[tuple[str, str]] = []
        self._stream: RsgiStream | None = None
        self.responded = False  # a response (or its stream) has been handed to granian

    async def receive(self) -> Message:
        if self._body is not None:
            # Not `anext(it, None)`: granian 2.8's body iterator crashes the worker under
            # the builtin's awaitable wrapper (seen here); the plain protocol works.
            try:
                chunk = await self._body.__anext__()
            except StopAsyncIteration:
                self._body = None
                return {"type": "http.request", "body": b"", "more_body": False}
            return {"type": "http.request", "body": chunk, "more_body": True}
        await self._protocol.client_disconnect()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self._status = message["status"]
            self._headers = [
                (k.decode("latin-1"), v.decode("latin-1"))
                for k, v in message.get("headers", ())
            ]
        elif kind == "http.response.body":
            body: bytes = message.get("body", b"")
            more = bool(message.get("more_body", False))
            if self._stream is None:
                if not more:
                    self.responded = True
                    self._protocol.response_bytes(self._status, self._headers, body)
                    return
                self.responded = True
                self._stream = self._protocol.response_stream(self._status, self._headers)
            if body:
                try:
                    await self._stream.send_bytes(body)
                except Exception as exc:  # granian's ProtocolClosed: the client has gone
                    raise OSError("client disconnected") from exc

    def finish(self) -> None:
        """An app that failed before answering still gets its client a 500."""
        if not self.responded:
            self.responded = True
            headers = [("content-type", "application/json"),
                       ("content-length", str(len(_INTERNAL_ERROR)))]  # fmt: skip
            self._protocol.response_bytes(500, headers, _INTERNAL_ERROR)
