"""Widget content for the benchmark: the simulated products' widgets, trimmed to ~750 bytes.

The proof of concept answered 5.6 KiB per home from 8 products. The simulator's full
personalised widgets are about 12 KiB per home, so each is trimmed (list entries dropped
from the end) until it fits `TARGET_BYTES`; it stays valid SDUI and still differs per
user. A pool of users' widgets is built once per product and reused round-robin:
building 800,000 widgets in the client would measure the client.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from homewidgets.products.content import PRODUCT_IDS, generic_widget, personalised_widget

TARGET_BYTES = 840  # per widget: 8 widgets plus the envelope give ~5.9 KiB per home
POOL_SIZE = 64
_NAMESPACE = uuid.UUID("6f1d3c3e-9a8b-4c2d-8e7f-5a4b3c2d1e0f")


def user_ids(count: int) -> list[str]:
    """The known users: uuid5 of their index, so every run seeds the same ones."""
    return [str(uuid.uuid5(_NAMESPACE, str(i))) for i in range(count)]


def _lists(node: Any, found: list[list[Any]]) -> list[list[Any]]:
    if isinstance(node, dict):
        for value in node.values():
            _lists(value, found)
    elif isinstance(node, list):
        if len(node) > 1:
            found.append(node)
        for value in node:
            _lists(value, found)
    return found


def compact(content: dict[str, Any], target: int = TARGET_BYTES) -> bytes:
    """The content as JSON, trimmed towards `target` bytes by dropping list entries.

    Drops the biggest last entry of any list that still leaves at least 85% of the
    target (else the smallest one), so the widget keeps its head (first card, first
    price...) and stays valid SDUI.
    """
    encoded = msgspec.json.encode(content)
    floor = int(target * 0.85)
    while len(encoded) > target:
        cuts = [(len(msgspec.json.encode(lst[-1])) + 1, lst) for lst in _lists(content, [])]
        if not cuts:
            break
        allowed = [cut for cut in cuts if len(encoded) - cut[0] >= floor]
        if allowed:
            max(allowed, key=lambda cut: cut[0])[1].pop()
        else:
            min(cuts, key=lambda cut: cut[0])[1].pop()
        encoded = msgspec.json.encode(content)
    return encoded


def personalised_pool(product: str, size: int = POOL_SIZE) -> list[bytes]:
    """`size` different users' compact widgets of one product."""
    return [compact(personalised_widget(product, str(uuid.uuid5(_NAMESPACE, f"pool{i}"))))
            for i in range(size)]


def generic_pools() -> dict[str, bytes]:
    return {product: compact(generic_widget(product)) for product in PRODUCT_IDS}


def batch_body(user_batch: list[str], pool: list[bytes], offset: int, version: int) -> bytes:
    """A `widgets:batch` body, joined from prebuilt fragments (cheap for the client)."""
    v = b"%d" % version
    items = [
        b'{"user_id":"%s","version":%s,"content":%s}'
        % (user.encode(), v, pool[(offset + i) % len(pool)])
        for i, user in enumerate(user_batch)
    ]
    return b'{"items":[' + b",".join(items) + b"]}"
