"""One push of a session's approved tickets to Jira, inside a worker under the task's lease.

The run claims the task, runs the session's first-push preflight, then goes round: reconcile, epics,
issues, links (jobs/publishing/outbox.py, where the exactly-once rules live) until nothing is left — sleeping
through short waits (Jira's search lag, a Retry-After) and handing the task back to the queue for long
ones, so that the sweeper or the next approval starts it again. Temporary failures are retried with
backoff a bounded number of times; admin_required and user_fixable ones fail the push with Jira's
problem in plain words.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.exc import InterfaceError, OperationalError

from integrations.jira.errors import ADMIN_REQUIRED, TEMPORARY, JiraError, JiraTemporary
from integrations.jira.gateway import JiraGateway
from integrations.jira.setup import SetupFailed
from jobs.errors import Category, LeaseLost, ProcessingError
from jobs.publishing.links import PushContext, PushDeps
from jobs.publishing.outbox import PushSteps
from jobs.publishing.service import (
    NOT_CONFIGURED,
    PushOutcome,
    PushProgress,
    PushSummary,
    browse_url,
    project_for,
    push_summary,
)
from jobs.states import ACCEPTED, SessionStatus, TaskStatus, TicketStatus
from jobs.tasks.task_run import TaskRun
from storage.models import TaskRecord
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_ROUNDS = 200  # a round makes progress or waits; this only bounds a bug


class PushRun:
    def __init__(self, deps: PushDeps, task_id: int, worker_id: str) -> None:
        self.deps = deps
        self.config = deps.config
        self.task_id = task_id
        self.task = TaskRun(uow_factory=deps.uow_factory, clock=deps.clock, lease_s=self.config.lease_s,
                            task_id=task_id, worker_id=worker_id)
        self.gateway: JiraGateway | None = None
        self.steps: PushSteps | None = None
        self.session_id = 0
        self.project = ""

    # ---- the run ----------------------------------------------------------------------------------------

    def execute(self) -> None:
        if not self.task.claim(self._is_push):
            return
        try:
            with self.task.heartbeat():
                self._run()
        except LeaseLost:
            log.warning("push task %s: another worker holds the lease now; stopping", self.task_id)
        except SetupFailed as exc:
            self._fail(exc.message, exc.category, exc.details)
        except JiraError as exc:
            self._fail(exc.message, exc.category, exc.details)
        except ProcessingError as exc:
            self._fail(exc.message, exc.category.value, exc.technical_details)
        except (OperationalError, InterfaceError) as exc:  # the database went away: the sweeper resumes it
            log.warning("push task %s: the database was unreachable (%r); its lease runs out and it resumes",
                        self.task_id, exc)
        except Exception as exc:
            self._fail("something went wrong on our side; an admin can find the details in the logs",
                       ADMIN_REQUIRED, {"exception": repr(exc), "traceback": traceback.format_exc()})
            raise
        finally:
            if self.gateway is not None:
                self.gateway.close()

    def _is_push(self, task: TaskRecord) -> bool:
        self.session_id = task.session_id
        return task.type == "push"

    def _run(self) -> None:
        if self.deps.gateway_factory is None:
            raise ProcessingError(NOT_CONFIGURED, Category.ADMIN_REQUIRED)
        first_push, site = self._load_context()
        gateway = self.gateway = self.deps.gateway_factory(self.project)
        while first_push:
            try:
                self._preflight(gateway)
                break
            except JiraTemporary as exc:  # Jira unreachable or busy: like any temporary failure
                if self._wait(self._after_temporary(exc), exc.message):
                    return
        with self.deps.uow_factory() as uow:
            instance = uow.instance.instance_id()
            uow.commit()
        steps = self.steps = PushSteps(PushContext(self.deps, self.task_id, self.session_id, self.project, site,
                                                   gateway, self.task.renew, self._announce, instance))
        self._progress("Pushing to Jira")
        for _ in range(MAX_ROUNDS):
            try:
                steps.round()
            except JiraTemporary as exc:  # rate limited, unavailable, unreachable (a lost create is not raised)
                if self._wait(self._after_temporary(exc), exc.message):
                    return
                continue
            with self.deps.uow_factory() as uow:
                wait = steps.next_wait_s(uow)
            if wait is None:
                if self._complete():
                    return
            elif wait > 0 and self._wait(wait, "waiting for Jira's search to show issues whose create got no answer"):
                return
        self._hand_back(timedelta(seconds=1), "resuming")

    def _load_context(self) -> tuple[bool, str]:
        """The session's project; whether this is its first push (preflight first), and its site."""
        with self.deps.uow_factory() as uow:
            session = uow.sessions.get(self.session_id)
            self.project = project_for(uow, self.session_id, self.config)
            if not self.project:
                raise ProcessingError("no Jira project is set: an admin sets JIRA_PROJECT, or the channel sets one "
                                      "with `/generate-tickets config jira_project KEY`", Category.ADMIN_REQUIRED)
            return not session.jira_project, session.site_name or session.channel_id

    def _preflight(self, gateway: JiraGateway) -> None:
        result = gateway.preflight()
        if not result.ok:
            raise SetupFailed(result)
        with self.deps.uow_factory() as uow:
            session = uow.sessions.get(self.session_id)
            session.jira_project = session.jira_project or self.project  # fixed from now on
            uow.commit()

    # ---- waiting, finishing ------------------------------------------------------------------------------

    def _wait(self, seconds: float, reason: str) -> bool:
        """Sleep here when the wait is short; else hand the task back to the queue. True when handed back."""
        if seconds > self.config.wait_in_job_s:
            self._hand_back(timedelta(seconds=seconds), reason)
            return True
        self._progress(f"Waiting {f'{seconds:.0f} s' if seconds >= 1 else 'a moment'}: {reason}")
        self.task.wait(seconds)
        return False

    def _after_temporary(self, error: JiraError) -> float:
        """Record a temporary failure; the seconds to wait, or ProcessingError once the retries are used up."""
        delays = self.config.temporary_delays_s
        with self.deps.uow_factory() as uow:
            task = uow.tasks.get(self.task_id)
            failures = int(task.details.get("temporary_failures", 0)) + 1
            task.details = {**task.details, "temporary_failures": failures}
            uow.errors.add(self.session_id, TEMPORARY, error.message, task_id=self.task_id,
                           technical_details=error.details)
            uow.commit()
        if failures > len(delays):
            raise ProcessingError(f"Jira kept failing, so the push stopped: {error.message}. "
                                  "`/generate-tickets push` tries again.", Category.TEMPORARY, error.details)
        return max(delays[failures - 1], getattr(error, "retry_after_s", None) or 0.0)

    def _hand_back(self, wait: timedelta, reason: str) -> None:
        """Give the task back to the queue for `wait`; the sweeper (or new work) starts it again."""
        until = self.deps.clock() + wait
        if not self.task.hand_back(wait, f"Waiting until {until:%H:%M:%S} UTC: {reason}"):
            return
        log.info("push task %s waits until %s: %s", self.task_id, until, reason)
        self._progress(f"Waiting: {reason}")

    def _complete(self) -> bool:
        """Finish, unless new work came in (checked under the session lock approvals also take)."""
        with self.task.owned() as uow:
            session = uow.sessions.get(self.session_id, for_update=True)
            assert self.steps is not None
            if self.steps.next_wait_s(uow) is not None:
                return False
            summary = push_summary(uow, self.session_id, self.project)
            task = self.task.mark_finished(uow, TaskStatus.COMPLETED, summary.text)
            task.progress, task.done = 100.0, summary.issues
            task.details = {**task.details, "summary": summary.text}
            tickets = uow.tickets.for_session(self.session_id)
            if tickets and all(t.status in (TicketStatus.PUSHED, TicketStatus.REJECTED) for t in tickets):
                session.status = SessionStatus.DONE
        log.info("push task %s: %s", self.task_id, summary.text)
        self.deps.notifier.push_finished(PushOutcome(self.session_id, self.task_id, "completed", summary,
                                                        summary.text))
        return True

    def _fail(self, message: str, category: str, details: dict[str, object] | None = None) -> None:
        log.error("push task %s failed (%s): %s", self.task_id, category, message)
        summaries: list[PushSummary] = []

        def record_error(uow: UnitOfWork, task: TaskRecord) -> None:
            uow.errors.add(task.session_id, category, message, task_id=self.task_id,
                           technical_details=dict(details or {}))
            summaries.append(push_summary(uow, task.session_id, self.project))

        if not self.task.fail(category, message, also=record_error):
            return
        summary = summaries[0]
        self.deps.notifier.push_finished(PushOutcome(self.session_id, self.task_id, "failed", summary, message,
                                                        category))

    # ---- small helpers ------------------------------------------------------------------------------------

    def _announce(self, pushed: Sequence[tuple[int, str]]) -> None:
        for ticket_id, key in pushed:
            url = browse_url(self.config, key) or (self.gateway.browse_url(key) if self.gateway else "")
            self.deps.notifier.ticket_pushed(self.session_id, ticket_id, key, url)
        if pushed:
            self._progress("Pushing to Jira")

    def _progress(self, stage: str) -> None:
        with self.deps.uow_factory() as uow:
            tickets = [t for t in uow.tickets.for_session(self.session_id) if t.status in ACCEPTED]
            done = sum(1 for t in tickets if t.status == TicketStatus.PUSHED)
            task = uow.tasks.get(self.task_id)
            task.done, task.total, task.stage = done, len(tickets), stage[:255]
            task.progress = round(100.0 * done / len(tickets), 1) if tickets else 100.0
            uow.commit()
        self.deps.notifier.push_progress(PushProgress(self.session_id, self.task_id, done, len(tickets), stage))

