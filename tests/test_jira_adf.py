"""Jira Cloud descriptions in ADF: the layout, a valid document, and CSV/LLM text that stays text."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from integrations.jira.adf import (
    ADF_DESCRIPTION_LIMIT,
    clean,
    render_adf_description,
    render_adf_text,
    size,
    text_nodes,
)
from integrations.spec.reader import SpecRow
from integrations.spec.sheets import SheetKind
from tests.factories import HOSTILE, assert_golden, hostile_tickets, realistic_tickets
from tests.fakes.jira_handlers import adf_problem

GOLDEN = Path(__file__).parent / "golden" / "jira"
# The nodes a description may hold: no mention, inlineCard, emoji, status, media or extension.
ALLOWED_NODES = {"doc", "paragraph", "text", "hardBreak", "heading", "bulletList", "listItem", "codeBlock", "rule",
                 "table", "tableRow", "tableHeader", "tableCell"}


def nodes(node: Any) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("content") or []:
        yield from nodes(child)


def texts(doc: dict[str, Any]) -> str:
    return "\n".join(n["text"] for n in nodes(doc) if n["type"] == "text")


def pretty(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def test_the_article_description_matches_the_golden_file() -> None:
    assert_golden("article.adf.json", pretty(render_adf_description(realistic_tickets()[1])), GOLDEN)


def test_the_hostile_descriptions_match_the_golden_file() -> None:
    docs = [render_adf_description(t) for t in hostile_tickets()]
    assert_golden("hostile.adf.json", pretty({"descriptions": docs}), GOLDEN)


def test_the_sections_come_in_order_and_the_document_is_valid_adf() -> None:
    doc = render_adf_description(realistic_tickets()[1])
    assert adf_problem(doc) is None
    headings = [n["content"][0]["text"] for n in doc["content"] if n["type"] == "heading"]
    assert headings == ["User story", "Verification", "Analysis", "Depends on", "Source rows", "Behat"]


def test_verification_is_one_bullet_per_check_and_rows_are_a_table_per_sheet() -> None:
    ticket = realistic_tickets()[1]
    doc = render_adf_description(ticket)
    bullets = next(n for n in doc["content"] if n["type"] == "bulletList")
    assert [texts(item) for item in bullets["content"]] == list(ticket.content.verification)
    tables = [n for n in doc["content"] if n["type"] == "table"]
    assert len(tables) == 2  # bundles and fields
    header = [texts(cell) for cell in tables[1]["content"][0]["content"]]
    assert header[:4] == ["File", "Row", "Bundle", "Field label"]
    assert "X" not in header and "Dev" not in header  # bookkeeping columns stay out
    assert len(tables[1]["content"]) == 1 + 3  # header row + three field rows


def test_hostile_text_is_plain_text_nodes_only() -> None:
    for ticket in hostile_tickets():
        doc = render_adf_description(ticket)
        assert adf_problem(doc) is None
        for node in nodes(doc):
            assert node["type"] in ALLOWED_NODES
            for mark in node.get("marks") or []:
                assert mark["type"] in ("strong", "em")  # ours only; never a link
    shown = texts(render_adf_description(hostile_tickets()[0]))  # the one with hostile text everywhere
    for hostile in HOSTILE:
        for line in clean(hostile).split("\n"):
            if line.strip():
                assert line in shown, line  # every hostile line shows as typed


def test_marks_only_on_our_own_words() -> None:
    first = hostile_tickets()[0]
    doc = render_adf_description(first)
    marked = [n["text"] for n in nodes(doc) if n["type"] == "text" and n.get("marks")]
    assert marked == ["Written by the template writer: the language model's answer was not usable.", "Bundles"]


def test_control_zero_width_and_tag_characters_are_dropped() -> None:
    text = "a\x00b\u200bc\U000e0041\U000e0069d\r\ne"
    assert text_nodes(text) == [{"type": "text", "text": "abcd"}, {"type": "hardBreak"}, {"type": "text", "text": "e"}]


def test_a_huge_ticket_is_cut_to_fit_and_says_so() -> None:
    article = realistic_tickets()[1]
    row = article.brief.rows[1]
    rows = tuple(SpecRow("fields.csv", n, SheetKind.FIELDS, {**row.values, "help_text": "h" * 200})
                 for n in range(2, 400))
    big = dataclasses.replace(article, brief=dataclasses.replace(article.brief, rows=rows))
    doc = render_adf_description(big)
    assert size(doc) <= ADF_DESCRIPTION_LIMIT and adf_problem(doc) is None
    assert "more rows of this sheet, left out to fit Jira's size limit" in texts(doc)
    huge = dataclasses.replace(big, content=dataclasses.replace(big.content, analysis="word " * 20_000))
    doc = render_adf_description(huge)
    assert size(doc) <= ADF_DESCRIPTION_LIMIT and adf_problem(doc) is None
    shown = texts(doc)
    assert "Shortened to fit Jira's size limit" in shown and "under spec key node.type.article." in shown
    assert shown.endswith("Spec key node.type.article · group Content · generated by ticketbot")
    # The verification comes first, whole, when the rest must be cut.
    assert doc["content"][0]["content"][0]["text"] == "Verification"
    assert [texts(item) for item in doc["content"][1]["content"]] == list(article.content.verification)


def test_a_plain_text_description_keeps_its_paragraphs() -> None:
    doc = render_adf_text("one\n\ntwo [~admin]\nthree")
    assert [texts(p) for p in doc["content"]] == ["one", "two [~admin]\nthree"]


@given(st.text(max_size=300))
def test_any_text_becomes_valid_inert_adf(text: str) -> None:
    ticket = realistic_tickets()[0]
    wild = dataclasses.replace(ticket, content=dataclasses.replace(ticket.content, user_story=text, analysis=text,
                                                                   verification=(text or "x",)))
    doc = render_adf_description(wild)
    assert adf_problem(doc) is None
    assert all(n["type"] in ALLOWED_NODES for n in nodes(doc))
