"""Page helpers for browser tests of the web client, against the fake site or the real service.

Nothing here knows which server it talks to: everything goes through `page` (whose
context has the site's `base_url`), so the end-to-end tests reuse these unchanged.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORTS: dict[str, ViewportSize] = {
    "mobile": {"width": 375, "height": 812},
    "desktop": {"width": 1280, "height": 900},
}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

# Installed before any page script: records performance.now() when the first SDUI
# element enters the DOM, the "time to first widget".
FIRST_WIDGET_PROBE = """
new MutationObserver((_, obs) => {
  if (document.querySelector('[data-sdui-type]')) {
    window.__firstWidgetMs = performance.now();
    obs.disconnect();
  }
}).observe(document, { childList: true, subtree: true });
"""

T = TypeVar("T")


def new_context(
    browser: Browser,
    base_url: str,
    *,
    viewport: str = "desktop",
    color_scheme: Literal["light", "dark"] = "light",
    reduced_motion: bool = False,
) -> BrowserContext:
    """A fresh browser context (own storage) pointed at the site, with the first-widget probe."""
    context = browser.new_context(
        base_url=base_url,
        viewport=VIEWPORTS[viewport],
        color_scheme=color_scheme,
        reduced_motion="reduce" if reduced_motion else "no-preference",
        locale="en-GB",
        timezone_id="Europe/Berlin",
    )
    context.add_init_script(FIRST_WIDGET_PROBE)
    return context


def open_home(page: Page, user_id: str | None = None) -> float:
    """Open the home page (as `user_id` if given), wait for the widgets; ms to the first one."""
    page.goto(f"/?user={user_id}" if user_id else "/")
    page.wait_for_selector(".widget[data-product] [data-sdui-type]")
    page.wait_for_function("window.__firstWidgetMs !== undefined")
    return float(page.evaluate("window.__firstWidgetMs"))


def widget_versions(page: Page) -> dict[str, str]:
    """product -> version of every widget on the page, in page order."""
    pairs = page.eval_on_selector_all(
        ".widget[data-product]", "els => els.map(e => [e.dataset.product, e.dataset.version])"
    )
    return dict(pairs)


def sdui_types(page: Page, scope: str = "body") -> set[str]:
    """The `data-sdui-type` values present under `scope`."""
    types = page.eval_on_selector_all(
        f"{scope} [data-sdui-type]", "els => els.map(e => e.dataset.sduiType)"
    )
    return set(types)


def open_harness(page: Page) -> None:
    """Open the conformance harness (`/static/conformance.html`), which renders any component."""
    page.goto("/static/conformance.html")
    page.wait_for_function("document.documentElement.dataset.ready === '1'")


def render_component(page: Page, component: dict[str, Any]) -> int:
    """Render one component in the harness; the number of SDUI elements it produced."""
    return int(page.evaluate("c => window.hwRender(c)", component))


def harness_reports(page: Page) -> list[dict[str, Any]]:
    """What the rendered components reported (clicks, dismissals, navigations)."""
    return list(page.evaluate("window.hwReports"))


def component_types(component: Any) -> set[str]:
    """Every `type` of components in a document (actions excluded), as the DOM should show."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("type"), str):
                found.add(node["type"])
            for key in ("children", "items", "actions"):
                for child in node.get(key, []) or []:
                    walk(child)
            for key in ("image", "badge"):
                if isinstance(node.get(key), dict):
                    walk({"type": key, **node[key]})

    walk(component)
    return found


def wait_until(check: Callable[[], T], timeout: float = 10.0, pause: float = 0.1) -> T:
    """Poll `check` until it returns something truthy (server-side state in the fakes)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {check}")
        time.sleep(pause)


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG under test-artifacts/screenshots/ (gitignored) and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
