"""The processes a benchmark run starts (redis-server, nginx, `homewidgets serve`), bounded.

Every process is started in its own session and stopped by its own process group id
(SIGTERM, then SIGKILL): a run leaves nothing behind, and stops nothing it did not start.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@dataclass
class Proc:
    """One started command with its log file; `stop()` is idempotent."""

    name: str
    args: Sequence[str]
    log_path: Path
    env: Mapping[str, str] | None = None
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, port: int | None = None, timeout: float = 30.0) -> Proc:
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                list(self.args),
                env=dict(self.env) if self.env is not None else None,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if port is not None:
            try:
                wait_for_port(port, timeout, self.popen)
            except Exception:
                self.stop()
                raise RuntimeError(f"{self.name} did not start:\n{self.tail()}") from None
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def children(self) -> list[int]:
        """Direct child pids (granian's worker processes), read from /proc."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.pid:
                found.append(int(entry.name))
        return sorted(found)

    def tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def stop(self, timeout: float = 15.0) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)
        except ProcessLookupError:
            pass


def start_redis(workdir: Path) -> tuple[Proc, str]:
    """A private redis-server on loopback, persistence off (the bench measures the service)."""
    port = free_port()
    proc = Proc(
        "redis",
        ["/usr/bin/redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(workdir), "--maxclients", "10000"],
        workdir / "redis.log",
    ).start(port)
    return proc, f"redis://127.0.0.1:{port}/0"


def service_env(redis_url: str | None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The production settings the bench runs with (L1 big enough for every known user)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOMEWIDGETS_")}
    env["PYTHONPATH"] = str(ROOT / "src")
    env["HOMEWIDGETS_L1_MAX_BYTES"] = str(4 * 1024**3)
    env["HOMEWIDGETS_LOG_LEVEL"] = "warning"
    if redis_url:
        env["HOMEWIDGETS_REDIS_URL"] = redis_url
    env.update(extra or {})
    return env


def start_service(
    workdir: Path,
    name: str,
    *,
    redis_url: str | None,
    workers: int,
    extra_env: Mapping[str, str] | None = None,
    command: Sequence[str] | None = None,
) -> tuple[Proc, int]:
    """`homewidgets serve` on a free port; `command` replaces the CLI (granian experiments)."""
    port = free_port()
    args = list(command) if command else [
        str(VENV_BIN / "homewidgets"), "serve", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers),
    ]
    args = [a.replace("{port}", str(port)) for a in args]
    log_name = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    proc = Proc(name, args, workdir / f"{log_name}.log", service_env(redis_url, extra_env))
    proc.start(port, timeout=60)
    return proc, port
