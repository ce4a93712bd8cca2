"""`GET /metrics`: the Prometheus exposition, built at scrape time from plain counters.

No prometheus_client object is touched per request: the read path and the control plane
bump the ints in `homewidgets.metrics`, and `RuntimeCollector.collect` turns them into
metric families when Prometheus asks (once every few seconds). Figures that need I/O
(the refresh queue's backlog in Redis) are read by the endpoint just before collecting.
Every figure is per process: scrape each instance (and each granian worker) on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from homewidgets import __version__
from homewidgets.metrics import COMPAT_ROUTE, HOME_ROUTE, Histogram, RouteStats
from homewidgets.observability.backlog import Backlog, read_backlog
from homewidgets.runtime import Runtime

BREAKER_STATES = ("closed", "open", "half_open")


class MetricsApi:
    """Lives as long as the app; owns its own registry (never the global one, so several
    apps in one test process do not collide)."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._collector = RuntimeCollector(runtime)
        self._registry = CollectorRegistry(auto_describe=False)
        self._registry.register(self._collector)
        ProcessCollector(registry=self._registry)

    def routes(self) -> list[Route]:
        return [Route("/metrics", self.metrics, methods=["GET"])]

    async def metrics(self, _request: Request) -> Response:
        self._collector.backlog = await read_backlog(self._runtime.queue)
        return Response(generate_latest(self._registry), media_type=CONTENT_TYPE_LATEST)


class RuntimeCollector(Collector):
    """Reads one Runtime's counters into metric families; called by the registry per scrape."""

    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self.backlog: Backlog | None = None

    def collect(self) -> Iterable[Metric]:
        yield from self._http()
        yield from self._l1()
        yield from self._l2()
        yield from self._refresh()
        yield from self._push()
        yield from self._breakers()
        info = InfoMetricFamily("homewidgets_build", "The running version.")
        info.add_metric([], {"version": __version__})
        yield info

    def _http(self) -> Iterator[Metric]:
        metrics = self._rt.metrics
        routes: list[tuple[str, str, RouteStats]] = [
            (HOME_ROUTE, "GET", metrics.read_path.home),
            (COMPAT_ROUTE, "GET", metrics.read_path.compat),
            *((route, method, stats) for (method, route), stats in metrics.control.items()),
        ]
        requests = CounterMetricFamily(
            "homewidgets_http_requests", "HTTP requests answered, by route template and status.",
            labels=["route", "method", "status"],
        )
        latency = HistogramMetricFamily(
            "homewidgets_http_request_duration_seconds",
            "Time from request to the last byte sent, by route template (HEAD counts as GET "
            "on the read path; an events stream counts when it closes).",
            labels=["route", "method"],
        )
        for route, method, stats in routes:
            for status, count in sorted(stats.statuses.items()):
                requests.add_metric([route, method, str(status)], count)
            _add_histogram(latency, [route, method], stats.latency)
        yield requests
        yield latency

    def _l1(self) -> Iterator[Metric]:
        rt = self._rt
        stats = rt.metrics.read_path
        hits = max(stats.l1_lookups - stats.l1_misses, 0)
        yield _counter("homewidgets_l1_lookups", "Home lookups in L1 by the read path.",
                       stats.l1_lookups)
        yield _counter("homewidgets_l1_hits", "Home lookups L1 answered.", hits)
        yield _gauge("homewidgets_l1_hit_ratio",
                     "L1 hits / lookups since start (0 before the first lookup).",
                     hits / stats.l1_lookups if stats.l1_lookups else 0.0)
        yield _gauge("homewidgets_l1_entries", "Homes held in L1.", len(rt.cache))
        weighted = getattr(rt.cache, "weighted_size", None)
        if callable(weighted):
            yield _gauge("homewidgets_l1_weighted_bytes",
                         "L1's weighed size (body bytes plus room for gzip and overhead).",
                         float(weighted()))
        yield _counter("homewidgets_home_loads",
                       "Homes built from L2 after an L1 miss (concurrent misses share one).",
                       rt.reader.loads)
        yield _counter("homewidgets_home_degraded",
                       "Homes served without L2 (L2 down): generic widgets, not personalised.",
                       rt.reader.degraded)
        yield _gauge("homewidgets_events_streams", "Open events (SSE) streams.",
                     len(rt.reader.watchers))

    def _l2(self) -> Iterator[Metric]:
        latency = HistogramMetricFamily(
            "homewidgets_l2_request_duration_seconds", "L2 (Redis/Valkey) calls, by operation.",
            labels=["operation"],
        )
        errors = CounterMetricFamily(
            "homewidgets_l2_errors", "L2 calls that failed (unreachable or timed out).",
            labels=["operation"],
        )
        for operation, stats in sorted(self._rt.metrics.l2.items()):
            _add_histogram(latency, [operation], stats.latency)
            errors.add_metric([operation], stats.errors)
        yield latency
        yield errors

    def _refresh(self) -> Iterator[Metric]:
        refresher = self._rt.refresher
        requests = CounterMetricFamily(
            "homewidgets_refresh_requests",
            "Cold-user refresh requests: noted by the read path, queued (new within the dedup "
            "window) or dropped (buffer full or queue unreachable).",
            labels=["outcome"],
        )
        requests.add_metric(["requested"], refresher.requested)
        requests.add_metric(["enqueued"], refresher.enqueued)
        requests.add_metric(["dropped"], refresher.dropped)
        yield requests
        backlog = self.backlog
        if backlog is None:
            return
        yield _gauge("homewidgets_refresh_queue_length",
                     "Entries in the refresh queue (undelivered + unacknowledged).",
                     backlog.length)
        yield _gauge("homewidgets_refresh_queue_undelivered",
                     "Entries no worker has received yet (the consumer group's lag).",
                     backlog.undelivered)
        yield _gauge("homewidgets_refresh_queue_pending",
                     "Entries a worker received and has not acknowledged.", backlog.pending)
        yield _gauge("homewidgets_refresh_queue_lag_seconds",
                     "Age of the oldest undelivered entry (0 when there is none).",
                     backlog.oldest_age_seconds)

    def _push(self) -> Iterator[Metric]:
        metrics = self._rt.metrics
        pushes = CounterMetricFamily("homewidgets_pushes", "Widgets stored, by product.",
                                     labels=["product"])
        for product in self._rt.registry:
            pushes.add_metric([product.id], metrics.pushes.get(product.id, 0))
        rejections = CounterMetricFamily(
            "homewidgets_push_rejections", "Pushes refused, by product and error code.",
            labels=["product", "reason"],
        )
        for (product_id, reason), count in sorted(metrics.rejections.items()):
            rejections.add_metric([product_id, reason], count)
        yield pushes
        yield rejections

    def _breakers(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "homewidgets_breaker_state",
            "Circuit breaker per product backend: 1 for its current state, 0 for the others.",
            labels=["product", "state"],
        )
        for product, current in sorted(self._rt.metrics.breaker_states().items()):
            for state in BREAKER_STATES:
                family.add_metric([product, state], 1.0 if state == current else 0.0)
        yield family


def _add_histogram(family: HistogramMetricFamily, labels: list[str], hist: Histogram) -> None:
    family.add_metric(labels, buckets=hist.cumulative(), sum_value=hist.total)


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, value=value)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)
