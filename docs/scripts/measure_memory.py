"""Measure what one user costs in L2 (Redis) and in L1 (a service process), for docs/CONCEPT.md.

    PYTHONPATH=src .venv/bin/python docs/scripts/measure_memory.py --users 10000

What it does, all on 127.0.0.1:
1. starts a private `redis-server` (persistence off) on a free port;
2. pushes `--users` users x 8 products of the simulated products' personalised widgets
   (`homewidgets.products.personalised_offer`: realistic content, priority and TTL) and
   the 8 generic widgets through the batch push's own use case (`WidgetParser.parse_batch`
   + `put_batch` on `RedisWidgetStore`, 1,000 items per call): the same validation, Lua
   script and bytes as `POST /v1/products/{p}/widgets:batch`, without the HTTP hop;
3. reads `INFO memory` used_memory before and after, and `MEMORY USAGE` of a sample of
   user keys;
4. reads every user back and assembles their home as the read path does (`HomeReader`
   over a `MokaHomeCache`), then reports the body sizes, the gzip copy, L1's own weight
   (`MokaHomeCache.weighted_size()`) and the process RSS growth while L1 filled.

It prints a Markdown summary and writes the raw figures as JSON (`--out`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import msgspec
import redis

from homewidgets.domain.generic import GenericWidgets
from homewidgets.domain.push import WidgetParser, put_batch
from homewidgets.domain.read_home import HomeReader
from homewidgets.domain.sdui import ContentValidator
from homewidgets.outbound._redis_client import Timeouts
from homewidgets.outbound.l1_cache import MokaHomeCache
from homewidgets.outbound.redis_store import RedisWidgetStore
from homewidgets.products import PRODUCT_IDS, generic_widget, personalised_offer
from homewidgets.registry import demo_registry

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
BATCH = 1000
SAMPLE_KEYS = 200
# Longer than the service's 2 s push timeout: the machine is shared and often busy.
TIMEOUTS = Timeouts(socket=10.0, connect=2.0)
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "memory.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_redis(directory: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(directory)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with redis.Redis(port=port) as client:
                client.ping()
            return process, port
        except redis.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)


def rss_bytes() -> int:
    """Resident set size of this process (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def batch_body(product: str, user_ids: list[str]) -> bytes:
    items = []
    for user_id in user_ids:
        offer = personalised_offer(product, user_id)
        item: dict[str, Any] = {"user_id": user_id, "content": offer.content, "version": 1}
        if offer.ttl_seconds is not None:
            item["ttl_seconds"] = offer.ttl_seconds
        if offer.priority is not None:
            item["priority"] = offer.priority
        items.append(item)
    return msgspec.json.encode({"items": items})


async def seed(url: str, user_ids: list[str]) -> dict[str, Any]:
    """Push every user's 8 widgets plus the generic ones; the time spent storing only."""
    parser = WidgetParser(ContentValidator())
    store = RedisWidgetStore.from_url(url, timeouts=TIMEOUTS)
    content_bytes = 0
    stored = 0
    store_seconds = 0.0
    try:
        for product in PRODUCT_IDS:
            generic = msgspec.json.encode({"content": generic_widget(product), "version": 1})
            await store.put(parser.parse_put(product, None, generic))
            for start in range(0, len(user_ids), BATCH):
                raw = batch_body(product, user_ids[start : start + BATCH])
                parsed = parser.parse_batch(product, raw, BATCH)
                content_bytes += sum(len(w.content) for w in parsed if not isinstance(w, Exception))
                began = time.perf_counter()
                results = await put_batch(parsed, store=store)
                store_seconds += time.perf_counter() - began
                stored += sum(1 for r in results if r.status == 200)
    finally:
        await store.aclose()
    return {"widgets_stored": stored, "content_bytes": content_bytes,
            "store_seconds": round(store_seconds, 2)}


async def fill_l1(url: str, user_ids: list[str]) -> dict[str, Any]:
    """Every user's home read from L2 into a fresh L1, as the read path builds it."""
    store = RedisWidgetStore.from_url(url, timeouts=TIMEOUTS)
    cache = MokaHomeCache(16 * 1024**3)  # big enough that nothing is evicted
    generic = GenericWidgets()
    reader = HomeReader(registry=demo_registry(), store=store, cache=cache, generic=generic)
    try:
        await generic.reload(store)
        bodies: list[int] = []
        gzipped: list[int] = []
        compat: list[int] = []
        rss_before = rss_bytes()
        for user_id in user_ids:
            home = await reader.load(user_id)
            bodies.append(len(home.v1.body))
            gzipped.append(len(home.v1.gzipped()[0]))  # as after the first gzip request
        rss_v1 = rss_bytes()
        for user_id in user_ids:  # as after a /get_recommendations request of every user
            cached = cache.get(user_id)
            assert cached is not None, "L1 evicted a home: raise its size"
            compat.append(len(cached.compat.body))
        rss_after = rss_bytes()
        personalised = sum(1 for u in user_ids if (h := cache.get(u)) and len(h.personalised) == 8)
        return {
            "homes_cached": len(cache),
            "homes_fully_personalised": personalised,
            "weighted_size_bytes": cache.weighted_size(),
            "body_bytes_mean": round(statistics.fmean(bodies)),
            "body_bytes_median": statistics.median(bodies),
            "gzip_bytes_mean": round(statistics.fmean(gzipped)),
            "compat_body_bytes_mean": round(statistics.fmean(compat)),
            "rss_growth_v1_gzip_bytes": rss_v1 - rss_before,
            "rss_growth_all_bytes": rss_after - rss_before,
        }
    finally:
        await store.aclose()


def redis_figures(port: int, user_ids: list[str]) -> dict[str, Any]:
    with redis.Redis(port=port) as client:
        info: dict[str, Any] = client.info("memory")
        keys = [f"hw:{{{u}}}:w" for u in user_ids[:SAMPLE_KEYS]]
        usage = [int(client.memory_usage(k) or 0) for k in keys]
        encoding = client.object("encoding", keys[0])
        return {
            "used_memory": int(info["used_memory"]),
            "used_memory_rss": int(info["used_memory_rss"]),
            "dbsize": int(client.dbsize()),
            "memory_usage_user_key_median": statistics.median(usage),
            "memory_usage_user_key_mean": round(statistics.fmean(usage)),
            "user_key_encoding": encoding.decode() if isinstance(encoding, bytes) else encoding,
            "redis_version": client.info("server")["redis_version"],
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    user_ids = [str(uuid.UUID(int=i + 1, version=4)) for i in range(args.users)]
    with tempfile.TemporaryDirectory() as tmp:
        process, port = start_redis(Path(tmp))
        try:
            url = f"redis://127.0.0.1:{port}/0"
            with redis.Redis(port=port) as client:
                before = int(client.info("memory")["used_memory"])
            pushed = asyncio.run(seed(url, user_ids))
            after = redis_figures(port, user_ids)
            l1 = asyncio.run(fill_l1(url, user_ids))
        finally:
            process.terminate()
            process.wait(10)
    users = args.users
    figures = {
        "command": "PYTHONPATH=src .venv/bin/python docs/scripts/measure_memory.py "
                   f"--users {users}",
        "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "users": users,
        "products": len(PRODUCT_IDS),
        "push": pushed,
        "redis": {**after, "used_memory_before": before,
                  "used_memory_per_user": round((after["used_memory"] - before) / users)},
        "l1": {**l1, "weighted_bytes_per_home": round(l1["weighted_size_bytes"] / users),
               "rss_bytes_per_home_v1_gzip": round(l1["rss_growth_v1_gzip_bytes"] / users),
               "rss_bytes_per_home_all": round(l1["rss_growth_all_bytes"] / users)},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print(summary(figures))
    return 0


def summary(f: dict[str, Any]) -> str:
    r, l1, p = f["redis"], f["l1"], f["push"]
    rows = [
        ("users x products", f"{f['users']:,} x {f['products']}"),
        ("widgets stored", f"{p['widgets_stored']:,}"),
        ("mean content bytes per widget", f"{p['content_bytes'] / p['widgets_stored']:,.0f}"),
        ("Redis used_memory per user (delta / users)", f"{r['used_memory_per_user']:,} B"),
        ("MEMORY USAGE of a user key (median)", f"{r['memory_usage_user_key_median']:,.0f} B"),
        ("user key encoding", str(r["user_key_encoding"])),
        ("home body (v1), mean", f"{l1['body_bytes_mean']:,} B"),
        ("home body gzip, mean", f"{l1['gzip_bytes_mean']:,} B"),
        ("L1 weight per home (weighted_size / homes)", f"{l1['weighted_bytes_per_home']:,} B"),
        ("process RSS growth per cached home (v1 + gzip)",
         f"{l1['rss_bytes_per_home_v1_gzip']:,} B"),
        ("the same, plus the /get_recommendations body", f"{l1['rss_bytes_per_home_all']:,} B"),
        ("homes fully personalised", f"{l1['homes_fully_personalised']:,}"),
    ]
    lines = [f"`{f['command']}` ({f['date_utc']}, Redis {r['redis_version']})", "",
             "| figure | value |", "| --- | --- |"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
