"""Fault settings of the simulated products: parsing, merging, and what they inject."""

from __future__ import annotations

import random
import time

import pytest

from homewidgets.products import PRODUCT_IDS
from homewidgets.products.faults import (
    Fault,
    FaultConfig,
    FaultConfigError,
    inject,
    parse_override,
)
from homewidgets.products.simulator import VersionClock


def test_a_product_override_is_parsed_from_the_command_line_form() -> None:
    product, fields = parse_override("car_insurance:latency_ms=3000,failure_rate=1")
    assert product == "car_insurance"
    assert fields == {"latency_ms": 3000.0, "failure_rate": 1.0}


@pytest.mark.parametrize(
    ("spec", "names"),
    [
        ("car_insurance", "PRODUCT:key=value"),
        ("energy:latency_ms", "'latency_ms' is not key=value"),
        ("energy:failure_rate=2", "energy.failure_rate must be between 0 and 1"),
        ("energy:latency_ms=fast", "energy.latency_ms must be a number"),
        ("energy:colour=red", "energy.colour is not a fault setting"),
        ("energy:failure_mode=explode", "energy.failure_mode must be 'error' or 'hang'"),
    ],
)
def test_a_bad_override_is_refused_naming_the_field(spec: str, names: str) -> None:
    with pytest.raises(FaultConfigError, match=names):
        parse_override(spec)


def test_an_override_keeps_the_global_values_it_does_not_name() -> None:
    config = FaultConfig(Fault(latency_ms=20, jitter_ms=5))
    config.update({"products": {"energy": {"failure_rate": 1}}}, PRODUCT_IDS)
    assert config.for_product("energy") == Fault(latency_ms=20, jitter_ms=5, failure_rate=1)
    assert config.for_product("dsl") == Fault(latency_ms=20, jitter_ms=5)


def test_updates_merge_and_null_removes_a_products_override() -> None:
    config = FaultConfig()
    config.update({"products": {"energy": {"latency_ms": 100}}}, PRODUCT_IDS)
    config.update({"products": {"energy": {"failure_rate": 0.5}}}, PRODUCT_IDS)
    assert config.for_product("energy") == Fault(latency_ms=100, failure_rate=0.5)
    config.update({"products": {"energy": None}}, PRODUCT_IDS)
    assert config.for_product("energy") == Fault()


def test_reset_drops_the_global_fault_and_every_override() -> None:
    config = FaultConfig(Fault(latency_ms=50), {"energy": {"failure_rate": 1.0}})
    config.update({"reset": True}, PRODUCT_IDS)
    assert config.default == Fault()
    assert config.overrides == {}


def test_a_bad_update_changes_nothing() -> None:
    config = FaultConfig(Fault(latency_ms=50))
    with pytest.raises(FaultConfigError, match=r"products\.dsl\.failure_rate"):
        config.update(
            {
                "latency_ms": 10,
                "products": {"energy": {"latency_ms": 1}, "dsl": {"failure_rate": -1}},
            },
            PRODUCT_IDS,
        )
    assert config.default == Fault(latency_ms=50)
    assert config.overrides == {}


def test_an_unknown_product_cannot_be_configured() -> None:
    with pytest.raises(FaultConfigError, match=r"products\.pets is not a simulated product"):
        FaultConfig().update({"products": {"pets": {"latency_ms": 1}}}, PRODUCT_IDS)


def test_latency_with_jitter_stays_within_its_bounds_and_never_goes_negative() -> None:
    rng = random.Random(3)
    delays = [Fault(latency_ms=20, jitter_ms=30).delay_seconds(rng) for _ in range(2000)]
    assert min(delays) == 0.0
    assert max(delays) <= 0.050
    assert 0.015 < sum(delays) / len(delays) < 0.030


def test_the_failure_rate_fails_about_that_share_of_calls() -> None:
    rng = random.Random(5)
    failures = sum(Fault(failure_rate=0.25).fails(rng) for _ in range(4000))
    assert 850 < failures < 1150
    assert not any(Fault().fails(rng) for _ in range(1000))
    assert all(Fault(failure_rate=1).fails(rng) for _ in range(1000))


async def test_inject_waits_the_latency_then_says_whether_to_fail() -> None:
    rng = random.Random(1)
    started = time.monotonic()
    assert await inject(Fault(latency_ms=60), rng) is False
    assert time.monotonic() - started >= 0.055
    assert await inject(Fault(failure_rate=1), rng) is True


async def test_a_hanging_failure_waits_before_failing() -> None:
    started = time.monotonic()
    assert await inject(Fault(failure_rate=1, failure_mode="hang", hang_ms=80), random.Random(1))
    assert time.monotonic() - started >= 0.075


def test_versions_increase_strictly_even_within_one_millisecond() -> None:
    clock = VersionClock(lambda: 1_700_000_000.0)
    versions = [clock.next() for _ in range(5)]
    assert versions == list(range(1_700_000_000_000, 1_700_000_000_005))


def test_versions_follow_the_wall_clock_so_a_restart_never_goes_backwards() -> None:
    before = VersionClock(lambda: 1_700_000_000.0)
    for _ in range(3):
        before.next()
    after_restart = VersionClock(lambda: 1_700_000_001.0)
    assert after_restart.next() > before.next()
