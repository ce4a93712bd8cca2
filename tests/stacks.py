"""The refresh path as real processes on the test's Redis: service, simulated products, workers.

Shared by the end-to-end tests of cold users, worker faults and graceful shutdown; each
test adds the workers it needs and asserts on the products' request counts and homes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from homewidgets.registry import DEMO_PRODUCTS
from processes import Process, eventually, free_port, start_products, start_service, start_worker

PRODUCTS = [pid for pid, _, _ in DEMO_PRODUCTS]


@dataclass
class RefreshStack:
    """Service + products on one Redis; `worker()` adds workers, `stop()` ends them all."""

    tmp_path: Path
    service: Process
    products: Process
    env: dict[str, str]
    workers: list[Process] = field(default_factory=list)

    def worker(self, name: str = "worker", **env: str) -> Process:
        """A `homewidgets worker`, returned once it reads the stream."""
        process = start_worker(self.tmp_path, {**self.env, **env}, name=name)
        self.workers.append(process)
        eventually(lambda: "started:" in process.log(), timeout=15)
        return process

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = httpx.get(f"{self.products.url}/stats", timeout=5).json()
        by_product: dict[str, Any] = stats["products"]
        return by_product

    def reset_stats(self) -> None:
        httpx.post(f"{self.products.url}/admin/reset-stats", timeout=5).raise_for_status()

    def home(self, user: str) -> dict[str, Any]:
        home: dict[str, Any] = httpx.get(f"{self.service.url}/v1/home/{user}", timeout=5).json()
        return home

    def personalised(self, user: str) -> set[str]:
        return {w["product"] for w in self.home(user)["widgets"] if w["personalised"]}

    def stop(self) -> None:
        for process in [*self.workers, self.products, self.service]:
            process.stop()


def start_refresh_stack(
    tmp_path: Path,
    redis_url: str,
    *product_args: str,
    env: Mapping[str, str] | None = None,
    wait_for_generics: bool = True,
) -> RefreshStack:
    """Start service and products; return once every product's generic widget is served.

    Waiting reads a probe user's home, which queues one refresh request of its own;
    tests that count the stream's entries pass `wait_for_generics=False`.
    """
    service_port, products_port = free_port(), free_port()
    environment = {
        "HOMEWIDGETS_REDIS_URL": redis_url,
        "HOMEWIDGETS_PRODUCTS_URL": f"http://127.0.0.1:{products_port}",
        "HOMEWIDGETS_LOG_LEVEL": "info",  # `worker()` waits for the worker's start line
        **(env or {}),
    }
    service = start_service(tmp_path, environment, port=service_port)
    try:
        products = start_products(
            tmp_path, "--service-url", service.url, "--no-events", *product_args,
            port=products_port,
        )  # fmt: skip
    except Exception:
        service.stop()
        raise
    stack = RefreshStack(tmp_path, service, products, environment)
    if not wait_for_generics:
        return stack
    probe = "00000000-0000-4000-8000-00000000beef"
    try:
        eventually(lambda: len(stack.home(probe)["widgets"]) == len(PRODUCTS), timeout=10)
    except AssertionError:
        stack.stop()
        raise
    return stack
