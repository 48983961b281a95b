"""Slack requests acknowledged without running Bolt in the acknowledging process.

Slack wants an answer within 3 s, and ticketbot's listeners answer from almost nothing: an event is
always an empty 200 (its listeners only `ack()` before their lazy work), and `/generate-tickets` is an
empty 200 too unless the acknowledgement itself answers (a channel not ours, help, a usage mistake:
`answer_in_acknowledgement` in bot/slack/listeners/commands.py decides, for Bolt's listener as for this).
So for these two the acknowledging process skips Bolt's middleware chain and listener matching: it
checks the workspace with the same `WorkspaceGate` the Bolt middleware uses, hands the verified request
whole to the listener processes, and answers. A listener process dispatches it through its own App,
where the listeners' ack and lazy parts, dedupe and every rule run exactly as before.

Everything else (`url_verification`, `ssl_check`, other commands, interactivity) goes through Bolt
here. The signature was checked on the raw bytes before any of this (bot/slack/request_gate.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_sdk.models.blocks import Block

from bot.slack.listener_pool import QueueLazyListenerRunner
from bot.slack.workspace_gate import WorkspaceGate, refusal_answer
from integrations.slack.blocks import Message

log = logging.getLogger(__name__)

COMMAND = "/generate-tickets"
_EVENT_MARK = '"event_callback"'  # every event envelope says "type": "event_callback"
_COMMAND_MARK = "command=%2Fgenerate-tickets"  # the form field of a slash command, URL-encoded
AnswerCommand = Callable[[dict[str, Any]], Message | None]


class FastAck:
    """Answers events and `/generate-tickets` without Bolt: workspace check, hand-over, acknowledgement."""

    def __init__(self, workspace: WorkspaceGate, runner: QueueLazyListenerRunner,
                 answer_command: AnswerCommand) -> None:
        self.workspace = workspace
        self.runner = runner
        self.answer_command = answer_command

    def take(self, body: str, headers: dict[str, str | Sequence[str]]) -> BoltResponse | None:
        """The acknowledgement, or None for anything Bolt must answer itself."""
        is_event = _EVENT_MARK in body and body.lstrip().startswith("{")
        if not is_event and _COMMAND_MARK not in body:
            return None
        request = BoltRequest(body=body, headers=headers)
        payload = request.body
        if not isinstance(payload, dict):
            return None
        if is_event and payload.get("type") != "event_callback":
            return None
        if not is_event and payload.get("command") != COMMAND:
            return None
        why = self._refusal(request)
        if why is not None:
            log.warning("refused %s from user %s: %s", payload.get("command") or "an event",
                        request.context.user_id or "?", why)
            return refusal_answer(is_command=not is_event)
        answer = None if is_event else self.answer_command(payload)
        if answer is not None:
            return _ephemeral(answer)  # answered here; the listener has nothing left to do
        self.runner.relay(request)
        return _empty()

    def _refusal(self, request: BoltRequest) -> str | None:
        try:
            return self.workspace.refusal(request.body, request.context)
        except Exception as exc:  # auth.test failed: fail closed, as the middleware does
            log.error("refused a request: could not ask Slack who the bot is (%s)", type(exc).__name__)
            return "the bot's own workspace is unknown"


def _empty() -> BoltResponse:
    return BoltResponse(status=200, body="")


def _ephemeral(answer: Message) -> BoltResponse:
    """The body Bolt's ack(text=, blocks=, response_type="ephemeral") gives."""
    blocks = [b.to_dict() if isinstance(b, Block) else b for b in answer.blocks]
    body: dict[str, Any] = {"text": answer.text, "response_type": "ephemeral", **({"blocks": blocks} if blocks else {})}
    return BoltResponse(status=200, body=json.dumps(body), headers={"content-type": "application/json"})
