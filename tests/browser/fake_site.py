"""A small stand-in for the home service that the web client talks to, on loopback.

It serves the real static files (the page under test) and a fake API that records what
the page sent (`events`, `requests`) and lets a test change a user's home and push it
down the open Server-Sent Events streams (`set_home`), or cut those streams
(`cut_streams`) to see the page reconnect. Schema validation uses the real
`ContentValidator`, so the playground meets the true error shapes. One instance lives
for the whole test session; `reset()` forgets everything between tests.
"""

from __future__ import annotations

import hashlib
import json
import queue
import re
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from samples import Json, home_for, kitchen_sink

from homewidgets.domain.errors import InvalidWidget
from homewidgets.domain.sdui import ContentValidator
from homewidgets.registry import DEMO_PRODUCTS

SRC = Path(__file__).resolve().parents[2] / "src" / "homewidgets"
WEB_DIR = SRC / "inbound" / "web"
IMAGES_DIR = SRC / "products" / "images"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
_PING_SECONDS = 5.0


@dataclass
class SiteState:
    """What the fake service knows and what it has seen; shared by all handler threads."""

    homes: dict[str, Json] = field(default_factory=dict)
    events: list[Json] = field(default_factory=list)
    event_posts: list[str] = field(default_factory=list)  # content-type of each POST /v1/events
    requests: list[str] = field(default_factory=list)  # "GET /path" in arrival order
    streams: dict[str, list[queue.Queue[bytes | None]]] = field(default_factory=dict)
    examples: list[Json] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def home(self, user_id: str) -> Json:
        with self.lock:
            return self.homes.get(user_id) or home_for(user_id)


