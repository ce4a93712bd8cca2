"""The push path over HTTP (CONTRACT 4): auth, versions, batch, and refusals that store nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from inprocess import CARD, Service, auth

USER = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
PUT = f"/v1/products/energy/widgets/{USER}"


async def home(service: Service, user: str = USER) -> dict[str, Any]:
    response = await service.http.get(f"/v1/home/{user}")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


async def test_a_pushed_widget_is_read_back_personalised(service: Service) -> None:
    response = await service.http.put(
        PUT, json={"content": CARD, "version": 3}, headers=auth("energy")
    )
    assert response.status_code == 200
    assert response.json() == {"product": "energy", "user_id": USER, "version": 3, "stored": True}
    widgets = (await home(service))["widgets"]
    assert widgets == [{"product": "energy", "personalised": True, "version": 3, "content": CARD}]


async def test_versions_older_are_refused_equal_are_no_ops_absent_are_assigned(
    service: Service,
) -> None:
    h = auth("energy")
    assert (
        await service.http.put(PUT, json={"content": CARD, "version": 5}, headers=h)
    ).status_code == 200
    older = await service.http.put(PUT, json={"content": CARD, "version": 4}, headers=h)
    assert older.status_code == 409
    assert older.json()["stored_version"] == 5
    same = await service.http.put(PUT, json={"content": CARD, "version": 5}, headers=h)
    assert same.status_code == 200 and same.json()["stored"] is False
    assigned = await service.http.put(PUT, json={"content": CARD}, headers=h)
    assert assigned.json()["version"] == 6


async def test_delete_falls_back_to_the_generic_widget(service: Service) -> None:
    h = auth("energy")
    await service.http.put("/v1/products/energy/generic", json={"content": CARD}, headers=h)
    await service.http.put(PUT, json={"content": {"type": "text", "text": "mine"}}, headers=h)
    deleted = await service.http.delete(PUT, headers=h)
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    await service.runtime.reader.reload_generic()
    widgets = (await home(service))["widgets"]
    assert widgets[0]["personalised"] is False and widgets[0]["content"] == CARD


async def test_ttl_seconds_and_priority_are_honoured(service: Service) -> None:
    await service.http.put(PUT, json={"content": CARD, "ttl_seconds": 60}, headers=auth("energy"))
    await service.http.put(
        f"/v1/products/flights/widgets/{USER}",
        json={"content": CARD, "priority": 10},
        headers=auth("flights"),
    )
    widgets = (await home(service))["widgets"]
    assert [w["product"] for w in widgets] == ["flights", "energy"]


async def test_a_batch_answers_per_item_and_stores_the_good_ones(service: Service) -> None:
    other = "9b2c1a36-5f6e-4c8e-9d3a-0a1b2c3d4e5f"
    items = [
        {"user_id": USER, "content": CARD, "version": 2},
        {"user_id": "not-a-uuid", "content": CARD},
        {"user_id": other, "content": {"type": "card"}},
        {"user_id": other, "content": CARD, "version": 1},
    ]
    response = await service.http.post(
        "/v1/products/energy/widgets:batch", json={"items": items}, headers=auth("energy")
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [200, 422, 422, 200]
    assert results[1]["problems"][0]["pointer"] == "/items/1/user_id"
    assert results[2]["problems"][0]["pointer"] == "/items/2/content/title"
    assert (await home(service, other))["widgets"][0]["version"] == 1


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"authorization": "Bearer nope"}, 401),
        ({"authorization": "Basic x"}, 401),
        (auth("flights"), 403),
    ],
)
async def test_push_needs_that_products_token(
    service: Service, headers: dict[str, str], status: int
) -> None:
    for method, url, body in _routes():
        response = await service.http.request(method, url, json=body, headers=headers)
        assert response.status_code == status, (method, url)
    assert service.store.changes == []


async def test_an_unknown_product_is_404(service: Service) -> None:
    response = await service.http.put(
        f"/v1/products/nope/widgets/{USER}", json={"content": CARD}, headers=auth("energy")
    )
    assert response.status_code == 404


def _routes() -> list[tuple[str, str, Any]]:
    return [
        ("PUT", PUT, {"content": CARD}),
        ("DELETE", PUT, None),
        ("PUT", "/v1/products/energy/generic", {"content": CARD}),
        (
            "POST",
            "/v1/products/energy/widgets:batch",
            {"items": [{"user_id": USER, "content": CARD}]},
        ),
    ]


DEEP: dict[str, Any] = {"type": "text", "text": "bottom"}
for _ in range(17):
    DEEP = {"type": "section", "children": [DEEP]}

BAD_BODIES: list[tuple[str, bytes, int, str]] = [
    ("malformed JSON", b'{"content": {', 400, ""),
    ("missing content", b'{"version": 1}', 422, "/content"),
    ("unknown type", json.dumps({"content": {"type": "marquee"}}).encode(), 422, "/content/type"),
    ("missing field", json.dumps({"content": {"type": "card"}}).encode(), 422, "/content/title"),
    ("wrong type", json.dumps({"content": CARD, "version": "x"}).encode(), 422, "/version"),
    ("unknown field", json.dumps({"content": CARD, "colour": 1}).encode(), 422, "/colour"),
    (
        "javascript URL",
        json.dumps(
            {
                "content": {
                    "type": "button",
                    "label": "x",
                    "action": {"type": "navigate", "url": "javascript:alert(1)"},
                }
            }
        ).encode(),
        422,
        "/content/action/url",
    ),
    ("too deep", json.dumps({"content": DEEP}).encode(), 422, "/content"),
    (
        "too large",
        json.dumps({"content": {"type": "text", "text": "x" * 70_000}}).encode(),
        413,
        "",
    ),
]


@pytest.mark.parametrize(
    ("name", "body", "status", "pointer"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES]
)
@pytest.mark.parametrize("route", ["user", "generic", "batch"])
async def test_bad_input_on_every_push_route_names_the_field_and_stores_nothing(
    service: Service, name: str, body: bytes, status: int, pointer: str, route: str
) -> None:
    url = {"user": PUT, "generic": "/v1/products/energy/generic"}.get(route)
    if url is None:
        url = "/v1/products/energy/widgets:batch"
        item = body if status == 400 else json.dumps({**json.loads(body), "user_id": USER}).encode()
        body = b'{"items": [' + item + b"]}"
        pointer = pointer if status == 400 else "/items/0" + pointer
    method = "POST" if route == "batch" else "PUT"
    response = await service.http.request(
        method, url, content=body, headers={**auth("energy"), "content-type": "application/json"}
    )
    if route == "batch" and status != 400:
        assert response.status_code == 200
        problem = response.json()["results"][0]
        assert problem["status"] == status
        problems = problem["problems"]
    else:
        assert response.status_code == status, response.text
        problems = response.json()["problems"]
    assert problems[0]["pointer"].startswith(pointer), problems
    assert problems[0]["reason"]
    assert service.store.changes == []
