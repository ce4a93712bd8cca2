"""The read path over HTTP (CONTRACT 3): one response per user, ETag/304, gzip, live events."""

from __future__ import annotations

import gzip

from openapi_spec_validator import validate

from inprocess import CARD, Service, auth

USER = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"


async def test_an_unknown_user_gets_the_generic_widgets_not_personalised(service: Service) -> None:
    await service.http.put(
        "/v1/products/energy/generic", json={"content": CARD}, headers=auth("energy")
    )
    await service.runtime.reader.reload_generic()
    response = await service.http.get(f"/v1/home/{USER}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body == {
        "user_id": USER,
        "schema_version": 1,
        "personalised": False,
        "widgets": [{"product": "energy", "personalised": False, "version": 1, "content": CARD}],
    }


async def test_the_etag_answers_if_none_match_with_304_until_the_home_changes(
    service: Service,
) -> None:
    first = await service.http.get(f"/v1/home/{USER}")
    etag = first.headers["etag"]
    again = await service.http.get(f"/v1/home/{USER}", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    await service.http.put(
        f"/v1/products/energy/widgets/{USER}", json={"content": CARD}, headers=auth("energy")
    )
    changed = await service.http.get(f"/v1/home/{USER}", headers={"if-none-match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


async def test_gzip_is_sent_only_to_clients_that_accept_it(service: Service) -> None:
    await service.http.put(
        f"/v1/products/energy/widgets/{USER}", json={"content": CARD}, headers=auth("energy")
    )
    raw = await service.http.get(f"/v1/home/{USER}", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in raw.headers
    stream = service.http.stream("GET", f"/v1/home/{USER}", headers={"accept-encoding": "gzip"})
    async with stream as packed:
        assert packed.headers["content-encoding"] == "gzip"
        data = b"".join([chunk async for chunk in packed.aiter_raw()])
    assert gzip.decompress(data) == raw.content


async def test_the_compat_route_has_the_proof_of_concept_shape(service: Service) -> None:
    await service.http.put(
        f"/v1/products/energy/widgets/{USER}", json={"content": CARD}, headers=auth("energy")
    )
    response = await service.http.get(f"/get_recommendations/{USER}")
    assert response.json() == {"user_id": USER, "recs_by_product": {"energy": CARD}}


async def test_user_ids_are_canonicalised_and_non_uuids_refused(service: Service) -> None:
    upper = await service.http.get(f"/v1/home/{USER.upper()}")
    assert upper.json()["user_id"] == USER
    bad = await service.http.get("/v1/home/12345")
    assert bad.status_code == 422
    assert bad.json()["problems"][0]["pointer"] == "/user_id"
    assert (await service.http.get("/get_recommendations/x")).status_code == 422


async def test_only_get_and_head_are_allowed_on_the_read_path(service: Service) -> None:
    assert (await service.http.post(f"/v1/home/{USER}")).status_code == 405
    head = await service.http.head(f"/v1/home/{USER}")
    assert head.status_code == 200 and head.content == b""


async def test_user_events_reach_the_products_stream(service: Service) -> None:
    sent = {
        "events": [
            {
                "type": "dismiss",
                "product": "energy",
                "user_id": USER,
                "widget_version": 3,
                "component_id": "offer-1",
                "ts": 1,
            }
        ]
    }
    assert (await service.http.post("/v1/events", json=sent)).status_code == 202
    read = await service.http.get("/v1/products/energy/events?after=0", headers=auth("energy"))
    assert read.status_code == 200
    assert [e["event"] for e in read.json()["events"]] == sent["events"]
    other = await service.http.get("/v1/products/energy/events?after=0", headers=auth("flights"))
    assert other.status_code == 403


async def test_bad_events_name_the_field(service: Service) -> None:
    bad = {"events": [{"type": "hover", "product": "energy", "user_id": USER}]}
    response = await service.http.post("/v1/events", json=bad)
    assert response.status_code == 422
    assert response.json()["problems"][0]["pointer"] == "/events/0/type"
    unknown = {"events": [{"type": "click", "product": "nope", "user_id": USER}]}
    response = await service.http.post("/v1/events", json=unknown)
    assert response.json()["problems"][0]["pointer"] == "/events/0/product"


async def test_the_openapi_document_is_valid_and_covers_both_planes(service: Service) -> None:
    document = (await service.http.get("/openapi.json")).json()
    validate(document)
    assert "/v1/home/{user_id}" in document["paths"]
    assert "/v1/products/{product}/widgets:batch" in document["paths"]
    assert "SduiComponent" in str(document["components"]["schemas"]["PushBody"])
    docs = await service.http.get("/docs")
    assert "swagger-ui-bundle.js" in docs.text
    assert (await service.http.get("/docs/static/swagger-ui-bundle.js")).status_code == 200


async def test_products_schema_and_health(service: Service) -> None:
    products = (await service.http.get("/v1/products")).json()["products"]
    assert products[0] == {"id": "car_insurance", "name": "Car insurance", "order": 10}
    schema = (await service.http.get("/v1/schema/sdui.json")).json()
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert (await service.http.get("/healthz")).json() == {"status": "ok"}
    assert (await service.http.get("/readyz")).status_code == 200
    service.store.down = True
    assert (await service.http.get("/readyz")).status_code == 503


async def test_a_push_while_l2_is_down_gets_503_with_retry_after(service: Service) -> None:
    service.store.down = True
    response = await service.http.put(
        f"/v1/products/energy/widgets/{USER}", json={"content": CARD}, headers=auth("energy")
    )
    assert response.status_code == 503
    assert response.headers["retry-after"]
    read = await service.http.get(f"/v1/home/{USER}")
    assert read.status_code == 200


async def test_validate_endpoint_returns_canonical_content_or_problems(service: Service) -> None:
    ok = await service.http.post("/v1/schema/validate", json=CARD)
    assert ok.json() == {"valid": True, "content": CARD}
    bad = await service.http.post("/v1/schema/validate", json={"type": "card"})
    assert bad.status_code == 422
    assert bad.json()["problems"][0]["pointer"] == "/title"
