"""The JSON log configuration: one JSON object per line, for structlog and stdlib loggers."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from homewidgets.observability.logs import configure_logging, get_logger


@pytest.fixture
def buffer() -> Iterator[io.BytesIO]:
    out = io.BytesIO()
    yield out
    root = logging.getLogger()
    for handler in list(root.handlers):
        if type(handler).__name__ == "_JsonHandler":
            root.removeHandler(handler)
    root.setLevel(logging.WARNING)
    structlog.reset_defaults()


def lines(buffer: io.BytesIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_structlog_and_stdlib_lines_are_json_with_the_bound_request_id(
    buffer: io.BytesIO,
) -> None:
    configure_logging("info", stream=buffer)
    with structlog.contextvars.bound_contextvars(request_id="r-1"):
        get_logger("homewidgets.test").info("pushed", product="energy")
        logging.getLogger("homewidgets.legacy").warning("queue dropped %d requests", 3)
    structured, legacy = lines(buffer)
    assert structured["event"] == "pushed" and structured["product"] == "energy"
    assert structured["request_id"] == "r-1" and structured["level"] == "info"
    assert legacy["event"] == "queue dropped 3 requests"
    assert legacy["request_id"] == "r-1" and legacy["logger"] == "homewidgets.legacy"


def test_lines_below_the_level_cost_nothing_and_print_nothing(buffer: io.BytesIO) -> None:
    configure_logging("warning", stream=buffer)
    logger = get_logger("homewidgets.test")
    logger.info("not shown")
    logging.getLogger("homewidgets.legacy").info("not shown either")
    assert buffer.getvalue() == b""
    # The filtering logger's info is the shared no-op (structlog's `_nop`).
    assert logger.bind().info.__name__ == "_nop"


def test_an_exception_is_logged_with_its_traceback(buffer: io.BytesIO) -> None:
    configure_logging("error", stream=buffer)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("homewidgets.legacy").exception("unexpected")
    (line,) = lines(buffer)
    assert line["level"] == "error"
    assert "ValueError: boom" in str(line["exception"])


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown log level 'verbose'"):
        configure_logging("verbose")
