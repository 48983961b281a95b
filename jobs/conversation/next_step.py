"""What to do next in a session, in one line, for a bare `/generate-tickets` and `status` (pure)."""

from __future__ import annotations

from collections.abc import Mapping

from jobs.states import SessionStatus, TaskStatus, TicketStatus

CMD = "/generate-tickets"


def next_step(session_state: str, files: int, task_state: str | None, tickets: Mapping[str, int]) -> str:
    """The one thing the channel would do next, with the command or reaction that does it."""
    drafts = tickets.get(TicketStatus.DRAFT, 0)
    approved = tickets.get(TicketStatus.APPROVED, 0)
    pushed = tickets.get(TicketStatus.PUSHED, 0)
    if session_state == SessionStatus.COLLECTING:
        if not files:
            return "share the spec's CSV files (or an .xlsx workbook) in this channel."
        return (f"`{CMD} start SITE NAME` writes the tickets (`{CMD} remove FILE` takes a file out first; "
                f"`{CMD} errors` lists any problems).")
    if session_state == SessionStatus.PROCESSING or (task_state and TaskStatus(task_state).is_open):
        return f"wait for the run; its progress is in the thread (`{CMD} cancel` stops it)."
    if session_state in (SessionStatus.FAILED, SessionStatus.CANCELLED):
        return f"`{CMD} retry` generates again (`{CMD} errors` says what went wrong)."
    if drafts:
        return ("review the drafts in the thread: ✅ approve · 🔁 regenerate · ❌ reject on each, or ✅ on the "
                "progress message to approve them all (it asks you to confirm).")
    if approved:
        return f"`{CMD} push` sends the {approved} approved ticket{'s' if approved != 1 else ''} to Jira."
    if pushed:
        return (f"nothing left to review. `{CMD} undo` takes the last push back (within the undo window); "
                f"`{CMD} new` starts a fresh session.")
    return f"share new files, or `{CMD} new` to start a fresh session."
