"""The whole benchmark in one command: nginx as the ceiling, the service on Redis and embedded.

    .venv/bin/python bench/run.py                      # everything, ~15-25 minutes
    .venv/bin/python bench/run.py --users 20000 --seconds 5 --scenarios embedded  # quick

For each scenario (a `homewidgets serve` configuration) it seeds 100,000 users x 8
products through the batch push API (that is the batch-push measurement), requests every
user once on every worker (so known users are L1 hits), then runs wrk: nginx, known
users and unknown users at 256 and 1,000 connections, each after a discarded warm-up,
nginx measured right beside the service so every ratio is "same machine, same minute".
Then push-to-visible across two instances, and (unless --no-profile) a py-spy profile
of one worker under the known-user load. Raw outputs go to bench/results/<stamp>/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import httpx
from content import user_ids
from machine import children_cpu, cpu_seconds, load, machine, start_nginx
from procs import ROOT, VENV_BIN, Proc, free_port, start_redis, start_service
from profiling import profile_worker
from push_to_visible import measure as push_to_visible
from report import write_report
from seed import seed
from warm import warm
from wrkrun import WrkResult, run_wrk

BENCH = Path(__file__).resolve().parent

# name -> (uses Redis, workers, extra environment, granian CLI args or None for `serve`)
SCENARIOS: dict[str, tuple[bool, int, dict[str, str], list[str] | None]] = {
    "redis-w1": (True, 1, {}, None),
    "redis-w2": (True, 2, {}, None),
    "embedded": (False, 1, {}, None),
}
GRANIAN_BASE = [str(VENV_BIN / "granian"), "--factory", "--interface", "rsgi",
                "--host", "127.0.0.1", "--port", "{port}", "--loop", "uvloop",
                "--backlog", "4096", "--no-access-log", "--log-level", "warning"]
APP = "homewidgets.inbound.http.app:rsgi_app_from_environ"


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        self.out = Path(args.out) if args.out else BENCH / "results" / stamp
        self.out.mkdir(parents=True, exist_ok=True)
        self.work = Path(tempfile.mkdtemp(prefix="hw-bench-"))
        self.users = user_ids(args.users)
        self.users_file = self.work / "users.txt"
        self.users_file.write_text("\n".join(self.users) + "\n")
        self.procs: list[Proc] = []
        self.nginx_port = 0
        self.nginx_pids: list[int] = []
        self.redis_pid = 0
        self.push_version = 1
        self.results: dict[str, Any] = {
            "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": machine(), "args": vars(args), "scenarios": {}, "log": [],
        }

    def note(self, message: str) -> None:
        line = f"[{time.strftime('%H:%M:%S')} load {load():.1f}] {message}"
        print(line, flush=True)
        self.results["log"].append(line)

    def save(self) -> None:
        (self.out / "results.json").write_text(json.dumps(self.results, indent=2))

    def wrk(self, label: str, port: int, script: str, connections: int,
            pids: list[int]) -> tuple[WrkResult, dict[str, float]]:
        """A warm-up run, then the measured one; also CPU µs per request of `pids` and wrk."""
        a = self.args
        users = self.users_file if script == "known.lua" else None
        if a.warmup:
            run_wrk(label + " warm-up", port, script, connections=connections,
                    seconds=a.warmup, users_file=users)
        before, wrk_before, load_before = cpu_seconds(pids), children_cpu(), load()
        system_before = cpu_seconds(pids, "system")
        result = run_wrk(label, port, script, connections=connections, seconds=a.seconds,
                         users_file=users, raw_dir=self.out, threads=a.threads)
        server_cpu, wrk_cpu = cpu_seconds(pids) - before, children_cpu() - wrk_before
        system_cpu = cpu_seconds(pids, "system") - system_before
        cost = {
            "server_cpu_us_per_request": round(1e6 * server_cpu / max(result.requests, 1), 1),
            "server_system_cpu_us_per_request": round(
                1e6 * system_cpu / max(result.requests, 1), 1),
            "wrk_cpu_us_per_request": round(1e6 * wrk_cpu / max(result.requests, 1), 1),
            "server_cores_busy": round(server_cpu / result.seconds, 2),
            "load_before": load_before,
        }
        self.note(f"{label}: {result.rps} req/s p50 {result.p50_ms} ms p99 {result.p99_ms} ms "
                  f"errors {result.errors}; server {cost['server_cpu_us_per_request']} "
                  f"CPU-us/request")
        return result, cost

    def run(self) -> None:
        redis, redis_url = start_redis(self.work)
        self.procs.append(redis)
        self.redis_pid = redis.pid
        try:
            for name in self.args.scenarios.split(","):
                self.scenario(name, redis_url)
                self.save()
            if not self.args.no_push_to_visible:
                self.push_to_visible(redis_url)
                self.save()
        finally:
            for proc in reversed(self.procs):
                proc.stop()
            for log in self.work.glob("*.log"):  # service logs, for post-mortems
                shutil.copy(log, self.out / f"log-{log.name}")
            shutil.rmtree(self.work, ignore_errors=True)
            self.save()
            write_report(self.results, self.out)
        print((self.out / "results.md").read_text())

    def scenario(self, name: str, redis_url: str) -> None:
        base_name, _, source = name.partition("@")  # "embedded@/tmp/patched/src": A/B a change
        uses_redis, workers, env, granian_args = SCENARIOS.get(base_name) or custom(base_name)
        url = redis_url if uses_redis else None
        extra = {"HOMEWIDGETS_NAMESPACE": "hwb:", **env}
        if source:
            extra["PYTHONPATH"] = source
        command = None
        if granian_args is not None:
            command = [*GRANIAN_BASE, "--workers", str(workers), *granian_args, APP]
        block: dict[str, Any] = {"workers": workers, "redis": uses_redis,
                                 "command": " ".join(command) if command else
                                 f"homewidgets serve --workers {workers}", "env": extra}
        key, round_no = name, 1
        while key in self.results["scenarios"]:  # the same scenario again: an A/B round
            round_no += 1
            key = f"{name} #{round_no}"
        self.results["scenarios"][key] = block
        seeded = uses_redis and self.results.get("redis_seeded")
        proc, port = start_service(self.work, name, redis_url=url, workers=workers,
                                   extra_env=extra, command=command)
        try:
            base = f"http://127.0.0.1:{port}"
            pids = proc.children() or [proc.pid]
            watched = pids + ([self.redis_pid] if uses_redis else [])
            cpu_before, client_before = cpu_seconds(watched), os.times()
            if seeded:
                # A new version each time: an equal version is a no-op and would flatter.
                self.push_version += 1
                self.note(f"{name}: re-push of {self.args.repush} users "
                          f"(version {self.push_version})")
                block["push"] = asdict(asyncio.run(
                    seed(base, self.users[: self.args.repush], version=self.push_version)))
            else:
                self.note(f"{name}: seeding {len(self.users)} users x 8 products")
                block["push"] = asdict(asyncio.run(seed(base, self.users)))
                self.results["redis_seeded"] = self.results.get("redis_seeded") or uses_redis
            client_after = os.times()
            widgets = block["push"]["widgets"]
            block["push"]["server_and_redis_cpu_us_per_widget"] = round(
                1e6 * (cpu_seconds(watched) - cpu_before) / widgets, 1)
            block["push"]["client_cpu_us_per_widget"] = round(1e6 * (
                client_after.user + client_after.system - client_before.user
                - client_before.system) / widgets, 1)
            self.note(f"{name}: push {block['push']['widgets_per_second']} widgets/s, "
                      f"{block['push']['server_and_redis_cpu_us_per_widget']} CPU-us/widget "
                      "(service + Redis)")
            block["warm"] = asyncio.run(warm(port, self.users, pids))
            self.note(f"{name}: warm-up {block['warm']}")
            body = httpx.get(f"{base}/get_recommendations/{self.users[0]}").content
            generic = httpx.get(f"{base}/get_recommendations/{user_ids(1)[0][:-4]}0000").content
            block["response_bytes"] = {"known": len(body), "unknown": len(generic)}
            if not self.nginx_port:
                nginx, self.nginx_port = start_nginx(self.work, body, os.cpu_count() or 1)
                self.procs.append(nginx)
                self.nginx_pids = nginx.children()
                self.results["nginx_body_bytes"] = len(body)
            floor = self.start_floor(workers) if self.args.floor else None
            runs: dict[str, Any] = {}
            for script, kind in (("known.lua", "known"), ("unknown.lua", "unknown")):
                if kind not in self.args.kinds:
                    continue
                for connections in self.args.connections:
                    ceiling, ceiling_cost = self.wrk(
                        f"nginx c{connections} ({name} {kind})", self.nginx_port, "unknown.lua",
                        connections, self.nginx_pids)
                    mine, cost = self.wrk(f"{name} {kind} c{connections}", port, script,
                                          connections, pids)
                    runs[f"{kind}-c{connections}"] = {
                        "service": {**mine.as_dict(), **cost},
                        "nginx": {**ceiling.as_dict(), **ceiling_cost},
                        "ratio": round(mine.rps / ceiling.rps, 3) if ceiling.rps else None,
                    }
                    if floor is not None and kind == "known":
                        floor_proc, floor_port = floor
                        least, least_cost = self.wrk(
                            f"floor c{connections} ({name})", floor_port, script, connections,
                            floor_proc.children() or [floor_proc.pid])
                        runs[f"{kind}-c{connections}"]["floor"] = {
                            **least.as_dict(), **least_cost,
                            "ratio": round(least.rps / ceiling.rps, 3) if ceiling.rps else None}
                    block["runs"] = runs
                    self.save()
            if name in self.args.profile.split(","):
                safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
                block["profile"] = profile_worker(
                    pids[0], port, self.users_file, self.out / f"profile-{safe}",
                    seconds=self.args.profile_seconds)
                self.note(f"{name}: profile written")
        finally:
            proc.stop()
            if floor is not None:
                floor[0].stop()

    def start_floor(self, workers: int) -> tuple[Proc, int]:
        """bench/floor.py's RSGI app holding the same users' bodies, on the granian settings
        `serve` uses: the least any Python read path on granian costs, measured beside
        the service in the same minute."""
        port = free_port()
        proc = Proc("floor", [
            str(VENV_BIN / "granian"), "--interface", "rsgi", "--workers", str(workers),
            "--loop", "uvloop", "--task-impl", "rust", "--http", "1", "--no-ws",
            "--host", "127.0.0.1", "--port", str(port),
            "--no-access-log", "--log-level", "warning", "--working-dir", str(ROOT),
            "bench.floor:rsgi_app"], self.work / "floor.log",
            {**os.environ, "PYTHONPATH": str(BENCH), "FLOOR_USERS": str(len(self.users))})
        proc.start(port, timeout=120)
        pids = proc.children() or [proc.pid]
        busy = 1.0  # the workers build their bodies after the port opens: wait until idle
        while busy > 0.05:
            before = cpu_seconds(pids)
            time.sleep(0.5)
            busy = cpu_seconds(pids) - before
        return proc, port

    def push_to_visible(self, redis_url: str) -> None:
        env = {"HOMEWIDGETS_NAMESPACE": "ptv:"}
        a, a_port = start_service(self.work, "ptv-a", redis_url=redis_url, workers=1,
                                  extra_env=env)
        b, b_port = start_service(self.work, "ptv-b", redis_url=redis_url, workers=1,
                                  extra_env=env)
        try:
            result = asyncio.run(push_to_visible(f"http://127.0.0.1:{a_port}",
                                                 f"http://127.0.0.1:{b_port}",
                                                 pushes=self.args.pushes))
            self.results["push_to_visible"] = result
            self.note(f"push-to-visible: {result}")
        finally:
            a.stop()
            b.stop()


def custom(name: str) -> tuple[bool, int, dict[str, str], list[str] | None]:
    """`g-w2-h1:--http 1 --no-ws`: the granian CLI with extra flags, on Redis (w2: 2 workers)."""
    label, _, flags = name.partition(":")
    workers = re.search(r"-w(\d+)", label)
    return True, int(workers.group(1)) if workers else 1, {}, flags.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--repush", type=int, default=20_000,
                        help="users re-pushed (version 2) when Redis is already seeded")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3, help="discarded wrk run before each")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--connections", type=lambda s: [int(x) for x in s.split(",")],
                        default=[256, 1000])
    parser.add_argument("--scenarios", default="redis-w2,redis-w1,embedded",
                        help="comma-separated: redis-w1, redis-w2, embedded, or a granian CLI "
                             "variant on Redis like 'g-w2-h1:--http 1 --no-ws'")
    parser.add_argument("--kinds", default="known,unknown", help="which user sets to run")
    parser.add_argument("--profile", default="redis-w2,embedded",
                        help="scenarios to profile with py-spy ('' for none)")
    parser.add_argument("--profile-seconds", type=int, default=10)
    parser.add_argument("--pushes", type=int, default=500)
    parser.add_argument("--no-push-to-visible", action="store_true")
    parser.add_argument("--floor", action="store_true",
                        help="also measure bench/floor.py's RSGI app after each known run")
    parser.add_argument("--out", help="results directory (default bench/results/<stamp>)")
    Bench(parser.parse_args()).run()


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
