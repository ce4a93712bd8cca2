"""Real processes for end-to-end tests: `homewidgets serve`, `worker`, `products` on loopback.

Each helper starts the command through the README's entry point (`python -m homewidgets`),
waits until it answers, and stops it with SIGTERM (then SIGKILL) so tests leave nothing
running. Output goes to a log file next to the test's tmp_path for post-mortems.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from redis_servers import free_port, wait_until_responsive


@dataclass
class Process:
    """A started command; `url` is its base URL when it serves HTTP."""

    args: list[str]
    env: dict[str, str]
    log_path: Path
    url: str = ""
    health_path: str = "/healthz"
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, timeout: float = 20.0) -> Process:
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            self.args, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        if self.url:
            try:
                wait_until_responsive(self._answers, timeout)
            except Exception:
                self.stop()
                raise RuntimeError(f"{self.args} did not answer; log:\n{self.log()}") from None
        return self

    def _answers(self) -> bool:
        assert self.popen is not None
        if self.popen.poll() is not None:
            raise RuntimeError(f"{self.args} exited early; log:\n{self.log()}")
        try:
            return httpx.get(self.url + self.health_path, timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return False

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:] if self.log_path.exists() else ""

    def signal(self, sig: int) -> None:
        if self.running:
            assert self.popen is not None
            os.killpg(self.popen.pid, sig)

    def kill(self) -> None:
        """End it at once (SIGKILL to the whole process group): a crash, not a shutdown."""
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()


def homewidgets_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOMEWIDGETS_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "homewidgets", *args]


def start_service(
    tmp_path: Path, env: Mapping[str, str] | None = None, *, workers: int = 1,
    port: int | None = None, name: str = "service",
) -> Process:
    port = port or free_port()
    return Process(
        command("serve", "--port", str(port), "--workers", str(workers)),
        homewidgets_env(env), tmp_path / f"{name}-{port}.log", url=f"http://127.0.0.1:{port}",
    ).start()


def start_products(
    tmp_path: Path, *args: str, port: int | None = None, env: Mapping[str, str] | None = None
) -> Process:
    port = port or free_port()
    return Process(
        command("products", "--port", str(port), *args),
        homewidgets_env(env), tmp_path / f"products-{port}.log", url=f"http://127.0.0.1:{port}",
    ).start()


def start_worker(tmp_path: Path, env: Mapping[str, str], name: str = "worker") -> Process:
    return Process(command("worker"), homewidgets_env(env), tmp_path / f"{name}.log").start()


def eventually(check: object, timeout: float = 5.0, pause: float = 0.02) -> None:
    """Poll `check()` until truthy; AssertionError with the last value otherwise."""
    assert callable(check)
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return
        time.sleep(pause)
    raise AssertionError(f"condition not met within {timeout} s (last: {last!r})")


__all__ = ["Process", "eventually", "free_port", "start_products", "start_service",
           "start_worker"]
