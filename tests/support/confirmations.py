"""Clicking a button as Slack sends it: a signed, form-encoded `block_actions` payload to `serve`."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

from tests.fakes.slack_server import TEAM_ID
from tests.support.slack import Answer, SlackDriver
from tests.support.workers import wait_for


def click(drive: SlackDriver, action_id: str, value: str, *, channel: str, user: str, response: str,
          message_ts: str = "", ephemeral: bool = True) -> Answer:
    """One button click; Slack's answers to it land in the fake's responses under `response`."""
    container = ({"type": "message", "message_ts": message_ts or drive.slack.next_ts(), "channel_id": channel,
                  "is_ephemeral": ephemeral})
    payload: dict[str, Any] = {
        "type": "block_actions", "team": {"id": TEAM_ID, "domain": "fake"},
        "user": {"id": user, "username": "someone", "team_id": TEAM_ID}, "api_app_id": "A0TEST",
        "token": "legacy-verification-token", "container": container,
        "trigger_id": f"{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}", "channel": {"id": channel, "name": "spec"},
        "response_url": drive.slack.response_url(response),
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b1", "value": value,
                     "text": {"type": "plain_text", "text": "Confirm"}, "action_ts": f"{time.time():.6f}"}],
    }
    if not ephemeral:
        payload["message"] = {"type": "message", "ts": container["message_ts"], "text": ""}
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return drive.serve.post_signed(body, "application/x-www-form-urlencoded")


def button_value(message: dict[str, Any], action_id: str) -> str:
    """The value of the button `action_id` in a message's (or an ephemeral's) blocks."""
    blocks = message.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    for block in blocks:
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button in {message!r}")


def wait_response(drive: SlackDriver, name: str, count: int = 1) -> dict[str, Any]:
    wait_for(lambda: len(drive.responses(name)) >= count, 30, f"answer {count} to {name}")
    return drive.responses(name)[count - 1]


def approve_everything(drive: SlackDriver, channel: str, progress_ts: str, *, user: str = "UALICE001",
                       response: str = "") -> None:
    """✅ on the progress message, then Confirm on the confirmation it answers with: approve-all as a person does."""
    from integrations.slack.action_ids import BULK_CONFIRM

    def asked() -> list[dict[str, Any]]:
        return [e for e in drive.slack.ephemerals
                if e.get("user") == user and BULK_CONFIRM in json.dumps(e.get("blocks"))]

    before = len(asked())
    assert drive.react(channel, progress_ts, "white_check_mark", user=user).status == 200
    wait_for(lambda: len(asked()) > before, 30, "the confirmation of approve-all")
    value = button_value(asked()[-1], BULK_CONFIRM)
    answer = click(drive, BULK_CONFIRM, value, channel=channel, user=user,
                   response=response or f"confirm-{uuid.uuid4().hex[:8]}")
    assert answer.status == 200
