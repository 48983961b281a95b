"""`ticketbot serve` pieces that need no process: the settings it demands, and the WSGI routing."""

from __future__ import annotations

import io
import wsgiref.util
from typing import Any

from bot.serve import serve_problems, wsgi_app
from bot.settings import Secret, Settings
from bot.slack_gate import SlackRequestGate


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

    from bot.app import SlackBot
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
