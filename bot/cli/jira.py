"""`ticketbot generate --jira`: check Jira first, then push with the same publisher the Slack bot uses."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TextIO

from bot.cli.progress import TerminalProgress
from bot.wiring import exit_codes
from bot.wiring.bootstrap import Services
from bot.wiring.settings import Settings
from integrations.urls import display_url

FOLLOW_INTERVAL_S = 0.5
FOLLOW_LIMIT_S = 30 * 60  # longer than the reconcile window: a push handed back resumes well within it
# The preflight before any work: one attempt, short timeouts — an unreachable Jira is known in seconds.
PREFLIGHT_TIMEOUT_S = (3.0, 10.0)
CLI_ADVICE = ("fix it (`ticketbot doctor` checks the Jira settings) and run the same command again; "
              "without --jira the files are written and the Jira import file works too")
SLACK_RETRY = "`/generate-tickets push` tries again"


def jira_preflight(settings: Settings) -> str:
    """'' when Jira is configured and the project is usable; else what is wrong and what to do."""
    from bot.wiring.jira import jira_config
    from integrations.jira.gateway import JiraGateway

    config = jira_config(settings)
    if config is None:
        return ("Jira is not configured: set JIRA_URL, JIRA_PROJECT and JIRA_EMAIL + JIRA_API_TOKEN (Cloud) "
                "or JIRA_PAT (Server/DC)")
    gateway = JiraGateway(replace(config, max_attempts=1, timeout_s=PREFLIGHT_TIMEOUT_S, max_retry_after_s=0))
    try:
        result = gateway.preflight()
    except Exception as exc:  # every failure of the check is said in words (never a traceback, never a secret)
        message = getattr(exc, "message", "") or f"Jira at {display_url(settings.jira_url)} could not be checked"
        return f"{cli_words(message)}\n  {CLI_ADVICE}"
    finally:
        gateway.close()
    if result.ok:
        return ""
    return f"{cli_words(result.describe())}\n  {CLI_ADVICE}"


def cli_words(message: str) -> str:
    """Jira's messages are written for Slack too; on the command line, trying again is the same command."""
    return message.replace(SLACK_RETRY, "run the same command again").replace("ticketbot tries again later",
                                                                               "run the same command again later")


def push_to_jira(services: Services, session_id: int, progress: TerminalProgress, out: TextIO, err: TextIO) -> int:
    """Approve every ticket and push them; print "42 issues in RPL under 6 epics, 37 links"."""
    publishing = services.publishing
    assert publishing is not None and publishing.jira_configured
    started = publishing.approve_all(session_id, "cli")
    if started.note:
        print(f"ticketbot: {cli_words(started.note)}", file=err)
    deadline = time.monotonic() + FOLLOW_LIMIT_S
    status = publishing.push_status(session_id)
    while status is not None and status.status not in ("completed", "failed") and time.monotonic() < deadline:
        if status.status == "waiting" and services.redis is None:
            break  # in this process nobody resumes it: `ticketbot generate --jira` again, or a worker, does
        if status.total:
            progress.update(status.done, status.total, f"Jira: {status.stage}")
        time.sleep(FOLLOW_INTERVAL_S)
        status = publishing.push_status(session_id)
    summary = publishing.summary(session_id)
    if status is not None and status.status == "failed":
        print(f"ticketbot: the Jira push failed ({status.error_category}):\n{cli_words(status.error_message)}",
              file=err)
        return exit_codes.INTEGRATION
    if status is not None and status.status != "completed":
        print(f"ticketbot: the Jira push is still going ({status.stage}); run the same command again, or "
              "`ticketbot worker`, to finish it", file=err)
    print(f"Jira: {summary.text}", file=out)
    for key, error in publishing.jira_errors(session_id):  # what Jira refused, per ticket
        print(f"  {cli_words(f'{key}: {error}')}", file=err)
    return exit_codes.OK if not (summary.failed or summary.needs_person) else exit_codes.INTEGRATION

