"""Structured JSON logs (structlog), one line per event, with the request id when there is one.

Configured once per process (`configure_logging`, from the CLI and from each granian
worker's app factory). Free when off: the filtering bound logger turns every call below
the level into a no-op method (structlog `docs/performance.md`), and loggers are cached on
first use. The project's stdlib `logging` calls go through the same JSON renderer, so
an operator reads one format. The read path never logs per request.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, BinaryIO

import orjson
import structlog

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR, "critical": logging.CRITICAL}

_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


class _JsonHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the root handler we installed, so configuring again replaces it."""


def configure_logging(level: str = "warning", *, stream: BinaryIO | None = None) -> None:
    """JSON lines on `stream` (stdout by default) for structlog and stdlib loggers alike.

    `level` is a name (debug, info, warning, error); an unknown one is an error, so a typo
    in HOMEWIDGETS_LOG_LEVEL does not silently hide every log line.
    """
    if level.lower() not in LEVELS:
        raise ValueError(f"unknown log level {level!r}; use one of {', '.join(LEVELS)}")
    numeric = LEVELS[level.lower()]
    out = stream if stream is not None else sys.stdout.buffer
    structlog.reset_defaults()
    structlog.configure(
        processors=[
            *_SHARED,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.BytesLoggerFactory(out),
        cache_logger_on_first_use=True,
    )
    handler = _JsonHandler(_TextOverBytes(out))
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*_SHARED, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(serializer=_dumps_text),
            ],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _JsonHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)


def get_logger(name: str) -> Any:
    """A structlog logger; cheap to call at import time (nothing is built until first use)."""
    return structlog.get_logger(name)


def _dumps_text(value: Any, **_kw: Any) -> str:
    return orjson.dumps(value).decode()


class _TextOverBytes:
    """The text-stream face StreamHandler wants, writing straight to the byte stream that
    structlog's BytesLogger uses, so both kinds of line come out whole and in order."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out

    def write(self, text: str) -> int:
        return self._out.write(text.encode())

    def flush(self) -> None:
        self._out.flush()
