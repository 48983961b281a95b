"""The versions a revised spec is compared with: the latest pushed (or approved) ticket per spec key of the
channel's earlier sessions for the same site and Jira project, or the items of an earlier tickets.json.

What a session is compared with is fixed when its run starts (`fix_baseline`), so a retry, a resume or a
🔁 compares with the same versions even if an older session is pushed meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from integrations.spec.reader import SpecRow
from integrations.spec.sheets import SheetKind
from integrations.tickets import TicketAction, TicketBrief, brief_from_dict
from jobs.revision.compare import ChangeKind, Comparison, PreviousVersion, compare
from jobs.states import TicketStatus
from storage.models import SessionRecord, TicketRecord
from storage.uow import UnitOfWork

BASELINE_STATUSES = (TicketStatus.APPROVED.value, TicketStatus.PUSHED.value)
MAX_FILE_ITEMS = 5_000  # a --since file with more tickets than any spec plans is refused, not read
SOURCE_CHANNEL = "channel"
SOURCE_FILE = "file"
# Sessions the command line made: a CLI run is a revision only when `--since` names what it revises.
CLI_CREATOR = "cli"


class BaselineUnreadable(ValueError):
    """A --since file that is not a tickets.json ticketbot wrote; the message says why, in plain words."""


@dataclass(frozen=True)
class PreviousTicket:
    """One earlier version: what to compare with, and what an unchanged or removed copy takes from it."""

    version: PreviousVersion
    ticket_id: int | None  # None for a version read from a file
    status: str  # pushed | approved, or "" from a file
    group: str
    kind: str
    content: dict[str, Any]  # title, user_story, analysis, verification, details, writer, model, prompt_version
    brief: dict[str, Any]
    jira: dict[str, Any] = field(default_factory=dict)  # jira_key, jira_label, jira_project, jira_synced
    decided_by: str = ""
    versions: tuple[dict[str, Any], ...] = ()  # the history a file carried


def project_of(uow: UnitOfWork, session: SessionRecord, default_project: str) -> str:
    """The Jira project a session pushes to: fixed at its first push; before that the channel's or the default."""
    if session.jira_project:
        return session.jira_project
    channel = uow.channels.get(session.channel_id)
    return (channel.jira_project if channel is not None and channel.jira_project else "") or default_project


def channel_versions(uow: UnitOfWork, session_id: int, default_project: str) -> dict[str, TicketRecord]:
    """Per spec key, the latest pushed or approved ticket of the channel's earlier sessions for the session's
    site and Jira project. A session with no site yet takes the site its channel pushed last."""
    session = uow.sessions.get(session_id)
    project = project_of(uow, session, default_project)
    rows = uow.revisions.accepted_in_channel(session.channel_id, before_session_id=session_id,
                                             statuses=BASELINE_STATUSES)
    site = session.site_name or next((s.site_name for s, _ in reversed(rows)), "")
    latest: dict[str, TicketRecord] = {}
    for earlier, ticket in rows:  # oldest first: a later session's version wins
        pushed_to = ticket.jira_project or earlier.jira_project or ""
        if earlier.site_name == site and (not pushed_to or not project or pushed_to == project):
            latest[ticket.spec_key] = ticket
    return latest


def fix_baseline(uow: UnitOfWork, session_id: int, default_project: str) -> int:
    """Fix what the session is compared with, once; returns how many versions it holds (0: not a revision)."""
    stored = uow.revisions.baseline(session_id)
    if stored is not None:
        return len(stored.ticket_ids) + len(stored.items)
    session = uow.sessions.get(session_id)
    if session.created_by == CLI_CREATOR:
        return 0
    versions = channel_versions(uow, session_id, default_project)
    if not versions:
        return 0
    sessions = sorted({t.session_id for t in versions.values()})
    if not session.site_name:  # the revision keeps the site name its tickets were pushed under
        session.site_name = uow.sessions.get(sessions[-1]).site_name
    label = "session " + ", ".join(str(s) for s in sessions[-3:]) if len(sessions) <= 3 else \
        f"sessions {sessions[0]}–{sessions[-1]}"
    uow.revisions.set_baseline(session_id, source=SOURCE_CHANNEL, label=f"what {label} of this channel pushed",
                               ticket_ids={k: t.id for k, t in versions.items()})
    return len(versions)


def fix_file_baseline(uow: UnitOfWork, session_id: int, name: str, items: Sequence[Mapping[str, Any]]) -> int:
    """Fix a tickets.json's items as what the session is compared with (`--since`)."""
    uow.revisions.set_baseline(session_id, source=SOURCE_FILE, label=name, items=[dict(i) for i in items])
    return len(items)


