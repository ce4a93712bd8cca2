"""The HTTP face of the simulated products: the pull endpoint of CONTRACT 5, stats, admin.

`build_app` is the composition root: it takes the simulator and the HTTP client to
the home service as optional keyword arguments (tests pass their own) and builds the
real ones otherwise. Background tasks run in the lifespan. Starlette is fine here:
this is a test double for product teams, not the home page's hot path. The admin
routes have no auth: the simulator is meant for loopback demos and tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from homewidgets.products import tasks
from homewidgets.products.faults import FaultConfigError, inject
from homewidgets.products.home_client import DEFAULT_LIMITS, DEFAULT_TIMEOUT, HomeServiceClient
from homewidgets.products.simulator import Simulator

DEFAULT_SERVICE_URL = "http://127.0.0.1:8000"
MAX_USERS_PER_CALL = 1000


@dataclass(frozen=True, slots=True)
class BackendSettings:
    """What the backends do besides answering pulls; read once, at start."""

    service_url: str = DEFAULT_SERVICE_URL
    push_generics: bool = True
    generic_interval_seconds: float = 300.0
    push_rate: float = 0.0
    consume_events: bool = True
    events_wait_ms: int = 5000


def _problem(status: int, reason: str, pointer: str = "") -> JSONResponse:
    """An error body in the home service's style: a detail plus JSON-pointer problems."""
    detail = f"{pointer}: {reason}" if pointer else reason
    return JSONResponse(
        {"detail": detail, "problems": [{"pointer": pointer, "reason": reason}]}, status
    )


def _user_ids(raw: bytes) -> list[str] | JSONResponse:
    """The `user_ids` of a pull body, or the 400/422 answer naming what is wrong."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return _problem(400, f"malformed JSON: {exc}")
    if not isinstance(body, dict):
        return _problem(422, "the body must be a JSON object", "")
    users = body.get("user_ids")
    if not isinstance(users, list):
        return _problem(422, "user_ids is required: a list of UUID strings", "/user_ids")
    if len(users) > MAX_USERS_PER_CALL:
        return _problem(422, f"at most {MAX_USERS_PER_CALL} user ids per call", "/user_ids")
    for index, user in enumerate(users):
        try:
            uuid.UUID(user)
        except (ValueError, TypeError, AttributeError):
            return _problem(422, "must be a UUID string", f"/user_ids/{index}")
    return list(dict.fromkeys(users))  # each user once, in the order asked


def build_app(
    settings: BackendSettings | None = None,
    *,
    simulator: Simulator | None = None,
    http: httpx.AsyncClient | None = None,
) -> Starlette:
    """The backends' ASGI app. `http` (base URL = the home service) stays the caller's to close."""
    settings = settings or BackendSettings()
    sim = simulator or Simulator()

    async def pull(request: Request) -> JSONResponse:
        product = request.path_params["product"]
        if product not in sim.products:
            return _problem(404, f"unknown product {product[:64]!r}", "")
        users = _user_ids(await request.body())
        if isinstance(users, JSONResponse):
            return users
        sim.stats.pulled(product, len(users))
        if await inject(sim.faults.for_product(product), sim.rng):
            sim.stats[product].pull_failures += 1
            return _problem(503, "simulated failure")
        return JSONResponse({"widgets": [sim.widget_item(product, u) for u in users]})

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "products": list(sim.products)})

    async def stats(_: Request) -> JSONResponse:
        return JSONResponse(sim.stats.as_dict())

    async def reset_stats(_: Request) -> JSONResponse:
        sim.stats.reset()
        return JSONResponse(sim.stats.as_dict())

    async def get_faults(_: Request) -> JSONResponse:
        return JSONResponse(sim.faults.as_dict(sim.products))

    async def set_faults(request: Request) -> JSONResponse:
        try:
            sim.faults.update(json.loads(await request.body()), sim.products)
        except ValueError as exc:  # FaultConfigError and JSON errors
            status = 422 if isinstance(exc, FaultConfigError) else 400
            return _problem(status, str(exc))
        return JSONResponse(sim.faults.as_dict(sim.products))

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        own_client = http is None
        client = http or httpx.AsyncClient(
            base_url=settings.service_url, timeout=DEFAULT_TIMEOUT, limits=DEFAULT_LIMITS
        )
        home = HomeServiceClient(client)
        jobs: list[Coroutine[Any, Any, None]] = []
        if settings.push_generics:
            jobs.append(tasks.keep_generics_fresh(sim, home, settings.generic_interval_seconds))
        if settings.push_rate > 0:
            jobs.append(tasks.push_randomly(sim, home, settings.push_rate))
        if settings.consume_events:
            jobs.extend(
                tasks.react_to_events(sim, home, p, wait_ms=settings.events_wait_ms)
                for p in sim.products
            )
        running = [asyncio.create_task(job) for job in jobs]
        try:
            yield
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            if own_client:
                await client.aclose()

    app = Starlette(
        routes=[
            Route("/{product}/home-widgets:batch", pull, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/stats", stats, methods=["GET"]),
            Route("/admin/reset-stats", reset_stats, methods=["POST"]),
            Route("/admin/faults", get_faults, methods=["GET"]),
            Route("/admin/faults", set_faults, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
    app.state.simulator = sim
    return app
