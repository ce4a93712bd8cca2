"""Abuse limits: a push rate per product (429 + Retry-After), capped bodies (413), bounded queues.

A product that pushes too fast, or a client that uploads too much, gets a clear 4xx at
once and costs the service nothing it keeps: nothing of a refused request is stored, and
no queue grows past its configured bound.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio as aioredis

from homewidgets.bootstrap import build_runtime
from homewidgets.config import Settings
from homewidgets.inbound.http.app import create_app
from homewidgets.outbound.memory_streams import MemoryRefreshQueue
from inprocess import CARD, Service, auth, in_process_service

USER = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
PUT = f"/v1/products/energy/widgets/{USER}"
JSON = {"content-type": "application/json"}


@pytest.fixture
async def limited() -> AsyncIterator[Service]:
    """Two pushes per second per product (burst of two), from the environment variable."""
    settings = Settings.from_environ({"HOMEWIDGETS_PUSH_RATE_PER_PRODUCT": "2"})
    assert settings.push_rate_per_product == 2.0
    async with in_process_service(settings) as service:
        yield service


async def push(service: Service, version: int, product: str = "energy") -> httpx.Response:
    return await service.http.put(
        f"/v1/products/{product}/widgets/{USER}",
        json={"content": CARD, "version": version},
        headers=auth(product),
    )


# -- rate limit ---------------------------------------------------------------------------


async def test_a_product_over_its_push_rate_gets_429_with_retry_after_and_nothing_stored(
    limited: Service,
) -> None:
    assert [(await push(limited, v)).status_code for v in (1, 2)] == [200, 200]
    refused = await push(limited, 3)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"] == "rate_limited"
    retry_after = refused.headers["retry-after"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 60
    stored = await limited.store.user_widgets(USER)
    assert stored["energy"].version == 2  # the refused push left no trace


async def test_the_limit_is_per_product_and_refills_with_time(limited: Service) -> None:
    for version in (1, 2):
        await push(limited, version)
    assert (await push(limited, 3)).status_code == 429
    assert (await push(limited, 1, product="car_insurance")).status_code == 200
    await asyncio.sleep(0.6)  # one token back at 2 per second
    assert (await push(limited, 3)).status_code == 200


async def test_pushes_without_the_products_token_do_not_spend_its_budget(
    limited: Service,
) -> None:
    for _ in range(5):
        stranger = await limited.http.put(PUT, json={"content": CARD}, headers=auth("flights"))
        assert stranger.status_code == 403
    assert (await push(limited, 1)).status_code == 200


async def test_batches_and_deletes_count_against_the_same_rate(limited: Service) -> None:
    batch = {"items": [{"user_id": USER, "content": CARD, "version": 1}]}
    url = "/v1/products/energy/widgets:batch"
    assert (await limited.http.post(url, json=batch, headers=auth("energy"))).status_code == 200
    assert (await limited.http.delete(PUT, headers=auth("energy"))).status_code == 200
    third = await limited.http.post(url, json=batch, headers=auth("energy"))
    assert third.status_code == 429
    assert "retry-after" in third.headers


async def test_without_a_configured_rate_pushes_are_not_limited() -> None:
    async with in_process_service() as service:
        statuses = {(await push(service, v)).status_code for v in range(1, 51)}
    assert statuses == {200}


# -- body limits ---------------------------------------------------------------------------


def oversized_put(size: int) -> bytes:
    body = json.dumps({"content": {"type": "text", "text": "x"}, "pad": "y" * size})
    return body.encode()


async def chunks(body: bytes, size: int = 16 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def test_a_push_body_over_the_limit_is_413_from_its_declared_length(
    service: Service,
) -> None:
    body = oversized_put(200_000)
    response = await service.http.put(PUT, content=body, headers={**auth("energy"), **JSON})
    assert response.status_code == 413, response.text
    assert response.json()["problems"][0]["pointer"] == ""
    assert service.store.changes == []


async def test_a_streamed_body_without_a_length_is_cut_off_at_the_limit(
    service: Service,
) -> None:
    body = oversized_put(500_000)
    response = await service.http.put(PUT, content=chunks(body), headers={**auth("energy"), **JSON})
    assert "content-length" not in response.request.headers  # chunked: the size is unknown
    assert response.status_code == 413, response.text
    assert service.store.changes == []


async def test_a_batch_body_over_its_limit_is_413_and_stores_no_item(service: Service) -> None:
    item = json.dumps({"user_id": USER, "content": {"type": "text", "text": "x" * 60_000}})
    body = ('{"items": [' + ",".join([item] * 1000) + "]}").encode()  # 60 MB: over any cap
    response = await service.http.post(
        "/v1/products/energy/widgets:batch", content=body, headers={**auth("energy"), **JSON}
    )
    assert response.status_code == 413, (len(body), response.text[:200])
    assert service.store.changes == []


@pytest.mark.parametrize("path", ["/v1/events", "/v1/schema/validate"])
async def test_public_post_endpoints_refuse_huge_bodies_with_413(
    service: Service, path: str
) -> None:
    body = b'{"events": [' + b'{"type": "click"},' * 100_000 + b"{}]}"  # 1.8 MB
    response = await service.http.post(path, content=body, headers=JSON)
    assert response.status_code == 413, response.text[:300]


async def test_an_unauthenticated_huge_upload_is_refused_before_it_is_read(
    service: Service,
) -> None:
    """Authentication comes first: a stranger cannot make the service buffer megabytes."""
    read: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        for _ in range(100):
            read.append(1)
            yield b"x" * 65536

    response = await service.http.put(PUT, content=body(), headers=JSON)
    assert response.status_code == 401
    assert len(read) < 100


# -- bounded queues ------------------------------------------------------------------------


async def read_cold_users(http: httpx.AsyncClient, count: int) -> None:
    for _ in range(count // 50):
        users = [str(uuid.uuid4()) for _ in range(50)]
        answers = await asyncio.gather(*(http.get(f"/v1/home/{u}") for u in users))
        assert {a.status_code for a in answers} == {200}


async def test_the_embedded_refresh_queue_keeps_at_most_its_maxlen() -> None:
    settings = Settings(refresh_stream_maxlen=100, embedded_worker=False)
    async with in_process_service(settings) as service:
        await read_cold_users(service.http, 1000)
        await service.runtime.refresher.flush()
        queue = service.runtime.queue
        assert isinstance(queue, MemoryRefreshQueue)
        assert 0 < len(queue.new) <= 100


@pytest.mark.redis
async def test_the_refresh_stream_on_redis_is_trimmed_to_about_its_maxlen(
    redis_url: str,
) -> None:
    """XADD MAXLEN ~ trims whole stream nodes (100 entries each by default): allow one."""
    settings = Settings(redis_url=redis_url, refresh_stream_maxlen=200, embedded_worker=False)
    runtime = build_runtime(settings)
    app = create_app(runtime)
    await runtime.start()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            await read_cold_users(http, 1500)
        await runtime.refresher.flush()
        async with aioredis.Redis.from_url(redis_url) as check:
            length = await check.xlen(f"{settings.namespace}refresh")
        assert runtime.refresher.enqueued >= 1000
        assert 0 < length <= 200 + 100, length
    finally:
        await runtime.stop()


async def test_the_read_paths_refresh_buffer_drops_rather_than_grows(service: Service) -> None:
    """While the queue is unreachable, requests wait in a bounded buffer, then are dropped."""
    refresher = service.runtime.refresher
    await refresher.stop()  # nothing drains the buffer now
    refresher.max_pending = 20
    await read_cold_users(service.http, 100)
    assert len(refresher._pending) <= 20
    assert refresher.dropped >= 80