class FakeSite:
    """The fake service on 127.0.0.1:<free port>; `url` is its base URL."""

    def __init__(self) -> None:
        self.state = SiteState()
        self.validator = ContentValidator()
        handler = type("Handler", (_Handler,), {"site": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeSite:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.cut_streams()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def reset(self) -> None:
        self.cut_streams()
        with self.state.lock:
            self.state.homes.clear()
            self.state.events.clear()
            self.state.event_posts.clear()
            self.state.requests.clear()
            self.state.examples = default_examples()

    def set_home(self, user_id: str, home: Json) -> None:
        """Store the user's home and send it to every open events stream of that user."""
        data = json.dumps(home, separators=(",", ":")).encode()
        with self.state.lock:
            self.state.homes[user_id] = home
            subscribers = list(self.state.streams.get(user_id, []))
        for q in subscribers:
            q.put(b"event: home\ndata: " + data + b"\n\n")

    def cut_streams(self) -> None:
        """Close every open events stream, as a restarting instance would."""
        with self.state.lock:
            subscribers = [q for qs in self.state.streams.values() for q in qs]
        for q in subscribers:
            q.put(None)

    def subscribers(self, user_id: str) -> int:
        with self.state.lock:
            return len(self.state.streams.get(user_id, []))

    def count(self, request: str) -> int:
        with self.state.lock:
            return sum(1 for r in self.state.requests if r == request)

    def events_of(self, kind: str) -> list[Json]:
        with self.state.lock:
            return [e for e in self.state.events if e.get("type") == kind]


def default_examples() -> list[Json]:
    """The catalogue examples, as `GET /v1/schema/examples` lists them."""
    return [
        {
            "name": "Kitchen sink",
            "description": "Every component type at once",
            "content": kitchen_sink(hostile=False),
        },
        {
            "name": "Car insurance (generic)",
            "description": "What a new visitor sees",
            "content": home_for("00000000-0000-4000-8000-000000000000")["widgets"][0]["content"],
        },
        {
            "name": "Badge",
            "description": "A short highlighted label",
            "content": {"type": "badge", "label": "New", "tone": "info"},
        },
    ]


class _Handler(BaseHTTPRequestHandler):
    site: FakeSite
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        with self.site.state.lock:
            self.site.state.requests.append(f"GET {path}")
        if path in ("/", "/index.html"):
            self._file(WEB_DIR / "index.html")
        elif path == "/playground":
            self._file(WEB_DIR / "playground.html")
        elif path.startswith("/static/"):
            self._file(WEB_DIR / path.removeprefix("/static/"), root=WEB_DIR)
        elif path.startswith("/assets/products/"):
            self._file(IMAGES_DIR / path.removeprefix("/assets/products/"), root=IMAGES_DIR)
        elif path == "/v1/products":
            items = [{"id": i, "name": n, "order": o} for i, n, o in DEMO_PRODUCTS]
            self._json(HTTPStatus.OK, {"products": items})
        elif path == "/v1/schema/examples":
            self._json(HTTPStatus.OK, {"examples": self.site.state.examples})
        elif m := re.fullmatch(r"/v1/home/([^/]+)(/events)?", path):
            user = m.group(1)
            if not _UUID.match(user):
                self._json(HTTPStatus.UNPROCESSABLE_ENTITY, {"error": "invalid_user_id"})
            elif m.group(2):
                self._stream(user)
            else:
                self._home(user)
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": "not_found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        with self.site.state.lock:
            self.site.state.requests.append(f"POST {path}")
        if path == "/v1/events":
            events = json.loads(body)["events"]
            with self.site.state.lock:
                self.site.state.events.extend(events)
                self.site.state.event_posts.append(self.headers.get("content-type", ""))
            self._json(HTTPStatus.ACCEPTED, {"accepted": len(events)})
        elif path == "/v1/schema/validate":
            try:
                canonical = self.site.validator.validate(body)
            except InvalidWidget as exc:
                status = (
                    HTTPStatus.REQUEST_ENTITY_TOO_LARGE
                    if exc.too_large
                    else (HTTPStatus.UNPROCESSABLE_ENTITY)
                )
                self._json(
                    status,
                    {
                        "error": "invalid_widget",
                        "message": str(exc),
                        "problems": [p.as_dict() for p in exc.problems],
                    },
                )
                return
            self._json(HTTPStatus.OK, {"valid": True, "content": json.loads(canonical)})
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": "not_found"})

    def _home(self, user: str) -> None:
        body = json.dumps(self.site.state.home(user), separators=(",", ":")).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("if-none-match") == etag:
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("etag", etag)
            self.end_headers()
            return
        self._send(
            HTTPStatus.OK, body, "application/json", {"etag": etag, "cache-control": "no-cache"}
        )

    def _stream(self, user: str) -> None:
        q: queue.Queue[bytes | None] = queue.Queue()
        with self.site.state.lock:
            self.site.state.streams.setdefault(user, []).append(q)
        try:
            self.send_response(HTTPStatus.OK)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            self.end_headers()
            self.wfile.write(b"retry: 300\n\n")
            self.wfile.flush()
            while True:
                try:
                    item = q.get(timeout=_PING_SECONDS)
                except queue.Empty:
                    item = b": ping\n\n"
                if item is None:
                    break
                self.wfile.write(item)
                self.wfile.flush()
        except OSError:
            pass
        finally:
            with self.site.state.lock:
                self.site.state.streams[user].remove(q)
            self.close_connection = True

    def _file(self, path: Path, root: Path | None = None) -> None:
        resolved = path.resolve()
        if (root and root.resolve() not in resolved.parents) or not resolved.is_file():
            self._json(HTTPStatus.NOT_FOUND, {"error": "not_found"})
            return
        kind = _TYPES.get(resolved.suffix, "application/octet-stream")
        self._send(HTTPStatus.OK, resolved.read_bytes(), kind, {"cache-control": "no-cache"})

    def _json(self, status: HTTPStatus, value: Any) -> None:
        self._send(status, json.dumps(value).encode(), "application/json", {})

    def _send(self, status: HTTPStatus, body: bytes, kind: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
