"""A user's home, assembled once from stored widgets and then served as ready bytes.

The read path's cost is dominated by what happens per request, so everything that can
be done when a widget changes is done here: ordering, JSON, the ETag, the response
headers, and (on first use) the gzip copy. A HomeDocument lives in L1 until one of its
widgets changes, expires, or the generic widgets move on (its `generation`).
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Mapping

from homewidgets.domain.model import SCHEMA_VERSION, Registry, StoredWidget

Headers = list[tuple[str, str]]
Reply = tuple[int, Headers, bytes]
"""An HTTP answer as (status, headers, body): what any server adapter sends as it is."""

_JSON = ("content-type", "application/json")
_VARY = ("vary", "accept-encoding")
_NO_CACHE = ("cache-control", "private, no-cache")
_NOSNIFF = ("x-content-type-options", "nosniff")
_GZIP = ("content-encoding", "gzip")
_GZIP_LEVEL = 6


class Representation:
    """One body of a home (v1 or the proof-of-concept shape) as ready replies.

    Servers only read these tuples, so one set serves every request for this home: the
    200, the 304 for a matching `If-None-Match`, and (made on first use) the gzip copy.
    """

    __slots__ = ("_gzipped", "body", "etag", "not_modified", "ok")

    def __init__(self, body: bytes, etag: str) -> None:
        self.body = body
        self.etag = etag  # quoted, as sent and as If-None-Match carries it
        headers = [_JSON, ("etag", etag), _VARY, _NO_CACHE, _NOSNIFF, _length(body)]
        self.ok: Reply = (200, headers, body)
        self.not_modified: Reply = (304, [("etag", etag), _VARY, _NO_CACHE], b"")
        self._gzipped: Reply | None = None

    def gzipped(self) -> Reply:
        """The 200 with the gzip copy of the body, compressed once on first use."""
        if self._gzipped is None:
            packed = gzip.compress(self.body, _GZIP_LEVEL, mtime=0)
            headers = [_JSON, ("etag", self.etag), _VARY, _NO_CACHE, _NOSNIFF, _GZIP,
                       _length(packed)]  # fmt: skip
            self._gzipped = (200, headers, packed)
        return self._gzipped


def _length(body: bytes) -> tuple[str, str]:
    return ("content-length", str(len(body)))


class HomeDocument:
    """A user's assembled home; immutable once built, except its lazily made extras."""

    __slots__ = (
        "_chosen",
        "_compat",
        "epoch",
        "expires_at",
        "generation",
        "missing",
        "personalised",
        "refresh_after",
        "user_id",
        "v1",
    )

    def __init__(
        self,
        *,
        user_id: str,
        v1: Representation,
        chosen: list[StoredWidget],
        personalised: Mapping[str, StoredWidget],
        generation: int,
        missing: tuple[str, ...],
        expires_at: float | None,
    ) -> None:
        self.user_id = user_id
        self.v1 = v1
        self.personalised = personalised
        self.generation = generation
        self.missing = missing
        self.expires_at = expires_at
        self.refresh_after = 0.0  # monotonic time before which a refresh is not re-requested
        self.epoch = 0  # the change feed's epoch it was read in (see HomeReader.on_change)
        self._chosen = chosen  # the widgets shown, in order; their bytes are shared, not copied
        self._compat: Representation | None = None

    @property
    def compat(self) -> Representation:
        """`GET /get_recommendations/{user_id}`: the proof of concept's shape, built on demand."""
        if self._compat is None:
            body = b"".join(
                (
                    b'{"user_id":"',
                    self.user_id.encode(),
                    b'","recs_by_product":{',
                    b",".join(b'"%s":%s' % (w.product.encode(), w.content) for w in self._chosen),
                    b"}}",
                )
            )
            self._compat = Representation(body, self.v1.etag[:-1] + '-r"')
        return self._compat


class HomeAssembler:
    """Builds HomeDocuments in display order: widget priority first, then registry order."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._rank = {p.id: index for index, p in enumerate(registry.products)}
        self._pullable = registry.pullable
        self._product_keys = {p.id: p.id.encode() for p in registry.products}

    def assemble(
        self,
        user_id: str,
        personalised: Mapping[str, StoredWidget],
        generic: Mapping[str, StoredWidget],
        generation: int,
        now: float,
    ) -> HomeDocument:
        chosen: list[tuple[StoredWidget, bool]] = []
        expires_at: float | None = None
        for product in self._registry.products:
            widget = personalised.get(product.id)
            is_personal = widget is not None and widget.is_live(now)
            if not is_personal:
                widget = generic.get(product.id)
                if widget is None or not widget.is_live(now):
                    continue
            assert widget is not None
            chosen.append((widget, is_personal))
            if widget.expires_at is not None and (
                expires_at is None or widget.expires_at < expires_at
            ):
                expires_at = widget.expires_at
        rank = self._rank
        chosen.sort(key=lambda pair: (-pair[0].priority, rank[pair[0].product]))

        fragments: list[bytes] = []
        tag = hashlib.blake2b(user_id.encode(), digest_size=12)
        any_personal = False
        for widget, is_personal in chosen:
            key = self._product_keys[widget.product]
            flag = b"true" if is_personal else b"false"
            any_personal = any_personal or is_personal
            version = str(widget.version).encode()
            fragments.append(
                b'{"product":"%s","personalised":%s,"version":%s,"content":%s}'
                % (key, flag, version, widget.content)
            )
            tag.update(b"%s:%s:%s;" % (key, flag[:1], version))
        body = b"".join(
            (
                b'{"user_id":"',
                user_id.encode(),
                b'","schema_version":%d,"personalised":' % SCHEMA_VERSION,
                b"true" if any_personal else b"false",
                b',"widgets":[',
                b",".join(fragments),
                b"]}",
            )
        )
        missing = tuple(
            p for p in self._pullable if p not in personalised or not personalised[p].is_live(now)
        )
        return HomeDocument(
            user_id=user_id,
            v1=Representation(body, f'"{tag.hexdigest()}"'),
            chosen=[widget for widget, _ in chosen],
            personalised=personalised,
            generation=generation,
            missing=missing,
            expires_at=expires_at,
        )
