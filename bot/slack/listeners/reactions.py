"""Reactions on drafts and on the progress message; a removed reaction undoes nothing."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.slack.context import SlackBot
from integrations.slack.blocks import notice
from jobs.conversation.reactions import Reaction


def register(app: App, bot: SlackBot) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def on_reaction_added(body: dict[str, Any], event: dict[str, Any]) -> None:
        if not bot.access.first_time(str(body.get("event_id", "")), "reaction_added"):
            return  # the same event again (a Slack retry): it acted once already
        item = event.get("item") or {}
        if item.get("type") != "message" or not item.get("channel") or not item.get("ts"):
            return
        reaction = Reaction(str(item["channel"]), str(item["ts"]), str(event.get("user", "")),
                            str(event.get("reaction", "")))
        try:
            outcome = bot.review.react(reaction)
            if outcome.confirmation is not None:  # in the thread, to the approver who asked only
                bot.slack.gateway.post_ephemeral(reaction.channel, reaction.user, outcome.confirmation,
                                                 thread_ts=bot.review.thread_of(outcome.session_id))
            elif outcome.ephemeral:
                bot.slack.gateway.post_ephemeral(reaction.channel, reaction.user, notice(outcome.ephemeral))
        except Exception as exc:
            bot.report_error(exc, body)

    app.event("reaction_added")(ack=acknowledge, lazy=[on_reaction_added])
    # Removing ✅ after a push must not look like it undid anything: nothing happens.
    app.event("reaction_removed")(ack=acknowledge, lazy=[])
