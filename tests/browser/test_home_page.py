"""The home page renders a user's home, updates it live and reports what the user saw and did.

Runs against the fake site: tests change the server's state (`site.set_home`) and read
what the page sent (`site.events_of`).
"""

from __future__ import annotations

import re
import uuid

from fake_site import FakeSite
from pages import open_home, wait_until, widget_versions
from playwright.sync_api import Page, expect
from samples import DEMO_USER, home_for, home_of, widget

from homewidgets.products.content import PRODUCT_IDS
from homewidgets.registry import DEMO_PRODUCTS

NAMES = {pid: name for pid, name, _ in DEMO_PRODUCTS}


def text_widget(text: str, cid: str = "msg") -> dict[str, object]:
    return {"type": "section", "title": text, "children": [
        {"type": "text", "id": cid, "text": text},
        {"type": "button", "id": "no", "label": "Not interested", "style": "link",
         "action": {"type": "dismiss"}},
    ]}


def test_the_page_renders_every_widget_in_display_order_with_product_names(
    page: Page, site: FakeSite
) -> None:
    open_home(page)
    assert list(widget_versions(page)) == list(PRODUCT_IDS)
    expect(page.locator("#h-energy")).to_have_text(NAMES["energy"])
    expect(page.locator("#status")).to_have_text("Popular right now")
    expect(page.locator("#greeting")).to_contain_text("Anna")
    expect(page.locator(".skel")).to_have_count(0)
    assert site.count(f"GET /v1/home/{DEMO_USER}") >= 1


def test_a_personalised_home_says_so(page: Page, site: FakeSite) -> None:
    site.set_home(DEMO_USER, home_for(DEMO_USER, personalised=True))
    open_home(page)
    expect(page.locator("#status")).to_have_text("Personalised for you")
    expect(page.locator(".widget-tag").first).to_be_visible()


def test_the_user_in_the_address_is_used_and_remembered(page: Page, site: FakeSite) -> None:
    someone = str(uuid.uuid4())
    site.set_home(someone, home_of(someone, [widget("energy", 1, text_widget("Just for you"))]))
    open_home(page, someone)
    expect(page.locator('[data-sdui-id="msg"]')).to_have_text("Just for you")
    expect(page.locator("#who")).to_have_value(someone)
    open_home(page)  # no ?user=: the choice is remembered
    expect(page.locator('[data-sdui-id="msg"]')).to_have_text("Just for you")


def test_the_identity_picker_switches_users_and_makes_new_ones(page: Page, site: FakeSite) -> None:
    jonas = "2d9e8f70-5a43-4b1e-8c6d-7f0a1b2c3d44"
    site.set_home(jonas, home_of(jonas, [widget("flights", 3, text_widget("Hi Jonas"))]))
    open_home(page)
    page.select_option("#who", jonas)
    expect(page.locator('[data-sdui-id="msg"]')).to_have_text("Hi Jonas")
    expect(page.locator("#greeting")).to_contain_text("Jonas")
    page.select_option("#who", "new")
    new_id = page.locator("#who").input_value()
    v4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    assert re.fullmatch(v4, new_id)
    wait_until(lambda: site.count(f"GET /v1/home/{new_id}") >= 1)
    expect(page.locator(".widget[data-product]")).to_have_count(len(PRODUCT_IDS))


def test_a_live_update_rerenders_only_the_changed_widget_in_place(
    page: Page, site: FakeSite
) -> None:
    home = home_of(DEMO_USER, [widget("car_insurance", 1, text_widget("Car v1", "car")),
                               widget("energy", 1, text_widget("Energy v1", "en"))])
    site.set_home(DEMO_USER, home)
    open_home(page)
    wait_until(lambda: site.subscribers(DEMO_USER) == 1)
    # mark the live DOM: a reload or a rebuilt widget would lose these
    page.evaluate("window.__sameDocument = true")
    page.eval_on_selector("#w-car_insurance", "e => e.__kept = true")
    page.eval_on_selector("#w-energy", "e => e.__kept = true")

    home["widgets"][1] = widget("energy", 2, text_widget("Energy v2", "en"))
    site.set_home(DEMO_USER, home)

    expect(page.locator('[data-sdui-id="en"]')).to_have_text("Energy v2")
    expect(page.locator("#w-energy")).to_have_attribute("data-version", "2")
    expect(page.locator("#w-energy")).to_have_class(re.compile("updated"))
    assert page.evaluate("window.__sameDocument") is True
    assert page.eval_on_selector("#w-car_insurance", "e => e.__kept") is True
    assert page.eval_on_selector("#w-energy", "e => e.__kept") is True  # same section, new body
    assert site.count("GET /") == 1


def test_a_live_update_adds_removes_and_reorders_widgets(page: Page, site: FakeSite) -> None:
    site.set_home(DEMO_USER, home_of(DEMO_USER, [widget("car_insurance", 1, text_widget("A")),
                                                 widget("energy", 1, text_widget("B"))]))
    open_home(page)
    wait_until(lambda: site.subscribers(DEMO_USER) == 1)
    site.set_home(DEMO_USER, home_of(DEMO_USER, [widget("hotels", 1, text_widget("C")),
                                                 widget("car_insurance", 1, text_widget("A"))]))
    expect(page.locator(".widget[data-product]")).to_have_count(2)
    assert list(widget_versions(page)) == ["hotels", "car_insurance"]


