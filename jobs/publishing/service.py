"""The publishing service: approved tickets become Jira issues, under epics, linked, exactly once.

Public methods (called by the Slack bot and the CLI) validate, record the decision and enqueue a push
task (`tasks.type = "push"`, one active per session); they return at once. The push itself runs inside a
worker under the task's lease (jobs/publishing/run.py, built by jobs/worker/runs.py from the worker's
services). When Jira is not configured, decisions are still recorded and `push_pending` says so in plain
words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from integrations.urls import jira_browse_url
from jobs.errors import Category, ProcessingError
from jobs.publishing.decisions import BulkDecision, Decision, PushStart
from jobs.publishing.labels import stored_label
from jobs.publishing.preview import PushPreview, push_preview
from jobs.publishing.undo_plan import UndoPlan, plan_undo, request_undo
from jobs.states import JiraState, LinkState, TaskStatus, TicketStatus, may, ticket_move
from jobs.tasks.clock import Clock, system_clock
from jobs.tasks.job_kinds import JobKind, job_id_for
from jobs.tasks.job_queue import JobQueue, QueueUnavailable
from jobs.wording import counted
from storage.models import TaskRecord, TicketRecord
from storage.uow import UnitOfWork, UnitOfWorkFactory

if TYPE_CHECKING:  # the jira library takes a tenth of a second to import; the CLI often never needs it
    from integrations.jira.gateway import JiraGateway
    from integrations.jira.setup import PreflightResult

NOT_CONFIGURED = ("Jira is not configured: approved tickets wait until an admin sets JIRA_URL, JIRA_PROJECT and "
                  "the credentials (JIRA_EMAIL + JIRA_API_TOKEN for Jira Cloud, JIRA_PAT for Server/Data Center)")

GatewayFactory = Callable[[str], "JiraGateway"]  # project key → a gateway for it (connects lazily)


@dataclass(frozen=True)
class PublishingConfig:
    default_project: str = ""  # JIRA_PROJECT; a channel's `config jira_project` wins over it
    jira_url: str = ""  # for browse links
    lease_s: float = 30.0
    queued_grace_s: float = 30.0
    bulk_size: int = 50  # Jira's most issues per bulk create
    reconcile_window_s: float = 600.0  # how long an undecided create is searched for before a person is asked
    reconcile_first_delay_s: float = 5.0  # then doubling, up to reconcile_max_delay_s
    reconcile_max_delay_s: float = 120.0
    wait_in_job_s: float = 60.0  # shorter waits are slept in the job; longer ones hand the task back
    temporary_delays_s: tuple[float, ...] = (10.0, 30.0, 60.0, 120.0, 300.0)  # then the push fails
    job_timeout_s: int = 1800
    removed_issues: str = "close"  # JIRA_REMOVED: a removed ticket's issue is closed (else labelled) or labelled
    epics: bool = True  # JIRA_EPICS is not `none`: pushes group issues under epics
    undo_window_s: float = 24 * 3600.0  # TICKETBOT_UNDO_WINDOW: `undo` removes a push's issues this long after


# ---- what the public methods answer ----------------------------------------------------------------------


@dataclass(frozen=True)
class PushSummary:
    """Where a session's tickets stand in Jira: "42 issues in RPL under 6 epics, 37 links"."""

    session_id: int
    project: str
    issues: int
    epics: int
    links: int
    waiting: int = 0  # approved, not yet pushed (queued or being reconciled)
    failed: int = 0  # refused by Jira: see the session's errors
    needs_person: int = 0  # undecided after the reconcile window, or edited in Jira since: a person must look
    updated: int = 0  # a revision's changed tickets whose issue was updated
    closed: int = 0  # a revision's removed tickets whose issue was closed (or labelled obsolete)

    @property
    def text(self) -> str:
        text = (f"{counted(self.issues, 'issue')} in {self.project or 'Jira'} under {counted(self.epics, 'epic')}, "
                f"{counted(self.links, 'link')}")
        extras = [f"{self.updated} updated from the revised spec" if self.updated else "",
                  f"{self.closed} closed as removed from the spec" if self.closed else "",
                  f"{self.failed} refused by Jira" if self.failed else "",
                  f"{self.needs_person} need a person to check Jira" if self.needs_person else "",
                  f"{self.waiting} still waiting" if self.waiting else ""]
        return text + "".join(f"; {e}" for e in extras if e)


