"""Seed a running service through the batch push API, and measure it as push throughput.

`seed(url, users)` pushes every product's generic widget, then every user's personalised
widget of every product in `widgets:batch` calls of 1,000 items, `concurrency` calls in
flight, and returns widgets/s over the whole batch phase. Every item must come back 200.

Four calls in flight by default: with two workers, each then has a call to parse while
its other call waits on Redis. Measured on the 2-core machine (bench/push_throughput.py,
30,000 users, same sitting): 2 calls 20,900-23,900 widgets/s, 4 calls 21,600-26,800,
8 calls 28,500-30,600, CPU per widget the same within noise.

    python bench/seed.py --url http://127.0.0.1:8000 --users 100000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import asdict, dataclass

import httpx
import msgspec
from content import batch_body, generic_pools, personalised_pool, user_ids

from homewidgets.products.content import PRODUCT_IDS
from homewidgets.registry import demo_token

BATCH_ITEMS = 1000
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class SeedResult:
    users: int
    widgets: int
    seconds: float
    widgets_per_second: float
    batch_calls: int
    concurrency: int
    refused_items: int
    retried_calls: int  # 503 answers (L2 timeout) retried; the time they took is counted


class _Results(msgspec.Struct):
    results: list[dict[str, object]]


async def push_generic(client: httpx.AsyncClient, version: int = 1) -> None:
    for product, content in generic_pools().items():
        body = b'{"version":%d,"content":%s}' % (version, content)
        answer = await client.put(
            f"/v1/products/{product}/generic", content=body,
            headers={"authorization": f"Bearer {demo_token(product)}",
                     "content-type": "application/json"},
        )
        answer.raise_for_status()


async def seed(url: str, users: list[str], *, concurrency: int = 4, version: int = 1,
               products: tuple[str, ...] = PRODUCT_IDS) -> SeedResult:
    """Push generic + personalised widgets; the personalised phase is the measurement."""
    decode = msgspec.json.Decoder(_Results).decode
    pools = {product: personalised_pool(product) for product in products}
    jobs = [(product, start) for start in range(0, len(users), BATCH_ITEMS) for product in products]
    refused = retried = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        await push_generic(client, version)
        queue: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)

        async def pusher() -> None:
            nonlocal refused, retried
            while not queue.empty():
                product, start = queue.get_nowait()
                body = batch_body(users[start:start + BATCH_ITEMS], pools[product], start, version)
                for attempt in range(MAX_ATTEMPTS):
                    answer = await client.post(
                        f"/v1/products/{product}/widgets:batch", content=body,
                        headers={"authorization": f"Bearer {demo_token(product)}",
                                 "content-type": "application/json"},
                    )
                    if answer.status_code != 503 or attempt == MAX_ATTEMPTS - 1:
                        break
                    retried += 1  # L2 timed out: retry the call, as a product team would
                answer.raise_for_status()
                results = decode(answer.content).results
                refused += sum(1 for r in results if r.get("status") != 200)

        started = time.perf_counter()
        await asyncio.gather(*(pusher() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    widgets = len(users) * len(products)
    return SeedResult(len(users), widgets, round(seconds, 2), round(widgets / seconds),
                      len(jobs), concurrency, refused, retried)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--version", type=int, default=1)
    args = parser.parse_args()
    result = asyncio.run(seed(args.url, user_ids(args.users), concurrency=args.concurrency,
                              version=args.version))
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()
