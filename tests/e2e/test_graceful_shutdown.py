"""Graceful shutdown of real processes: SIGTERM lets work in flight finish.

`homewidgets serve`: a push whose body is still arriving when SIGTERM comes is finished,
answered 200 and stored; the process then exits 0. `homewidgets worker`: a worker
stopped while its pulls are in flight writes their answers, acknowledges its claims
(nothing is left pending in the consumer group), and exits 0.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from homewidgets.registry import DEMO_PRODUCTS
from inprocess import CARD, auth
from processes import (
    Process,
    eventually,
    free_port,
    homewidgets_env,
    start_service,
    start_worker,
)

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


async def test_a_push_in_flight_when_the_service_gets_sigterm_is_finished_and_stored(
    tmp_path: Path, redis_url: str
) -> None:
    service = start_service(tmp_path, {"HOMEWIDGETS_REDIS_URL": redis_url})
    try:
        body = httpx.Request("PUT", "/", json={"content": CARD, "version": 7}).content
        started = asyncio.Event()
        async with httpx.AsyncClient(base_url=service.url, timeout=15.0) as http:
            push = asyncio.create_task(http.put(
                f"/v1/products/energy/widgets/{USER}", content=slow_body(body, 1.5, started),
                headers={**auth("energy"), "content-type": "application/json"},
            ))  # fmt: skip
            await asyncio.wait_for(started.wait(), 5)
            await asyncio.sleep(0.2)  # the handler is reading the body
            terminate(service)
            answer = await push
        assert answer.status_code == 200, answer.text
        assert answer.json()["version"] == 7
        assert await asyncio.to_thread(exit_code, service) == 0, service.log()
    finally:
        service.stop()
    with redis.Redis.from_url(redis_url) as check:
        stored = check.hget(f"hw:{{{USER}}}:w", "energy")
    assert stored is not None and stored.startswith(b"7|")
    assert "Traceback" not in service.log(), service.log()


async def test_reads_in_flight_at_sigterm_all_get_their_answer(
    tmp_path: Path, redis_url: str
) -> None:
    """A burst of reads around the signal: none is cut off with a reset connection."""
    service = start_service(tmp_path, {"HOMEWIDGETS_REDIS_URL": redis_url}, workers=2)
    try:
        async with httpx.AsyncClient(base_url=service.url, timeout=10.0) as http:
            reads = [asyncio.create_task(http.get(f"/v1/home/{uuid.uuid4()}"))
                     for _ in range(200)]
            await asyncio.sleep(0.01)
            terminate(service)
            answers = await asyncio.gather(*reads, return_exceptions=True)
        statuses = [a.status_code if isinstance(a, httpx.Response) else type(a).__name__
                    for a in answers]
        # Requests the listener never accepted may be refused: that is not a cut-off.
        cut = [s for s in statuses if s not in (200, "ConnectError")]
        assert cut == [], statuses
        assert statuses.count(200) > 0
        assert await asyncio.to_thread(exit_code, service) == 0, service.log()
    finally:
        service.stop()


# -- the refresh worker ----------------------------------------------------------------------


@dataclass
class ColdStack:
    service: Process
    products: Process
    env: dict[str, str]


def start_products(tmp_path: Path, port: int, service_port: int) -> Process:
    """The simulated backends, each pull answered after PULL_LATENCY_MS."""
    return Process(
        [sys.executable, "-m", "homewidgets.products.server", "--port", str(port),
         "--service-url", f"http://127.0.0.1:{service_port}", "--no-events",
         "--latency-ms", str(PULL_LATENCY_MS)],
        homewidgets_env(), tmp_path / f"products-{port}.log", url=f"http://127.0.0.1:{port}",
    ).start()  # fmt: skip


@pytest.fixture
def stack(tmp_path: Path, redis_url: str) -> Iterator[ColdStack]:
    service_port, products_port = free_port(), free_port()
    env = {"HOMEWIDGETS_REDIS_URL": redis_url,
           "HOMEWIDGETS_PRODUCTS_URL": f"http://127.0.0.1:{products_port}",
           "HOMEWIDGETS_PRODUCT_TIMEOUT_SECONDS": "6"}
    service = start_service(tmp_path, env, port=service_port)
    try:
        products = start_products(tmp_path, products_port, service_port)
        try:
            yield ColdStack(service, products, env)
        finally:
            products.stop()
    finally:
        service.stop()


def pending(client: redis.Redis) -> int:
    summary = client.xpending(STREAM, GROUP)
    return int(summary["pending"])


def personalised_products(service: Process, user: str) -> set[str]:
    home = httpx.get(f"{service.url}/v1/home/{user}", timeout=5).json()
    return {w["product"] for w in home["widgets"] if w["personalised"]}


def test_a_worker_stopped_mid_batch_writes_acknowledges_and_exits_cleanly(
    stack: ColdStack, tmp_path: Path, redis_url: str
) -> None:
    worker = start_worker(tmp_path, stack.env)
    try:
        users = [str(uuid.uuid4()) for _ in range(20)]
        with redis.Redis.from_url(redis_url) as check:
            for user in users:  # cold reads queue refresh requests
                assert httpx.get(f"{stack.service.url}/v1/home/{user}").status_code == 200
            # Every request claimed by the worker, none answered yet (pulls take 2.5 s).
            eventually(lambda: check.exists(STREAM) and pending(check) == len(users),
                       timeout=10)
            terminate(worker)
            stopped_at = time.monotonic()
            assert exit_code(worker) == 0, worker.log()
            took = time.monotonic() - stopped_at
            assert pending(check) == 0, check.xpending_range(STREAM, GROUP, "-", "+", 10)
        everyone = {pid for pid, _, _ in DEMO_PRODUCTS}
        for user in users:
            eventually(lambda user=user: personalised_products(stack.service, user) == everyone,
                       timeout=5)
        assert took < EXIT_BOUND_SECONDS
    finally:
        worker.stop()
    assert "Traceback" not in worker.log(), worker.log()
