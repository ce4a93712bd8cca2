"""How many widgets per second `RedisWidgetStore.put_many` stores on one connection.

    PYTHONPATH=src .venv/bin/python bench/l2_put_many.py [--url redis://...] [--total 100000]

Without --url it starts a throw-away redis-server on loopback (tests/redis_servers.py).
Each widget is a ~1.5 KiB SDUI card for a distinct user, pushed in batches like the
`widgets:batch` endpoint does; `--with-feed` also keeps a ChangeFeed subscribed, as
every running instance does, so the PUBLISH of each write has a reader.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

from homewidgets.domain.model import WidgetWrite
from homewidgets.outbound._redis_client import Timeouts
from homewidgets.outbound.redis_feed import RedisChangeFeed
from homewidgets.outbound.redis_store import RedisWidgetStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from redis_servers import start_server


def card(i: int) -> bytes:
    """A plausible personalised card of about 1.5 KiB."""
    items = [
        {
            "type": "card",
            "title": f"Offer {i}-{k}: green electricity, 24 months price guarantee",
            "subtitle": "Switch in 5 minutes, we cancel your old contract for you",
            "image": {"type": "image", "url": f"/img/energy/{k}.webp", "alt": "Wind farm"},
            "children": [
                {"type": "price", "amount": 79.5 + k, "currency": "EUR", "period": "month"}
            ],
            "actions": [
                {
                    "type": "button",
                    "label": "Details",
                    "action": {"type": "navigate", "url": f"/energy/offers/{i}/{k}"},
                }
            ],
        }
        for k in range(3)
    ]
    carousel = {"type": "carousel", "title": "Your energy offers", "items": items}
    return json.dumps(carousel, separators=(",", ":")).encode()


async def run(url: str, total: int, batch: int, with_feed: bool, socket_timeout: float) -> float:
    store = RedisWidgetStore.from_url(url, timeouts=Timeouts(socket=socket_timeout))
    feed = RedisChangeFeed(store.client)
    heard = 0

    def count(_: object) -> None:
        nonlocal heard
        heard += 1

    if with_feed:
        feed.subscribe(count)
        await feed.start()
    payloads = [card(i) for i in range(batch)]
    writes = [
        [WidgetWrite("energy", str(uuid.uuid4()), payloads[j]) for j in range(batch)]
        for _ in range(total // batch)
    ]
    await store.put_many(writes[0][:10])  # connect and load the script outside the timing
    server_cpu = await _server_cpu(store)
    client_cpu = time.process_time()
    started = time.perf_counter()
    for chunk in writes:
        outcomes = await store.put_many(chunk)
        assert all(o.stored for o in outcomes)
    elapsed = time.perf_counter() - started
    client_us = (time.process_time() - client_cpu) / total * 1e6
    server_us = (await _server_cpu(store) - server_cpu) / total * 1e6
    # On a shared machine wall time lies; CPU per write says what one core each allows.
    print(
        f"CPU per widget: client {client_us:.1f} us, redis-server {server_us:.1f} us -> "
        f"ceiling with a core each: {1e6 / max(client_us, server_us):,.0f} widgets/s"
    )
    if with_feed:
        await asyncio.sleep(0.5)
        print(f"feed heard {heard} notices for {total + 10} stored writes")
        await feed.stop()
    await store.aclose()
    return (total // batch) * batch / elapsed


async def _server_cpu(store: RedisWidgetStore) -> float:
    info = await store.client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url")
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--with-feed", action="store_true")
    parser.add_argument(
        "--socket-timeout", type=float, default=2.0, help="seconds (the service default: 0.25)"
    )
    args = parser.parse_args()
    size = len(card(0))
    with tempfile.TemporaryDirectory() as tmp:
        server = None if args.url else start_server(Path(tmp))
        url = args.url or server.url  # type: ignore[union-attr]
        try:
            rate = asyncio.run(
                run(url, args.total, args.batch, args.with_feed, args.socket_timeout)
            )
        finally:
            if server is not None:
                server.stop()
    feed = ", feed subscribed" if args.with_feed else ""
    print(
        f"put_many: {rate:,.0f} widgets/s ({args.total:,} widgets of {size} B, "
        f"batches of {args.batch}, one connection{feed})"
    )


if __name__ == "__main__":
    main()
