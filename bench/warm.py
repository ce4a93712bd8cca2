"""Warm every worker's L1 with every known user, so the known-user runs measure L1 hits.

Each granian worker keeps its own L1, and which worker serves a connection is the
kernel's choice. So the warm-up opens connections until every worker holds one (it
finds the holder through /proc: the server side of our socket is an inode in one
worker's fd table), then walks all users over each worker's own connections.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import defaultdict
from pathlib import Path

PER_WORKER = 8  # connections walking the users in parallel on each worker
PIPELINE = 16  # requests written before their answers are read (HTTP/1.1 pipelining)
MAX_TRIES = 64


def _server_inodes(port: int) -> dict[int, int]:
    """Remote (client) port -> socket inode, for established server-side sockets on `port`."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local_port = int(parts[1].rsplit(":", 1)[1], 16)
            if local_port == port and parts[3] == "01":  # ESTABLISHED
                found[int(parts[2].rsplit(":", 1)[1], 16)] = int(parts[9])
    return found


def _inode_owner(pids: list[int]) -> dict[int, int]:
    owners = {}
    for pid in pids:
        fd_dir = Path(f"/proc/{pid}/fd")
        for fd in fd_dir.iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                owners[int(target[8:-1])] = pid
    return owners


async def _open(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port)


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n".encode())
    return await _answer(reader)


async def _answer(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def warm(port: int, users: list[str], worker_pids: list[int],
               prefix: str = "/get_recommendations/") -> dict[str, object]:
    """Every user requested once on every worker; returns timing and coverage."""
    started = time.perf_counter()
    by_worker: dict[int, list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]] = (
        defaultdict(list))
    spare = []
    for _ in range(MAX_TRIES):
        if all(len(by_worker[pid]) >= PER_WORKER for pid in worker_pids):
            break
        conn = await _open(port)
        await _get(*conn, prefix + users[0])  # the worker has accepted it by now
        local_port = conn[1].get_extra_info("sockname")[1]
        inode = _server_inodes(port).get(local_port)
        owner = _inode_owner(worker_pids).get(inode or -1)
        if owner is not None and len(by_worker[owner]) < PER_WORKER:
            by_worker[owner].append(conn)
        else:
            spare.append(conn)
    bad = 0

    Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]

    async def walk(conn: Conn, part: list[str]) -> None:
        nonlocal bad
        reader, writer = conn
        for start in range(0, len(part), PIPELINE):
            chunk = part[start:start + PIPELINE]
            writer.write(b"".join(f"GET {prefix}{user} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n"
                                  .encode() for user in chunk))
            for _ in chunk:
                if await _answer(reader) != 200:
                    bad += 1

    jobs = []
    for conns in by_worker.values():
        for index, conn in enumerate(conns):
            jobs.append(walk(conn, users[index::len(conns)]))
    await asyncio.gather(*jobs)
    for conn in [c for conns in by_worker.values() for c in conns] + spare:
        conn[1].close()
    return {
        "workers_covered": sum(1 for pid in worker_pids if by_worker.get(pid)),
        "workers": len(worker_pids),
        "requests": len(users) * sum(1 for pid in worker_pids if by_worker.get(pid)),
        "non_200": bad,
        "seconds": round(time.perf_counter() - started, 1),
    }
