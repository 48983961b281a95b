"""A ticket's versions: which session and upload made each, which writer wrote it, who approved it, where
it went in Jira. Read from the chain of `revises_ticket_id` (and, for a CLI run given `--since`, the
versions its tickets.json carried), for `tickets.json` and `/generate-tickets history KEY`.
"""

from __future__ import annotations

from collections.abc import Sequence
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


# session id -> (file names, who uploaded them): read once per session, not once per ticket (uploads are large)
UploadNames = dict[int, tuple[list[str], list[str]]]


def _uploads_of(uow: UnitOfWork, session_id: int, cache: UploadNames) -> tuple[list[str], list[str]]:
    if session_id not in cache:
        uploads = uow.uploads.active(session_id)
        cache[session_id] = ([u.name for u in uploads], sorted({u.uploaded_by for u in uploads if u.uploaded_by}))
    return cache[session_id]


def version_dict(uow: UnitOfWork, session: SessionRecord, ticket: TicketRecord,
                 cache: UploadNames | None = None) -> dict[str, Any]:
    """A version as tickets.json carries it."""
    names, users = _uploads_of(uow, session.id, {} if cache is None else cache)
    return {
        "session": session.id, "generation": ticket.generation, "created_at": ticket.created_at.isoformat(),
        "uploads": names, "uploaded_by": users,
        "writer": ticket.writer + (f"/{ticket.model}" if ticket.model else ""), "status": ticket.status,
        "approved_by": ticket.decided_by if ticket.status in ACCEPTED else "", "change_kind": ticket.change_kind,
        "jira_key": ticket.jira_key or "",
    }


def versions_of(uow: UnitOfWork, ticket: TicketRecord, cache: UploadNames | None = None) -> list[dict[str, Any]]:
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
    cache = {} if cache is None else cache
    found += [version_dict(uow, uow.sessions.get(t.session_id), t, cache) for t in reversed(chain)]
    return found[-MAX_VERSIONS:]


def written_with_history(uow: UnitOfWork, tickets: Sequence[TicketRecord]) -> list[WrittenTicket]:
    """The stored tickets as the exports take them, with how each changed and its versions."""
    cache: UploadNames = {}
    found = []
    for ticket in tickets:
        written = written_ticket(ticket)
        history = TicketHistory(ticket.change_kind or "", tuple(dict(c) for c in ticket.changes or ()),
                                tuple(versions_of(uow, ticket, cache)))
        found.append(WrittenTicket(written.brief, written.content, history))
    return found


def key_history(uow: UnitOfWork, channel_id: str, spec_key: str) -> KeyHistoryView:
    """Every ticket of the channel for `spec_key`, oldest first (drafts never approved included)."""
    found = uow.revisions.versions_of(channel_id, spec_key)
    lines = []
    cache: UploadNames = {}
    for session, ticket in found[-HISTORY_ROWS:]:
        version = version_dict(uow, session, ticket, cache)
        lines.append(VersionLine(
            session.id, ticket.generation, str(version["created_at"])[:16].replace("T", " "),
            tuple(version["uploads"]), tuple(version["uploaded_by"]), str(version["writer"]), ticket.status,
            str(version["approved_by"]), ticket.change_kind,
            tuple(str(c.get("what", "")) for c in ticket.changes or ()), ticket.jira_key or ""))
    return KeyHistoryView(spec_key, tuple(lines), max(len(found) - HISTORY_ROWS, 0))
