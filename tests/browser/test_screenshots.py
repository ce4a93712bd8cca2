"""The page in both themes at phone and desktop widths: no sideways scrolling, and pictures.

Screenshots land in test-artifacts/screenshots/ (gitignored) for a human to look at;
the time to first widget of each load goes to test-artifacts/first-widget.json.
"""

from __future__ import annotations

import json
import statistics
from typing import Literal

import pytest
from fake_site import FakeSite
from pages import SCREENSHOTS, new_context, open_home, screenshot
from playwright.sync_api import Browser, Page
from samples import DEMO_USER, home_for

SCHEMES: tuple[Literal["light", "dark"], ...] = ("light", "dark")
LAYOUTS = [(v, c) for v in ("mobile", "desktop") for c in SCHEMES]


def scroll_through(page: Page) -> None:
    """Scroll to the end and back so lazy images load before a full-page picture."""
    page.evaluate(
        """async () => {
          for (let y = 0; y < document.body.scrollHeight; y += innerHeight / 2) {
            scrollTo(0, y); await new Promise(r => setTimeout(r, 60));
          }
          scrollTo(0, 0); await new Promise(r => setTimeout(r, 300));
        }"""
    )


@pytest.mark.parametrize(("viewport", "scheme"), LAYOUTS)
def test_the_home_page_fits_the_screen_in_every_layout(
    browser: Browser, site: FakeSite, viewport: str, scheme: Literal["light", "dark"]
) -> None:
    site.set_home(DEMO_USER, home_for(DEMO_USER, personalised=True))
    context = new_context(browser, site.url, viewport=viewport, color_scheme=scheme)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        open_home(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        size = page.viewport_size
        assert size is not None
        assert width <= size["width"], "the page scrolls sideways"
        scroll_through(page)
        screenshot(page, f"home-{viewport}-{scheme}", full_page=False)
        screenshot(page, f"home-{viewport}-{scheme}-full")
        page.goto("/playground?example=1")
        page.wait_for_selector("#render [data-sdui-type]")
        screenshot(page, f"playground-{viewport}-{scheme}", full_page=False)
    finally:
        context.close()
    assert errors == []


def test_time_to_first_widget_on_loopback_is_recorded(browser: Browser, site: FakeSite) -> None:
    context = new_context(browser, site.url)
    times = []
    try:
        for _ in range(7):
            page = context.new_page()
            times.append(open_home(page))
            page.close()
    finally:
        context.close()
    median = round(statistics.median(times), 1)
    result = {"runs_ms": [round(t, 1) for t in times], "median_ms": median}
    SCREENSHOTS.parent.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS.parent / "first-widget.json").write_text(json.dumps(result, indent=2))
    # a generous bound: the machine is shared; the figure itself is what the file is for
    assert median < 3000, result
