"""`homewidgets demo`: the service, the simulated products and (with Redis) a worker, at once.

The products and worker run as child processes, the service in the foreground; when
the service stops (Ctrl-C), the children are stopped too.
"""

from __future__ import annotations

import os
import subprocess
import sys

from homewidgets.config import Settings


def run_demo(
    settings: Settings, *, host: str, port: int, products_port: int, push_rate: float
) -> int:
    from homewidgets.inbound.server import run_server

    service_url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    products_url = f"http://127.0.0.1:{products_port}"
    os.environ["HOMEWIDGETS_PRODUCTS_URL"] = products_url
    settings = Settings.from_environ()
    children = [
        _spawn("products", "--port", str(products_port), "--service-url", service_url,
               "--latency-ms", "40", "--push-rate", str(push_rate)),
    ]
    if settings.redis_url:
        children.append(_spawn("worker"))
    where = f"Redis at {settings.redis_url}" if settings.redis_url else "the embedded L2"
    print(
        f"Home Widgets demo on {where}\n"
        f"  web page:    {service_url}/\n"
        f"  playground:  {service_url}/playground\n"
        f"  API docs:    {service_url}/docs\n"
        f"  products:    {products_url}/stats\n"
        "Ctrl-C stops everything.",
        flush=True,
    )
    try:
        run_server(settings, host=host, port=port, workers=1)
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
    return 0


def _spawn(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "homewidgets", *args])
