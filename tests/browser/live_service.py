"""The real service for end-to-end browser tests: `homewidgets serve` and a product's view of it.

`LiveService` wraps a started `serve` process with what a product team does to it (push a
widget with its demo token, read its events stream) and what the page reads (a home), all
over plain HTTP on loopback, so a test drives the service exactly as its users do.
`local_only` keeps the browser on 127.0.0.1: SDUI documents may name https images
elsewhere, and these tests never send traffic off the machine. The end of the module holds
what the tests look for in the page: the texts a component must show, and in-page probes.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import BrowserContext, Page, Route

from homewidgets.registry import demo_token
from processes import Process, free_port, start_products, start_service

Json = dict[str, Any]

QUIET_WORKER = {"HOMEWIDGETS_EMBEDDED_WORKER": "false"}
"""A service whose cold users stay cold: no refresh worker pulls behind the tests' pushes
(and none reaches for a products server some other suite may run on the default port)."""


@dataclass
class Pushed:
    """A push's answer and the wall-clock moment (time.time(), s) its response arrived."""

    answer: Json
    at: float


@dataclass
class LiveService:
    """A running `homewidgets serve`; `url` is where the browser and the products reach it."""

    process: Process

    @property
    def url(self) -> str:
        return self.process.url

    def push(
        self, product: str, user_id: str | None, content: Json, *, version: int | None = None
    ) -> Pushed:
        """PUT one widget as the product (its generic one when `user_id` is None)."""
        path = "/generic" if user_id is None else f"/widgets/{user_id}"
        body: Json = {"content": content}
        if version is not None:
            body["version"] = version
        response = httpx.put(
            f"{self.url}/v1/products/{product}{path}", json=body, headers=_auth(product),
            timeout=10,
        )  # fmt: skip
        at = time.time()
        assert response.status_code == 200, (product, response.status_code, response.text)
        answer: Json = response.json()
        return Pushed(answer, at)

    def home(self, user_id: str) -> Json:
        home: Json = httpx.get(f"{self.url}/v1/home/{user_id}", timeout=10).json()
        return home

    def product_events(self, product: str) -> list[Json]:
        """Every event the product's stream holds, as the product reads it (with its token)."""
        response = httpx.get(
            f"{self.url}/v1/products/{product}/events", params={"after": "0", "count": "1000"},
            headers=_auth(product), timeout=10,
        )  # fmt: skip
        assert response.status_code == 200, response.text
        return [entry["event"] for entry in response.json()["events"]]

    def stop(self) -> None:
        self.process.stop()


def _auth(product: str) -> dict[str, str]:
    return {"authorization": f"Bearer {demo_token(product)}"}


def start_live_service(tmp_path: Path, env: dict[str, str] | None = None) -> LiveService:
    return LiveService(start_service(tmp_path, env if env is not None else QUIET_WORKER))


@dataclass
class ColdStack:
    """The service (embedded L2 and worker) with the simulated products as its pull backends."""

    service: LiveService
    products: Process

    def stop(self) -> None:
        self.products.stop()
        self.service.stop()


def start_cold_stack(
    tmp_path: Path, latency_ms: int = 20, env: dict[str, str] | None = None
) -> ColdStack:
    """Products answer pulls after `latency_ms` and push their generic widgets at start."""
    products_port = free_port()
    products_url = f"http://127.0.0.1:{products_port}"
    service = start_live_service(
        tmp_path, {"HOMEWIDGETS_PRODUCTS_URL": products_url, **(env or {})}
    )
    try:
        products = start_products(
            tmp_path, "--service-url", service.url, "--latency-ms", str(latency_ms),
            "--no-events", port=products_port,
        )  # fmt: skip
    except Exception:
        service.stop()
        raise
    return ColdStack(service, products)


def local_only(context: BrowserContext | Page) -> None:
    """Abort every request the page makes off loopback (e.g. https images in SDUI documents).

    A regex, not a Python predicate: Playwright then intercepts only the matching requests
    in the browser, while a predicate would hold EVERY request until Python answers it
    (stalling the page whenever the test sleeps, and slowing every load it measures).
    """

    def abort(route: Route) -> None:
        route.abort()

    context.route(OFF_LOOPBACK, abort)


OFF_LOOPBACK = re.compile(r"^(?!https?://127\.0\.0\.1[:/])")


# ---- what the tests look for in the page ---------------------------------------------------


def expected_texts(node: Any) -> list[str]:
    """The strings a component shows as text: titles, subtitles, texts, labels (no fallbacks)."""
    found: list[str] = []
    if isinstance(node, dict):
        found += [
            node[k] for k in ("title", "subtitle", "text", "label") if isinstance(node.get(k), str)
        ]
        for key in ("children", "items", "actions"):
            for child in node.get(key) or []:
                found += expected_texts(child)
        for key in ("image", "badge"):
            found += expected_texts(node.get(key))
    return found


def expected_alts(node: Any) -> list[str]:
    if not isinstance(node, dict):
        return []
    found = [node["alt"]] if isinstance(node.get("alt"), str) else []
    for key in ("children", "items", "actions"):
        for child in node.get(key) or []:
            found += expected_alts(child)
    return found + expected_alts(node.get("image"))


STATUS_HISTORY = """
window.__statusHistory = [];
document.addEventListener('DOMContentLoaded', () => {
  const status = document.getElementById('status');
  const note = () => window.__statusHistory.push({
    status: status.textContent,
    widgets: document.querySelectorAll('.widget[data-product]').length,
    tagged: [...document.querySelectorAll('.widget-tag')].filter(t => !t.hidden).length,
  });
  note();
  new MutationObserver(note).observe(status, {childList: true, characterData: true, subtree: true});
});
"""
"""Records every text of the status line with the widgets shown at that moment."""

COVERED_CARD_TEXT = """() => [...document.querySelectorAll('.sd-card-in')].flatMap(inner => {
  const media = inner.querySelector(':scope > .sd-card-media > .sd-image');
  const body = inner.querySelector(':scope > .sd-card-body');
  if (!media || !body) return [];
  const m = media.getBoundingClientRect(), b = body.getBoundingClientRect();
  const sideBySide = getComputedStyle(inner).display === 'grid';
  const overlap = sideBySide ? m.right - b.left : m.bottom - b.top;
  const card = inner.closest('[data-sdui-id]');
  return overlap > 1 ? [`${card ? card.dataset.sduiId : '?'} by ${Math.round(overlap)} px`] : [];
})"""
"""Cards whose picture reaches into their text column (or, stacked, below its top)."""


LOAD_PHASES = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const done = name => {
    const e = performance.getEntriesByType('resource').find(r => r.name.includes(name));
    return e ? Math.round(e.responseEnd) : null;
  };
  return {html: Math.round(nav.responseEnd), home: done('/v1/home/'),
          app_js: done('/static/app.js'), css: done('/static/styles.css'),
          widget: Math.round(window.__firstWidgetMs)};
}"""
"""When each part of a load had arrived (ms since navigation start), to see where time goes."""
