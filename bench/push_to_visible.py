"""Push-to-visible latency across two instances: push to A, see the new home on B.

B's events stream (`GET /v1/home/{user}/events`) is open for `watchers` users; each push
is a `PUT` of a new version to A, timed from just before the request is sent until B's
stream delivers a home holding that product's widget at that version. Pushes are
sequential with a short pause, so this measures latency, not a queue.

    python bench/push_to_visible.py --a http://127.0.0.1:8001 --b http://127.0.0.1:8002
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Sequence

import httpx
from content import personalised_pool, user_ids

from homewidgets.registry import demo_token

PRODUCT = "car_insurance"


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def measure(a_url: str, b_url: str, *, pushes: int = 500, watchers: int = 20,
                  pause: float = 0.01, first_version: int = 1_000_000) -> dict[str, object]:
    users = user_ids(watchers)
    pool = personalised_pool(PRODUCT, 8)
    waiting: dict[tuple[str, int], asyncio.Future[float]] = {}
    ready = {user: asyncio.Event() for user in users}

    async def watch(client: httpx.AsyncClient, user: str) -> None:
        async with client.stream("GET", f"/v1/home/{user}/events") as stream:
            async for line in stream.aiter_lines():
                if not line.startswith("data: "):
                    continue
                ready[user].set()
                seen = time.perf_counter()
                for (who, version), future in list(waiting.items()):
                    marker = f'"product":"{PRODUCT}","personalised":true,"version":{version},'
                    if who == user and not future.done() and marker in line:
                        future.set_result(seen)

    latencies: list[float] = []
    acks: list[float] = []
    missed = 0
    timeout = httpx.Timeout(10.0, read=None)
    async with httpx.AsyncClient(base_url=b_url, timeout=timeout,
                                 limits=httpx.Limits(max_connections=watchers + 4)) as b_client, \
            httpx.AsyncClient(base_url=a_url, timeout=10.0) as a_client:
        tasks = [asyncio.create_task(watch(b_client, user)) for user in users]
        try:
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in ready.values())), 10)
            headers = {"authorization": f"Bearer {demo_token(PRODUCT)}",
                       "content-type": "application/json"}
            for i in range(pushes):
                user, version = users[i % watchers], first_version + i
                future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
                waiting[(user, version)] = future
                body = b'{"version":%d,"content":%s}' % (version, pool[i % len(pool)])
                sent = time.perf_counter()
                answer = await a_client.put(f"/v1/products/{PRODUCT}/widgets/{user}",
                                            content=body, headers=headers)
                acked = time.perf_counter()
                answer.raise_for_status()
                try:
                    seen = await asyncio.wait_for(future, 2.0)
                    latencies.append((seen - sent) * 1000)
                    acks.append((acked - sent) * 1000)
                except TimeoutError:
                    missed += 1
                waiting.pop((user, version), None)
                await asyncio.sleep(pause)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "pushes": pushes,
        "seen": len(latencies),
        "missed_within_2s": missed,
        "p50_ms": round(statistics.median(latencies), 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 99), 2) if latencies else None,
        "max_ms": round(max(latencies), 2) if latencies else None,
        "ack_p50_ms": round(statistics.median(acks), 2) if acks else None,
        "ack_p99_ms": round(percentile(acks, 99), 2) if acks else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", required=True, help="base URL of the instance pushed to")
    parser.add_argument("--b", required=True, help="base URL of the instance watched")
    parser.add_argument("--pushes", type=int, default=500)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.a, args.b, pushes=args.pushes))))


if __name__ == "__main__":
    main()
