"""A short, bounded read-path load test of ONE service process, for docs/CONCEPT.md's scaling.

    PYTHONPATH=src .venv/bin/python docs/scripts/measure_throughput.py --users 5000

All on 127.0.0.1: starts a private `redis-server` and `homewidgets serve --workers 1` on
it, pushes `--users` users x 8 products of the simulated products' widgets through
`POST /v1/products/{p}/widgets:batch`, requests every user once (so their homes are in
L1), then runs `wrk -t1 -c64 -d5s --latency` twice: random known users (L1 hits) and
random unknown users (an L2 read, then generic widgets). wrk and the server share the
machine's cores, so the figures are a floor for one process, not a ceiling.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure_memory import batch_body, free_port, start_redis

from homewidgets.products import PRODUCT_IDS

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results" / "throughput.json"
WRK = "/usr/bin/wrk"


def start_serve(redis_url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOMEWIDGETS_")}
    env.update(HOMEWIDGETS_REDIS_URL=redis_url,
               HOMEWIDGETS_PRODUCTS_URL=f"http://127.0.0.1:{free_port()}",  # nobody there
               HOMEWIDGETS_REDIS_TIMEOUT_SECONDS="2")  # a busy shared machine
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "homewidgets", "serve", "--port", str(port), "--workers", "1"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=0.5).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    stop(process)
    raise RuntimeError(f"serve did not answer:\n{log.read_text()[-2000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def seed(url: str, user_ids: list[str]) -> dict[str, Any]:
    began = time.perf_counter()
    with httpx.Client(base_url=url, timeout=60) as client:
        for product in PRODUCT_IDS:
            auth = {"authorization": f"Bearer demo-{product}-token"}
            for start in range(0, len(user_ids), 1000):
                answer = client.post(f"/v1/products/{product}/widgets:batch", headers=auth,
                                     content=batch_body(product, user_ids[start:start + 1000]))
                answer.raise_for_status()
                refused = [r for r in answer.json()["results"] if r["status"] != 200]
                if refused:
                    raise RuntimeError(f"{product}: refused {refused[:2]}")
        seconds = time.perf_counter() - began
        for user_id in user_ids:  # into L1
            client.get(f"/v1/home/{user_id}").raise_for_status()
        body = client.get(f"/v1/home/{user_ids[0]}").content
    widgets = len(user_ids) * len(PRODUCT_IDS)
    return {"widgets": widgets, "seconds": round(seconds, 1),
            "widgets_per_second": round(widgets / seconds), "home_body_bytes": len(body)}


_KNOWN = """
local users = {}
for line in io.lines(os.getenv("WRK_USERS")) do users[#users + 1] = line end
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/v1/home/" .. users[math.random(#users)])
end
"""

_UNKNOWN = """
math.randomseed(os.time())
local function hex(n)
  local s = ""
  for _ = 1, n do s = s .. string.format("%x", math.random(0, 15)) end
  return s
end
request = function()
  local id = hex(8) .. "-" .. hex(4) .. "-4" .. hex(3) .. "-8" .. hex(3) .. "-" .. hex(12)
  return wrk.format("GET", "/v1/home/" .. id)
end
"""

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def cpu_seconds(pgid: int) -> float:
    """User + system CPU time of every process in the process group `pgid` (Linux /proc)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[2]) == pgid:  # fields[0] is field 3 of proc(5): state
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def wrk(url: str, script: Path, users: Path, connections: int, seconds: int,
        server_pgid: int, redis_pgid: int) -> dict[str, Any]:
    args = [WRK, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url]
    env = {**os.environ, "WRK_USERS": str(users)}
    load = os.getloadavg()[0]
    cpu_before = cpu_seconds(server_pgid), cpu_seconds(redis_pgid)
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=seconds + 30,
                          check=True)
    cpu_after = cpu_seconds(server_pgid), cpu_seconds(redis_pgid)
    out = done.stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = {p: _ms(m.group(2), m.group(3)) for p in ("50", "99")
               if (m := re.search(rf"^\s+({p}(?:\.000)?%)\s+([\d.]+)(us|ms|s)\s*$", out, re.M))}
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    server_cpu, redis_cpu = (after - before for after, before in zip(cpu_after, cpu_before,
                                                                       strict=True))
    return {"command": " ".join(["wrk", *args[1:]]), "requests": requests, "rps": round(rps),
            "server_cpu_us_per_request": round(server_cpu / requests * 1e6, 1),
            "redis_cpu_us_per_request": round(redis_cpu / requests * 1e6, 1),
            "p50_ms": latency.get("50"), "p99_ms": latency.get("99"),
            "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
            "socket_errors": errors.group(1) if errors else None,
            "load_average_before": round(load, 2)}


def _ms(value: str, unit: str) -> float:
    return round(float(value) * _UNITS[unit], 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    user_ids = [str(uuid.uuid4()) for _ in range(args.users)]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        redis_process, redis_port = start_redis(tmp)
        serve = None
        try:
            serve, url = start_serve(f"redis://127.0.0.1:{redis_port}/0", tmp / "serve.log")
            pushed = seed(url, user_ids)
            users = tmp / "users.txt"
            users.write_text("\n".join(user_ids) + "\n")
            (tmp / "known.lua").write_text(_KNOWN)
            (tmp / "unknown.lua").write_text(_UNKNOWN)
            runs = {kind: wrk(url, tmp / f"{kind}.lua", users, args.connections, args.seconds,
                              serve.pid, redis_process.pid)
                    for kind in ("known", "unknown")}
        finally:
            if serve is not None:
                stop(serve)
            redis_process.terminate()
            redis_process.wait(10)
    figures = {
        "command": "PYTHONPATH=src .venv/bin/python docs/scripts/measure_throughput.py "
                   f"--users {args.users}",
        "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cores": os.cpu_count(),
        "server": "homewidgets serve --workers 1 (granian), L2 on redis-server, same machine",
        "push": pushed,
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
