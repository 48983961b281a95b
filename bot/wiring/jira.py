"""Build the Jira publisher of one process from its settings (nothing connects here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.wiring.settings import Settings
from jobs.publishing.service import GatewayFactory, PublishingConfig, PublishingService, PublishNotifier
from jobs.tasks.clock import system_clock
from jobs.tasks.job_queue import JobQueue
from storage.uow import UnitOfWorkFactory

if TYPE_CHECKING:
    from integrations.jira.gateway import JiraConfig


def jira_config(settings: Settings) -> JiraConfig | None:
    """The gateway's configuration, or None when JIRA_URL is not set."""
    if not settings.jira_url:
        return None
    from integrations.jira.gateway import JiraConfig  # the jira library only when Jira is configured

    return JiraConfig(
        url=settings.jira_url, project=settings.jira_project, email=settings.jira_email,
        api_token=str(settings.jira_api_token), pat=str(settings.jira_pat), issue_type=settings.jira_issue_type,
        epic_type=settings.jira_epic_type, epics=settings.jira_epics, link_type=settings.jira_link_type,
        field_defaults=dict(settings.jira_field_defaults),
    )


def gateway_factory(settings: Settings) -> GatewayFactory | None:
    base = jira_config(settings)
    if base is None:
        return None
    from integrations.jira.gateway import JiraGateway

    return lambda project: JiraGateway(base.for_project(project))


def build_publisher(settings: Settings, *, uow_factory: UnitOfWorkFactory, queue: JobQueue, inline: bool,
                    notifier: object = None) -> PublishingService:
    """The publishing service; `notifier` is used when it speaks PublishNotifier (the Slack thread does)."""
    config = PublishingConfig(
        default_project=settings.jira_project, jira_url=settings.jira_url, lease_s=settings.lease_seconds,
        queued_grace_s=settings.queued_grace_seconds, removed_issues=settings.jira_removed,
        epics=settings.jira_epics != "none", undo_window_s=settings.undo_window_hours * 3600.0,
        # In this process nobody sweeps: wait out Jira's search lag here rather than hand the task back.
        wait_in_job_s=PublishingConfig.reconcile_window_s if inline else PublishingConfig.wait_in_job_s,
    )
    return PublishingService(uow_factory=uow_factory, gateway_factory=gateway_factory(settings), queue=queue,
                             notifier=notifier if isinstance(notifier, PublishNotifier) else None, config=config,
                             clock=system_clock)

