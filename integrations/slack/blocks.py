"""Pure Block Kit builders: a view model in, a message (text + blocks) out, within Slack's limits.

Every piece of text from outside (CSV cells, file names, site names, LLM output) goes through
`text.escape` (or `text.plain` for plain_text objects), so it can never become a mention or a link.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from integrations.slack import action_ids
from integrations.slack.text import (
    MAX_BLOCKS,
    MAX_CONTEXT_ELEMENTS,
    MAX_HEADER_CHARS,
    MAX_SECTION_CHARS,
    MAX_TEXT_CHARS,
    code,
    escape,
    mention,
    plain,
    split,
    truncate,
)
from integrations.slack.views import (
    ActionNote,
    DraftView,
    ProblemView,
    ProgressView,
    StatusView,
    UploadReplyView,
)

Block = dict[str, Any]

SECTION_BUDGET = MAX_SECTION_CHARS - 100  # room for a heading inside the section
ANALYSIS_SECTIONS = 2  # a longer analysis is cut in Slack; the full text is in the database and Jira
VERIFICATION_SECTIONS = 2
NOTES_SHOWN = 5
PAGE_BLOCKS = 40
MAX_PAGES = 5  # a response_url takes five answers

DRAFT_HINT = "React ✅ to approve · 🔁 to regenerate · ❌ to reject"
PROGRESS_HINT = "React here: ✅ approve every draft not rejected · 🔁 generate again · ❌ cancel a running generation"
COMMAND = "/generate-tickets"

ACTION_WORDS = {
    "approve": "✅ {who} approved",
    "reject": "❌ {who} rejected",
    "regenerate": "🔁 {who} asked for a rewrite",
    "approve_all": "✅ {who} approved all drafts",
    "approve_group": "✅ {who} approved a group",
    "undo": "↩️ {who} undid the last push",
    "retry": "🔁 {who} asked to generate again",
    "cancel": "⏹ {who} cancelled the run",
    "push": "🚀 {who} pushed to Jira",
    "start": "▶️ {who} started the run",
}

WHAT_TO_DO = {
    "user_fixable": "*What to do:* fix what the message says (upload corrected files in this thread), "
                    "then react 🔁 here to generate again.",
    "temporary": "*What to do:* this is a temporary failure (a service was unreachable or busy) that was "
                 "already retried; react 🔁 here to try again in a few minutes.",
    "admin_required": "*What to do:* ask an admin to check the set-up; the details are in the bot's logs.",
}


@dataclass(frozen=True)
class Message:
    """What chat.postMessage / chat.update / an ephemeral answer sends: fallback text and blocks."""

    text: str
    blocks: list[Block]


# ---- building blocks ------------------------------------------------------------------------------


def section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(mrkdwn, MAX_SECTION_CHARS)}}


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": truncate(plain(text) or " ", MAX_HEADER_CHARS),
                                       "emoji": True}}


def context(*mrkdwn: str) -> Block:
    elements = [{"type": "mrkdwn", "text": truncate(t, MAX_SECTION_CHARS)} for t in mrkdwn if t]
    return {"type": "context", "elements": elements[:MAX_CONTEXT_ELEMENTS] or [{"type": "mrkdwn", "text": " "}]}


def divider() -> Block:
    return {"type": "divider"}


def message(text: str, blocks: Sequence[Block]) -> Message:
    """A message within the limits: at most 50 blocks (the last saying what was left out), text ≤ 4,000."""
    kept = list(blocks)
    if len(kept) > MAX_BLOCKS:
        left_out = len(kept) - (MAX_BLOCKS - 1)
        kept = [*kept[: MAX_BLOCKS - 1], context(f"… {left_out} more part(s) not shown here.")]
    return Message(truncate(text, MAX_TEXT_CHARS), kept)


def sections(heading: str, body: str, limit: int) -> list[Block]:
    """`heading` then `body` (already escaped) in at most `limit` sections; the rest is cut with a note."""
    pieces = split(body, SECTION_BUDGET) if body else ["_none_"]
    shown = pieces[:limit]
    if len(pieces) > limit:
        shown[-1] = truncate(shown[-1], SECTION_BUDGET - 80) + "\n_(cut here: the full text is kept and goes to Jira)_"
    return [section((f"*{heading}*\n" if i == 0 else "") + piece) for i, piece in enumerate(shown)]


def bar(fraction: float, width: int = 20) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "█" * filled + "░" * (width - filled)


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"about {max(5, round(seconds / 5) * 5)} s"
    if seconds < 3600:
        return f"about {round(seconds / 60)} min"
    return f"about {seconds / 3600:.1f} h"


def note_line(note: ActionNote) -> str:
    words = ACTION_WORDS.get(note.action, "{who} " + escape(note.action)).format(who=mention(note.actor))
    return words + (f" — {escape(note.detail)}" if note.detail else "")


# ---- the progress message ------------------------------------------------------------------------


def progress_message(view: ProgressView) -> Message:
    """The session's ONE progress message, in every state of a run."""
    site = view.site or "this spec"
    percent = f"{view.fraction * 100:.0f}%"
    meter = f"`{bar(view.fraction)}` *{percent}*"
    blocks: list[Block] = [header(f"Tickets for {site}")]
    generation = f"generation {view.generation} of {view.max_generations}"
    started = f"started by {mention(view.started_by)}" if view.started_by else ""
    if view.state == "queued":
        blocks.append(section(f"{meter}\n⏳ *Queued* — {view.total} tickets planned, waiting for a worker."))
        blocks.append(context(generation, started, "React ❌ here to cancel."))
    elif view.state in ("running", "posting"):
        stage = escape(view.stage) if view.stage else "Writing tickets"
        if view.state == "posting":
            stage = "Posting the drafts"
        blocks.append(section(
            f"{meter}\n*{stage}* · {view.done} of {view.total} tickets written · {view.posted} drafts posted"
        ))
        eta = f"ETA {duration(view.eta_s)}" if view.eta_s is not None else ""
        blocks.append(context(eta, f"{view.tokens:,} tokens used" if view.tokens else "", generation, started))
        blocks.append(context("React ❌ here to cancel."))
        if view.review_hint:
            blocks.append(context(f"*How to review:* {view.review_hint} (each group's digest is posted as soon "
                                  "as the group is written)"))
    elif view.state == "completed":
        blocks.append(section(f"{meter}\n{ready_line(view)}"))
        if view.groups:
            lines = []
            for group in view.groups:
                extra = f" ({group.fallbacks} with the template's text)" if group.fallbacks else ""
                lines.append(f"• *{escape(group.group)}*: {group.tickets} ticket{'s' * (group.tickets != 1)}{extra}")
            blocks.append(section("\n".join(lines)))
        if view.dependencies:
            blocks.append(context(escape(view.dependencies)))
        blocks.append(context(f"{view.tokens:,} tokens used" if view.tokens else "", generation, started))
        if view.review_hint:
            blocks.append(section(f"*How to review:* {view.review_hint}."))
        else:
            blocks.append(section(PROGRESS_HINT + "\nOn each draft: " + DRAFT_HINT.replace("React ", "")))
    elif view.state == "failed":
        blocks.append(section(f"{meter}\n❌ *The run failed* after {view.done} of {view.total} tickets."))
        reason = view.error[:1].upper() + view.error[1:] if view.error else "No reason was recorded."
        blocks.append(section(escape(reason)))
        blocks.append(section(WHAT_TO_DO.get(view.error_category, WHAT_TO_DO["admin_required"])))
        blocks.append(context(generation, f"reference for an admin: {escape(view.reference)}" if view.reference
                              else ""))
    elif view.state == "cancelled":
        blocks.append(section(f"{meter}\n⏹ *Cancelled* — {view.done} of {view.total} tickets written are kept."))
        blocks.append(context(generation, "React 🔁 here to finish them."))
    counts = [f"{n} {word}" for n, word in ((view.approved, "approved"), (view.rejected, "rejected"),
                                            (view.pushed, "in Jira")) if n]
    if counts:
        blocks.append(context(" · ".join(counts)))
    if view.jira_note:
        blocks.append(context(f"🚀 {escape(view.jira_note)}"))
    if view.notes:
        blocks.append(context(*[note_line(n) for n in view.notes[-NOTES_SHOWN:]]))
    return message(f"Tickets for {escape(site)}: {view.state} {percent}", blocks)


