"""Ticket text as blocks: prose, fenced code and tables, so each output can show code as code.

Writers put code in the analysis as Markdown-style fences (```yaml … ```), and tables as a fence
with the info string `table`: one row per line, cells separated by " | ", a literal "|" in a cell
written "\\|", the first row the header. Every renderer (Markdown, Jira wiki, ADF, Slack) splits the
text with `split_blocks` and renders each block its own way; prose is escaped as before. A fence
opens only on a line that is nothing but backticks and an info word, and closes on a line of at least
as many backticks, so text inside a cell (always folded onto a bullet line) can neither open nor
close one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_FENCE_OPEN = re.compile(r"^(`{3,})([A-Za-z0-9_-]*)\s*$")
_CELL_SPLIT = re.compile(r"(?<!\\) \| ")


@dataclass(frozen=True)
class Block:
    kind: str  # "text", "code" or "table"
    text: str  # prose or code, without the fence lines
    language: str = ""  # code: the fence's info word (yaml, gherkin, bash …)

    def rows(self) -> list[list[str]]:
        """A table block's rows (header first), cells unescaped."""
        return [[cell.replace("\\|", "|").strip() for cell in _CELL_SPLIT.split(line.strip())]
                for line in self.text.split("\n") if line.strip()]


def split_blocks(text: str) -> list[Block]:
    """Prose, code and table blocks in order; an unclosed fence runs to the end of the text."""
    blocks: list[Block] = []
    prose: list[str] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    index = 0
    while index < len(lines):
        opened = _FENCE_OPEN.match(lines[index])
        if opened is None:
            prose.append(lines[index])
            index += 1
            continue
        fence, info = opened.groups()
        body: list[str] = []
        index += 1
        while index < len(lines) and not (lines[index].strip().startswith(fence)
                                          and set(lines[index].strip()) == {"`"}):
            body.append(lines[index])
            index += 1
        index += 1  # the closing fence
        _flush(prose, blocks)
        kind = "table" if info == "table" else "code"
        blocks.append(Block(kind, "\n".join(body), "" if kind == "table" else info))
    _flush(prose, blocks)
    return blocks


def fenced(body: str, language: str = "") -> str:
    """`body` in a fence longer than any backtick run at the start of one of its lines."""
    longest = max((len(m.group(0)) for m in re.finditer(r"(?m)^`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{body}\n{fence}"


def table_block(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A `table` fence holding `header` and `rows` (cells folded onto one line, "|" escaped)."""
    def line(cells: Sequence[str]) -> str:
        return " | ".join(" ".join(c.split()).replace("|", "\\|") or "-" for c in cells)

    return fenced("\n".join([line(header), *(line(r) for r in rows)]), "table")


def _flush(prose: list[str], blocks: list[Block]) -> None:
    text = "\n".join(prose).strip("\n")
    if text.strip():
        blocks.append(Block("text", text))
    prose.clear()
