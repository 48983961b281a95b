"""Build the services of one process from its settings, once (docs/design.md §1)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from bot.wiring.jira import build_publisher
from bot.wiring.settings import Settings
from integrations.writers.base import TicketWriter
from integrations.writers.template import TemplateWriter
from jobs.conversation.publisher_port import TicketPublisher
from jobs.generation.notify import RunNotifier
from jobs.generation.service import ProcessingConfig, ProcessingService, ProgressCallback
from jobs.planning import PlanCache, PlanOptions
from jobs.publishing.service import PublishingService
from jobs.tasks.job_queue import InlineQueue, JobQueue
from jobs.worker import runtime
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory, unit_of_work_factory

if TYPE_CHECKING:  # Redis, RQ and Slack are imported only by the processes that use them (not the CLI's default)
    from redis import Redis

    from bot.slack.wiring import SlackWiring

REDIS_TIMEOUT_S = 5


class UnavailableWriter(Exception):
    """The configured LLM provider cannot be used by this build."""


@dataclass
class Services:
    settings: Settings
    engine: Engine
    uow_factory: UnitOfWorkFactory
    writer: TicketWriter
    queue: JobQueue
    processing: ProcessingService
    redis: Redis | None = None
    worker_id: str = ""
    slack: SlackWiring | None = None  # set when SLACK_BOT_TOKEN is (and jobs are not inline)
    publisher: TicketPublisher | None = None  # what approval hands a ticket to
    publishing: PublishingService | None = None  # the same, for what only the Jira publisher does (push jobs)


def build_writer(settings: Settings) -> TicketWriter:
    """The configured ticket writer; nothing is contacted here (health() makes the first call)."""
    if settings.llm_provider == "template":
        return TemplateWriter()
    if settings.llm_provider == "openai":
        from integrations.writers.openai_writer import OpenAIWriter  # the openai package takes ~0.5 s to import

        return OpenAIWriter(
            api_key=str(settings.openai_api_key),
            model=settings.openai_model,
            base_url=settings.openai_base_url or None,
            concurrency=settings.llm_concurrency,
            drupal_version=settings.drupal_version,
        )
    raise UnavailableWriter(
        f"LLM_PROVIDER={settings.llm_provider} is not available in this build; set LLM_PROVIDER=template"
    )


INLINE_CHECKPOINT_BATCH = 200  # in this process nobody else can take the run over: commit in batches


def processing_config(settings: Settings, inline: bool = False) -> ProcessingConfig:
    config = ProcessingConfig(lease_s=settings.lease_seconds, queued_grace_s=settings.queued_grace_seconds,
                              max_job_s=settings.job_timeout_seconds,
                              checkpoint_batch=INLINE_CHECKPOINT_BATCH if inline else 1,
                              default_jira_project=settings.jira_project)
    return replace(config, llm_prices=settings.llm_prices) if settings.llm_prices else config


def make_redis(settings: Settings) -> Redis:
    from redis import Redis

    return Redis.from_url(settings.redis_url, socket_timeout=REDIS_TIMEOUT_S,
                          socket_connect_timeout=REDIS_TIMEOUT_S, health_check_interval=30)


def bootstrap(settings: Settings, *, inline: bool, notifier: RunNotifier | None = None,
              progress: ProgressCallback | None = None, migrate: bool = True,
              plan_cache: PlanCache | None = None) -> Services:
    """Wire everything once. `inline` runs jobs in this process (the CLI's embedded default).

    `plan_cache`: the CLI passes the cache it planned with, so the inline run reuses that plan.
    """
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    uow_factory = unit_of_work_factory(make_session_factory(engine))
    writer = build_writer(settings)
    worker_id = f"{socket.gethostname()}-{os.getpid()}"
    redis = None if inline else make_redis(settings)
    queue: JobQueue
    if inline:
        from jobs.worker.registry import JOBS  # the runs (RQ, jira) are imported only where jobs run

        queue = InlineQueue(JOBS)  # the registry's job functions, run here on the runtime configured below
    else:
        from jobs.tasks.rq_queue import RQJobQueue

        assert redis is not None
        queue = RQJobQueue(redis, settings.queue_name, settings.retry_intervals)
    config = processing_config(settings, inline)
    slack = None
    if settings.slack_bot_token and not inline and notifier is None:
        from bot.slack.wiring import build_slack

        slack = build_slack(settings, uow_factory, redis, config.max_generations)
        notifier = slack.notifier
    processing = ProcessingService(uow_factory=uow_factory, writer=writer, queue=queue, notifier=notifier,
                                   config=config,
                                   plan_cache=plan_cache or PlanCache(
                                       options=PlanOptions(merge_threshold=settings.merge_threshold)))
    publishing = build_publisher(settings, uow_factory=uow_factory, queue=queue, inline=inline, notifier=notifier)
    if inline:
        runtime.configure(runtime.WorkerRuntime(processing, worker_id, publishing=publishing, progress=progress))
    return Services(settings, engine, uow_factory, writer, queue, processing, redis, worker_id, slack=slack,
                    publisher=publishing, publishing=publishing)
