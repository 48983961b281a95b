"""Every other event Slack may send gets a 200 and nothing else, so Slack never retries it."""

from __future__ import annotations

import re

from slack_bolt import Ack, App

from bot.slack.context import SlackBot


def register(app: App, bot: SlackBot) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    # Plain messages, thread replies, edits (the message_changed echoes of the bot's own edits), deletions.
    app.event("message")(ack=acknowledge, lazy=[])
    # Anything subscribed later and not handled: acknowledged, never a 404 (which Slack would retry).
    app.event(re.compile(r".*"))(ack=acknowledge, lazy=[])
