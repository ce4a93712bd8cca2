"""Which library for L1: get-hit cost and hit ratio of moka-py, theine and a plain dict.

Run: .venv/bin/python bench/l1_cache.py
Both figures matter: the get is on every read (microseconds), the hit ratio decides how
often a read falls through to L2 (hundreds of microseconds). Same process, same run, so
the ratios hold even on a busy machine.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from moka_py import Moka
from theine import Cache as Theine

KEYS = 100_000
CAPACITY = 10_000
LOOKUPS = 400_000


def zipf_trace(n: int, keys: int, s: float = 0.9, seed: int = 7) -> list[str]:
    weights = [1 / (rank**s) for rank in range(1, keys + 1)]
    rng = random.Random(seed)
    return [f"user-{k}" for k in rng.choices(range(keys), weights=weights, k=n)]


def get_cost(get: Callable[[str], object], keys: list[str]) -> float:
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for key in keys:
            get(key)
        best = min(best, (time.perf_counter() - started) / len(keys))
    return best * 1e6


def hit_ratio(get: Callable[[str], object], put: Callable[[str, object], None],
              trace: list[str], settle: Callable[[], None] = lambda: None) -> float:
    hits = 0
    for i, key in enumerate(trace):
        if get(key) is not None:
            hits += 1
        else:
            put(key, b"x")
        if i % 1000 == 0:
            settle()
    return hits / len(trace)


def main() -> None:
    trace = zipf_trace(LOOKUPS, KEYS)
    hot = [f"user-{k}" for k in range(CAPACITY // 2)] * 20

    moka: Moka[str, object] = Moka(CAPACITY, policy="tiny_lfu")
    theine: Theine = Theine(CAPACITY)
    plain: dict[str, object] = {}
    for key in hot[: CAPACITY // 2]:
        moka.set(key, b"x")
        theine.set(key, b"x")
        plain[key] = b"x"
    print(f"get-hit cost (best of 5 x {len(hot):,} gets, microseconds):")
    print(f"  dict      {get_cost(plain.get, hot):.2f}")
    print(f"  moka-py   {get_cost(moka.get, hot):.2f}")
    print(f"  theine    {get_cost(theine.get, hot):.2f}")

    moka2: Moka[str, object] = Moka(CAPACITY, policy="tiny_lfu")
    moka_lru: Moka[str, object] = Moka(CAPACITY, policy="lru")
    theine2: Theine = Theine(CAPACITY)
    print(f"hit ratio on a Zipf(0.9) trace, {KEYS:,} keys, cache of {CAPACITY:,}:")
    tiny = hit_ratio(moka2.get, moka2.set, trace, moka2.run_pending_tasks)
    lru = hit_ratio(moka_lru.get, moka_lru.set, trace, moka_lru.run_pending_tasks)
    print(f"  moka-py tiny_lfu {tiny:.1%}")
    print(f"  moka-py lru      {lru:.1%}")
    def theine_get(key: str) -> object:
        return theine2.get(key)[0]  # theine answers (value, found)

    print(f"  theine           {hit_ratio(theine_get, theine2.set, trace):.1%}")


if __name__ == "__main__":
    main()
