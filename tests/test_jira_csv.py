"""The Jira CSV-import file: shape, epics, labels, link direction, and cells no spreadsheet runs."""

from __future__ import annotations

import csv
import dataclasses
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.exports.jira_csv import FORMULA_PREFIXES, LINK_COLUMN, render_jira_csv, summary
from integrations.jira.wiki import render_wiki_description
from integrations.tickets import Estimate, SiteContext, WrittenTicket
from tests.factories import assert_golden, hostile_tickets, realistic_tickets, site

BLOCKS = LINK_COLUMN.format(link_type="Blocks")


def _parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _records(text: str) -> tuple[list[str], list[dict[str, list[str]]]]:
    """The header and, per row, every column's values (repeated columns keep all of theirs)."""
    header, *rows = _parse(text)
    records = []
    for row in rows:
        record: dict[str, list[str]] = {}
        for name, value in zip(header, row, strict=True):
            record.setdefault(name, []).append(value)
        records.append(record)
    return header, records


def test_the_csv_matches_the_golden_file() -> None:
    assert_golden("jira.csv", render_jira_csv(realistic_tickets(), site()))


def test_the_hostile_csv_matches_the_golden_file() -> None:
    assert_golden("hostile.csv", render_jira_csv(hostile_tickets(), site(), "session 7"))


def test_rows_end_in_crlf_and_parse_back_to_one_row_per_epic_and_ticket() -> None:
    text = render_jira_csv(realistic_tickets(), site())
    assert text.endswith("\r\n")
    assert text.split("\r\n", 1)[0].startswith("Issue Id,Issue Type,Summary,")
    assert len(_parse(text)) == 1 + 3 + 4  # header, epics for Content, Views and User Roles, tickets


def test_header_has_one_label_and_repeats_link_columns() -> None:
    header, _ = _records(render_jira_csv(realistic_tickets(), site()))
    assert header == [
        "Issue Id", "Issue Type", "Summary", "Parent", "Story Points", "Component", "Description", "Labels",
        BLOCKS, BLOCKS,
    ]
    assert BLOCKS == "Outward issue link (Blocks)"


def test_epics_come_first_one_per_group_present_and_children_name_their_parent() -> None:
    _, records = _records(render_jira_csv(realistic_tickets(), site()))
    epics = [r for r in records if r["Issue Type"] == ["Epic"]]
    stories = [r for r in records if r["Issue Type"] == ["Story"]]
    assert records[: len(epics)] == epics
    assert [e["Summary"][0] for e in epics] == [
        "Example Site — Content", "Example Site — Views", "Example Site — User Roles",
    ]
    assert [r["Issue Id"][0] for r in records] == [str(n) for n in range(1, 8)]
    assert [e["Parent"][0] for e in epics] == ["", "", ""]
    assert [s["Parent"][0] for s in stories] == ["1", "1", "2", "3"]


def test_epic_link_mode_names_the_epic_and_has_no_parent_column() -> None:
    header, records = _records(render_jira_csv(realistic_tickets(), site(), epics="epic-link"))
    assert "Parent" not in header and header[3:5] == ["Epic Name", "Epic Link"]
    epics = [r for r in records if r["Issue Type"] == ["Epic"]]
    stories = [r for r in records if r["Issue Type"] == ["Story"]]
    assert [e["Epic Link"][0] for e in epics] == ["", "", ""]
    names = [e["Epic Name"][0] for e in epics]
    assert [s["Epic Link"][0] for s in stories] == [names[0], names[0], names[1], names[2]]
    assert all(s["Epic Name"] == [""] for s in stories)


def test_without_epics_there_are_no_epic_rows_or_columns_and_the_component_is_the_group() -> None:
    header, records = _records(render_jira_csv(realistic_tickets(), site(), epics="none"))
    assert not {"Parent", "Epic Name", "Epic Link"} & set(header)
    assert [r["Issue Type"][0] for r in records] == ["Story"] * 4
    assert [r["Component"][0] for r in records] == ["Content", "Content", "Views", "User Roles"]
    assert [r["Issue Id"][0] for r in records] == ["1", "2", "3", "4"]


def test_story_points_are_the_estimate() -> None:
    tickets = realistic_tickets()
    sized = [dataclasses.replace(t, content=dataclasses.replace(t.content, estimate=Estimate(size, "why")))
             for t, size in zip(tickets, ("XS", "M", "L", "XL"), strict=True)]
    _, records = _records(render_jira_csv(sized, site()))
    assert [r["Story Points"][0] for r in records] == ["", "", "", "1", "3", "5", "8"]
    assert "*Estimate:* M (3 points): why" in records[4]["Description"][0]