@dataclass(frozen=True)
class PushStatus:
    task_id: int
    status: str  # queued | running | waiting (handed back, resumes by itself) | completed | failed
    stage: str
    done: int
    total: int
    error_category: str = ""
    error_message: str = ""


# ---- what a push tells the world (the Slack thread in the bot, the terminal in the CLI) ------------------


@dataclass(frozen=True)
class PushProgress:
    session_id: int
    task_id: int
    done: int
    total: int
    stage: str


@dataclass(frozen=True)
class PushOutcome:
    session_id: int
    task_id: int
    status: str  # completed | failed | waiting (handed back to the queue, resumes by itself)
    summary: PushSummary
    message: str = ""  # plain words: the summary, or what went wrong and what to do
    category: str = ""  # of a failure: temporary | admin_required | user_fixable


@dataclass(frozen=True)
class NeedsPerson:
    """A create that may or may not have happened, still unconfirmed after the reconcile window."""

    session_id: int
    ticket_id: int | None  # None for an epic
    spec_key: str
    label: str
    message: str


@runtime_checkable
class PublishNotifier(Protocol):
    def ticket_pushed(self, session_id: int, ticket_id: int, key: str, url: str) -> None: ...

    def push_progress(self, progress: PushProgress) -> None: ...

    def push_finished(self, outcome: PushOutcome) -> None: ...

    def needs_person(self, notice: NeedsPerson) -> None: ...


class SilentPublishNotifier:
    def ticket_pushed(self, session_id: int, ticket_id: int, key: str, url: str) -> None:
        pass

    def push_progress(self, progress: PushProgress) -> None:
        pass

    def push_finished(self, outcome: PushOutcome) -> None:
        pass

    def needs_person(self, notice: NeedsPerson) -> None:
        pass


