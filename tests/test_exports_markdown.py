"""tickets.md: the document's structure, its links, and text that cannot add structure to it."""

from __future__ import annotations

import re
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from integrations.exports.markdown import md_block, md_code, md_fenced, md_inline, render_markdown
from integrations.spec.problems import Problem
from integrations.tickets import Dependency, PlanStats, SiteContext
from tests.factories import assert_golden, hostile_tickets, problems, realistic_tickets, site

OUR_HEADINGS = re.compile(
    r"^(# Tickets for |## Summary$|## Contents$"
    r"|### (Foundation|Content|Media|Views|Migration|Workflow|User Roles|Custom) \(\d+ tickets?(, \d+ points)?\)$"
    r"|## \d+\. |### (User story|Acceptance criteria|Verification|Open questions|Risks|Analysis|Behat|Source rows)$"
    r"|## Problems in the input$"
    r"|### (File errors|Row errors|Warnings) \(\d+\)$)"
)


def _outside_fences(text: str) -> list[str]:
    """The document's lines with fenced code blocks left out (a fence closes with its own length)."""
    lines, fence = [], ""
    for line in text.split("\n"):
        if fence:
            if line == fence:
                fence = ""
            continue
        opening = re.match(r"^(`{3,})", line)
        if opening:
            fence = opening.group(1)
            continue
        lines.append(line)
    return lines


def test_the_document_matches_the_golden_file() -> None:
    assert_golden("tickets.md", render_markdown(realistic_tickets(), site(), problems()))


def test_the_hostile_document_matches_the_golden_file() -> None:
    hostile_site = SiteContext("<!channel> [x](http://evil)", "# Not a heading\n<script>alert(1)</script>")
    assert_golden("hostile.md", render_markdown(hostile_tickets(), hostile_site, problems()))


def test_summary_counts_tickets_per_group_and_problems_per_level() -> None:
    text = render_markdown(realistic_tickets(), site(), problems())
    assert "- Content: 2\n- Views: 1\n- User Roles: 1\n" in text
    assert "Problems in the input: 1 file error, 1 row error, 2 warnings." in text


def test_summary_says_how_certain_the_order_is_and_which_columns_would_help() -> None:
    tickets = realistic_tickets()
    # Without the plan's stats the counts come from the tickets themselves.
    assert "\nDependencies: 3 stated, 0 inferred.\n" in render_markdown(tickets, site(), [])
    guessed = Dependency("taxonomy.vocabulary.tags", "Tags", "field_tags references Tags (Vocabulary) — inferred from "
                         "the field name `field_tags`; confirm the target bundles", "the field name `field_tags`")
    article = replace(tickets[1], brief=replace(tickets[1].brief, depends_on=(guessed,)))
    stats = PlanStats(stated_edges=2, inferred_edges=1, missing_columns=("fields: Ref. bundle — 1 reference field "
                                                                         "names no target",))
    text = render_markdown([tickets[0], article, *tickets[2:]], site(), [], stats)
    assert ("\nDependencies: 2 stated, 1 inferred; to make the order certain add fields: Ref. bundle — 1 reference "
            "field names no target.\n") in text
    assert "in dependency order: each after what it depends on" in text
    assert ("  - [Tags](#ticket-taxonomy-vocabulary-tags) (`taxonomy.vocabulary.tags`): field_tags references Tags "
            "(Vocabulary) — inferred from the field name `field_tags`; confirm the target bundles") in text


def test_every_link_in_the_document_has_its_anchor() -> None:
    text = render_markdown(realistic_tickets(), site(), problems())
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', text))
    targets = re.findall(r"\]\(#([^)]+)\)", text)
    assert len(anchors) == 5 and set(targets) == anchors


def test_depends_on_links_to_the_ticket_it_needs() -> None:
    text = render_markdown(realistic_tickets(), site(), [])
    assert "  - [Tags](#ticket-taxonomy-vocabulary-tags) (`taxonomy.vocabulary.tags`): field_tags references" in text


def test_a_dependency_outside_the_document_is_named_without_a_link() -> None:
    text = render_markdown(realistic_tickets()[1:2], site(), [])
    assert "  - Tags (not in this document) (`taxonomy.vocabulary.tags`)" in text


