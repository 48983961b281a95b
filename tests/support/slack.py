"""Driving the real `ticketbot serve` the way Slack does: signed form posts and event_callback envelopes."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.fakes.slack_server import TEAM_ID, FakeSlackServer
from tests.support.workers import ROOT, wait_for, worker_env

SIGNING_SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def slack_env(database_url: str, redis_url: str, slack: FakeSlackServer, **extra: str) -> dict[str, str]:
    """The environment of `serve` and `worker` processes talking to the fake Slack."""
    return worker_env(database_url, redis_url, **{
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.base_url,
        "SLACK_FILE_HOSTS": slack.file_host,
        "PORT": str(free_port()),
        "TICKETBOT_HOST": "127.0.0.1",
        "TICKETBOT_SLACK_POST_INTERVAL_MS": "20",
        "TICKETBOT_SLACK_QUIET_SECONDS": "5",
        **extra,
    })


def sign(body: bytes, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Slack's v0 request signature headers for `body`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Answer:
    status: int
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class ServeProcess:
    """`ticketbot serve` (HTTP mode) in its own process group, waited for until /healthz answers."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = int(env["PORT"])
        self.log_path = log_path
        self.log = log_path.open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "bot.cli.main", "serve"], cwd=ROOT, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for(self._healthy, 60, "ticketbot serve to answer /healthz", interval_s=0.1)
        except AssertionError:
            self.stop()
            raise AssertionError("ticketbot serve did not start:\n" + self.output()[-3000:]) from None

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError("ticketbot serve exited:\n" + self.output()[-3000:])
        try:
            return self.get("/healthz").status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    # ---- HTTP ---------------------------------------------------------------------------------------

    def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            data = response.read()
            return Answer(response.status, data, time.perf_counter() - started)
        finally:
            connection.close()

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post_signed(self, body: bytes, content_type: str, *, timestamp: int | None = None,
                    secret: str = SIGNING_SECRET, extra_headers: dict[str, str] | None = None) -> Answer:
        headers = {"Content-Type": content_type, **sign(body, timestamp, secret), **(extra_headers or {})}
        return self.request("POST", "/slack/events", body, headers)


def raw_post_head(headers: dict[str, str]) -> bytes:
    """The request line and headers of a hand-made POST /slack/events, for bodies no client would send."""
    return ("POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
            "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()


def answered_status(connection: socket.socket) -> int:
    """The status code of the answer on a raw connection (0 if it closed without one)."""
    answer = b""
    while b"\r\n" not in answer:
        data = connection.recv(4096)
        if not data:
            break
        answer += data
    return int(answer.split(b" ", 2)[1]) if answer else 0


def command_body(text: str, *, channel: str, user: str, response_url: str, trigger_id: str | None = None,
                 channel_name: str = "spec-review") -> bytes:
    """A slash command exactly as Slack posts it: form-encoded."""
    return urlencode({
        "token": "legacy-verification-token", "team_id": TEAM_ID, "team_domain": "fake",
        "channel_id": channel, "channel_name": channel_name, "user_id": user, "user_name": "someone",
        "command": "/generate-tickets", "text": text, "api_app_id": "A0TEST", "is_enterprise_install": "false",
        "response_url": response_url, "trigger_id": trigger_id or f"{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}",
    }).encode()


def event_body(event: dict[str, Any], *, event_id: str | None = None) -> bytes:
    """An Events API `event_callback` envelope around `event`."""
    return json.dumps({
        "token": "legacy-verification-token", "team_id": TEAM_ID, "api_app_id": "A0TEST", "event": event,
        "type": "event_callback", "event_id": event_id or f"Ev{uuid.uuid4().hex[:12].upper()}",
        "event_time": int(time.time()), "authorizations": [{"team_id": TEAM_ID, "user_id": "UBOT00001",
                                                              "is_bot": True}],
    }).encode()


def interaction_body(payload: dict[str, Any]) -> bytes:
    """An interactivity request exactly as Slack posts it: form-encoded, one `payload` field of JSON."""
    return urlencode({"payload": json.dumps(payload)}).encode()


def _user(user: str) -> dict[str, str]:
    return {"id": user, "username": "someone", "name": "someone", "team_id": TEAM_ID}


def block_actions_payload(message: dict[str, Any], action: dict[str, Any], *, user: str, trigger_id: str,
                          response_url: str, action_ts: str | None = None) -> dict[str, Any]:
    """A click on an element of a bot message, in the shape Slack sends (see slack-bolt's tests)."""
    channel = str(message["channel"])
    return {
        "type": "block_actions", "user": _user(user), "api_app_id": "A0TEST", "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": channel, "is_ephemeral": False,
                      **({"thread_ts": message["thread_ts"]} if message.get("thread_ts") else {})},
        "trigger_id": trigger_id, "team": {"id": TEAM_ID, "domain": "fake"}, "enterprise": None,
        "is_enterprise_install": False, "channel": {"id": channel, "name": "spec-review"},
        "message": {k: v for k, v in message.items() if k != "metadata"}, "state": {"values": {}},
        "response_url": response_url,
        "actions": [{**action, "action_ts": action_ts or f"{time.time():.6f}"}],
    }


