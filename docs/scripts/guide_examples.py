"""The examples of docs/PRODUCT_GUIDE.md, read from the Markdown itself.

One parser for the three users of the examples, so they cannot drift apart:
`render_catalogue.py` screenshots the SDUI examples, `tests/e2e/test_docs_examples.py`
runs the shell and Python examples and validates the SDUI ones against a live service.

- SDUI examples: a ```json block directly after a `<!-- sdui: NAME -->` line; NAME is
  also the file name of its picture, `docs/images/sdui-NAME.png`.
- Shell examples: every ```bash block (run with bash, `set -euo pipefail`). One that
  shows a refusal comes after `<!-- expect: STATUS -->` and prints the status code
  last (`curl -s -w '\n%{http_code}\n'`).
- Python examples: every ```python block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

DOCS = Path(__file__).resolve().parents[1]
GUIDE = DOCS / "PRODUCT_GUIDE.md"
IMAGES = DOCS / "images"

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
_MARK = re.compile(r"<!-- ([a-z]+): ([A-Za-z0-9-]+) -->\s*$")


@dataclass(frozen=True, slots=True)
class Block:
    """One fenced code block: its language, text, 1-based line and the marker above it
    (`<!-- KIND: VALUE -->` on the line right before the fence, e.g. `sdui: card`)."""

    language: str
    text: str
    line: int
    mark_kind: str | None = None
    mark: str | None = None

    @property
    def name(self) -> str:
        return f"{self.language}-line-{self.line}"

    @property
    def expected_status(self) -> int | None:
        return int(self.mark) if self.mark_kind == "expect" and self.mark else None


def blocks(path: Path = GUIDE) -> list[Block]:
    source = path.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(source):
        before = source[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        mark = _MARK.search(before)
        found.append(
            Block(
                language=match.group(1),
                text=match.group(2),
                line=source.count("\n", 0, match.start()) + 1,
                mark_kind=mark.group(1) if mark else None,
                mark=mark.group(2) if mark else None,
            )
        )
    return found


def sdui_examples(path: Path = GUIDE) -> dict[str, Any]:
    """NAME -> the SDUI component of each marked ```json block, in document order."""
    return {
        b.mark: msgspec.json.decode(b.text)
        for b in blocks(path)
        if b.mark_kind == "sdui" and b.mark is not None and b.language == "json"
    }


def shell_examples(path: Path = GUIDE) -> list[Block]:
    return [b for b in blocks(path) if b.language == "bash"]


def python_examples(path: Path = GUIDE) -> list[Block]:
    return [b for b in blocks(path) if b.language == "python"]
