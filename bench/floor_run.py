"""Measure the floor (bench/floor.py) beside nginx: how thin can a granian app get here?

    .venv/bin/python bench/floor_run.py [--seconds 10] [--workers 1,2]
        [--variants asgi,rsgi,rsgi+rust,rsgi+rloop]

A variant is an interface, optionally followed by granian options: `+rust` is
`--task-impl rust`, `+rloop` is `--loop rloop`, `+st` is `--runtime-mode st`.

Prints, per app and connection count: req/s, p99, the ratio to nginx measured just
before, and server CPU µs per request (total and kernel), like bench/run.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from content import user_ids
from machine import children_cpu, cpu_seconds, load, start_nginx
from procs import ROOT, VENV_BIN, Proc, free_port
from wrkrun import run_wrk


def measure(label: str, port: int, pids: list[int], users: Path, connections: int,
            seconds: int) -> dict[str, object]:
    run_wrk(label, port, "known.lua", connections=connections, seconds=2, users_file=users)
    before, system, wrk = cpu_seconds(pids), cpu_seconds(pids, "system"), children_cpu()
    result = run_wrk(label, port, "known.lua", connections=connections, seconds=seconds,
                     users_file=users)
    n = max(result.requests, 1)
    return {**result.as_dict(), "load": load(),
            "server_cpu_us": round(1e6 * (cpu_seconds(pids) - before) / n, 1),
            "kernel_cpu_us": round(1e6 * (cpu_seconds(pids, "system") - system) / n, 1),
            "wrk_cpu_us": round(1e6 * (children_cpu() - wrk) / n, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--connections", default="256,1000")
    parser.add_argument("--variants", default="asgi,rsgi")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hw-floor-"))
    users = work / "users.txt"
    users.write_text("\n".join(user_ids(int(os.environ.get("FLOOR_USERS", "20000")))) + "\n")
    nginx, nginx_port = start_nginx(work, b"x" * 6561, os.cpu_count() or 1)
    rows = []
    try:
        for workers in [int(w) for w in args.workers.split(",")]:
            for variant in args.variants.split(","):
                interface, *options = variant.split("+")
                port = free_port()
                app = Proc(f"floor-{variant}", [
                    str(VENV_BIN / "granian"), "--interface", interface, "--workers",
                    str(workers), *_granian_options(options), "--host", "127.0.0.1",
                    "--port", str(port), "--no-access-log", "--log-level", "warning",
                    "--working-dir", str(ROOT), f"bench.floor:{interface}_app"],
                    work / f"floor-{variant}-{workers}.log",
                    {**os.environ, "PYTHONPATH": str(ROOT / "bench")}).start(port)
                try:
                    for connections in [int(c) for c in args.connections.split(",")]:
                        ceiling = measure("nginx", nginx_port, nginx.children(), users,
                                          connections, args.seconds)
                        mine = measure(f"{variant} w{workers}", port,
                                       app.children() or [app.pid], users, connections,
                                       args.seconds)
                        row = {"app": f"{variant} w{workers}", "c": connections,
                               "nginx": ceiling, "app_result": mine,
                               "ratio": round(int(str(mine["rps"])) / int(str(ceiling["rps"])),
                                              3)}
                        rows.append(row)
                        print(json.dumps({k: row[k] for k in ("app", "c", "ratio")}
                                         | {"rps": mine["rps"], "p99": mine["p99_ms"],
                                            "cpu": mine["server_cpu_us"],
                                            "kernel": mine["kernel_cpu_us"],
                                            "nginx_rps": ceiling["rps"],
                                            "nginx_cpu": ceiling["server_cpu_us"],
                                            "load": mine["load"]}), flush=True)
                finally:
                    app.stop()
    finally:
        nginx.stop()
        shutil.rmtree(work, ignore_errors=True)
    out = ROOT / "bench" / "results" / os.environ.get("FLOOR_OUT", "floor.json")
    out.write_text(json.dumps(rows, indent=2))


def _granian_options(options: list[str]) -> list[str]:
    flags = {"rust": ["--task-impl", "rust"], "st": ["--runtime-mode", "st"]}
    loop = "rloop" if "rloop" in options else "uvloop"
    return ["--loop", loop, *(f for o in options if o in flags for f in flags[o])]


if __name__ == "__main__":
    main()
