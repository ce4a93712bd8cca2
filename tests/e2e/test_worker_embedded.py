"""The embedded worker: without Redis, the service refreshes cold users in-process.

The runtime is built in this process (embedded L2, in-process queue) with the worker
as a background task, against a real `homewidgets products` process on loopback.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from homewidgets.bootstrap import build_runtime
from homewidgets.config import Settings
from homewidgets.inbound.worker import EmbeddedWorker
from homewidgets.registry import DEMO_PRODUCTS
from processes import Process, free_port, homewidgets_env

pytestmark = [pytest.mark.slow]

PRODUCTS = {pid for pid, _, _ in DEMO_PRODUCTS}


@pytest.fixture
def products(tmp_path: Path) -> Iterator[Process]:
    port = free_port()
    process = Process(
        [sys.executable, "-m", "homewidgets.products.server", "--port", str(port),
         "--latency-ms", "20", "--no-events", "--no-push-generics"],
        homewidgets_env(), tmp_path / "products.log", url=f"http://127.0.0.1:{port}",
    ).start()  # fmt: skip
    yield process
    process.stop()


async def test_the_embedded_worker_personalises_a_cold_user_without_redis(
    products: Process,
) -> None:
    runtime = build_runtime(Settings(products_url=products.url, claim_idle_ms=1000))
    # With the embedded L2 the composition root adds the in-process worker by itself.
    worker = next(task for task in runtime.background if isinstance(task, EmbeddedWorker))
    await runtime.start()
    try:
        user = str(uuid.uuid4())
        first = await runtime.reader.read(user)
        assert not first.personalised  # nothing pushed: the read only queued a refresh
        started = time.monotonic()
        while time.monotonic() - started < 5:
            home = await runtime.reader.read(user)
            if set(home.personalised) == PRODUCTS:
                break
            await asyncio.sleep(0.01)
        assert set(home.personalised) == PRODUCTS
        assert worker.worker is not None
        assert worker.worker.counters.pulls == len(PRODUCTS)  # one call per product
        assert worker.worker.counters.acknowledged == 1
    finally:
        await runtime.stop()
