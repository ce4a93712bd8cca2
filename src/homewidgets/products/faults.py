"""Injected latency and failures, globally and per product, so faults can be shown.

A `FaultConfig` lives as long as the backend app; tests and operators change it at
runtime through `POST /admin/faults`. Per-product overrides are partial: a field not
given falls back to the global value, so `failure_rate=1` for one product keeps the
global latency.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

FailureMode = Literal["error", "hang"]
_FIELDS = ("latency_ms", "jitter_ms", "failure_rate", "failure_mode", "hang_ms")


class FaultConfigError(ValueError):
    """A fault setting is malformed; the message names the field."""


@dataclass(frozen=True, slots=True)
class Fault:
    """How one product misbehaves: delay every answer, then fail a share of them.

    `failure_mode` "error" answers 503; "hang" waits `hang_ms` (past any sane client
    timeout) before answering 503, as a backend that stopped responding would.
    """

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    failure_rate: float = 0.0
    failure_mode: FailureMode = "error"
    hang_ms: float = 60_000.0

    def delay_seconds(self, rng: random.Random) -> float:
        jitter = rng.uniform(-self.jitter_ms, self.jitter_ms) if self.jitter_ms else 0.0
        return max(0.0, self.latency_ms + jitter) / 1000

    def fails(self, rng: random.Random) -> bool:
        return self.failure_rate > 0 and rng.random() < self.failure_rate


def _number(where: str, value: object, *, high: float | None = None) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise FaultConfigError(f"{where} must be a number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FaultConfigError(f"{where} must be a number, got {value!r}")
    if value < 0 or (high is not None and value > high):
        bound = f"between 0 and {high}" if high is not None else "at least 0"
        raise FaultConfigError(f"{where} must be {bound}, got {value!r}")
    return float(value)


def parse_fields(raw: dict[str, Any], where: str = "") -> dict[str, Any]:
    """Validated fault fields from a JSON object or `k=v` pairs; names the bad field."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = f"{where}{key}"
        if key == "failure_rate":
            out[key] = _number(name, value, high=1.0)
        elif key in ("latency_ms", "jitter_ms", "hang_ms"):
            out[key] = _number(name, value)
        elif key == "failure_mode":
            if value not in ("error", "hang"):
                raise FaultConfigError(f"{name} must be 'error' or 'hang', got {value!r}")
            out[key] = value
        else:
            raise FaultConfigError(f"{name} is not a fault setting (one of {', '.join(_FIELDS)})")
    return out


def parse_override(spec: str) -> tuple[str, dict[str, Any]]:
    """`car_insurance:latency_ms=3000,failure_rate=1` -> ("car_insurance", {...})."""
    product, sep, settings = spec.partition(":")
    if not sep or not product:
        raise FaultConfigError(f"--product wants PRODUCT:key=value,..., got {spec!r}")
    pairs: dict[str, Any] = {}
    for item in filter(None, settings.split(",")):
        key, eq, value = item.partition("=")
        if not eq:
            raise FaultConfigError(f"--product {product}: {item!r} is not key=value")
        pairs[key.strip()] = value.strip()
    return product, parse_fields(pairs, f"{product}.")


class FaultConfig:
    """The global fault plus per-product partial overrides; mutable at runtime."""

    def __init__(
        self, default: Fault | None = None, overrides: dict[str, dict[str, Any]] | None = None
    ):
        self.default = default or Fault()
        self.overrides: dict[str, dict[str, Any]] = dict(overrides or {})

    def for_product(self, product: str) -> Fault:
        override = self.overrides.get(product)
        return replace(self.default, **override) if override else self.default

    def update(self, body: object, known_products: tuple[str, ...]) -> None:
        """Apply a `POST /admin/faults` body; all or nothing.

        `{"reset": true}` drops everything first; top-level fields change the global
        fault; `{"products": {"energy": {...}}}` merges into that product's override,
        and `{"products": {"energy": null}}` removes it.
        """
        if not isinstance(body, dict):
            raise FaultConfigError("the body must be a JSON object")
        default = Fault() if body.get("reset") is True else self.default
        overrides = (
            {} if body.get("reset") is True else {k: dict(v) for k, v in self.overrides.items()}
        )
        top = {k: v for k, v in body.items() if k not in ("reset", "products")}
        default = replace(default, **parse_fields(top))
        products = body.get("products", {})
        if not isinstance(products, dict):
            raise FaultConfigError("products must be an object of product id -> settings")
        for product, settings in products.items():
            if product not in known_products:
                raise FaultConfigError(f"products.{product} is not a simulated product")
            if settings is None:
                overrides.pop(product, None)
            elif isinstance(settings, dict):
                overrides.setdefault(product, {}).update(
                    parse_fields(settings, f"products.{product}.")
                )
            else:
                raise FaultConfigError(f"products.{product} must be an object or null")
        self.default, self.overrides = default, overrides

    def as_dict(self, products: tuple[str, ...]) -> dict[str, Any]:
        return {
            "default": asdict(self.default),
            "overrides": self.overrides,
            "effective": {p: asdict(self.for_product(p)) for p in products},
        }


async def inject(fault: Fault, rng: random.Random) -> bool:
    """Sleep the configured latency; True if this answer must fail (after hanging if so)."""
    delay = fault.delay_seconds(rng)
    if delay:
        await asyncio.sleep(delay)
    if not fault.fails(rng):
        return False
    if fault.failure_mode == "hang":
        await asyncio.sleep(fault.hang_ms / 1000)
    return True
