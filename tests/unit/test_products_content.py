"""The simulated products' widgets: deterministic, varied, valid SDUI, with real images."""

from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from homewidgets.domain.errors import InvalidWidget
from homewidgets.domain.sdui import ContentValidator
from homewidgets.products import (
    IMAGES_DIR,
    PRODUCT_IDS,
    generic_offer,
    generic_widget,
    personalised_offer,
    personalised_widget,
)
from homewidgets.products._common import home_city
from homewidgets.products.content import UnknownSimulatedProduct
from homewidgets.registry import DEMO_PRODUCTS

NOW = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
RFC3339_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def users(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(count)]


def walk(component: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every component in the tree, the root first (children, items, image, badge, actions)."""
    yield component
    for key in ("children", "items", "actions"):
        for child in component.get(key, []):
            yield from walk(child)
    for key in ("image", "badge", "fallback"):
        if key in component:
            yield from walk(component[key])


def test_the_simulator_covers_every_demo_product_of_the_registry() -> None:
    assert set(PRODUCT_IDS) == {pid for pid, _, _ in DEMO_PRODUCTS}


@pytest.mark.parametrize("product", PRODUCT_IDS)
def test_a_personalised_widget_is_the_same_for_the_same_user_and_variant(product: str) -> None:
    user = users(1)[0]
    first = personalised_widget(product, user, 0, now=NOW)
    assert personalised_widget(product, user, 0, now=NOW) == first
    assert json.dumps(personalised_offer(product, user, 0, now=NOW).content) == json.dumps(first)


@pytest.mark.parametrize("product", PRODUCT_IDS)
def test_another_variant_or_another_user_gets_another_offer(product: str) -> None:
    someone, other = users(2)
    base = personalised_widget(product, someone, 0, now=NOW)
    assert personalised_widget(product, someone, 1, now=NOW) != base
    assert personalised_widget(product, other, 0, now=NOW) != base


@pytest.mark.parametrize("product", PRODUCT_IDS)
def test_personalised_widgets_vary_across_users(product: str) -> None:
    distinct = {json.dumps(personalised_widget(product, u, now=NOW)) for u in users(50)}
    assert len(distinct) >= 45


@pytest.mark.parametrize("product", PRODUCT_IDS)
def test_the_generic_widget_stays_within_the_hour_and_changes_with_the_deals(product: str) -> None:
    later_same_hour = NOW + timedelta(minutes=20)
    next_day = NOW + timedelta(days=1)
    assert (
        generic_widget(product, now=NOW)["children"]
        == generic_widget(product, now=later_same_hour)["children"]
    )
    assert generic_widget(product, now=NOW) != generic_widget(product, now=next_day)


def test_every_widget_passes_the_home_services_sdui_validator() -> None:
    # 200 random users, every product, three variants each: the content the service
    # would get from pulls, pushes and dismissal reactions.
    validator = ContentValidator()
    refused: list[str] = []
    for product in PRODUCT_IDS:
        widgets = [generic_widget(product, now=NOW)]
        widgets += [
            personalised_widget(product, u, v, now=NOW) for u in users(200) for v in (0, 1, 2)
        ]
        for widget in widgets:
            try:
                validator.validate(json.dumps(widget).encode())
            except InvalidWidget as exc:
                refused.append(f"{product}: {exc}")
    assert refused == []


@pytest.mark.parametrize("product", PRODUCT_IDS)
def test_every_widget_has_a_dismiss_button_and_stable_unique_ids(product: str) -> None:
    for widget in [generic_widget(product, now=NOW)] + [
        personalised_widget(product, u, now=NOW) for u in users(20)
    ]:
        components = list(walk(widget))
        ids = [c.get("id") for c in components]
        assert all(isinstance(i, str) and i.startswith(product) for i in ids)
        assert len(set(ids)) == len(ids)
        actions = [c["action"] for c in components if c["type"] == "button"]
        assert {"type": "dismiss"} in actions


@pytest.mark.parametrize("product", PRODUCT_IDS)
def test_links_are_site_relative_offer_urls_of_the_product(product: str) -> None:
    for widget in [
        generic_widget(product, now=NOW),
        personalised_widget(product, users(1)[0], now=NOW),
    ]:
        urls = [
            c["action"]["url"]
            for c in walk(widget)
            if c["type"] == "button" and c["action"]["type"] == "navigate"
        ]
        assert urls
        assert all(re.match(rf"^/go/{product}/[a-z0-9/]+$", url) for url in urls), urls


def test_every_image_referenced_ships_with_the_package_as_svg() -> None:
    referenced: set[str] = set()
    for product in PRODUCT_IDS:
        for widget in [generic_widget(product, now=NOW)] + [
            personalised_widget(product, u, now=NOW) for u in users(30)
        ]:
            referenced |= {c["url"] for c in walk(widget) if c["type"] == "image"}
    assert all(url.startswith("/assets/products/") for url in referenced)
    files = {url.removeprefix("/assets/products/") for url in referenced}
    for name in files:
        text = (IMAGES_DIR / name).read_text(encoding="utf-8")
        assert text.lstrip().startswith("<svg"), name
        assert "viewBox" in text, name
    assert len(files) >= 12


def test_deals_end_in_the_future_in_rfc3339_utc_and_the_ttl_matches() -> None:
    found = 0
    for product in PRODUCT_IDS:
        for user in users(20):
            offer = personalised_offer(product, user, now=NOW)
            ends = [c["until"] for c in walk(offer.content) if c["type"] == "countdown"]
            for until in ends:
                found += 1
                assert RFC3339_Z.match(until)
                moment = datetime.strptime(until, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
                assert NOW < moment < NOW + timedelta(days=7)
                assert offer.ttl_seconds == int((moment - NOW).total_seconds())
    assert found >= 100


def test_prices_are_euros_with_plausible_amounts_and_discounts() -> None:
    for product in PRODUCT_IDS:
        for user in users(30):
            for c in walk(personalised_widget(product, user, now=NOW)):
                if c["type"] != "price":
                    continue
                assert c["currency"] == "EUR"
                assert 0 <= c["amount"] < 3000
                assert c.get("was_amount", c["amount"]) >= c["amount"]


def test_the_generic_offer_carries_the_same_content_as_the_generic_widget() -> None:
    assert generic_offer("flights", now=NOW).content == generic_widget("flights", now=NOW)


def test_an_unknown_product_has_no_content() -> None:
    with pytest.raises(UnknownSimulatedProduct):
        generic_widget("pet_insurance")
    with pytest.raises(UnknownSimulatedProduct):
        personalised_widget("pet_insurance", users(1)[0])


def test_a_carousel_of_flights_never_shows_the_same_route_twice() -> None:
    for user in users(50):
        widget = personalised_widget("flights", user, now=NOW)
        titles = [c["title"] for c in walk(widget) if c["type"] == "card"]
        assert len(titles) == 3
        assert len(set(titles)) == 3


def test_a_users_home_city_is_the_same_in_every_product() -> None:
    # The user lives in one place: energy quotes their postcode, flights leave from
    # the airport near it, holidays from the same airport.
    user = users(1, seed=11)[0]
    energy = json.dumps(personalised_widget("energy", user, now=NOW), ensure_ascii=False)
    flights = personalised_widget("flights", user, now=NOW)
    airport = next(c["title"][:3] for c in walk(flights) if c["type"] == "card")
    city = home_city(user)
    assert f"{city.postcode} {city.name}" in energy
    assert airport == city.airport
