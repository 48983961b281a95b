"""Issue 12, done means: on the real specs, assertions about every ticket's content, not snapshots.

The specs: the Drupal Spec Tool's default spec and VA.gov (Behat layout, in ../shared/specs), and the two
full-layout specs of this repository (examples/acme, bench/specs/civic), planned and written by the
template writer exactly as `ticketbot generate` does.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from integrations.spec.drupal_knowledge import one_line
from integrations.spec.provided import PROVIDED
from integrations.spec.sheets import SheetKind
from integrations.tickets import SiteContext, TicketAction, TicketContent, TicketKind, WrittenTicket
from integrations.writers.template import TemplateWriter
from integrations.writers.ticket_parts import NOTE_COLUMNS
from jobs.planning import UploadedFile, plan_uploads

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "specs" / "drupal-spec-tool"
SPECS = {"acme": ROOT / "examples" / "acme", "civic": ROOT / "bench" / "specs" / "civic",
         "default": SHARED, "va-gov": SHARED / "va-gov-cms"}
WITH_GRID = ("acme", "civic")


@cache
def written(name: str) -> tuple[WrittenTicket, ...]:
    folder = SPECS[name]
    if not folder.is_dir():
        pytest.skip(f"{folder} is not on this machine")
    files = [UploadedFile(p.name, p.read_bytes()) for p in sorted(folder.glob("*.csv"))
             if p.name != "sheet_columns.csv"]  # the Spec Tool's column reference, not a sheet
    plan = plan_uploads(files)
    assert plan.stats.shipped_creates == 0
    writer = TemplateWriter()
    return tuple(WrittenTicket(t, writer.write(t, SiteContext("Site", "A Drupal site."))) for t in plan.tickets)


def content_of(ticket: WrittenTicket) -> str:
    c: TicketContent = ticket.content
    return "\n".join([c.title, c.user_story, c.analysis, *c.verification, *c.acceptance, *c.open_questions])


@pytest.mark.parametrize("name", sorted(SPECS))
def test_no_ticket_creates_what_drupal_ships(name: str) -> None:
    creates = [t.brief.key for t in written(name) if t.brief.key in PROVIDED and t.brief.action is TicketAction.CREATE]
    assert creates == []
    assert not [t.content.title for t in written(name) if t.brief.key in PROVIDED and
                t.content.title.startswith("Create ")]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_note_the_author_wrote_is_in_its_ticket_verbatim(name: str) -> None:
    missing = []
    notes = 0
    for ticket in written(name):
        text = ticket.content.analysis
        for row in ticket.brief.rows:
            for column, _ in NOTE_COLUMNS:
                value = row.get(column).strip()
                if value and row.status != "d":
                    notes += 1
                    if one_line(value) not in text:
                        missing.append(f"{row.file} row {row.row} {column}: {value[:60]}")
    assert not missing, missing[:10]
    if name in ("acme", "civic", "va-gov"):
        assert notes > 10  # the test looks at real notes, not at none


@pytest.mark.parametrize("name", sorted(SPECS))
def test_checks_can_pass_when_the_ticket_closes(name: str) -> None:
    """A bundle's checks name nothing only a later ticket builds: moderation, migrated content, site-wide lists."""
    later = re.compile(r"moderat|migrat|exactly the following (content types|vocabularies|media types|roles)",
                       re.IGNORECASE)
    wrong = [(t.brief.key, check) for t in written(name) if t.brief.kind is TicketKind.BUNDLE
             for check in t.content.verification if later.search(check)]
    assert not wrong, wrong[:5]
    # Tickets of many items check each one as its own ticket would have (issue 11): they are bounded apart.
    many = (TicketKind.MERGED_FAMILY, TicketKind.PROVIDED_CONFIG, TicketKind.SHARED_FIELD_STORAGES)
    for ticket in written(name):
        assert ticket.content.verification, ticket.brief.key
        if ticket.brief.kind not in many:
            assert len(ticket.content.verification) <= 14, (ticket.brief.key, len(ticket.content.verification))


@pytest.mark.parametrize("name", sorted(SPECS))
def test_a_ticket_of_many_items_is_not_sized_as_a_small_change(name: str) -> None:
    for ticket in written(name):
        estimate = ticket.content.estimate
        assert estimate is not None
        if len(ticket.brief.members) >= 20:
            assert estimate.size in ("L", "XL"), (ticket.brief.key, estimate)


@pytest.mark.parametrize("name", WITH_GRID)
def test_every_granted_permission_is_named_by_its_machine_name(name: str) -> None:
    roles = [t for t in written(name) if t.brief.kind is TicketKind.ROLE and t.brief.machine_name != "administrator"]
    assert roles
    for ticket in roles:
        granted = [r for r in ticket.brief.rows if r.sheet is SheetKind.PERMISSIONS]
        if not granted:
            continue
        table = ticket.content.analysis.split("```table\n", 1)[1].split("\n```", 1)[0].splitlines()
        assert table[0] == "Provider | Permission (title) | Machine name"
        names = [line.rsplit(" | ", 1)[1] for line in table[1:]]
        assert len(names) == len(granted) and all(re.fullmatch(r"[a-z][a-z0-9_ ]+", n) for n in names), names


@pytest.mark.parametrize("name", sorted(SPECS))
def test_acceptance_criteria_are_given_when_then(name: str) -> None:
    for ticket in written(name):
        for scenario in ticket.content.acceptance:
            lines = scenario.splitlines()
            assert lines[0].startswith("Given ") and any(x.startswith("When ") for x in lines) and \
                lines[-1].startswith(("Then ", "And ")), (ticket.brief.key, scenario)
