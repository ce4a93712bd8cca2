"""Tiny builders for SDUI components (CONTRACT 7) as plain dicts.

Why plain dicts and not typed models: the content leaves this package as JSON at once
(pushed or pulled), and the home service validates it anyway; builders only save
typing and keep every component carrying a stable `id`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

Component = dict[str, Any]

IMAGE_BASE = "/assets/products/"


def _with_id(cid: str, component: Component) -> Component:
    return {"id": cid, **component}


def section(cid: str, children: list[Component], title: str | None = None) -> Component:
    body: Component = {"type": "section", "children": children}
    if title is not None:
        body["title"] = title
    return _with_id(cid, body)


def carousel(cid: str, items: list[Component], title: str | None = None) -> Component:
    body: Component = {"type": "carousel", "items": items}
    if title is not None:
        body["title"] = title
    return _with_id(cid, body)


def card(
    cid: str,
    title: str,
    *,
    subtitle: str | None = None,
    image: Component | None = None,
    badge: Component | None = None,
    children: list[Component] | None = None,
    actions: list[Component] | None = None,
) -> Component:
    body: Component = {"type": "card", "title": title}
    for key, value in (
        ("subtitle", subtitle),
        ("image", image),
        ("badge", badge),
        ("children", children),
        ("actions", actions),
    ):
        if value is not None:
            body[key] = value
    return _with_id(cid, body)


def text(cid: str, value: str, style: str | None = None) -> Component:
    body: Component = {"type": "text", "text": value}
    if style is not None:
        body["style"] = style
    return _with_id(cid, body)


def image(cid: str, file: str, alt: str, aspect_ratio: float | None = None) -> Component:
    """An image shipped in `homewidgets/products/images`, served by the home service."""
    body: Component = {"type": "image", "url": IMAGE_BASE + file, "alt": alt}
    if aspect_ratio is not None:
        body["aspect_ratio"] = aspect_ratio
    return _with_id(cid, body)


def navigate(url: str) -> dict[str, str]:
    return {"type": "navigate", "url": url}


def button(cid: str, label: str, action: dict[str, str], style: str | None = None) -> Component:
    body: Component = {"type": "button", "label": label, "action": action}
    if style is not None:
        body["style"] = style
    return _with_id(cid, body)


def dismiss_button(cid: str, label: str = "Not interested") -> Component:
    """The button every widget carries, so the page can report dismissals (CONTRACT 8)."""
    return button(cid, label, {"type": "dismiss"}, "link")


def price(
    cid: str,
    amount: float,
    *,
    period: str | None = None,
    was: float | None = None,
    currency: str = "EUR",
) -> Component:
    body: Component = {"type": "price", "amount": round(amount, 2), "currency": currency}
    if period is not None:
        body["period"] = period
    if was is not None:
        body["was_amount"] = round(was, 2)
    return _with_id(cid, body)


def badge(cid: str, label: str, tone: str | None = None) -> Component:
    body: Component = {"type": "badge", "label": label}
    if tone is not None:
        body["tone"] = tone
    return _with_id(cid, body)


def rating(
    cid: str, value: float, count: int | None = None, max_value: int | None = None
) -> Component:
    body: Component = {"type": "rating", "value": round(value, 1)}
    if max_value is not None:
        body["max"] = max_value
    if count is not None:
        body["count"] = count
    return _with_id(cid, body)


def row(cid: str, children: list[Component]) -> Component:
    return _with_id(cid, {"type": "row", "children": children})


def column(cid: str, children: list[Component]) -> Component:
    return _with_id(cid, {"type": "column", "children": children})


def countdown(cid: str, until: datetime, label: str | None = None) -> Component:
    body: Component = {"type": "countdown", "until": rfc3339(until)}
    if label is not None:
        body["label"] = label
    return _with_id(cid, body)


def divider(cid: str) -> Component:
    return _with_id(cid, {"type": "divider"})


def rfc3339(moment: datetime) -> str:
    """UTC, whole seconds, `Z` suffix: the form every client parses."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
