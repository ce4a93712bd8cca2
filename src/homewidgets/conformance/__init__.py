"""The SDUI conformance corpus: JSON cases every implementation of schema version 1 must agree on.

Shared by the server's validation tests, the web renderer's tests and native clients (see
`README.md` beside this file for the format). `load_cases()` reads the files shipped in
the package each time it is called; it is meant for tests, not for a hot path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

__all__ = ["ConformanceCase", "generate", "load_cases"]


@dataclass(frozen=True, slots=True)
class ConformanceCase:
    """One corpus file: `content` is the exact bytes to validate or render.

    `expect_status` and `expect_pointer` are None for a valid case; for an invalid one
    they are the HTTP status a push gets (422, or 413 for over-size) and the JSON pointer
    of the problem relative to the content root.
    """

    name: str
    description: str
    content: bytes
    expect_status: int | None = None
    expect_pointer: str | None = None

    @property
    def valid(self) -> bool:
        return self.expect_status is None


def generate(hint: dict[str, Any]) -> bytes:
    """The content a `"generate"` hint stands for (too big or too deep to keep as a literal).

    - `{"kind": "too_large", "min_bytes": N}`: a section of `text` children of 2,000
      characters each, valid in every way but size, at least N bytes long.
    - `{"kind": "deep_fallback", "depth": N}`: N dividers, each the `fallback` of the one
      before it, so the components nest N deep.
    """
    kind = hint.get("kind")
    if kind == "too_large":
        child = '{"type":"text","text":"' + "x" * 2000 + '"}'
        count = max(1, -(-int(hint["min_bytes"]) // (len(child) + 1)))
        return ('{"type":"section","children":[' + ",".join([child] * count) + "]}").encode()
    if kind == "deep_fallback":
        depth = int(hint["depth"])
        outer = b'{"type":"divider","fallback":' * (depth - 1)
        return outer + b'{"type":"divider"}' + b"}" * (depth - 1)
    raise ValueError(f"unknown generate hint: {hint!r}")


def _case(name: str, doc: dict[str, Any]) -> ConformanceCase:
    if "raw" in doc:
        content = str(doc["raw"]).encode()
    elif "generate" in doc:
        content = generate(doc["generate"])
    else:
        content = json.dumps(doc["content"], ensure_ascii=False, separators=(",", ":")).encode()
    expect = doc.get("expect")
    return ConformanceCase(
        name=name,
        description=str(doc["description"]),
        content=content,
        expect_status=None if expect is None else int(expect["status"]),
        expect_pointer=None if expect is None else str(expect["pointer"]),
    )


def load_cases() -> list[ConformanceCase]:
    """Every case of the corpus, valid ones first, each group sorted by file name."""
    root = resources.files(__name__) / "sdui"
    cases = []
    for group in ("valid", "invalid"):
        files = sorted(
            (f for f in (root / group).iterdir() if f.name.endswith(".json")), key=lambda f: f.name
        )
        for file in files:
            doc = json.loads(file.read_text(encoding="utf-8"))
            cases.append(_case(f"{group}/{file.name.removesuffix('.json')}", doc))
    return cases
