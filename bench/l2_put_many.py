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
from homewidgets.outbound.redis_feed import RedisChangeFeed
from homewidgets.outbound.redis_store import RedisWidgetStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from redis_servers import start_server  # noqa: E402  (a test helper, by path)


def card(i: int) -> bytes:
    """A plausible personalised card of about 1.5 KiB."""
    items = [
        {
            "type": "card",
            "title": f"Offer {i}-{k}: green electricity, 24 months price guarantee",
            "subtitle": "Switch in 5 minutes, we cancel your old contract for you",
            "image": {"type": "image", "url": f"/img/energy/{k}.webp", "alt": "Wind farm"},
            "children": [{"type": "price", "amount": 79.5 + k, "currency": "EUR", "period": "month"}],
            "actions": [{"type": "button", "label": "Details", "action": {"type": "navigate", "url": f"/energy/offers/{i}/{k}"}}],
        }
        for k in range(3)
    ]  # fmt: skip
    return json.dumps({"type": "carousel", "title": "Your energy offers", "items": items},
                      separators=(",", ":")).encode()  # fmt: skip


async def run(url: str, total: int, batch: int, with_feed: bool) -> float:
    store = RedisWidgetStore.from_url(url)
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
    started = time.perf_counter()
    for chunk in writes:
        outcomes = await store.put_many(chunk)
        assert all(o.stored for o in outcomes)
    elapsed = time.perf_counter() - started
    if with_feed:
        await asyncio.sleep(0.5)
        print(f"feed heard {heard - 10} of {total} notices")
        await feed.stop()
    await store.aclose()
    return (total // batch) * batch / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url")
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--with-feed", action="store_true")
    args = parser.parse_args()
    size = len(card(0))
    with tempfile.TemporaryDirectory() as tmp:
        server = None if args.url else start_server(Path(tmp))
        url = args.url or server.url  # type: ignore[union-attr]
        try:
            rate = asyncio.run(run(url, args.total, args.batch, args.with_feed))
        finally:
            if server is not None:
                server.stop()
    print(f"put_many: {rate:,.0f} widgets/s ({args.total:,} widgets of {size} B, "
          f"batches of {args.batch}, one connection{', feed subscribed' if args.with_feed else ''})")  # fmt: skip


if __name__ == "__main__":
    main()
