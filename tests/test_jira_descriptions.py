"""Jira descriptions of tickets the template writer made from examples/: code as code, the estimate, the
code-made acceptance criteria and questions, and the verification kept first when a ticket is shortened."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from integrations.jira.adf import render_adf_description, size
from integrations.jira.wiki import render_wiki_description
from integrations.text_blocks import split_blocks
from integrations.tickets import SiteContext, TicketKind, WrittenTicket
from integrations.writers.template import TemplateWriter
from jobs.planning import UploadedFile, plan_uploads

ACME = Path(__file__).resolve().parents[1] / "examples" / "acme"


def acme_tickets() -> list[WrittenTicket]:
    files = sorted(ACME.glob("*.csv"))
    plan = plan_uploads([UploadedFile(p.name, p.read_bytes()) for p in files])
    writer, site = TemplateWriter(), SiteContext("Acme Trails", "Trail guides for hikers.")
    return [WrittenTicket(brief, writer.write(brief, site)) for brief in plan.tickets]


def migration() -> WrittenTicket:
    return next(t for t in acme_tickets() if t.brief.kind is TicketKind.MIGRATION)


def yaml_of(analysis: str) -> str:
    return next(b.text for b in split_blocks(analysis) if b.kind == "code" and b.language == "yaml")


def wiki_block(text: str, opener: str) -> str:
    found = re.search(rf"^{re.escape(opener)}\n(.*?)\n\{{code\}}$", text, re.DOTALL | re.MULTILINE)
    assert found, opener
    return found.group(1)


def adf_nodes(node: Any) -> list[dict[str, Any]]:
    found = [node] if isinstance(node, dict) else []
    for child in (node.get("content") or []) if isinstance(node, dict) else []:
        found += adf_nodes(child)
    return found


def test_the_migration_yaml_is_a_yaml_code_block_that_parses_back_unchanged_in_wiki_markup() -> None:
    ticket = migration()
    text = render_wiki_description(ticket)
    shown = wiki_block(text, "{code:yaml}")
    assert shown == yaml_of(ticket.content.analysis)
    assert yaml.safe_load(shown)["source"]["plugin"]
    assert "\\_" not in shown and "\\-" not in shown  # no backslash storm inside code


def test_behat_is_one_feature_in_a_plain_code_block() -> None:
    ticket = next(t for t in acme_tickets() if t.brief.behat)
    text = render_wiki_description(ticket)
    behat = wiki_block(text, "{code:none}")  # Jira's code macro has no gherkin; none shows it as written
    assert behat.startswith(("@api", "# Rows for the site-wide feature"))
    assert text.count("{code:none}") == 1 and "{noformat}" not in text


def test_the_migration_yaml_is_an_adf_code_block_with_its_language() -> None:
    ticket = migration()
    blocks = [n for n in adf_nodes(render_adf_description(ticket)) if n["type"] == "codeBlock"]
    yaml_blocks = [b for b in blocks if b.get("attrs") == {"language": "yaml"}]
    assert [b["content"][0]["text"] for b in yaml_blocks] == [yaml_of(ticket.content.analysis)]


def test_analysis_tables_are_tables_and_lists_are_lists() -> None:
    bundle = next(t for t in acme_tickets() if t.brief.kind is TicketKind.BUNDLE and "| " in t.content.analysis)
    header = next(b for b in split_blocks(bundle.content.analysis) if b.kind == "table").rows()[0]
    text = render_wiki_description(bundle)
    assert "||" + "||".join(header) + "||" in text
    adf = render_adf_description(bundle)
    assert any(n["type"] == "table" and [c["content"][0]["content"][0]["text"] for c in n["content"][0]["content"]]
               == header for n in adf_nodes(adf))


def test_estimate_acceptance_and_questions_are_in_the_description_and_the_estimate_can_go_to_a_field() -> None:
    ticket = next(t for t in acme_tickets() if t.content.acceptance and t.content.open_questions)
    assert ticket.content.estimate is not None
    text = render_wiki_description(ticket)
    assert f"*Estimate:* {ticket.content.estimate.size} ({ticket.content.estimate.points} point" in text
    for heading in ("h3. Acceptance criteria", "h3. Open questions"):
        assert heading in text
    first_step = ticket.content.acceptance[0].split("\n")[0]
    assert first_step.split(" ")[0] in ("Given", "When", "Then")
    without = render_wiki_description(ticket, estimate_in_description=False)
    assert "Estimate:" not in without
    adf = render_adf_description(ticket)
    shown = " ".join(n.get("text", "") for n in adf_nodes(adf))
    assert "Estimate: " in shown and ticket.content.estimate.reason in shown
    assert "Estimate: " not in " ".join(n.get("text", "") for n in adf_nodes(
        render_adf_description(ticket, estimate_in_description=False)))


def test_a_shortened_description_keeps_the_verification_first_and_points_to_the_whole_text() -> None:
    ticket = migration()
    limit = len(render_wiki_description(ticket)) // 2
    text = render_wiki_description(ticket, max_chars=limit)
    assert len(text) <= limit
    assert text.startswith("h3. Verification\n* " + ticket.content.verification[0].split(" ")[0])
    assert f"tickets.md and tickets.json under spec key {ticket.brief.key}" in text
    assert sum(line.startswith("{code:") for line in text.split("\n")) == text.split("\n").count("{code}")
    doc = render_adf_description(ticket, max_chars=size(render_adf_description(ticket)) // 3)
    assert doc["content"][0]["content"][0]["text"] == "Verification"