def ready_line(view: ProgressView) -> str:
    """'✅ 38 drafts ready for review'; a revised spec's unchanged tickets are counted apart."""
    if not view.unchanged:
        posting = "" if view.posted >= view.total else f" ({view.posted} of {view.total} posted so far)"
        return f"✅ *{view.total} drafts ready for review*{posting}"
    return (f"✅ *{view.posted} drafts ready for review* (new, changed, or proposed for closing) · "
            f"{view.unchanged} unchanged ticket{'s' * (view.unchanged != 1)} kept as they are in Jira")


# ---- drafts --------------------------------------------------------------------------------------


def draft_message(view: DraftView) -> Message:
    """One ticket draft: title, group, spec key, story, analysis, checks, dependencies, reaction hints."""
    where = [f"*{escape(view.group)}*", code(view.spec_key), f"draft {view.position} of {view.total}"]
    if view.fallback:
        where.append("⚠️ the template's text: the LLM's answer was unusable")
    blocks: list[Block] = [header(view.title), context(" · ".join(where))]
    if view.estimate:
        blocks.append(context(truncate(f"*Estimate:* {escape(view.estimate)}", 2000)))
    blocks.extend(revision_blocks(view))
    blocks.append(section(truncate("*User story*\n" + (escape(view.user_story) or "_none_"), MAX_SECTION_CHARS)))
    blocks.extend(sections("Analysis", escape(view.analysis), ANALYSIS_SECTIONS))
    checks = "\n".join(f"☐ {escape(check)}" for check in view.verification)
    blocks.extend(sections("Verification", checks, VERIFICATION_SECTIONS))
    depends = ", ".join(code(key) for key in view.depends_on) if view.depends_on else "nothing"
    blocks.append(context(truncate(f"Depends on: {depends}", 2000)))
    if view.edited_by:
        blocks.append(context(edited_line(view)))
    blocks.append(context(draft_status(view)))
    buttons = draft_buttons(view)
    if buttons is not None:
        blocks.append(buttons)
    return message(f"Draft {view.position} of {view.total}: {escape(view.title)}", blocks)


