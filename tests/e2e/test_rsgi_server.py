"""`homewidgets serve` as production runs it: granian, RSGI, granian's Rust task stepping
(and its asyncio tasks, the fallback `HOMEWIDGETS_SERVER_TASKS=asyncio`).

The read routes are native RSGI and the control plane is Starlette behind the ASGI
bridge (tests/unit/test_rsgi.py covers both against a fake protocol); here real granian
carries them: HTTP semantics of the read routes, request bodies streamed through the
bridge, and a Server-Sent Events stream that ends when its client leaves.
"""

from __future__ import annotations

import contextlib
import gzip
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from inprocess import CARD, auth
from processes import Process, eventually, start_service

pytestmark = pytest.mark.slow

USER = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"


@pytest.fixture(scope="module", params=["rust", "asyncio"])
def service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Process]:
    """`serve` with each of granian's task modes (HOMEWIDGETS_SERVER_TASKS)."""
    running = start_service(tmp_path_factory.mktemp("rsgi"), {
        "HOMEWIDGETS_EMBEDDED_WORKER": "0", "HOMEWIDGETS_SERVER_TASKS": request.param})
    try:
        pushed = httpx.put(f"{running.url}/v1/products/energy/widgets/{USER}",
                           json={"content": CARD, "version": 7}, headers=auth("energy"))
        assert pushed.status_code == 200, pushed.text
        yield running
    finally:
        running.stop()


def test_a_read_carries_its_length_etag_and_caching_headers(service: Process) -> None:
    response = httpx.get(f"{service.url}/v1/home/{USER}", headers={"accept-encoding": "identity"})
    assert response.status_code == 200
    assert response.json()["widgets"][0]["version"] == 7
    assert response.headers["content-length"] == str(len(response.content))
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "private, no-cache"
    assert response.headers["vary"] == "accept-encoding"
    assert re.fullmatch(r'"[0-9a-f]{24}"', response.headers["etag"])


def test_a_matching_etag_gets_304_and_no_body(service: Process) -> None:
    etag = httpx.get(f"{service.url}/v1/home/{USER}").headers["etag"]
    again = httpx.get(f"{service.url}/v1/home/{USER}", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag


def test_gzip_and_head_answer_like_the_plain_get(service: Process) -> None:
    plain = httpx.get(f"{service.url}/get_recommendations/{USER}",
                      headers={"accept-encoding": "identity"})
    with httpx.stream("GET", f"{service.url}/get_recommendations/{USER}",
                      headers={"accept-encoding": "gzip"}) as packed:
        assert packed.headers["content-encoding"] == "gzip"
        assert gzip.decompress(b"".join(packed.iter_raw())) == plain.content
    head = httpx.head(f"{service.url}/v1/home/{USER}", headers={"accept-encoding": "identity"})
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) > 0


def test_read_routes_refuse_other_methods_and_malformed_ids(service: Process) -> None:
    wrong_method = httpx.post(f"{service.url}/v1/home/{USER}")
    assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "GET, HEAD"
    malformed = httpx.get(f"{service.url}/v1/home/not-a-uuid")
    assert malformed.status_code == 422
    assert malformed.json()["problems"][0]["pointer"] == "/user_id"


def test_a_chunked_push_body_over_the_limit_is_refused_while_it_streams(
    service: Process,
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"content": {"type": "text", "text": "'
        for _ in range(200):
            yield b"x" * 1024
        yield b'"}}'

    refused = httpx.put(f"{service.url}/v1/products/energy/widgets/{USER}",
                        content=chunks(), headers=auth("energy"))
    assert refused.status_code == 413
    assert httpx.get(f"{service.url}/v1/home/{USER}").json()["widgets"][0]["version"] == 7


def test_pages_and_static_files_are_served(service: Process) -> None:
    """Starlette sends files from a worker thread (anyio.to_thread): it must work under
    granian's Rust task stepping (rsgi.forget_placeholder_task)."""
    for path in ("/", "/playground", "/static/app.js", "/static/styles.css"):
        response = httpx.get(service.url + path)
        assert response.status_code == 200, (path, response.text[:200])


def _open_streams(service: Process) -> int:
    metrics = httpx.get(f"{service.url}/metrics").text
    found = re.search(r"^homewidgets_events_streams (\d+)", metrics, re.MULTILINE)
    assert found, metrics[:500]
    return int(found.group(1))


def test_an_events_stream_delivers_and_is_closed_when_its_client_leaves(
    service: Process,
) -> None:
    with httpx.stream("GET", f"{service.url}/v1/home/{USER}/events", timeout=5) as events:
        assert events.headers["content-type"].startswith("text/event-stream")
        lines = events.iter_lines()
        assert any(line.startswith("data: {") for line in (next(lines) for _ in range(4)))
        assert _open_streams(service) == 1
    started = time.monotonic()
    eventually(lambda: _open_streams(service) == 0, timeout=5)
    assert time.monotonic() - started < 5


def test_a_worker_survives_clients_that_vanish_mid_request(service: Process) -> None:
    for _ in range(20):
        with contextlib.suppress(httpx.TimeoutException):
            httpx.get(f"{service.url}/v1/home/{USER}/events", timeout=0.05)
    assert httpx.get(f"{service.url}/healthz").status_code == 200
    eventually(lambda: _open_streams(service) == 0, timeout=5)


def test_the_service_logs_no_errors_for_all_of_the_above(service: Process) -> None:
    log = service.log()
    assert "Traceback" not in log and "Unexpected exit" not in log, log


@pytest.mark.redis
def test_sigterm_ends_open_event_streams_cleanly_and_the_service_exits_at_once(
    tmp_path: Path, redis_url: str
) -> None:
    # One worker: its /healthz answer proves it started (a second might still be starting,
    # and granian does not stop a worker that is signalled before it serves).
    running = start_service(tmp_path, {"HOMEWIDGETS_REDIS_URL": redis_url})
    try:
        with httpx.stream("GET", f"{running.url}/v1/home/{USER}/events", timeout=5) as events:
            lines = events.iter_lines()
            assert next(lines) == "retry: 2000"
            started = time.monotonic()
            running.signal(signal.SIGTERM)
            rest = list(lines)  # the stream ends (cleanly: no error raised) ...
        assert running.popen is not None
        assert running.popen.wait(5) == 0  # ... and the service is gone well before 10 s
        assert time.monotonic() - started < 3, rest
    finally:
        running.stop()
