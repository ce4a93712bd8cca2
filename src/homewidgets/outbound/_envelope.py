"""The one byte format of a stored widget, shared by the memory and Redis adapters.

    b"<version>|<priority>|<expires_at_ms or empty>|" + content_json_bytes

The header is tiny and parsed with a single `split(b"|", 3)`, so the content (which
may itself contain "|") is never copied or scanned. The Lua script of the Redis store
reads the version as the bytes before the first "|", so this layout is also the
script's contract: change both together. A tombstone (`b"<version>|0||"`, empty
content) remembers the version of a deleted widget so an older push cannot resurrect it.
"""

from __future__ import annotations

from homewidgets.domain.model import StoredWidget, WidgetWrite

SEPARATOR = b"|"


def encode(version: int, write: WidgetWrite) -> bytes:
    """The envelope of `write` stored at `version`."""
    expires = b"" if write.expires_at is None else b"%d" % round(write.expires_at * 1000)
    return b"%d|%d|%s|%s" % (version, write.priority, expires, write.content)


def header(write: WidgetWrite) -> tuple[bytes, bytes]:
    """`(priority, expires_at_ms)` as the Lua script takes them (it adds the version)."""
    expires = b"" if write.expires_at is None else b"%d" % round(write.expires_at * 1000)
    return b"%d" % write.priority, expires


def tombstone(version: int) -> bytes:
    """The envelope left by a delete: the version survives, the content does not."""
    return b"%d|0||" % version


def version_of(envelope: bytes) -> int:
    """The stored version, reading only up to the first separator."""
    return int(envelope[: envelope.index(SEPARATOR)])


def decode(product: str, envelope: bytes, now: float) -> StoredWidget | None:
    """The live widget in `envelope`, or None for a tombstone or an expired widget."""
    version, priority, expires_ms, content = envelope.split(SEPARATOR, 3)
    if not content:
        return None
    expires_at = int(expires_ms) / 1000 if expires_ms else None
    if expires_at is not None and expires_at <= now:
        return None
    return StoredWidget(product, int(version), content, int(priority), expires_at)


def is_tombstone(envelope: bytes) -> bool:
    """Whether `envelope` marks a deleted widget (its content part is empty)."""
    return not envelope.split(SEPARATOR, 3)[3]


def is_live(envelope: bytes, now: float) -> bool:
    """Whether `envelope` holds a widget that a reader would see."""
    _, _, expires_ms, content = envelope.split(SEPARATOR, 3)
    return bool(content) and (not expires_ms or int(expires_ms) / 1000 > now)