def draft_status(view: DraftView) -> str:
    if view.change_kind == "removed" and view.status == "draft":
        return REMOVAL_HINT
    who = mention(view.decided_by) if view.decided_by else "someone"
    again = f" (rewritten {view.regenerations}×)" if view.regenerations else ""
    if view.status == "approved":
        if view.jira_state == "failed":
            return (f"⛔ Approved by {who}, but Jira refused it: {escape(view.jira_error) or 'see the errors'}. "
                    f"`{COMMAND} push` tries again.")
        if view.jira_state == "needs_reconcile":
            return (f"⚠️ Approved by {who}; it is not certain it reached Jira. Search Jira for the label "
                    f"{code(view.jira_label)}: if it is there, `{COMMAND} push` records it; if not, "
                    f"`{COMMAND} push confirm {view.spec_key}` creates it (never twice).")
        if view.jira_state == "edited_in_jira":
            return (f"⚠️ Approved by {who}, but {escape(view.jira_key or 'its issue')} was changed in Jira since "
                    f"ticketbot last wrote it, so nothing was overwritten. `{COMMAND} push confirm overwrite "
                    f"{view.spec_key}` writes the revised text over it; ❌ keeps Jira's.")
        if view.jira_state in ("creating", "created", "updating", "closing"):
            return f"✅ Approved by {who} — on its way to Jira{again}"
        return f"✅ Approved by {who} — waiting to go to Jira{again}"
    if view.status == "rejected":
        return f"❌ Rejected by {who} — react ✅ to approve it after all{again}"
    if view.status == "pushed":
        return f"🚀 In Jira: {jira_link(view.jira_key, view.jira_url)} (approved by {who})"
    if view.status == "regenerating":
        asker = mention(view.note.actor) if view.note else "someone"
        return f"🔁 Being rewritten, asked by {asker}…"
    if view.status == "withdrawn":
        return "🗑 Withdrawn: its rows are no longer in the spec"
    return DRAFT_HINT + again


