"""Use case "refresh cold users": pull their widgets from the products, store them as a push would.

One batch = up to `batch_size` refresh requests taken from the queue. Users are grouped
per product (a request names several products), so each product gets ONE pull call per
batch (split into chunks of `max_users_per_call` for big batches), and all products are
pulled at once: a slow product delays neither the others' writes nor their reads.
Answers go through `WidgetParser.parse_pull_answer` and `put_batch`, the batch push's
own validation and write path.

Acknowledgement, i.e. what at-least-once means here:
- A request is acknowledged only after every (user, product) it names was written, or
  the product answered that it has nothing, or the product failed.
- When the WRITE fails (L2 unreachable) the request is not acknowledged: the queue
  redelivers it (to this or another worker) after its claim-idle time. Writes are
  idempotent (same version: no-op), so doing it twice is harmless.
- When the PRODUCT fails (timeout, errors, breaker open, an unreadable answer) the
  request IS acknowledged. Redelivering it would hammer a product that is already
  down, forever while its breaker is open. The user keeps the generic widget of that
  product, and the read path asks again after its dedup window (60 s by default),
  which is the retry schedule we want for a broken backend.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from homewidgets.domain.errors import (
    InvalidInput,
    InvalidWidget,
    ProductUnavailable,
    StoreUnavailable,
    UnknownProduct,
)
from homewidgets.domain.model import RefreshRequest, Registry, WidgetWrite
from homewidgets.domain.ports import ProductBackend, RefreshConsumer, WidgetStore
from homewidgets.domain.push import ItemResult, WidgetParser, put_batch

__all__ = ["RefreshCounters", "RefreshWorker"]

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 200
DEFAULT_USERS_PER_CALL = 250  # a default batch fits one call; products accept 1,000
DEFAULT_BLOCK_MS = 1000  # how long an idle receive waits: also the shutdown delay
DEFAULT_LINGER_MS = 5
DEFAULT_IN_FLIGHT = 4
DEFAULT_OVERLAP_AFTER_MS = 100  # a batch running longer than this gets company
_IDLE_SECONDS = 0.01
_WRITE_RETRY_PAUSES = (0.05, 0.25)  # then give up and leave the requests for redelivery
# Seconds between tries to receive while the queue is unreachable.
_BACKOFF = (0.1, 0.2, 0.5, 1.0, 2.0)

Received = Sequence[tuple[str, RefreshRequest]]


@dataclass(slots=True)
class RefreshCounters:
    """What a worker did since it started; plain ints, read by logs and metrics."""

    batches: int = 0
    messages: int = 0
    acknowledged: int = 0
    pulls: int = 0
    pull_failures: int = 0
    users_asked: int = 0  # (user, product) pairs sent to products
    widgets_written: int = 0  # stored (new or newer version)
    widgets_unchanged: int = 0  # same or older version already stored
    invalid_items: int = 0  # refused by validation, as a push would be
    unasked_items: int = 0  # answers for users nobody asked about: ignored
    store_failures: int = 0
    receive_failures: int = 0


@dataclass(frozen=True, slots=True)
class _Chunk:
    product: str
    user_ids: tuple[str, ...]


def _queued_ms(message_id: str) -> float:
    """When a stream entry was added: its id is "<unix ms>-<seq>" (Redis and memory alike)."""
    try:
        return float(message_id.partition("-")[0])
    except ValueError:
        return float("nan")


class RefreshWorker:
    """Turns refresh requests into stored widgets; one per worker process (or embedded).

    `run_once` handles one batch and returns how many requests it received (0: the
    queue was empty for `block_ms`). `run` loops until `stop` is set. It starts the next
    batch when the last one is done, or after `overlap_after_ms` if it is not (up to
    `in_flight` batches at once), so one slow product cannot stall the queue while fast
    products still get few, big calls. On stop it finishes and acknowledges the
    batches in flight before it returns.
    """

    def __init__(
        self,
        *,
        consumer: RefreshConsumer,
        backend: ProductBackend,
        parser: WidgetParser,
        store: WidgetStore,
        registry: Registry,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_users_per_call: int = DEFAULT_USERS_PER_CALL,
        block_ms: int = DEFAULT_BLOCK_MS,
        linger_ms: int = DEFAULT_LINGER_MS,
        in_flight: int = DEFAULT_IN_FLIGHT,
        overlap_after_ms: int = DEFAULT_OVERLAP_AFTER_MS,
    ) -> None:
        self._consumer = consumer
        self._backend = backend
        self._parser = parser
        self._store = store
        self._pullable = frozenset(registry.pullable)
        self.batch_size = max(1, batch_size)
        self.max_users_per_call = max(1, max_users_per_call)
        self.block_ms = block_ms
        self.linger_ms = linger_ms
        self.in_flight = max(1, in_flight)
        self.overlap_after_ms = overlap_after_ms
        self.counters = RefreshCounters()
        self._in_flight: set[str] = set()  # message ids of the batches being handled

    async def run_once(self) -> int:
        received = await self._receive()
        if received:
            await self.handle(received)
        return len(received)

    async def run(self, stop: asyncio.Event) -> None:
        slots = asyncio.Semaphore(self.in_flight)
        running: set[asyncio.Task[None]] = set()
        failures = 0
        try:
            while not stop.is_set():
                if running:
                    # Give the batches in flight a moment to finish first: meanwhile new
                    # requests gather into one bigger batch (fewer calls, less CPU). Only
                    # a batch stuck on a slow product makes us start another beside it.
                    await asyncio.wait(running, timeout=self.overlap_after_ms / 1000)
                await slots.acquire()
                try:
                    received = await self._receive()
                except Exception as exc:  # L2 down (or a bug): back off, never give up
                    slots.release()
                    self.counters.receive_failures += 1
                    failures += 1
                    pause = _BACKOFF[min(failures, len(_BACKOFF)) - 1]
                    if isinstance(exc, StoreUnavailable):
                        log.warning("refresh queue unreachable (%s); retry in %.1f s", exc, pause)
                    else:
                        log.exception("receiving refresh requests failed; retry in %.1f s", pause)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), pause)
                    continue
                failures = 0
                # With a claim-idle time shorter than a slow batch, the queue hands us our
                # own entries again: the batch already working on them will acknowledge.
                received = [e for e in received if e[0] not in self._in_flight]
                if not received:
                    slots.release()
                    if self.block_ms <= 0:  # a non-blocking consumer: do not spin
                        await asyncio.sleep(_IDLE_SECONDS)
                    continue
                self._in_flight.update(message_id for message_id, _ in received)
                task = asyncio.create_task(self._handle_released(received, slots))
                running.add(task)
                task.add_done_callback(running.discard)
        except asyncio.CancelledError:
            # Cancelled (the embedded worker at app shutdown): drop the batches in flight.
            # Their requests stay unacknowledged, so a queue that outlives us redelivers.
            for task in running:
                task.cancel()
            raise
        finally:
            # Stopped (SIGTERM): finish and acknowledge every batch already received.
            if running:
                await asyncio.gather(*running, return_exceptions=True)

    async def _handle_released(self, received: Received, slots: asyncio.Semaphore) -> None:
        try:
            await self.handle(received)
        except StoreUnavailable as exc:
            log.warning("could not acknowledge %d refresh requests: %s", len(received), exc)
        except Exception:  # a bug must not end the worker; the batch is redelivered
            log.exception("refresh batch failed")
        finally:
            self._in_flight.difference_update(message_id for message_id, _ in received)
            slots.release()

    async def _receive(self) -> list[tuple[str, RefreshRequest]]:
        received = await self._consumer.receive(self.batch_size, self.block_ms)
        if received and len(received) < self.batch_size and self.linger_ms > 0:
            # A burst of cold reads arrives over a few milliseconds: wait a moment so it
            # goes out as one pull call per product rather than several.
            await asyncio.sleep(self.linger_ms / 1000)
            with contextlib.suppress(StoreUnavailable):  # the first part is still ours
                more = await self._consumer.receive(self.batch_size - len(received), 0)
                seen = {message_id for message_id, _ in received}
                # A very short claim-idle time could hand us our own entries again.
                received += [entry for entry in more if entry[0] not in seen]
        return received

    async def handle(self, received: Received) -> None:
        """Pull, write and acknowledge one batch of requests."""
        self.counters.batches += 1
        self.counters.messages += len(received)
        started = time.time()
        chunks = self._chunks(request for _, request in received)
        outcomes = await asyncio.gather(*(self._refresh(chunk) for chunk in chunks))
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "batch of %d requests (oldest queued %.0f ms before) pulled and written in %.0f ms",
                len(received), 1000 * started - _queued_ms(received[0][0]),
                1000 * (time.time() - started),
            )  # fmt: skip
        unwritten = {
            (chunk.product, user_id)
            for chunk, written in zip(chunks, outcomes, strict=True)
            if not written
            for user_id in chunk.user_ids
        }
        done = [
            message_id
            for message_id, request in received
            if not any((p, request.user_id) in unwritten for p in request.products)
        ]
        if done:
            await self._consumer.acknowledge(done)
            self.counters.acknowledged += len(done)

    def _chunks(self, requests: Iterable[RefreshRequest]) -> list[_Chunk]:
        users: dict[str, dict[str, None]] = {}  # product -> ordered set of users
        for request in requests:
            for product in request.products:
                if product in self._pullable:
                    users.setdefault(product, {})[request.user_id] = None
        size = self.max_users_per_call
        return [
            _Chunk(product, tuple(ids[i : i + size]))
            for product, ordered in users.items()
            for ids in [list(ordered)]
            for i in range(0, len(ids), size)
        ]

    async def _refresh(self, chunk: _Chunk) -> bool:
        """Pull one chunk and write the answers; False only if the write itself failed."""
        self.counters.pulls += 1
        self.counters.users_asked += len(chunk.user_ids)
        try:
            raw = await self._backend.pull(chunk.product, chunk.user_ids)
            parsed = self._parser.parse_pull_answer(chunk.product, raw)
        except (ProductUnavailable, UnknownProduct, InvalidInput) as exc:
            self.counters.pull_failures += 1
            log.info("no widgets from %s for %d users: %s", chunk.product, len(chunk.user_ids), exc)
            return True
        parsed = self._only_asked(chunk, parsed)
        if not parsed:
            return True
        results = await self._write(chunk.product, parsed)
        if results is None:
            return False
        for result in results:
            if result.status == 200 and result.stored:
                self.counters.widgets_written += 1
            elif result.status in (200, 409):
                self.counters.widgets_unchanged += 1
            else:
                self.counters.invalid_items += 1
        return True

    async def _write(
        self, product: str, parsed: list[WidgetWrite | InvalidWidget]
    ) -> list[ItemResult] | None:
        """`put_batch`, tried again after short pauses; None if L2 stayed unreachable.

        A blip (a connection dropped, a failover) should not cost the user the whole
        claim-idle wait of a redelivery. Writing twice is harmless: the product's
        version makes the second write a no-op.
        """
        for pause in (*_WRITE_RETRY_PAUSES, None):
            try:
                return await put_batch(parsed, store=self._store)
            except StoreUnavailable as exc:
                self.counters.store_failures += 1
                if pause is None:
                    log.warning("could not store %s widgets (redelivered later): %s", product, exc)
                    return None
                log.info("storing %s widgets failed (%s); again in %.2f s", product, exc, pause)
                await asyncio.sleep(pause)
        return None  # pragma: no cover - the loop returns

    def _only_asked(
        self, chunk: _Chunk, parsed: list[WidgetWrite | InvalidWidget]
    ) -> list[WidgetWrite | InvalidWidget]:
        """Drop answers about users this call did not ask for; log refused items once."""
        asked = set(chunk.user_ids)
        kept: list[WidgetWrite | InvalidWidget] = []
        invalid: InvalidWidget | None = None
        for item in parsed:
            if isinstance(item, InvalidWidget):
                invalid = invalid or item
                kept.append(item)  # put_batch reports it, as for a pushed batch
            elif item.user_id in asked:
                kept.append(item)
            else:
                self.counters.unasked_items += 1
        if invalid is not None:
            log.warning("%s answered invalid widgets, e.g. %s", chunk.product, invalid)
        return kept
