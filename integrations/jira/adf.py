"""A ticket's Jira Cloud description in ADF (Atlassian Document Format, REST v3), all input inert.

Inertness: ADF is a tree, not markup. Every piece of text that comes from a spec cell, a file name or
the LLM becomes the `text` of a plain `text` node — never a `mention`, `inlineCard`, `emoji` or
`status` node, and never carries a `link` mark — so `[~accountid:…]`, `[click|http://…]`, `{code}`,
`<!channel>` or `@here` show as the characters typed. Marks appear only on ticketbot's own words
(a sheet title in bold, the fallback note in italics). Control characters and Unicode tag characters
(U+E0000–E007F, invisible instructions) are dropped; line ends become `hardBreak` nodes; a blank line
starts a new paragraph. Behat goes in a `codeBlock`, whose text is never interpreted.

The layout matches the wiki rendering (integrations/jira/wiki.py): User story, Analysis, Verification,
Depends on, Source rows (a table per sheet), Behat, then a footer line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from integrations.invisible import strip_invisible
from integrations.jira.source_rows import SheetTable, sheet_tables
from integrations.tickets import WrittenTicket

Node = dict[str, Any]

# Jira refuses descriptions over 32,767 characters; measured on the compact JSON, with a margin.
ADF_DESCRIPTION_LIMIT = 32_000
_ROW_LIMITS: tuple[int | None, ...] = (None, 40, 20, 10, 5, 0)  # tried in turn until the document fits
_LINE_ENDS = re.compile("\r\n|[\r\x85\u2028\u2029]")
_SHORTENED_NOTE = "The description was shortened to fit Jira's size limit; the spec files hold every row."


def clean(text: str) -> str:
    """Text as it will be shown: line ends normalised, control, zero-width and tag characters dropped."""
    return strip_invisible(_LINE_ENDS.sub("\n", text))


def text_nodes(text: str, marks: Sequence[str] = ()) -> list[Node]:
    """Inline nodes for `text`: plain text nodes joined by hard breaks (no empty text node, which ADF refuses)."""
    nodes: list[Node] = []
    for i, line in enumerate(clean(text).split("\n")):
        if i:
            nodes.append({"type": "hardBreak"})
        if line:
            node: Node = {"type": "text", "text": line}
            if marks:
                node["marks"] = [{"type": m} for m in marks]
            nodes.append(node)
    while nodes and nodes[-1]["type"] == "hardBreak":
        nodes.pop()
    return nodes


def paragraph(text: str, marks: Sequence[str] = ()) -> Node:
    return {"type": "paragraph", "content": text_nodes(text, marks)}


def paragraphs(text: str) -> list[Node]:
    """One paragraph per blank-line-separated block; a single line break stays a hard break."""
    blocks = [b.strip("\n") for b in re.split(r"\n\s*\n", clean(text).strip())]
    return [paragraph(b) for b in blocks if b.strip()] or [paragraph("—")]


def heading(text: str, level: int = 3) -> Node:
    return {"type": "heading", "attrs": {"level": level}, "content": text_nodes(text)}


def bullet_list(items: Sequence[str]) -> Node:
    return {"type": "bulletList",
            "content": [{"type": "listItem", "content": [paragraph(item)]} for item in items]}


def code_block(text: str) -> Node:
    return {"type": "codeBlock", "content": [{"type": "text", "text": clean(text).strip("\n") or " "}]}


def table(sheet: SheetTable, max_rows: int | None = None) -> list[Node]:
    """The sheet's title in bold, then its rows as an ADF table (header row first)."""
    shown = sheet.rows if max_rows is None else sheet.rows[:max_rows]

    def row(cells: Sequence[str], cell_type: str) -> Node:
        return {"type": "tableRow",
                "content": [{"type": cell_type, "attrs": {}, "content": [paragraph(c)]} for c in cells]}

    nodes: list[Node] = [paragraph(sheet.title, marks=("strong",))]
    if shown:
        nodes.append({"type": "table", "attrs": {"isNumberColumnEnabled": False, "layout": "default"},
                      "content": [row(sheet.headers, "tableHeader"), *(row(r, "tableCell") for r in shown)]})
    if len(shown) < len(sheet.rows):
        missing = len(sheet.rows) - len(shown)
        nodes.append(paragraph(f"… and {missing} more row{'s' if missing > 1 else ''} of this sheet, "
                               "left out to fit Jira's size limit.", marks=("em",)))
    return nodes


def document(content: Sequence[Node]) -> Node:
    return {"version": 1, "type": "doc", "content": list(content)}


def size(doc: Node) -> int:
    return len(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))


def render_adf_description(ticket: WrittenTicket, *, max_chars: int = ADF_DESCRIPTION_LIMIT) -> Node:
    """The description of `ticket` as an ADF document no larger than `max_chars` of JSON."""
    for limit in _ROW_LIMITS:
        doc = document(_blocks(ticket, limit))
        if size(doc) <= max_chars:
            return doc
    blocks = _blocks(ticket, 0)
    note = paragraph(_SHORTENED_NOTE, marks=("em",))
    while blocks and size(document([*blocks, note])) > max_chars:
        blocks.pop()
    return document([*blocks, note])


def render_adf_text(text: str) -> Node:
    """A short description made of plain paragraphs (the epics' description)."""
    return document(paragraphs(text))


def _blocks(ticket: WrittenTicket, row_limit: int | None) -> list[Node]:
    brief, content = ticket.brief, ticket.content
    blocks: list[Node] = []
    if content.writer == "template-fallback":
        blocks.append(paragraph("Written by the template writer: the language model's answer was not usable.",
                                marks=("em",)))
    blocks += [heading("User story"), *paragraphs(content.user_story)]
    blocks += [heading("Analysis"), *paragraphs(content.analysis)]
    blocks.append(heading("Verification"))
    blocks.append(bullet_list(content.verification) if content.verification else paragraph("None."))
    blocks.append(heading("Depends on"))
    if brief.depends_on:
        blocks.append(bullet_list([
            f"{d.label} — {d.key}" + (f": {d.reason}" if d.reason.strip() else "") for d in brief.depends_on
        ]))
    else:
        blocks.append(paragraph("Nothing: this ticket can start at once."))
    blocks.append(heading("Source rows"))
    if brief.rows:
        for sheet in sheet_tables(brief.rows):
            blocks += table(sheet, row_limit)
    else:
        blocks.append(paragraph("No spec rows."))
    behat = [b for b in brief.behat if b.strip()]
    if behat:
        blocks.append(heading("Behat"))
        blocks += [code_block(b) for b in behat]
    blocks.append({"type": "rule"})
    blocks.append(paragraph(f"Spec key {brief.key} · group {brief.group.value} · generated by ticketbot"))
    return blocks
