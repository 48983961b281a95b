"""What the Slack thread shows, read from the database into the view models the block builders render."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from integrations.slack.digest_blocks import DIGEST_REVIEW_HINT
from integrations.slack.views import (
    ActionNote,
    DraftView,
    GroupSummary,
    ProblemView,
    ProgressView,
    SheetView,
    UploadFileView,
    UploadReplyView,
)
from integrations.spec.problems import Problem
from integrations.spec.sheets import SheetKind
from integrations.tickets import FALLBACK_WRITER, details_from_dict
from integrations.urls import jira_browse_url as browse_url
from jobs.generation.person_edit import PersonEdit, may_edit
from jobs.planning import Plan
from jobs.publishing.labels import stored_label
from jobs.states import MessageState, TaskStatus, TicketStatus
from jobs.thread.digests import tickets_shown
from storage.models import COLLECTING, TaskRecord, TicketRecord, UploadRecord
from storage.uow import UnitOfWork

SESSION_ACTIONS = ("start", "retry", "cancel", "approve_all", "approve_group", "push", "undo")


def progress_key(session_id: int) -> str:
    return f"progress:s{session_id}"


def draft_key(ticket_id: int) -> str:
    return f"draft:t{ticket_id}"


def upload_key(session_id: int, upload_ref: str) -> str:
    return f"upload:s{session_id}:{upload_ref}"


def drafts_shown(uow: UnitOfWork, tickets: Sequence[TicketRecord]) -> int:
    """Drafts in the thread showing their newest content."""
    if not tickets:
        return 0
    on_pages = [t for t in tickets if t.digest_key]
    if on_pages:  # a digest session: a ticket is shown when its page is
        tickets = [t for t in tickets if not t.digest_key]
        return tickets_shown(uow, on_pages) + drafts_shown(uow, tickets)
    rows = {m.ticket_id: m for m in uow.messages.for_tickets([t.id for t in tickets])}
    return sum(1 for t in tickets if (m := rows.get(t.id)) is not None and m.state == MessageState.POSTED
               and m.version_posted >= t.slack_version)


def progress_view(uow: UnitOfWork, session_id: int, now: datetime, max_generations: int) -> ProgressView | None:
    """The progress message's content: the latest generation, its drafts, and who did what."""
    session = uow.sessions.get(session_id)
    task = uow.tasks.latest(session_id)
    if task is None:
        return None
    tickets = uow.tickets.for_session(session_id)
    posted = drafts_shown(uow, tickets)
    state = task.status
    # A revised spec's unchanged tickets are not posted for review (they are in Jira as they were).
    unchanged = sum(1 for t in tickets if t.change_kind == "unchanged")
    reviewable = len(tickets) - unchanged if any(t.change_kind for t in tickets) else task.total
    if state == TaskStatus.COMPLETED and posted < reviewable:
        state = "posting"
    counts = Counter(t.status for t in tickets)
    groups: dict[str, list[TicketRecord]] = {}
    for ticket in tickets:
        groups.setdefault(ticket.group, []).append(ticket)
    notes = tuple(
        ActionNote(a.actor, a.action, _note_detail(a.action, a.detail))
        for a in uow.audit.for_session(session_id) if a.ticket_id is None and a.action in SESSION_ACTIONS
        and a.actor and not a.actor.startswith("cli")
    )
    return ProgressView(
        site=session.site_name or "", state=state, generation=task.generation, max_generations=max_generations,
        done=task.done, total=task.total, posted=min(posted, max(reviewable, task.total)), stage=task.stage,
        eta_s=_eta(task, now), tokens=task.prompt_tokens + task.completion_tokens, started_by=task.requested_by,
        error=task.error_message or "", error_category=task.error_category or "", reference=f"task {task.id}",
        groups=tuple(GroupSummary(g, len(ts), sum(1 for t in ts if t.writer == FALLBACK_WRITER))
                     for g, ts in groups.items()),
        fallbacks=sum(1 for t in tickets if t.writer == FALLBACK_WRITER),
        approved=counts.get(TicketStatus.APPROVED, 0), rejected=counts.get(TicketStatus.REJECTED, 0),
        pushed=counts.get(TicketStatus.PUSHED, 0),
        notes=notes, jira_note=_jira_note(uow.tasks.latest(session_id, "push"), uow.tasks.latest(session_id, "undo")),
        dependencies=str(task.details.get("dependencies", "")), unchanged=unchanged,
        review_hint=DIGEST_REVIEW_HINT if session.digest_mode else "",
    )


def _jira_note(push: TaskRecord | None, undo: TaskRecord | None = None) -> str:
    """The latest push to Jira: going, done (its summary) or failed (why); or its undo."""
    if push is None:
        return ""
    if undo is not None and undo.details.get("push_task_id") == push.id:
        if TaskStatus(undo.status).is_open:
            return "Undoing the last push to Jira…"
        if undo.status == TaskStatus.FAILED:
            return f"The undo of the last push stopped: {undo.error_message or 'see `/generate-tickets errors`'}"
        return f"The last push was undone: {undo.details.get('summary', '')}"
    if TaskStatus(push.status).is_open:
        return f"Pushing to Jira: {push.done} of {push.total}" + (f" · {push.stage}" if push.stage else "")
    if push.status == "failed":
        return f"The push to Jira failed: {push.error_message or 'see `/generate-tickets errors`'}"
    return push.stage if push.status == TaskStatus.COMPLETED else ""


def _note_detail(action: str, detail: str) -> str:
    if action in ("start", "retry"):
        return detail.split(",", 1)[0]  # "generation 2"
    if action in ("approve_all", "approve_group", "undo"):
        return detail
    return ""


