"""What the machine is and what it spends: nginx as the ceiling, CPU per process, versions.

CPU time comes from /proc/<pid>/stat (all threads, user and kernel), so a run can say
how many CPU µs each request cost the server and the load generator, the figure that
moves least when other work shares the machine.
"""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from procs import Proc, free_port

BENCH = Path(__file__).resolve().parent


def start_nginx(work: Path, body: bytes, workers: int) -> tuple[Proc, int]:
    prefix = work / "nginx"
    (prefix / "www").mkdir(parents=True, exist_ok=True)
    for path in (work, prefix, prefix / "www"):
        path.chmod(0o755)  # nginx workers run as nobody
    (prefix / "www" / "home.json").write_bytes(body)
    (prefix / "www" / "home.json").chmod(0o644)
    port = free_port()
    conf = (BENCH / "nginx.conf.template").read_text()
    conf = conf.replace("{prefix}", str(prefix)).replace("{port}", str(port))
    conf = conf.replace("{workers}", str(workers))
    (prefix / "nginx.conf").write_text(conf)
    proc = Proc("nginx", ["/usr/sbin/nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
                work / "nginx.log").start(port)
    return proc, port


def machine() -> dict[str, Any]:
    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
                 "?")

    def version(args: list[str]) -> str:
        done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=10)
        return (done.stdout + done.stderr).strip().splitlines()[0]

    import granian

    return {
        "cpu": model, "cores": os.cpu_count(), "kernel": platform.release(),
        "python": platform.python_version(), "granian": granian.__version__,
        "nginx": version(["/usr/sbin/nginx", "-v"]), "wrk": version(["/usr/bin/wrk", "-v"]),
        "redis": version(["/usr/bin/redis-server", "--version"]),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
    }


def load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def cpu_seconds(pids: list[int], part: str = "both") -> float:
    """User and/or system CPU of these processes (all their threads) so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) if part != "system" else 0) + (
            int(fields[12]) if part != "user" else 0)
    return total / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = os.times()
    return usage.children_user + usage.children_system
