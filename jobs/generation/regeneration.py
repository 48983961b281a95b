"""One ticket's regeneration inside a worker: leased like a generation run, applied only while still wanted.

The lease is renewed by a heartbeat while the writer works, so a slow LLM answer never looks like a
dead worker: otherwise the sweeper would enqueue a second copy, which makes a second LLM call and
uses a second of the ticket's regenerations. The answer is applied in one transaction that first
renews the lease with an owner check (a copy that lost its lease changes nothing) and then finds the
ticket still `regenerating` (a ticket approved or pushed meanwhile is never turned back into a draft).
"""

from __future__ import annotations

import logging

from integrations.tickets import SiteContext, TicketBrief, TicketContent, WrittenTicket
from integrations.writers.base import GuidedWriter
from integrations.writers.errors import WriterError
from jobs.errors import Category, LeaseLost, ProcessingError
from jobs.generation.run import GenerationDeps, apply_content
from jobs.states import TaskStatus, TicketStatus, ticket_move
from jobs.tasks.task_run import TaskRun
from storage.models import TaskRecord
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class RegenerationRun:
    def __init__(self, deps: GenerationDeps, task_id: int, worker_id: str) -> None:
        self.deps = deps
        self.task_id = task_id
        self.task = TaskRun(uow_factory=deps.uow_factory, clock=deps.clock, lease_s=deps.config.lease_s,
                            task_id=task_id, worker_id=worker_id)

    def execute(self) -> None:
        if not self.task.claim(lambda task: task.ticket_id is not None):
            return
        try:
            with self.task.heartbeat():
                brief, site, guidance = self._brief()
                writer = self.deps.writer
                if guidance and isinstance(writer, GuidedWriter):  # the reviewer's words, as data
                    content = writer.write_guided(brief, site, guidance)
                else:
                    content = writer.write(brief, site)
                self._apply(brief, content)
        except LeaseLost:
            log.warning("regeneration task %s: another worker holds the lease now; this answer is dropped",
                        self.task_id)
        except ProcessingError as exc:
            self._fail(exc.category, exc.message)
        except WriterError as exc:
            self._fail(Category(exc.category), str(exc))

    def _brief(self) -> tuple[TicketBrief, SiteContext, str]:
        with self.deps.uow_factory() as uow:
            task = uow.tasks.get(self.task_id)
            guidance = str((task.details or {}).get("guidance") or "")
            assert task.ticket_id is not None
            ticket = uow.tickets.get(task.ticket_id)
            session = uow.sessions.get(ticket.session_id)
            plan = self.deps.plan(uow, ticket.session_id)
            brief = next((b for b in plan.tickets if b.key == ticket.spec_key), None)
            site = SiteContext(session.site_name or session.channel_id, session.site_description)
        if brief is None:
            raise ProcessingError("this ticket's rows are no longer in the uploaded spec", Category.USER_FIXABLE)
        return brief, site, guidance

    def _apply(self, brief: TicketBrief, content: TicketContent) -> None:
        # Taken over meanwhile (LeaseLost): the copy holding the lease decides.
        with self.task.owned() as uow:
            task = uow.tasks.get(self.task_id)
            assert task.ticket_id is not None
            ticket = uow.tickets.get(task.ticket_id, for_update=True)
            u = content.usage
            task.prompt_tokens, task.completion_tokens, task.cached_tokens = (
                u.prompt_tokens, u.completion_tokens, u.cached_tokens)
            if ticket.status != TicketStatus.REGENERATING:
                log.warning("regeneration task %s: ticket %s is %s now; the new text is not applied",
                            self.task_id, ticket.id, ticket.status)
                self.task.mark_finished(uow, TaskStatus.CANCELLED, f"Not applied: the ticket is {ticket.status} now")
                return
            rewritten = ticket_move(ticket.status, "rewritten")  # decided before apply_content touches the status
            if (task.details or {}).get("replace_edit"):
                ticket.person_edit = {}  # the person asked for the writer's text over their edit
            apply_content(ticket, WrittenTicket(brief, content), ticket.generation)
            ticket.status = rewritten
            ticket.regeneration_count += 1
            ticket.slack_version += 1
            self.task.mark_finished(uow, TaskStatus.COMPLETED, "Done")
            task.progress, task.done = 100.0, 1
            session_id, ticket_id = ticket.session_id, ticket.id
        self.deps.notifier.ticket_written(session_id, ticket_id)

    def _fail(self, category: Category, message: str) -> None:
        def back_to_draft(uow: UnitOfWork, task: TaskRecord) -> None:
            if task.ticket_id is not None:
                ticket = uow.tickets.get(task.ticket_id, for_update=True)
                if ticket.status == TicketStatus.REGENERATING:
                    ticket.status = ticket_move(ticket.status, "rewritten")  # failed: the old text stays
                uow.errors.add(ticket.session_id, category.value, message, task_id=self.task_id,
                               ticket_id=ticket.id, entity=ticket.spec_key)

        self.task.fail(category.value, message, also=back_to_draft)
