"""The refresh worker under faults, with real processes on a real Redis.

- A worker killed mid-batch (SIGKILL, no goodbye) loses nothing: its requests stay
  pending in the consumer group and another worker claims and finishes them.
- SIGTERM mid-batch: the worker finishes the batch, acknowledges it and exits 0.
- A product that fails or hangs trips its breaker: reads stay fast, the other products
  still personalise, and the broken one stops being called.
"""

from __future__ import annotations

import ast
import re
import statistics
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import redis

from processes import (
    Process,
    eventually,
)
from stacks import PRODUCTS, RefreshStack, start_refresh_stack

pytestmark = [pytest.mark.redis, pytest.mark.slow]



SLOW_MS = 3000


@pytest.fixture
def slow_products(tmp_path: Path, redis_url: str) -> Iterator[RefreshStack]:
    """Every product takes 3 s to answer a pull: a kill lands inside the batch."""
    stack = start_refresh_stack(tmp_path, redis_url, "--latency-ms", str(SLOW_MS))
    yield stack
    stack.stop()


def read_all(stack: RefreshStack, users: list[str]) -> None:
    """First reads of cold users, all at once (one batch), each answered generic."""
    with ThreadPoolExecutor(len(users)) as pool:
        homes = list(pool.map(stack.home, users))
    assert not any(home["personalised"] for home in homes)


def all_personalised(stack: RefreshStack, users: list[str], products: set[str]) -> bool:
    with ThreadPoolExecutor(8) as pool:
        return all(found == products for found in pool.map(stack.personalised, users))


def all_asked(stack: RefreshStack, users: list[str]) -> bool:
    asked: int = sum(s["pull_users"] for s in stack.stats().values())
    return asked >= len(users) * len(PRODUCTS)


def test_a_worker_killed_mid_batch_loses_no_request_another_worker_finishes_it(
    slow_products: RefreshStack,
) -> None:
    stack = slow_products
    doomed = stack.worker("doomed", HOMEWIDGETS_PRODUCT_TIMEOUT_SECONDS="10")
    users = [str(uuid.uuid4()) for _ in range(10)]
    read_all(stack, users)
    # The doomed worker has asked every product about every user; the answers take 3 s.
    # Usually at once; but when the reads' refresh requests reach it in more batches than
    # it runs at a time (4), the last batch starts as the first one's answers arrive.
    eventually(lambda: all_asked(stack, users), timeout=SLOW_MS / 1000 + 2.5)
    doomed.kill()
    abandoned = pending_users(stack)
    assert abandoned, "the kill should land while requests are unacknowledged"
    # A survivor that claims requests idle for 1 s picks up the dead worker's batch.
    survivor = stack.worker(
        "survivor",
        HOMEWIDGETS_CLAIM_IDLE_MS="1000",
        HOMEWIDGETS_PRODUCT_TIMEOUT_SECONDS="10",
    )
    eventually(lambda: all(stack.personalised(u) == set(PRODUCTS) for u in users), timeout=12)
    assert pending_users(stack) == set()
    survivor.stop()
    counters = worker_counters(survivor)
    assert counters["acknowledged"] >= len(abandoned), counters
    stats = stack.stats()
    for product in PRODUCTS:  # the abandoned users were asked again, by the survivor
        assert stats[product]["pull_users"] >= len(users) + len(abandoned), stats[product]


def pending_users(stack: RefreshStack) -> set[str]:
    """Users whose refresh request was delivered to a worker but not acknowledged."""
    with redis.Redis.from_url(stack.env["HOMEWIDGETS_REDIS_URL"]) as client:
        pending = client.xpending_range("hw:refresh", "hw-workers", "-", "+", 10_000)
        users = set()
        for entry in pending:
            for _, fields in client.xrange("hw:refresh", entry["message_id"], entry["message_id"]):
                users.add(fields[b"u"].decode())
        return users


def worker_counters(worker: Process) -> dict[str, int]:
    """The counters a stopped worker logged last."""
    match = re.findall(r"refresh worker stopped: (\{[^}]*\})", worker.log())
    assert match, worker.log()
    counters: dict[str, int] = ast.literal_eval(match[-1])
    return counters


def test_sigterm_mid_batch_finishes_and_acknowledges_the_batch_then_exits_0(
    slow_products: RefreshStack,
) -> None:
    stack = slow_products
    worker = stack.worker("graceful", HOMEWIDGETS_PRODUCT_TIMEOUT_SECONDS="10")
    users = [str(uuid.uuid4()) for _ in range(5)]
    read_all(stack, users)
    eventually(lambda: all_asked(stack, users), timeout=2.5)
    assert not any(stack.personalised(u) for u in users)  # the answers are 3 s away
    worker.stop(timeout=12)  # SIGTERM while the products still think
    assert worker.popen is not None and worker.popen.returncode == 0, worker.log()
    for user in users:  # it waited for the answers and wrote them: no other worker runs
        assert stack.personalised(user) == set(PRODUCTS)
    counters = worker_counters(worker)
    assert counters["acknowledged"] == counters["messages"] >= len(users), counters


@pytest.mark.parametrize(
    ("fault", "worker_env"),
    [
        pytest.param("energy:failure_rate=1", {}, id="failing"),
        pytest.param(
            "energy:failure_rate=1,failure_mode=hang,hang_ms=3000",
            {"HOMEWIDGETS_PRODUCT_TIMEOUT_SECONDS": "0.3"},
            id="hanging",
        ),
    ],
)
def test_a_broken_product_trips_its_breaker_while_reads_stay_fast_and_others_refresh(
    tmp_path: Path, redis_url: str, fault: str, worker_env: dict[str, str]
) -> None:
    stack = start_refresh_stack(tmp_path, redis_url, "--latency-ms", "20", "--product", fault)
    try:
        worker = stack.worker("worker", **worker_env)
        users: list[str] = []
        read_seconds: list[float] = []
        with httpx.Client(base_url=stack.service.url, timeout=5) as http:
            for _wave in range(12):  # waves of cold users, each (mostly) a batch of its own
                for _ in range(2):
                    user = str(uuid.uuid4())
                    started = time.monotonic()
                    home = http.get(f"/v1/home/{user}").json()
                    read_seconds.append(time.monotonic() - started)
                    assert len(home["widgets"]) == len(PRODUCTS)
                    users.append(user)
                time.sleep(0.15)
        others = set(PRODUCTS) - {"energy"}
        eventually(lambda: all_personalised(stack, users, others), timeout=5)
        stats = stack.stats()
        assert "circuit breaker of energy opened after 5 consecutive failures" in worker.log()
        # Once open, the calls to energy stopped: 5 failures, at most a couple more from
        # batches already in flight, and a probe every 5 s...
        assert stats["energy"]["pull_calls"] <= 8, stats["energy"]
        # ... while the healthy products were asked batch after batch.
        assert min(stats[p]["pull_calls"] for p in others) >= 8, stats
        # Reads never waited for a product (the machine is shared: generous bounds).
        assert statistics.median(read_seconds) < 0.1, read_seconds
        assert max(read_seconds) < 1.0, read_seconds
        # Every user still shows energy's generic widget.
        for user in users[:3]:
            energy = [w for w in stack.home(user)["widgets"] if w["product"] == "energy"]
            assert energy and energy[0]["personalised"] is False
    finally:
        stack.stop()
