"""Real `redis-server` processes on loopback for the tests: one server, or a 6-node Cluster.

No fakes: the contract suite must prove the Redis adapters against the real thing.
Each server runs in its own temp dir without persistence, on a free port, and can be
stopped, killed, paused (SIGSTOP) and restarted, for the fault tests.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"
MISSING = (
    "redis-server is not installed: the Redis tests need it. Install the Debian package "
    "(`sudo apt-get install -y redis-server`), or run scripts/test.sh, which does."
)


def redis_server_available() -> bool:
    return os.access(REDIS_SERVER, os.X_OK) and os.access(REDIS_CLI, os.X_OK)


def wait_until_responsive(check: Callable[[], bool], timeout: float, pause: float = 0.02) -> None:
    """Poll `check` until it returns True; TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError, redis.RedisError):
            if check():
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"not responsive after {timeout}s: {check}")
        time.sleep(pause)


def free_port(*, with_bus: bool = False) -> int:
    """A loopback port free now; with_bus: port + 10000 (the Cluster bus) is free too."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port: int = s.getsockname()[1]
        if not with_bus:
            return port
        if port + 10000 > 65535:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


def answers_ping(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
        s.sendall(b"PING\r\n")
        return s.recv(64).startswith(b"+PONG")


@dataclass
class RedisServer:
    """One redis-server process; `url` stays the same across restarts."""

    directory: Path
    port: int
    extra_args: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 10.0) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        args = [
            REDIS_SERVER,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.directory),
            "--save", "",
            "--appendonly", "no",
            "--protected-mode", "no",
            "--daemonize", "no",
            "--logfile", str(self.directory / "redis.log"),
            *self.extra_args,
        ]  # fmt: skip
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL)
        try:
            wait_until_responsive(lambda: answers_ping(self.port), timeout)
        except TimeoutError:
            self.stop()
            log = (self.directory / "redis.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"redis-server on port {self.port} did not start:\n{log}") from None
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, then SIGKILL if it does not exit in time."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGCONT)  # a paused server cannot handle SIGTERM
            process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)

    def kill(self) -> None:
        """SIGKILL: a crash, no goodbye to clients or Cluster peers."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(5)

    def pause(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)

    def restart(self) -> RedisServer:
        self.stop()
        return self.start()

    def client(self) -> redis.Redis:
        """A synchronous client for test set-up and checks (not for the code under test)."""
        return redis.Redis(port=self.port, socket_timeout=2, socket_connect_timeout=1)


def start_server(directory: Path, *, extra_args: tuple[str, ...] = ()) -> RedisServer:
    """A running redis-server on a free loopback port; retries if the port got taken."""
    for attempt in range(3):
        server = RedisServer(directory, free_port(), extra_args)
        try:
            return server.start()
        except RuntimeError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


CLUSTER_ARGS = (
    "--cluster-enabled", "yes",
    "--cluster-node-timeout", "1000",
    # Replicas sync at once (not after 5 s): a replica that never synced cannot fail over.
    "--repl-diskless-sync-delay", "0",
)  # fmt: skip


@dataclass
class RedisClusterServers:
    """A 6-node Cluster (3 primaries, 3 replicas) on loopback."""

    nodes: list[RedisServer]

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def node(self, port: int) -> RedisServer:
        return next(n for n in self.nodes if n.port == port)

    def primary_of(self, key: str) -> RedisServer:
        """The node serving `key`'s slot right now (asks a running node)."""
        asker = next(n for n in self.nodes if n.running)
        with asker.client() as c:
            slot = c.execute_command("CLUSTER KEYSLOT", key)
            for start, end, primary, *_ in c.execute_command("CLUSTER SLOTS"):
                if start <= slot <= end:
                    return self.node(int(primary[1]))
        raise LookupError(f"no node serves slot {slot}")

    def flush(self) -> None:
        for node in self.nodes:
            if node.running:
                with node.client() as c, contextlib.suppress(redis.ResponseError):
                    c.flushall()  # replicas refuse (READONLY); they follow their primary

    def wait_healthy(self, timeout: float = 20.0) -> None:
        """Until every running node says the cluster is ok and knows all six nodes, and
        every replica has synced with its primary (else it could not take over)."""

        def healthy() -> bool:
            for node in self.nodes:
                if not node.running:
                    continue
                with node.client() as c:
                    info = c.cluster("INFO")  # parsed: {"cluster_state": "ok", ...}
                    if info["cluster_state"] != "ok" or int(info["cluster_known_nodes"]) != 6:
                        return False
                    replication = c.info("replication")
                    if replication["role"] == "slave" and replication["master_link_status"] != "up":
                        return False
            return True

        wait_until_responsive(healthy, timeout, pause=0.1)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def start_cluster(directory: Path) -> RedisClusterServers:
    nodes = []
    try:
        for i in range(6):
            port = free_port(with_bus=True)
            server = RedisServer(directory / f"node{i}", port, CLUSTER_ARGS)
            nodes.append(server.start())
        cluster = RedisClusterServers(nodes)
        subprocess.run(
            [REDIS_CLI, "--cluster", "create"]
            + [f"127.0.0.1:{n.port}" for n in nodes]
            + ["--cluster-replicas", "1", "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        cluster.wait_healthy()
        return cluster
    except BaseException:
        for node in nodes:
            node.stop()
        raise
