"""Digest pages: a large run's drafts as one line each, grouped, within Slack's message limits.

A page is a header, one section per ticket (its key, title, size and state, with an overflow menu:
Approve / Regenerate / Reject / Edit / View), an "Approve this group" button and a hint. At most
`DIGEST_LINES` lines, so a full page is exactly Slack's 50 blocks; every line is cut to fit one
section's 3,000 characters (only the title is shortened: markup and links are never cut in half).
Pure: view models in, a `Message` out; everything from outside goes through `text.escape`.
"""

from __future__ import annotations

from dataclasses import dataclass

from integrations.slack.action_ids import DRAFT_MENU, GROUP_APPROVE, MENU_VERBS, group_value, menu_value
from integrations.slack.blocks import Block, Message, context, header, jira_link, message
from integrations.slack.text import MAX_BLOCKS, MAX_SECTION_CHARS, escape, mention, truncate

PAGE_FRAME_BLOCKS = 3  # the header, the actions (Approve this group) and the hint around the lines
DIGEST_LINES = MAX_BLOCKS - PAGE_FRAME_BLOCKS  # 47 lines: a full page is exactly 50 blocks
KEY_CHARS = 300  # a spec key's share of a line (escaped), before its code span is closed
MAX_OPTION_TEXT = 75  # an option's (or a button's) plain text
MAX_OPTION_VALUE = 150
MENU_LABELS = {"approve": "✅ Approve", "regenerate": "🔁 Regenerate", "reject": "❌ Reject", "edit": "✏️ Edit",
               "view": "🔎 View"}
GROUP_BUTTON = "✅ Approve this group"
DIGEST_REVIEW_HINT = "approve per group, or ✅ here to approve everything after a confirmation"
LINE_HINT = ("⋯ on a line: approve, regenerate, reject, edit or view that ticket. "
             "*Approve this group* asks for a confirmation first.")


@dataclass(frozen=True)
class DigestLineView:
    """One ticket's line on a digest page."""

    ticket_id: int
    spec_key: str
    title: str
    size: str = ""  # the estimate's T-shirt size and points ("M · 3 pts"); empty before estimates existed
    status: str = "draft"  # draft | approved | rejected | pushed | regenerating | withdrawn
    decided_by: str = ""
    jira_key: str = ""
    jira_url: str = ""
    jira_state: str = "none"
    edited: bool = False  # a person changed its text
    fallback: bool = False  # the template writer's text


@dataclass(frozen=True)
class DigestPageView:
    session_id: int
    site: str
    group: str
    page: int  # 1-based, within the group
    lines: tuple[DigestLineView, ...]


def digest_message(view: DigestPageView) -> Message:
    """One digest page. More than `DIGEST_LINES` lines is a caller's bug (pages are cut before)."""
    if len(view.lines) > DIGEST_LINES:
        raise ValueError(f"a digest page holds at most {DIGEST_LINES} lines, not {len(view.lines)}")
    part = f" (part {view.page})" if view.page > 1 else ""
    blocks: list[Block] = [header(f"{view.group}{part} — {view.site or 'this spec'}")]
    blocks.extend(digest_line(line) for line in view.lines)
    blocks.append({"type": "actions", "elements": [group_button(view.session_id, view.group)]})
    approved = sum(1 for line in view.lines if line.status in ("approved", "pushed"))
    rejected = sum(1 for line in view.lines if line.status == "rejected")
    counts = f"{len(view.lines)} ticket{'s' * (len(view.lines) != 1)} · {approved} approved · {rejected} rejected"
    blocks.append(context(counts, LINE_HINT))
    return message(f"{escape(view.group)}{part}: {counts}", blocks)


def digest_line(line: DigestLineView) -> Block:
    """A section: `KEY` *title* · size · state, and the ticket's overflow menu."""
    key = "`" + truncate(escape(line.spec_key.replace("`", "'")), KEY_CHARS) + "`"
    tail = "".join(f" · {part}" for part in (escape(line.size) if line.size else "", line_status(line)) if part)
    if line.edited:
        tail += " · ✏️ edited"
    if line.fallback:
        tail += " · ⚠️ template text"
    room = MAX_SECTION_CHARS - len(key) - len(tail) - 3  # the spaces and the bold markers around the title
    title = truncate(escape(line.title) or "(no title)", room)
    text = f"{key} *{title}*{tail}"
    return {"type": "section", "block_id": f"t{line.ticket_id}", "text": {"type": "mrkdwn", "text": text},
            "accessory": draft_menu(line.ticket_id)}


def line_status(line: DigestLineView) -> str:
    who = mention(line.decided_by) if line.decided_by else "someone"
    if line.status == "approved":
        if line.jira_state == "failed":
            return f"⛔ approved by {who}; Jira refused it (`/generate-tickets errors`)"
        if line.jira_state == "needs_reconcile":
            return f"⚠️ approved by {who}; check Jira (`/generate-tickets push`)"
        return f"✓ approved by {who}"
    if line.status == "rejected":
        return f"❌ rejected by {who}"
    if line.status == "pushed":
        return f"🚀 {jira_link(line.jira_key, line.jira_url)}"
    if line.status == "regenerating":
        return "🔁 being rewritten…"
    if line.status == "withdrawn":
        return "🗑 withdrawn (no longer in the spec)"
    return ""


def draft_menu(ticket_id: int) -> Block:
    options = [{"text": {"type": "plain_text", "text": truncate(MENU_LABELS[verb], MAX_OPTION_TEXT), "emoji": True},
                "value": menu_value(verb, ticket_id)[:MAX_OPTION_VALUE]} for verb in MENU_VERBS]
    return {"type": "overflow", "action_id": DRAFT_MENU, "options": options}


def group_button(session_id: int, group: str) -> Block:
    return {"type": "button", "action_id": GROUP_APPROVE, "style": "primary",
            "text": {"type": "plain_text", "text": GROUP_BUTTON, "emoji": True},
            "value": group_value(session_id, group)}
