"""The `homewidgets` command: one function per sub-command, each a thin translator.

serve     the home service (granian, N worker processes)
worker    the refresh worker for cold users (needs Redis)
products  the simulated product backends
demo      all of the above in one command, printing the web page's URL
push      push a widget from a JSON file (for product teams' CI)
validate  validate SDUI JSON files against the schema (offline, or against a service)
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from homewidgets.config import ConfigError, Settings


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["products"]:  # its flags belong to the products' own parser
        from homewidgets.products.server import main as products_main

        return products_main(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return int(args.run(args))
    except ConfigError as exc:
        print(f"homewidgets: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="homewidgets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser("serve", help="run the home service")
    _server_flags(serve, default_port=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("HOMEWIDGETS_WORKERS", "1")),
        help="server processes (one per core is best; needs Redis when > 1)",
    )
    serve.set_defaults(run=_serve)

    worker = commands.add_parser("worker", help="run the refresh worker (cold users)")
    worker.add_argument("--redis-url", help="overrides HOMEWIDGETS_REDIS_URL")
    worker.set_defaults(run=_worker)

    commands.add_parser("products", help="run the simulated product backends (see --help)")

    demo = commands.add_parser("demo", help="service + worker + products, with demo data")
    _server_flags(demo, default_port=8000)
    demo.add_argument("--products-port", type=int, default=9100)
    demo.add_argument(
        "--push-rate",
        type=float,
        default=2.0,
        help="widgets/s the simulated products push for random users",
    )
    demo.set_defaults(run=_demo)

    push = commands.add_parser("push", help="push a widget (JSON file) to a running service")
    push.add_argument("file", help="a JSON file: the PUT body, or a bare SDUI component")
    push.add_argument("--product", required=True)
    push.add_argument("--user", help="user id (UUID); omit to push the generic widget")
    push.add_argument(
        "--token",
        default=os.environ.get("HOMEWIDGETS_TOKEN"),
        help="the product's push token (or HOMEWIDGETS_TOKEN)",
    )
    push.add_argument("--url", default=os.environ.get("HOMEWIDGETS_URL", "http://127.0.0.1:8000"))
    push.add_argument("--version", type=int)
    push.set_defaults(run=_push)

    validate = commands.add_parser("validate", help="validate SDUI JSON files")
    validate.add_argument("files", nargs="+")
    validate.add_argument("--url", help="validate against a running service instead of offline")
    validate.set_defaults(run=_validate)
    return parser


def _server_flags(parser: argparse.ArgumentParser, default_port: int) -> None:
    parser.add_argument("--host", default=os.environ.get("HOMEWIDGETS_HOST", "127.0.0.1"))
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("HOMEWIDGETS_PORT", str(default_port)))
    )
    parser.add_argument("--redis-url", help="overrides HOMEWIDGETS_REDIS_URL")
    parser.add_argument("--products-file", help="overrides HOMEWIDGETS_PRODUCTS_FILE")


def _apply_flags(args: argparse.Namespace) -> Settings:
    """Flags win over the environment; the worker processes read the environment."""
    for flag, key in (("redis_url", "REDIS_URL"), ("products_file", "PRODUCTS_FILE")):
        value = getattr(args, flag, None)
        if value:
            os.environ[f"HOMEWIDGETS_{key}"] = value
    return Settings.from_environ()


def _serve(args: argparse.Namespace) -> int:
    from homewidgets.inbound.server import run_server

    settings = _apply_flags(args)
    if args.workers > 1 and not settings.redis_url:
        print(
            "homewidgets: --workers > 1 needs HOMEWIDGETS_REDIS_URL: the embedded L2 lives "
            "in one process",
            file=sys.stderr,
        )
        return 2
    run_server(settings, host=args.host, port=args.port, workers=args.workers)
    return 0


def _worker(args: argparse.Namespace) -> int:
    from homewidgets.inbound.worker import run_worker
    from homewidgets.observability.logs import configure_logging

    settings = _apply_flags(args)
    configure_logging(settings.log_level)
    if not settings.redis_url:
        print(
            "homewidgets: the worker needs HOMEWIDGETS_REDIS_URL; with the embedded L2 the "
            "service runs its own in-process worker",
            file=sys.stderr,
        )
        return 2
    return run_worker(settings)


def _demo(args: argparse.Namespace) -> int:
    from homewidgets.inbound.demo import run_demo

    settings = _apply_flags(args)
    return run_demo(
        settings,
        host=args.host,
        port=args.port,
        products_port=args.products_port,
        push_rate=args.push_rate,
    )


def _push(args: argparse.Namespace) -> int:
    from homewidgets.inbound.product_tools import push_file

    return push_file(
        args.file,
        product=args.product,
        user_id=args.user,
        token=args.token,
        url=args.url,
        version=args.version,
    )


def _validate(args: argparse.Namespace) -> int:
    from homewidgets.inbound.product_tools import validate_files

    return validate_files(args.files, url=args.url)
