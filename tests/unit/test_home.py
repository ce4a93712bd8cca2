"""The assembled home: order, personalisation flags, ETag, the compat shape, gzip."""

from __future__ import annotations

import gzip

import msgspec

from homewidgets.domain.home import HomeAssembler
from homewidgets.domain.model import Product, Registry, StoredWidget

REGISTRY = Registry.of(
    [
        Product("energy", "Energy", 20, pull_url="http://x/energy"),
        Product("car_insurance", "Car insurance", 10, pull_url="http://x/car_insurance"),
        Product("flights", "Flights", 30),
    ]
)
USER = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
NOW = 1_000_000.0


def widget(product: str, version: int = 1, text: str = "hi", **kw: object) -> StoredWidget:
    content = msgspec.json.encode({"type": "text", "text": text})
    return StoredWidget(product, version, content, **kw)  # type: ignore[arg-type]


def decode(body: bytes) -> dict[str, object]:
    return msgspec.json.decode(body)  # type: ignore[no-any-return]


def test_a_user_without_personal_widgets_gets_every_generic_widget_in_registry_order() -> None:
    generic = {p: widget(p) for p in ("flights", "energy", "car_insurance")}
    home = HomeAssembler(REGISTRY).assemble(USER, {}, generic, 1, NOW)
    doc = decode(home.v1.body)
    assert doc["user_id"] == USER and doc["schema_version"] == 1
    assert doc["personalised"] is False
    assert [w["product"] for w in doc["widgets"]] == ["car_insurance", "energy", "flights"]  # type: ignore[attr-defined]
    assert home.missing == ("car_insurance", "energy")  # only pullable products are asked


def test_a_personal_widget_replaces_the_generic_one_and_is_marked() -> None:
    generic = {p: widget(p) for p in ("energy", "car_insurance")}
    personal = {"energy": widget("energy", 7, "for you")}
    home = HomeAssembler(REGISTRY).assemble(USER, personal, generic, 1, NOW)
    doc = decode(home.v1.body)
    energy = next(w for w in doc["widgets"] if w["product"] == "energy")  # type: ignore[attr-defined]
    assert energy == {
        "product": "energy",
        "personalised": True,
        "version": 7,
        "content": {"type": "text", "text": "for you"},
    }
    assert doc["personalised"] is True
    assert home.missing == ("car_insurance",)


def test_priority_comes_before_registry_order() -> None:
    generic = {"car_insurance": widget("car_insurance"), "flights": widget("flights", priority=5)}
    home = HomeAssembler(REGISTRY).assemble(USER, {}, generic, 1, NOW)
    assert [w["product"] for w in decode(home.v1.body)["widgets"]] == ["flights", "car_insurance"]  # type: ignore[attr-defined]


def test_expired_widgets_fall_back_and_the_earliest_expiry_is_kept() -> None:
    generic = {"energy": widget("energy", 1, "generic")}
    personal = {
        "energy": widget("energy", 2, "gone", expires_at=NOW - 1),
        "car_insurance": widget("car_insurance", 3, expires_at=NOW + 60),
    }
    home = HomeAssembler(REGISTRY).assemble(USER, personal, generic, 1, NOW)
    widgets = {w["product"]: w for w in decode(home.v1.body)["widgets"]}  # type: ignore[attr-defined]
    assert widgets["energy"]["personalised"] is False
    assert home.expires_at == NOW + 60


def test_a_product_with_neither_widget_is_left_out() -> None:
    home = HomeAssembler(REGISTRY).assemble(USER, {}, {}, 1, NOW)
    assert decode(home.v1.body)["widgets"] == []


def test_the_etag_changes_with_any_version_and_only_then() -> None:
    assembler = HomeAssembler(REGISTRY)
    generic = {"energy": widget("energy", 1)}
    a = assembler.assemble(USER, {}, generic, 1, NOW)
    b = assembler.assemble(USER, {}, generic, 2, NOW)
    c = assembler.assemble(USER, {}, {"energy": widget("energy", 2)}, 3, NOW)
    assert a.v1.etag == b.v1.etag != c.v1.etag
    assert a.v1.etag.startswith('"') and a.v1.etag.endswith('"')


def test_the_compat_shape_maps_products_to_content() -> None:
    home = HomeAssembler(REGISTRY).assemble(USER, {}, {"energy": widget("energy")}, 1, NOW)
    assert decode(home.compat.body) == {
        "user_id": USER,
        "recs_by_product": {"energy": {"type": "text", "text": "hi"}},
    }
    assert home.compat.etag != home.v1.etag


def test_the_gzip_copy_is_made_once_and_decompresses_to_the_body() -> None:
    home = HomeAssembler(REGISTRY).assemble(USER, {}, {"energy": widget("energy")}, 1, NOW)
    status, headers, body = home.v1.gzipped()
    assert status == 200
    assert gzip.decompress(body) == home.v1.body
    assert ("content-encoding", "gzip") in headers
    assert ("content-length", str(len(body))) in headers
    assert home.v1.gzipped()[2] is body