def test_after_a_dropped_stream_the_page_reconnects_and_catches_up(
    page: Page, site: FakeSite
) -> None:
    site.set_home(DEMO_USER, home_of(DEMO_USER, [widget("dsl", 1, text_widget("Before", "d"))]))
    open_home(page)
    wait_until(lambda: site.subscribers(DEMO_USER) == 1)
    site.cut_streams()
    # changed while nobody listens: only the refetch on reconnect can show it
    with site.state.lock:
        after = [widget("dsl", 2, text_widget("After", "d"))]
        site.state.homes[DEMO_USER] = home_of(DEMO_USER, after)
    expect(page.locator('[data-sdui-id="d"]')).to_have_text("After", timeout=10000)
    wait_until(lambda: site.subscribers(DEMO_USER) == 1)
    assert site.count("GET /") == 1


def test_dismissing_a_widget_removes_it_reports_it_and_keeps_it_hidden(
    page: Page, site: FakeSite
) -> None:
    site.set_home(DEMO_USER, home_of(DEMO_USER, [widget("mobile", 7, text_widget("Phone deal")),
                                                 widget("hotels", 2, text_widget("Hotel deal"))]))
    open_home(page)
    page.locator("#w-mobile").get_by_role("button", name="Not interested").click()
    expect(page.locator("#w-mobile")).to_have_count(0)
    dismissals = wait_until(lambda: site.events_of("dismiss"))
    assert dismissals[0]["product"] == "mobile"
    assert dismissals[0]["widget_version"] == 7
    assert dismissals[0]["user_id"] == DEMO_USER
    assert dismissals[0]["component_id"] == "no"
    assert isinstance(dismissals[0]["ts"], int)
    open_home(page)
    expect(page.locator("#w-hotels")).to_have_count(1)
    expect(page.locator("#w-mobile")).to_have_count(0)


def test_a_click_on_a_link_is_reported_before_the_page_leaves(page: Page, site: FakeSite) -> None:
    open_home(page)
    link = page.locator("#w-car_insurance a[data-sdui-type=button]").first
    href = link.get_attribute("href")
    assert href and href.startswith("/")
    link.click()
    page.wait_for_url(re.compile(re.escape(href)))
    clicks = wait_until(lambda: site.events_of("click"))
    assert clicks[0]["product"] == "car_insurance"
    assert clicks[0]["user_id"] == DEMO_USER
    assert any("application/json" in kind for kind in site.state.event_posts)


def test_a_track_button_reports_a_click_with_its_event(page: Page, site: FakeSite) -> None:
    content = {"type": "button", "id": "more", "label": "More", "style": "secondary",
               "action": {"type": "track", "event": "more_info"}}
    site.set_home(DEMO_USER, home_of(DEMO_USER, [widget("travel", 4, content)]))
    open_home(page)
    page.get_by_role("button", name="More").click()
    clicks = wait_until(lambda: site.events_of("click"))
    assert clicks[0] | {"ts": 0} == {"type": "click", "product": "travel", "user_id": DEMO_USER,
                                     "widget_version": 4, "component_id": "more",
                                     "event": "more_info", "ts": 0}


def test_impressions_are_reported_once_per_widget_version_seen_for_a_second(
    page: Page, site: FakeSite
) -> None:
    open_home(page)
    first = wait_until(lambda: site.events_of("impression"), timeout=10)
    assert first[0]["product"] == "car_insurance"
    assert first[0]["widget_version"] == 1
    seen = {e["product"] for e in site.events_of("impression")}
    assert "travel" not in seen  # the last widget is far below the fold
    page.locator("#w-travel").scroll_into_view_if_needed()
    wait_until(lambda: any(e["product"] == "travel" for e in site.events_of("impression")),
               timeout=10)
    page.locator("#w-car_insurance").scroll_into_view_if_needed()
    page.wait_for_timeout(1500)
    page.evaluate("window.dispatchEvent(new Event('pagehide'))")
    page.wait_for_timeout(300)
    cars = [e for e in site.events_of("impression") if e["product"] == "car_insurance"]
    assert len(cars) == 1


def test_a_live_update_above_the_reader_keeps_the_scroll_position(
    page: Page, site: FakeSite
) -> None:
    page.set_viewport_size({"width": 375, "height": 812})
    open_home(page)
    wait_until(lambda: site.subscribers(DEMO_USER) == 1)
    page.locator("#w-hotels").scroll_into_view_if_needed()
    page.evaluate("document.getElementById('w-hotels').scrollIntoView({block: 'start'})")
    before = page.eval_on_selector("#w-hotels", "e => e.getBoundingClientRect().top")
    home = home_for(DEMO_USER)
    home["widgets"][0] = widget("car_insurance", 2, text_widget("Much shorter now", "short"),
                                personalised=False)
    site.set_home(DEMO_USER, home)
    expect(page.locator('[data-sdui-id="short"]')).to_have_count(1)
    after = page.eval_on_selector("#w-hotels", "e => e.getBoundingClientRect().top")
    assert abs(after - before) <= 2, (before, after)


def test_the_theme_toggle_switches_and_is_remembered(page: Page) -> None:
    open_home(page)
    page.locator("#theme").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    open_home(page)
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    again = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert again == bg == "rgb(12, 17, 27)"


def test_the_page_has_landmarks_and_names_for_everything_interactive(page: Page) -> None:
    open_home(page)
    for role in ("banner", "main", "navigation", "contentinfo"):
        expect(page.get_by_role(role).first).to_be_attached()
    unnamed = page.eval_on_selector_all(
        "button, a, select",
        "els => els.filter(e => !(e.getAttribute('aria-label') || e.textContent.trim()"
        " || e.labels?.length)).map(e => e.outerHTML)",
    )
    assert unnamed == []
    assert page.eval_on_selector_all("img:not([alt])", "els => els.length") == 0
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
