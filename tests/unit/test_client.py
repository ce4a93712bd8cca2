"""The product teams' client against a recording fake service (httpx.MockTransport, no sockets)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from homewidgets.client import (
    AsyncHomeWidgetsClient,
    AuthenticationFailed,
    BatchItem,
    ConnectionFailed,
    HomeWidgetsClient,
    InvalidContent,
    NotFound,
    PermissionDenied,
    Problem,
    PushResult,
    ServiceUnavailable,
    TooManyRequests,
    VersionConflict,
)

USER = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
TEXT = {"type": "text", "text": "Hello"}


class FakeService:
    """Answers every request with one canned response and keeps the requests it saw."""

    def __init__(self, status: int = 200, body: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        self.status, self.body, self.headers = status, body, headers or {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json=self.body, headers=self.headers)

    def client(self, token: str = "tok") -> HomeWidgetsClient:
        return HomeWidgetsClient("http://svc", token, transport=httpx.MockTransport(self))

    @property
    def sent(self) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(self.requests[-1].content)
        return body


def stored(version: int = 7, user_id: str | None = USER) -> dict[str, Any]:
    return {"product": "energy", "user_id": user_id, "version": version, "stored": True}


def test_push_puts_the_widget_with_the_products_token_and_returns_the_stored_version() -> None:
    service = FakeService(body=stored())
    with service.client("secret") as client:
        result = client.push("energy", USER, TEXT, version=7, ttl_seconds=60)
    assert result == PushResult("energy", USER, 7, True)
    request = service.requests[0]
    assert (request.method, request.url.path) == ("PUT", f"/v1/products/energy/widgets/{USER}")
    assert request.headers["authorization"] == "Bearer secret"
    assert service.sent == {"content": TEXT, "version": 7, "ttl_seconds": 60}


def test_content_given_as_bytes_is_sent_exactly_as_written() -> None:
    # A product's CI pushes a file as it is, so the service judges the file, not a re-encoding.
    service = FakeService(body=stored(user_id=None))
    raw = b'{"type": "text",   "text": "caf\\u00e9"}'
    with service.client() as client:
        client.push_generic("energy", raw, priority=3)
    assert service.requests[0].url.path == "/v1/products/energy/generic"
    assert raw in service.requests[0].content
    assert service.sent == {"content": {"type": "text", "text": "café"}, "priority": 3}


def test_a_refused_widget_raises_invalid_content_naming_each_field() -> None:
    service = FakeService(422, {
        "error": "invalid_widget", "message": "/content/type: unknown component type",
        "problems": [{"pointer": "/content/type", "reason": "unknown component type"}],
    })
    with service.client() as client, pytest.raises(InvalidContent) as caught:
        client.push("energy", USER, {"type": "marquee"})
    assert caught.value.status == 422 and caught.value.error == "invalid_widget"
    assert caught.value.problems == (Problem("/content/type", "unknown component type"),)


@pytest.mark.parametrize(
    ("status", "error", "kind"),
    [(400, "invalid_widget", InvalidContent), (401, "unauthorized", AuthenticationFailed),
     (403, "forbidden", PermissionDenied), (404, "unknown_product", NotFound),
     (413, "invalid_widget", InvalidContent)],
)
def test_each_refusal_status_has_its_own_error_type(
    status: int, error: str, kind: type[Exception]
) -> None:
    service = FakeService(status, {"error": error, "message": "no"})
    with service.client() as client, pytest.raises(kind, match=f"{status} {error}: no"):
        client.push("energy", USER, TEXT)


def test_a_stale_version_reports_the_stored_one() -> None:
    service = FakeService(409, {"error": "stale_version", "message": "newer stored",
                                "stored_version": 9})
    with service.client() as client, pytest.raises(VersionConflict) as caught:
        client.push("energy", USER, TEXT, version=3)
    assert caught.value.stored_version == 9


def test_rate_limits_and_outages_say_when_to_retry() -> None:
    limited = FakeService(429, {"error": "rate_limited", "message": "slow down"},
                          {"retry-after": "2"})
    with limited.client() as client, pytest.raises(TooManyRequests) as too_many:
        client.push("energy", USER, TEXT)
    assert too_many.value.retry_after == 2.0
    down = FakeService(503, {"error": "store_unavailable", "message": "retry"},
                       {"retry-after": "1"})
    with down.client() as client, pytest.raises(ServiceUnavailable) as unavailable:
        client.delete("energy", USER)
    assert unavailable.value.status == 503 and unavailable.value.retry_after == 1.0


def test_an_unreachable_service_raises_connection_failed() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    transport = httpx.MockTransport(refuse)
    with HomeWidgetsClient("http://svc", "tok", transport=transport) as client, \
            pytest.raises(ConnectionFailed, match="ConnectError"):
        client.validate(TEXT)


def test_batch_sends_every_item_and_returns_a_result_per_item() -> None:
    service = FakeService(body={"results": [
        {"user_id": USER, "status": 200, "version": 1, "stored": True},
        {"user_id": "u2", "status": 422, "error": "invalid_widget",
         "problems": [{"pointer": "/content/text", "reason": "required"}]},
    ]})
    with service.client() as client:
        results = client.batch("energy", [BatchItem(USER, TEXT, version=1),
                                          BatchItem("u2", {"type": "text"})])
    assert service.sent == {"items": [{"content": TEXT, "user_id": USER, "version": 1},
                                      {"content": {"type": "text"}, "user_id": "u2"}]}
    assert [r.ok for r in results] == [True, False]
    assert results[1].problems == (Problem("/content/text", "required"),)


def test_delete_and_validate_read_their_answers() -> None:
    deleted = FakeService(body={"product": "energy", "user_id": USER, "deleted": True})
    with deleted.client() as client:
        assert client.delete("energy", USER) is True
    assert deleted.requests[0].method == "DELETE"
    valid = FakeService(body={"valid": True, "content": TEXT})
    with valid.client() as client:
        assert client.validate(TEXT) == TEXT
    assert valid.requests[0].url.path == "/v1/schema/validate"
    assert json.loads(valid.requests[0].content) == TEXT


async def test_the_async_client_sends_and_refuses_the_same_way() -> None:
    service = FakeService(body=stored())
    handler: Callable[[httpx.Request], httpx.Response] = service
    async with AsyncHomeWidgetsClient("http://svc", "tok",
                                      transport=httpx.MockTransport(handler)) as client:
        assert (await client.push("energy", USER, TEXT)).version == 7
        service.status, service.body = 403, {"error": "forbidden", "message": "not yours"}
        with pytest.raises(PermissionDenied):
            await client.push("energy", USER, TEXT)
    assert service.requests[0].headers["authorization"] == "Bearer tok"
