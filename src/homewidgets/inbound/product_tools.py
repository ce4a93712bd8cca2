"""`homewidgets push` and `homewidgets validate`: the product teams' commands for their CI.

A file holds either a bare SDUI component (`{"type": "card", ...}`) or a whole PUT body
(`{"content": {...}, "version": 3, "ttl_seconds": 600}`). Problems are printed one per
line as `FILE: /pointer: reason`, the pointer into the file, so an editor can jump there.

Exit codes: 0 everything valid (or stored); 1 something was refused as invalid (bad
content, malformed JSON, a stale version); 2 the command could not do its job (usage,
unreadable file, missing or wrong token, unknown product, service unreachable or failing).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import msgspec

from homewidgets.client import (
    ClientError,
    HomeWidgetsClient,
    InvalidContent,
    RequestRefused,
    VersionConflict,
)
from homewidgets.config import Settings
from homewidgets.domain.errors import InvalidWidget, Problem
from homewidgets.domain.push import PushBody, WidgetParser, problem_from_msgspec
from homewidgets.domain.sdui import ContentValidator

OK, INVALID, USAGE = 0, 1, 2

_decode_put_body = msgspec.json.Decoder(PushBody).decode


class _Unusable(Exception):
    """The command cannot run for this file (message for stderr); exit code 2."""


def validate_files(
    files: Sequence[str], *, url: str | None = None, settings: Settings | None = None,
    out: TextIO | None = None, err: TextIO | None = None,
) -> int:
    """Validate each file offline (the service's own rules), or against the service at `url`."""
    out, err = out or sys.stdout, err or sys.stderr
    settings = settings or Settings.from_environ()
    worst = OK
    client = HomeWidgetsClient(url) if url else None
    try:
        for name in files:
            try:
                raw = _read(name)
                problems = _remote_problems(client, raw) if client else _offline_problems(
                    settings, raw)
            except _Unusable as exc:
                print(f"{name}: {exc}", file=err)
                worst = max(worst, USAGE)
                continue
            _report(out, name, problems)
            if problems:
                worst = max(worst, INVALID)
    finally:
        if client is not None:
            client.close()
    return worst


def push_file(
    file: str, *, product: str, user_id: str | None, token: str | None, url: str,
    version: int | None = None, out: TextIO | None = None, err: TextIO | None = None,
) -> int:
    """Push the widget in `file` for `user_id` (the generic widget when None)."""
    out, err = out or sys.stdout, err or sys.stderr
    if not token:
        print("homewidgets push: no token; pass --token or set HOMEWIDGETS_TOKEN", file=err)
        return USAGE
    try:
        raw = _read(file)
        body = _as_put_body(raw)
    except _Unusable as exc:
        print(f"{file}: {exc}", file=err)
        return USAGE
    except InvalidWidget as exc:
        _report(out, file, exc.problems)
        return INVALID
    target = user_id or "generic"
    with HomeWidgetsClient(url, token) as client:
        try:
            content = bytes(body.content)
            version = body.version if version is None else version
            ttl = body.ttl_seconds
            if user_id is None:
                result = client.push_generic(product, content, version=version,
                                             priority=body.priority, ttl_seconds=ttl)
            else:
                result = client.push(product, user_id, content, version=version,
                                     priority=body.priority, ttl_seconds=ttl)
        except (InvalidContent, VersionConflict) as exc:
            problems = exc.problems or (Problem("", exc.message),)
            if not _is_put_body(raw):  # point into the file: the component is the content
                problems = tuple(_outside_content(p) for p in problems)
            _report(out, file, problems)
            return INVALID
        except RequestRefused as exc:
            print(f"{file}: refused: {exc}", file=err)
            return USAGE
        except ClientError as exc:
            print(f"{file}: {exc}", file=err)
            return USAGE
    outcome = "stored" if result.stored else "unchanged, already stored:"
    print(f"{file}: {outcome} {product}/{target} version {result.version}", file=out)
    return OK


def _read(name: str) -> bytes:
    try:
        return Path(name).read_bytes()
    except OSError as exc:
        raise _Unusable(f"cannot read: {exc.strerror or exc}") from None


def _is_put_body(raw: bytes) -> bool:
    """A PUT body has `content` and no `type`; anything else is judged as a component."""
    try:
        value = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return False
    return isinstance(value, dict) and "content" in value and "type" not in value


def _as_put_body(raw: bytes) -> PushBody:
    if not _is_put_body(raw):
        try:
            msgspec.json.decode(raw)
        except msgspec.DecodeError as exc:
            raise InvalidWidget([problem_from_msgspec(exc)]) from None
        return PushBody(content=msgspec.Raw(raw))
    try:
        return _decode_put_body(raw)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise InvalidWidget([problem_from_msgspec(exc)]) from None


def _offline_problems(settings: Settings, raw: bytes) -> Sequence[Problem]:
    validator = ContentValidator(
        allowed_schemes=settings.allowed_app_schemes,
        max_bytes=settings.max_content_bytes,
        max_depth=settings.max_depth,
    )
    try:
        if _is_put_body(raw):
            WidgetParser(validator).parse_put("validate", None, raw)
        else:
            validator.validate(raw)
    except InvalidWidget as exc:
        return exc.problems
    return ()


def _remote_problems(client: HomeWidgetsClient, raw: bytes) -> Sequence[Problem]:
    prefix = ""
    if _is_put_body(raw):
        try:
            raw = bytes(_decode_put_body(raw).content)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            return [problem_from_msgspec(exc)]
        prefix = "/content"
    try:
        client.validate(raw)
    except InvalidContent as exc:
        return [Problem(prefix + p.pointer, p.reason) for p in exc.problems]
    except ClientError as exc:
        raise _Unusable(f"the service could not validate: {exc}") from None
    return ()


def _outside_content(problem: Problem) -> Problem:
    pointer = problem.pointer
    if pointer == "/content" or pointer.startswith("/content/"):
        return Problem(pointer[len("/content"):], problem.reason)
    return problem


def _report(out: TextIO, name: str, problems: Sequence[Problem]) -> None:
    if not problems:
        print(f"{name}: ok", file=out)
    for problem in problems:
        print(f"{name}: {problem.pointer or '/'}: {problem.reason}", file=out)
