"""A ticket's Jira Cloud description in ADF (Atlassian Document Format, REST v3), all input inert.

Inertness: ADF is a tree, not markup. Every piece of text that comes from a spec cell, a file name or
the LLM becomes the `text` of a plain `text` node — never a `mention`, `inlineCard`, `emoji` or
`status` node, and never carries a `link` mark — so `[~accountid:…]`, `[click|http://…]`, `{code}`,
`<!channel>` or `@here` show as the characters typed. Marks appear only on ticketbot's own words
(a sheet title in bold, the fallback note in italics). Control characters and Unicode tag characters
(U+E0000–E007F, invisible instructions) are dropped; line ends become `hardBreak` nodes; a blank line
starts a new paragraph. The analysis's fenced code (migrate_plus YAML, drush commands) and the Behat
feature go in `codeBlock`s, whose text is never interpreted; its `table` fences become ADF tables.

The layout matches the wiki rendering (integrations/jira/wiki.py): the estimate (unless a story-points
field holds it), User story, Acceptance criteria, Verification, Open questions, Risks, Analysis, Depends
on, Source rows (a table per sheet), Behat, then a footer line. A ticket too large for Jira loses source
rows first, then keeps the verification first and what fits after it, and says where the whole text is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from integrations.behat import feature
from integrations.invisible import strip_invisible
from integrations.jira.source_rows import SheetTable, sheet_tables
from integrations.text_blocks import split_blocks
from integrations.tickets import FALLBACK_WRITER, WrittenTicket

Node = dict[str, Any]

# Jira refuses descriptions over 32,767 characters; measured on the compact JSON, with a margin.
ADF_DESCRIPTION_LIMIT = 32_000
_ROW_LIMITS: tuple[int | None, ...] = (None, 40, 20, 10, 5, 0)  # tried in turn until the document fits
_LINE_ENDS = re.compile("\r\n|[\r\x85\u2028\u2029]")
_SHORTENED_NOTE = ("Shortened to fit Jira's size limit: the whole ticket, with every source row and the Behat feature, "
                   "is in the run's tickets.md and tickets.json under spec key {key}.")
_LIST_ITEM = re.compile(r"^\s*[-*•] (.*)$")
# The languages Jira's code block highlights that the writers use; any other shows as plain text.
_CODE_LANGUAGES = {"yaml": "yaml", "yml": "yaml", "bash": "bash", "sh": "bash", "shell": "bash", "json": "json",
                   "php": "php", "sql": "sql", "gherkin": "gherkin"}


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


def code_block(text: str, language: str = "") -> Node:
    node: Node = {"type": "codeBlock", "content": [{"type": "text", "text": clean(text).strip("\n") or " "}]}
    if language.lower() in _CODE_LANGUAGES:
        node["attrs"] = {"language": _CODE_LANGUAGES[language.lower()]}
    return node


def rich_text(text: str) -> list[Node]:
    """Ticket text: paragraphs and "- " lists, fenced code as code blocks, `table` fences as tables."""
    nodes: list[Node] = []
    for block in split_blocks(text):
        if block.kind == "code":
            nodes.append(code_block(block.text, block.language))
        elif block.kind == "table":
            rows = block.rows()
            if rows:
                width = len(rows[0])
                nodes += table(SheetTable("", tuple(rows[0]), tuple(tuple((r + [""] * width)[:width])
                                                                    for r in rows[1:])))[1:]
        else:
            nodes += _prose(block.text)
    return nodes or [paragraph("—")]


def _prose(text: str) -> list[Node]:
    """Paragraphs, with each run of "- item" lines as one bullet list."""
    nodes: list[Node] = []
    pending: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if pending and "".join(pending).strip():
            nodes.extend(paragraphs("\n".join(pending)))
        pending.clear()
        if items:
            nodes.append(bullet_list(list(items)))
            items.clear()

    for line in clean(text).split("\n"):
        item = _LIST_ITEM.match(line)
        if item:
            if pending:
                flush()
            items.append(item.group(1) or "—")
        else:
            if items:
                flush()
            pending.append(line)
    flush()
    return nodes


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


def render_adf_description(ticket: WrittenTicket, *, max_chars: int = ADF_DESCRIPTION_LIMIT,
                           estimate_in_description: bool = True) -> Node:
    """The description of `ticket` as an ADF document no larger than `max_chars` of JSON."""
    for limit in _ROW_LIMITS:
        doc = document(_flatten(_sections(ticket, limit, estimate_in_description)))
        if size(doc) <= max_chars:
            return doc
    sections = _sections(ticket, 0, estimate_in_description)
    footer = sections.pop()
    first = [s for s in sections if s[0] == "Verification"]
    blocks = _flatten(first + [s for s in sections if s[0] != "Verification"])
    tail = [paragraph(_SHORTENED_NOTE.format(key=ticket.brief.key), marks=("em",)), *footer[1]]
    while blocks and size(document([*blocks, *tail])) > max_chars:
        blocks.pop()
    return document([*blocks, *tail])


def render_adf_text(text: str) -> Node:
    """A short description made of plain paragraphs (the epics' description)."""
    return document(paragraphs(text))


Section = tuple[str, list[Node]]


def _flatten(sections: Sequence[Section]) -> list[Node]:
    return [node for title, body in sections for node in ([heading(title)] if title else []) + body]


def _sections(ticket: WrittenTicket, row_limit: int | None, estimate_in_description: bool) -> list[Section]:
    brief, content = ticket.brief, ticket.content
    intro: list[Node] = []
    if content.writer == FALLBACK_WRITER:
        intro.append(paragraph("Written by the template writer: the language model's answer was not usable.",
                               marks=("em",)))
    if content.edited_note:
        intro.append(paragraph(content.edited_note, marks=("em",)))
    if content.estimate is not None and estimate_in_description:
        intro.append({"type": "paragraph", "content": [
            {"type": "text", "text": "Estimate: ", "marks": [{"type": "strong"}]},
            *text_nodes(content.estimate.describe())]})
    sections: list[Section] = [("", intro)] if intro else []
    sections.append(("User story", paragraphs(content.user_story)))
    if content.acceptance:
        sections.append(("Acceptance criteria", [paragraph(s) for s in content.acceptance if s.strip()]))
    sections.append(("Verification",
                     [bullet_list(content.verification) if content.verification else paragraph("None.")]))
    if content.open_questions:
        sections.append(("Open questions", [bullet_list(content.open_questions)]))
    if content.risks:
        sections.append(("Risks", [bullet_list(content.risks)]))
    sections.append(("Analysis", rich_text(content.analysis.strip())))
    if brief.depends_on:
        depends = [bullet_list([f"{d.label} — {d.key}" + (f": {d.reason}" if d.reason.strip() else "")
                                for d in brief.depends_on])]
    else:
        depends = [paragraph("Nothing: this ticket can start at once.")]
    sections.append(("Depends on", depends))
    rows: list[Node] = []
    for sheet in sheet_tables(brief.rows):
        rows += table(sheet, row_limit)
    sections.append(("Source rows", rows or [paragraph("No spec rows.")]))
    behat = [b for b in brief.behat if b.strip()]
    if behat:
        sections.append(("Behat", [code_block(feature(f"{brief.label} is built as the spec says", behat),
                                              "gherkin")]))
    sections.append(("", [{"type": "rule"}, paragraph(
        f"Spec key {brief.key} · group {brief.group.value} · generated by ticketbot")]))
    return sections
