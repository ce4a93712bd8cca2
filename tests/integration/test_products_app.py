"""The simulated products' app in-process: pull endpoint, faults, stats, and its talk
with a fake home service (a Starlette app in this file that records what it gets).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from homewidgets.domain.errors import InvalidWidget
from homewidgets.domain.sdui import ContentValidator
from homewidgets.products import PRODUCT_IDS, personalised_widget
from homewidgets.products.app import BackendSettings, build_app
from homewidgets.products.simulator import DEMO_USER_IDS, Simulator
from homewidgets.registry import demo_token
from processes import Process, free_port, homewidgets_env, start_service
from processes import eventually as process_eventually

QUIET = BackendSettings(push_generics=False, consume_events=False)


def some_users(count: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(count)]


async def eventually(check: Callable[[], bool], within: float = 5.0) -> None:
    """Wait until `check()` holds; fail the test after `within` seconds."""
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


@pytest.fixture
async def backend() -> AsyncIterator[tuple[httpx.AsyncClient, Simulator]]:
    sim = Simulator()
    app = build_app(QUIET, simulator=sim)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://products") as client:
        yield client, sim


# --- the pull endpoint (CONTRACT 5) ---------------------------------------------------


async def test_a_batch_pull_answers_every_user_with_their_personalised_widget(
    backend: tuple[httpx.AsyncClient, Simulator],
) -> None:
    client, _ = backend
    users = some_users(3)
    response = await client.post("/energy/home-widgets:batch", json={"user_ids": users})
    assert response.status_code == 200
    widgets = response.json()["widgets"]
    assert [w["user_id"] for w in widgets] == users
    for w in widgets:
        assert w["content"]["id"] == "energy-personal"
        assert w["content"]["children"] == personalised_widget("energy", w["user_id"])["children"]
        assert isinstance(w["version"], int)


async def test_versions_increase_from_one_answer_to_the_next(
    backend: tuple[httpx.AsyncClient, Simulator],
) -> None:
    client, _ = backend
    user = some_users(1)
    first = (await client.post("/dsl/home-widgets:batch", json={"user_ids": user})).json()
    second = (await client.post("/dsl/home-widgets:batch", json={"user_ids": user})).json()
    assert second["widgets"][0]["version"] > first["widgets"][0]["version"] > 1_600_000_000_000


async def test_deals_are_answered_with_a_ttl_that_ends_with_the_deal(
    backend: tuple[httpx.AsyncClient, Simulator],
) -> None:
    client, _ = backend
    widgets = (
        await client.post("/flights/home-widgets:batch", json={"user_ids": some_users(5)})
    ).json()["widgets"]
    assert all(60 <= w["ttl_seconds"] <= 36 * 3600 for w in widgets)


async def test_pulled_content_passes_the_home_services_validator(
    backend: tuple[httpx.AsyncClient, Simulator],
) -> None:
    client, _ = backend
    validator = ContentValidator()
    for product in PRODUCT_IDS:
        answer = await client.post(
            f"/{product}/home-widgets:batch", json={"user_ids": some_users(10)}
        )
        for widget in answer.json()["widgets"]:
            validator.validate(json.dumps(widget["content"]).encode())


async def test_a_user_asked_twice_in_one_call_is_answered_once(
    backend: tuple[httpx.AsyncClient, Simulator],
) -> None:
    client, _ = backend
    a, b = some_users(2)
    answer = await client.post("/hotels/home-widgets:batch", json={"user_ids": [a, b, a]})
    assert [w["user_id"] for w in answer.json()["widgets"]] == [a, b]


async def test_an_unknown_product_is_404(backend: tuple[httpx.AsyncClient, Simulator]) -> None:
    client, _ = backend
    response = await client.post("/pet_insurance/home-widgets:batch", json={"user_ids": []})
    assert response.status_code == 404
    assert "pet_insurance" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status", "pointer"),
    [
        (b"{not json", 400, ""),
        (b"[]", 422, ""),
        (b"{}", 422, "/user_ids"),
        (b'{"user_ids": "abc"}', 422, "/user_ids"),
        (b'{"user_ids": ["0b6f3d5e-3a3e-4c1e-9d5e-2f6b1c0a9e11", 42]}', 422, "/user_ids/1"),
        (b'{"user_ids": ["not-a-uuid"]}', 422, "/user_ids/0"),
        (json.dumps({"user_ids": some_users(1001)}).encode(), 422, "/user_ids"),
    ],
)
async def test_a_bad_pull_body_is_refused_naming_the_field(
    backend: tuple[httpx.AsyncClient, Simulator], body: bytes, status: int, pointer: str
) -> None:
    client, sim = backend
    response = await client.post("/energy/home-widgets:batch", content=body)
    assert response.status_code == status
    assert response.json()["problems"][0]["pointer"] == pointer
    assert sim.stats["energy"].pull_calls == 0


# --- stats ------------------------------------------------------------------------------


async def test_stats_count_pull_calls_and_users_per_call_per_product(
    backend: tuple[httpx.AsyncClient, Simulator],
) -> None:
    client, _ = backend
    await client.post("/mobile/home-widgets:batch", json={"user_ids": some_users(5)})
    await client.post("/mobile/home-widgets:batch", json={"user_ids": some_users(1)})
    await client.post("/travel/home-widgets:batch", json={"user_ids": some_users(5)})
    stats = (await client.get("/stats")).json()
    mobile = stats["products"]["mobile"]
    assert (mobile["pull_calls"], mobile["pull_users"]) == (2, 6)
    assert mobile["users_per_call"] == [5, 1]
    assert mobile["users_per_call_histogram"] == {"1": 1, "5": 1}
    assert stats["products"]["travel"]["users_per_call"] == [5]
    assert stats["products"]["energy"]["pull_calls"] == 0
    assert stats["totals"]["pull_calls"] == 3


async def test_resetting_stats_starts_the_counts_again(
    backend: tuple[httpx.AsyncClient, Simulator],
) -> None:
    client, _ = backend
    await client.post("/mobile/home-widgets:batch", json={"user_ids": some_users(2)})
    assert (await client.post("/admin/reset-stats")).status_code == 200
    assert (await client.get("/stats")).json()["totals"]["pull_calls"] == 0


async def test_health_is_ok(backend: tuple[httpx.AsyncClient, Simulator]) -> None:
    client, _ = backend
    response = await client.get("/healthz")
    assert response.json()["status"] == "ok"


# --- faults -----------------------------------------------------------------------------


async def test_a_failing_product_answers_503_while_the_others_answer(
    backend: tuple[httpx.AsyncClient, Simulator],
) -> None:
    client, sim = backend
    response = await client.post(
        "/admin/faults", json={"products": {"car_insurance": {"failure_rate": 1}}}
    )
    assert response.json()["effective"]["car_insurance"]["failure_rate"] == 1.0
    users = {"user_ids": some_users(2)}
    assert (await client.post("/car_insurance/home-widgets:batch", json=users)).status_code == 503
    assert (await client.post("/energy/home-widgets:batch", json=users)).status_code == 200
    assert sim.stats["car_insurance"].pull_calls == 1
    assert sim.stats["car_insurance"].pull_failures == 1


async def test_latency_set_at_runtime_delays_only_that_product(
    backend: tuple[httpx.AsyncClient, Simulator],
) -> None:
    client, _ = backend
    await client.post("/admin/faults", json={"products": {"hotels": {"latency_ms": 400}}})
    users = {"user_ids": some_users(1)}
    started = time.monotonic()
    await client.post("/hotels/home-widgets:batch", json=users)
    slow = time.monotonic() - started
    started = time.monotonic()
    await client.post("/flights/home-widgets:batch", json=users)
    fast = time.monotonic() - started
    assert slow >= 0.395
    assert fast < 0.2  # generous: the machine is shared


async def test_a_hanging_product_is_abandoned_by_a_caller_with_a_timeout(
    backend: tuple[httpx.AsyncClient, Simulator],
) -> None:
    client, sim = backend
    await client.post("/admin/faults", json={"failure_rate": 1, "failure_mode": "hang"})
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await client.post("/dsl/home-widgets:batch", json={"user_ids": some_users(1)})
    assert sim.stats["dsl"].pull_calls == 1


async def test_a_bad_fault_setting_is_refused_and_changes_nothing(
    backend: tuple[httpx.AsyncClient, Simulator],
) -> None:
    client, _ = backend
    response = await client.post("/admin/faults", json={"latency_ms": -5})
    assert response.status_code == 422
    assert "latency_ms" in response.json()["detail"]
    assert (await client.get("/admin/faults")).json()["default"] == {
        "latency_ms": 0.0,
        "jitter_ms": 0.0,
        "failure_rate": 0.0,
        "failure_mode": "error",
        "hang_ms": 60000.0,
    }


async def test_faults_reset_to_healthy(backend: tuple[httpx.AsyncClient, Simulator]) -> None:
    client, _ = backend
    await client.post("/admin/faults", json={"failure_rate": 1})
    await client.post("/admin/faults", json={"reset": True})
    answer = await client.post("/travel/home-widgets:batch", json={"user_ids": some_users(1)})
    assert answer.status_code == 200


# --- talking to the home service ----------------------------------------------------------


@dataclass
class FakeHomeService:
    """Records pushes the way the home service would take them: auth, validation, versions.

    `unavailable_for`: answer the first N push calls with 503 (a service still starting).
    Events are kept per product with stream-like ids; `$` means "only what comes next".
    """

    unavailable_for: int = 0
    has_events: bool = True
    generics: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    widgets: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    batch_calls: list[tuple[str, int]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    polls: dict[str, int] = field(default_factory=dict)
    event_requests: dict[str, int] = field(default_factory=dict)
    events: dict[str, list[tuple[str, dict[str, Any]]]] = field(default_factory=dict)
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _validator: ContentValidator = field(default_factory=ContentValidator)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/products/{p}/generic", self._guarded(self.put_generic), methods=["PUT"]),
                Route(
                    "/v1/products/{p}/widgets/{u}", self._guarded(self.put_widget), methods=["PUT"]
                ),
                Route(
                    "/v1/products/{p}/widgets:batch", self._guarded(self.batch), methods=["POST"]
                ),
                Route("/v1/products/{p}/events", self._guarded(self.read_events), methods=["GET"]),
            ]
        )

    async def add_event(self, product: str, event: dict[str, Any]) -> None:
        async with self._arrived:
            self.events.setdefault(product, []).append((f"{next(self._ids)}-0", event))
            self._arrived.notify_all()

    def _guarded(
        self, handler: Callable[[Request, str], Awaitable[JSONResponse]]
    ) -> Callable[[Request], Awaitable[JSONResponse]]:
        async def endpoint(request: Request) -> JSONResponse:
            product = request.path_params["p"]
            if request.headers.get("authorization") != f"Bearer {demo_token(product)}":
                return JSONResponse({"detail": "bad token"}, 403)
            if request.method != "GET" and self.unavailable_for > 0:
                self.unavailable_for -= 1
                return JSONResponse({"detail": "starting"}, 503)
            return await handler(request, product)

        return endpoint

    def _accept(self, product: str, body: dict[str, Any]) -> bool:
        try:
            self._validator.validate(json.dumps(body["content"]).encode())
        except InvalidWidget as exc:
            self.refused.append(f"{product}: {exc}")
            return False
        return isinstance(body.get("version"), int)

    async def put_generic(self, request: Request, product: str) -> JSONResponse:
        body = await request.json()
        if not self._accept(product, body):
            return JSONResponse({"detail": "invalid"}, 422)
        self.generics.setdefault(product, []).append(body)
        return JSONResponse({"version": body["version"]})

    async def put_widget(self, request: Request, product: str) -> JSONResponse:
        body = await request.json()
        if not self._accept(product, body):
            return JSONResponse({"detail": "invalid"}, 422)
        self.widgets.append((product, request.path_params["u"], body))
        return JSONResponse({"version": body["version"]})

    async def batch(self, request: Request, product: str) -> JSONResponse:
        items = (await request.json())["items"]
        self.batch_calls.append((product, len(items)))
        results = []
        for item in items:
            if self._accept(product, item):
                self.widgets.append((product, item["user_id"], item))
                results.append({"user_id": item["user_id"], "version": item["version"]})
            else:
                results.append({"user_id": item["user_id"], "error": "invalid"})
        return JSONResponse({"results": results})

    async def read_events(self, request: Request, product: str) -> JSONResponse:
        self.event_requests[product] = self.event_requests.get(product, 0) + 1
        if not self.has_events:
            return JSONResponse({"detail": "not found"}, 404)
        after = request.query_params["after"]
        wait = int(request.query_params["wait_ms"]) / 1000
        stream = self.events.setdefault(product, [])
        start = (
            len(stream)
            if after == "$"
            else next((i + 1 for i, (eid, _) in enumerate(stream) if eid == after), 0)
        )
        self.polls[product] = self.polls.get(product, 0) + 1
        async with self._arrived:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait_for(lambda: len(stream) > start), wait)
        fresh = stream[start:]
        last = fresh[-1][0] if fresh else (stream[start - 1][0] if start else "0-0")
        return JSONResponse({"events": [{"id": i, "event": e} for i, e in fresh], "last_id": last})


@pytest.fixture
def home() -> FakeHomeService:
    return FakeHomeService()


@contextlib.asynccontextmanager
async def run_backend(
    home: FakeHomeService, settings: BackendSettings, sim: Simulator | None = None
) -> AsyncIterator[Simulator]:
    """The backend app with its lifespan running (background tasks), talking to `home`."""
    sim = sim or Simulator()
    transport = httpx.ASGITransport(app=home.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://home") as http:
        app = build_app(settings, simulator=sim, http=http)
        async with app.router.lifespan_context(app):
            yield sim


async def test_every_generic_widget_is_pushed_on_start_even_if_the_service_starts_later(
    home: FakeHomeService,
) -> None:
    home.unavailable_for = 5
    settings = BackendSettings(consume_events=False)
    async with run_backend(home, settings) as sim:
        await eventually(lambda: len(home.generics) == len(PRODUCT_IDS))
        assert sum(s.generic_pushes for s in sim.stats.by_product.values()) == len(PRODUCT_IDS)
    assert home.unavailable_for == 0
    assert home.refused == []


async def test_generic_widgets_are_pushed_again_with_newer_versions(home: FakeHomeService) -> None:
    settings = BackendSettings(consume_events=False, generic_interval_seconds=0.05)
    async with run_backend(home, settings):
        await eventually(lambda: all(len(home.generics.get(p, [])) >= 2 for p in PRODUCT_IDS))
    versions = [g["version"] for g in home.generics["energy"]]
    assert versions == sorted(set(versions))


async def test_push_mode_pushes_valid_widgets_one_by_one_at_a_low_rate(
    home: FakeHomeService,
) -> None:
    settings = BackendSettings(push_generics=False, consume_events=False, push_rate=20)
    async with run_backend(home, settings) as sim:
        await eventually(lambda: len(home.widgets) >= 8)
        assert sum(s.pushed for s in sim.stats.by_product.values()) >= 8
    assert home.batch_calls == []
    assert home.refused == []
    assert {p for p, _, _ in home.widgets} <= set(PRODUCT_IDS)


async def test_push_mode_uses_batch_calls_at_a_high_rate(home: FakeHomeService) -> None:
    settings = BackendSettings(push_generics=False, consume_events=False, push_rate=800)
    async with run_backend(home, settings):
        await eventually(lambda: len(home.widgets) >= 300)
    assert home.batch_calls
    assert home.refused == []
    # Demo users are among the recipients, so an open demo page visibly changes.
    assert {u for _, u, _ in home.widgets} & set(DEMO_USER_IDS)


async def test_a_dismissal_is_answered_with_a_different_offer_and_a_higher_version(
    home: FakeHomeService,
) -> None:
    user = some_users(1)[0]
    settings = BackendSettings(push_generics=False, events_wait_ms=2000)
    async with run_backend(home, settings) as sim:
        shown = sim.widget_item("car_insurance", user)
        await eventually(lambda: home.polls.get("car_insurance", 0) >= 1)
        await home.add_event(
            "car_insurance", {"type": "impression", "product": "car_insurance", "user_id": user}
        )
        await home.add_event(
            "car_insurance", {"type": "dismiss", "product": "car_insurance", "user_id": user}
        )
        await eventually(lambda: len(home.widgets) == 1)
        stats = sim.stats["car_insurance"]
        assert stats.events["impression"] == 1
        assert stats.events["dismiss"] == 1
        assert stats.dismiss_reactions == 1
    product, pushed_user, body = home.widgets[0]
    assert (product, pushed_user) == ("car_insurance", user)
    assert body["content"] != shown["content"]
    assert body["content"] == personalised_widget("car_insurance", user, 1)
    assert body["version"] > shown["version"]


async def test_events_of_every_type_are_counted_and_clicks_push_nothing(
    home: FakeHomeService,
) -> None:
    user = some_users(1)[0]
    settings = BackendSettings(push_generics=False, events_wait_ms=2000)
    async with run_backend(home, settings) as sim:
        await eventually(lambda: home.polls.get("hotels", 0) >= 1)
        for kind in ("impression", "impression", "click", "bogus"):
            await home.add_event("hotels", {"type": kind, "product": "hotels", "user_id": user})
        await eventually(lambda: sum(sim.stats["hotels"].events.values()) == 3)
        counted = sim.stats.as_dict()["products"]["hotels"]["events"]
    assert counted == {"impression": 2, "click": 1, "dismiss": 0}
    assert home.widgets == []


async def test_a_service_without_event_streams_is_polled_slowly_and_nothing_breaks(
    home: FakeHomeService,
) -> None:
    home.has_events = False
    settings = BackendSettings(push_generics=False)
    async with run_backend(home, settings):
        await eventually(lambda: len(home.event_requests) == len(PRODUCT_IDS))
        await asyncio.sleep(0.3)
    # One 404 per product, then a long pause: no hammering of a service that lacks the route.
    assert home.event_requests == dict.fromkeys(PRODUCT_IDS, 1)


async def test_the_pull_answer_follows_a_dismissal(home: FakeHomeService) -> None:
    user = some_users(1)[0]
    sim = Simulator()
    async with run_backend(home, BackendSettings(push_generics=False, events_wait_ms=2000), sim):
        await eventually(lambda: home.polls.get("travel", 0) >= 1)
        await home.add_event("travel", {"type": "dismiss", "product": "travel", "user_id": user})
        await eventually(lambda: len(home.widgets) == 1)
    assert sim.widget_item("travel", user)["content"] == home.widgets[0][2]["content"]


# --- the real process ----------------------------------------------------------------------


@pytest.mark.slow
def test_the_products_process_serves_pulls_with_its_faults_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    # The entry point itself (granian embedded), with per-product faults from flags; the
    # home service is not there, which must not keep it from answering pulls.
    port = free_port()
    process = Process(
        [sys.executable, "-m", "homewidgets.products.server", "--port", str(port),
         "--service-url", f"http://127.0.0.1:{free_port()}",
         "--product", "energy:failure_rate=1"],
        homewidgets_env(), tmp_path / "products.log", url=f"http://127.0.0.1:{port}",
    ).start()  # fmt: skip
    try:
        body = {"user_ids": some_users(3)}
        ok = httpx.post(f"{process.url}/dsl/home-widgets:batch", json=body, timeout=5)
        failing = httpx.post(f"{process.url}/energy/home-widgets:batch", json=body, timeout=5)
        assert ok.status_code == 200
        assert len(ok.json()["widgets"]) == 3
        assert failing.status_code == 503
        stats = httpx.get(f"{process.url}/stats", timeout=5).json()["products"]
        assert stats["dsl"]["users_per_call"] == [3]
    finally:
        process.stop()
    assert process.popen is not None
    assert process.popen.returncode == 0, process.log()


@pytest.mark.slow
def test_generic_widgets_reach_a_home_service_that_starts_after_the_products(
    tmp_path: Path,
) -> None:
    service_port = free_port()
    products = start_backend_process(tmp_path, f"http://127.0.0.1:{service_port}")
    try:
        service = start_service(tmp_path, port=service_port)
        try:
            home_url = f"{service.url}/v1/home/{DEMO_USER_IDS[0]}"

            def all_generics_shown() -> bool:
                widgets = httpx.get(home_url, timeout=5).json()["widgets"]
                return {w["product"] for w in widgets} == set(PRODUCT_IDS)

            process_eventually(all_generics_shown, timeout=15)
        finally:
            service.stop()
    finally:
        products.stop()


def start_backend_process(tmp_path: Path, service_url: str) -> Process:
    port = free_port()
    return Process(
        [sys.executable, "-m", "homewidgets.products.server", "--port", str(port),
         "--service-url", service_url],
        homewidgets_env(), tmp_path / "products.log", url=f"http://127.0.0.1:{port}",
    ).start()  # fmt: skip