def test_tickets_appear_in_the_order_given_and_the_contents_by_group() -> None:
    tickets = realistic_tickets()
    text = render_markdown(tickets, site(), [])
    sections = re.findall(r"^## \d+\. (.*)$", text, re.MULTILINE)
    assert sections == [md_inline(t.content.title) for t in tickets]
    contents = text.split("## Contents")[1].split("<a id=")[0]
    assert contents.index("### Content") < contents.index("### Views") < contents.index("### User Roles")


def test_verification_is_a_checklist_and_behat_is_gherkin() -> None:
    text = render_markdown(realistic_tickets(), site(), [])
    assert "- [ ] exactly the following fields should exist for Article: Body, Tags, Image" in text
    # One gherkin block per ticket; the site-wide step is handed to the Behat set-up ticket as comments.
    assert "```gherkin\n# Rows for the site-wide feature" in text
    assert "\n# Then exactly the following bundles should exist\n" in text


def test_problems_are_listed_by_level() -> None:
    text = render_markdown([], site(), problems())
    tail = text.split("## Problems in the input")[1]
    assert tail.index("### File errors (1)") < tail.index("### Row errors (1)") < tail.index("### Warnings (2)")
    assert "- fields.csv row 14, Bundle: unknown bundle 'Artcle' — did you mean 'Article'?" in tail
    assert render_markdown([], site(), []).endswith("## Problems in the input\n\nNone.\n")


def test_hostile_text_adds_no_headings_html_or_links() -> None:
    hostile_site = SiteContext("<!channel>", "# Not a heading\n<script>")
    text = render_markdown(hostile_tickets(), hostile_site, [Problem("<b>.csv", 1, "[x](y)", problems()[0].level, "#")])
    for line in _outside_fences(text):
        if re.fullmatch(r'<a id="[a-z0-9-]+"></a>', line):
            continue
        if line.startswith("#"):
            assert OUR_HEADINGS.match(line), line
        assert not line.startswith(("    ", ">", "|", "=")), line
        # Take out our own markup (links to anchors, checkboxes) and escaped characters: nothing
        # that opens a link, an image or an HTML tag may be left.
        ours = re.sub(r"\[((?:\\.|[^\]\\])*)\]\(#[a-z0-9-]+\)", r"\1", line).replace("- [ ] ", "- ")
        assert not re.search(r"[<\[\]]", re.sub(r"\\.", "", ours)), line


def test_a_backtick_fence_inside_behat_does_not_close_the_block() -> None:
    block = "Given ```\nAnd ````\nThen done"
    lines = md_fenced(block, "gherkin")
    assert lines[0] == "`````gherkin" and lines[-1] == "`````"
    assert lines[1:-1] == block.split("\n")


def test_a_code_span_is_longer_than_any_backtick_run_in_it() -> None:
    assert md_code("node.type.article") == "`node.type.article`"
    assert md_code("a``b") == "```a``b```"
    assert md_code("`x") == "`` `x ``"


@given(st.text())
def test_md_inline_is_one_line_with_every_markup_character_escaped(text: str) -> None:
    out = md_inline(text)
    assert "\n" not in out and "\r" not in out
    # Code spans the text itself delimits stay code spans (inert); everything outside them is escaped.
    outside = re.sub(r"(?<!\\)(`+)(?!`).*?(?<!`)\1(?!`)", "", out.replace("\\\\", ""))
    assert not re.search(r"(?<!\\)(?:\\\\)*[`*\[\]<>|~#]", outside)


@given(st.text())
def test_md_block_lines_cannot_start_a_block_of_their_own(text: str) -> None:
    for line in md_block(text).split("\n"):
        assert not line.startswith(("#", ">", "<", "=", "|", "`", "~", " ", "\t", "+", "*")), repr(line)
        if line.startswith("-"):
            assert re.match(r"^- \S", line) and not re.match(r"^-[-\s]*$", line), repr(line)


@given(st.text())
def test_md_fenced_keeps_the_text_and_closes_only_at_its_fence(text: str) -> None:
    lines = md_fenced(text)
    fence = lines[-1]
    assert lines[0] == fence and set(fence) == {"`"}
    assert all(not line.startswith(fence) for line in lines[1:-1])


def test_nested_lists_in_analysis_stay_nested() -> None:
    from integrations.exports.markdown import md_block

    text = "Fields\n- Body (body)\n  - Field type: Text\n  - Required: yes\n- Tags (field_tags)"
    assert md_block(text).splitlines() == [
        "Fields", "- Body (body)", "  - Field type: Text", "  - Required: yes", "- Tags (field_tags)"
    ]
