"""Jira wiki descriptions: the layout, and CSV/LLM text that stays text."""

from __future__ import annotations

import dataclasses
import re

from hypothesis import given
from hypothesis import strategies as st

from integrations.jira.wiki import (
    escape_wiki,
    escape_wiki_inline,
    noformat_block,
    render_wiki_description,
)
from tests.factories import HOSTILE, assert_golden, hostile_tickets, realistic_tickets

# Written out here, not imported: the characters Jira's renderer un-escapes after a backslash
# (atlassian-renderer BackslashEscapeRendererComponent), every one of which is markup somewhere.
JIRA_MARKUP = "!#%()*+-?@[]^_{|}~"
# Where each of them can act, so an unescaped one there is a fault (the rules of integrations/jira/wiki.py):
# brackets, braces, pipes, effects and mentions anywhere; _ and - at a word's edge (Jira's effects open only
# after a non-word character); ! before a non-space (an image); ?? (a citation); # opening a line (a list);
# a parenthesis in an emoticon.
_UNESCAPED_SPECIAL = re.compile(
    r"(?<!\\)(?:[\[\]{}|%@^~*+]"
    r"|(?<![^\W_])[_-]|[_-](?![^\W_])"
    r"|!(?=\S)|\?(?=[?)])|(?<=\?)\?"
    r"|(?<=[:;])[()]|\((?=(?:[ynix/]|on|off|flag|flagoff|\*[rgby]?|\\?[!?+-])\)))"
    r"|(?:^|\n)\s*#",
    re.IGNORECASE,
)
_LETTER_MARKER = re.compile(r"(?:^|[\n\r\x85\u2028\u2029])\s*(h[1-6]|bq)\.", re.IGNORECASE)
# Control characters (C0 but tab and line feed, DEL, C1) and the invisible zero-width, bidi and tag characters.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\u061c\ufeff"
                      "\U000e0000-\U000e007f]")


def _expected_text(text: str) -> str:
    """What the reader should see: the input with line ends normalised, controls dropped, \\ → ＼."""
    lines = re.sub("\r\n|[\r\x85\u2028\u2029]", "\n", text)
    return _CONTROL.sub("", lines).replace("\\", "\uff3c")


def _unescape(wiki: str) -> str:
    return re.sub(r"\\(.)", r"\1", wiki)


def _outside_noformat(description: str) -> str:
    """The description less its `{noformat}` and `{code}` blocks, whose text is shown as written."""
    text = re.sub(r"^\{noformat\}$.*?^\{noformat\}$", "", description, flags=re.DOTALL | re.MULTILINE)
    return re.sub(r"^\{code:[a-z]+\}$.*?^\{code\}$", "", text, flags=re.DOTALL | re.MULTILINE)


def test_the_article_description_matches_the_golden_file() -> None:
    assert_golden("article.wiki", render_wiki_description(realistic_tickets()[1]) + "\n")


def test_the_hostile_description_matches_the_golden_file() -> None:
    assert_golden("hostile.wiki", "\n\n".join(render_wiki_description(t) for t in hostile_tickets()) + "\n")


def test_the_sections_come_in_order() -> None:
    text = render_wiki_description(realistic_tickets()[1])
    headings = [line for line in text.split("\n") if line.startswith("h3. ")]
    assert headings == [
        "h3. User story", "h3. Verification", "h3. Analysis", "h3. Depends on", "h3. Source rows", "h3. Behat",
    ]


def test_verification_is_one_bullet_per_check() -> None:
    ticket = realistic_tickets()[1]
    text = render_wiki_description(ticket)
    section = text.split("h3. Verification\n")[1].split("\n\n")[0].split("\n")
    assert section == [f"* {escape_wiki_inline(check)}" for check in ticket.content.verification]


def test_source_rows_are_a_table_per_sheet_with_only_the_columns_that_have_values() -> None:
    text = render_wiki_description(realistic_tickets()[0])
    assert "*Bundles*\n||File||Row||Name||Machine name||Type||Description||\n" in text
    assert "|bundles.csv|3|Tags|tags|Vocabulary|Free tagging of articles.|" in text
    assert "||X||" not in text and "||Dev||" not in text  # bookkeeping columns stay out


def test_an_empty_cell_holds_a_space_so_it_is_not_read_as_a_header() -> None:
    text = render_wiki_description(realistic_tickets()[1])
    assert "|1|Text area with a summary| | | | |" in text


def test_dependencies_and_their_absence_are_spelled_out() -> None:
    tags, article, *_ = realistic_tickets()
    assert "h3. Depends on\nNothing: this ticket can start at once." in render_wiki_description(tags)
    assert "* Tags — taxonomy.vocabulary.tags: field_tags references the Tags vocabulary" in (
        render_wiki_description(article)
    )


