"""The read path's own Python cost per request, in process, without HTTP or granian.

Builds the production app (embedded L2) around `users` seeded homes, warms L1, then
calls the ASGI app (or, with `--rsgi`, the RSGI front `homewidgets serve` runs) directly
with a prebuilt scope and a `send` / protocol that only counts, so the figure (process
CPU time, not wall time: the machine is shared) is what our code costs per request
(route, L1, headers, the reply). Compare with the CPU µs/request
the HTTP runs measure: the rest is granian, the event loop and the kernel. `--cprofile`
prints where those microseconds go.

    python bench/inprocess.py [--users 10000] [--requests 200000] [--cprofile] [--rsgi]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import random
import sys
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from content import generic_pools, personalised_pool, user_ids

from homewidgets.bootstrap import build_runtime
from homewidgets.config import Settings
from homewidgets.domain.model import WidgetWrite
from homewidgets.inbound.http.app import create_app, create_rsgi_app
from homewidgets.products.content import PRODUCT_IDS


def asgi_scope_for(path: str) -> dict[str, Any]:
    return {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(),
            "query_string": b"", "headers": [(b"host", b"127.0.0.1"), (b"user-agent", b"wrk")],
            "http_version": "1.1", "scheme": "http", "root_path": ""}


class RsgiHeaders(dict[str, str]):
    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        return list(super().items())


class RsgiScope:
    """What granian's RSGI scope offers the read path."""

    proto, method, http_version, scheme = "http", "GET", "1.1", "http"
    query_string, client, server = "", "127.0.0.1:1", "127.0.0.1:2"

    def __init__(self, path: str) -> None:
        self.path = path
        self.headers = RsgiHeaders({"host": "127.0.0.1", "user-agent": "wrk"})


class CountingProtocol:
    def __init__(self) -> None:
        self.sent = 0

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.sent += 1


async def run(users: int, requests: int, profile: bool, unknown: bool, rsgi: bool) -> None:
    runtime = build_runtime(Settings(l1_max_bytes=2**31))
    app: Any = create_app(runtime)
    if rsgi:
        front = create_rsgi_app(runtime)
        protocol = CountingProtocol()

        async def app(scope: Any, _receive: Any, _send: Any) -> None:
            await front.__rsgi__(scope, protocol)  # type: ignore[arg-type]

        scope_for: Any = RsgiScope
    else:
        scope_for = asgi_scope_for
    await runtime.start()
    ids = user_ids(users)
    for product in PRODUCT_IDS:
        pool = personalised_pool(product, 16)
        await runtime.store.put_many(
            [WidgetWrite(product, user, pool[i % 16], 1) for i, user in enumerate(ids)])
        await runtime.store.put(WidgetWrite(product, None, generic_pools()[product], 1))
    await runtime.reader.reload_generic()
    sent = 0

    async def send(_message: MutableMapping[str, Any]) -> None:
        nonlocal sent
        sent += 1

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    known = [scope_for("/get_recommendations/" + user) for user in ids]
    for scope in known:  # warm L1 (and the compat bodies)
        await app(scope, receive, send)
    if unknown:
        rng = random.Random(1)
        order = [scope_for(f"/get_recommendations/{rng.getrandbits(32):08x}-0000-4000-8000-"
                           f"{rng.getrandbits(48):012x}") for _ in range(requests)]
    else:
        rng = random.Random(1)
        order = [known[rng.randrange(users)] for _ in range(requests)]
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    started, cpu_started = time.perf_counter(), time.process_time()
    for scope in order:
        await app(scope, receive, send)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    kind = ("RSGI " if rsgi else "ASGI ") + ("unknown" if unknown else "known (L1 hits)")
    print(f"{kind}: {1e6 * cpu / requests:.2f} CPU-µs per request in our code "
          f"(wall {1e6 * elapsed / requests:.2f} µs; {requests} requests, {users} users)")
    await runtime.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--unknown", action="store_true")
    parser.add_argument("--rsgi", action="store_true", help="the RSGI front (production)")
    args = parser.parse_args()
    asyncio.run(run(args.users, args.requests, args.cprofile, args.unknown, args.rsgi))


if __name__ == "__main__":
    main()
