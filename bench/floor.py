"""The floor under any Python read path here: the thinnest app granian can serve.

`asgi_app` / `rsgi_app` hold `FLOOR_USERS` prebuilt home bodies in a dict and answer
`/get_recommendations/{id}` with one dict lookup and prebuilt headers: no parsing, no
L1 policy, no metrics. Whatever they cost per request under wrk is granian + the event
loop + the kernel, the part of the service's cost our code cannot remove. The users are
the bench's known users (content.user_ids), so wrk/known.lua drives them unchanged.

    granian --interface asgi --workers 1 --loop uvloop bench.floor:asgi_app
    granian --interface rsgi --workers 1 --loop uvloop bench.floor:rsgi_app
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from content import user_ids

FLOOR_USERS = int(os.environ.get("FLOOR_USERS", "20000"))
_BODY = b'{"user_id":"%s","recs_by_product":{' + b'"p":"' + b"x" * 6400 + b'"}}'
_PREFIX = "/get_recommendations/"

_homes: dict[str, tuple[bytes, list[tuple[bytes, bytes]]]] = {}
for _user in user_ids(FLOOR_USERS):
    _body = _BODY % _user.encode()
    _homes[_user] = (_body, [(b"content-type", b"application/json"),
                             (b"content-length", str(len(_body)).encode())])
_NOT_FOUND = (b"{}", [(b"content-type", b"application/json"), (b"content-length", b"2")])


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body, headers = _homes.get(scope["path"][21:], _NOT_FOUND)
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


_rsgi_homes = {user: (body, [(k.decode(), v.decode()) for k, v in headers])
               for user, (body, headers) in _homes.items()}
_RSGI_NOT_FOUND = (b"{}", [("content-type", "application/json")])


async def rsgi_app(scope: Any, protocol: Any) -> None:
    body, headers = _rsgi_homes.get(scope.path[21:], _RSGI_NOT_FOUND)
    protocol.response_bytes(200, headers, body)