def test_a_template_fallback_is_marked() -> None:
    first, second = hostile_tickets()
    assert render_wiki_description(first).startswith("_Written by the template writer")
    assert "template writer" not in render_wiki_description(second)


def _without_our_markup(line: str) -> str:
    """A description line less the markup the renderer itself writes around the escaped text."""
    if line.startswith("||"):
        return re.sub(r"(?<!\\)\|\|", " ", line)
    if line.startswith("|"):
        return re.sub(r"(?<!\\)\|", " ", line)
    if line.startswith(("* ", "h3. ")):
        return line.split(" ", 1)[1]
    if line == "----" or line.startswith(("_Written by the template writer", "_Shortened to fit")):
        return ""
    return re.sub(r"^\*(.+)\*$", r"\1", line)  # a sheet's title above its table


def test_hostile_text_is_inert_outside_the_noformat_blocks() -> None:
    for ticket in hostile_tickets():
        outside = _outside_noformat(render_wiki_description(ticket))
        for line in outside.split("\n"):
            assert not _UNESCAPED_SPECIAL.search(_without_our_markup(line)), line
            assert not _LETTER_MARKER.search(line) or line.startswith("h3. "), line
        assert "\\\\" not in outside


def test_code_blocks_are_balanced_and_cannot_be_closed_from_inside() -> None:
    text = render_wiki_description(hostile_tickets()[0])
    lines = text.split("\n")
    opened = [i for i, line in enumerate(lines) if line.startswith("{code:")]
    closed = [i for i, line in enumerate(lines) if line == "{code}"]
    assert len(opened) == len(closed) >= 1
    inside = "\n".join(lines[opened[-1] + 1 : closed[-1]])
    assert "{code" not in inside.lower() and "{noformat" not in inside.lower()
    assert "[~admin]" in inside  # Behat keeps its text as written, where it cannot do anything


def test_every_table_row_has_as_many_cells_as_its_header() -> None:
    for ticket in [*realistic_tickets(), *hostile_tickets()]:
        widths: list[int] = []
        for line in _outside_noformat(render_wiki_description(ticket)).split("\n"):
            if line.startswith("||"):
                widths.append(len(re.findall(r"(?<!\\)\|\|", line)) - 1)
            elif line.startswith("|"):
                assert len(re.findall(r"(?<!\\)\|", line)) - 1 == widths[-1], line


def test_a_long_description_is_cut_at_a_line_and_stays_well_formed() -> None:
    ticket = realistic_tickets()[1]
    long_behat = "\n".join(f"  | row {i} | {'x' * 40} |" for i in range(400))
    big = dataclasses.replace(
        ticket,
        brief=dataclasses.replace(ticket.brief, behat=(long_behat,)),
        content=dataclasses.replace(ticket.content, analysis="\n".join(["Analysis line."] * 50)),
    )
    for limit in (500, 2_000, 8_000):
        text = render_wiki_description(big, max_chars=limit)
        assert len(text) <= limit
        assert "_Shortened to fit Jira's size limit" in text and "under spec key node.type.article._" in text
        assert text.endswith("Spec key node.type.article · group Content · generated by ticketbot")
        lines = text.split("\n")
        assert lines.count("{code}") == sum(1 for line in lines if line.startswith("{code:"))
        # The verification comes first, whole, when the description is shortened.
        assert lines[:2] == ["h3. Verification", f"* {escape_wiki_inline(ticket.content.verification[0])}"]


@given(st.text())
def test_escape_wiki_leaves_no_markup_and_loses_no_text(text: str) -> None:
    out = escape_wiki(text)
    assert not _UNESCAPED_SPECIAL.search(out)
    assert "\\\\" not in out  # a forced line break, or an escape cancelled
    assert re.fullmatch(r"(?:[^\\]|\\[" + re.escape(JIRA_MARKUP) + r".])*", out, re.DOTALL)
    assert not _LETTER_MARKER.search(out)
    assert _unescape(out) == _expected_text(text)


@given(st.text())
def test_escape_wiki_inline_is_one_escaped_line(text: str) -> None:
    out = escape_wiki_inline(text)
    assert "\n" not in out and "\r" not in out
    assert not _UNESCAPED_SPECIAL.search(out)
    assert _unescape(out) == " ".join(_expected_text(text).split())


@given(st.lists(st.sampled_from([*HOSTILE, "{NoFormat}", "{ noformat }", "x"]), max_size=8))
def test_a_noformat_block_only_ends_at_its_own_marker(parts: list[str]) -> None:
    lines = noformat_block("\n".join(parts))
    assert lines[0] == lines[-1] == "{noformat}"
    assert not any("{" in line and "noformat" in line.lower() for line in lines[1:-1])
