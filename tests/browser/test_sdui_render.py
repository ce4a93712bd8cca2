"""sdui.js renders the whole catalogue of schema version 1 safely (CONTRACT 7).

Each test renders a document in the conformance harness page and asserts on the DOM.
"""

from __future__ import annotations

import json
import re

import pytest
from pages import component_types, harness_reports, open_harness, render_component, sdui_types
from playwright.sync_api import Page, expect
from samples import kitchen_sink

from homewidgets.conformance import ConformanceCase, load_cases

CATALOGUE = {"section", "carousel", "card", "text", "image", "button", "price", "badge",
             "rating", "row", "column", "countdown", "divider"}
VALID_CASES = [c for c in load_cases() if c.valid]


@pytest.fixture
def sink(page: Page) -> Page:
    open_harness(page)
    render_component(page, kitchen_sink())
    return page


def by_id(page: Page, cid: str) -> str:
    return f'[data-sdui-id="{cid}"]'


def test_every_catalogue_type_renders_with_its_data_attribute(sink: Page) -> None:
    assert sdui_types(sink, "#root") == CATALOGUE
    assert sink.evaluate("window.hwTypes.slice().sort()") == sorted(CATALOGUE)


def test_text_that_looks_like_html_is_shown_as_text_and_never_run(sink: Page) -> None:
    node = sink.locator(by_id(sink, "t-script"))
    expect(node).to_have_text("<script>window.pwned=1</script><b>x</b>")
    assert node.locator("script, b").count() == 0
    assert sink.evaluate("window.pwned") is None


def test_text_styles_map_to_their_classes(sink: Page) -> None:
    for style in ("title", "subtitle", "body", "caption"):
        node = sink.locator(by_id(sink, f"t-{style}"))
        expect(node).to_have_class(re.compile(f"sd-text-{style}"))


def test_prices_are_formatted_with_their_currency_and_period(sink: Page) -> None:
    deal = sink.locator(by_id(sink, "p-deal"))
    expect(deal.locator("strong")).to_have_text("Now €1,234.50")  # "Now " only for screen readers
    expect(deal).to_contain_text("/year")
    once = sink.locator(by_id(sink, "p-once"))
    expect(once).to_contain_text("$99.00")
    assert "/" not in once.inner_text()
    expect(sink.locator(by_id(sink, "p-month"))).to_contain_text("€9.99/month")


def test_an_old_price_is_struck_through_and_labelled_for_screen_readers(sink: Page) -> None:
    was = sink.locator(f'{by_id(sink, "p-deal")} del')
    expect(was).to_have_text("Was €1,500.00")  # "Was " is visually hidden, read aloud
    expect(was.locator(".sr-only")).to_have_text("Was ")
    assert was.evaluate("e => getComputedStyle(e).textDecorationLine") == "line-through"
    assert sink.locator(f'{by_id(sink, "p-month")} del').count() == 0


def test_ratings_are_stars_with_a_spoken_label(sink: Page) -> None:
    expect(sink.locator(by_id(sink, "r-main"))).to_have_attribute(
        "aria-label", "4.5 out of 5 (1,234 reviews)")
    expect(sink.locator(by_id(sink, "r-main"))).to_have_attribute("role", "img")
    expect(sink.locator(by_id(sink, "r-ten"))).to_have_attribute("aria-label", "7 out of 10")
    fill = sink.locator(f'{by_id(sink, "r-main")} .sd-stars').evaluate(
        "e => e.style.getPropertyValue('--fill')")
    assert fill == "90%"


def test_badges_carry_their_tone(sink: Page) -> None:
    for tone in ("neutral", "info", "success", "warning", "danger", "deal"):
        badge = sink.locator(by_id(sink, f"b-{tone}"))
        expect(badge).to_have_class(re.compile(f"sd-tone-{tone}"))
        expect(badge).to_have_text(tone.title())


def test_a_countdown_ticks_every_second_and_says_ended_after(sink: Page) -> None:
    live = sink.locator(f'{by_id(sink, "cd-live")} time')
    first = live.inner_text()
    assert re.fullmatch(r"02:0[45]:\d\d", first), first
    expect(live).not_to_have_text(first, timeout=2500)
    expect(sink.locator(by_id(sink, "cd-live"))).to_contain_text("Offer ends in")
    expect(sink.locator(f'{by_id(sink, "cd-past")} time')).to_have_text("ended")
    expect(sink.locator(f'{by_id(sink, "cd-soon")} time')).to_have_text("ended", timeout=6000)


