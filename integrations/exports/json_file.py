"""tickets.json (the docs/design.md §4 contract) and problems.json, as text."""

from __future__ import annotations

import json
from collections.abc import Sequence

from integrations.spec.problems import Problem
from integrations.tickets import WrittenTicket

# The keys of one tickets.json item, in order: the docs/design.md §4 contract first, then the additions
# (acceptance criteria, estimate, open questions, risks), then what a revised spec's `--since` compares
# with and the ticket's history; tests hold the renderer to exactly these.
CONTRACT_KEYS = ("key", "group", "title", "user_story", "analysis", "verification", "depends_on", "sources")
REVISION_KEYS = ("label", "kind", "action", "modules", "change_kind", "changes", "versions", "source_rows")
TICKET_KEYS = (*CONTRACT_KEYS, "acceptance", "estimate", "open_questions", "risks", *REVISION_KEYS)


def render_json(tickets: Sequence[WrittenTicket]) -> str:
    """The tickets, in the order given (dependency order), as a JSON list."""
    present = {t.brief.key for t in tickets}
    items = []
    for ticket in tickets:
        item = ticket.to_dict()
        # The contract says depends_on names tickets of the same list; when a caller exports a
        # subset (say, without the tickets that failed), a key outside it would point nowhere.
        item["depends_on"] = [d.key for d in ticket.brief.depends_on if d.key in present]
        items.append({key: item[key] for key in TICKET_KEYS})
    return _dump(items)


def render_problems_json(problems: Sequence[Problem]) -> str:
    """The problems found in the input, in the order given, as a JSON list."""
    return _dump([p.to_dict() for p in problems])


def _dump(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