REMOVAL_HINT = "React ✅ to close it in Jira as obsolete · ❌ to keep it open"
CHANGES_SHOWN = 12  # changes listed on a draft; the rest are counted (all are in tickets.json and history)


def revision_blocks(view: DraftView) -> list[Block]:
    """What a revised spec changed in this ticket, or the proposal to close it; nothing for a first version."""
    issue = jira_link(view.jira_key, view.jira_url) if view.jira_key else "the approved version"
    if view.change_kind == "removed":
        why = "; ".join(escape(c) for c in view.changes) or "no longer in the spec"
        return [section(truncate(f"🗑 *Proposes closing* {issue} as obsolete: {why}.", MAX_SECTION_CHARS))]
    if view.change_kind != "changed":
        return []
    shown = [f"• {escape(c)}" for c in view.changes[:CHANGES_SHOWN]]
    more = len(view.changes) - len(shown)
    if more:
        shown.append(f"… and {more} more: {code(f'{COMMAND} history {view.spec_key}')} lists every one.")
    body = f"*What changed* since {issue}:\n" + "\n".join(shown) + "\n_The text below is the new version._"
    return [section(truncate(body, MAX_SECTION_CHARS))]


def jira_link(key: str, url: str) -> str:
    """A link to an issue we created: only an http(s) URL and a key of Jira's shape become a link."""
    import re

    if re.fullmatch(r"[A-Z][A-Z0-9_]+-\d+", key or "") and re.fullmatch(r"https?://[^\s<>|]+", url or ""):
        return f"<{url}|{key}>"
    return code(key) if key else "(no key yet)"


# ---- draft buttons (interactivity) ---------------------------------------------------------------


def button(text: str, action_id: str, value: str, style: str = "") -> Block:
    element: Block = {"type": "button", "text": {"type": "plain_text", "text": text, "emoji": True},
                      "action_id": action_id, "value": value}
    if style:
        element["style"] = style
    return element


def draft_buttons(view: DraftView) -> Block | None:
    """Approve · Regenerate · Reject · Edit · View (only View once the ticket is on its way to Jira)."""
    if not view.ticket_id:
        return None
    value = str(view.ticket_id)
    elements = []
    if view.editable:
        if view.status != "approved":
            elements.append(button("✅ Approve", action_ids.DRAFT_APPROVE, value, "primary"))
        elements.append(button("🔁 Regenerate", action_ids.DRAFT_REGENERATE, value))
        if view.status != "rejected":
            elements.append(button("❌ Reject", action_ids.DRAFT_REJECT, value, "danger"))
        elements.append(button("✏️ Edit", action_ids.DRAFT_EDIT, value))
    elements.append(button("🔍 View", action_ids.DRAFT_VIEW, value))
    return {"type": "actions", "block_id": f"draft_actions_{view.ticket_id}", "elements": elements}


def edited_line(view: DraftView) -> str:
    what = f" ({escape(', '.join(view.edited_fields))})" if view.edited_fields else ""
    return f"✏️ Edited by {mention(view.edited_by)}{what}: rewrites keep these fields"


# ---- uploads -------------------------------------------------------------------------------------


