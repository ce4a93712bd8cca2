"""`homewidgets products`: run the simulated product backends (CONTRACT 6).

One process, one granian worker embedded in our own event loop, so the app object
(with the settings parsed here) is served as is and its lifespan runs the
background tasks. Stops cleanly on SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from homewidgets.products.app import DEFAULT_SERVICE_URL, BackendSettings, build_app
from homewidgets.products.content import PRODUCT_IDS
from homewidgets.products.faults import FaultConfig, FaultConfigError, parse_override
from homewidgets.products.simulator import Simulator
from homewidgets.registry import DEFAULT_PRODUCTS_URL


def _parser(environ: Mapping[str, str]) -> argparse.ArgumentParser:
    base = urlsplit(environ.get("HOMEWIDGETS_PRODUCTS_URL") or DEFAULT_PRODUCTS_URL)
    parser = argparse.ArgumentParser(
        prog="homewidgets products",
        description="Simulated product backends: pull endpoint, push mode, event reactions.",
    )
    parser.add_argument("--host", default=base.hostname or "127.0.0.1")
    parser.add_argument("--port", type=int, default=base.port or 9100)
    parser.add_argument(
        "--service-url",
        default=environ.get("HOMEWIDGETS_SERVICE_URL") or DEFAULT_SERVICE_URL,
        help="base URL of the home service to push to (env HOMEWIDGETS_SERVICE_URL)",
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every pull answer")
    parser.add_argument("--jitter-ms", type=float, default=0.0, help="latency ± this, uniformly")
    parser.add_argument(
        "--failure-rate", type=float, default=0.0, help="share of pulls failing, 0..1"
    )
    parser.add_argument(
        "--failure-mode",
        choices=("error", "hang"),
        default="error",
        help="fail with 503, or hang first",
    )
    parser.add_argument(
        "--product",
        action="append",
        default=[],
        metavar="ID:key=value,...",
        help="per-product faults, e.g. car_insurance:latency_ms=3000,failure_rate=1 (repeatable)",
    )
    parser.add_argument(
        "--push-rate", type=float, default=0.0, help="personalised pushes/s, 0 = off"
    )
    parser.add_argument(
        "--no-push-generics", action="store_true", help="do not push generic widgets"
    )
    parser.add_argument("--no-events", action="store_true", help="do not consume the event streams")
    parser.add_argument(
        "--generic-interval", type=float, default=300.0, help="seconds between generic re-pushes"
    )
    parser.add_argument(
        "--log-level", default="info", choices=("debug", "info", "warning", "error")
    )
    return parser


def parse_args(
    argv: Sequence[str] | None, environ: Mapping[str, str]
) -> tuple[argparse.Namespace, BackendSettings, FaultConfig]:
    """The CLI turned into settings; argparse exits with status 2 on a bad flag."""
    parser = _parser(environ)
    args = parser.parse_args(argv)
    try:
        overrides: dict[str, dict[str, Any]] = {}
        for spec in args.product:
            product, fields = parse_override(spec)
            overrides.setdefault(product, {}).update(fields)
        faults = FaultConfig()
        faults.update(
            {
                "latency_ms": args.latency_ms,
                "jitter_ms": args.jitter_ms,
                "failure_rate": args.failure_rate,
                "failure_mode": args.failure_mode,
                "products": overrides,
            },
            PRODUCT_IDS,
        )
        if args.push_rate < 0:
            raise FaultConfigError(f"--push-rate must be at least 0, got {args.push_rate}")
    except FaultConfigError as exc:
        parser.error(str(exc))
    settings = BackendSettings(
        service_url=args.service_url.rstrip("/"),
        push_generics=not args.no_push_generics,
        generic_interval_seconds=args.generic_interval,
        push_rate=args.push_rate,
        consume_events=not args.no_events,
    )
    return args, settings, faults


async def serve(app: Any, host: str, port: int) -> None:
    """Serve `app` with an embedded granian worker until SIGINT or SIGTERM."""
    from granian.constants import Interfaces
    from granian.server.embed import Server

    server = Server(app, address=host, port=port, interface=Interfaces.ASGI)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, server.stop)
    await server.serve()


def main(argv: list[str] | None = None, *, environ: Mapping[str, str] | None = None) -> int:
    args, settings, faults = parse_args(argv, os.environ if environ is None else environ)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    if args.log_level != "debug":
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per push is noise
    app = build_app(settings, simulator=Simulator(faults=faults))
    print(
        f"homewidgets products: http://{args.host}:{args.port}/<product> "
        f"for {', '.join(PRODUCT_IDS)}; pushing to {settings.service_url}",
        file=sys.stderr,
    )
    asyncio.run(serve(app, args.host, args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
