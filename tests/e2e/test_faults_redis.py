"""Redis fails under load, for real: a `homewidgets serve` process keeps serving reads.

The promise (CONTRACT 3 and 4): while L2 is down or too slow, every read answers 200
from L1 and the generic widgets, marking nothing personalised that is not; pushes answer
503 with Retry-After at once instead of hanging; and within 5 s of Redis answering again
the service is whole: pushes are stored and read back. The Redis here keeps an
append-only file, so "nothing acknowledged is lost while L2 is up" can be checked across
its restart. `ReadLoad` is shared with the Cluster failover test.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from homewidgets.registry import DEMO_PRODUCTS
from inprocess import CARD, auth
from processes import Process, start_service
from redis_servers import (
    MISSING,
    RedisServer,
    redis_server_available,
    start_server,
)

pytestmark = [pytest.mark.redis, pytest.mark.slow]

PRODUCTS = [pid for pid, _, _ in DEMO_PRODUCTS]
KNOWN = [str(uuid.UUID(int=0x3F2504E04F8911D39A0C030500000000 + i)) for i in range(40)]
REFUSED_PUT, REFUSED_DELETE, REFUSED_BATCH = KNOWN[10], KNOWN[11], KNOWN[12:17]
Maybe = dict[str, set[int | None]]
RECOVERY_BOUND_SECONDS = 5.0
# A push is refused this fast while L2 is down: refused connections fail at once, and
# the slow-Redis test sets the push timeout to 0.5 s.
PUSH_ANSWER_BOUND_SECONDS = 2.0


@dataclass
class ReadLoad:
    """`concurrency` loops reading homes of known and unknown users until `stop()`.

    Records every outcome: the status, or the exception's type name for a read that got
    no answer (a timeout, a reset connection). Bounded by `duration` whatever happens.
    """

    base_url: str
    users: list[str]
    concurrency: int = 6
    duration: float = 60.0
    outcomes: Counter[str] = field(default_factory=Counter)
    log: list[tuple[float, str]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def __aenter__(self) -> ReadLoad:
        self._tasks = [asyncio.create_task(self._loop(i)) for i in range(self.concurrency)]
        return self

    async def __aexit__(self, *_: object) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)

    def failures(self, since: float = 0.0, until: float = float("inf")) -> list[str]:
        return [o for t, o in self.log if since <= t <= until and o != "200"]

    def count(self, since: float, until: float = float("inf")) -> int:
        return sum(1 for t, _ in self.log if since <= t <= until)

    async def _loop(self, seed: int) -> None:
        rng = random.Random(seed)
        deadline = time.monotonic() + self.duration
        async with httpx.AsyncClient(base_url=self.base_url, timeout=3.0) as http:
            while not self._stop.is_set() and time.monotonic() < deadline:
                user = rng.choice(self.users) if rng.random() < 0.7 else str(uuid.uuid4())
                started = time.monotonic()
                try:
                    outcome = str((await http.get(f"/v1/home/{user}")).status_code)
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                self.outcomes[outcome] += 1
                self.log.append((started, outcome))
                await asyncio.sleep(0.002)


def persistent_redis(directory: Path) -> RedisServer:
    """A redis-server that writes every command to its AOF, so a restart keeps the data."""
    return start_server(directory, extra_args=("--appendonly", "yes", "--appendfsync", "always"))


@pytest.fixture
def redis_aof(tmp_path: Path) -> Iterator[RedisServer]:
    if not redis_server_available():
        pytest.fail(MISSING, pytrace=False)
    server = persistent_redis(tmp_path / "redis")
    yield server
    server.stop()


def serve(tmp_path: Path, redis: RedisServer, **extra: str) -> Process:
    env = {"HOMEWIDGETS_REDIS_URL": redis.url, "HOMEWIDGETS_GENERIC_TTL_SECONDS": "0.5", **extra}
    return start_service(tmp_path, env)


async def seed(http: httpx.AsyncClient) -> dict[str, int]:
    """Every product's generic widget, and an energy widget (version 1) per known user."""
    for product in PRODUCTS:
        generic = {"content": {**CARD, "title": f"{product} for everyone"}}
        answer = await http.put(
            f"/v1/products/{product}/generic", json=generic, headers=auth(product)
        )
        assert answer.status_code == 200, answer.text
    acked: dict[str, int] = {}
    for user in KNOWN:
        answer = await http.put(
            f"/v1/products/energy/widgets/{user}",
            json={"content": CARD, "version": 1},
            headers=auth("energy"),
        )
        assert answer.status_code == 200, answer.text
        acked[user] = 1
    assert await all_acked_pushes_read(http, acked) == []  # in L1 now, before any fault
    return acked


