"""The Bolt app, built once per process from the wired services.

Every request is acknowledged at once (process_before_response with lazy listeners: the HTTP answer
never waits for the work); the work runs on the listener threads. One error handler turns failures
into a plain ephemeral answer with a correlation id that is also in the log.
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from slack_bolt import App

from bot.slack.command_handlers import SlashCommands
from bot.slack.wiring import SlackWiring
from bot.slack.workspace_gate import Workspace, WorkspaceGate
from bot.wiring.bootstrap import Services
from integrations.slack.blocks import notice
from integrations.slack.errors import SlackError
from integrations.slack.text import escape
from jobs.conversation.channels import ChannelAccess
from jobs.conversation.publisher_port import TicketPublisher
from jobs.conversation.reactions import ReviewService
from jobs.conversation.uploads import UploadService
from jobs.errors import ProcessingError

log = logging.getLogger(__name__)

LISTENER_THREADS = 16


@dataclass
class SlackBot:
    """Everything the listeners use."""

    services: Services
    slack: SlackWiring
    access: ChannelAccess
    publisher: TicketPublisher
    uploads: UploadService
    review: ReviewService
    commands: SlashCommands

    def first_time(self, event_id: str, kind: str) -> bool:
        """Record a Slack event (or command trigger) id; False when it was seen before (a retry)."""
        if not event_id:
            return True
        with self.services.uow_factory() as uow:
            first = uow.events.first_time(event_id, kind)
            uow.commit()
            return first

    def report_error(self, error: BaseException, body: dict[str, Any]) -> str:
        """The ONE error handler: plain words for known errors, a correlation id for the rest."""
        if isinstance(error, ProcessingError):
            text = error.message.strip()  # it may quote what the person typed: shown inert
            message = escape(text[:1].upper() + text[1:])
        else:
            reference = uuid.uuid4().hex[:10]
            what = body.get("command") or (body.get("event") or {}).get("type") or body.get("type", "request")
            log.error("handling %s failed [ref %s]", what, reference, exc_info=error)
            message = (f"Something went wrong on our side. An admin can find the details in the logs under "
                       f"reference {reference}.")
        self.tell(body, message)
        return message

    def tell(self, body: dict[str, Any], message: str) -> None:
        event = body.get("event") or {}
        channel = body.get("channel_id") or event.get("channel") or (event.get("item") or {}).get("channel") \
            or event.get("channel_id")
        user = body.get("user_id") or event.get("user") or event.get("user_id")
        url = body.get("response_url")
        try:
            if url:
                from slack_sdk.webhook import WebhookClient

                WebhookClient(url, timeout=10).send(text=message, response_type="ephemeral")
            elif channel and user:
                self.slack.gateway.post_ephemeral(str(channel), str(user), notice(message))
        except (SlackError, OSError) as exc:
            log.warning("could not tell the user about an error: %s", exc)


def build_bot(services: Services) -> SlackBot:
    if services.slack is None:
        raise RuntimeError("the Slack bot needs SLACK_BOT_TOKEN and a queue (not inline jobs)")
    settings = services.settings
    slack = services.slack
    access = ChannelAccess(uow_factory=services.uow_factory, channels=settings.channels,
                           approvers=settings.approvers, admins=settings.admins,
                           default_project=settings.jira_project)
    publisher = services.publisher
    if publisher is None:
        raise RuntimeError("the Slack bot needs the ticket publisher (bootstrap wires it)")
    uploads = UploadService(uow_factory=services.uow_factory, gateway=slack.gateway, downloader=slack.downloader,
                            thread=slack.thread, access=access, plan_cache=services.processing.plan_cache)
    review = ReviewService(uow_factory=services.uow_factory, processing=services.processing, publisher=publisher,
                           thread=slack.thread, access=access)
    commands = SlashCommands(services=services, thread=slack.thread, access=access, publisher=publisher)
    return SlackBot(services, slack, access, publisher, uploads, review, commands)


def workspace_gate(bot: SlackBot) -> WorkspaceGate:
    """Who may use the bot: its own app and workspace, from auth.test (through SLACK_API_URL), asked once."""
    def who_we_are() -> Workspace:
        answer = bot.slack.gateway.client.auth_test().data
        return Workspace.from_auth_test(answer if isinstance(answer, dict) else {})

    return WorkspaceGate(who_we_are, allow_slack_connect=bot.services.settings.allow_slack_connect)


def build_app(bot: SlackBot, gate: WorkspaceGate | None = None) -> App:
    """The Bolt app with every listener registered; App() calls auth.test (through SLACK_API_URL) here.

    Bolt never checks a signature itself: over HTTP the gate in front of it (bot/slack/request_gate.py) verified
    the raw bytes once, in the acknowledging process; a listener process running the work minutes later
    must not refuse it for its by-then old timestamp (Slack was told 200 and will not send it again);
    Socket Mode has no signatures.
    """
    from bot.slack.listeners import commands, events, reactions, uploads

    settings = bot.services.settings
    app = App(
        client=bot.slack.gateway.client,
        signing_secret=str(settings.slack_signing_secret) or "socket-mode-has-no-signing-secret",
        request_verification_enabled=False,
        process_before_response=True,
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="slack-listener"),
        logger=logging.getLogger("slack_bolt.App"),
    )
    gate = gate or workspace_gate(bot)
    app.use(gate.middleware)  # before every listener: only this app and workspace get through
    commands.register(app, bot)
    uploads.register(app, bot)
    reactions.register(app, bot)
    events.register(app, bot)  # last: the catch-all no-op for anything else Slack sends

    @app.error
    def handle_error(error: Exception, body: dict[str, Any]) -> None:
        bot.report_error(error, body)

    return app
