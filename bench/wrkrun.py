"""Run wrk with one of the bench's Lua scripts and return its numbers as a dict.

The Lua scripts print one `WRK_JSON {...}` line from `done()`; wrk's own text output is
kept beside it in the results directory for anyone who wants to check the parsing.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

WRK = "/usr/bin/wrk"
LUA_DIR = Path(__file__).resolve().parent / "wrk"


@dataclass(frozen=True)
class WrkResult:
    label: str
    connections: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # connect + read + write + timeout + non-2xx/3xx answers
    error_detail: dict[str, int]
    mb_per_s: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def run_wrk(
    label: str,
    port: int,
    script: str,
    *,
    connections: int,
    seconds: int,
    threads: int = 1,
    users_file: Path | None = None,
    walk: bool = False,
    raw_dir: Path | None = None,
    timeout_s: str = "5s",
) -> WrkResult:
    """One wrk run against 127.0.0.1:`port`; raises if wrk fails or prints no summary."""
    env = dict(os.environ)
    if users_file is not None:
        env["WRK_USERS"] = str(users_file)
    env["WRK_WALK"] = "1" if walk else "0"
    args = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", timeout_s,
            "--latency", "-s", str(LUA_DIR / script), f"http://127.0.0.1:{port}"]
    done = subprocess.run(args, env=env, capture_output=True, text=True,
                          timeout=seconds + 60, check=False)
    if raw_dir is not None:
        safe = label.replace("/", "_").replace(" ", "_")
        (raw_dir / f"wrk-{safe}.txt").write_text(
            " ".join(args) + "\n\n" + done.stdout + done.stderr)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-2000:]}{done.stderr}")
    data = json.loads(line[len("WRK_JSON "):])
    seconds_run = data["duration_us"] / 1e6
    detail = {k: int(data[k]) for k in ("connect", "read", "write", "timeout", "status")}
    return WrkResult(
        label=label,
        connections=connections,
        seconds=round(seconds_run, 2),
        requests=int(data["requests"]),
        rps=round(data["requests"] / seconds_run),
        p50_ms=round(data["p50_us"] / 1000, 2),
        p99_ms=round(data["p99_us"] / 1000, 2),
        max_ms=round(data["max_us"] / 1000, 2),
        errors=sum(detail.values()),
        error_detail=detail,
        mb_per_s=round(data["bytes"] / seconds_run / 1e6, 1),
    )
