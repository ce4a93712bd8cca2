"""The read path's own Python cost per request, in process, without HTTP or granian.

Builds the production app (embedded L2) around `users` seeded homes, warms L1, then
calls the ASGI app directly with a prebuilt scope and a `send` that only counts, so the
figure (process CPU time, not wall time: the machine is shared) is what our code costs
per request (parse, L1, headers, the two sends' dicts). Compare with the CPU µs/request
the HTTP runs measure: the rest is granian, the event loop and the kernel. `--cprofile`
prints where those microseconds go.

    python bench/inprocess.py [--users 10000] [--requests 200000] [--cprofile]
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
from homewidgets.inbound.http.app import create_app
from homewidgets.products.content import PRODUCT_IDS


def scope_for(path: str) -> dict[str, Any]:
    return {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(),
            "query_string": b"", "headers": [(b"host", b"127.0.0.1"), (b"user-agent", b"wrk")],
            "http_version": "1.1", "scheme": "http", "root_path": ""}


async def run(users: int, requests: int, profile: bool, unknown: bool) -> None:
    runtime = build_runtime(Settings(l1_max_bytes=2**31))
    app = create_app(runtime)
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
    kind = "unknown" if unknown else "known (L1 hits)"
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
    args = parser.parse_args()
    asyncio.run(run(args.users, args.requests, args.cprofile, args.unknown))


if __name__ == "__main__":
    main()
