"""The home service as the simulated products see it: its push API and event streams.

`HomeServiceClient` wraps an `httpx.AsyncClient` whose `base_url` is the home
service; the caller owns that client and closes it (the app's lifespan does).
Every call carries the bearer token of the product it acts for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from homewidgets.registry import demo_token

# Pushes are small and the service answers within milliseconds; a slow one is a fault.
DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=2.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=32, max_keepalive_connections=16)
# A long poll may legitimately take `wait_ms`; allow this much more before giving up.
EVENTS_GRACE_SECONDS = 5.0


class HomeServiceRefused(Exception):
    """The home service answered, but not with 2xx."""

    def __init__(self, status: int, body: str) -> None:
        self.status = status
        self.body = body
        super().__init__(f"home service answered {status}: {body[:300]}")

    @property
    def retryable(self) -> bool:
        """Server trouble or overload: try again later. Other 4xx: our request is wrong."""
        return self.status >= 500 or self.status in (408, 429)


def _checked(response: httpx.Response) -> Any:
    if response.status_code >= 300:
        raise HomeServiceRefused(response.status_code, response.text)
    return response.json() if response.content else None


class HomeServiceClient:
    """The push and event calls of CONTRACT 4 and 8, for any simulated product."""

    def __init__(
        self, http: httpx.AsyncClient, token_for: Callable[[str], str] = demo_token
    ) -> None:
        self._http = http
        self._token_for = token_for

    def _auth(self, product: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token_for(product)}"}

    async def put_generic(self, product: str, body: dict[str, Any]) -> Any:
        response = await self._http.put(
            f"/v1/products/{product}/generic", json=body, headers=self._auth(product)
        )
        return _checked(response)

    async def put_widget(self, product: str, user_id: str, body: dict[str, Any]) -> Any:
        response = await self._http.put(
            f"/v1/products/{product}/widgets/{user_id}", json=body, headers=self._auth(product)
        )
        return _checked(response)

    async def put_batch(self, product: str, items: list[dict[str, Any]]) -> Any:
        response = await self._http.post(
            f"/v1/products/{product}/widgets:batch",
            json={"items": items},
            headers=self._auth(product),
        )
        return _checked(response)

    async def read_events(
        self, product: str, after: str, *, count: int = 100, wait_ms: int = 5000
    ) -> tuple[list[dict[str, Any]], str]:
        """One long poll: the events after `after` ("$": only new ones) and the id to go on from."""
        response = await self._http.get(
            f"/v1/products/{product}/events",
            params={"after": after, "count": count, "wait_ms": wait_ms},
            headers=self._auth(product),
            timeout=httpx.Timeout(wait_ms / 1000 + EVENTS_GRACE_SECONDS, connect=2.0),
        )
        data = _checked(response)
        if not isinstance(data, dict):
            raise HomeServiceRefused(response.status_code, "events answer is not a JSON object")
        events = data.get("events")
        last_id = data.get("last_id")
        entries = [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []
        return entries, last_id if isinstance(last_id, str) and last_id else after
