"""The production HTTP surface on granian's RSGI interface.

Measured here (docs/PERFORMANCE.md, bench/floor_run.py): the thinnest RSGI app costs
about 12 CPU µs per request less than the thinnest ASGI app, a quarter of what the
whole service may spend per read to reach 60 % of nginx. RSGI answers with one call,
`protocol.response_bytes(status, headers, body)`: no scope dict, no awaited sends. So the
read routes are served natively, an L1 hit without a single suspension, and every other
route goes through `AsgiBridge` to the Starlette control plane, unchanged.
"""

from __future__ import annotations

import asyncio
import os
import signal
from time import perf_counter
from typing import Protocol

from homewidgets.inbound.http.asgi_types import ASGIApp
from homewidgets.inbound.http.read_path import HomeReads, record
from homewidgets.inbound.http.rsgi_bridge import AsgiBridge, RsgiProtocol, RsgiScope


class Lifecycle(Protocol):
    async def start(self) -> None: ...
    def stopping(self) -> None: ...
    async def stop(self) -> None: ...


class RsgiFront:
    """granian's RSGI target: `__rsgi__` per request, `__rsgi_init__`/`__rsgi_del__` per
    worker. With `reads` None (tracing on) every request, reads included, goes to the
    ASGI app, which then carries its own read path."""

    __slots__ = ("_bridge", "_first_request", "_lifecycle", "_reads")

    def __init__(self, reads: HomeReads | None, asgi: ASGIApp, lifecycle: Lifecycle) -> None:
        self._reads = reads
        self._bridge = AsgiBridge(asgi)
        self._lifecycle = lifecycle
        self._first_request = True

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.run_until_complete(self._lifecycle.start())
        loop.add_signal_handler(signal.SIGTERM, self._on_sigterm)

    def _on_sigterm(self) -> None:
        """granian drains a worker's connections before it tells the app, so an open
        event stream would hold the worker until it is killed (10 s). SIGTERM ends the
        streams first, then hands over to granian's own stop, which it runs for SIGINT
        too (granian/_signals.py: one handler for both)."""
        self._lifecycle.stopping()
        os.kill(os.getpid(), signal.SIGINT)

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.run_until_complete(self._lifecycle.stop())

    async def __rsgi__(self, scope: RsgiScope, protocol: RsgiProtocol) -> None:
        if self._first_request:
            self._first_request = False
            forget_placeholder_task()
        reads = self._reads
        matched = reads.route(scope.path) if reads is not None else None
        if matched is None:
            if scope.proto == "http":
                await self._bridge(scope, protocol)
            return
        assert reads is not None
        started = perf_counter()
        raw_id, compat, route = matched
        method = scope.method
        headers = scope.headers
        status, reply_headers, body = reads.hit(
            method, raw_id, compat, headers.get("if-none-match"), headers.get("accept-encoding")
        ) or await reads.answer(
            method, raw_id, compat, headers.get("if-none-match"),
            headers.get("accept-encoding"), headers.get("authorization"),
        )  # fmt: skip
        protocol.response_bytes(status, reply_headers, body)
        record(route, status, started)


def forget_placeholder_task() -> None:
    """granian's Rust task stepping makes one placeholder Task per worker current while it
    steps a request, and registers it with asyncio without initialising it, so
    `asyncio.all_tasks()` raises in that process ("Future object is not initialized"),
    and anyio's `to_thread`, which Starlette's file responses use, with it. Being current
    is all the placeholder needs; unregistered, it is invisible to `all_tasks()`. A real
    Task (granian's asyncio mode, tests) is left alone."""
    task = asyncio.current_task()
    if task is None:
        return
    try:
        task.get_loop()
    except RuntimeError:
        asyncio.tasks._unregister_task(task)