def test_the_blocker_row_names_the_blocked_issue() -> None:
    """B depends on A → A's row carries B's Issue Id in "Outward issue link (Blocks)" (A blocks B)."""
    _, records = _records(render_jira_csv(realistic_tickets(), site()))
    ids = {r["Summary"][0]: r["Issue Id"][0] for r in records}
    links = {r["Summary"][0]: [v for v in r[BLOCKS] if v] for r in records}
    tags, article = "Create the Tags vocabulary", "Create the Article content type with its fields"
    view, role = "Build the Articles view (page and block)", "Add the Editor role"
    assert links[tags] == [ids[article]]
    assert links[article] == [ids[view], ids[role]]
    assert links[view] == links[role] == []


def test_every_row_carries_the_one_run_label_and_the_spec_key_stays_in_the_footer() -> None:
    _, records = _records(render_jira_csv(realistic_tickets(), site(), "ticketbot-cli-4f2a"))
    assert {tuple(r["Labels"]) for r in records} == {("ticketbot-cli-4f2a",)}
    assert "Spec key node.type.article · group Content" in records[4]["Description"][0]


def test_a_run_label_with_spaces_becomes_one_label() -> None:
    _, records = _records(render_jira_csv(realistic_tickets(), site(), " my session =1 "))
    assert all(r["Labels"] == ["my-session-1"] for r in records)


def test_the_description_is_the_wiki_rendering() -> None:
    tickets = realistic_tickets()
    _, records = _records(render_jira_csv(tickets, site()))
    assert [r["Description"][0] for r in records[3:]] == [render_wiki_description(t) for t in tickets]


def test_hostile_text_cannot_become_a_formula_and_keeps_the_row_count() -> None:
    text = render_jira_csv(hostile_tickets(), SiteContext("=HYPERLINK(\"http://evil\")", "@SUM(A1)"), "-x")
    rows = _parse(text)
    assert len(rows) == 1 + 2 + 2
    assert all(not cell.startswith(FORMULA_PREFIXES) for row in rows for cell in row)
    _, records = _records(text)
    assert records[2]["Summary"][0].startswith("'=cmd|")
    assert records[3]["Summary"][0] == "'@here <!channel>"
    _, linked = _records(render_jira_csv(hostile_tickets(), SiteContext("=HYPERLINK(\"http://evil\")", "@SUM(A1)"),
                                         "-x", epics="epic-link"))
    assert linked[0]["Epic Name"] == linked[2]["Epic Link"]  # guarded alike, so they still match


def test_issue_ids_and_links_stay_bare_numbers() -> None:
    _, records = _records(render_jira_csv(hostile_tickets(), site()))
    for record in records:
        assert record["Issue Id"][0].isdigit()
        assert all(v == "" or v.isdigit() for v in [*record["Parent"], *record[BLOCKS]])


def test_summary_is_one_line_of_at_most_255_characters() -> None:
    assert summary("a\nb\tc  d") == "a b c d"
    long = summary("=" + "x" * 400)
    assert len(long) == 255 and long.startswith("'=") and long.endswith("…")


def test_a_dependency_outside_the_file_makes_no_link() -> None:
    article = realistic_tickets()[1]
    _, records = _records(render_jira_csv([article], site()))
    assert [v for r in records for v in r[BLOCKS] if v] == []


def _ticket_with(title: str, analysis: str, file: str) -> list[WrittenTicket]:
    tags, article, *_ = realistic_tickets()
    row = dataclasses.replace(article.brief.rows[0], file=file)
    changed = dataclasses.replace(
        article,
        brief=dataclasses.replace(article.brief, rows=(row, *article.brief.rows[1:])),
        content=dataclasses.replace(article.content, title=title, analysis=analysis),
    )
    return [tags, changed]


@settings(max_examples=60)
@given(title=st.text(), analysis=st.text(), file=st.text(), site_name=st.text())
def test_any_text_gives_a_file_that_parses_back_safely(title: str, analysis: str, file: str, site_name: str) -> None:
    text = render_jira_csv(_ticket_with(title, analysis, file), SiteContext(site_name))
    rows = _parse(text)
    assert len(rows) == 1 + 1 + 2
    assert len({len(row) for row in rows}) == 1
    assert all(not cell.startswith(FORMULA_PREFIXES) for row in rows for cell in row)
    story = rows[-1]
    assert "\n" not in story[2] and "\r" not in story[2] and len(story[2]) <= 255