def load_previous(uow: UnitOfWork, session_id: int) -> dict[str, PreviousTicket]:
    """The session's fixed versions, by spec key (empty: the session is not a revision)."""
    stored = uow.revisions.baseline(session_id)
    if stored is None:
        return {}
    if stored.source == SOURCE_FILE:
        return file_versions(stored.items)
    found: dict[str, PreviousTicket] = {}
    for key, ticket_id in stored.ticket_ids.items():
        found[key] = from_record(uow.tickets.get(int(ticket_id)))
    return found


def from_record(record: TicketRecord) -> PreviousTicket:
    brief = brief_from_dict(record.brief) if record.brief else None
    version = PreviousVersion(
        record.spec_key, record.label, brief.action if brief else TicketAction.CREATE, brief.rows if brief else (),
        tuple(str(k) for k in record.depends_on or ()), brief.modules if brief else (),
        was_removal=record.change_kind == ChangeKind.REMOVED.value)
    content = {"title": record.title, "user_story": record.user_story, "analysis": record.analysis,
               "verification": list(record.verification or ()), "details": dict(record.details or {}),
               "writer": record.writer, "model": record.model, "prompt_version": record.prompt_version}
    jira = {"jira_key": record.jira_key, "jira_label": record.jira_label, "jira_project": record.jira_project,
            "jira_synced": dict(record.jira_synced or {})}
    return PreviousTicket(version, record.id, record.status, record.group, record.kind, content,
                          dict(record.brief or {}), jira, record.decided_by)


def file_versions(items: Sequence[Any]) -> dict[str, PreviousTicket]:
    """The versions a tickets.json holds; BaselineUnreadable when it is not one ticketbot wrote."""
    if not isinstance(items, list):
        raise BaselineUnreadable("it is not a list of tickets")
    if len(items) > MAX_FILE_ITEMS:
        raise BaselineUnreadable(f"it holds {len(items):,} tickets, more than the {MAX_FILE_ITEMS:,} read")
    found: dict[str, PreviousTicket] = {}
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise BaselineUnreadable(f"item {number} is not a ticket with a key")
        if "source_rows" not in item:
            raise BaselineUnreadable(f"ticket {item['key']} has no source_rows: it was written by an older "
                                     "ticketbot; generate it again to compare with it")
        try:
            found[item["key"]] = _from_item(item)
        except (KeyError, TypeError, ValueError) as exc:
            raise BaselineUnreadable(f"ticket {item['key']} is malformed ({exc})") from None
    return found


def _from_item(item: dict[str, Any]) -> PreviousTicket:
    rows = tuple(SpecRow(str(r["file"]), int(r["row"]), SheetKind(r["sheet"]),
                         {str(k): str(v) for k, v in dict(r["values"]).items()},
                         {str(k): str(v) for k, v in dict(r.get("extras") or {}).items()})
                 for r in item["source_rows"])
    action = TicketAction(item.get("action") or TicketAction.CREATE.value)
    version = PreviousVersion(item["key"], str(item.get("label") or item["key"]), action, rows,
                              tuple(str(k) for k in item.get("depends_on") or ()),
                              tuple(str(m) for m in item.get("modules") or ()),
                              was_removal=item.get("change_kind") == ChangeKind.REMOVED.value)
    details = {k: item.get(k) for k in ("acceptance", "estimate", "open_questions", "risks")}
    versions = tuple(v for v in item.get("versions") or () if isinstance(v, dict))
    last = versions[-1] if versions else {}
    content = {"title": str(item.get("title", "")), "user_story": str(item.get("user_story", "")),
               "analysis": str(item.get("analysis", "")),
               "verification": [str(v) for v in item.get("verification") or ()], "details": details,
               "writer": str(last.get("writer") or "template"), "model": str(last.get("model") or ""),
               "prompt_version": ""}
    brief = {"key": item["key"], "group": item.get("group", ""), "kind": item.get("kind", "")}
    # A file knows a ticket was pushed only when its last version says so with the key Jira gave it.
    pushed = last.get("status") == TicketStatus.PUSHED.value and bool(last.get("jira_key"))
    jira = {"jira_key": str(last["jira_key"])} if pushed else {}
    return PreviousTicket(version, None, TicketStatus.PUSHED.value if pushed else "", str(item.get("group", "")),
                          str(item.get("kind") or "bundle"), content, brief, jira,
                          str(last.get("approved_by") or ""), versions)


def upload_comparison(uow: UnitOfWork, session_id: int, briefs: Sequence[TicketBrief],
                      default_project: str) -> Comparison | None:
    """How a collecting session's plan compares with what its channel pushed: shown before any work."""
    session = uow.sessions.get(session_id)
    if session.created_by == CLI_CREATOR:
        return None
    stored = load_previous(uow, session_id)  # fixed already when its run started
    versions = stored or {k: from_record(t) for k, t in channel_versions(uow, session_id, default_project).items()}
    if not versions:
        return None
    return compare(briefs, {k: p.version for k, p in versions.items()})
