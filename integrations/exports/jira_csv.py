"""The Jira CSV-import file: one epic per group, one story per ticket, dependencies as links.

Made for "External System Import → CSV" on Cloud and on Server/DC. Rows refer to each other by
"Issue Id", a number that exists only inside the file. Epics come first because the importer
creates issues in file order and a child can only point at an epic it has already made.

Epic columns follow JIRA_EPICS, one way only, so no column is left for the admin to ignore:
- `parent` (the default, and Cloud's): "Parent" holds the epic's Issue Id. Atlassian's KB "CSV
  import Parent-child mapping" (updated April 2024, when Epic Link and Epic Name were deprecated on
  Cloud): epics above their children in the file, and the parent's Issue ID in the child's Parent.
- `epic-link` (Server/DC): "Epic Name" on epic rows and "Epic Link" on story rows (the epic's name,
  which the importer resolves to the epic created from this file); there Parent Id is for sub-tasks.
- `none`: no epic rows and no epic column; "Component" still says the group.

Every row carries one label, the run's (`ticketbot-cli-…`, the same for every row of one run, so the
whole import can be found, and undone, by one search); the spec key is in each description's footer.
"Story Points" is the code-made (or model-adjusted) estimate, "Component" the ticket's group.

Spreadsheet formula injection: any cell that starts with = + - @, a tab or a carriage return gets
a leading apostrophe (OWASP "CSV Injection"), so the file is safe to open in Excel or Sheets before
import. Values Jira must read exactly are never such cells: Issue Ids and link targets are numbers,
labels are reduced to letters, digits, "_", "." and "-" and never start with "-", and an epic's
name gets the same guard in "Epic Name" and in its children's "Epic Link", so they still match.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

from integrations.invisible import strip_invisible
from integrations.jira.wiki import escape_wiki, escape_wiki_inline, render_wiki_description
from integrations.tickets import Group, SiteContext, WrittenTicket

DEFAULT_ISSUE_TYPE = "Story"
DEFAULT_EPIC_TYPE = "Epic"
DEFAULT_LINK_TYPE = "Blocks"
# Link direction, in this one place: the BLOCKER's row carries the link and names the Issue Id of
# the ticket it blocks (B depends on A → A's row names B). The header is the one Jira's own CSV
# export uses for that side of the link: a row's "Outward issue link (Blocks)" columns list the
# issues that row's issue blocks ("blocks" is the outward phrase of Blocks), and several links are
# several columns with the same header. Third-party guides name such columns 'Link "Blocks"'; the
# importer's mapping step lets the admin pick the link type for either. That the importer creates
# the link from the row's issue to the cell's issue is taken from the export format, not checked
# against a live Jira: test_the_blocker_row_names_the_blocked_issue pins our side of it.
LINK_COLUMN = "Outward issue link ({link_type})"
EPIC_MODES = ("parent", "epic-link", "none")
SUMMARY_LIMIT = 255
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NOT_LABEL = re.compile(r"[^A-Za-z0-9_.-]+")


def render_jira_csv(
    tickets: Sequence[WrittenTicket],
    site: SiteContext,
    run_label: str = "ticketbot",
    *,
    epics: str = "parent",
    issue_type: str = DEFAULT_ISSUE_TYPE,
    epic_type: str = DEFAULT_EPIC_TYPE,
    link_type: str = DEFAULT_LINK_TYPE,
) -> str:
    """The CSV text: header, one epic row per group present (in group order) unless `epics` is none, one
    row per ticket. `epics` is JIRA_EPICS: parent (also when empty), epic-link or none."""
    mode = epics or "parent"
    if mode not in EPIC_MODES:
        raise ValueError(f"epics is one of {', '.join(EPIC_MODES)}, not {epics!r}")
    groups = [g for g in Group if any(t.brief.group is g for t in tickets)] if mode != "none" else []
    epic_ids = {group: n for n, group in enumerate(groups, start=1)}
    ticket_ids = {t.brief.key: len(groups) + n for n, t in enumerate(tickets, start=1)}
    blocks = blocked_by_row(tickets, ticket_ids)
    link_columns = max([1, *(len(ids) for ids in blocks.values())])
    run = label(run_label) or "ticketbot"
    epic_columns = {"parent": ["Parent"], "epic-link": ["Epic Name", "Epic Link"], "none": []}[mode]

    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(["Issue Id", "Issue Type", "Summary", *epic_columns, "Story Points", "Component",
                     "Description", "Labels"] + [LINK_COLUMN.format(link_type=link_type)] * link_columns)
    epic_names = {group: summary(f"{site.name} — {group.value}") for group in groups}
    for group in groups:
        epic_cells = {"parent": [""], "epic-link": [epic_names[group], ""]}[mode]
        row = [str(epic_ids[group]), epic_type, epic_names[group], *epic_cells, "", group.value,
               _epic_description(site, group), run]
        writer.writerow(_guarded(row + [""] * link_columns))
    for ticket in tickets:
        key, group = ticket.brief.key, ticket.brief.group
        links = [str(i) for i in blocks.get(key, [])]
        epic_cells = {"parent": [str(epic_ids.get(group, ""))], "epic-link": ["", epic_names.get(group, "")],
                      "none": []}[mode]
        estimate = ticket.content.estimate
        row = [
            str(ticket_ids[key]), issue_type, summary(ticket.content.title), *epic_cells,
            str(estimate.points) if estimate else "", group.value,
            # The estimate is in its own column; the description keeps it too, for an import that leaves
            # Story Points unmapped (a project without the field).
            render_wiki_description(ticket), run,
        ]
        writer.writerow(_guarded(row + links + [""] * (link_columns - len(links))))
    return buffer.getvalue()


def blocked_by_row(tickets: Sequence[WrittenTicket], ids: dict[str, int]) -> dict[str, list[int]]:
    """For each blocker's key, the Issue Ids of the tickets that depend on it, in file order."""
    blocks: dict[str, list[int]] = {}
    for ticket in tickets:
        for dep in ticket.brief.depends_on:
            if dep.key in ids and dep.key != ticket.brief.key:
                blocks.setdefault(dep.key, []).append(ids[ticket.brief.key])
    return {key: sorted(set(blocked)) for key, blocked in blocks.items()}


def summary(text: str) -> str:
    """One line of at most SUMMARY_LIMIT characters, already guarded against formula injection."""
    line = " ".join(strip_invisible(text).split())
    room = SUMMARY_LIMIT - (1 if line.startswith(FORMULA_PREFIXES) else 0)
    if len(line) > room:
        line = line[: room - 1].rstrip() + "…"
    return guard_formula(line)


def label(text: str) -> str:
    """A Jira label: no spaces (Jira splits on them), only [A-Za-z0-9_.-], not starting with "-"."""
    return _NOT_LABEL.sub("-", text).strip("-")[:255]


def guard_formula(value: str) -> str:
    """A leading apostrophe on a cell a spreadsheet would run as a formula."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _guarded(cells: list[str]) -> list[str]:
    return [guard_formula(cell) for cell in cells]


def _epic_description(site: SiteContext, group: Group) -> str:
    lines = [f"The {escape_wiki_inline(group.value)} tickets for {escape_wiki_inline(site.name)}."]
    if site.description.strip():
        lines += ["", escape_wiki(site.description.strip())]
    return "\n".join(lines)
