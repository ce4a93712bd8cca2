"""`GET /metrics` after real traffic: the named series are there, with the values it implies.

The app runs in-process (httpx over ASGI); the scrape is parsed with prometheus_client's
own text parser, so what is asserted is what Prometheus would read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from homewidgets.config import Settings
from inprocess import CARD, Service, auth, in_process_service

USER = "6b1f3c2e-8f4a-4d2b-9c1e-2a3b4c5d6e7f"
COLD_USER = "0d9e8f7a-6b5c-4d3e-8f2a-1b2c3d4e5f60"
HOME = "/v1/home/{user_id}"
COMPAT = "/get_recommendations/{user_id}"
PUT_ROUTE = "/v1/products/{product}/widgets/{user_id}"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
async def service() -> AsyncIterator[Service]:
    settings = Settings(generic_ttl_seconds=0.2, embedded_worker=False)
    async with in_process_service(settings) as running:
        yield running


async def scrape(service: Service) -> Samples:
    response = await service.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[sample.name, frozenset(sample.labels.items())] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    key = (name, frozenset(labels.items()))
    assert key in samples, f"no sample {name}{labels}; have {sorted(n for n, _ in samples)}"
    return samples[key]


async def test_read_path_requests_are_counted_by_route_and_status_with_latencies(
    service: Service,
) -> None:
    # A product pushes one widget, then the user's page is read: once cold (L1 miss),
    # once warm, once revalidated with its ETag, once in the old shape; plus one bad id.
    pushed = await service.http.put(f"/v1/products/energy/widgets/{USER}",
                                    json={"content": CARD}, headers=auth("energy"))
    assert pushed.status_code == 200
    first = await service.http.get(f"/v1/home/{USER}")
    await service.http.get(f"/v1/home/{USER}")
    revalidated = await service.http.get(f"/v1/home/{USER}",
                                         headers={"if-none-match": first.headers["etag"]})
    assert revalidated.status_code == 304
    await service.http.get(f"/get_recommendations/{USER}")
    assert (await service.http.get("/v1/home/not-a-uuid")).status_code == 422

    samples = await scrape(service)

    requests = "homewidgets_http_requests_total"
    assert value(samples, requests, route=HOME, method="GET", status="200") == 2
    assert value(samples, requests, route=HOME, method="GET", status="304") == 1
    assert value(samples, requests, route=HOME, method="GET", status="422") == 1
    assert value(samples, requests, route=COMPAT, method="GET", status="200") == 1
    assert value(samples, requests, route=PUT_ROUTE, method="PUT", status="200") == 1

    latency = "homewidgets_http_request_duration_seconds"
    count = value(samples, latency + "_count", route=HOME, method="GET")
    assert count == 4
    assert value(samples, latency + "_bucket", route=HOME, method="GET", le="+Inf") == count
    assert 0 < value(samples, latency + "_sum", route=HOME, method="GET") < 5
    # An in-process read takes well under a second: the 1 s bucket already holds them all.
    assert value(samples, latency + "_bucket", route=HOME, method="GET", le="1.0") == count
    assert value(samples, latency + "_count", route=PUT_ROUTE, method="PUT") == 1


async def test_l1_hit_ratio_and_l2_latency_follow_the_reads(service: Service) -> None:
    # Three reads of one user: the first misses L1 and reads L2, the others hit.
    for _ in range(3):
        await service.http.get(f"/v1/home/{USER}")

    samples = await scrape(service)

    assert value(samples, "homewidgets_l1_lookups_total") == 3
    assert value(samples, "homewidgets_l1_hits_total") == 2
    assert value(samples, "homewidgets_l1_hit_ratio") == pytest.approx(2 / 3)
    assert value(samples, "homewidgets_l1_entries") >= 1
    assert value(samples, "homewidgets_home_loads_total") == 1
    reads = value(samples, "homewidgets_l2_request_duration_seconds_count",
                  operation="user_widgets")
    assert reads == 1
    assert value(samples, "homewidgets_l2_errors_total", operation="user_widgets") == 0


async def test_an_unreachable_l2_shows_as_errors_and_degraded_homes(service: Service) -> None:
    service.store.down = True
    response = await service.http.get(f"/v1/home/{USER}")
    assert response.status_code == 200  # the read path degrades, it does not fail

    samples = await scrape(service)

    assert value(samples, "homewidgets_l2_errors_total", operation="user_widgets") == 1
    assert value(samples, "homewidgets_home_degraded_total") == 1


async def test_pushes_and_rejections_are_counted_per_product(service: Service) -> None:
    url = f"/v1/products/hotels/widgets/{USER}"
    await service.http.put(url, json={"content": CARD}, headers=auth("hotels"))
    await service.http.put(url, json={"content": {"type": "marquee"}}, headers=auth("hotels"))
    await service.http.put(url, json={"content": CARD}, headers=auth("flights"))  # wrong token
    batch = {"items": [{"user_id": USER, "content": CARD},
                       {"user_id": COLD_USER, "content": {"type": "text"}}]}
    await service.http.post("/v1/products/hotels/widgets:batch", json=batch,
                            headers=auth("hotels"))

    samples = await scrape(service)

    assert value(samples, "homewidgets_pushes_total", product="hotels") == 2
    assert value(samples, "homewidgets_pushes_total", product="energy") == 0
    rejections = "homewidgets_push_rejections_total"
    assert value(samples, rejections, product="hotels", reason="invalid_widget") == 2
    assert value(samples, rejections, product="hotels", reason="forbidden") == 1


async def test_cold_reads_show_in_the_refresh_counters_and_queue(service: Service) -> None:
    # A user nobody pushed for: the read asks the products for a refresh, in the background.
    await service.http.get(f"/v1/home/{COLD_USER}")
    await service.runtime.refresher.flush()

    samples = await scrape(service)

    refresh = "homewidgets_refresh_requests_total"
    assert value(samples, refresh, outcome="requested") == 1
    assert value(samples, refresh, outcome="enqueued") == 1
    assert value(samples, refresh, outcome="dropped") == 0
    # No worker runs in this test, so the request waits in the queue.
    assert value(samples, "homewidgets_refresh_queue_length") == 1
    assert value(samples, "homewidgets_refresh_queue_undelivered") == 1
    assert 0 <= value(samples, "homewidgets_refresh_queue_lag_seconds") < 10


async def test_breaker_states_are_reported_per_product(service: Service) -> None:
    # What an in-process refresh worker registers: its product backends' breakers.
    service.runtime.metrics.watch_breakers(lambda: {"energy": "open", "hotels": "closed"})

    samples = await scrape(service)

    state = "homewidgets_breaker_state"
    assert value(samples, state, product="energy", state="open") == 1
    assert value(samples, state, product="energy", state="closed") == 0
    assert value(samples, state, product="hotels", state="closed") == 1
    assert value(samples, "process_resident_memory_bytes") > 0
