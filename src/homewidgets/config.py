"""Settings, read once from a mapping of environment variables (HOMEWIDGETS_*).

Tests pass a plain dict; nothing else in the project reads `os.environ`. Errors name the key.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from homewidgets.registry import DEFAULT_PRODUCTS_URL

PREFIX = "HOMEWIDGETS_"
T = TypeVar("T")


class ConfigError(ValueError):
    """A setting is malformed; the message names the environment variable."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable, with the defaults the demo runs on."""

    redis_url: str | None = None
    products_file: str | None = None
    products_url: str = DEFAULT_PRODUCTS_URL
    namespace: str = "hw:"
    # L1: memory bound (bytes of prebuilt homes) and how long generic widgets are trusted.
    l1_max_bytes: int = 256 * 1024 * 1024
    generic_ttl_seconds: float = 3.0
    # L2 timeouts: short, so a slow Redis degrades the read path instead of stalling it.
    redis_timeout_seconds: float = 0.25
    # Writes of up to 1,000 widgets take longer than a read: their own, longer timeout.
    redis_push_timeout_seconds: float = 1.0
    redis_connect_timeout_seconds: float = 0.5
    user_ttl_seconds: int = 30 * 24 * 3600
    # Cold users: how long a user is not asked for again, and the refresh stream's bound.
    refresh_window_seconds: float = 60.0
    refresh_stream_maxlen: int = 100_000
    events_stream_maxlen: int = 100_000
    # Push limits (CONTRACT 4).
    max_content_bytes: int = 64 * 1024
    max_depth: int = 16
    max_batch_items: int = 1000
    push_rate_per_product: float = 0.0  # push requests/s per product; 0 = unlimited
    allowed_app_schemes: frozenset[str] = field(default_factory=frozenset)
    # In-process refresh worker (embedded L2 only, or forced on for single-process setups).
    embedded_worker: bool | None = None
    worker_batch_size: int = 200
    product_timeout_seconds: float = 2.0
    claim_idle_ms: int = 15_000
    log_level: str = "warning"
    # End-user JWTs on the read path: off unless a JWKS (file path or URL) is configured.
    jwt_jwks: str | None = None
    jwt_audience: str = "homewidgets"
    jwt_issuer: str | None = None
    otel_enabled: bool = False  # OpenTelemetry tracing of the control plane and read path
    # How granian drives each request's coroutine: "rust" runs it without an asyncio Task
    # (docs/PERFORMANCE.md: 14 CPU µs less per read); "asyncio" is granian's default.
    server_tasks: str = "rust"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        reader = _Reader(env)
        defaults = cls()
        return cls(
            redis_url=reader.text("REDIS_URL", None),
            products_file=reader.text("PRODUCTS_FILE", None),
            products_url=reader.text("PRODUCTS_URL", defaults.products_url)
            or defaults.products_url,
            namespace=reader.text("NAMESPACE", defaults.namespace) or defaults.namespace,
            l1_max_bytes=reader.number("L1_MAX_BYTES", int, defaults.l1_max_bytes),
            generic_ttl_seconds=reader.number(
                "GENERIC_TTL_SECONDS", float, defaults.generic_ttl_seconds
            ),
            redis_timeout_seconds=reader.number(
                "REDIS_TIMEOUT_SECONDS", float, defaults.redis_timeout_seconds
            ),
            redis_push_timeout_seconds=reader.number(
                "REDIS_PUSH_TIMEOUT_SECONDS", float, defaults.redis_push_timeout_seconds
            ),
            redis_connect_timeout_seconds=reader.number(
                "REDIS_CONNECT_TIMEOUT_SECONDS", float, defaults.redis_connect_timeout_seconds
            ),
            user_ttl_seconds=reader.number("USER_TTL_SECONDS", int, defaults.user_ttl_seconds),
            refresh_window_seconds=reader.number(
                "REFRESH_WINDOW_SECONDS", float, defaults.refresh_window_seconds
            ),
            refresh_stream_maxlen=reader.number(
                "REFRESH_STREAM_MAXLEN", int, defaults.refresh_stream_maxlen
            ),
            events_stream_maxlen=reader.number(
                "EVENTS_STREAM_MAXLEN", int, defaults.events_stream_maxlen
            ),
            max_content_bytes=reader.number("MAX_CONTENT_BYTES", int, defaults.max_content_bytes),
            max_depth=reader.number("MAX_DEPTH", int, defaults.max_depth),
            max_batch_items=reader.number("MAX_BATCH_ITEMS", int, defaults.max_batch_items),
            push_rate_per_product=reader.number(
                "PUSH_RATE_PER_PRODUCT", float, defaults.push_rate_per_product
            ),
            allowed_app_schemes=frozenset(
                s.strip().lower().rstrip(":")
                for s in (reader.text("ALLOWED_APP_SCHEMES", "") or "").split(",")
                if s.strip()
            ),
            embedded_worker=reader.flag("EMBEDDED_WORKER", None),
            worker_batch_size=reader.number("WORKER_BATCH_SIZE", int, defaults.worker_batch_size),
            product_timeout_seconds=reader.number(
                "PRODUCT_TIMEOUT_SECONDS", float, defaults.product_timeout_seconds
            ),
            claim_idle_ms=reader.number("CLAIM_IDLE_MS", int, defaults.claim_idle_ms),
            log_level=(reader.text("LOG_LEVEL", defaults.log_level) or defaults.log_level).lower(),
            jwt_jwks=reader.text("JWT_JWKS", None),
            jwt_audience=reader.text("JWT_AUDIENCE", defaults.jwt_audience) or "homewidgets",
            jwt_issuer=reader.text("JWT_ISSUER", None),
            otel_enabled=bool(reader.flag("OTEL_ENABLED", False)),
            server_tasks=reader.choice("SERVER_TASKS", ("rust", "asyncio"), defaults.server_tasks),
        )

    @property
    def runs_embedded_worker(self) -> bool:
        """The in-process worker runs by default only with the embedded L2 (no Redis)."""
        return self.embedded_worker if self.embedded_worker is not None else not self.redis_url


@dataclass(frozen=True, slots=True)
class _Reader:
    env: Mapping[str, str]

    def text(self, key: str, default: str | None) -> str | None:
        value = self.env.get(PREFIX + key)
        return default if value is None or value == "" else value

    def choice(self, key: str, allowed: tuple[str, ...], default: str) -> str:
        raw = (self.env.get(PREFIX + key) or "").strip().lower()
        if raw and raw not in allowed:
            raise ConfigError(f"{PREFIX}{key} must be one of {', '.join(allowed)}, got {raw!r}")
        return raw or default

    def number(self, key: str, kind: Callable[[str], T], default: T) -> T:
        raw = self.env.get(PREFIX + key)
        if raw is None or raw == "":
            return default
        try:
            value = kind(raw)
        except ValueError:
            what = {"int": "an integer", "float": "a number"}.get(kind.__name__, kind.__name__)
            raise ConfigError(f"{PREFIX}{key} must be {what}, got {raw!r}") from None
        if isinstance(value, int | float) and value < 0:
            raise ConfigError(f"{PREFIX}{key} must not be negative, got {raw!r}")
        return value

    def flag(self, key: str, default: bool | None) -> bool | None:
        raw = self.env.get(PREFIX + key)
        if raw is None or raw == "":
            return default
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{PREFIX}{key} must be true or false, got {raw!r}")
