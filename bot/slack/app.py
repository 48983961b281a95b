"""The Bolt app, built once per process from the wired services.

Every request is acknowledged at once (process_before_response with lazy listeners: the HTTP answer
never waits for the work); the work runs on the listener threads. One error handler turns failures
into a plain ephemeral answer with a correlation id that is also in the log (SlackBot.report_error,
in bot/slack/context.py, which the listeners share).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App

from bot.slack.command_handlers import SlashCommands
from bot.slack.context import SlackBot
from bot.slack.listeners import actions, commands, confirmations, events, reactions, uploads
from bot.slack.workspace_gate import Workspace, WorkspaceGate
from bot.wiring.bootstrap import Services
from jobs.conversation.channels import ChannelAccess
from jobs.conversation.confirmations import BulkConfirmations
from jobs.conversation.reactions import ReviewService
from jobs.conversation.uploads import UploadService

LISTENER_THREADS = 16


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
    if services.publishing is None:
        raise RuntimeError("the Slack bot needs the publishing service (bootstrap wires it)")
    bulk = BulkConfirmations(uow_factory=services.uow_factory, publishing=services.publishing, access=access,
                             thread=slack.thread, ttl_s=settings.confirm_seconds)
    review = ReviewService(uow_factory=services.uow_factory, processing=services.processing, publisher=publisher,
                           thread=slack.thread, access=access, confirmations=bulk)
    commands = SlashCommands(services=services, thread=slack.thread, access=access, publisher=publisher,
                             confirmations=bulk, uploads=uploads)
    return SlackBot(services, slack, access, publisher, uploads, review, commands, bulk)


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
    confirmations.register(app, bot)
    actions.register(app, bot)  # buttons, overflow menus, modals, 🔁 replies
    events.register(app, bot)  # last: the catch-all no-op for anything else Slack sends

    @app.error
    def handle_error(error: Exception, body: dict[str, Any]) -> None:
        bot.report_error(error, body)

    return app
