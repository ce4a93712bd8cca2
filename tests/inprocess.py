"""The HTTP app in-process: httpx over ASGI, with the Runtime started and stopped around it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

import httpx

from fakes import SwitchableStore
from homewidgets.bootstrap import build_runtime
from homewidgets.config import Settings
from homewidgets.inbound.http.app import create_app
from homewidgets.registry import demo_token
from homewidgets.runtime import Runtime

CARD = {
    "type": "card",
    "title": "Green power",
    "badge": {"type": "badge", "label": "-20%", "tone": "deal"},
    "children": [{"type": "price", "amount": 49.9, "currency": "EUR", "period": "month"}],
    "actions": [{"type": "button", "label": "Switch",
                 "action": {"type": "navigate", "url": "/go/energy"}}],
}


def auth(product: str) -> dict[str, str]:
    return {"authorization": f"Bearer {demo_token(product)}"}


@dataclass
class Service:
    http: httpx.AsyncClient
    runtime: Runtime
    store: SwitchableStore


@asynccontextmanager
async def in_process_service(settings: Settings | None = None) -> AsyncIterator[Service]:
    store = SwitchableStore()
    # No in-process refresh worker: these tests have no product backends to pull from.
    settings = settings or Settings(generic_ttl_seconds=0.2)
    runtime = build_runtime(replace(settings, embedded_worker=False), store=store)
    app = create_app(runtime)
    await runtime.start()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Service(http, runtime, store)
    finally:
        await runtime.stop()