def energy_version(home: dict[str, Any]) -> int | None:
    widget = next((w for w in home["widgets"] if w["product"] == "energy"), None)
    return widget["version"] if widget and widget["personalised"] else None


async def wait_until_whole(
    http: httpx.AsyncClient, acked: dict[str, int], user: str, version: int
) -> float:
    """Push `version` for `user` until it is stored, then read until both that push and a
    push from before the outage are served. Returns the time the service was whole."""
    deadline = time.monotonic() + 20.0
    earlier = next(u for u in acked if u != user)
    stored = False
    while time.monotonic() < deadline:
        if not stored:
            with contextlib.suppress(httpx.HTTPError):
                answer = await http.put(
                    f"/v1/products/energy/widgets/{user}",
                    json={"content": CARD, "version": version},
                    headers=auth("energy"),
                )
                stored = answer.status_code == 200
            if stored:
                acked[user] = version
        if stored:
            homes = [(await http.get(f"/v1/home/{u}")).json() for u in (user, earlier)]
            if [energy_version(h) for h in homes] == [version, acked[earlier]]:
                return time.monotonic()
        await asyncio.sleep(0.05)
    raise AssertionError(f"not whole within 20 s (push for {user} stored: {stored})")


async def all_acked_pushes_read(
    http: httpx.AsyncClient,
    acked: dict[str, int],
    maybe: Maybe | None = None,
    patience: float = 5.0,
) -> list[tuple[str, int, int | None]]:
    """Users whose home does not (yet) show their acknowledged push: [] when all do.

    `maybe`: other versions a user may show (a refused push that Redis ran anyway).
    """
    maybe = maybe or {}
    deadline = time.monotonic() + patience
    while True:
        homes = await asyncio.gather(*(http.get(f"/v1/home/{user}") for user in acked))
        wrong = [
            (u, acked[u], energy_version(h.json()))
            for u, h in zip(acked, homes, strict=True)
            if energy_version(h.json()) not in {acked[u], *maybe.get(u, ())}
        ]
        if not wrong or time.monotonic() > deadline:
            return wrong
        await asyncio.sleep(0.2)


async def assert_push_refused_fast(
    http: httpx.AsyncClient, method: str, url: str, body: Any
) -> None:
    started = time.monotonic()
    answer = await http.request(method, url, json=body, headers=auth("energy"))
    elapsed = time.monotonic() - started
    assert answer.status_code == 503, (method, url, answer.status_code, answer.text)
    assert answer.headers["retry-after"].isdigit()
    assert answer.json()["error"] == "store_unavailable"
    assert elapsed < PUSH_ANSWER_BOUND_SECONDS, (method, url, elapsed)


async def check_degraded_answers(http: httpx.AsyncClient) -> Maybe:
    """While L2 is out: known users keep their widget (L1), strangers get the generic ones,
    and every kind of push is refused quickly.

    Returns what the refused pushes would leave if Redis ran them later anyway: after a
    *timeout* the outcome is unknown (the command may sit in a paused server's socket),
    which is why a retry of the same version is a no-op. A refused connection stores nothing.
    """
    known = (await http.get(f"/v1/home/{KNOWN[0]}")).json()
    assert energy_version(known) == 1
    stranger = (await http.get(f"/v1/home/{uuid.uuid4()}")).json()
    assert stranger["personalised"] is False
    assert {w["product"] for w in stranger["widgets"]} == set(PRODUCTS)
    assert not any(w["personalised"] for w in stranger["widgets"])
    assert (await http.get("/healthz")).status_code == 200
    assert (await http.get("/readyz")).status_code == 503
    await assert_push_refused_fast(
        http, "PUT", f"/v1/products/energy/widgets/{REFUSED_PUT}", {"content": CARD, "version": 9}
    )
    await assert_push_refused_fast(http, "PUT", "/v1/products/energy/generic", {"content": CARD})
    await assert_push_refused_fast(
        http, "DELETE", f"/v1/products/energy/widgets/{REFUSED_DELETE}", None
    )
    await assert_push_refused_fast(
        http,
        "POST",
        "/v1/products/energy/widgets:batch",
        {"items": [{"user_id": u, "content": CARD, "version": 9} for u in REFUSED_BATCH]},
    )
    return {REFUSED_PUT: {9}, REFUSED_DELETE: {None}, **{u: {9} for u in REFUSED_BATCH}}