class PublishingService:
    def __init__(self, *, uow_factory: UnitOfWorkFactory, gateway_factory: GatewayFactory | None, queue: JobQueue,
                 notifier: PublishNotifier | None = None, config: PublishingConfig | None = None,
                 clock: Clock = system_clock) -> None:
        self.uow_factory = uow_factory
        self.gateway_factory = gateway_factory
        self.queue = queue
        self.notifier: PublishNotifier = notifier or SilentPublishNotifier()
        self.config = config or PublishingConfig()
        self.clock = clock

    @property
    def jira_configured(self) -> bool:
        return self.gateway_factory is not None

    # ---- public: decide and enqueue ------------------------------------------------------------------
    # Lock order everywhere: a session's ticket rows first, then its session row.

    def approve(self, ticket_id: int, actor: str) -> Decision:
        """Approve a draft (or a rejected one) and push it; approving twice changes nothing."""
        with self.uow_factory() as uow:
            ticket = uow.tickets.get(ticket_id, for_update=True)
            if ticket.status == TicketStatus.PUSHED or (ticket.status == TicketStatus.APPROVED
                                                        and ticket.jira_state != JiraState.NONE):
                return self._decision(ticket, changed=False, note=self._pending_note(ticket))
            changed = ticket.status != TicketStatus.APPROVED
            if changed and not may(ticket.status, "approve"):  # ✅ re-approves a rejected draft
                raise ProcessingError(_cannot("approve", ticket.status), Category.USER_FIXABLE)
            if changed:
                ticket.status, ticket.decided_by = ticket_move(ticket.status, "approve"), actor
                uow.audit.record(actor, "approve", session_id=ticket.session_id, ticket_id=ticket_id)
            task, enqueue = self._push_task(uow, ticket.session_id, actor)  # approved, not pushed: push it
            uow.commit()
            decision = self._decision(ticket, changed=changed, task=task)
        return self._started(decision, task, enqueue)

    def reject(self, ticket_id: int, actor: str) -> Decision:
        """Reject a draft, or an approved ticket not yet on its way to Jira."""
        with self.uow_factory() as uow:
            ticket = uow.tickets.get(ticket_id, for_update=True)
            if ticket.status == TicketStatus.REJECTED:
                return self._decision(ticket, changed=False)
            if not may(ticket.status, "reject") or ticket.jira_state not in (JiraState.NONE, JiraState.FAILED,
                                                                            JiraState.EDITED_IN_JIRA):
                raise ProcessingError(_cannot("reject", ticket.status, ticket.jira_key), Category.USER_FIXABLE)
            ticket.status, ticket.decided_by = ticket_move(ticket.status, "reject"), actor
            ticket.jira_state, ticket.jira_error = JiraState.NONE, None
            uow.audit.record(actor, "reject", session_id=ticket.session_id, ticket_id=ticket_id)
            uow.commit()
            return self._decision(ticket, changed=True)

    def approve_all(self, session_id: int, actor: str) -> BulkDecision:
        """Approve every draft not rejected, in dependency order, and push all approved tickets."""
        with self.uow_factory() as uow:
            approved = []
            for ticket in uow.tickets.for_session(session_id, for_update=True):  # in dependency order
                if ticket.status == TicketStatus.DRAFT:
                    ticket.status, ticket.decided_by = ticket_move(ticket.status, "approve"), actor
                    approved.append(ticket.id)
            uow.audit.record(actor, "approve_all", session_id=session_id, detail=f"{len(approved)} drafts")
            to_push = len(_awaiting(uow, session_id))
            task, enqueue = self._push_task(uow, session_id, actor) if to_push else (None, False)
            uow.commit()
        note = "" if self.jira_configured else NOT_CONFIGURED
        if task is not None and enqueue:
            note = self._enqueue(task) or note
        return BulkDecision(session_id, approved, to_push, task.id if task else None, note)

    def approve_tickets(self, session_id: int, ticket_ids: Sequence[int], actor: str, action: str,
                        detail: str = "") -> BulkDecision:
        """A confirmed bulk approval: exactly the drafts it showed (still drafts), then push what is approved."""
        wanted = set(ticket_ids)
        with self.uow_factory() as uow:
            approved = []
            for ticket in uow.tickets.for_session(session_id, for_update=True):  # in dependency order
                if ticket.id in wanted and ticket.status == TicketStatus.DRAFT:
                    ticket.status, ticket.decided_by = ticket_move(ticket.status, "approve"), actor
                    approved.append(ticket.id)
            uow.audit.record(actor, action, session_id=session_id,
                             detail=detail or f"{len(approved)} drafts")
            to_push = len(_awaiting(uow, session_id))
            task, enqueue = self._push_task(uow, session_id, actor) if to_push else (None, False)
            uow.commit()
        note = "" if self.jira_configured else NOT_CONFIGURED
        if task is not None and enqueue:
            note = self._enqueue(task) or note
        return BulkDecision(session_id, approved, to_push, task.id if task else None, note)

    def preview(self, session_id: int, ticket_ids: Sequence[int]) -> PushPreview:
        """What pushing these tickets would create, counted exactly (the confirmation's text)."""
        with self.uow_factory() as uow:
            return push_preview(uow, session_id, self.project_for(uow, session_id), ticket_ids,
                                epics=self.config.epics)

    def undo_plan(self, session_id: int) -> UndoPlan | str:
        """What `undo` would remove (the session's last push), or why there is nothing to undo."""
        with self.uow_factory() as uow:
            return plan_undo(uow, session_id, self.clock(), self.config.undo_window_s)

    def undo(self, session_id: int, push_task_id: int, actor: str) -> tuple[int | None, str]:
        """Enqueue the undo of that push (once); (task id, a note in plain words when it could not start now)."""
        if not self.jira_configured:
            raise ProcessingError(NOT_CONFIGURED, Category.ADMIN_REQUIRED)
        with self.uow_factory() as uow:
            plan = plan_undo(uow, session_id, self.clock(), self.config.undo_window_s)
            if isinstance(plan, str) or plan.push_task_id != push_task_id:
                return None, plan if isinstance(plan, str) else "Nothing to undo: another push came since."
            task, new = request_undo(uow, session_id, push_task_id, actor, self.clock(), self.config.queued_grace_s)
            if task is not None and new:
                task.job_id = job_id_for(task)
            uow.commit()
        if task is None:
            return None, "Nothing to undo."
        return task.id, (self._enqueue(task) if new else "")

    def push_pending(self, session_id: int, actor: str) -> PushStart:
        """`/generate-tickets push`: push what is approved and not in Jira yet, refused ones included.

        Tickets Jira refused before are tried again; tickets waiting for a person are searched for once
        more (never created blind).
        """
        if not self.jira_configured:
            raise ProcessingError(NOT_CONFIGURED, Category.ADMIN_REQUIRED)
        with self.uow_factory() as uow:
            now = self.clock()
            for ticket in uow.tickets.for_session(session_id, for_update=True):
                if ticket.status != TicketStatus.APPROVED:
                    continue
                if ticket.jira_state == JiraState.FAILED:
                    ticket.jira_state, ticket.jira_error = JiraState.NONE, None
                if ticket.jira_state in (JiraState.NONE, JiraState.NEEDS_RECONCILE):
                    ticket.jira_next_try_at = now
            session = uow.sessions.get(session_id)
            site = session.site_name or session.channel_id
            for epic in uow.epics.unresolved(self.project_for(uow, session_id), site):
                if self.reconcile_delay_s(epic.attempts) is None:
                    epic.state = JiraState.CREATING  # raised for a person: searched for once more
            to_push = len(_awaiting(uow, session_id))
            if not to_push:
                return PushStart(session_id, None, 0, "Nothing to push: every approved ticket is in Jira.")
            uow.audit.record(actor, "push", session_id=session_id, detail=f"{to_push} tickets")
            task, enqueue = self._push_task(uow, session_id, actor)
            uow.commit()
        note = self._enqueue(task) if task is not None and enqueue else ""
        return PushStart(session_id, task.id if task else None, to_push, note)

    def confirm_not_in_jira(self, ticket_id: int, actor: str) -> Decision:
        """A person looked in Jira for the ticket's label and found nothing: create it after all."""
        with self.uow_factory() as uow:
            ticket = uow.tickets.get(ticket_id, for_update=True)
            if ticket.status != TicketStatus.APPROVED or ticket.jira_state != JiraState.NEEDS_RECONCILE:
                return self._decision(ticket, changed=False)
            ticket.jira_state, ticket.jira_attempts, ticket.jira_error = JiraState.NONE, 0, None
            ticket.jira_next_try_at = None
            uow.audit.record(actor, "confirm_not_in_jira", session_id=ticket.session_id, ticket_id=ticket_id,
                             detail=stored_label(ticket))
            task, enqueue = self._push_task(uow, ticket.session_id, actor)
            uow.commit()
            decision = self._decision(ticket, changed=True, task=task)
        return self._started(decision, task, enqueue)

    def confirm_epic_not_in_jira(self, session_id: int, group: str, actor: str) -> bool:
        """A person found no issue with the epic's label in Jira: the group's epic is created after all."""
        with self.uow_factory() as uow:
            session = uow.sessions.get(session_id)
            epic = uow.epics.find(self.project_for(uow, session_id), session.site_name or session.channel_id, group)
            if epic is None or epic.state != JiraState.NEEDS_RECONCILE:
                return False
            epic.state, epic.attempts = JiraState.NONE, 0
            uow.audit.record(actor, "confirm_not_in_jira", session_id=session_id, detail=epic.label)
            uow.commit()
        self.push_pending(session_id, actor)
        return True

    def confirm_ticket_not_in_jira(self, session_id: int, spec_key: str, actor: str) -> bool:
        """confirm_not_in_jira for the session's ticket with this spec key; False when there is none."""
        with self.uow_factory() as uow:
            ticket = uow.tickets.by_key(session_id, spec_key)
            ticket_id = ticket.id if ticket is not None else None
        if ticket_id is None:
            return False
        self.confirm_not_in_jira(ticket_id, actor)
        return True

    def confirm_overwrite(self, session_id: int, spec_key: str, actor: str) -> bool:
        """`push confirm overwrite SPEC_KEY`: a person compared the edit made in Jira with the revised ticket and
        lets the revision replace it (that edit only: a later one is caught again). False: nothing waits."""
        with self.uow_factory() as uow:
            found = uow.tickets.by_key(session_id, spec_key)
            if found is None:
                return False
            ticket = uow.tickets.get(found.id, for_update=True)
            if ticket.status != TicketStatus.APPROVED or ticket.jira_state != JiraState.EDITED_IN_JIRA:
                return False
            synced = dict(ticket.jira_synced or {})
            ticket.jira_synced = {**synced, "overwrite": synced.get("seen_in_jira", "")}
            ticket.jira_state, ticket.jira_error = JiraState.NONE, None
            ticket.slack_version += 1
            uow.audit.record(actor, "confirm_overwrite", session_id=session_id, ticket_id=ticket.id,
                             detail=ticket.jira_key or "")
            task, enqueue = self._push_task(uow, session_id, actor)
            uow.commit()
        if task is not None and enqueue:
            self._enqueue(task)
        return True

    def jira_errors(self, session_id: int) -> list[tuple[str, str]]:
        """(spec key, what Jira said) of every approved ticket Jira refused."""
        with self.uow_factory() as uow:
            return [(t.spec_key, t.jira_error) for t in uow.tickets.for_session(session_id)
                    if t.status == TicketStatus.APPROVED and t.jira_error]

    def preflight(self, project: str | None = None) -> PreflightResult:
        """The Jira checks of docs/design.md §10 for `project` (default JIRA_PROJECT), in plain words."""
        from integrations.jira.setup import PreflightProblem, PreflightResult

        project = project or self.config.default_project
        if self.gateway_factory is None:
            return PreflightResult("", project, (PreflightProblem(NOT_CONFIGURED),))
        gateway = self.gateway_factory(project)
        try:
            return gateway.preflight()
        except Exception as exc:  # a health check reports every failure in words, never raises
            message = getattr(exc, "message", "") or "ticketbot could not reach Jira; see the logs"
            return PreflightResult("", project, (PreflightProblem(message, getattr(exc, "category",
                                                                                   Category.TEMPORARY.value)),))
        finally:
            gateway.close()

    def push_status(self, session_id: int) -> PushStatus | None:
        """The session's latest push task, for following it (None: never pushed)."""
        with self.uow_factory() as uow:
            task = uow.tasks.latest(session_id, "push")
            if task is None:
                return None
            waiting = task.status == TaskStatus.QUEUED and task.started_at is not None
            return PushStatus(task.id, "waiting" if waiting else task.status, task.stage, task.done, task.total,
                              task.error_category or "", task.error_message or "")

    def summary(self, session_id: int) -> PushSummary:
        with self.uow_factory() as uow:
            return push_summary(uow, session_id, self.project_for(uow, session_id))

    def project_for(self, uow: UnitOfWork, session_id: int) -> str:
        return project_for(uow, session_id, self.config)

    def browse_url(self, key: str | None) -> str | None:
        return browse_url(self.config, key)

    def reconcile_delay_s(self, searches: int) -> float | None:
        return reconcile_delay_s(self.config, searches)

    # ---- helpers ---------------------------------------------------------------------------------------

    def _push_task(self, uow: UnitOfWork, session_id: int, actor: str) -> tuple[TaskRecord | None, bool]:
        """The session's push task, created if none is active; True when it must be (re-)enqueued."""
        if not self.jira_configured:
            return None, False
        session = uow.sessions.get(session_id, for_update=True)  # one active push task per session
        now = self.clock()
        grace = timedelta(seconds=self.config.queued_grace_s)
        task = uow.tasks.active(session_id, "push")
        if task is not None:
            if task.status == TaskStatus.QUEUED and not self._waiting_in_queue(task.job_id):
                # Handed back to wait (Jira's search lag, a rate limit): new work wakes it now.
                task.enqueue_count += 1
                task.job_id, task.lease_expires_at = job_id_for(task), now + grace
                return task, True
            return task, False
        task = uow.tasks.add(session_id=session_id, type="push", generation=max(session.generation_count, 1),
                             total=len(_awaiting(uow, session_id)), requested_by=actor, stage="Queued",
                             lease_expires_at=now + grace)
        task.job_id = job_id_for(task)
        return task, True

    def _waiting_in_queue(self, job_id: str) -> bool:
        try:
            return bool(job_id) and self.queue.is_waiting(job_id)
        except QueueUnavailable:
            return True  # cannot tell: leave it to the sweeper

    def _enqueue(self, task: TaskRecord) -> str:
        try:
            self.queue.enqueue(JobKind.of(task), task.id, task.job_id, self.config.job_timeout_s)
        except QueueUnavailable:
            return "the job queue is unreachable right now; the push starts by itself as soon as it is back"
        return ""

    def _started(self, decision: Decision, task: TaskRecord | None, enqueue: bool) -> Decision:
        note = decision.note
        if task is not None and enqueue:
            note = self._enqueue(task) or note
        if note == decision.note:
            return decision
        return Decision(decision.ticket_id, decision.session_id, decision.status, decision.changed,
                        decision.jira_key, decision.jira_url, decision.task_id, note)

    def _decision(self, ticket: TicketRecord, *, changed: bool, task: TaskRecord | None = None,
                  note: str = "") -> Decision:
        if not note and ticket.status == TicketStatus.APPROVED and not self.jira_configured:
            note = NOT_CONFIGURED
        return Decision(ticket.id, ticket.session_id, ticket.status, changed, ticket.jira_key,
                        self.browse_url(ticket.jira_key), task.id if task is not None else None, note)

    def _pending_note(self, ticket: TicketRecord) -> str:
        if ticket.status == TicketStatus.PUSHED:
            return f"Already in Jira as {ticket.jira_key}."
        if ticket.jira_state == JiraState.NEEDS_RECONCILE and ticket.jira_next_try_at is None:
            return ticket.jira_error or "ticketbot cannot tell whether this ticket reached Jira; a person must check"
        if ticket.jira_state == JiraState.FAILED:
            return f"Jira refused this ticket: {ticket.jira_error}; `/generate-tickets push` tries again"
        return ""