def test_carousel_buttons_scroll_the_track_and_know_its_ends(sink: Page) -> None:
    carousel = sink.locator(by_id(sink, "offers"))
    track = carousel.locator(".sd-track")
    prev, nxt = carousel.locator(".sd-prev"), carousel.locator(".sd-next")
    expect(prev).to_be_disabled()
    expect(nxt).to_be_enabled()
    expect(carousel).to_have_attribute("aria-roledescription", "carousel")
    nxt.click()
    sink.wait_for_function(
        "t => t.scrollLeft > 100", arg=track.element_handle(), timeout=5000)
    expect(prev).to_be_enabled()
    prev.click()
    sink.wait_for_function("t => t.scrollLeft < 5", arg=track.element_handle(), timeout=5000)


def test_the_carousel_track_scrolls_with_the_keyboard(sink: Page) -> None:
    track = sink.locator(f'{by_id(sink, "offers")} .sd-track')
    track.focus()
    sink.keyboard.press("ArrowRight")
    sink.wait_for_function("t => t.scrollLeft > 100", arg=track.element_handle(), timeout=5000)


def test_only_https_and_site_relative_urls_become_links(sink: Page) -> None:
    hrefs = sink.eval_on_selector_all("#root a", "els => els.map(a => a.getAttribute('href'))")
    assert hrefs, "the kitchen sink has links"
    assert all(h.startswith("https://") or (h.startswith("/") and not h.startswith("//"))
               for h in hrefs), hrefs
    for cid in ("btn-js", "btn-proto", "btn-http"):
        node = sink.locator(by_id(sink, cid))
        assert node.evaluate("e => e.tagName") == "BUTTON"
        expect(node).to_be_disabled()
    assert sink.locator(f'{by_id(sink, "img-data")} img').count() == 0


def test_images_are_lazy_have_alt_text_and_reserve_their_aspect_ratio(sink: Page) -> None:
    image = sink.locator(by_id(sink, "img"))
    img = image.locator("img")
    expect(img).to_have_attribute("loading", "lazy")
    expect(img).to_have_attribute("alt", "A plane at sunset")
    assert image.evaluate("e => e.style.aspectRatio") == "2 / 1"
    box = image.bounding_box()
    assert box is not None
    assert abs(box["width"] / box["height"] - 2) < 0.05 or box["height"] == 260  # capped height


def test_an_unknown_type_renders_its_fallback_or_nothing(sink: Page) -> None:
    expect(sink.locator(by_id(sink, "fb-text"))).to_have_text("Shown instead of a hologram")
    assert sink.locator(by_id(sink, "unknown-fb")).count() == 0
    assert sink.locator(by_id(sink, "unknown-bare")).count() == 0
    assert "hologram" not in sdui_types(sink, "#root")


def test_buttons_report_clicks_tracks_and_dismissals(sink: Page) -> None:
    sink.locator(by_id(sink, "btn-link")).click()
    sink.locator(by_id(sink, "btn-primary")).click()
    sink.locator(by_id(sink, "btn-dismiss")).click()
    reports = harness_reports(sink)
    assert reports[0] == {"type": "click", "component_id": "btn-link", "event": "more_info"}
    assert reports[1]["type"] == "click" and reports[1]["component_id"] == "btn-primary"
    assert reports[2] == {"type": "navigate", "url": "/go/primary"}  # reported before it leaves
    assert reports[3]["type"] == "dismiss"
    expect(sink.locator("[data-sdui-root]")).to_be_hidden()


def test_card_parts_render_in_place(sink: Page) -> None:
    card = sink.locator(by_id(sink, "card-1"))
    expect(card.locator(".sd-card-title")).to_have_text("Offer 1")
    expect(card.locator(".sd-card-subtitle")).to_have_text("Partial cover · 12 months")
    expect(card.locator('[data-sdui-type="badge"]')).to_have_text("Top deal")
    expect(card.locator('[data-sdui-type="image"] img')).to_have_attribute("alt", "Car 1")
    expect(card.locator('a[data-sdui-type="button"]')).to_have_attribute("href", "/go/offer/1")


def test_malformed_components_render_nothing_instead_of_breaking_the_page(page: Page) -> None:
    open_harness(page)
    count = render_component(page, {"type": "section", "children": [
        {"type": "price", "amount": "a lot", "currency": "EUR"},
        {"type": "countdown", "until": "tomorrow-ish"},
        {"type": "rating"},
        None, 42, "text",
        {"type": "text", "text": "still here"},
    ]})
    assert count == 3  # the section, the rating (as 0 of 5) and the text
    expect(page.locator("#root")).to_contain_text("still here")


@pytest.mark.parametrize("case", VALID_CASES, ids=[c.name for c in VALID_CASES])
def test_every_valid_conformance_case_renders_every_component_type(
    page: Page, case: ConformanceCase
) -> None:
    content = json.loads(case.content)
    open_harness(page)
    render_component(page, content)
    assert sdui_types(page, "#root") >= component_types(content)