async def assert_no_half_batch(http: httpx.AsyncClient) -> None:
    """The refused batch was stored whole or not at all."""
    homes = await asyncio.gather(*(http.get(f"/v1/home/{u}") for u in REFUSED_BATCH))
    assert len({energy_version(h.json()) for h in homes}) == 1, [h.json() for h in homes]


async def test_redis_stopped_mid_load_costs_no_read_and_pushes_get_503_until_it_returns(
    tmp_path: Path, redis_aof: RedisServer
) -> None:
    service = serve(tmp_path, redis_aof)
    try:
        async with httpx.AsyncClient(base_url=service.url, timeout=5.0) as http:
            acked = await seed(http)
            async with ReadLoad(service.url, KNOWN) as load:
                await asyncio.sleep(1.0)
                down_at = time.monotonic()
                await asyncio.to_thread(redis_aof.stop)
                await asyncio.sleep(0.5)
                _ = await check_degraded_answers(http)  # connections refused: nothing sent
                await asyncio.sleep(1.5)
                await asyncio.to_thread(redis_aof.start)
                back_at = time.monotonic()  # Redis answers again
                whole_at = await wait_until_whole(http, acked, KNOWN[2], 2)
                assert (await http.get("/readyz")).status_code == 200
                await asyncio.sleep(0.5)
            assert whole_at - back_at <= RECOVERY_BOUND_SECONDS, whole_at - back_at
            assert load.count(down_at, back_at) >= 50, load.outcomes
            assert load.failures() == [], (load.outcomes, service.log())
            assert await all_acked_pushes_read(http, acked) == []  # and nothing refused stored
            await assert_no_half_batch(http)
    finally:
        service.stop()
    assert "Traceback" not in service.log(), service.log()


async def test_a_redis_too_slow_to_answer_degrades_reads_and_refuses_pushes_quickly(
    tmp_path: Path, redis_aof: RedisServer
) -> None:
    """SIGSTOP: connections stay open but nothing answers, so every L2 call times out.

    The timeouts are configured shorter than their defaults (0.25 s reads, 2 s writes).
    """
    service = serve(
        tmp_path,
        redis_aof,
        HOMEWIDGETS_REDIS_TIMEOUT_SECONDS="0.2",
        HOMEWIDGETS_REDIS_PUSH_TIMEOUT_SECONDS="0.5",
    )
    try:
        async with httpx.AsyncClient(base_url=service.url, timeout=5.0) as http:
            acked = await seed(http)
            async with ReadLoad(service.url, KNOWN) as load:
                await asyncio.sleep(1.0)
                paused_at = time.monotonic()
                redis_aof.pause()
                try:
                    await asyncio.sleep(0.5)
                    maybe = await check_degraded_answers(http)
                    await asyncio.sleep(1.0)
                finally:
                    resumed_at = time.monotonic()
                    redis_aof.resume()
                whole_at = await wait_until_whole(http, acked, KNOWN[3], 2)
                await asyncio.sleep(0.5)
            assert whole_at - resumed_at <= RECOVERY_BOUND_SECONDS, whole_at - resumed_at
            assert load.count(paused_at, resumed_at) >= 50, load.outcomes
            assert load.failures() == [], (load.outcomes, service.log())
            assert await all_acked_pushes_read(http, acked, maybe) == []
            await assert_no_half_batch(http)
    finally:
        service.stop()
    assert "Traceback" not in service.log(), service.log()


async def test_a_service_started_while_redis_is_down_serves_generic_then_recovers(
    tmp_path: Path, redis_aof: RedisServer
) -> None:
    service = serve(tmp_path, redis_aof)
    try:
        async with httpx.AsyncClient(base_url=service.url, timeout=5.0) as setup:
            acked = await seed(setup)
    finally:
        service.stop()
    redis_aof.stop()
    service = serve(tmp_path, redis_aof)  # comes up although L2 is unreachable
    try:
        async with httpx.AsyncClient(base_url=service.url, timeout=5.0) as http:
            home = await http.get(f"/v1/home/{KNOWN[0]}")
            assert home.status_code == 200
            assert home.json()["personalised"] is False  # nothing is claimed it cannot know
            assert (await http.get("/readyz")).status_code == 503
            back_at = time.monotonic()
            redis_aof.start()
            # Whole again: what was written before the outage (kept by the AOF) and after.
            whole_at = await wait_until_whole(http, acked, KNOWN[4], 2)
            assert whole_at - back_at <= RECOVERY_BOUND_SECONDS, whole_at - back_at
            assert await all_acked_pushes_read(http, acked) == []
    finally:
        service.stop()
