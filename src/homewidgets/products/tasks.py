"""The background work of the simulated products, run in the backend app's lifespan.

- `keep_generics_fresh`: push every generic widget at start (retrying until the home
  service answers, it may start after us) and again every few minutes (deals change).
- `push_randomly`: push mode, new personalised widgets for random users at a rate.
- `react_to_events`: long-poll a product's event stream; a dismissal gets a new offer.

Each loop runs until cancelled and survives the home service going away.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from typing import Any

import httpx

from homewidgets.products.content import generic_offer
from homewidgets.products.home_client import HomeServiceClient, HomeServiceRefused
from homewidgets.products.simulator import Simulator
from homewidgets.products.stats import EVENT_TYPES

log = logging.getLogger("homewidgets.products")

RETRY_FIRST_SECONDS = 0.5
# Small on purpose: while the service is away we only send one tiny PUT per product per try.
RETRY_MAX_SECONDS = 3.0
# With at least this many widgets for one product in one tick, push them in one batch call.
BATCH_FROM = 4
BATCH_MAX = 1000
# Push mode wakes at most this often; bursts are capped so a slow service is not flooded.
TICK_SECONDS = 0.1
MAX_BACKLOG_SECONDS = 2.0
EVENTS_NOT_FOUND_RETRY_SECONDS = 10.0


def _body(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "user_id"}


async def push_generic(sim: Simulator, client: HomeServiceClient, product: str) -> bool:
    """Push one generic widget, retrying with backoff while the service is away or failing.

    False when the service refuses it for good (bad token, invalid content): logged,
    tried again at the next refresh.
    """
    delay = RETRY_FIRST_SECONDS
    while True:
        offer = generic_offer(product)
        body: dict[str, Any] = {"content": offer.content, "version": sim.versions.next()}
        if offer.ttl_seconds is not None:
            body["ttl_seconds"] = offer.ttl_seconds
        try:
            await client.put_generic(product, body)
        except HomeServiceRefused as exc:
            if not exc.retryable:
                sim.stats[product].push_errors += 1
                log.warning("generic widget of %s refused: %s", product, exc)
                return False
        except httpx.HTTPError as exc:
            log.debug("home service not reachable for %s: %r", product, exc)
        else:
            sim.stats[product].generic_pushes += 1
            return True
        await asyncio.sleep(delay)
        delay = min(delay * 2, RETRY_MAX_SECONDS)


async def keep_generics_fresh(
    sim: Simulator, client: HomeServiceClient, interval_seconds: float = 300.0
) -> None:
    while True:
        await asyncio.gather(*(push_generic(sim, client, p) for p in sim.products))
        await asyncio.sleep(interval_seconds)


async def push_widgets(
    sim: Simulator, client: HomeServiceClient, product: str, users: list[str]
) -> None:
    """Push the users' current widgets of one product: one PUT each, or batches when many."""
    items = [sim.widget_item(product, user) for user in users]
    stats = sim.stats[product]
    try:
        if len(items) >= BATCH_FROM:
            for start in range(0, len(items), BATCH_MAX):
                chunk = items[start : start + BATCH_MAX]
                answer = await client.put_batch(product, chunk)
                errors = _batch_errors(answer, len(chunk))
                stats.pushed += len(chunk) - errors
                stats.push_errors += errors
        else:
            for item in items:
                await client.put_widget(product, item["user_id"], _body(item))
                stats.pushed += 1
    except (HomeServiceRefused, httpx.HTTPError) as exc:
        stats.push_errors += 1
        log.debug("push of %s widgets failed: %r", product, exc)


def _batch_errors(answer: object, sent: int) -> int:
    """How many items of a batch the service refused (results with an error)."""
    results = answer.get("results") if isinstance(answer, dict) else None
    if not isinstance(results, list):
        return 0
    return sum(1 for r in results[:sent] if isinstance(r, dict) and r.get("error") is not None)


async def push_randomly(sim: Simulator, client: HomeServiceClient, rate: float) -> None:
    """Push mode: about `rate` new personalised widgets a second, over all products."""
    interval = max(TICK_SECONDS, 1.0 / rate)
    due = 0.0
    last = time.monotonic()
    while True:
        await asyncio.sleep(interval)
        now = time.monotonic()
        due = min(due + rate * (now - last), rate * MAX_BACKLOG_SECONDS + 1)
        last = now
        count = int(due)
        due -= count
        groups: dict[str, list[str]] = defaultdict(list)
        for _ in range(count):
            product = sim.rng.choice(sim.products)
            user = sim.random_user()
            sim.next_variant(product, user)  # a new offer, so the page visibly changes
            groups[product].append(user)
        await asyncio.gather(*(push_widgets(sim, client, p, users) for p, users in groups.items()))


async def handle_event(
    sim: Simulator, client: HomeServiceClient, product: str, event: object
) -> None:
    """Count one event; on a dismissal push the user another offer (higher version)."""
    if not isinstance(event, dict):
        return
    kind = event.get("type")
    if kind not in EVENT_TYPES:
        return
    stats = sim.stats[product]
    stats.events[str(kind)] += 1
    user = event.get("user_id")
    if kind != "dismiss" or not isinstance(user, str) or event.get("product", product) != product:
        return
    sim.next_variant(product, user)
    await push_widgets(sim, client, product, [user])
    stats.dismiss_reactions += 1


async def react_to_events(
    sim: Simulator, client: HomeServiceClient, product: str, *, wait_ms: int = 5000
) -> None:
    """Long-poll one product's event stream from "now" on; never gives up."""
    after = "$"
    delay = RETRY_FIRST_SECONDS
    while True:
        try:
            entries, after = await client.read_events(product, after, wait_ms=wait_ms)
        except HomeServiceRefused as exc:
            # 404: the service has no event streams (yet); anything else: back off.
            pause = EVENTS_NOT_FOUND_RETRY_SECONDS if exc.status == 404 else delay
            log.debug("events of %s: %s", product, exc)
            await asyncio.sleep(pause)
            delay = min(delay * 2, RETRY_MAX_SECONDS)
            continue
        except httpx.HTTPError as exc:
            log.debug("events of %s unreachable: %r", product, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)
            continue
        delay = RETRY_FIRST_SECONDS
        for entry in entries:
            await handle_event(sim, client, product, entry.get("event"))
