"""Real `homewidgets serve` processes on one real Redis: what one instance takes, all serve."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import msgspec
import pytest

from inprocess import CARD, auth
from processes import eventually, start_service

pytestmark = [pytest.mark.redis, pytest.mark.slow]
USER = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"


def test_a_push_to_one_instance_is_read_from_the_other_within_100_ms(
    tmp_path: Path, redis_url: str
) -> None:
    env = {"HOMEWIDGETS_REDIS_URL": redis_url}
    a = start_service(tmp_path, env, name="a")
    b = start_service(tmp_path, env, name="b", workers=2)
    try:
        with httpx.Client(timeout=5) as http:
            before = http.get(f"{b.url}/v1/home/{USER}").json()  # now cached in B's L1
            assert before["personalised"] is False
            delays = []
            for version in range(1, 21):
                content = {**CARD, "title": f"offer {version}"}
                pushed = http.put(
                    f"{a.url}/v1/products/energy/widgets/{USER}",
                    json={"content": content, "version": version},
                    headers=auth("energy"),
                )
                assert pushed.status_code == 200
                start = time.monotonic()

                def seen(version: int = version) -> bool:
                    home = http.get(f"{b.url}/v1/home/{USER}").json()
                    return bool(home["widgets"]) and home["widgets"][0]["version"] == version

                eventually(seen, timeout=2, pause=0.002)
                delays.append(time.monotonic() - start)
            delays.sort()
            assert delays[-2] < 0.1, delays  # all but the slowest within 100 ms (shared CI host)
    finally:
        a.stop()
        b.stop()


def test_the_events_stream_of_one_instance_reports_a_push_to_another(
    tmp_path: Path, redis_url: str
) -> None:
    env = {"HOMEWIDGETS_REDIS_URL": redis_url}
    a = start_service(tmp_path, env, name="a")
    b = start_service(tmp_path, env, name="b")
    events: list[dict[str, object]] = []
    arrived = threading.Event()

    def listen() -> None:
        with httpx.stream("GET", f"{b.url}/v1/home/{USER}/events", timeout=10) as stream:
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    events.append(msgspec.json.decode(line[6:]))
                    if len(events) == 2:
                        arrived.set()
                        return

    try:
        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        eventually(lambda: len(events) == 1, timeout=5)
        pushed_at = time.monotonic()
        httpx.put(
            f"{a.url}/v1/products/energy/widgets/{USER}",
            json={"content": CARD},
            headers=auth("energy"),
        )
        assert arrived.wait(5)
        assert time.monotonic() - pushed_at < 1.0
        assert events[0]["personalised"] is False and events[1]["personalised"] is True
    finally:
        a.stop()
        b.stop()
