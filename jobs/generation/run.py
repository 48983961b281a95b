"""One generation run inside a worker: lease, plan, write with checkpoints, finish or fail cleanly.

Safe to run twice: the lease makes a second copy of the job stop at once, checkpoints (tickets already
written by this generation) are skipped, and (session, spec key) is unique, so a ticket is never
duplicated whatever dies when.
"""

from __future__ import annotations

import contextlib
import logging
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from rq.timeouts import JobTimeoutException
from sqlalchemy.exc import InterfaceError, OperationalError

from integrations.tickets import FALLBACK_WRITER, SiteContext, TicketBrief, Usage, WrittenTicket, brief_to_dict
from integrations.writers.base import TicketWriter
from integrations.writers.errors import WriterError
from jobs.errors import Category, LeaseLost, ProcessingError, RetryLater
from jobs.generation.notify import ProgressUpdate, RunNotifier, RunOutcome
from jobs.generation.person_edit import PersonEdit, overlay
from jobs.generation.service import ProcessingConfig, ProgressCallback
from jobs.generation.writing import GenerationCancelled, write_tickets
from jobs.planning import Plan
from jobs.revision.apply import Revision, copy_unwritten, mark_written, may_withdraw, session_revision
from jobs.states import ACCEPTED, SessionStatus, TaskStatus, TicketStatus, ticket_move
from jobs.tasks.clock import Clock
from jobs.tasks.faults import fault_point
from jobs.tasks.task_run import TaskRun
from storage.models import TaskRecord, TicketRecord
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class GenerationDeps:
    """What a generation or regeneration run needs of the process it runs in (not the service that enqueued it)."""

    uow_factory: UnitOfWorkFactory
    writer: TicketWriter
    notifier: RunNotifier
    config: ProcessingConfig
    clock: Clock
    plan: Callable[[UnitOfWork, int], Plan]  # a session's plan, from the cache the service planned it with


