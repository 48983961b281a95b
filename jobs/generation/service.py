"""The processing service: public methods validate and enqueue; the runs do the work inside a worker.

The split follows the seed (../shared/seed/processing-service-decisions.md) with RQ in place of ARQ:
Slack listeners and the CLI call the public methods, which return at once; RQ job functions build a
GenerationRun or RegenerationRun from the worker's services (jobs/worker/runs.py) and execute it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta

from integrations.spec.problems import Level
from integrations.tickets import SiteContext, TicketBrief, WrittenTicket
from integrations.writers.base import TicketWriter, WriterHealth, takes_guidance
from integrations.writers.prompt import GUIDANCE_MAX
from jobs.conversation.channels import channel_plan_options
from jobs.errors import Category, ProcessingError, SpecHasErrors
from jobs.generation.cost import DEFAULT_PRICES, CostEstimate, estimate_cost
from jobs.generation.notify import RunNotifier, SilentNotifier
from jobs.planning import Plan, PlanCache, UploadedFile
from jobs.revision.apply import session_revision
from jobs.revision.history import written_with_history
from jobs.revision.previous import fix_baseline
from jobs.states import SessionStatus, TaskStatus, TicketStatus, may, ticket_move
from jobs.tasks.clock import Clock, system_clock
from jobs.tasks.job_kinds import JobKind, job_id_for
from jobs.tasks.job_queue import JobQueue, QueueUnavailable
from storage.models import TaskRecord
from storage.uow import UnitOfWork, UnitOfWorkFactory

# Said to a person who gave guidance while the offline writer is configured: refused, so that no
# regeneration is spent on a rewrite that could not follow it (README: "Regenerate with guidance").
NO_GUIDANCE = ("the offline template writer cannot take guidance: it writes from the spec rows alone, so "
               "nothing was rewritten and no regeneration was used. Leave the box empty to rewrite it anyway, "
               "or use Edit to change the text yourself")

# The seed's progress contract: (percentage, stage, details) after each ticket and each group.
ProgressCallback = Callable[[float, str, dict[str, object]], None]


@dataclass(frozen=True)
class ProcessingConfig:
    lease_s: float = 30.0  # a dead worker's task is taken over after this (plus one sweep)
    max_generations: int = 3  # per session, the first run included
    max_regenerations: int = 3  # per ticket
    fallback_limit: float = 0.25  # share of template fallbacks above which the LLM set-up is broken
    queued_grace_s: float = 30.0  # a queued task with no job in Redis after this is enqueued again
    cancel_poll_s: float = 0.5  # how often a run reads its cancel flag (between tickets)
    max_job_s: int = 0  # a fixed RQ job time limit; 0 sizes it from the writer's worst case
    # Tickets stored per commit. A queued run checkpoints every ticket (a worker may die at any time);
    # the CLI's in-process run batches them, still committing at least every `checkpoint_interval_s`.
    checkpoint_batch: int = 1
    checkpoint_interval_s: float = 1.0
    llm_prices: Mapping[str, tuple[float, float]] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    # JIRA_PROJECT: with the channel's setting, which earlier sessions a revised spec is compared with.
    default_jira_project: str = ""


@dataclass(frozen=True)
class StartResult:
    session_id: int
    task_id: int
    generation: int
    estimated_tickets: int
    already_running: bool = False
    queue_note: str = ""  # set when the queue was unreachable: the sweeper starts it later
    estimate: CostEstimate | None = None  # an LLM run's calls, tokens and cost (None for the template writer)
    revision: str = ""  # a revised spec: "12 unchanged, 3 changed (…), 2 new, 1 removed"
    site: str = ""  # the site name the run writes for


@dataclass(frozen=True)
class ProcessingStatus:
    session_id: int
    session_status: str
    generation: int
    task_id: int | None = None
    task_status: str = ""
    progress: float = 0.0
    stage: str = ""
    done: int = 0
    total: int = 0
    error_category: str = ""
    error_message: str = ""
    tokens: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ErrorView:
    category: str
    message: str
    entity: str
    task_id: int | None
    created_at: str


class ProcessingService:
    def __init__(self, *, uow_factory: UnitOfWorkFactory, writer: TicketWriter, queue: JobQueue,
                 notifier: RunNotifier | None = None, config: ProcessingConfig | None = None,
                 clock: Clock = system_clock, plan_cache: PlanCache | None = None) -> None:
        self.uow_factory = uow_factory
        self.writer = writer
        self.queue = queue
        self.notifier = notifier or SilentNotifier()
        self.config = config or ProcessingConfig()
        self.clock = clock
        self.plan_cache = plan_cache or PlanCache()

    # ---- public: validate and enqueue ----------------------------------------------------------

    def generate_tickets(self, session_id: int, *, requested_by: str = "", site_name: str | None = None,
                         description: str | None = None, start_anyway: bool = False,
                         fallback_site: str = "") -> StartResult:
        """Start the session's first generation; a run already going is answered with its task.

        `fallback_site` names a session that has no site name and revises none (a revision keeps the
        site its earlier tickets were pushed under).
        """
        health = self.writer.health()  # before the session's row is locked: the check may take ~20 s
        with self.uow_factory() as uow:
            # Freeze the upload set first, so the files planned below are exactly the ones the run,
            # its retries and every 🔁 plan from; a refusal below rolls it back (still collecting).
            frozen = uow.sessions.freeze_uploads(session_id)
            session = uow.sessions.get(session_id)
            if not frozen:
                running = uow.tasks.active_generation(session_id)
                if running is not None:
                    return self._already_running(running)
                raise ProcessingError(
                    f"this session is {session.status}; use retry to generate again, or new to start over",
                    Category.USER_FIXABLE,
                )
            if site_name:
                session.site_name = site_name
            if description is not None:
                session.site_description = description
            plan = self._checked_plan(uow, session_id, start_anyway, health)
            fix_baseline(uow, session_id, self.config.default_jira_project)  # a revision compares from now on
            if not session.site_name:
                session.site_name = fallback_site
            revision = session_revision(uow, session_id, plan.tickets)
            site = SiteContext(session.site_name or session.channel_id, session.site_description)
            to_write = [b for b in plan.tickets if revision is None or b.key not in revision.copied_keys]
            task = self._start_task(uow, session_id, plan, requested_by, "start")
            uow.commit()
            started = self._enqueue(task, len(plan.tickets))
        return replace(started, estimated_tickets=len(to_write), estimate=self.estimate_cost(to_write, site),
                       site=site.name, revision=revision.comparison.summary() if revision is not None else "")

    def retry_processing(self, session_id: int, *, requested_by: str = "") -> StartResult:
        """Generate again (failed, cancelled or in review): tickets not approved or pushed are rewritten."""
        health = self.writer.health()  # before the session's row is locked: the check may take ~20 s
        with self.uow_factory() as uow:
            session = uow.sessions.get(session_id, for_update=True)
            running = uow.tasks.active_generation(session_id)
            if running is not None:
                return self._already_running(running)
            if session.status not in (SessionStatus.FAILED, SessionStatus.CANCELLED, SessionStatus.REVIEW):
                raise ProcessingError(f"nothing to retry: this session is {session.status}", Category.USER_FIXABLE)
            if uow.tasks.active(session_id, "regenerate") is not None:  # both would write the same draft
                raise ProcessingError("a draft of this session is being regenerated; retry once its new text is in",
                                      Category.USER_FIXABLE)
            if session.generation_count >= self.config.max_generations:
                raise ProcessingError(
                    f"this session has been generated {session.generation_count} times, the most allowed; "
                    "start a new session with `/generate-tickets new`", Category.USER_FIXABLE,
                )
            plan = self._checked_plan(uow, session_id, True, health)
            task = self._start_task(uow, session_id, plan, requested_by, "retry")
            uow.commit()
            return self._enqueue(task, len(plan.tickets))

    def resume_generation(self, session_id: int, *, requested_by: str = "") -> StartResult:
        """Carry on the session's interrupted generation: tickets it already stored are kept, not paid twice.

        The same generation (not a new one, as retry makes) is queued again, so the run skips every
        ticket it wrote before it was cancelled, failed or lost its process.
        """
        health = self.writer.health()  # before the session's row is locked: the check may take ~20 s
        with self.uow_factory() as uow:
            session = uow.sessions.get(session_id, for_update=True)
            task = uow.tasks.latest(session_id)
            if task is None:
                raise ProcessingError("nothing to resume: this session was never generated", Category.USER_FIXABLE)
            now = self.clock()
            lease_held = task.lease_expires_at is not None and task.lease_expires_at >= now
            if task.status in (TaskStatus.QUEUED, TaskStatus.RUNNING) and lease_held:
                return self._already_running(task)
            if task.status not in (TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.CANCELLED, TaskStatus.FAILED):
                raise ProcessingError(f"nothing to resume: the last generation is {task.status}",
                                      Category.USER_FIXABLE)
            plan = self._checked_plan(uow, session_id, True, health)
            task.status, task.stage, task.cancel_requested = TaskStatus.QUEUED, "Queued", False
            task.error_category = task.error_message = task.finished_at = task.lease_owner = None
            task.lease_expires_at = now + timedelta(seconds=self.config.queued_grace_s)
            task.enqueue_count += 1
            task.job_id = job_id_for(task)
            session.status = SessionStatus.PROCESSING
            uow.audit.record(requested_by, "resume", session_id=session_id,
                             detail=f"generation {task.generation}, {task.done} of {task.total} tickets stored")
            uow.commit()
            return self._enqueue(task, len(plan.tickets))

    def abandon_generation(self, session_id: int, *, requested_by: str = "") -> None:
        """Close the session now, its generation included: starting over (`--fresh`) replaces it."""
        with self.uow_factory() as uow:
            session = uow.sessions.get(session_id, for_update=True)
            task = uow.tasks.active_generation(session_id)
            if task is not None:
                task.status, task.stage, task.finished_at = TaskStatus.CANCELLED, "Abandoned", self.clock()
                task.lease_owner = None
            if session.status in (SessionStatus.COLLECTING, SessionStatus.PROCESSING):
                session.status = SessionStatus.CANCELLED
            uow.audit.record(requested_by, "abandon", session_id=session_id)
            uow.commit()

    def cancel_processing(self, session_id: int, *, requested_by: str = "") -> int | None:
        """Ask the running generation to stop after the ticket in hand; returns its task id, if any."""
        with self.uow_factory() as uow:
            task = uow.tasks.active_generation(session_id)
            if task is None:
                return None
            task.cancel_requested = True
            if task.status == TaskStatus.QUEUED:  # no worker has it: stop it here
                task.status, task.finished_at, task.stage = TaskStatus.CANCELLED, self.clock(), "Cancelled"
                uow.sessions.get(session_id).status = SessionStatus.CANCELLED
            uow.audit.record(requested_by, "cancel", session_id=session_id, detail=f"task {task.id}")
            uow.commit()
            task_id, status = task.id, task.status
        if status == "cancelled":
            from jobs.generation.notify import RunOutcome

            self.notifier.run_finished(RunOutcome(session_id, task_id, "cancelled", "Cancelled before it started."))
        return task_id

    def regenerate_ticket(self, ticket_id: int, *, requested_by: str = "", guidance: str = "",
                          replace_edit: bool = False) -> StartResult:
        """Rewrite one draft in place (at most `max_regenerations` times per ticket).

        `guidance` (a reviewer's "what should change", at most GUIDANCE_MAX characters) goes to the writer as
        data; a person's edit stays over the new text unless `replace_edit`.
        """
        guidance = guidance.strip()
        if len(guidance) > GUIDANCE_MAX:
            raise ProcessingError(f"the guidance is {len(guidance):,} characters; at most {GUIDANCE_MAX} are taken",
                                  Category.USER_FIXABLE)
        if guidance and not takes_guidance(self.writer):
            raise ProcessingError(NO_GUIDANCE, Category.USER_FIXABLE)
        health = self.writer.health()  # before the ticket's and session's rows are locked: it may take ~20 s
        with self.uow_factory() as uow:
            ticket = uow.tickets.get(ticket_id, for_update=True)
            uow.sessions.get(ticket.session_id, for_update=True)  # serialised with retry, which locks it too
            existing = uow.tasks.active_for_ticket(ticket_id)
            if existing is not None:
                return StartResult(ticket.session_id, existing.id, existing.generation, 1, already_running=True)
            if ticket.change_kind == "removed" and ticket.status == TicketStatus.DRAFT:
                raise ProcessingError("this draft proposes closing its Jira issue, so there is no text to rewrite: "
                                      "react ✅ to close it or ❌ to keep it", Category.USER_FIXABLE)
            if not may(ticket.status, "regenerate"):
                raise ProcessingError(f"this ticket is {ticket.status} and cannot be regenerated",
                                      Category.USER_FIXABLE)
            if ticket.regeneration_count >= self.config.max_regenerations:
                raise ProcessingError(
                    f"this ticket was regenerated {ticket.regeneration_count} times, the most allowed; "
                    "edit it in Jira after approving it", Category.USER_FIXABLE,
                )
            self._require_healthy(health)
            ticket.status = ticket_move(ticket.status, "regenerate")
            task = uow.tasks.add(session_id=ticket.session_id, type="regenerate", ticket_id=ticket_id,
                                 created_at=self.clock(),
                                 generation=ticket.generation, total=1, requested_by=requested_by,
                                 stage="Queued", details={"guidance": guidance, "replace_edit": replace_edit})
            task.job_id = job_id_for(task)
            uow.audit.record(requested_by, "regenerate", session_id=ticket.session_id, ticket_id=ticket_id)
            uow.commit()
            return self._enqueue(task, 1)

    def get_processing_status(self, session_id: int) -> ProcessingStatus:
        with self.uow_factory() as uow:
            session = uow.sessions.get(session_id)
            task = uow.tasks.latest(session_id)
            if task is None:
                return ProcessingStatus(session_id, session.status, session.generation_count)
            return ProcessingStatus(
                session_id, session.status, session.generation_count, task.id, task.status, task.progress,
                task.stage, task.done, task.total, task.error_category or "", task.error_message or "",
                {"prompt": task.prompt_tokens, "completion": task.completion_tokens, "cached": task.cached_tokens},
            )

    def session_counts(self, session_id: int) -> tuple[int, dict[str, int]]:
        """(files in use, tickets per state) of the session, for its status."""
        with self.uow_factory() as uow:
            return uow.uploads.count_active(session_id), uow.tickets.counts(session_id)

    def written_tickets(self, session_id: int) -> list[WrittenTicket]:
        """The session's tickets as written, for the outputs."""
        with self.uow_factory() as uow:
            return written_with_history(uow, uow.tickets.for_session(session_id))

    def get_processing_errors(self, session_id: int, *, category: str | None = None, entity: str | None = None,
                              task_id: int | None = None) -> list[ErrorView]:
        with self.uow_factory() as uow:
            return [
                ErrorView(e.category, e.message, e.entity, e.task_id, e.created_at.isoformat())
                for e in uow.errors.find(session_id, category=category, entity=entity, task_id=task_id)
            ]

    def estimate_cost(self, briefs: Sequence[TicketBrief], site: SiteContext) -> CostEstimate | None:
        """What writing `briefs` costs with the configured LLM; None when the writer costs nothing."""
        model = getattr(self.writer, "model", "")
        if self.writer.name == "template" or not model:
            return None
        return estimate_cost(briefs, site, model, self.writer.concurrency, self.config.llm_prices)

    def validate_llm_service(self) -> WriterHealth:
        return self.writer.health()

    def session_of_task(self, task_id: int) -> int:
        with self.uow_factory() as uow:
            return uow.tasks.get(task_id).session_id

    # ---- helpers -------------------------------------------------------------------------------

    def plan_session_by_id(self, session_id: int) -> Plan:
        with self.uow_factory() as uow:
            return self.plan_session(uow, session_id)

    def plan_session(self, uow: UnitOfWork, session_id: int) -> Plan:
        options = channel_plan_options(uow, uow.sessions.get(session_id).channel_id, self.plan_cache.options)
        return self.plan_cache.plan([UploadedFile(u.name, u.data) for u in uow.uploads.active(session_id)], options)

    def job_timeout_s(self, tickets: int) -> int:
        """Longer than the sum of the inner timeouts: every write, at the writer's concurrency."""
        if self.config.max_job_s:
            return self.config.max_job_s
        rounds = math.ceil(max(tickets, 1) / max(self.writer.concurrency, 1))
        return int(rounds * self.writer.max_seconds_per_ticket + 120)

    def _checked_plan(self, uow: UnitOfWork, session_id: int, start_anyway: bool, health: WriterHealth) -> Plan:
        """The plan to start a run from, or the first reason not to (the writer's `health`, checked by the caller
        before it locked any row, comes last)."""
        if uow.uploads.count_active(session_id) == 0:
            raise ProcessingError("nothing uploaded yet: drop the spec's CSV files in this channel first",
                                  Category.USER_FIXABLE)
        plan = self.plan_session(uow, session_id)
        errors = [p.describe() for p in plan.problems if p.level is not Level.WARNING]
        if errors and not start_anyway:
            raise SpecHasErrors(errors)
        if not plan.tickets:
            raise ProcessingError("the uploaded files hold no row to build a ticket from", Category.USER_FIXABLE,
                                  {"problems": errors})
        self._require_healthy(health)
        return plan

    @staticmethod
    def _require_healthy(health: WriterHealth) -> None:
        if not health.ok:
            category = Category(health.category) if health.category else Category.TEMPORARY
            raise ProcessingError(f"the ticket writer is not available: {health.message}", category)

    def _start_task(self, uow: UnitOfWork, session_id: int, plan: Plan, requested_by: str,
                    action: str) -> TaskRecord:
        session = uow.sessions.get(session_id)
        session.generation_count += 1
        session.status = SessionStatus.PROCESSING
        task = uow.tasks.add(session_id=session_id, type="generate", generation=session.generation_count,
                             created_at=self.clock(),
                             total=len(plan.tickets), requested_by=requested_by, stage="Queued",
                             lease_expires_at=self.clock() + timedelta(seconds=self.config.queued_grace_s))
        task.job_id = job_id_for(task)
        uow.audit.record(requested_by, action, session_id=session_id,
                         detail=f"generation {task.generation}, {len(plan.tickets)} tickets")
        return task

    def _enqueue(self, task: TaskRecord, tickets: int) -> StartResult:
        try:
            self.queue.enqueue(JobKind.of(task), task.id, task.job_id, self.job_timeout_s(tickets))
        except QueueUnavailable:
            return StartResult(task.session_id, task.id, task.generation, tickets,
                               queue_note="the job queue is unreachable right now; the run starts by itself "
                                          "as soon as it is back")
        return StartResult(task.session_id, task.id, task.generation, tickets)

    @staticmethod
    def _already_running(task: TaskRecord) -> StartResult:
        return StartResult(task.session_id, task.id, task.generation, task.total, already_running=True)
