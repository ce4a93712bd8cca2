"""Every port on Redis/Valkey (one server or a Cluster), from `HOMEWIDGETS_REDIS_URL`.

Two clients: a short-timeout one for the read and push paths (a slow L2 must degrade,
not stall, them) and one whose timeout outlasts blocking stream reads (XREAD BLOCK).
"""

from __future__ import annotations

from dataclasses import dataclass

from homewidgets.config import Settings
from homewidgets.outbound._redis_client import RedisClient, Timeouts, connect
from homewidgets.outbound.redis_feed import RedisChangeFeed
from homewidgets.outbound.redis_store import RedisWidgetStore
from homewidgets.outbound.redis_streams import (
    DEFAULT_MAX_BLOCK_MS,
    RedisEventLog,
    RedisRefreshConsumer,
    RedisRefreshQueue,
)


@dataclass(frozen=True, slots=True)
class RedisAdapters:
    client: RedisClient
    push_client: RedisClient
    blocking_client: RedisClient
    store: RedisWidgetStore
    push_store: RedisWidgetStore
    feed: RedisChangeFeed
    queue: RedisRefreshQueue
    events: RedisEventLog

    def consumer(self, settings: Settings) -> RedisRefreshConsumer:
        return RedisRefreshConsumer(
            self.blocking_client, namespace=settings.namespace,
            claim_idle_ms=settings.claim_idle_ms,
        )

    async def aclose(self) -> None:
        for client in (self.client, self.push_client, self.blocking_client):
            await client.aclose()


def wire(settings: Settings) -> RedisAdapters:
    assert settings.redis_url
    client = connect(
        settings.redis_url,
        Timeouts(socket=settings.redis_timeout_seconds,
                 connect=settings.redis_connect_timeout_seconds),
    )
    push_client = connect(
        settings.redis_url,
        Timeouts(socket=settings.redis_push_timeout_seconds,
                 connect=settings.redis_connect_timeout_seconds),
    )
    blocking_client = connect(
        settings.redis_url,
        Timeouts(socket=DEFAULT_MAX_BLOCK_MS / 1000 + 2.0,
                 connect=settings.redis_connect_timeout_seconds),
    )
    return RedisAdapters(
        client=client,
        push_client=push_client,
        blocking_client=blocking_client,
        store=RedisWidgetStore(client, namespace=settings.namespace,
                               user_ttl_seconds=settings.user_ttl_seconds),
        push_store=RedisWidgetStore(push_client, namespace=settings.namespace,
                                    user_ttl_seconds=settings.user_ttl_seconds),
        feed=RedisChangeFeed(client, namespace=settings.namespace),
        queue=RedisRefreshQueue(client, namespace=settings.namespace,
                                maxlen=settings.refresh_stream_maxlen,
                                dedup_seconds=int(settings.refresh_window_seconds)),
        events=RedisEventLog(blocking_client, namespace=settings.namespace,
                             maxlen=settings.events_stream_maxlen),
    )
