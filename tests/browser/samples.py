"""SDUI documents and homes the browser tests render: realistic ones and a kitchen sink.

Homes are built from the simulated products' real content (`homewidgets.products.content`),
so the page is tested and photographed with what the demo will show.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from homewidgets.products.content import PRODUCT_IDS, generic_widget, personalised_widget

Json = dict[str, Any]

DEMO_USER = "6f1c2a4e-1b7d-4c8e-9a51-3d2b7e0c9f11"
"""The first demo identity of the page (app.js DEMO_USERS[0]), its default user."""


def home_for(
    user_id: str,
    *,
    personalised: bool = False,
    products: tuple[str, ...] = PRODUCT_IDS,
    version: int = 1,
) -> Json:
    """A home document in the shape of `GET /v1/home/{user_id}` (CONTRACT 3)."""
    widgets = [
        {
            "product": p,
            "personalised": personalised,
            "version": version,
            "content": personalised_widget(p, user_id) if personalised else generic_widget(p),
        }
        for p in products
    ]
    return {
        "user_id": user_id,
        "schema_version": 1,
        "personalised": personalised,
        "widgets": widgets,
    }


def widget(product: str, version: int, content: Json, *, personalised: bool = True) -> Json:
    return {
        "product": product,
        "personalised": personalised,
        "version": version,
        "content": content,
    }


def home_of(user_id: str, widgets: list[Json]) -> Json:
    return {
        "user_id": user_id,
        "schema_version": 1,
        "personalised": any(w["personalised"] for w in widgets),
        "widgets": widgets,
    }


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def offer_card(n: int, *, url: str = "/go/offer") -> Json:
    """A carousel card of the kitchen sink; `n` makes titles and ids distinct."""
    return {
        "type": "card",
        "id": f"card-{n}",
        "title": f"Offer {n}",
        "subtitle": "Partial cover · 12 months",
        "image": {
            "type": "image",
            "url": "/assets/products/car.svg",
            "alt": f"Car {n}",
            "aspect_ratio": 16 / 9,
        },
        "badge": {"type": "badge", "label": "Top deal", "tone": "deal"},
        "children": [
            {
                "type": "price",
                "id": f"price-{n}",
                "amount": 19.9 + n,
                "currency": "EUR",
                "period": "month",
            },
        ],
        "actions": [
            {
                "type": "button",
                "id": f"go-{n}",
                "label": "To the offer",
                "action": {"type": "navigate", "url": f"{url}/{n}"},
            }
        ],
    }


def kitchen_sink(now: datetime | None = None, *, hostile: bool = True) -> Json:
    """One document holding every component type of the catalogue, with ids to find them.

    `hostile` adds what a client must survive but the service refuses on push: unknown
    types and links with disallowed schemes. Without it the document validates.
    """
    moment = now or datetime.now(UTC)
    children: list[Json] = [
        {"type": "text", "id": "t-title", "text": "Big title", "style": "title"},
        {"type": "text", "id": "t-subtitle", "text": "A subtitle", "style": "subtitle"},
        {"type": "text", "id": "t-body", "text": "Body text"},
        {"type": "text", "id": "t-caption", "text": "Small print", "style": "caption"},
        {"type": "text", "id": "t-script", "text": "<script>window.pwned=1</script><b>x</b>"},
        {
            "type": "carousel",
            "id": "offers",
            "title": "Popular offers",
            "items": [offer_card(n) for n in range(1, 9)],
        },
        {
            "type": "row",
            "id": "prices",
            "children": [
                {
                    "type": "price",
                    "id": "p-deal",
                    "amount": 1234.5,
                    "currency": "EUR",
                    "period": "year",
                    "was_amount": 1500,
                },
                {
                    "type": "price",
                    "id": "p-once",
                    "amount": 99,
                    "currency": "USD",
                    "period": "once",
                },
                {
                    "type": "price",
                    "id": "p-month",
                    "amount": 9.99,
                    "currency": "EUR",
                    "period": "month",
                },
            ],
        },
        {
            "type": "row",
            "id": "badges",
            "children": [
                {"type": "badge", "id": f"b-{tone}", "label": tone.title(), "tone": tone}
                for tone in ("neutral", "info", "success", "warning", "danger", "deal")
            ],
        },
        {
            "type": "column",
            "id": "ratings",
            "children": [
                {"type": "rating", "id": "r-main", "value": 4.5, "count": 1234},
                {"type": "rating", "id": "r-ten", "value": 7, "max": 10},
            ],
        },
        {
            "type": "countdown",
            "id": "cd-live",
            "label": "Offer ends in",
            "until": rfc3339(moment + timedelta(hours=2, minutes=5)),
        },
        {
            "type": "countdown",
            "id": "cd-soon",
            "label": "Flash sale",
            "until": rfc3339(moment + timedelta(seconds=3)),
        },
        {
            "type": "countdown",
            "id": "cd-past",
            "label": "Was on until",
            "until": rfc3339(moment - timedelta(days=1)),
        },
        {"type": "divider", "id": "div"},
        {
            "type": "image",
            "id": "img",
            "url": "/assets/products/plane.svg",
            "alt": "A plane at sunset",
            "aspect_ratio": 2,
        },
        {
            "type": "row",
            "id": "buttons",
            "children": [
                {
                    "type": "button",
                    "id": "btn-primary",
                    "label": "Primary",
                    "action": {"type": "navigate", "url": "/go/primary"},
                },
                {
                    "type": "button",
                    "id": "btn-secondary",
                    "label": "Secondary",
                    "style": "secondary",
                    "action": {"type": "navigate", "url": "https://example.com/x"},
                },
                {
                    "type": "button",
                    "id": "btn-link",
                    "label": "Link",
                    "style": "link",
                    "action": {"type": "track", "event": "more_info"},
                },
                {
                    "type": "button",
                    "id": "btn-dismiss",
                    "label": "Not interested",
                    "style": "link",
                    "action": {"type": "dismiss"},
                },
            ],
        },
    ]
    if hostile:
        children += [
            {
                "type": "row",
                "id": "bad-links",
                "children": [
                    {
                        "type": "button",
                        "id": "btn-js",
                        "label": "Evil",
                        "action": {"type": "navigate", "url": "javascript:alert(1)"},
                    },
                    {
                        "type": "button",
                        "id": "btn-proto",
                        "label": "Other host",
                        "action": {"type": "navigate", "url": "//evil.example/x"},
                    },
                    {
                        "type": "button",
                        "id": "btn-http",
                        "label": "Plain http",
                        "action": {"type": "navigate", "url": "http://example.com/"},
                    },
                    {
                        "type": "image",
                        "id": "img-data",
                        "url": "data:image/svg+xml,<svg/>",
                        "alt": "x",
                    },
                ],
            },
            {
                "type": "hologram",
                "id": "unknown-fb",
                "fallback": {
                    "type": "text",
                    "id": "fb-text",
                    "text": "Shown instead of a hologram",
                },
            },
            {"type": "hologram", "id": "unknown-bare"},
        ]
    return {"type": "section", "id": "sink", "title": "Everything at once", "children": children}
