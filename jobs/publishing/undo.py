"""`/generate-tickets undo`: remove exactly what the session's last push created, within the undo window.

What a push created is exact twice over: each issue and epic it created carries the push's label
(`ticketbot-<instance>-p<task>`, jobs/publishing/labels.py), and its rows record the push task
(`tickets.jira_push_task_id`, `jira_epics.created_by_task_id`). The undo is a task of its own
(`tasks.type = "undo"`, its push named in `details`), run by a worker under a lease like a push: for
each issue, Jira first (jobs/publishing/removal: delete, or close + label + unlink), then the ticket's
row (approved again, its Jira fields cleared), one issue per transaction. Every Jira step is safe to
repeat (a 404 is "gone already"), so a run that dies at any point is run again by the sweeper and
finishes the rest; the tickets already reset are not touched twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from integrations.jira.errors import ADMIN_REQUIRED, JiraError, JiraOutcomeUnknown, JiraTemporary
from integrations.jira.removal import IssueRemover, Removal
from jobs.errors import LeaseLost
from jobs.publishing.labels import UNDONE_LABEL
from jobs.publishing.links import PushDeps
from jobs.publishing.undo_plan import UndoNotifier
from jobs.states import JiraState, LinkState, SessionStatus, TaskStatus, TicketStatus, ticket_move
from jobs.tasks.faults import fault_point
from jobs.tasks.task_run import TaskRun
from jobs.wording import counted
from storage.models import TaskRecord
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_TEMPORARY_FAILURES = 5  # then the undo fails in plain words; `undo` again resumes it


class UndoRun:
    def __init__(self, deps: PushDeps, task_id: int, worker_id: str) -> None:
        self.deps = deps
        self.task_id = task_id
        self.task = TaskRun(uow_factory=deps.uow_factory, clock=deps.clock, lease_s=deps.config.lease_s,
                            task_id=task_id, worker_id=worker_id)
        self.session_id = 0
        self.push_task_id = 0

    def execute(self) -> None:
        if not self.task.claim(self._is_undo):
            return
        try:
            with self.task.heartbeat():
                self._run()
        except LeaseLost:
            log.warning("undo task %s: another worker holds the lease now; stopping", self.task_id)
        except JiraError as exc:
            self._fail(exc.message, exc.category)

    def _is_undo(self, task: TaskRecord) -> bool:
        self.session_id = task.session_id
        self.push_task_id = int(task.details.get("push_task_id", 0))
        return task.type == "undo"

    def _run(self) -> None:
        if self.deps.gateway_factory is None:
            self._fail("Jira is not configured, so nothing can be undone there", ADMIN_REQUIRED)
            return
        with self.deps.uow_factory() as uow:
            tickets = [(t.id, str(t.jira_key), t.jira_project or "") for t in uow.tickets.states_for(self.session_id)
                       if t.jira_push_task_id == self.push_task_id and t.jira_key]
            epics = [(e.id, str(e.issue_key), e.project_key) for e in uow.epics.created_by(self.push_task_id)
                     if e.issue_key]
            session = uow.sessions.get(self.session_id)
            project = session.jira_project or next((p for _, _, p in tickets if p), "") or \
                next((p for _, _, p in epics), "")
        gateway = self.deps.gateway_factory(project)
        remover = IssueRemover(gateway, marker_label=UNDONE_LABEL)
        outcomes: dict[Removal, int] = {}
        undone: list[int] = []
        try:
            for ticket_id, key, _ in tickets:
                outcome = self._with_retries(remover.remove, key)
                fault_point("after_jira_remove", len(undone) + 1)  # gone from Jira, the row not reset yet
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
                self._reset_ticket(ticket_id, key)
                undone.append(ticket_id)
            removed_epics = 0
            for epic_id, key, _ in epics:
                if self._epic_still_used(epic_id):
                    continue
                outcome = self._with_retries(remover.remove, key)
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
                self._reset_epic(epic_id, key)
                removed_epics += 1
        finally:
            gateway.close()
        self._complete(len(undone), removed_epics, project, outcomes, undone)

    def _with_retries(self, remove: Callable[[str], Removal], key: str) -> Removal:
        """A lost answer or a busy Jira: the same step again (each is safe to repeat), a bounded number of times."""
        for attempt in range(1, MAX_TEMPORARY_FAILURES + 1):
            self.task.raise_if_lost()
            try:
                return remove(key)
            except (JiraTemporary, JiraOutcomeUnknown) as exc:
                if attempt == MAX_TEMPORARY_FAILURES:
                    raise
                wait = getattr(exc, "retry_after_s", None) or min(2.0 ** attempt, 30.0)
                log.warning("undo task %s: %s; trying again in %.0f s", self.task_id, exc.message, wait)
                self.task.wait(wait)
        raise AssertionError("unreachable")

    def _reset_ticket(self, ticket_id: int, key: str) -> None:
        """Approved again, not in Jira: its fields cleared, its label dropped (the next push makes a new one)."""
        with self.task.owned() as uow:
            ticket = uow.tickets.get(ticket_id, for_update=True)
            if ticket.jira_key != key or ticket.status != TicketStatus.PUSHED:
                return  # reset by an earlier copy of this run
            ticket.status = ticket_move(ticket.status, "unpush")
            ticket.jira_key = ticket.jira_label = ticket.jira_error = ticket.jira_next_try_at = None
            ticket.jira_state, ticket.jira_attempts, ticket.jira_push_task_id = JiraState.NONE, 0, None
            ticket.slack_version += 1  # the draft no longer shows the issue
            for dep in uow.tickets.dependencies(self.session_id):
                if ticket_id in (dep.ticket_id, dep.depends_on_id):
                    dep.jira_link_state = LinkState.NONE

    def _epic_still_used(self, epic_id: int) -> bool:
        """An epic this push created that a later push of another session put issues under stays."""
        with self.deps.uow_factory() as uow:
            epic = uow.epics.get(epic_id)
            return uow.tickets.pushed_under_epic(epic.project_key, epic.site_name, epic.group) > 0

    def _reset_epic(self, epic_id: int, key: str) -> None:
        with self.task.owned() as uow:
            epic = uow.epics.get(epic_id)
            if epic.issue_key == key:
                epic.issue_key, epic.state, epic.attempts, epic.created_by_task_id = None, JiraState.NONE, 0, None

    def _complete(self, issues: int, epics: int, project: str, outcomes: dict[Removal, int],
                  undone: list[int]) -> None:
        closed = outcomes.get(Removal.CLOSED, 0)
        summary = (f"removed {counted(issues, 'issue')} and {counted(epics, 'epic')} from {project or 'Jira'}"
                   + (f" ({closed} closed and labelled {UNDONE_LABEL}: ticketbot may not delete issues there)"
                      if closed else ""))

        def note(uow: UnitOfWork, task: TaskRecord) -> None:
            task.progress, task.done, task.total = 100.0, issues, issues
            task.details = {**task.details, "summary": summary}
            uow.audit.record(task.requested_by, "undo", session_id=self.session_id, detail=summary)
            session = uow.sessions.get(self.session_id)
            if undone and session.status == SessionStatus.DONE:
                session.status = SessionStatus.REVIEW  # approved tickets wait for a push again

        if not self.task.finish(TaskStatus.COMPLETED, summary[:255], also=note):
            return
        log.info("undo task %s: %s", self.task_id, summary)
        notifier = self.deps.notifier
        if isinstance(notifier, UndoNotifier):
            notifier.push_undone(self.session_id, undone)

    def _fail(self, message: str, category: str) -> None:
        log.error("undo task %s failed (%s): %s", self.task_id, category, message)

        def record(uow: UnitOfWork, task: TaskRecord) -> None:
            uow.errors.add(task.session_id, category, f"Undo stopped: {message}", task_id=self.task_id)
            push = uow.tasks.get(self.push_task_id)
            push.details = {k: v for k, v in push.details.items() if k != "undo_task_id"}  # `undo` may resume it

        self.task.fail(category, message, also=record)
        notifier = self.deps.notifier
        if isinstance(notifier, UndoNotifier):
            notifier.push_undone(self.session_id, [])
