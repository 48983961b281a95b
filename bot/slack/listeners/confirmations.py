"""Bulk confirmations: "Approve this group" asks for one; Confirm / Cancel decide it, once, for approvers.

Interactive payloads (`block_actions`) arrive on the same endpoint, past the same signature and workspace
gates; each is acknowledged at once and the work runs after. The confirmation is ephemeral (shown to the
person who asked); once decided, its message is replaced through the payload's `response_url`.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.slack.context import SlackBot
from integrations.slack.action_ids import BULK_CANCEL, BULK_CONFIRM, GROUP_APPROVE, parse_group_value
from integrations.slack.blocks import notice
from integrations.slack.confirmation_blocks import confirmation_message, decided_message
from jobs.conversation.confirmations import BulkAction


def _action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions") or [{}]
    return actions[0] if isinstance(actions[0], dict) else {}


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id", ""))


def _channel(body: dict[str, Any]) -> str:
    return str((body.get("channel") or {}).get("id", "") or (body.get("container") or {}).get("channel_id", ""))


def register(app: App, bot: SlackBot) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def on_group_approve(body: dict[str, Any], respond: Respond) -> None:
        parsed = parse_group_value(str(_action(body).get("value", "")))
        channel, user = _channel(body), _user(body)
        if parsed is None or not bot.access.allowed(channel):
            return  # a forged or stale button: nothing of ours
        session_id, group = parsed
        try:
            if not bot.access.may_change(channel, user):
                respond(text=bot.review.not_allowed(channel, "approve a group"), response_type="ephemeral",
                        replace_original=False)
                return
            asked = bot.confirmations.ask(session_id, user, BulkAction.APPROVE_GROUP, group)
            answer = confirmation_message(asked.view) if asked.view is not None else notice(asked.note)
            respond(text=answer.text, blocks=answer.blocks, response_type="ephemeral", replace_original=False)
        except Exception as exc:
            bot.report_error(exc, body)

    def decide(body: dict[str, Any], respond: Respond, *, confirm: bool) -> None:
        value = str(_action(body).get("value", ""))
        if not value.isdigit():
            return
        try:
            decided = bot.confirmations.decide(int(value), _user(body), confirm=confirm)
            if decided.refused:  # the confirmation stays for its approver; the clicker is told why
                respond(text=decided.text, response_type="ephemeral", replace_original=False)
                return
            answer = decided_message(decided.text)
            respond(text=answer.text, blocks=answer.blocks, replace_original=True)
        except Exception as exc:
            bot.report_error(exc, body)

    def on_confirm(body: dict[str, Any], respond: Respond) -> None:
        decide(body, respond, confirm=True)

    def on_cancel(body: dict[str, Any], respond: Respond) -> None:
        decide(body, respond, confirm=False)

    app.action(GROUP_APPROVE)(ack=acknowledge, lazy=[on_group_approve])
    app.action(BULK_CONFIRM)(ack=acknowledge, lazy=[on_confirm])
    app.action(BULK_CANCEL)(ack=acknowledge, lazy=[on_cancel])
