"""The composition root: build a Runtime from Settings, real adapters unless given fakes.

Tests pass in-memory adapters (`build_runtime(settings, store=MemoryWidgetStore())`);
production passes nothing and gets Redis when `redis_url` is set, the embedded
in-process L2 otherwise. No client is opened at import time; clients connect lazily
and are closed by `Runtime.stop()`.
"""

from __future__ import annotations

from homewidgets.config import Settings
from homewidgets.domain.generic import GenericWidgets
from homewidgets.domain.limits import PushLimiter
from homewidgets.domain.live import HomeWatchers
from homewidgets.domain.model import Registry
from homewidgets.domain.ports import (
    ChangeFeed,
    EventLog,
    HomeCache,
    RefreshQueue,
    UserAuthenticator,
    WidgetStore,
)
from homewidgets.domain.push import WidgetParser
from homewidgets.domain.read_home import HomeReader
from homewidgets.domain.refresh_requests import RefreshRequester
from homewidgets.domain.sdui import ContentValidator
from homewidgets.metrics import Metrics
from homewidgets.observability.store import InstrumentedStore
from homewidgets.outbound.l1_cache import MokaHomeCache
from homewidgets.registry import demo_registry, load_registry
from homewidgets.runtime import Background, Runtime


def load_settings_registry(settings: Settings) -> Registry:
    if settings.products_file:
        return load_registry(settings.products_file)
    return demo_registry(settings.products_url)


def build_runtime(
    settings: Settings,
    *,
    registry: Registry | None = None,
    store: WidgetStore | None = None,
    feed: ChangeFeed | None = None,
    queue: RefreshQueue | None = None,
    events: EventLog | None = None,
    cache: HomeCache | None = None,
) -> Runtime:
    registry = registry or load_settings_registry(settings)
    closers: list[Background] = []
    background: list[Background] = []
    push_store: WidgetStore | None = None
    if settings.redis_url and store is None:
        from homewidgets.outbound import redis_wiring

        wired = redis_wiring.wire(settings)
        store, feed, push_store = wired.store, wired.feed, wired.push_store
        queue = queue or wired.queue
        events = events or wired.events
        closers.append(wired.aclose)
    else:
        from homewidgets.outbound import memory_wiring

        wired_memory = memory_wiring.wire(settings, store=store)
        store = wired_memory.store
        feed = feed or wired_memory.feed
        queue = queue or wired_memory.queue
        events = events or wired_memory.events
    assert feed is not None and queue is not None and events is not None

    metrics = Metrics()
    store = InstrumentedStore(store, metrics)
    if push_store is not None:
        push_store = InstrumentedStore(push_store, metrics)
    validator = ContentValidator(
        allowed_schemes=settings.allowed_app_schemes,
        max_bytes=settings.max_content_bytes,
        max_depth=settings.max_depth,
    )
    parser = WidgetParser(validator)
    generic = GenericWidgets()
    refresher = RefreshRequester(queue, window_seconds=settings.refresh_window_seconds)
    cache = cache or MokaHomeCache(settings.l1_max_bytes)
    reader = HomeReader(
        registry=registry,
        store=store,
        cache=cache,
        generic=generic,
        refresher=refresher,
        watchers=HomeWatchers(),
    )
    runtime = Runtime(
        settings=settings,
        registry=registry,
        store=store,
        feed=feed,
        queue=queue,
        events=events,
        cache=cache,
        generic=generic,
        refresher=refresher,
        reader=reader,
        validator=validator,
        parser=parser,
        push_limiter=PushLimiter(settings.push_rate_per_product),
        metrics=metrics,
        push_store=push_store,
        authenticator=_authenticator(settings),
        background=background,
        closers=closers,
    )
    if settings.runs_embedded_worker:
        from homewidgets.inbound.worker import embedded_worker

        runtime.background.append(embedded_worker(runtime))
    return runtime


def _authenticator(settings: Settings) -> UserAuthenticator | None:
    if not settings.jwt_jwks:
        return None
    from homewidgets.outbound.jwt_auth import JwtAuthenticator

    return JwtAuthenticator(
        settings.jwt_jwks, audience=settings.jwt_audience, issuer=settings.jwt_issuer
    )
