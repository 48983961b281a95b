"""The confirmation of a bulk action (approve all, approve a group, push, undo): what will happen, two buttons."""

from __future__ import annotations

from dataclasses import dataclass

from integrations.slack.action_ids import BULK_CANCEL, BULK_CONFIRM
from integrations.slack.blocks import Message, context, message, section


@dataclass(frozen=True)
class ConfirmationView:
    confirmation_id: int
    question: str  # "Approve all 38 drafts and push them to Jira?" (composed by us, user text escaped)
    effect: str  # "Create 38 issues in RPL under 6 epics (6 new), 50 links"
    expires_in_s: int


def confirmation_message(view: ConfirmationView) -> Message:
    minutes = max(1, round(view.expires_in_s / 60))
    value = str(view.confirmation_id)
    buttons = {"type": "actions", "block_id": f"bulk_confirmation_{value}", "elements": [
        {"type": "button", "action_id": BULK_CONFIRM, "style": "primary", "value": value,
         "text": {"type": "plain_text", "text": "Confirm", "emoji": True}},
        {"type": "button", "action_id": BULK_CANCEL, "value": value,
         "text": {"type": "plain_text", "text": "Cancel", "emoji": True}},
    ]}
    text = f"{view.question} {view.effect}."
    return message(text, [section(f"*{view.question}*\n{view.effect}."), buttons,
                          context(f"Valid for {minutes} minute{'' if minutes == 1 else 's'}; acts once.")])


def decided_message(text: str) -> Message:
    """What replaces the confirmation once it was acted on, cancelled or found expired."""
    return message(text, [section(text)])
