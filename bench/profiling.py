"""Where the read path's time goes: py-spy on one worker under load, summarised.

py-spy samples the worker's Python stacks (non-blocking, so it does not pause the
worker) while wrk drives known users at 256 connections. The raw collapsed stacks and
a flamegraph are kept; the summary lists self and inclusive shares per function.
Samples with no Python frame are time in granian's Rust side (HTTP parsing, sockets).
"""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from procs import VENV_BIN
from wrkrun import run_wrk

PY_SPY = str(VENV_BIN / "py-spy")


def summarise(raw: Path, top: int = 25) -> dict[str, Any]:
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        frames = stack.split(";")
        self_time[frames[-1] or "(no Python frame)"] += n
        for frame in set(frames):
            inclusive[frame or "(no Python frame)"] += n

    def share(counter: Counter[str]) -> list[tuple[float, str]]:
        return [(round(100 * n / total, 1), f) for f, n in counter.most_common(top)]

    return {"samples": total, "self": share(self_time), "inclusive": share(inclusive)}


def profile_worker(pid: int, port: int, users_file: Path, out: Path, *,
                   seconds: int = 10, script: str = "known.lua") -> dict[str, Any]:
    """Profile `pid` for `seconds` under wrk; writes <out>.svg, <out>.txt, <out>-summary."""
    results: dict[str, Any] = {}
    for fmt, suffix in (("flamegraph", ".svg"), ("raw", ".txt")):
        spy = subprocess.Popen(
            [PY_SPY, "record", "--nonblocking", "--rate", "100", "--duration", str(seconds),
             "--format", fmt, "--output", f"{out}{suffix}", "--pid", str(pid)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        run_wrk(f"profile {fmt}", port, script, connections=256, seconds=seconds + 2,
                users_file=users_file)
        spy.wait(seconds + 30)
    summary = summarise(Path(f"{out}.txt"))
    lines = [f"samples: {summary['samples']}", "", "self:"]
    lines += [f"{pct:5.1f}%  {frame}" for pct, frame in summary["self"]]
    lines += ["", "inclusive:"]
    lines += [f"{pct:5.1f}%  {frame}" for pct, frame in summary["inclusive"]]
    Path(f"{out}-summary.txt").write_text("\n".join(lines) + "\n")
    results.update(summary, files=[os.path.basename(f"{out}{s}") for s in (".svg", ".txt")])
    return results
