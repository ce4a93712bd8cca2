"""`homewidgets worker`, and the same worker embedded in the service when L2 is in-process.

A thin translator, like the push handlers: it wires the adapters (Redis stream consumer,
HTTP product backend, the store), runs `RefreshWorker.run` and maps signals to a stop.
Any number of workers can run: they share the stream's consumer group `hw-workers`,
and one that dies leaves its unacknowledged requests to be claimed by the others.

SIGTERM/SIGINT: stop receiving, finish and acknowledge the batches in flight, exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict

from homewidgets.config import Settings
from homewidgets.domain.model import Registry
from homewidgets.domain.ports import RefreshConsumer, WidgetStore
from homewidgets.domain.push import WidgetParser
from homewidgets.domain.refresh import RefreshWorker
from homewidgets.domain.sdui import ContentValidator
from homewidgets.outbound.products_http import HttpProductBackend, new_client
from homewidgets.runtime import Runtime

__all__ = ["EmbeddedWorker", "build_worker", "embedded_worker", "run_worker"]

log = logging.getLogger("homewidgets.worker")

STATS_EVERY_SECONDS = 30.0
WORKER_REDIS_TIMEOUT_SECONDS = 2.0


def run_worker(settings: Settings) -> int:
    """The `homewidgets worker` command: run until SIGTERM/SIGINT; 0 on a clean stop."""
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per pull call is noise
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency off Windows
        asyncio.run(_serve(settings))
    else:
        uvloop.run(_serve(settings))
    return 0


async def _serve(settings: Settings) -> None:
    from homewidgets.bootstrap import load_settings_registry
    from homewidgets.outbound import redis_wiring

    registry = load_settings_registry(settings)
    wired = redis_wiring.wire(patient(settings))
    consumer = wired.consumer(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    worker: RefreshWorker | None = None
    backend: HttpProductBackend | None = None
    try:
        async with new_client(settings.product_timeout_seconds) as client:
            backend = HttpProductBackend(
                client, registry, timeout_seconds=settings.product_timeout_seconds
            )
            worker = build_worker(
                settings, registry=registry, consumer=consumer, store=wired.store,
                backend=backend,
            )  # fmt: skip
            log.warning(
                "refresh worker %s started: batch %d, product timeout %.1f s, claim idle %d ms",
                consumer.consumer, worker.batch_size, settings.product_timeout_seconds,
                settings.claim_idle_ms,
            )  # fmt: skip
            if settings.claim_idle_ms < 1000 * backend.budget_seconds:
                log.warning(
                    "claim idle %d ms is shorter than a pull's budget (%.1f s): a slow batch "
                    "may be claimed and pulled again by another worker",
                    settings.claim_idle_ms, backend.budget_seconds,
                )  # fmt: skip
            reporter = asyncio.create_task(_report(worker, stop))
            await worker.run(stop)
            await reporter
    finally:
        await wired.aclose()
        if worker is not None and backend is not None:
            log.warning(
                "refresh worker stopped: %s; breakers: %s",
                asdict(worker.counters), backend.summary(),
            )  # fmt: skip


def patient(settings: Settings) -> Settings:
    """The worker's Redis timeouts: longer than the read path's, as nobody waits on it.

    A read must degrade within milliseconds; a refresh had better wait a second for
    L2 than fail and leave its requests to a redelivery after `claim_idle_ms`.
    """
    return dataclasses.replace(
        settings,
        redis_timeout_seconds=max(settings.redis_timeout_seconds, WORKER_REDIS_TIMEOUT_SECONDS),
        redis_connect_timeout_seconds=max(
            settings.redis_connect_timeout_seconds, WORKER_REDIS_TIMEOUT_SECONDS
        ),
    )


def build_worker(
    settings: Settings,
    *,
    registry: Registry,
    consumer: RefreshConsumer,
    store: WidgetStore,
    backend: HttpProductBackend,
    parser: WidgetParser | None = None,
) -> RefreshWorker:
    """A RefreshWorker with the service's validation rules (the same ones as a push)."""
    if parser is None:
        parser = WidgetParser(
            ContentValidator(
                allowed_schemes=settings.allowed_app_schemes,
                max_bytes=settings.max_content_bytes,
                max_depth=settings.max_depth,
            )
        )
    return RefreshWorker(
        consumer=consumer,
        backend=backend,
        parser=parser,
        store=store,
        registry=registry,
        batch_size=settings.worker_batch_size,
    )


async def _report(worker: RefreshWorker, stop: asyncio.Event) -> None:
    """Log the counters now and then (at info), so an operator sees the worker work."""
    last = None
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), STATS_EVERY_SECONDS)
        now = asdict(worker.counters)
        if now != last:
            log.info("refresh worker at %.0f: %s", time.time(), now)
            last = now


def embedded_worker(runtime: Runtime) -> EmbeddedWorker:
    """A background runner for `Runtime.background`: the worker inside the service process."""
    return EmbeddedWorker(runtime)


class EmbeddedWorker:
    """The refresh worker as one of the service's background tasks; lives as long as the app.

    With the embedded L2 it consumes the in-process queue (`runtime.queue`); with Redis
    (HOMEWIDGETS_EMBEDDED_WORKER=true) it joins the stream's consumer group like a
    `homewidgets worker` would. It runs until the runtime cancels it at shutdown;
    `worker` (its counters) is there once it runs, for metrics.
    """

    __name__ = "refresh-worker"  # the task's name in Runtime.start

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.worker: RefreshWorker | None = None

    async def __call__(self) -> None:
        runtime, settings = self.runtime, self.runtime.settings
        closers: list[Callable[[], Awaitable[None]]] = []
        consumer = _embedded_consumer(runtime, closers)
        try:
            async with new_client(settings.product_timeout_seconds) as client:
                backend = HttpProductBackend(
                    client, runtime.registry, timeout_seconds=settings.product_timeout_seconds
                )
                runtime.metrics.watch_breakers(
                    lambda: {p: b.state for p, b in backend.breakers.items()}
                )
                self.worker = build_worker(
                    settings, registry=runtime.registry, consumer=consumer,
                    store=runtime.writer, backend=backend, parser=runtime.parser,
                )  # fmt: skip
                await self.worker.run(asyncio.Event())  # never set: cancelled at shutdown
        finally:
            for close in closers:
                await close()


def _embedded_consumer(
    runtime: Runtime, closers: list[Callable[[], Awaitable[None]]]
) -> RefreshConsumer:
    from homewidgets.outbound.memory_streams import MemoryRefreshQueue

    settings = runtime.settings
    if isinstance(runtime.queue, MemoryRefreshQueue):
        return runtime.queue.consumer(claim_idle_ms=settings.claim_idle_ms)
    if not settings.redis_url:
        raise RuntimeError(f"no consumer for a {type(runtime.queue).__name__} refresh queue")
    from homewidgets.outbound.redis_streams import RedisRefreshConsumer

    consumer = RedisRefreshConsumer.from_url(
        settings.redis_url, namespace=settings.namespace, claim_idle_ms=settings.claim_idle_ms
    )
    closers.append(consumer.aclose)
    return consumer