class GenerationRun:
    def __init__(self, deps: GenerationDeps, session_id: int, task_id: int,
                 progress_callback: ProgressCallback, worker_id: str, retry_in_s: float | None = None) -> None:
        self.deps = deps
        self.retry_in_s = retry_in_s
        self.session_id = session_id
        self.task_id = task_id
        self.progress_callback = progress_callback
        self.task = TaskRun(uow_factory=deps.uow_factory, clock=deps.clock, lease_s=deps.config.lease_s,
                            task_id=task_id, worker_id=worker_id)
        self.cancel_checked_at = 0.0
        self.cancelled = False
        self.usage = Usage()
        self.fallbacks = 0
        self.group_positions: dict[str, tuple[int, int]] = {}
        self.revision: Revision | None = None  # a revised spec's comparison with what was pushed before
        self.removed_ids: list[int] = []

    # ---- the run ----------------------------------------------------------------------------------

    def execute(self) -> None:
        if not self.task.claim():
            return
        fault_point("after_claim")
        try:
            with self.task.heartbeat():
                self._run()
        except LeaseLost:
            log.warning("task %s: another worker holds the lease now; stopping", self.task_id)
        except GenerationCancelled:
            self._cancelled("Cancelled. Tickets written so far are kept; retry to finish them.")
        except KeyboardInterrupt:  # Ctrl-C in the CLI's in-process run: never leave the task `running`
            self._cancelled("Interrupted. Tickets written so far are kept; resume to finish them.")
            raise
        except ProcessingError as exc:
            self._fail_or_retry(exc)
        except WriterError as exc:
            self._fail_or_retry(ProcessingError(str(exc), Category(exc.category), {"writer_error": repr(exc)}))
        except (OperationalError, InterfaceError) as exc:  # the database went away mid-run
            self._fail_or_retry(ProcessingError(
                "the database was unreachable for a moment", Category.TEMPORARY, {"exception": repr(exc)}))
        except JobTimeoutException as exc:  # RQ's time limit: what is stored stays, a retry does the rest
            self._fail_or_retry(ProcessingError(
                "the run took longer than its time limit", Category.TEMPORARY, {"exception": repr(exc)}))
        except Exception as exc:
            self._fail(ProcessingError(
                "something went wrong on our side; an admin can find the details in the logs",
                Category.ADMIN_REQUIRED, {"exception": repr(exc), "traceback": traceback.format_exc()},
            ))
            raise

    def _run(self) -> None:
        deps = self.deps
        with deps.uow_factory() as uow:
            session = uow.sessions.get(self.session_id)
            task = uow.tasks.get(self.task_id)
            plan = deps.plan(uow, self.session_id)
            site = SiteContext(session.site_name or session.channel_id, session.site_description)
            generation = task.generation
            # A revised spec: unchanged and removed tickets are copies of their previous version, stored
            # before anything is written, so the writer never sees them and a retry counts them done.
            self.revision = session_revision(uow, self.session_id, plan.tickets)
            if self.revision is not None:
                self.removed_ids = copy_unwritten(uow, self.session_id, self.revision, plan.tickets, generation)
            existing = {t.spec_key: t for t in uow.tickets.for_session(self.session_id, include_withdrawn=True)}
            done_keys = {k for k, t in existing.items() if t.generation == generation or t.status in ACCEPTED}
            self.fallbacks = sum(1 for t in existing.values()
                                 if t.generation == generation and t.writer == FALLBACK_WRITER)
            self.usage = Usage(task.prompt_tokens, task.completion_tokens, task.cached_tokens)
            task.total, task.stage = len(plan.tickets), "Writing tickets"
            task.details = {**task.details, "dependencies": plan.stats.summary_line(),  # for the run's summary
                            # planned tickets per group: a group's digest is posted once they are all written
                            "group_sizes": dict(Counter(b.group.value for b in plan.tickets))}
            self._position_groups(plan.tickets)
            uow.commit()
        if not plan.tickets:
            raise ProcessingError("the uploaded files hold no row to build a ticket from", Category.USER_FIXABLE)
        copied = self.revision.copied_keys if self.revision is not None else frozenset()
        todo = [b for b in plan.tickets if b.key not in done_keys and b.key not in copied]
        for ticket_id in self.removed_ids:  # drafts proposing to close what left the spec
            self.deps.notifier.ticket_written(self.session_id, ticket_id)
        done = len(plan.tickets) - len(todo)
        self._report(done, len(plan.tickets), todo[0] if todo else plan.tickets[-1])

        config = deps.config
        pending: list[tuple[WrittenTicket, int]] = []
        flushed_at = time.monotonic()

        def flush() -> None:
            nonlocal flushed_at
            self._store_batch(pending, generation, len(plan.tickets))
            pending.clear()
            flushed_at = time.monotonic()

        def store(ticket: WrittenTicket) -> None:
            nonlocal done
            done += 1
            pending.append((ticket, done))
            if len(pending) >= config.checkpoint_batch or time.monotonic() - flushed_at >= config.checkpoint_interval_s:
                flush()
            else:
                self._report(done, len(plan.tickets), ticket.brief)  # the progress bar moves per ticket

        try:
            write_tickets(todo, deps.writer, site, is_cancelled=self._should_stop, on_written=store)
        except BaseException:
            if pending:  # tickets written (and paid for) before the run stopped are kept
                with contextlib.suppress(Exception):
                    flush()
            raise
        if pending:
            flush()
        self._check_fallbacks(len(plan.tickets))
        self._complete(plan.tickets, generation)

    # ---- per ticket ---------------------------------------------------------------------------------

    def _store_batch(self, batch: Sequence[tuple[WrittenTicket, int]], generation: int, total: int) -> None:
        """Store written tickets in one commit (one ticket per commit on the queue path)."""
        stored: list[tuple[WrittenTicket, int, int]] = []
        with self.task.owned() as uow:
            records = ({t.spec_key: t for t in uow.tickets.for_session(self.session_id, include_withdrawn=True)}
                       if len(batch) > 1 else {})
            for ticket, done in batch:
                brief, content = ticket.brief, ticket.content
                record = records.get(brief.key) if len(batch) > 1 else uow.tickets.by_key(self.session_id, brief.key)
                if record is None:
                    record = uow.tickets.add(session_id=self.session_id, spec_key=brief.key, generation=generation,
                                             position=brief.position, group=brief.group.value,
                                             kind=brief.kind.value, label=brief.label[:255], title=content.title,
                                             user_story="", analysis="")
                elif record.slack_ts:
                    record.slack_version += 1  # the posted draft is edited in place
                apply_content(record, ticket, generation)
                mark_written(record, self.revision)
                if content.fallback_reason:
                    self.fallbacks += 1
                    uow.errors.add(self.session_id, Category.TEMPORARY.value,
                                   f"the LLM's answer for {brief.key} was unusable, so the template writer's "
                                   f"text is used: {content.fallback_reason}",
                                   task_id=self.task_id, ticket_id=record.id, entity=brief.key)
                self.usage = self.usage + content.usage
                stored.append((ticket, done, record.id))
            last_brief, last_done = batch[-1][0].brief, batch[-1][1]
            task = uow.tasks.get(self.task_id)
            task.done, task.progress = last_done, round(100.0 * last_done / total, 1)
            task.prompt_tokens, task.completion_tokens = self.usage.prompt_tokens, self.usage.completion_tokens
            task.cached_tokens = self.usage.cached_tokens
            group_index, group_count = self.group_positions.get(last_brief.group.value, (0, 0))
            task.stage = f"{last_brief.group.value} — group {group_index} of {group_count}"
        for _, done, ticket_id in stored:
            fault_point("after_ticket", done)
            self.deps.notifier.ticket_written(self.session_id, ticket_id)
        last_ticket, last_done, _ = stored[-1]
        self._report(last_done, total, last_ticket.brief)

    def _report(self, done: int, total: int, brief: TicketBrief) -> None:
        group_index, group_count = self.group_positions.get(brief.group.value, (0, 0))
        stage = f"{brief.group.value} — group {group_index} of {group_count}"
        percentage = round(100.0 * done / total, 1) if total else 100.0
        details: dict[str, object] = {"done": done, "total": total, "group": brief.group.value,
                                      "ticket": brief.key, "tokens": self.usage.prompt_tokens
                                      + self.usage.completion_tokens}
        self.progress_callback(percentage, stage, details)
        self.deps.notifier.progress(ProgressUpdate(self.session_id, self.task_id, percentage, stage, done, total,
                                                      brief.group.value, group_index, group_count, self.usage))

    def _position_groups(self, briefs: Sequence[TicketBrief]) -> None:
        groups = list(dict.fromkeys(b.group.value for b in briefs))
        self.group_positions = {g: (i, len(groups)) for i, g in enumerate(groups, start=1)}

    def _should_stop(self) -> bool:
        self.task.raise_if_lost()
        now = time.monotonic()
        if now - self.cancel_checked_at >= self.deps.config.cancel_poll_s:
            self.cancel_checked_at = now
            with self.deps.uow_factory() as uow:
                self.cancelled = uow.tasks.get(self.task_id).cancel_requested
        return self.cancelled

    # ---- endings ------------------------------------------------------------------------------------

    def _check_fallbacks(self, total: int) -> None:
        if total and self.fallbacks / total > self.deps.config.fallback_limit:
            raise ProcessingError(
                f"{self.fallbacks} of {total} tickets fell back to the template writer because the LLM's answers "
                "were unusable; the LLM set-up needs an admin", Category.ADMIN_REQUIRED,
            )

    def _complete(self, briefs: Sequence[TicketBrief], generation: int) -> None:
        fault_point("before_complete")
        keys = {b.key for b in briefs}
        with self.task.owned() as uow:  # a copy that lost its lease must not mark the task completed
            records = {t.spec_key: t for t in uow.tickets.for_session(self.session_id, include_withdrawn=True)}
            for key, record in records.items():
                if key not in keys and may_withdraw(record, self.revision):
                    record.status = ticket_move(record.status, "withdraw")  # rows left the spec: marked, not deleted
                    record.slack_version += 1
                elif key in keys and record.status == TicketStatus.WITHDRAWN:
                    record.status = ticket_move(record.status, "restore")
            edges: list[tuple[TicketRecord, TicketRecord, str]] = []
            for brief in briefs:
                record = records[brief.key]
                record.position = brief.position
                edges.extend((record, records[d.key], d.reason) for d in brief.depends_on if d.key in records)
            uow.tickets.replace_dependencies(self.session_id, edges)
            self.task.mark_finished(uow, TaskStatus.COMPLETED, "Done").progress = 100.0
            uow.sessions.get(self.session_id).status = SessionStatus.REVIEW
        self._notify("completed", "", "", len(briefs))

    def _cancelled(self, message: str) -> None:
        def session_too(uow: UnitOfWork, _task: TaskRecord) -> None:
            uow.sessions.get(self.session_id).status = SessionStatus.CANCELLED

        if self.task.finish(TaskStatus.CANCELLED, message, also=session_too):
            self._notify(TaskStatus.CANCELLED, message, "")

    def _fail_or_retry(self, error: ProcessingError) -> None:
        if error.category is not Category.TEMPORARY or self.retry_in_s is None:
            self._fail(error)
            return
        wait = timedelta(seconds=self.retry_in_s + self.deps.config.queued_grace_s)
        log.warning("task %s: temporary failure, retrying in %s s: %s", self.task_id, self.retry_in_s, error.message)

        def record_error(uow: UnitOfWork, _task: TaskRecord) -> None:
            uow.errors.add(self.session_id, error.category.value, error.message, task_id=self.task_id,
                           technical_details=error.technical_details)

        # Handed back: RQ runs the job again; until then the sweeper leaves it alone.
        self.task.hand_back(wait, f"Waiting to retry in {self.retry_in_s:.0f} s: {error.message}", also=record_error)
        raise RetryLater(error.message)

    def _fail(self, error: ProcessingError) -> None:
        log.error("task %s failed (%s): %s %s", self.task_id, error.category, error.message,
                  error.technical_details.get("exception", ""))

        def record_error(uow: UnitOfWork, _task: TaskRecord) -> None:
            uow.errors.add(self.session_id, error.category.value, error.message, task_id=self.task_id,
                           technical_details=error.technical_details)
            uow.sessions.get(self.session_id).status = SessionStatus.FAILED

        if self.task.fail(error.category.value, error.message, also=record_error):
            self._notify("failed", error.message, error.category.value)

    def _notify(self, status: str, message: str, category: str, tickets: int = 0) -> None:
        self.deps.notifier.run_finished(RunOutcome(self.session_id, self.task_id, status, message, category,
                                                      tickets, self.fallbacks, self.usage))


def apply_content(record: TicketRecord, ticket: WrittenTicket, generation: int) -> None:
    brief, content = ticket.brief, ticket.content
    record.generation = generation
    record.position = brief.position
    record.group, record.kind, record.label = brief.group.value, brief.kind.value, brief.label[:255]
    if record.status not in ACCEPTED:
        record.status = TicketStatus.DRAFT
    record.title = content.title[:255]
    record.user_story, record.analysis = content.user_story, content.analysis
    record.verification = list(content.verification)
    record.depends_on = [d.key for d in brief.depends_on]
    record.sources = [{"file": s.file, "row": s.row} for s in brief.sources]
    record.brief = brief_to_dict(brief)
    record.details = content.details()
    record.writer, record.model, record.prompt_version = content.writer, content.model, content.prompt_version
    record.prompt_tokens = content.usage.prompt_tokens
    record.completion_tokens = content.usage.completion_tokens
    record.cached_tokens = content.usage.cached_tokens
    # A person's edit outlives every rewrite: their fields go back over the writer's new text.
    overlay(record, PersonEdit.of(record.person_edit))
