"""Batch push throughput into Redis on one instance, in one command.

Starts a private redis-server and one `homewidgets serve --workers 2` on it, seeds
`--users` users x 8 products through `widgets:batch` (bench/seed.py), and prints
widgets/s plus CPU µs per widget of the service's processes and Redis together (what
moves least when other work shares the machine). `--rounds` repeats the seeding at a new
version each round (every write stores: an equal version is a no-op and would flatter).

    .venv/bin/python bench/push_throughput.py --users 30000 --concurrency 2,4
    .venv/bin/python bench/push_throughput.py --users 30000 --profile /tmp/push.txt

`--profile FILE` runs py-spy on every worker during the last round and writes a
self-time summary (bench/profiling.py) next to the raw collapsed stacks.
`--src DIR` runs the service from another source tree (A/B of a change, same sitting).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from content import user_ids
from machine import cpu_seconds, load
from procs import VENV_BIN, start_redis, start_service
from seed import seed


def measure(users: list[str], url: str, watched: list[int], concurrency: int,
            version: int) -> dict[str, Any]:
    """One seeding at `version`; `watched[-1]` is redis-server, whose share is also given."""
    cpu_before, client_before = cpu_seconds(watched), os.times()
    redis_before = cpu_seconds(watched[-1:])
    result = asdict(asyncio.run(seed(url, users, concurrency=concurrency, version=version)))
    client_after = os.times()
    widgets = result["widgets"]
    result["server_and_redis_cpu_us_per_widget"] = round(
        1e6 * (cpu_seconds(watched) - cpu_before) / widgets, 1)
    result["redis_cpu_us_per_widget"] = round(
        1e6 * (cpu_seconds(watched[-1:]) - redis_before) / widgets, 1)
    result["client_cpu_us_per_widget"] = round(1e6 * (
        client_after.user + client_after.system - client_before.user - client_before.system)
        / widgets, 1)
    result["load_after"] = load()
    return result


def profile_start(pids: list[int], out: Path) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen(
            [str(VENV_BIN / "py-spy"), "record", "--nonblocking", "--format", "raw",
             "--rate", "200", "--pid", str(pid), "--output", f"{out}.{pid}.raw"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for pid in pids
    ]


def profile_stop(spies: list[subprocess.Popen[bytes]], out: Path) -> None:
    for spy in spies:
        spy.send_signal(2)  # SIGINT: py-spy writes its output and exits
    for spy in spies:
        spy.wait(30)
    from profiling import summarise

    parts = sorted(out.parent.glob(f"{out.name}.*.raw"))
    raw = out.with_suffix(".raw")
    raw.write_text("".join(p.read_text() for p in parts))
    for part in parts:
        part.unlink()
    summary = summarise(raw, top=40)
    lines = [f"samples: {summary['samples']}", "", "self:"]
    lines += [f"{share:5.1f}%  {frame}" for share, frame in summary["self"]]
    lines += ["", "inclusive:"]
    lines += [f"{share:5.1f}%  {frame}" for share, frame in summary["inclusive"]]
    out.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=30_000)
    parser.add_argument("--concurrency", default="4", help="comma-separated: one round each")
    parser.add_argument("--rounds", type=int, default=1, help="rounds per concurrency")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--src", default="", help="PYTHONPATH of the service (A/B)")
    parser.add_argument("--profile", default="", help="py-spy summary of the last round here")
    parser.add_argument("--verbose", action="store_true", help="print the service's log tail")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hw-push-"))
    users = user_ids(args.users)
    redis, redis_url = start_redis(work)
    service = None
    try:
        extra = {"HOMEWIDGETS_NAMESPACE": "hwb:"}
        if args.src:
            extra["PYTHONPATH"] = args.src
        service, port = start_service(work, "service", redis_url=redis_url,
                                      workers=args.workers, extra_env=extra)
        pids = service.children() or [service.pid]
        watched = [*pids, redis.pid]
        url = f"http://127.0.0.1:{port}"
        plan = [int(c) for c in args.concurrency.split(",") for _ in range(args.rounds)]
        for n, concurrency in enumerate(plan):
            version = n + 1
            spies = None
            if args.profile and n == len(plan) - 1:
                spies = profile_start(pids, Path(args.profile))
            result = measure(users, url, watched, concurrency, version)
            if spies is not None:
                profile_stop(spies, Path(args.profile))
            print(json.dumps({k: result[k] for k in (
                "users", "widgets", "concurrency", "seconds", "widgets_per_second",
                "server_and_redis_cpu_us_per_widget", "redis_cpu_us_per_widget",
                "client_cpu_us_per_widget",
                "refused_items", "retried_calls", "load_after")}), flush=True)
    finally:
        if service is not None:
            service.stop()
            print(service.tail(2000) if args.verbose else "", end="")
        redis.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
