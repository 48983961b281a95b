"""Log lines carry the job's ids and never a secret."""

from __future__ import annotations

import json
import logging

import pytest

from bot.wiring.logging_setup import configure_logging, redact
from jobs.tasks.log_context import bound


@pytest.mark.parametrize("secret", [
    "xoxb-1234-5678-abcdefghijkl", "xapp-1-A0-123-abc", "sk-proj-abcdefghijklmnop", "ATATT3xFfGF0abcdef==",
    "Bearer eyJhbGciOiJIUzI1NiJ9.abc", "Basic Ym90QGV4YW1wbGUuY29tOnRva2Vu",
])
def test_known_token_shapes_are_redacted(secret: str) -> None:
    assert secret not in redact(f"request failed with {secret} in it")


def test_urls_lose_their_passwords() -> None:
    assert redact("postgresql+psycopg://ticketbot:hunter2@db/ticketbot") == "postgresql+psycopg://[redacted]@db/ticketbot"


def test_json_lines_carry_ids_and_no_secret(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    try:
        with bound(session_id=12, task_id=34, job_id="gen-34-1-5"):
            logging.getLogger("ticketbot.test").warning("calling Slack with %s", "xoxb-1-2-secret")
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    finally:
        logging.getLogger().handlers.clear()
    assert line["session_id"] == 12 and line["task_id"] == 34 and line["job_id"] == "gen-34-1-5"
    assert "xoxb" not in line["msg"] and line["level"] == "warning"