def project_for(uow: UnitOfWork, session_id: int, config: PublishingConfig) -> str:
    """The session's project: fixed at its first push; before that the channel's setting or JIRA_PROJECT."""
    session = uow.sessions.get(session_id)
    if session.jira_project:
        return session.jira_project
    channel = uow.channels.get(session.channel_id)
    return (channel.jira_project if channel is not None and channel.jira_project else None) or \
        config.default_project


def browse_url(config: PublishingConfig, key: str | None) -> str | None:
    return jira_browse_url(config.jira_url, key) if key and config.jira_url else None


def reconcile_delay_s(config: PublishingConfig, searches: int) -> float | None:
    """Seconds from the `searches`-th unsuccessful label search to the next; None once the window is over.

    The delays double from `reconcile_first_delay_s` up to `reconcile_max_delay_s`, the last one cut
    so that the searches end `reconcile_window_s` after the first.
    """
    c = config
    delays = [min(c.reconcile_first_delay_s * 2 ** k, c.reconcile_max_delay_s) for k in range(max(searches, 1))]
    remaining = c.reconcile_window_s - sum(delays[:-1])
    return min(delays[-1], remaining) if remaining > 1e-9 else None


def _awaiting(uow: UnitOfWork, session_id: int) -> list[TicketRecord]:
    """Approved tickets not in Jira yet, not refused by it, and not waiting for a person's word on an edit in Jira."""
    return [t for t in uow.tickets.for_session(session_id)
            if t.status == TicketStatus.APPROVED and t.jira_state not in (JiraState.FAILED, JiraState.EDITED_IN_JIRA)]


