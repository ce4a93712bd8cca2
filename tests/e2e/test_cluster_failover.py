"""A Redis Cluster primary dies under load: reads go on, pushes come back, nothing acked is lost.

3 primaries + 3 replicas on loopback (`cluster-node-timeout 1000`: a failover takes about
3 s here, NOTES.md). A real `homewidgets serve` process on the Cluster gets reads and
pushes from several loops while the primary that holds some of the users is SIGKILLed.
Checked: every read answers 200 throughout; pushes answer 200 or 503 (never hang, never
another error) and succeed again after the failover, for the users of the dead primary
too; at the end every push acknowledged before, during and after reads back.
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
from test_faults_redis import ReadLoad, energy_version

from inprocess import CARD, auth
from processes import Process, start_service
from redis_servers import RedisClusterServers, RedisServer

pytestmark = [pytest.mark.redis, pytest.mark.cluster, pytest.mark.slow]

USERS = [str(uuid.UUID(int=0x9B2C1A365F6E4C8E9D3A000000000000 + i)) for i in range(60)]
FAILOVER_BOUND_SECONDS = 20.0  # generous: the failover itself takes ~3 s on loopback
PUSH_ANSWER_BOUND_SECONDS = 5.0


def user_key(user: str) -> str:
    return f"hw:{{{user}}}:w"


@dataclass
class PushLoad:
    """Loops pushing ever newer versions of each user's energy widget, until stopped.

    `acked[user]` is the newest version answered with 200; `tried[user]` every version
    sent (a push that timed out may still have been applied by Redis).
    """

    base_url: str
    users: list[str]
    concurrency: int = 3
    duration: float = 60.0
    reserved: frozenset[str] = frozenset()  # pushed by the test itself, not by the loops
    acked: dict[str, int] = field(default_factory=dict)
    tried: dict[str, set[int]] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)
    log: list[tuple[float, str, str, float]] = field(default_factory=list)
    _versions: dict[str, int] = field(default_factory=dict)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def __aenter__(self) -> PushLoad:
        self._tasks = [asyncio.create_task(self._loop(i)) for i in range(self.concurrency)]
        return self

    async def __aexit__(self, *_: object) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)

    async def push(self, http: httpx.AsyncClient, user: str) -> str:
        version = self._versions.get(user, 1) + 1
        self._versions[user] = version
        self.tried.setdefault(user, set()).add(version)
        started = time.monotonic()
        try:
            answer = await http.put(
                f"/v1/products/energy/widgets/{user}",
                json={"content": CARD, "version": version},
                headers=auth("energy"),
            )
            outcome = str(answer.status_code)
        except httpx.HTTPError as exc:
            outcome = type(exc).__name__
        if outcome == "200":
            self.acked[user] = max(self.acked.get(user, 0), version)
        self.outcomes[outcome] += 1
        self.log.append((started, user, outcome, time.monotonic() - started))
        return outcome

    async def _loop(self, index: int) -> None:
        """Each loop owns its users, so one user's versions are sent one after the other
        (two loops racing on one user would earn a legitimate 409)."""
        rng = random.Random(index)
        mine = [u for u in self.users[index :: self.concurrency] if u not in self.reserved]
        deadline = time.monotonic() + self.duration
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10.0) as http:
            while not self._stop.is_set() and time.monotonic() < deadline:
                await self.push(http, rng.choice(mine))
                await asyncio.sleep(0.005)


@pytest.fixture
def cluster(cluster_url: str, redis_cluster: RedisClusterServers) -> Iterator[RedisClusterServers]:
    """The session's Cluster; whatever this test kills is started again (as a replica)."""
    yield redis_cluster
    for node in redis_cluster.nodes:
        if not node.running:
            node.start()
    with contextlib.suppress(TimeoutError):
        redis_cluster.wait_healthy()


async def seed(http: httpx.AsyncClient, pushes: PushLoad) -> None:
    for product in ("energy", "car_insurance"):
        answer = await http.put(
            f"/v1/products/{product}/generic", json={"content": CARD}, headers=auth(product)
        )
        assert answer.status_code == 200, answer.text
    for user in USERS:
        assert await pushes.push(http, user) == "200"


async def pushes_work_again(pushes: PushLoad, http: httpx.AsyncClient, user: str) -> float:
    """Push for `user` (whose primary died) until one is acknowledged; when it was."""
    deadline = time.monotonic() + FAILOVER_BOUND_SECONDS
    while time.monotonic() < deadline:
        if await pushes.push(http, user) == "200":
            return time.monotonic()
        await asyncio.sleep(0.1)
    raise AssertionError(f"no push for {user} stored within {FAILOVER_BOUND_SECONDS} s")


async def mismatches(http: httpx.AsyncClient, pushes: PushLoad) -> list[Any]:
    """Users whose home does not show their newest acknowledged push (or a newer try)."""
    wrong = []
    for user, acked in pushes.acked.items():
        answer = await http.get(f"/v1/home/{user}")
        version = energy_version(answer.json()) if answer.status_code == 200 else None
        if version is None or version < acked or version not in pushes.tried[user]:
            wrong.append((user, acked, version))
    return wrong


async def test_a_primary_killed_mid_load_costs_no_read_and_loses_no_acknowledged_push(
    tmp_path: Path, cluster: RedisClusterServers, cluster_url: str
) -> None:
    service: Process = start_service(tmp_path, {"HOMEWIDGETS_REDIS_URL": cluster_url})
    victim: RedisServer = cluster.primary_of(user_key(USERS[0]))
    on_victim = [u for u in USERS if cluster.primary_of(user_key(u)) is victim]
    assert 5 < len(on_victim) < len(USERS)  # the users spread over the three primaries
    try:
        async with httpx.AsyncClient(base_url=service.url, timeout=10.0) as http:
            pushes = PushLoad(service.url, USERS, reserved=frozenset({on_victim[0]}))
            await seed(http, pushes)
            async with ReadLoad(service.url, USERS, concurrency=4) as reads, pushes:
                await asyncio.sleep(1.5)
                killed_at = time.monotonic()
                victim.kill()
                await asyncio.sleep(0.5)
                back_at = await pushes_work_again(pushes, http, on_victim[0])
                await asyncio.sleep(1.5)  # more pushes, to every shard, after the failover
            failover_seconds = back_at - killed_at
            assert failover_seconds < FAILOVER_BOUND_SECONDS

            assert reads.failures() == [], (reads.outcomes, service.log())
            assert reads.count(killed_at, back_at) >= 20, reads.outcomes
            assert set(pushes.outcomes) <= {"200", "503"}, (pushes.outcomes, service.log())
            slowest = max(elapsed for *_, elapsed in pushes.log)
            assert slowest < PUSH_ANSWER_BOUND_SECONDS, slowest
            after = [o for t, u, o, _ in pushes.log if t > back_at and u in on_victim]
            assert after and set(after) == {"200"}, Counter(after)  # the shard is whole again
            before = [o for t, _, o, took in pushes.log if t + took < killed_at]
            assert len(before) >= 20 and set(before) == {"200"}

            deadline = time.monotonic() + 5.0
            wrong = await mismatches(http, pushes)
            while wrong and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
                wrong = await mismatches(http, pushes)
            assert wrong == [], (wrong, pushes.outcomes)
    finally:
        service.stop()
    assert "Traceback" not in service.log(), service.log()
