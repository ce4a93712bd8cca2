"""The README's run command, as a newcomer would use it: one command, a working demo."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from processes import Process, eventually, free_port, homewidgets_env

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_command_serves_generic_widgets_then_personalised_ones(tmp_path: Path) -> None:
    port, products_port = free_port(), free_port()
    demo = Process(
        ["bash", str(ROOT / "scripts" / "demo.sh"), "--port", str(port),
         "--products-port", str(products_port)],
        homewidgets_env(), tmp_path / "demo.log", url=f"http://127.0.0.1:{port}",
    ).start(timeout=120)
    user = str(uuid.uuid4())
    try:
        def generic_home() -> dict[str, object] | None:
            home: dict[str, object] = httpx.get(f"{demo.url}/v1/home/{uuid.uuid4()}").json()
            return home if len(home["widgets"]) == 8 else None  # type: ignore[arg-type]

        eventually(generic_home, timeout=20, pause=0.2)  # the products push their generics
        first = httpx.get(f"{demo.url}/v1/home/{user}").json()
        assert first["personalised"] is False
        assert {w["product"] for w in first["widgets"]} >= {"car_insurance", "energy", "travel"}

        def personalised() -> bool:
            home = httpx.get(f"{demo.url}/v1/home/{user}").json()
            return all(w["personalised"] for w in home["widgets"])

        eventually(personalised, timeout=10, pause=0.1)
        page = httpx.get(f"{demo.url}/")
        assert page.status_code == 200 and "<html" in page.text.lower()
        assert "Home Widgets demo" in demo.log()
    finally:
        demo.stop()
    assert not demo.running
