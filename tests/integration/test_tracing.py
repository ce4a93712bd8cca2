"""Optional OpenTelemetry tracing: nothing at all when off, a server span per request when on."""

from __future__ import annotations

import httpx
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from homewidgets.bootstrap import build_runtime
from homewidgets.config import Settings
from homewidgets.inbound.http.app import create_app
from homewidgets.observability.tracing import traced

USER = "6b1f3c2e-8f4a-4d2b-9c1e-2a3b4c5d6e7f"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_tracing_off_leaves_the_app_untouched() -> None:
    app = create_app(build_runtime(Settings()))
    assert traced(app, enabled=False) is app  # no wrapper: zero cost on the read path


async def test_tracing_on_makes_a_span_per_request_that_continues_the_callers_trace() -> None:
    exporter = InMemorySpanExporter()
    runtime = build_runtime(Settings(embedded_worker=False))
    app = traced(create_app(runtime), enabled=True, processor=SimpleSpanProcessor(exporter))
    await runtime.start()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            parent = {"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"}
            assert (await http.get(f"/v1/home/{USER}", headers=parent)).status_code == 200
            assert (await http.get("/v1/products")).status_code == 200
            assert (await http.get("/nowhere")).status_code == 404
    finally:
        await runtime.stop()

    home, products, missing = exporter.get_finished_spans()
    assert home.name == "GET /v1/home/{user_id}"
    assert home.context is not None and f"{home.context.trace_id:032x}" == TRACE_ID
    assert home.attributes is not None and home.attributes["http.response.status_code"] == 200
    assert products.name == "GET /v1/products"
    assert products.attributes is not None and products.attributes["http.route"] == "/v1/products"
    assert missing.name == "GET"  # no route: never the raw path (unbounded span names)
