"""Cold users, measured: time from a user's first read to a fully personalised home.

Starts its own stack on loopback: a redis-server, `homewidgets serve` on it, the
simulated products (20 ms per pull) and one `homewidgets worker`. Then N cold users
arrive at a steady rate; for each, the first read is timed, then the user's events
stream (SSE) reports when every product's widget is personalised. Prints p50/p90/p99/max
of that delay and the products' pull calls per user (from their `GET /stats`).

Keep the arrival rate below what the service's read path sustains on the machine, or
the figure measures a saturated service rather than the refresh path.

    .venv/bin/python bench/cold_users.py --users 1000 --rate 50

Every process it starts is stopped at the end (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

PRODUCTS = ("car_insurance", "energy", "dsl", "mobile", "flights", "hotels", "credit_card",
            "travel")  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Stack:
    """The processes of one run; `stop` ends them all."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.processes: list[subprocess.Popen[bytes]] = []
        self.names: list[str] = []

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> None:
        log = (self.workdir / f"{name}.log").open("ab")
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("HOMEWIDGETS_")}
        full_env.update(env or {})
        self.names.append(name)
        self.processes.append(
            subprocess.Popen(args, env=full_env, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
        )  # fmt: skip

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time used so far by each started command's process group (Linux /proc)."""
        ticks = os.sysconf("SC_CLK_TCK")
        used = dict.fromkeys(self.names, 0.0)
        groups = {p.pid: name for p, name in zip(self.processes, self.names, strict=True)}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:
                continue
            group = int(fields[2])  # pgrp: each command runs in a session of its own
            if group in groups:
                used[groups[group]] += (int(fields[11]) + int(fields[12])) / ticks
        return {name: round(seconds, 1) for name, seconds in used.items()}

    def stop(self) -> None:
        for process in reversed(self.processes):  # the worker first, Redis last
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def start_stack(stack: Stack, latency_ms: float, worker_env: dict[str, str]) -> tuple[str, str]:
    redis_port, service_port, products_port = free_port(), free_port(), free_port()
    redis_server = shutil.which("redis-server") or "/usr/bin/redis-server"
    stack.start(
        "redis",
        [
            redis_server,
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(stack.workdir),
        ],
    )
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    service_url = f"http://127.0.0.1:{service_port}"
    products_url = f"http://127.0.0.1:{products_port}"
    env = {"HOMEWIDGETS_REDIS_URL": redis_url, "HOMEWIDGETS_PRODUCTS_URL": products_url}
    python = sys.executable
    time.sleep(0.3)
    stack.start("service", [python, "-m", "homewidgets", "serve", "--port", str(service_port)], env)
    wait_for(f"{service_url}/healthz")
    stack.start(
        "products",
        [
            python,
            "-m",
            "homewidgets.products.server",
            "--port",
            str(products_port),
            "--latency-ms",
            str(latency_ms),
            "--no-events",
            "--service-url",
            service_url,
            "--log-level",
            "warning",
        ],
    )
    wait_for(f"{products_url}/healthz")
    stack.start("worker", [python, "-m", "homewidgets", "worker"], {**env, **worker_env})
    return service_url, products_url  # fmt: skip


def personalised(home: dict[str, Any]) -> bool:
    return {w["product"] for w in home["widgets"] if w["personalised"]} == set(PRODUCTS)


POLL_SECONDS = 0.0  # > 0: poll the read path instead of listening to the events stream
MISSED: list[str] = []  # users whose events stream went quiet before the full home


async def one_user(http: httpx.AsyncClient, within: float) -> tuple[float, float]:
    """(first read's latency, seconds from the first read to a fully personalised home).

    After the first read, the user's events stream (`/v1/home/{user}/events`) reports
    each change of the home as it happens: no polling load skews the figure. If the
    stream stays quiet for 2 s, a plain read checks (and the user is noted in MISSED).
    """
    user = str(uuid.uuid4())
    started = time.monotonic()
    first = (await http.get(f"/v1/home/{user}")).json()
    first_took = time.monotonic() - started
    if first["personalised"]:
        raise AssertionError(f"{user} was not cold")
    if POLL_SECONDS:
        while time.monotonic() - started < within:
            await asyncio.sleep(POLL_SECONDS)
            if personalised((await http.get(f"/v1/home/{user}")).json()):
                return first_took, time.monotonic() - started
    while time.monotonic() - started < within:
        try:
            async with http.stream("GET", f"/v1/home/{user}/events", timeout=2.0) as events:
                async for line in events.aiter_lines():
                    if line.startswith("data:") and personalised(json.loads(line[5:])):
                        return first_took, time.monotonic() - started
        except httpx.TimeoutException:
            if personalised((await http.get(f"/v1/home/{user}")).json()):
                MISSED.append(user)
                return first_took, time.monotonic() - started
    MISSED.append(user)
    return first_took, float("inf")


async def warm_up(service_url: str) -> None:
    """Wait for every generic widget and for the worker's first refresh."""
    async with httpx.AsyncClient(base_url=service_url, timeout=10) as http:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            home = (await http.get(f"/v1/home/{uuid.uuid4()}")).json()
            if len(home["widgets"]) == len(PRODUCTS):
                break
            await asyncio.sleep(0.2)
        for _ in range(3):
            _, took = await one_user(http, 30)
            if took == float("inf"):
                raise RuntimeError("the worker never personalised a warm-up user")


async def run(service_url: str, users: int, rate: float) -> list[tuple[float, float]]:
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=service_url, timeout=10, limits=limits) as http:
        tasks = []
        started = time.monotonic()
        for i in range(users):  # a steady arrival rate, not one burst
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one_user(http, 30.0)))
        return await asyncio.gather(*tasks)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0, help="cold users arriving per second")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="products' pull latency")
    parser.add_argument(
        "--poll-ms",
        type=float,
        default=0.0,
        help="poll the read path every N ms instead of using the events stream",
    )
    parser.add_argument("--worker-log-level", default="warning", help="debug: a line per batch")
    parser.add_argument("--json", action="store_true", help="print the result as JSON only")
    args = parser.parse_args()
    global POLL_SECONDS  # a script's one knob, set once before running
    POLL_SECONDS = args.poll_ms / 1000

    workdir = Path(tempfile.mkdtemp(prefix="hw-bench-cold-"))
    stack = Stack(workdir)
    try:
        service_url, products_url = start_stack(
            stack, args.latency_ms, {"HOMEWIDGETS_LOG_LEVEL": args.worker_log_level}
        )
        asyncio.run(warm_up(service_url))
        httpx.post(f"{products_url}/admin/reset-stats", timeout=5).raise_for_status()
        load_before = os.getloadavg()[0]
        cpu_before = stack.cpu_seconds()
        wall = time.monotonic()
        results = asyncio.run(run(service_url, args.users, args.rate))
        wall = time.monotonic() - wall
        stats = httpx.get(f"{products_url}/stats", timeout=5).json()["products"]
        cpu_after = stack.cpu_seconds()
    finally:
        stack.stop()
    firsts = [first for first, _ in results]
    fulls = [full for _, full in results if full != float("inf")]
    calls = sum(stats[p]["pull_calls"] for p in PRODUCTS)
    report = {
        "users": args.users,
        "arrival_rate_per_s": args.rate,
        "product_latency_ms": args.latency_ms,
        "detected_by": f"polling every {args.poll_ms:g} ms" if args.poll_ms else "events stream",
        "not_personalised_within_30s": len(results) - len(fulls),
        "time_to_personalised_ms": {
            "p50": round(1000 * percentile(fulls, 0.50), 1),
            "p90": round(1000 * percentile(fulls, 0.90), 1),
            "p99": round(1000 * percentile(fulls, 0.99), 1),
            "max": round(1000 * max(fulls), 1),
            "mean": round(1000 * statistics.fmean(fulls), 1),
        },
        "first_read_ms": {
            "p50": round(1000 * percentile(firsts, 0.50), 1),
            "p99": round(1000 * percentile(firsts, 0.99), 1),
        },
        "pull_calls_total": calls,
        "pull_calls_per_user": round(calls / args.users, 3),
        "pull_calls_per_user_per_product": round(calls / args.users / len(PRODUCTS), 3),
        "users_per_pull_call_mean": round(
            sum(stats[p]["pull_users"] for p in PRODUCTS) / max(calls, 1), 1
        ),
        "events_stream_missed": len(MISSED),
        "wall_seconds": round(wall, 1),
        "load_average_1m_before": round(load_before, 2),
        "cpu_seconds_during_run": {k: round(cpu_after[k] - cpu_before[k], 1) for k in cpu_after},
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(report))
    else:
        print(json.dumps(report, indent=2))
        print(f"logs: {workdir}", file=sys.stderr)
    return 0 if not report["not_personalised_within_30s"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
