"""Settings from HOMEWIDGETS_*: defaults, parsing, and errors that name the variable."""

from __future__ import annotations

import pytest

from homewidgets.config import ConfigError, Settings


def test_no_environment_gives_the_demo_defaults() -> None:
    settings = Settings.from_environ({})
    assert settings == Settings()
    assert settings.redis_url is None and settings.server_tasks == "rust"


def test_values_are_parsed_from_text() -> None:
    settings = Settings.from_environ({
        "HOMEWIDGETS_REDIS_URL": "redis://127.0.0.1:6379/0",
        "HOMEWIDGETS_L1_MAX_BYTES": "1024",
        "HOMEWIDGETS_GENERIC_TTL_SECONDS": "0.5",
        "HOMEWIDGETS_OTEL_ENABLED": "yes",
        "HOMEWIDGETS_SERVER_TASKS": " AsyncIO ",
        "HOMEWIDGETS_ALLOWED_APP_SCHEMES": "CheckApp:, other",
    })
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.l1_max_bytes == 1024 and settings.generic_ttl_seconds == 0.5
    assert settings.otel_enabled is True
    assert settings.server_tasks == "asyncio"
    assert settings.allowed_app_schemes == frozenset({"checkapp", "other"})


@pytest.mark.parametrize(("key", "value", "message"), [
    ("HOMEWIDGETS_SERVER_TASKS", "threads", "must be one of rust, asyncio"),
    ("HOMEWIDGETS_L1_MAX_BYTES", "lots", "must be an integer"),
    ("HOMEWIDGETS_GENERIC_TTL_SECONDS", "soon", "must be a number"),
    ("HOMEWIDGETS_L1_MAX_BYTES", "-1", "must not be negative"),
    ("HOMEWIDGETS_OTEL_ENABLED", "maybe", "must be true or false"),
])  # fmt: skip
def test_a_malformed_value_is_refused_naming_its_variable(
    key: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=key) as refused:
        Settings.from_environ({key: value})
    assert message in str(refused.value)
