"""The blocking and the asyncio client; both send what `Calls` builds and read answers
with `_checked`, so they cannot drift apart."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import httpx

from homewidgets import __version__
from homewidgets.client._errors import ConnectionFailed, checked
from homewidgets.client._models import (
    BatchItem,
    BatchItemResult,
    Calls,
    Content,
    PushResult,
    batch_results,
    push_result,
)

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
USER_AGENT = f"homewidgets-client/{__version__}"


def _headers(token: str | None) -> dict[str, str]:
    headers = {"user-agent": USER_AGENT, "content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return headers


class HomeWidgetsClient:
    """A blocking client for one product's token; lives as long as you use it (close it,
    or use it as a context manager). `transport` lets tests pass httpx.MockTransport."""

    def __init__(self, base_url: str, token: str | None = None, *,
                 transport: httpx.BaseTransport | None = None,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT) -> None:
        self._http = httpx.Client(base_url=base_url, headers=_headers(token),
                                  transport=transport, timeout=timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _send(self, method: str, path: str, body: bytes | None = None) -> dict[str, Any]:
        try:
            return checked(self._http.request(method, path, content=body))
        except httpx.TransportError as exc:
            raise ConnectionFailed(f"{method} {path}: {type(exc).__name__}: {exc}") from exc

    def push(self, product: str, user_id: str, content: Content, *, version: int | None = None,
             priority: int | None = None, ttl_seconds: int | None = None) -> PushResult:
        """Store a user's widget (`PUT /v1/products/{product}/widgets/{user_id}`)."""
        return push_result(self._send(*Calls.push(product, user_id, content, version,
                                                    priority, ttl_seconds)))

    def push_generic(self, product: str, content: Content, *, version: int | None = None,
                     priority: int | None = None, ttl_seconds: int | None = None) -> PushResult:
        """Store the product's generic widget, shown to users without a personalised one."""
        return push_result(self._send(*Calls.push(product, None, content, version,
                                                    priority, ttl_seconds)))

    def delete(self, product: str, user_id: str) -> bool:
        """Drop a user's widget; False if there was none. The user sees the generic one."""
        body = self._send("DELETE", f"/v1/products/{product}/widgets/{user_id}")
        return bool(body.get("deleted"))

    def batch(self, product: str, items: Sequence[BatchItem]) -> list[BatchItemResult]:
        """Up to 1,000 upserts in one call; each item succeeds or fails on its own."""
        return batch_results(self._send(*Calls.batch(product, items)))

    def validate(self, content: Content) -> dict[str, Any]:
        """Check content against the service's schema without storing it; returns the
        canonical content, or raises InvalidContent naming each problem."""
        canonical: dict[str, Any] = self._send(*Calls.validate(content))["content"]
        return canonical


class AsyncHomeWidgetsClient:
    """`HomeWidgetsClient` for asyncio code; close it with `aclose()` or `async with`."""

    def __init__(self, base_url: str, token: str | None = None, *,
                 transport: httpx.AsyncBaseTransport | None = None,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, headers=_headers(token),
                                       transport=transport, timeout=timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, method: str, path: str, body: bytes | None = None) -> dict[str, Any]:
        try:
            return checked(await self._http.request(method, path, content=body))
        except httpx.TransportError as exc:
            raise ConnectionFailed(f"{method} {path}: {type(exc).__name__}: {exc}") from exc

    async def push(self, product: str, user_id: str, content: Content, *,
                   version: int | None = None, priority: int | None = None,
                   ttl_seconds: int | None = None) -> PushResult:
        return push_result(await self._send(*Calls.push(product, user_id, content, version,
                                                          priority, ttl_seconds)))

    async def push_generic(self, product: str, content: Content, *, version: int | None = None,
                           priority: int | None = None,
                           ttl_seconds: int | None = None) -> PushResult:
        return push_result(await self._send(*Calls.push(product, None, content, version,
                                                          priority, ttl_seconds)))

    async def delete(self, product: str, user_id: str) -> bool:
        body = await self._send("DELETE", f"/v1/products/{product}/widgets/{user_id}")
        return bool(body.get("deleted"))

    async def batch(self, product: str, items: Sequence[BatchItem]) -> list[BatchItemResult]:
        return batch_results(await self._send(*Calls.batch(product, items)))

    async def validate(self, content: Content) -> dict[str, Any]:
        canonical: dict[str, Any] = (await self._send(*Calls.validate(content)))["content"]
        return canonical
