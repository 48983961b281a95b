"""A revision session's tickets: unchanged and removed ones copied from their previous version (no writer
call), changed and new ones marked as such once the writer has written them. What each kind holds is
the contract with the Jira side (README, "Revised specs"): the push decides which updates follow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from integrations.tickets import TicketBrief, brief_to_dict
from jobs.revision.compare import ChangeKind, Comparison, KeyComparison, compare
from jobs.revision.previous import PreviousTicket, load_previous
from jobs.states import ACCEPTED, JiraState, TicketStatus, may, ticket_move
from storage.models import TicketRecord
from storage.uow import UnitOfWork

COPIED = frozenset({ChangeKind.UNCHANGED, ChangeKind.REMOVED})  # never sent to the writer


@dataclass(frozen=True)
class Revision:
    """A revision session's comparison and the versions it was made with."""

    comparison: Comparison
    previous: dict[str, PreviousTicket]

    @property
    def copied_keys(self) -> frozenset[str]:
        return frozenset(i.key for i in self.comparison.items if i.kind in COPIED)

    @property
    def removed_keys(self) -> frozenset[str]:
        return frozenset(i.key for i in self.comparison.of(ChangeKind.REMOVED))


def session_revision(uow: UnitOfWork, session_id: int, briefs: Sequence[TicketBrief]) -> Revision | None:
    """The session's comparison with its fixed versions; None when it is not a revision."""
    previous = load_previous(uow, session_id)
    if not previous:
        return None
    stored = uow.revisions.baseline(session_id)
    comparison = compare(briefs, {k: p.version for k, p in previous.items()}, stored.label if stored else "")
    return Revision(comparison, previous)


def copy_unwritten(uow: UnitOfWork, session_id: int, revision: Revision, briefs: Sequence[TicketBrief],
                   generation: int) -> list[int]:
    """Store every unchanged and removed ticket of the session as a copy of its previous version.

    Idempotent: a copy already stored is only moved to this generation (so the run counts it done); one a
    person accepted is left alone. Returns the ids of the removed ones, whose drafts propose closing.
    """
    by_key = {b.key: b for b in briefs}
    removed: list[int] = []
    after_plan = len(briefs)  # keys the plan no longer has are placed after every planned ticket
    for item in revision.comparison.items:
        if item.kind not in COPIED:
            continue
        brief = by_key.get(item.key)
        if brief is None:
            after_plan += 1
        record = uow.tickets.by_key(session_id, item.key)
        if record is None:
            record = _copy(uow, session_id, item, revision.previous[item.key], brief,
                           brief.position if brief is not None else after_plan, generation)
        elif record.status not in ACCEPTED:
            record.generation = generation
            if record.status == TicketStatus.WITHDRAWN:
                record.status = ticket_move(record.status, "restore")
        if item.kind is ChangeKind.REMOVED:
            removed.append(record.id)
    return removed


def mark_written(record: TicketRecord, revision: Revision | None) -> None:
    """A written ticket of a revision session says whether it is new or changed, and what it revises."""
    if revision is None:
        return
    item = revision.comparison.by_key().get(record.spec_key)
    if item is None or item.kind in COPIED:
        return
    record.change_kind = item.kind.value
    record.changes = [c.to_dict() for c in item.changes]
    previous = revision.previous.get(record.spec_key)
    if item.kind is ChangeKind.CHANGED and previous is not None:
        record.revises_ticket_id = previous.ticket_id
        _copy_jira(record, previous)
        record.jira_state = JiraState.NONE  # no update asked yet: approving the draft does
    else:
        record.revises_ticket_id = None


def _copy(uow: UnitOfWork, session_id: int, item: KeyComparison, previous: PreviousTicket,
          brief: TicketBrief | None, position: int, generation: int) -> TicketRecord:
    content = previous.content
    unchanged = item.kind is ChangeKind.UNCHANGED
    if unchanged and previous.status == TicketStatus.PUSHED:
        status, jira_state = TicketStatus.PUSHED, JiraState.CREATED  # in Jira already: nothing to do
    elif unchanged and previous.status == TicketStatus.APPROVED:
        status, jira_state = TicketStatus.APPROVED, JiraState.NONE  # the push creates it
    else:
        status, jira_state = TicketStatus.DRAFT, JiraState.NONE  # removed: approving it closes it
    # An unchanged ticket takes the new plan's place and brief (the same rows); a removed one keeps its own.
    use_brief = brief if unchanged and brief is not None else None
    record = uow.tickets.add(
        session_id=session_id, spec_key=item.key, generation=generation,
        position=position,
        group=use_brief.group.value if use_brief else previous.group,
        kind=use_brief.kind.value if use_brief else previous.kind,
        label=(use_brief.label if use_brief else item.label)[:255], status=status,
        title=str(content.get("title", ""))[:255], user_story=str(content.get("user_story", "")),
        analysis=str(content.get("analysis", "")), verification=list(content.get("verification") or ()),
        depends_on=[d.key for d in use_brief.depends_on] if use_brief else list(previous.version.depends_on),
        sources=[{"file": r.file, "row": r.row} for r in (use_brief.rows if use_brief else previous.version.rows)],
        brief=brief_to_dict(use_brief) if use_brief else dict(previous.brief),
        details=dict(content.get("details") or {}), writer=str(content.get("writer") or "template"),
        model=str(content.get("model") or ""), prompt_version=str(content.get("prompt_version") or ""),
        decided_by=previous.decided_by if unchanged else "", jira_state=jira_state,
        change_kind=item.kind.value, changes=[c.to_dict() for c in item.changes],
        revises_ticket_id=previous.ticket_id,
    )
    _copy_jira(record, previous)
    return record


def _copy_jira(record: TicketRecord, previous: PreviousTicket) -> None:
    jira = previous.jira
    record.jira_key, record.jira_label = jira.get("jira_key"), jira.get("jira_label")
    record.jira_project, record.jira_synced = jira.get("jira_project"), dict(jira.get("jira_synced") or {})


def may_withdraw(record: TicketRecord, revision: Revision | None) -> bool:
    """A ticket whose key left the plan is withdrawn, unless the revision keeps it to propose closing it."""
    if revision is not None and record.spec_key in revision.removed_keys:
        return False
    return may(record.status, "withdraw")
