"""`ticketbot serve` pieces that need no process: the settings it demands, and the WSGI routing."""

from __future__ import annotations

import io
import wsgiref.util
from typing import Any

from bot.slack.request_gate import SlackRequestGate
from bot.slack.serve import serve_problems, wsgi_app
from bot.wiring.settings import Secret, Settings


def test_http_mode_needs_a_bot_token_and_a_signing_secret() -> None:
    problems = serve_problems(Settings())
    assert [p.split(":")[0] for p in problems] == ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]
    assert serve_problems(Settings(slack_bot_token=Secret("xoxb-1"), slack_signing_secret=Secret("s"))) == []


def test_socket_mode_needs_an_app_token_instead_of_the_signing_secret() -> None:
    assert serve_problems(Settings(slack_bot_token=Secret("xoxb-1"), slack_app_token=Secret("xapp-1"))) == []
    wrong = serve_problems(Settings(slack_bot_token=Secret("xoxp-1"), slack_app_token=Secret("xoxb-2")))
    assert [p.split(":")[0] for p in wrong] == ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"]
    assert not any("xoxp-1" in p or "xoxb-2" in p for p in wrong)  # never the secret itself


def call(app: Any, method: str, path: str) -> tuple[str, bytes]:
    environ: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": path, "wsgi.input": io.BytesIO(b"")}
    wsgiref.util.setup_testing_defaults(environ)
    seen: dict[str, str] = {}
    body = b"".join(app(environ, lambda status, headers: seen.update(status=status)))
    return seen["status"], body


def test_routes() -> None:
    healthy = {"ok": True}
    app = wsgi_app(object(), lambda: healthy["ok"],  # type: ignore[arg-type]  # Slack's path is not called here
                   gate=SlackRequestGate("secret"))
    assert call(app, "GET", "/healthz") == ("200 OK", b'{"ok": true}')
    healthy["ok"] = False
    assert call(app, "GET", "/healthz") == ("503 Service Unavailable", b'{"ok": false}')
    assert call(app, "GET", "/slack/events")[0] == "404 Not Found"
    assert call(app, "POST", "/other")[0] == "404 Not Found"


def test_liveness_and_readiness_are_separate_and_served_without_slack_routes() -> None:
    state = {"alive": True, "ready": False}
    app = wsgi_app(None, lambda: state["alive"], lambda: state["ready"])  # Socket Mode: probes only
    assert call(app, "GET", "/healthz") == ("200 OK", b'{"ok": true}')
    assert call(app, "GET", "/readyz") == ("503 Service Unavailable", b'{"ok": false}')
    state["ready"] = True
    assert call(app, "GET", "/readyz") == ("200 OK", b'{"ok": true}')
    assert call(app, "POST", "/slack/events")[0] == "404 Not Found"


def test_the_error_handler_tells_the_user_a_reference_that_is_in_the_log(caplog) -> None:  # type: ignore[no-untyped-def]
    """One handler: known errors in plain words, unknown ones with a correlation id shown and logged."""
    from types import SimpleNamespace

    from bot.slack.context import SlackBot
    from jobs.errors import Category, ProcessingError
    from tests.fakes.slack_server import FakeSlackServer

    with FakeSlackServer() as slack:
        bot = SimpleNamespace(slack=None, tell=lambda body, message: SlackBot.tell(bot, body, message))  # type: ignore[arg-type]
        body = {"command": "/generate-tickets", "response_url": slack.response_url("err"), "channel_id": "C1",
                "user_id": "U1"}
        known = SlackBot.report_error(bot, ProcessingError("nothing to retry", Category.USER_FIXABLE), body)  # type: ignore[arg-type]
        assert known == "Nothing to retry"
        unknown = SlackBot.report_error(bot, RuntimeError("boom xoxb-secret"), body)  # type: ignore[arg-type]
        reference = unknown.rsplit(" ", 1)[1].rstrip(".")
        assert [r["text"] for r in slack.responses] == ["Nothing to retry", unknown]
        assert any(reference in r.getMessage() for r in caplog.records)
        assert "boom" not in unknown


# ---- events and /generate-tickets acknowledged without Bolt (bot/slack/fast_ack.py) ------------------------------


