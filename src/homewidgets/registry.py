"""The product registry: the built-in demo registry and the TOML file form (CONTRACT 2)."""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path
from typing import Any

from homewidgets.domain.model import PRODUCT_ID_PATTERN, Product, Registry

DEFAULT_PRODUCTS_URL = "http://127.0.0.1:9100"

# (id, name, order): the demo products that `homewidgets products` simulates.
DEMO_PRODUCTS: tuple[tuple[str, str, int], ...] = (
    ("car_insurance", "Car insurance", 10),
    ("energy", "Electricity & gas", 20),
    ("dsl", "DSL & internet", 30),
    ("mobile", "Mobile contracts", 40),
    ("flights", "Flights", 50),
    ("hotels", "Hotels", 60),
    ("credit_card", "Credit cards", 70),
    ("travel", "Package holidays", 80),
)

_PRODUCT_ID = re.compile(PRODUCT_ID_PATTERN)
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class RegistryError(ValueError):
    """The registry file is unreadable or breaks the file form; the message names the entry."""


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def demo_token(product_id: str) -> str:
    """A demo product's push token: public on purpose, the demo registry is not for production."""
    return f"demo-{product_id}-token"


def demo_registry(products_url: str = DEFAULT_PRODUCTS_URL) -> Registry:
    base = products_url.rstrip("/")
    return Registry.of(
        Product(
            id=pid,
            name=name,
            order=order,
            pull_url=f"{base}/{pid}",
            token_sha256=(token_sha256(demo_token(pid)),),
        )
        for pid, name, order in DEMO_PRODUCTS
    )


def load_registry(path: str | Path) -> Registry:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RegistryError(f"cannot read product registry {str(path)!r}: {exc}") from exc
    return registry_from_dict(data)


def registry_from_dict(data: dict[str, Any]) -> Registry:
    entries = data.get("products")
    if not isinstance(entries, list) or not entries:
        raise RegistryError("the registry needs at least one [[products]] entry")
    products: list[Product] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"products[{index}]"
        if not isinstance(entry, dict):
            raise RegistryError(f"{where} must be a table")
        pid = entry.get("id")
        if not isinstance(pid, str) or not _PRODUCT_ID.match(pid):
            raise RegistryError(f"{where}.id must match {PRODUCT_ID_PATTERN}, got {pid!r}")
        if pid in seen:
            raise RegistryError(f"{where}.id {pid!r} is listed twice")
        seen.add(pid)
        name = entry.get("name", pid)
        order = entry.get("order", (index + 1) * 10)
        pull_url = entry.get("pull_url")
        hashes = entry.get("token_sha256", [])
        if isinstance(hashes, str):
            hashes = [hashes]
        if not isinstance(name, str) or not name:
            raise RegistryError(f"{where}.name must be a non-empty string")
        if not isinstance(order, int) or isinstance(order, bool):
            raise RegistryError(f"{where}.order must be an integer")
        if pull_url is not None and (
            not isinstance(pull_url, str) or not pull_url.startswith(("http://", "https://"))
        ):
            raise RegistryError(f"{where}.pull_url must be an http(s) URL")
        if not isinstance(hashes, list) or not all(
            isinstance(h, str) and _SHA256_HEX.match(h.lower()) for h in hashes
        ):
            raise RegistryError(f"{where}.token_sha256 must be a list of 64 hex digits")
        products.append(
            Product(
                id=pid,
                name=name,
                order=order,
                pull_url=pull_url.rstrip("/") if pull_url else None,
                token_sha256=tuple(h.lower() for h in hashes),
            )
        )
    return Registry.of(products)