def view_payload(kind: str, view: dict[str, Any], values: dict[str, dict[str, dict[str, Any]]], *,
                 user: str) -> dict[str, Any]:
    """A view_submission (or view_closed) of an opened modal, `values` as view.state.values."""
    body: dict[str, Any] = {
        "type": kind, "team": {"id": TEAM_ID, "domain": "fake"}, "user": _user(user), "api_app_id": "A0TEST",
        "token": "legacy-verification-token", "enterprise": None, "is_enterprise_install": False,
        "view": {**view, "state": {"values": values}, "previous_view_id": None, "root_view_id": view["id"],
                 "clear_on_close": False, "external_id": ""},
    }
    if kind == "view_submission":
        body.update({"trigger_id": f"{int(time.time())}.1.{uuid.uuid4().hex}", "response_urls": []})
    else:
        body["is_cleared"] = False
    return body


def text_value(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def select_value(value: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": value},
                                                         "value": value}}


def checkbox_value(*values: str) -> dict[str, Any]:
    return {"type": "checkboxes", "selected_options": [{"text": {"type": "plain_text", "text": v}, "value": v}
                                                       for v in values]}


class SlackDriver:
    """What Slack would send to the bot, for one serve process."""

    def __init__(self, serve: ServeProcess, slack: FakeSlackServer) -> None:
        self.serve = serve
        self.slack = slack

    def command(self, text: str, *, channel: str, user: str = "UALICE001", trigger_id: str | None = None,
                response: str | None = None) -> Answer:
        body = command_body(text, channel=channel, user=user, trigger_id=trigger_id,
                            response_url=self.slack.response_url(response or uuid.uuid4().hex[:8]))
        return self.serve.post_signed(body, "application/x-www-form-urlencoded")

    def event(self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None) -> Answer:
        extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"} if retry_num else {}
        return self.serve.post_signed(event_body(event, event_id=event_id), "application/json", extra_headers=extra)

    def share_files(self, channel: str, files: dict[str, bytes], *, user: str = "UALICE001",
                    also_file_shared: bool = True) -> str:
        """A user drops files into `channel`: the file_share message and (as Slack does) file_shared events."""
        ts = self.slack.next_ts()
        ids = []
        for name, data in files.items():
            file_id = f"F{uuid.uuid4().hex[:10].upper()}"
            self.slack.add_file(file_id, name, data, shares={channel: ts})
            ids.append(file_id)
        message = {"type": "message", "subtype": "file_share", "channel": channel, "user": user, "ts": ts,
                   "text": "", "files": [{"id": i, "mode": "hosted"} for i in ids], "channel_type": "channel"}
        assert self.event(message).status == 200
        if also_file_shared:
            for file_id in ids:
                assert self.event({"type": "file_shared", "file_id": file_id, "user_id": user, "channel_id": channel,
                                   "file": {"id": file_id}, "event_ts": ts}).status == 200
        return ts

    def react(self, channel: str, ts: str, reaction: str, *, user: str = "UALICE001",
              event_id: str | None = None, retry_num: int | None = None, removed: bool = False) -> Answer:
        return self.event({"type": "reaction_removed" if removed else "reaction_added", "user": user,
                           "reaction": reaction, "item_user": "UBOT00001",
                           "item": {"type": "message", "channel": channel, "ts": ts}, "event_ts": str(time.time())},
                          event_id=event_id, retry_num=retry_num)

    def click(self, message: dict[str, Any], action_id: str, *, user: str = "UALICE001",
              action_ts: str | None = None, trigger_id: str | None = None) -> Answer:
        """A click on the button `action_id` of `message` (as the fake Slack holds it)."""
        element = next((e for b in message.get("blocks") or [] if b.get("type") == "actions"
                        for e in b.get("elements") or [] if e.get("action_id") == action_id), None)
        assert element is not None, f"no {action_id} button on the message"
        block_id = next(b.get("block_id", "") for b in message["blocks"] if element in (b.get("elements") or []))
        action = {"type": "button", "action_id": action_id, "block_id": block_id, "text": element["text"],
                  "value": element["value"]}
        return self.interact(block_actions_payload(message, action, user=user, action_ts=action_ts,
                                                   trigger_id=trigger_id or self.slack.issue_trigger(),
                                                   response_url=self.slack.response_url(uuid.uuid4().hex[:8])))

    def choose(self, message: dict[str, Any], action_id: str, value: str, *, user: str = "UALICE001") -> Answer:
        """An overflow menu's option chosen on `message` (the menu need not be on it: a digest line's is)."""
        action = {"type": "overflow", "action_id": action_id, "block_id": "menu",
                  "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value}}
        return self.interact(block_actions_payload(message, action, user=user, trigger_id=self.slack.issue_trigger(),
                                                   response_url=self.slack.response_url(uuid.uuid4().hex[:8])))

    def submit(self, view: dict[str, Any], values: dict[str, dict[str, Any]], *, user: str = "UALICE001") -> Answer:
        """The modal `view` submitted with {block_id: value} (one element per input block)."""
        state = {block_id: {block_id: value} for block_id, value in values.items()}
        return self.interact(view_payload("view_submission", view, state, user=user))

    def close(self, view: dict[str, Any], *, user: str = "UALICE001") -> Answer:
        return self.interact(view_payload("view_closed", view, {}, user=user))

    def interact(self, payload: dict[str, Any]) -> Answer:
        return self.serve.post_signed(interaction_body(payload), "application/x-www-form-urlencoded")

    def responses(self, name: str) -> list[dict[str, Any]]:
        return [r for r in self.slack.responses if r["url"].endswith("/" + name)]


def texts(message: dict[str, Any]) -> str:
    """Every piece of text a message shows (fallback text and each block's text), joined."""
    parts = [str(message.get("text", ""))]
    for block in message.get("blocks") or []:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"].get("text", ""))
        for element in block.get("elements") or []:
            if isinstance(element, dict):
                parts.append(str(element.get("text", "")))
    return "\n".join(parts)