def relay_with_queue(allow_slack_connect: bool = False) -> tuple[Any, Any]:
    import queue
    import threading

    from bot.slack.fast_ack import FastAck
    from bot.slack.listener_pool import QueueLazyListenerRunner
    from bot.slack.listeners.commands import answer_in_acknowledgement
    from bot.slack.workspace_gate import Workspace, WorkspaceGate
    from jobs.conversation.channels import ChannelAccess

    calls: queue.Queue[Any] = queue.Queue(2)
    told: list[str] = []
    runner = QueueLazyListenerRunner(calls, lambda body, message: told.append(message), threading.Event())
    gate = WorkspaceGate(lambda: Workspace("T0OURS", app_id="A0OURS"), allow_slack_connect=allow_slack_connect)
    access = ChannelAccess(uow_factory=None, channels=("C1",))  # type: ignore[arg-type]  # allowed() needs no db
    return FastAck(gate, runner, lambda command: answer_in_acknowledgement(access, command)), calls


def envelope(team: str = "T0OURS", event: dict[str, Any] | None = None) -> str:
    import json

    return json.dumps({"type": "event_callback", "team_id": team, "api_app_id": "A0OURS", "event_id": "Ev1",
                       "event": event or {"type": "reaction_added", "user": "U1", "reaction": "white_check_mark",
                                          "item": {"type": "message", "channel": "C1", "ts": "1.2"}}})


def test_an_event_is_answered_200_and_handed_whole_to_the_listener_processes() -> None:
    from bot.slack.listener_pool import RELAYED

    relay, calls = relay_with_queue()
    body = envelope()
    answer = relay.take(body, {"content-type": "application/json"})
    assert answer is not None and (answer.status, answer.body) == (200, "")
    call = calls.get_nowait()
    assert (call.body, call.function, call.mode) == (body, RELAYED, "http")
    assert "x-slack-bolt-lazy-only" not in call.headers  # dispatched whole there: ack, lazy, dedupe
    assert call.request().body["event"]["type"] == "reaction_added"


def test_an_event_of_another_workspace_is_answered_200_and_never_handed_on() -> None:
    relay, calls = relay_with_queue()
    answer = relay.take(envelope(team="T0OTHER"), {"content-type": "application/json"})
    assert answer is not None and answer.status == 200
    assert calls.empty()


def test_anything_but_an_event_or_our_command_is_left_to_bolt() -> None:
    relay, calls = relay_with_queue()
    for body in ('{"type": "url_verification", "challenge": "c"}',
                 '{"type": "block_actions", "note": "event_callback"}'):
        assert relay.take(body, {"content-type": "application/json"}) is None
    assert relay.take("command=%2Fother&text=x", FORM) is None
    assert calls.empty()


FORM = {"content-type": "application/x-www-form-urlencoded"}


def command(text: str, channel: str = "C1", team: str = "T0OURS") -> str:
    from urllib.parse import urlencode

    return urlencode({"command": "/generate-tickets", "text": text, "channel_id": channel, "user_id": "U1",
                      "team_id": team, "api_app_id": "A0OURS", "trigger_id": "1.2.abc",
                      "response_url": "https://hooks.slack.com/commands/1"})


def test_our_command_is_acknowledged_here_and_its_work_handed_on_whole() -> None:
    from bot.slack.listener_pool import RELAYED

    relay, calls = relay_with_queue()
    answer = relay.take(command("status"), FORM)
    assert answer is not None and (answer.status, answer.body) == (200, "")
    call = calls.get_nowait()
    assert call.function == RELAYED and call.request().body["text"] == "status"


def test_help_usage_and_other_channels_are_answered_in_the_acknowledgement_and_not_handed_on() -> None:
    import json

    relay, calls = relay_with_queue()
    help_answer = relay.take(command("help"), FORM)
    assert help_answer is not None and json.loads(help_answer.body)["response_type"] == "ephemeral"
    assert "/generate-tickets" in json.loads(help_answer.body)["text"] and json.loads(help_answer.body)["blocks"]
    elsewhere = relay.take(command("status", channel="C9"), FORM)
    assert elsewhere is not None and "I do not work in this channel" in json.loads(elsewhere.body)["text"]
    guest = relay.take(command("status", team="T0OTHER"), FORM)
    assert guest is not None and "only works for members of its own Slack workspace" in guest.body
    assert calls.empty()


def test_an_event_that_cannot_be_queued_is_still_answered_and_the_loss_is_logged(caplog: Any) -> None:
    relay, calls = relay_with_queue()
    for _ in range(3):  # the queue holds two
        assert relay.take(envelope(), {"content-type": "application/json"}) is not None
    assert calls.qsize() == 2
    assert "the listener queue is full" in caplog.text
