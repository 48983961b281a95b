"""The links of a push: every dependency whose two ends are in Jira, linked blocker → blocked, once.

A link is `none → creating → created` like an issue, `creating` committed before `POST issueLink`. One
whose answer was lost is checked on the blocked issue (a read by key, consistent unlike search) before
it is sent again; Jira keeps one link per type and direction between two issues anyway. A link Jira
refuses for a reason of its own (an issue deleted since) is `failed` and reported; nothing else stops.
Links to issues already in Jira when an issue is created travel in its create payload instead
(jobs/publishing/outbox.py), so approve-all sends a link request only for dependencies created together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from integrations.jira.errors import USER_FIXABLE, JiraError, JiraOutcomeUnknown
from integrations.jira.gateway import JiraGateway
from jobs.publishing.service import GatewayFactory, PublishingConfig, PublishNotifier
from jobs.states import JiraState, LinkState, TicketStatus
from jobs.tasks.clock import Clock
from storage.models import TicketDependencyRecord
from storage.uow import UnitOfWork, UnitOfWorkFactory

Keys = dict[int, str | None]  # ticket id → Jira key


@dataclass(frozen=True)
class PushDeps:
    """What a push run needs of the process it runs in (not the service that enqueued it)."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    config: PublishingConfig
    gateway_factory: GatewayFactory | None  # None: Jira is not configured
    notifier: PublishNotifier


@dataclass
class PushContext:
    """What the steps of a push share with the run that drives them."""

    deps: PushDeps
    task_id: int
    session_id: int
    project: str
    site: str
    gateway: JiraGateway
    renew: Callable[[UnitOfWork], None]  # renews the task's lease in this transaction, or raises LeaseLost
    announce: Callable[[Sequence[tuple[int, str]]], None]  # tickets just recorded as pushed: (id, key)
    instance: str  # this deployment's random id, part of every label (storage InstanceRepository)
    creates: int = 0  # create requests answered in this run (the fault point counts them)


def keys_and_deps(uow: UnitOfWork, session_id: int) -> tuple[Keys, list[TicketDependencyRecord]]:
    """The Jira key of each ticket whose issue is settled (pushed, not closed), and the session's dependencies.

    A revision's changed or removed ticket carries its issue's key before it is approved and written: its
    links follow the revised graph only once the person's decision reached Jira.
    """
    keys: Keys = {t.id: t.jira_key if t.status == TicketStatus.PUSHED and t.jira_state == JiraState.CREATED else None
                  for t in uow.tickets.states_for(session_id)}
    return keys, uow.tickets.dependencies(session_id)


def linkable(dep: TicketDependencyRecord, keys: Keys) -> bool:
    """Not linked yet (or maybe linked: its answer was lost), and both ends are in Jira."""
    return dep.jira_link_state in (LinkState.NONE, LinkState.CREATING) and bool(keys.get(dep.ticket_id)) and \
        bool(keys.get(dep.depends_on_id))


class LinkSteps:
    def __init__(self, ctx: PushContext) -> None:
        self.ctx = ctx
        self.uow_factory = ctx.deps.uow_factory

    def create_links(self) -> None:
        """Every dependency whose two ends are in Jira, linked blocker → blocked, once."""
        with self.uow_factory() as uow:
            keys, deps = keys_and_deps(uow, self.ctx.session_id)
            todo = [(d.ticket_id, d.depends_on_id, d.jira_link_state, str(keys[d.depends_on_id]),
                     str(keys[d.ticket_id])) for d in deps if linkable(d, keys)]
        gateway = self.ctx.gateway
        for ticket_id, depends_on_id, state, blocker, blocked in todo:
            if state == LinkState.CREATING and gateway.linked(blocker, blocked):
                self._link_state(ticket_id, depends_on_id, "created")
                continue
            with self.uow_factory() as uow:
                self.ctx.renew(uow)
                dep = uow.tickets.dependency(ticket_id, depends_on_id, for_update=True)
                if dep is None or dep.jira_link_state != state:
                    continue
                dep.jira_link_state = LinkState.CREATING
                uow.commit()
            try:
                gateway.link(blocker, blocked)
            except JiraOutcomeUnknown:
                if not gateway.linked(blocker, blocked):  # a consistent read: it is not there, send it later
                    self._link_state(ticket_id, depends_on_id, "none")
                    raise
            except JiraError as exc:
                if exc.category != USER_FIXABLE:
                    self._link_state(ticket_id, depends_on_id, "none")
                    raise
                self._link_state(ticket_id, depends_on_id, "failed", f"{blocker} could not be linked to {blocked}: "
                                                                     f"{exc.message}", exc.details)
                continue
            self._link_state(ticket_id, depends_on_id, "created")

    def _link_state(self, ticket_id: int, depends_on_id: int, state: str, error: str = "",
                    details: dict[str, object] | None = None) -> None:
        with self.uow_factory() as uow:
            dep = uow.tickets.dependency(ticket_id, depends_on_id, for_update=True)
            if dep is not None:
                dep.jira_link_state = state
            if error:
                uow.errors.add(self.ctx.session_id, USER_FIXABLE, error, task_id=self.ctx.task_id,
                               ticket_id=ticket_id, technical_details=dict(details or {}))
            uow.commit()
