"""The Slack side of a process, built once from the settings when SLACK_BOT_TOKEN is set."""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis

from bot.wiring.settings import Settings
from integrations.slack.files import FileDownloader
from integrations.slack.gateway import SlackGateway
from integrations.slack.pacing import LocalPostPacer, PostPacer, RedisPostPacer
from integrations.spec.decoding import DEFAULT_LIMITS
from jobs.thread.notifier import NotifierConfig, SlackRunNotifier
from jobs.thread.outbox import SlackThread, ThreadConfig
from storage.uow import UnitOfWorkFactory


@dataclass(frozen=True)
class SlackWiring:
    gateway: SlackGateway
    thread: SlackThread
    notifier: SlackRunNotifier
    downloader: FileDownloader


def build_slack(settings: Settings, uow_factory: UnitOfWorkFactory, redis: Redis | None,
                max_generations: int = 3) -> SlackWiring:
    """Gateway (SLACK_API_URL, paced posts shared through Redis), thread, notifier, downloader. No I/O."""
    interval = settings.slack_post_interval_ms / 1000
    pacer: PostPacer = RedisPostPacer(redis, interval) if redis is not None else LocalPostPacer(interval)
    gateway = SlackGateway.create(token=str(settings.slack_bot_token), base_url=settings.slack_api_url, pacer=pacer)
    thread = SlackThread(uow_factory=uow_factory, gateway=gateway,
                         config=ThreadConfig(max_generations=max_generations, jira_browse_url=settings.jira_url,
                                             stale_intent_s=float(settings.slack_quiet_seconds),
                                             digest_threshold=settings.digest_threshold))
    notifier = SlackRunNotifier(thread, NotifierConfig(interval_s=settings.slack_progress_interval_ms / 1000))
    downloader = FileDownloader(token=str(settings.slack_bot_token), allowed_hosts=settings.slack_file_hosts,
                                max_bytes=DEFAULT_LIMITS.max_file_bytes)
    return SlackWiring(gateway, thread, notifier, downloader)
