"""The publishing service wired for tests: a real database, the fake Jira server, jobs run in this process."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from integrations.jira.gateway import JiraGateway
from jobs.publishing.service import NeedsPerson, PublishingConfig, PublishingService, PushOutcome, PushProgress
from jobs.tasks.job_kinds import JobKind
from jobs.tasks.job_queue import InlineQueue, JobQueue
from jobs.worker.runs import push_run, undo_run
from storage.uow import UnitOfWorkFactory
from tests.fakes.jira_server import FakeJiraServer

# `ticketbot-<instance>-t<ticket>-<random>` and `ticketbot-<instance>-s<session>` (jobs/publishing/service.py)
TICKET_LABEL = re.compile(r"ticketbot-[0-9a-f]{12}-t[0-9]+-[0-9a-f]{6}")
SESSION_LABEL = re.compile(r"ticketbot-[0-9a-f]{12}-s[0-9]+")
PUSH_LABEL = re.compile(r"ticketbot-[0-9a-f]{12}-p[0-9]+")  # on every issue and epic one push created


def is_ticket_label(label: str) -> bool:
    return TICKET_LABEL.fullmatch(label) is not None


def is_session_label(label: str) -> bool:
    return SESSION_LABEL.fullmatch(label) is not None


def is_push_label(label: str) -> bool:
    return PUSH_LABEL.fullmatch(label) is not None


# Fast, but the same shape as production: the reconcile window is searched with doubling delays.
FAST = PublishingConfig(default_project="RPL", lease_s=5, queued_grace_s=2, reconcile_window_s=1.5,
                        reconcile_first_delay_s=0.1, reconcile_max_delay_s=0.4, wait_in_job_s=5,
                        temporary_delays_s=(0.1, 0.2, 0.3))


@dataclass
class RecordingPublishNotifier:
    pushed: list[tuple[int, str, str]] = field(default_factory=list)  # (ticket id, key, url)
    progress: list[PushProgress] = field(default_factory=list)
    outcomes: list[PushOutcome] = field(default_factory=list)
    people: list[NeedsPerson] = field(default_factory=list)

    def ticket_pushed(self, session_id: int, ticket_id: int, key: str, url: str) -> None:
        self.pushed.append((ticket_id, key, url))

    def push_progress(self, progress: PushProgress) -> None:
        self.progress.append(progress)

    def push_finished(self, outcome: PushOutcome) -> None:
        self.outcomes.append(outcome)

    def needs_person(self, notice: NeedsPerson) -> None:
        self.people.append(notice)


@dataclass
class Publisher:
    service: PublishingService
    notifier: RecordingPublishNotifier
    sleeps: list[float]


def build_publisher(uow_factory: UnitOfWorkFactory, fake: FakeJiraServer | None, *,
                    config: PublishingConfig = FAST, queue: JobQueue | None = None,
                    **jira: object) -> Publisher:
    """A publisher whose gateways talk to `fake` (None: Jira not configured); pushes run inline."""
    notifier = RecordingPublishNotifier()
    sleeps: list[float] = []
    holder: list[PublishingService] = []

    def sleep(seconds: float) -> None:
        import time

        sleeps.append(seconds)
        time.sleep(seconds)

    factory: Callable[[str], JiraGateway] | None = None
    if fake is not None:
        config = PublishingConfig(**{**config.__dict__, "jira_url": str(jira.get("url", fake.url))})

        def factory(project: str) -> JiraGateway:
            return JiraGateway(fake.config(project=project, **jira), sleep=sleep)

    inline = InlineQueue({JobKind.PUSH: lambda task_id: push_run(holder[0], task_id).execute(),
                          JobKind.UNDO: lambda task_id: undo_run(holder[0], task_id).execute()})
    service = PublishingService(uow_factory=uow_factory, gateway_factory=factory, queue=queue or inline,
                                notifier=notifier, config=config)
    holder.append(service)
    return Publisher(service, notifier, sleeps)
