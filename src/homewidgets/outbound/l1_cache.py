"""L1: the per-process cache of assembled homes, on moka-py (W-TinyLFU, per-entry expiry).

Bounded by bytes, not entries: a home is weighed by its body, so 256 MiB means 256 MiB of
homes whatever their size. Scoped to one process on purpose: each service worker keeps
its own, kept coherent by the change feed (an L2 write invalidates every instance's entry).
"""

from __future__ import annotations

from moka_py import Moka

from homewidgets.domain.home import HomeDocument

_ENTRY_OVERHEAD = 600  # bytes: the document object, its headers and the key


def _weigh(_key: str, home: HomeDocument) -> int:
    # A home holds its body, the personalised widgets it was built from (about one more
    # body) and, once asked for, the compat body and gzip copies (about one more): weigh
    # all of it up front so a full cache does not overshoot its bound as they appear.
    return min(3 * len(home.v1.body) + _ENTRY_OVERHEAD, 2**32 - 1)


class MokaHomeCache:
    """HomeCache on moka-py. Lives as long as the app; thread-safe, never blocks the loop."""

    def __init__(self, max_bytes: int) -> None:
        self._cache: Moka[str, HomeDocument] = Moka(
            capacity=max_bytes, weigher=_weigh, policy="tiny_lfu"
        )
        self.get = self._cache.get  # bound once: the read path calls it per request

    def put(self, user_id: str, home: HomeDocument, ttl: float | None = None) -> None:
        if ttl is not None and ttl <= 0:
            return
        self._cache.set(user_id, home, ttl=ttl)

    def invalidate(self, user_id: str) -> None:
        self._cache.remove(user_id)

    def clear(self) -> None:
        self._cache.clear()

    def __len__(self) -> int:
        self._cache.run_pending_tasks()
        return int(self._cache.count())

    def weighted_size(self) -> int:
        self._cache.run_pending_tasks()
        return int(self._cache.weighted_size())
