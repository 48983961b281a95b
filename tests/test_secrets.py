"""Secrets in settings are never shown or logged: URLs by scheme and host only, secret values redacted.

Through the real interfaces: `ticketbot doctor` and a malformed setting as subprocesses, the log lines
of a real run, and a signed `/generate-tickets health` (which anyone in a channel may run) to `serve`.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from bot.wiring.logging_setup import configure_logging, redact
from bot.wiring.settings import Settings
from tests.fakes.jira_server import FakeJiraServer
from tests.fakes.slack_server import FakeSlackServer
from tests.support.slack import BOT_TOKEN, SIGNING_SECRET, free_port
from tests.support.slack_stack import new_channel, running_stack
from tests.support.workers import ROOT, wait_for, worker_env

JIRA_PASSWORD = "jira-url-pw@with-an-at"  # a password may hold '@': the userinfo ends at the LAST '@'
SLACK_PASSWORD = "slack-url-pw@tail-of-the-password"


def cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli.main", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def with_userinfo(url: str, user: str, password: str) -> str:
    return url.replace("://", f"://{user}:{password}@", 1)


def pieces(password: str) -> list[str]:
    """The password and each part between its '@'s: a redaction that stops at the first '@' leaks the rest."""
    return [password, *password.split("@")]


# ---- messages and diagnostics: scheme and host only ------------------------------------------------------


def test_doctor_shows_jira_and_slack_by_scheme_and_host_only(pg_url: str, redis_url: str) -> None:
    with FakeJiraServer("cloud") as jira, FakeSlackServer(token=BOT_TOKEN) as slack:
        env = worker_env(pg_url, redis_url, **jira.env(JIRA_URL=with_userinfo(jira.url, "bot", JIRA_PASSWORD)),
                         SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=with_userinfo(slack.base_url, "bot", SLACK_PASSWORD))
        result = cli(["doctor"], env)
    assert f"✓ Jira: Cloud at {jira.url}, project RPL ready" in result.stdout, result.stdout
    slack_line = next(line for line in result.stdout.splitlines() if "Slack" in line)
    assert "bot:" not in slack_line and slack_line.startswith("✗ Slack: cannot reach Slack at http://127.0.0.1:")
    shown = result.stdout + result.stderr
    assert not [p for p in pieces(JIRA_PASSWORD) + pieces(SLACK_PASSWORD) if p in shown], shown


def test_a_malformed_url_setting_is_named_without_its_password() -> None:
    env = worker_env("sqlite:///unused.db", "http://:redis-url-pw@cache.example:6379/0",
                     JIRA_URL="ftp://bot:jira-url-pw@jira.example/", JIRA_EMAIL="bot@example.com",
                     JIRA_API_TOKEN="t", JIRA_PROJECT="RPL", SLACK_API_URL="https://bot:slack-url-pw@[slack.example/")
    result = cli(["doctor"], env)
    assert result.returncode == 2, result.stdout + result.stderr  # unusable settings, not an internal error
    assert "JIRA_URL (ftp://jira.example): must be a URL starting with https:// or http://" in result.stderr
    assert "REDIS_URL (http://cache.example:6379): must be a URL starting with redis://" in result.stderr
    assert "SLACK_API_URL: must be a URL starting with https://" in result.stderr  # no host can be read from it
    assert "url-pw" not in result.stdout + result.stderr


# ---- logs: the configured values and anything shaped like a credential ------------------------------------


@pytest.mark.parametrize(("line", "secret", "kept"), [
    ("connecting to redis://:redis-pw-1234@cache:6379/0", "redis-pw-1234", "redis://[redacted]@cache:6379/0"),
    ("engine postgresql+psycopg://ticketbot:p@ss-w0rd@db:5432/ticketbot", "ss-w0rd",
     "postgresql+psycopg://[redacted]@db:5432/ticketbot"),
    ("posting with xoxb-1234-5678-abcdefghijkl", "xoxb-1234-5678-abcdefghijkl", "posting with [redacted]"),
    ("socket mode with xapp-1-A0-123-abcdef", "xapp-1-A0-123-abcdef", "socket mode with [redacted]"),
    ("openai key sk-proj-abcdefghijklmnop", "sk-proj-abcdefghijklmnop", "openai key [redacted]"),
])
def test_credentials_in_urls_and_token_shapes_are_redacted(line: str, secret: str, kept: str) -> None:
    cleaned = redact(line)
    assert secret not in cleaned and kept in cleaned  # the host stays readable


def test_the_exact_values_of_every_configured_secret_are_redacted_from_log_lines(
        capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings.from_env({
        "SLACK_BOT_TOKEN": "bot-token-without-its-usual-shape", "SLACK_APP_TOKEN": "app-token-value-1",
        "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5", "OPENAI_API_KEY": "local-server-key-2",
        "JIRA_URL": "https://jira.example", "JIRA_PROJECT": "RPL", "JIRA_PAT": "NjE4OTQ5NTc4NjQ5OjeT+SyLL9ISh3Gk1",
        "JIRA_EMAIL": "bot@example.com", "JIRA_API_TOKEN": "jira-api-token-3",
        "DATABASE_URL": "postgresql+psycopg://ticketbot:db%40pass-4@db/ticketbot",
        "REDIS_URL": "redis://:redis-pass-5@cache:6379/0",
    })
    secrets = ["bot-token-without-its-usual-shape", "app-token-value-1", "8f742231b10e8888abcd99yyyzzz85a5",
               "local-server-key-2", "NjE4OTQ5NTc4NjQ5OjeT+SyLL9ISh3Gk1", "jira-api-token-3", "db@pass-4",
               "db%40pass-4", "redis-pass-5"]
    configure_logging("INFO", "json", settings.secret_values())
    try:
        log = logging.getLogger("ticketbot.test")
        for secret in secrets:  # as a library might write them: bare, in a message, in a traceback
            log.warning("sent %s", secret)
            try:
                raise RuntimeError(f"rejected {secret!r}")
            except RuntimeError:
                log.exception("failed")
        lines = [json.loads(line) for line in capsys.readouterr().err.strip().splitlines()]
    finally:
        logging.getLogger().handlers.clear()
    assert len(lines) == 2 * len(secrets)
    written = "\n".join(json.dumps(line) for line in lines)
    assert not [s for s in secrets if s in written]
    assert lines[0]["msg"] == "sent [redacted]" and "RuntimeError: rejected '[redacted]'" in lines[1]["exc"]


def test_the_log_of_a_real_run_holds_no_url_password(pg_url: str, redis_url: str) -> None:
    """At DEBUG the Slack SDK logs every URL it calls: the password (with its '@') goes, the host stays."""
    with FakeSlackServer(token=BOT_TOKEN) as slack:
        env = worker_env(pg_url, redis_url, LOG_LEVEL="DEBUG", SLACK_BOT_TOKEN=BOT_TOKEN,
                         SLACK_SIGNING_SECRET=SIGNING_SECRET,
                         SLACK_API_URL=with_userinfo(slack.base_url, "bot", SLACK_PASSWORD))
        result = cli(["doctor"], env)
    assert "slack_sdk.web.base_client" in result.stderr and "auth.test" in result.stderr  # the URL was logged
    assert not [p for p in pieces(SLACK_PASSWORD) + [SIGNING_SECRET, BOT_TOKEN] if p in result.stderr]


# ---- /generate-tickets health, open to anyone in the channel ---------------------------------------------


def test_health_in_slack_shows_jira_by_scheme_and_host_only(pg_database: str, redis_db: int,
                                                            tmp_path: Path) -> None:
    jira_port = free_port()  # nothing listens there: Jira cannot be reached, and health says where it is
    jira_url = f"http://127.0.0.1:{jira_port}"
    with running_stack(pg_database, redis_db, tmp_path, clean=False, TICKETBOT_QUEUE="ticketbot-test-secrets",
                       JIRA_URL=with_userinfo(jira_url, "bot", JIRA_PASSWORD), JIRA_PROJECT="RPL",
                       JIRA_EMAIL="bot@example.com", JIRA_API_TOKEN="jira-api-token-for-health") as stack:
        stack.drive.command("health", channel=new_channel(), user="U0MEMBER1", response="health")
        wait_for(lambda: bool(stack.drive.responses("health")), 60, "the health answer")
        answer = stack.drive.responses("health")[0]["text"]
        logs = stack.serve.output() + stack.worker.output()
    assert f"Jira at {jira_url} could not be reached" in answer, answer
    assert not [p for p in pieces(JIRA_PASSWORD) if p in answer + logs]
    assert "jira-api-token-for-health" not in answer + logs
