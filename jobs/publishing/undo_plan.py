"""What `/generate-tickets undo` would remove, and its task, asked for once (the run: jobs/publishing/undo.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from jobs.states import LinkState, TaskStatus
from jobs.wording import counted
from storage.models import TaskRecord
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class UndoPlan:
    """What undoing the session's last push would remove."""

    push_task_id: int
    pushed_by: str
    project: str
    issues: int
    epics: int
    links: int
    finished_at: datetime | None

    @property
    def text(self) -> str:
        return (f"Remove {counted(self.issues, 'issue')}, {counted(self.epics, 'epic')} and "
                f"{counted(self.links, 'link')} that the last push created in {self.project or 'Jira'}")


@runtime_checkable
class UndoNotifier(Protocol):
    """What the thread shows after an undo (the Slack notifier implements it; the CLI's does not)."""

    def push_undone(self, session_id: int, ticket_ids: list[int]) -> None: ...


def last_push(uow: UnitOfWork, session_id: int) -> TaskRecord | None:
    return uow.tasks.latest(session_id, "push")


def plan_undo(uow: UnitOfWork, session_id: int, now: datetime, window_s: float) -> UndoPlan | str:
    """The plan, or why there is nothing to undo (plain words)."""
    push = last_push(uow, session_id)
    if push is None:
        return "Nothing to undo: this session has not pushed anything to Jira."
    if push.details.get("undo_task_id"):
        return "Nothing to undo: the last push was undone already."
    if TaskStatus(push.status).is_open:
        return "A push to Jira is still going; undo it once it has finished."
    tickets = [t for t in uow.tickets.states_for(session_id) if t.jira_push_task_id == push.id and t.jira_key]
    epics = uow.epics.created_by(push.id)
    if not tickets and not epics:
        return "Nothing to undo: the last push created no issues."
    ended = push.finished_at or push.created_at
    if window_s <= 0 or (ended is not None and now - ended > timedelta(seconds=window_s)):
        hours = window_s / 3600
        return (f"Nothing to undo: the last push ended more than {hours:g} h ago, outside the undo window "
                "(TICKETBOT_UNDO_WINDOW); remove its issues in Jira.")
    ids = {t.id for t in tickets}
    links = sum(1 for d in uow.tickets.dependencies(session_id)
                if d.jira_link_state == LinkState.CREATED and (d.ticket_id in ids or d.depends_on_id in ids))
    project = next((t.jira_project for t in tickets if t.jira_project), "") or (epics[0].project_key if epics else "")
    return UndoPlan(push.id, push.requested_by, project, len(tickets), len(epics), links, push.finished_at)


def request_undo(uow: UnitOfWork, session_id: int, push_task_id: int, actor: str, now: datetime,
                 grace_s: float) -> tuple[TaskRecord | None, bool]:
    """The undo task of `push_task_id` (added once, under the session lock); True when it is new."""
    session = uow.sessions.get(session_id, for_update=True)
    push = uow.tasks.get(push_task_id, for_update=True)
    existing = push.details.get("undo_task_id")
    if existing:
        return uow.tasks.get(int(existing)), False
    if push.session_id != session_id:
        return None, False
    task = uow.tasks.add(session_id=session_id, type="undo", generation=max(session.generation_count, 1),
                         requested_by=actor, stage="Queued", details={"push_task_id": push_task_id},
                         lease_expires_at=now + timedelta(seconds=grace_s))
    push.details = {**push.details, "undo_task_id": task.id}
    uow.audit.record(actor, "undo_requested", session_id=session_id, detail=f"push task {push_task_id}")
    return task, True
