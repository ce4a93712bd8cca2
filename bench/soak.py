"""Soak: `homewidgets serve` on Redis at a steady load for 10 minutes; is its memory flat?

    .venv/bin/python bench/soak.py                       # 10 minutes, ~1 minute of set-up
    .venv/bin/python bench/soak.py --minutes 1 --warmup 20   # a quick check of the script

It starts its own redis-server and service (2 workers) on loopback, seeds known users
through the batch API, then runs a fixed-rate load from one asyncio process: reads of
a fixed population (known users, and cold users that never get a personalised widget;
every home is first read once on every worker, so L1 is full before the clock starts),
and pushes of new versions for known users, as products do. Every 10 s it samples the
resident memory (RSS) of the service's process tree from /proc. After the warm-up it
compares the first sample with the last: the promise is a change within 10 %. The
population is fixed on purpose: a service whose users keep growing should grow too.

Everything is bounded: the rates, the requests in flight (excess ticks are counted as
skipped, not queued), and the run time. Results go to bench/results/soak-<date>.txt.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import httpx
from content import user_ids
from procs import Proc, start_redis, start_service
from seed import seed
from warm import warm

from homewidgets.registry import demo_token

BENCH = Path(__file__).resolve().parent
FLAT_WITHIN = 0.10
MAX_IN_FLIGHT = 64


@dataclass
class Sample:
    at: float  # seconds since the load started
    rss: dict[int, int]  # pid -> bytes

    @property
    def total(self) -> int:
        return sum(self.rss.values())


@dataclass
class Load:
    """Counters of the load generator; latencies in ms (reads only)."""

    reads: Counter[str] = field(default_factory=Counter)
    pushes: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    latencies: list[float] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def rss_of_tree(root: Proc) -> dict[int, int]:
    """RSS of the service's main process and its direct children (granian's workers)."""
    found = {}
    for pid in [root.pid, *root.children()]:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                found[pid] = int(line.split()[1]) * 1024
    return found


async def read_one(http: httpx.AsyncClient, user: str, load: Load) -> None:
    started = time.perf_counter()
    try:
        answer = await http.get(f"/v1/home/{user}", headers={"accept-encoding": "gzip"})
        outcome = str(answer.status_code)
    except httpx.HTTPError as exc:
        outcome = type(exc).__name__
    load.reads[outcome] += 1
    load.latencies.append((time.perf_counter() - started) * 1000)


async def push_one(http: httpx.AsyncClient, user: str, version: int, load: Load) -> None:
    body = {
        "version": version,
        "content": {
            "type": "card",
            "title": f"Offer {version}",
            "children": [{"type": "price", "amount": 10 + version % 90, "currency": "EUR"}],
        },
    }
    try:
        answer = await http.put(
            f"/v1/products/energy/widgets/{user}",
            json=body,
            headers={"authorization": f"Bearer {demo_token('energy')}"},
        )
        outcome = str(answer.status_code)
    except httpx.HTTPError as exc:
        outcome = type(exc).__name__
    load.pushes[outcome] += 1


async def run_load(
    url: str,
    known: list[str],
    cold: list[str],
    args: argparse.Namespace,
    service: Proc,
    samples: list[Sample],
    load: Load,
) -> None:
    """Fixed-rate reads and pushes for `args.minutes`, sampling RSS every `args.sample` s."""
    rng = random.Random(7)
    tick = 0.01
    read_credit = push_credit = 0.0
    version = 1_000
    in_flight: set[asyncio.Task[None]] = set()
    limits = httpx.Limits(max_connections=MAX_IN_FLIGHT, max_keepalive_connections=MAX_IN_FLIGHT)
    started = time.monotonic()
    next_sample = started
    end = started + args.minutes * 60
    last = started
    async with httpx.AsyncClient(base_url=url, timeout=5.0, limits=limits) as http:
        while (now := time.monotonic()) < end:
            if now >= next_sample:
                samples.append(Sample(round(now - started, 1), rss_of_tree(service)))
                next_sample += args.sample
                print(
                    f"{samples[-1].at:6.0f} s  rss {samples[-1].total / 2**20:7.1f} MiB  "
                    f"reads {dict(load.reads)}  pushes {dict(load.pushes)}",
                    flush=True,
                )
            # Credit by elapsed time, so a late tick does not lower the rate.
            read_credit += args.read_rate * (now - last)
            push_credit += args.push_rate * (now - last)
            last = now
            while read_credit >= 1 or push_credit >= 1:
                if len(in_flight) >= MAX_IN_FLIGHT:
                    load.skipped += int(read_credit) + int(push_credit)
                    read_credit = push_credit = 0.0
                    break
                if push_credit >= 1:
                    push_credit -= 1
                    version += 1
                    job = push_one(http, rng.choice(known), version, load)
                else:
                    read_credit -= 1
                    user = rng.choice(known) if rng.random() < 0.8 else rng.choice(cold)
                    job = read_one(http, user, load)
                task = asyncio.create_task(job)
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            await asyncio.sleep(max(0.0, tick - (time.monotonic() - now)))
        await asyncio.gather(*in_flight)
    samples.append(Sample(round(time.monotonic() - started, 1), rss_of_tree(service)))


def report(args: argparse.Namespace, samples: list[Sample], load: Load) -> tuple[str, bool]:
    after = [s for s in samples if s.at >= args.warmup]
    first, last = after[0], after[-1]
    change = (last.total - first.total) / first.total
    peak = max(after, key=lambda s: s.total)
    flat = abs(change) <= FLAT_WITHIN and (peak.total - first.total) / first.total <= FLAT_WITHIN
    mib = 2**20
    lines = [
        f"soak {datetime.now(UTC).isoformat(timespec='seconds')}: {args.minutes} min, "
        f"warm-up {args.warmup} s, sample every {args.sample} s",
        f"service: homewidgets serve --workers {args.workers} on redis-server (loopback); "
        f"{args.users} known + {args.cold} cold users; reads {args.read_rate}/s, "
        f"pushes {args.push_rate}/s",
        f"reads: {dict(load.reads)}  p50 {load.percentile(0.5):.1f} ms  "
        f"p99 {load.percentile(0.99):.1f} ms",
        f"pushes: {dict(load.pushes)}  skipped ticks (load generator saturated): {load.skipped}",
        "",
        "   t (s)   RSS total (MiB)   per process (MiB)",
    ]
    for s in samples:
        per = "  ".join(f"{pid}:{rss / mib:.1f}" for pid, rss in sorted(s.rss.items()))
        lines.append(f"{s.at:8.0f}   {s.total / mib:15.1f}   {per}")
    lines += [
        "",
        f"first after warm-up (t={first.at:.0f} s): {first.total / mib:.1f} MiB",
        f"last (t={last.at:.0f} s): {last.total / mib:.1f} MiB",
        f"change: {change * 100:+.1f} %   peak after warm-up: {peak.total / mib:.1f} MiB "
        f"(t={peak.at:.0f} s, {(peak.total - first.total) / first.total * 100:+.1f} %)",
        f"verdict: {'FLAT' if flat else 'NOT FLAT'} (bound: within {FLAT_WITHIN * 100:.0f} %)",
    ]
    return "\n".join(lines) + "\n", flat


async def soak(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="hw-soak-") as tmp:
        workdir = Path(tmp)
        redis, redis_url = start_redis(workdir)
        service: Proc | None = None
        try:
            service, port = start_service(
                workdir, "service", redis_url=redis_url, workers=args.workers
            )
            url = f"http://127.0.0.1:{port}"
            known = user_ids(args.users)
            cold = [
                str(uuid.UUID(int=random.Random(i).getrandbits(128), version=4))
                for i in range(args.cold)
            ]
            seeded = await seed(url, known, products=("energy", "car_insurance", "dsl"))
            print(f"seeded {seeded.widgets} widgets in {seeded.seconds} s", flush=True)
            # Every home of the population in every worker's L1 before the clock starts:
            # what grows after this is not the cache filling up.
            warmed = await warm(port, known + cold, service.children())
            print(f"warmed every worker's L1: {warmed}", flush=True)
            samples: list[Sample] = []
            load = Load()
            await run_load(url, known, cold, args, service, samples, load)
            if service.popen is not None and service.popen.poll() is not None:
                raise RuntimeError(f"the service died:\n{service.tail()}")
        finally:
            if service is not None:
                service.stop()
            redis.stop()
    text, flat = report(args, samples, load)
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    out = results / f"soak-{datetime.now(UTC):%Y%m%d-%H%M}.txt"
    out.write_text(text)
    print(text + f"written to {out}")
    return 0 if flat else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before the baseline")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between RSS samples")
    parser.add_argument("--read-rate", type=float, default=200.0, help="reads per second")
    parser.add_argument("--push-rate", type=float, default=10.0, help="pushes per second")
    parser.add_argument("--users", type=int, default=2_000, help="known users (seeded)")
    parser.add_argument("--cold", type=int, default=2_000, help="cold users (never pushed)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sys.exit(asyncio.run(guarded(args)))


async def guarded(args: argparse.Namespace) -> int:
    """SIGTERM/SIGINT cancel the run, so the service and Redis it started are stopped."""
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    return await soak(args)


if __name__ == "__main__":
    main()
