"""Request ids on the control plane: echoed, honoured when sane, and in every log line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator

import pytest
import structlog

from homewidgets.observability.logs import configure_logging
from inprocess import Service, in_process_service

USER = "6b1f3c2e-8f4a-4d2b-9c1e-2a3b4c5d6e7f"


@pytest.fixture
def log_lines() -> Iterator[io.BytesIO]:
    """Debug-level JSON logs into a buffer; the default configuration is restored after."""
    buffer = io.BytesIO()
    configure_logging("debug", stream=buffer)
    yield buffer
    for handler in list(logging.getLogger().handlers):
        if type(handler).__name__ == "_JsonHandler":
            logging.getLogger().removeHandler(handler)
    logging.getLogger().setLevel(logging.WARNING)
    structlog.reset_defaults()


@pytest.fixture
async def service(log_lines: io.BytesIO) -> AsyncIterator[Service]:
    del log_lines  # configured before the app is built, as in production
    async with in_process_service() as running:
        yield running


async def test_a_control_plane_answer_carries_a_new_request_id(service: Service) -> None:
    first = await service.http.get("/v1/products")
    second = await service.http.get("/v1/products")
    assert len(first.headers["x-request-id"]) == 32
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_an_incoming_request_id_is_kept_and_logged(
    service: Service, log_lines: io.BytesIO
) -> None:
    # nginx (deploy/nginx.conf) forwards the id it made, so one id follows the request.
    response = await service.http.get("/healthz", headers={"x-request-id": "lb-4711"})
    assert response.headers["x-request-id"] == "lb-4711"
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    access = [line for line in lines if line.get("event") == "request"]
    assert access, lines
    assert access[-1]["request_id"] == "lb-4711"
    assert access[-1]["route"] == "/healthz" and access[-1]["status"] == 200
    assert access[-1]["level"] == "debug" and "timestamp" in access[-1]


async def test_an_unsafe_incoming_request_id_is_replaced(service: Service) -> None:
    response = await service.http.get("/healthz", headers={"x-request-id": "a\tb" + "x" * 200})
    assert response.headers["x-request-id"] != "a\tb" + "x" * 200
    assert len(response.headers["x-request-id"]) == 32


async def test_the_read_path_stays_bare(service: Service) -> None:
    # No request id machinery on the hot path: its headers are the prebuilt ones.
    response = await service.http.get(f"/v1/home/{USER}")
    assert response.status_code == 200
    assert "x-request-id" not in response.headers