def push_summary(uow: UnitOfWork, session_id: int, project: str) -> PushSummary:
    tickets = uow.tickets.for_session(session_id)
    site = uow.sessions.get(session_id)
    groups = {t.group for t in tickets if t.status == TicketStatus.PUSHED}
    epics = sum(1 for g in groups if (e := uow.epics.find(project, site.site_name or site.channel_id, g)) is not None
                and e.issue_key)
    links = sum(1 for d in uow.tickets.dependencies(session_id) if d.jira_link_state == LinkState.CREATED)
    approved = [t for t in tickets if t.status == TicketStatus.APPROVED]
    needs_person = sum(1 for t in approved if (t.jira_state == JiraState.NEEDS_RECONCILE and t.jira_next_try_at is None)
                       or t.jira_state == JiraState.EDITED_IN_JIRA)
    failed = sum(1 for t in approved if t.jira_state == JiraState.FAILED)
    pushed = [t for t in tickets if t.status == TicketStatus.PUSHED]
    return PushSummary(session_id, project, sum(1 for t in pushed if t.jira_state != JiraState.CLOSED), epics, links,
                       len(approved) - failed - needs_person, failed, needs_person,
                       updated=sum(1 for t in pushed if t.change_kind == "changed"),
                       closed=sum(1 for t in pushed if t.jira_state == JiraState.CLOSED))



def _cannot(action: str, status: str, key: str | None = None) -> str:
    if status == TicketStatus.REGENERATING:
        return f"this draft is being rewritten; {action} it once the new text is in"
    if status == TicketStatus.PUSHED or key:
        return f"this ticket is in Jira already ({key}); {action} it there" if key else \
            f"this ticket is in Jira already; {action} it there"
    if status == TicketStatus.APPROVED:
        return "this ticket is on its way to Jira and can no longer be rejected here"
    return f"this ticket is {status} and cannot be {'approved' if action == 'approve' else 'rejected'}"
