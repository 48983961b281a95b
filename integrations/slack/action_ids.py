"""The ids of everything a person can click in our messages and modals, in one place.

Slack sends them back in `block_actions` (`action_id`, `value`) and `view_submission` / `view_closed`
(`view.callback_id`, `view.private_metadata`) payloads; the renderers (integrations/slack/blocks.py) and
the listeners (bot/slack/listeners/) must agree on them, so both import them from here.

Values are plain strings: a button on a draft carries the ticket id; an overflow option carries
"VERB:TICKET_ID"; "Approve this group" carries "SESSION_ID:GROUP"; a confirmation's buttons carry the
confirmation's id. A modal's private_metadata is JSON naming the ticket and the channel.
"""

from __future__ import annotations

# Buttons on a draft (value: the ticket id).
DRAFT_APPROVE = "draft_approve"
DRAFT_REGENERATE = "draft_regenerate"
DRAFT_REJECT = "draft_reject"
DRAFT_EDIT = "draft_edit"
DRAFT_VIEW = "draft_view"
DRAFT_BUTTONS = (DRAFT_APPROVE, DRAFT_REGENERATE, DRAFT_REJECT, DRAFT_EDIT, DRAFT_VIEW)

# The overflow menu of one digest line (option value: "VERB:TICKET_ID").
DRAFT_MENU = "draft_menu"
MENU_VERBS = ("approve", "regenerate", "reject", "edit", "view")

# "Approve this group" on a digest (value: "SESSION_ID:GROUP"): answered with a confirmation.
GROUP_APPROVE = "group_approve"

# A bulk action's confirmation (value: the confirmation's id): acts once, for an approver, while valid.
BULK_CONFIRM = "bulk_confirm"
BULK_CANCEL = "bulk_cancel"

# Modals (callback_id).
EDIT_MODAL = "ticket_edit"
REGENERATE_MODAL = "ticket_regenerate"
VIEW_MODAL = "ticket_view"


def menu_value(verb: str, ticket_id: int) -> str:
    return f"{verb}:{ticket_id}"


def parse_menu_value(value: str) -> tuple[str, int] | None:
    """("approve", 12) from "approve:12"; None for anything else (a forged or stale value)."""
    verb, _, ticket = value.partition(":")
    if verb not in MENU_VERBS or not ticket.isdigit():
        return None
    return verb, int(ticket)


def group_value(session_id: int, group: str) -> str:
    return f"{session_id}:{group}"


def parse_group_value(value: str) -> tuple[int, str] | None:
    session, _, group = value.partition(":")
    if not session.isdigit() or not group:
        return None
    return int(session), group
