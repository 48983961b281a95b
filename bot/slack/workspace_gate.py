"""One global Bolt middleware: only the bot's own Slack app and workspace may use it.

A valid signature proves only that Slack sent the request for *this app*; a distributed app, another
installation or a Slack Connect channel can still bring requests from other teams. Each request's
`api_app_id`, team and enterprise (and, in shared channels, the acting user's team) are compared with
what `auth.test` says about the bot token (asked once, then kept). Users of other teams (Slack Connect
guests) are refused unless TICKETBOT_ALLOW_SLACK_CONNECT=true; another workspace's installation and
another app are refused always.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltContext, BoltRequest, BoltResponse

from bot.slack import replies

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Workspace:
    """Who the bot token belongs to, from auth.test."""

    team_id: str
    enterprise_id: str = ""
    app_id: str = ""  # auth.test names it for bot tokens; when absent, api_app_id is not compared
    org_install: bool = False

    @classmethod
    def from_auth_test(cls, answer: dict[str, Any]) -> Workspace:
        return cls(team_id=str(answer.get("team_id") or ""), enterprise_id=str(answer.get("enterprise_id") or ""),
                   app_id=str(answer.get("app_id") or ""), org_install=bool(answer.get("is_enterprise_install")))

    def includes(self, team_id: str | None, enterprise_id: str | None) -> bool:
        if self.enterprise_id and enterprise_id and enterprise_id != self.enterprise_id:
            return False
        if team_id and team_id == self.team_id:
            return True
        return self.org_install and bool(enterprise_id) and enterprise_id == self.enterprise_id


class WorkspaceGate:
    """Decides whether a request comes from the bot's own app and workspace (auth.test asked once)."""

    def __init__(self, identify: Callable[[], Workspace], *, allow_slack_connect: bool) -> None:
        self.identify = identify
        self.allow_slack_connect = allow_slack_connect
        self.lock = threading.Lock()
        self.workspace: Workspace | None = None

    def own(self) -> Workspace:
        with self.lock:
            if self.workspace is None:
                self.workspace = self.identify()  # raises when Slack cannot say: then nothing is let in
            return self.workspace

    def refusal(self, body: dict[str, Any], context: BoltContext) -> str | None:
        """Why this request is refused, or None."""
        own = self.own()
        app_id = body.get("api_app_id")
        if own.app_id and app_id and app_id != own.app_id:
            return f"sent for another Slack app ({app_id})"
        if body.get("type") == "event_callback" and not own.includes(context.team_id, context.enterprise_id):
            return f"sent for another workspace's installation ({context.team_id or context.enterprise_id})"
        actor_team = context.actor_team_id or context.team_id
        actor_enterprise = context.actor_enterprise_id or context.enterprise_id
        if not own.includes(actor_team, actor_enterprise) and not self.allow_slack_connect:
            return f"from a user of another workspace ({actor_team or actor_enterprise})"
        return None

    def middleware(self, req: BoltRequest, context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
        if req.lazy_only:  # a listener process running work the acknowledging process already let in
            return next()
        try:
            why = self.refusal(req.body, context)
        except Exception as exc:  # auth.test failed: fail closed, and say so without any token
            log.error("refused a request: could not ask Slack who the bot is (%s)", type(exc).__name__)
            why = "the bot's own workspace is unknown"
        if why is None:
            return next()
        log.warning("refused %s from user %s: %s", req.body.get("command") or req.body.get("type") or "a request",
                    context.user_id or "?", why)
        return refusal_answer(is_command=bool(req.body.get("command")))


def refusal_answer(*, is_command: bool) -> BoltResponse:
    """What a refused request gets, from the middleware and from bot/slack/fast_ack.py alike: a command the
    guest answer, an event an empty 200 (so Slack does not send it again)."""
    if is_command:
        return BoltResponse(status=200, body=json.dumps({"response_type": "ephemeral", "text": replies.GUEST}),
                            headers={"content-type": "application/json"})
    return BoltResponse(status=200, body="")
