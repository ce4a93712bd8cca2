"""The `homewidgets products` command line: flags and environment turned into settings."""

from __future__ import annotations

import pytest

from homewidgets.products.faults import Fault
from homewidgets.products.server import parse_args


def test_the_defaults_serve_on_port_9100_and_push_generics_to_the_local_service() -> None:
    args, settings, faults = parse_args([], {})
    assert (args.host, args.port) == ("127.0.0.1", 9100)
    assert settings.service_url == "http://127.0.0.1:8000"
    assert settings.push_generics
    assert settings.consume_events
    assert settings.push_rate == 0
    assert faults.default == Fault()


def test_the_environment_moves_the_service_and_the_products_base_url() -> None:
    args, settings, _ = parse_args(
        [],
        {
            "HOMEWIDGETS_SERVICE_URL": "http://127.0.0.1:8100/",
            "HOMEWIDGETS_PRODUCTS_URL": "http://127.0.0.1:9300",
        },
    )
    assert settings.service_url == "http://127.0.0.1:8100"
    assert args.port == 9300


def test_global_and_per_product_faults_come_from_flags() -> None:
    _, settings, faults = parse_args(
        [
            "--latency-ms", "20",
            "--jitter-ms", "5",
            "--failure-rate", "0.1",
            "--product", "car_insurance:latency_ms=3000,failure_rate=1",
            "--product", "energy:failure_mode=hang",
            "--push-rate", "50",
            "--no-push-generics",
        ],
        {},
    )  # fmt: skip
    assert faults.for_product("car_insurance") == Fault(
        latency_ms=3000, jitter_ms=5, failure_rate=1
    )
    assert faults.for_product("energy") == Fault(
        latency_ms=20, jitter_ms=5, failure_rate=0.1, failure_mode="hang"
    )
    assert faults.for_product("dsl") == Fault(latency_ms=20, jitter_ms=5, failure_rate=0.1)
    assert settings.push_rate == 50
    assert not settings.push_generics


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--failure-rate", "1.5"], "failure_rate must be between 0 and 1"),
        (["--product", "pets:latency_ms=1"], "products.pets is not a simulated product"),
        (["--product", "energy:latency=1"], "energy.latency is not a fault setting"),
        (["--push-rate", "-1"], "--push-rate must be at least 0"),
    ],
)
def test_a_bad_flag_exits_with_status_2_and_names_it(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_args(argv, {})
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