def problem_line(problem: ProblemView) -> str:
    icon = "⛔" if problem.is_error else "⚠️"
    where = problem.file + (f" row {problem.row}" if problem.row is not None else "")
    where += f", {problem.column}" if problem.column else ""
    text = f"{icon} {escape(where)}: {escape(problem.message)}"
    return text + (f" — {escape(problem.suggestion)}" if problem.suggestion else "")


def upload_reply_message(view: UploadReplyView) -> Message:
    """The reply to one upload: each file and what was recognised, then every problem (or a summary)."""
    lines = []
    for file in view.files:
        name = code(file.name)
        if file.state == "reading":
            lines.append(f"⏳ {name} — reading…")
        elif file.state == "refused":
            lines.append(f"⛔ {name} — not read: {escape(file.reason)}")
        elif file.state == "removed":
            lines.append(f"🗑 {name} — removed from this session")
        elif file.sheets:
            found = ", ".join(
                f"{escape(s.kind)}{' (tab ' + escape(s.tab) + ')' if s.tab else ''}: {s.rows:,} row"
                f"{'s' * (s.rows != 1)}" for s in file.sheets
            )
            lines.append(f"📄 {name} — {found}")
        else:
            lines.append(f"📄 {name} — no sheet recognised")
    count = len(view.files)
    blocks: list[Block] = []
    for i, piece in enumerate(split("\n".join(lines), SECTION_BUDGET)):
        blocks.append(section((f"*Upload of {count} file{'s' * (count != 1)}*\n" if i == 0 else "") + piece))
    errors = sum(1 for p in view.problems if p.is_error)
    warnings = len(view.problems) - errors
    if view.problems:
        shown = view.problems[: view.max_problems_shown]
        body = "\n".join(problem_line(p) for p in shown)
        more = len(view.problems) - len(shown)
        if more:
            body += f"\n… and {more} more: `{COMMAND} errors` lists every one."
        heading = f"*{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}*"
        blocks.extend(section((heading + "\n" if i == 0 else "") + piece)
                      for i, piece in enumerate(split(body, SECTION_BUDGET)[:4]))
    if view.planned_tickets is not None:
        summary = (f"This spec so far: {view.spec_sheets} sheet{'s' * (view.spec_sheets != 1)}, "
                   f"{view.spec_rows:,} rows → {view.planned_tickets} tickets planned.")
        if view.dependencies:
            summary += f" {escape(view.dependencies)}"
        if view.session_state != "collecting":
            summary += " A run started with these files; its progress is in this thread."
        elif view.files_in_started_run:
            summary += (f" A run started as this upload arrived: {view.files_in_started_run} of its files are in "
                        "it; the others are kept for the next run, not mixed into the running one.")
        elif view.run_going_elsewhere:
            summary += (" A run is going in this channel: these files are kept for the next run, not mixed into "
                        f"the running one. Type `{COMMAND}` once it is done to write them.")
        elif errors:
            summary += (f" Fix the errors and upload again, or type `{COMMAND} start anyway` to leave those "
                        "rows out.")
        else:
            summary += f" Type `{COMMAND}` to write the tickets."
        blocks.append(context(summary))
    blocks.extend(revision_summary_blocks(view))
    reading = sum(1 for f in view.files if f.state == "reading")
    text = (f"Reading {reading} of {count} file{'s' * (count != 1)}…" if reading
            else f"Upload of {count} file{'s' * (count != 1)}: {errors} errors, {warnings} warnings")
    return message(text, blocks)


def revision_summary_blocks(view: UploadReplyView) -> list[Block]:
    """A revised spec's change against what the channel pushed, shown before any work is started."""
    if not view.revision or view.planned_tickets is None:
        return []
    body = (f"*Revised spec* — compared with what this channel pushed before: {escape(view.revision)}.\n"
            f"`{COMMAND}` writes only the new and changed tickets; unchanged ones stay as they are in Jira, "
            "removed ones are proposed for closing.")
    return [section(truncate(body, MAX_SECTION_CHARS))]


# ---- command answers -----------------------------------------------------------------------------


