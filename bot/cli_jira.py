"""`ticketbot generate --jira`: push the generated tickets with the same publisher the Slack bot uses."""

from __future__ import annotations

import time
from typing import TextIO

from bot.bootstrap import Services
from bot.progress import TerminalProgress

EXIT_OK, EXIT_ERRORS, EXIT_UNUSABLE = 0, 1, 2
FOLLOW_INTERVAL_S = 0.5
FOLLOW_LIMIT_S = 30 * 60  # longer than the reconcile window: a push handed back resumes well within it


def push_to_jira(services: Services, session_id: int, progress: TerminalProgress, out: TextIO, err: TextIO) -> int:
    """Approve every ticket and push them; print "42 issues in RPL under 6 epics, 37 links"."""
    publishing = services.publishing
    assert publishing is not None and publishing.jira_configured
    started = publishing.approve_all(session_id, "cli")
    if started.note:
        print(f"ticketbot: {started.note}", file=err)
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
        print(f"ticketbot: the Jira push failed ({status.error_category}):\n{status.error_message}", file=err)
        return EXIT_ERRORS
    if status is not None and status.status != "completed":
        print(f"ticketbot: the Jira push is still going ({status.stage}); `ticketbot worker` finishes it", file=err)
    print(f"Jira: {summary.text}", file=out)
    for error in publishing_errors(services, session_id):
        print(f"  {error}", file=err)
    return EXIT_OK if not (summary.failed or summary.needs_person) else EXIT_ERRORS


def publishing_errors(services: Services, session_id: int) -> list[str]:
    """What Jira refused, per ticket, for the terminal."""
    with services.uow_factory() as uow:
        return [f"{t.spec_key}: {t.jira_error}" for t in uow.tickets.for_session(session_id)
                if t.status == "approved" and t.jira_error]