def _eta(task: TaskRecord, now: datetime) -> float | None:
    if task.status != TaskStatus.RUNNING or not task.started_at or task.done <= 0 or task.done >= task.total:
        return None
    elapsed = (now - task.started_at).total_seconds()
    return max(elapsed / task.done * (task.total - task.done), 0.0)


def draft_view(uow: UnitOfWork, ticket: TicketRecord, jira_browse_url: str = "") -> DraftView:
    task = uow.tasks.latest(ticket.session_id)
    total = max(task.total if task is not None else 0, ticket.position)
    note = None
    if ticket.status == TicketStatus.REGENERATING:
        asked = [a for a in uow.audit.for_session(ticket.session_id)
                 if a.ticket_id == ticket.id and a.action == "regenerate"]
        if asked:
            note = ActionNote(asked[-1].actor, "regenerate")
    url = browse_url(jira_browse_url, ticket.jira_key) if jira_browse_url and ticket.jira_key else ""
    return DraftView(
        position=ticket.position, total=total, title=ticket.title, group=ticket.group, spec_key=ticket.spec_key,
        user_story=ticket.user_story, analysis=ticket.analysis,
        verification=tuple(str(v) for v in ticket.verification or ()),
        depends_on=tuple(str(d) for d in ticket.depends_on or ()), status=ticket.status,
        decided_by=ticket.decided_by, jira_key=ticket.jira_key or "", jira_url=url,
        jira_state=ticket.jira_state, jira_error=ticket.jira_error or "", jira_label=stored_label(ticket),
        fallback=ticket.writer == FALLBACK_WRITER, regenerations=ticket.regeneration_count, note=note,
        estimate=estimate.describe() if (estimate := details_from_dict(ticket.details)["estimate"]) else "",
        change_kind=ticket.change_kind or "", changes=tuple(str(c.get("what", "")) for c in ticket.changes or ()),
        ticket_id=ticket.id, edited_by=edit.by if (edit := PersonEdit.of(ticket.person_edit)) else "",
        edited_fields=tuple(edit.names()) if edit else (), editable=may_edit(ticket),
    )


def problem_view(problem: Problem | dict[str, object]) -> ProblemView:
    if isinstance(problem, Problem):
        return ProblemView(problem.level.value, problem.file, problem.row, problem.column, problem.message,
                           problem.suggestion)
    row = problem.get("row")
    return ProblemView(str(problem.get("level", "warning")), str(problem.get("file", "")),
                       row if isinstance(row, int) else None,
                       str(problem["column"]) if problem.get("column") else None, str(problem.get("message", "")),
                       str(problem["suggestion"]) if problem.get("suggestion") else None)


def sheet_views(upload: UploadRecord) -> tuple[SheetView, ...]:
    views = []
    for sheet in upload.sheets or []:
        kind = str(sheet.get("kind", ""))
        try:
            label = SheetKind(kind).display_name
        except ValueError:
            label = kind
        name = str(sheet.get("name", ""))
        tab = name[len(upload.name) + 2:-1] if name.startswith(upload.name + " [") and name.endswith("]") else ""
        views.append(SheetView(label, int(sheet.get("rows", 0)), tab))
    return tuple(views)


def belongs_to(problem_file: str, names: Sequence[str]) -> bool:
    """A problem about one of these files (or one of their workbook tabs)."""
    return any(problem_file == n or problem_file.startswith(n + " [") for n in names)


def upload_reply_view(uow: UnitOfWork, session_id: int, key: str, reply_ts: str | None,
                      reading: Sequence[str] = (), plan: Plan | None = None, *,
                      earlier: Sequence[int] = (), revision: str = "") -> UploadReplyView:
    """One upload's files (read, refused, still reading) and their problems; the spec summary once planned.

    `session_id` is where its files go; `earlier` are sessions that took some of them and then started
    their run while the upload was being read (the rest followed to `session_id`).
    """
    session = uow.sessions.get(session_id)
    sessions = [*earlier, session_id]
    taken_by_run = [u for s in earlier for u in (uow.uploads.for_reply(s, reply_ts) if reply_ts else [])]
    stored = taken_by_run + (uow.uploads.for_reply(session_id, reply_ts) if reply_ts else [])
    refused = [e for s in sessions for e in uow.errors.find(s)
               if (e.technical_details or {}).get("upload_key") == key]
    files = [UploadFileView(u.name, "removed" if u.removed_by else "read", sheet_views(u)) for u in stored]
    files += [UploadFileView(str(e.technical_details.get("file", "")), "refused",
                            reason=str(e.technical_details.get("reason") or e.message)) for e in refused]
    done = {f.name for f in files}
    files += [UploadFileView(name, "reading") for name in reading if name not in done]
    names = [u.name for u in stored]
    if plan is not None:
        problems = tuple(problem_view(p) for p in plan.problems if belongs_to(p.file, names))
    else:
        problems = tuple(problem_view(p) for u in stored for p in (u.problems or []))
    sheets = rows = 0
    for upload in uow.uploads.active(session_id):
        for sheet in upload.sheets or []:
            sheets += 1
            rows += int(sheet.get("rows", 0))
    return UploadReplyView(
        files=tuple(files), problems=problems, spec_sheets=sheets, spec_rows=rows,
        planned_tickets=len(plan.tickets) if plan is not None else None, session_state=session.status,
        run_going_elsewhere=(session.status == COLLECTING
                             and uow.sessions.running_in_channel(session.channel_id) is not None),
        files_in_started_run=len(taken_by_run),
        dependencies=plan.stats.summary_line() if plan is not None else "",
        revision=revision if plan is not None else "",
    )
