"""Render every SDUI example of docs/PRODUCT_GUIDE.md with the real web renderer, as PNGs.

    PYTHONPATH=src .venv/bin/python docs/scripts/render_catalogue.py

Starts `homewidgets serve` (embedded L2) on a free loopback port, opens its conformance
harness (`/static/conformance.html`, which loads the web client's own `sdui.js`) in
Debian's chromium through Playwright, renders each `<!-- sdui: NAME -->` example of the
guide with `window.hwRender(component)` and saves the rendered widget as
`docs/images/sdui-NAME.png`. It also pushes a few widgets for one user and saves the
home page as `docs/images/home-page.png`.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from guide_examples import GUIDE, IMAGES, sdui_examples

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WIDTH = 560  # about a phone in landscape: the catalogue's pictures stay small
HOME_USER = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_service(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOMEWIDGETS_")}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "homewidgets", "serve", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited:\n{log.read_text()}")
        try:
            if httpx.get(url + "/healthz", timeout=0.5).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    raise RuntimeError("the service did not answer in 30 s")


def render(page: Page, name: str, component: Any, out: Path) -> None:
    count = int(page.evaluate("c => window.hwRender(c)", component))
    if count == 0:
        raise RuntimeError(f"{name}: the renderer produced no SDUI element")
    page.wait_for_load_state("networkidle")  # images
    page.locator("[data-sdui-root]").screenshot(path=str(out), animations="disabled")


def push_home(url: str) -> None:
    """A small home for the page picture: the simulated products' own widgets."""
    from homewidgets.products import PRODUCT_IDS, generic_widget, personalised_offer

    with httpx.Client(base_url=url, timeout=10) as client:
        for index, product in enumerate(PRODUCT_IDS):
            auth = {"authorization": f"Bearer demo-{product}-token"}
            client.put(f"/v1/products/{product}/generic", headers=auth,
                       json={"content": generic_widget(product)}).raise_for_status()
            if index < 4:
                offer = personalised_offer(product, HOME_USER)
                client.put(f"/v1/products/{product}/widgets/{HOME_USER}", headers=auth,
                           json={"content": offer.content}).raise_for_status()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--guide", type=Path, default=GUIDE)
    parser.add_argument("--out", type=Path, default=IMAGES)
    args = parser.parse_args(argv)
    examples = sdui_examples(args.guide)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_service(Path(tmp) / "service.log")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
                context = browser.new_context(
                    base_url=url, viewport={"width": WIDTH, "height": 900},
                    device_scale_factor=1, locale="en-GB", timezone_id="Europe/Berlin",
                )
                page = context.new_page()
                page.goto("/static/conformance.html")
                page.wait_for_function("document.documentElement.dataset.ready === '1'")
                for name, component in examples.items():
                    target = args.out / f"sdui-{name}.png"
                    render(page, name, component, target)
                    print(target)
                push_home(url)
                home = context.new_page()
                home.set_viewport_size({"width": 1280, "height": 900})
                home.goto(f"/?user={HOME_USER}")
                home.wait_for_selector(".widget[data-product] [data-sdui-type]")
                home.wait_for_load_state("networkidle")
                home.screenshot(path=str(args.out / "home-page.png"), animations="disabled")
                print(args.out / "home-page.png")
                browser.close()
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(10)
    print(f"{len(examples)} components rendered from {args.guide.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
