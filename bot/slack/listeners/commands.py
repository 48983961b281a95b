"""`/generate-tickets`: parsed and acknowledged at once; the work runs after the acknowledgement."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.slack import replies
from bot.slack.command_handlers import CommandRequest
from bot.slack.context import SlackBot
from bot.slack.slash import parse_command
from integrations.slack.blocks import Message, help_message, notice
from jobs.conversation.channels import ChannelAccess

COMMAND = "/generate-tickets"
MAX_ANSWERS = 5  # a response_url takes five answers


def answer_in_acknowledgement(access: ChannelAccess, command: dict[str, Any]) -> Message | None:
    """What the acknowledgement itself answers (a channel not ours, help, a usage mistake); None: just ack,
    the work follows. Used by the Bolt listener and by the acknowledging process's fast path alike."""
    parsed = parse_command(command.get("text", ""))
    if not access.allowed(command.get("channel_id", "")):
        return notice(replies.NOT_HERE)  # which channels are allowed is no business of whoever asks
    if parsed.name == "help":
        return help_message()
    if parsed.name == "usage":
        return notice(replies.usage(parsed.problem))
    return None


def register(app: App, bot: SlackBot) -> None:
    def acknowledge(ack: Ack, command: dict[str, Any]) -> None:
        """Within Slack's 3 s (in fact ~ms): usage mistakes and help answered here, the rest acknowledged."""
        answer = answer_in_acknowledgement(bot.access, command)
        if answer is None:
            ack()
        else:
            ack(text=answer.text, blocks=answer.blocks, response_type="ephemeral")

    def run(command: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        parsed = parse_command(command.get("text", ""))
        channel = command.get("channel_id", "")
        if not bot.access.allowed(channel) or parsed.name in ("help", "usage"):
            return  # answered in the acknowledgement
        if not bot.access.first_time(f"command:{command.get('trigger_id', '')}", "command"):
            return  # the same request delivered again
        request = CommandRequest(channel, command.get("channel_name", ""), command.get("user_id", ""),
                                 command.get("team_id", ""))
        try:
            answers = bot.commands.run(parsed, request)
        except Exception as exc:  # the one error handler answers, with a reference for unknown errors
            bot.report_error(exc, body)
            return
        for answer in answers[:MAX_ANSWERS]:
            respond(text=answer.text, blocks=answer.blocks, response_type="ephemeral", replace_original=False)

    app.command(COMMAND)(ack=acknowledge, lazy=[run])
