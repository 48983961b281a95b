"""A ticket's versions: which session and upload made each, which writer wrote it, who approved it, where
it went in Jira. Read from the chain of `revises_ticket_id` (and, for a CLI run given `--since`, the
versions its tickets.json carried), for `tickets.json` and `/generate-tickets history KEY`.
"""

from __future__ import annotations

from typing import Any

from integrations.slack.history_blocks import KeyHistoryView, VersionLine
from integrations.tickets import TicketHistory, WrittenTicket
from jobs.generation.stored_tickets import written_ticket
from jobs.revision.previous import SOURCE_FILE
from jobs.states import ACCEPTED
from storage.models import SessionRecord, TicketRecord
from storage.uow import UnitOfWork

MAX_VERSIONS = 50  # a chain longer than this is cut (oldest first): no loop, no unbounded answer
HISTORY_ROWS = 20  # versions shown by `/generate-tickets history KEY`, newest last


def version_dict(uow: UnitOfWork, session: SessionRecord, ticket: TicketRecord) -> dict[str, Any]:
    """A version as tickets.json carries it."""
    uploads = uow.uploads.active(session.id)
    return {
        "session": session.id, "generation": ticket.generation, "created_at": ticket.created_at.isoformat(),
        "uploads": [u.name for u in uploads], "uploaded_by": sorted({u.uploaded_by for u in uploads if u.uploaded_by}),
        "writer": ticket.writer + (f"/{ticket.model}" if ticket.model else ""), "status": ticket.status,
        "approved_by": ticket.decided_by if ticket.status in ACCEPTED else "", "change_kind": ticket.change_kind,
        "jira_key": ticket.jira_key or "",
    }


def versions_of(uow: UnitOfWork, ticket: TicketRecord) -> list[dict[str, Any]]:
    """Every version up to this one, oldest first: the file's (a CLI `--since`), then the database's chain."""
    chain = [ticket]
    seen = {ticket.id}
    while chain[-1].revises_ticket_id is not None and len(chain) < MAX_VERSIONS:
        earlier = uow.tickets.get(chain[-1].revises_ticket_id)
        if earlier.id in seen:
            break
        seen.add(earlier.id)
        chain.append(earlier)
    found: list[dict[str, Any]] = []
    baseline = uow.revisions.baseline(chain[-1].session_id)
    if baseline is not None and baseline.source == SOURCE_FILE:
        item = next((i for i in baseline.items if isinstance(i, dict) and i.get("key") == ticket.spec_key), None)
        found += [dict(v) for v in (item or {}).get("versions") or () if isinstance(v, dict)]
    found += [version_dict(uow, uow.sessions.get(t.session_id), t) for t in reversed(chain)]
    return found[-MAX_VERSIONS:]


def written_with_history(uow: UnitOfWork, ticket: TicketRecord) -> WrittenTicket:
    """The stored ticket as the exports take it, with how it changed and its versions."""
    written = written_ticket(ticket)
    history = TicketHistory(ticket.change_kind or "", tuple(dict(c) for c in ticket.changes or ()),
                            tuple(versions_of(uow, ticket)))
    return WrittenTicket(written.brief, written.content, history)


def key_history(uow: UnitOfWork, channel_id: str, spec_key: str) -> KeyHistoryView:
    """Every ticket of the channel for `spec_key`, oldest first (drafts never approved included)."""
    found = uow.revisions.versions_of(channel_id, spec_key)
    lines = []
    for session, ticket in found[-HISTORY_ROWS:]:
        version = version_dict(uow, session, ticket)
        lines.append(VersionLine(
            session.id, ticket.generation, str(version["created_at"])[:16].replace("T", " "),
            tuple(version["uploads"]), tuple(version["uploaded_by"]), str(version["writer"]), ticket.status,
            str(version["approved_by"]), ticket.change_kind,
            tuple(str(c.get("what", "")) for c in ticket.changes or ()), ticket.jira_key or ""))
    return KeyHistoryView(spec_key, tuple(lines), max(len(found) - HISTORY_ROWS, 0))
