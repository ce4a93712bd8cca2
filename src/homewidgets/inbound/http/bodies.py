"""Reading request bodies with a hard cap, so an oversized upload is refused while streaming."""

from __future__ import annotations

from starlette.requests import Request

from homewidgets.domain.errors import InvalidWidget, Problem


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or InvalidWidget(too_large) as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> InvalidWidget:
    return InvalidWidget([Problem("", f"request body larger than {limit} bytes")], too_large=True)
