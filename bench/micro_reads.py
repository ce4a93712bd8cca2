"""Two read-side costs behind docs/PERFORMANCE.md, in process (CPU time, not wall time).

1. An L1 `get` among 100,000 entries: moka-py against a plain dict, with fresh key
   strings as requests bring them (so hashing and comparing are paid as in serving).
2. A user's hash from Redis: one HGETALL per reader (as each L1 miss sent it before
   `outbound/redis_read_batcher.py`) against the same reads in one pipeline.

    .venv/bin/python bench/micro_reads.py [--keys 100000] [--batch 256]

Without --url it starts a throw-away redis-server on loopback (tests/redis_servers.py).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis.asyncio as redis
from moka_py import Moka

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from redis_servers import start_server


def l1_get(keys: int, lookups: int = 1_000_000) -> None:
    ids = [str(uuid.uuid4()) for _ in range(keys)]
    moka: Moka[str, object] = Moka(capacity=10**9)
    plain: dict[str, object] = {}
    for key in ids:
        moka.set(key, object())
        plain[key] = object()
    order = [("x" + random.choice(ids))[1:] for _ in range(lookups)]  # new str objects
    for name, get in (("moka-py", moka.get), ("dict", plain.get)) * 2:
        started = time.process_time()
        for key in order:
            get(key)
        print(f"L1 get, {keys:,} entries, {name}: "
              f"{1e6 * (time.process_time() - started) / lookups:.2f} CPU-µs")


async def hgetall(url: str, batch: int, rounds: int = 40) -> None:
    pool = redis.BlockingConnectionPool.from_url(url, max_connections=64, timeout=5)
    client = redis.Redis(connection_pool=pool)
    keys = [f"hw:{{{uuid.uuid4()}}}:w" for _ in range(batch)]
    await client.hset(keys[0], mapping={b"energy": b"x" * 700})
    for mode in ("one by one", "pipelined") * 2:
        started = time.process_time()
        for _ in range(rounds):
            if mode == "one by one":
                await asyncio.gather(*(client.hgetall(key) for key in keys))
            else:
                pipe = client.pipeline(transaction=False)
                for key in keys:
                    _ = pipe.hgetall(key)
                await pipe.execute()
        print(f"HGETALL x {batch}, {mode}: "
              f"{1e6 * (time.process_time() - started) / (rounds * batch):.1f} client CPU-µs each")
    await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--url", help="an existing Redis (default: a throw-away one)")
    args = parser.parse_args()
    l1_get(args.keys)
    with tempfile.TemporaryDirectory() as tmp:
        server = None if args.url else start_server(Path(tmp))
        try:
            asyncio.run(hgetall(args.url or server.url, args.batch))  # type: ignore[union-attr]
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