def notice(mrkdwn: str) -> Message:
    """A short answer whose text the caller composed (anything from outside already escaped)."""
    return message(mrkdwn, [section(mrkdwn)])


def problem_pages(title: str, problems: Sequence[ProblemView], run_errors: Sequence[str] = ()) -> list[Message]:
    """Every problem, in as many messages as needed (at most five, the last saying what is left out)."""
    lines = [problem_line(p) for p in problems] + [f"⛔ {escape(e)}" for e in run_errors]
    if not lines:
        return [notice(f"{escape(title)}: no problems found.")]
    blocks = [section(piece) for piece in split("\n".join(lines), SECTION_BUDGET)]
    pages = [blocks[i:i + PAGE_BLOCKS] for i in range(0, len(blocks), PAGE_BLOCKS)]
    errors = sum(1 for p in problems if p.is_error) + len(run_errors)
    heading = f"*{escape(title)}: {errors} errors, {len(lines) - errors} warnings*"
    out = []
    for number, page in enumerate(pages[:MAX_PAGES], start=1):
        top = [section(heading + (f" (part {number} of {min(len(pages), MAX_PAGES)})" if len(pages) > 1 else ""))]
        out.append(message(f"{title} (part {number})", top + page))
    if len(pages) > MAX_PAGES:
        left = sum(len(p) for p in pages[MAX_PAGES:])
        out[-1] = message(out[-1].text, [*out[-1].blocks[: PAGE_BLOCKS], context(
            f"… {left} more part(s) not shown: fix the problems above and upload again to see the rest.")])
    return out


def status_message(view: StatusView) -> Message:
    lines = [f"*{escape(view.site or 'This channel')}* — session {escape(view.session_state)}, "
             f"{view.files} file{'s' * (view.files != 1)} uploaded"]
    if view.generation:
        lines.append(f"Generation {view.generation}: {escape(view.task_state or 'not started')} · "
                     f"{view.done} of {view.total} tickets" + (f" · {escape(view.stage)}" if view.stage else ""))
    if view.tickets:
        lines.append(" · ".join(f"{count} {escape(state)}" for state, count in sorted(view.tickets.items())))
    if view.error:
        lines.append(f"Last error: {escape(view.error)}")
    return notice("\n".join(lines))


HELP = (
    f"*{COMMAND}* — turn the spec files dropped in this channel into Jira tickets.\n"
    f"• `{COMMAND}` — where this channel's session stands and what to do next\n"
    f"• `{COMMAND} start [SITE NAME [| DESCRIPTION]]` — write the tickets for the files uploaded here\n"
    f"• `{COMMAND} start anyway …` — start even though some rows have errors (those rows are left out)\n"
    f"• `{COMMAND} remove FILE` — take one uploaded file out before `start`\n"
    f"• `{COMMAND} status` — where the run is · `{COMMAND} errors` — every problem found\n"
    f"• `{COMMAND} cancel` · `{COMMAND} retry` — stop the run · generate again (max 3 per session)\n"
    f"• `{COMMAND} push` — send approved tickets to Jira (asks you to confirm the counts)\n"
    f"• `{COMMAND} undo` — take the last push back out of Jira (asks you to confirm)\n"
    f"• `{COMMAND} new` — close this channel's open session; the next upload starts a fresh thread\n"
    f"• `{COMMAND} health` — check the bot's services\n"
    f"• `{COMMAND} history SPEC_KEY` — every version of one ticket: upload, writer, approver, Jira key\n"
    f"• `{COMMAND} config [KEY VALUE]` — show or set this channel's settings "
    "(`jira_project KEY`, `approvers @a @b` or `approvers -`)\n"
    "Reactions: on a draft ✅ (or 👍) approve · 🔁 regenerate · ❌ reject; on the progress message ✅ approve all "
    "(after a confirmation) · 🔁 retry · ❌ cancel."
)


def help_message() -> Message:
    return notice(HELP)
