"""Graceful shutdown of real processes: SIGTERM lets work in flight finish.

`homewidgets serve`: a push whose body is still arriving when SIGTERM comes is finished,
answered 200 and stored; the process then exits 0. `homewidgets worker`: a worker
stopped while its pulls are in flight writes their answers, acknowledges its claims
(nothing is left pending in the consumer group), and exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redis

from homewidgets.registry import DEMO_PRODUCTS
from inprocess import CARD, auth
from processes import (
    Process,
    eventually,
    start_service,
    start_worker,
)
from stacks import RefreshStack, start_refresh_stack

pytestmark = [pytest.mark.redis, pytest.mark.slow]

USER = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
STREAM, GROUP = "hw:refresh", "hw-workers"
EXIT_BOUND_SECONDS = 15.0
PULL_LATENCY_MS = 2500  # the worker's product timeout is raised to 6 s below


def terminate(process: Process) -> None:
    """SIGTERM to the main process only, as an orchestrator does (PID 1 of a container)."""
    assert process.popen is not None
    process.popen.send_signal(signal.SIGTERM)


def exit_code(process: Process, timeout: float = EXIT_BOUND_SECONDS) -> int:
    assert process.popen is not None
    return process.popen.wait(timeout)


async def slow_body(body: bytes, pause: float, started: asyncio.Event) -> AsyncIterator[bytes]:
    """The first half, a pause (SIGTERM comes now), then the rest."""
    half = len(body) // 2
    yield body[:half]
    started.set()
    await asyncio.sleep(pause)
    yield body[half:]


async def test_pushes_in_flight_when_the_service_gets_sigterm_are_finished_and_stored(
    tmp_path: Path, redis_url: str
) -> None:
    """Ten pushes whose bodies are still arriving when SIGTERM comes: each is read to the
    end, stored and answered 200 (they are in the app by construction: it reads them)."""
    service = start_service(tmp_path, {"HOMEWIDGETS_REDIS_URL": redis_url})
    users = [str(uuid.uuid4()) for _ in range(10)]
    try:
        body = httpx.Request("PUT", "/", json={"content": CARD, "version": 7}).content
        started = [asyncio.Event() for _ in users]
        async with httpx.AsyncClient(base_url=service.url, timeout=15.0) as http:
            pushes = [asyncio.create_task(http.put(
                f"/v1/products/energy/widgets/{user}", content=slow_body(body, 1.5, event),
                headers={**auth("energy"), "content-type": "application/json"},
            )) for user, event in zip(users, started, strict=True)]  # fmt: skip
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in started)), 5)
            await asyncio.sleep(0.2)  # the handlers are reading the bodies
            terminate(service)
            answers = await asyncio.gather(*pushes, return_exceptions=True)
        outcomes = [a.status_code if isinstance(a, httpx.Response) else repr(a) for a in answers]
        assert outcomes == [200] * len(users), outcomes
        assert await asyncio.to_thread(exit_code, service) == 0, service.log()
    finally:
        service.stop()
    with redis.Redis.from_url(redis_url) as check:
        stored = [check.hget(f"hw:{{{user}}}:w", "energy") for user in users]
    assert all(s is not None and s.startswith(b"7|") for s in stored), stored
    assert "Traceback" not in service.log(), service.log()


async def test_an_open_events_stream_does_not_hold_the_shutdown_forever(
    tmp_path: Path, redis_url: str
) -> None:
    """SSE streams never end by themselves: the service still exits, and the stream ends."""
    service = start_service(tmp_path, {"HOMEWIDGETS_REDIS_URL": redis_url})
    try:
        async with httpx.AsyncClient(base_url=service.url, timeout=30.0) as http, \
                http.stream("GET", f"/v1/home/{USER}/events") as stream:  # fmt: skip
            assert stream.status_code == 200
            lines = stream.aiter_lines()
            while not (await anext(lines)).startswith("data: "):
                pass
            terminate(service)
            stopped_at = time.monotonic()
            with contextlib.suppress(httpx.HTTPError):
                async for _ in lines:  # until the server ends the stream
                    pass
            ended_after = time.monotonic() - stopped_at
        assert ended_after < EXIT_BOUND_SECONDS
        assert await asyncio.to_thread(exit_code, service) == 0, service.log()
    finally:
        service.stop()


# -- the refresh worker ----------------------------------------------------------------------


@pytest.fixture
def stack(tmp_path: Path, redis_url: str) -> Iterator[RefreshStack]:
    running = start_refresh_stack(
        tmp_path, redis_url, "--latency-ms", str(PULL_LATENCY_MS),
        env={"HOMEWIDGETS_PRODUCT_TIMEOUT_SECONDS": "6"}, wait_for_generics=False,
    )  # fmt: skip
    yield running
    running.stop()


def pending(client: redis.Redis) -> int:
    """Entries delivered to a worker and not yet acknowledged; 0 while the worker that
    creates the group has not started yet (the service may create the stream first)."""
    try:
        summary = client.xpending(STREAM, GROUP)
    except redis.ResponseError as exc:
        if "NOGROUP" in str(exc):
            return 0
        raise
    return int(summary["pending"])


def test_a_worker_stopped_mid_batch_acknowledges_its_claims_and_loses_nothing(
    stack: RefreshStack, tmp_path: Path, redis_url: str
) -> None:
    """Worker A gets SIGTERM with pulls in flight: it finishes them, leaves no claim
    pending (nothing waits for a claim-idle timeout), exits 0; worker B does the rest."""
    first = start_worker(tmp_path, stack.env, name="worker-a")
    second: Process | None = None
    try:
        users = [str(uuid.uuid4()) for _ in range(20)]
        with redis.Redis.from_url(redis_url) as check:
            for user in users:  # cold reads queue refresh requests
                assert httpx.get(f"{stack.service.url}/v1/home/{user}").status_code == 200
            eventually(lambda: check.exists(STREAM) and pending(check) > 0, timeout=10)
            terminate(first)  # its pulls take 2.5 s: they are in flight now
            stopped_at = time.monotonic()
            assert exit_code(first) == 0, first.log()
            took = time.monotonic() - stopped_at
            assert pending(check) == 0, check.xpending_range(STREAM, GROUP, "-", "+", 10)
        second = start_worker(tmp_path, stack.env, name="worker-b")
        everyone = {pid for pid, _, _ in DEMO_PRODUCTS}
        for user in users:
            eventually(
                lambda user=user: stack.personalised(user) == everyone, timeout=15
            )
        assert 1.0 < took < EXIT_BOUND_SECONDS  # it waited for its pulls, and not forever
    finally:
        first.stop()
        if second is not None:
            second.stop()
    assert "Traceback" not in first.log(), first.log()
