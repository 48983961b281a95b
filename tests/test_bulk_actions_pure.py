"""Pure parts of bulk confirmations, undo and the command fixes: texts, choices, renderers."""

from __future__ import annotations

import pytest

from integrations.jira.removal import Transition, pick_transition
from integrations.slack.action_ids import BULK_CANCEL, BULK_CONFIRM
from integrations.slack.confirmation_blocks import ConfirmationView, confirmation_message
from integrations.slack.files import is_not_spreadsheet
from jobs.conversation.next_step import next_step
from jobs.publishing.preview import PushPreview


@pytest.mark.parametrize(("preview", "text"), [
    (PushPreview("RPL", 401, 6, 2, 37), "Create 401 issues in RPL under 6 epics (2 new, 4 existing), 37 links"),
    (PushPreview("RPL", 1, 1, 1, 0), "Create 1 issue in RPL under 1 epic (1 new), 0 links"),
    (PushPreview("RPL", 3, 2, 0, 1), "Create 3 issues in RPL under 2 epics (2 existing), 1 link"),
    (PushPreview("RPL", 3, 0, 0, 2), "Create 3 issues in RPL, 2 links"),  # epics off
])
def test_the_confirmation_says_exactly_what_a_push_creates(preview: PushPreview, text: str) -> None:
    assert preview.text == text


def test_undo_closes_with_a_wont_do_transition_first_else_any_done_one() -> None:
    done, wont = Transition("31", "Done", "done"), Transition("41", "Won't Do", "done")
    assert pick_transition([Transition("21", "In Progress", "indeterminate"), done, wont]) == wont
    assert pick_transition([Transition("21", "In Progress", "indeterminate"), done]) == done
    assert pick_transition([Transition("11", "To Do", "new")]) is None


def test_the_confirmation_message_has_confirm_and_cancel_carrying_its_id() -> None:
    shown = confirmation_message(ConfirmationView(42, "Push 3 approved tickets to Jira?",
                                                  "Create 3 issues in RPL, 2 links", 300))
    buttons = next(b for b in shown.blocks if b["type"] == "actions")["elements"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [(BULK_CONFIRM, "42"), (BULK_CANCEL, "42")]
    assert shown.text == "Push 3 approved tickets to Jira? Create 3 issues in RPL, 2 links."
    assert "Valid for 5 minutes; acts once." in str(shown.blocks[-1])


@pytest.mark.parametrize(("name", "mimetype", "ignored"), [
    ("screenshot.png", "image/png", True), ("design.PDF", "", True), ("export.zip", "application/zip", True),
    ("notes.docx", "", True), ("photo", "image/jpeg", True), ("fields.csv", "text/csv", False),
    ("spec.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False),
    ("bundles", "text/plain", False),
])
def test_files_that_are_clearly_not_spreadsheets_are_ignored(name: str, mimetype: str, ignored: bool) -> None:
    assert is_not_spreadsheet(name, mimetype) is ignored


@pytest.mark.parametrize(("state", "files", "task", "tickets", "says"), [
    ("collecting", 0, None, {}, "share the spec's CSV files"),
    ("collecting", 3, None, {}, "start SITE NAME"),
    ("processing", 3, "running", {}, "wait for the run"),
    ("failed", 3, "failed", {}, "retry"),
    ("review", 3, "completed", {"draft": 4, "approved": 1}, "review the drafts"),
    ("review", 3, "completed", {"approved": 2}, "`/generate-tickets push` sends the 2 approved tickets"),
    ("done", 3, "completed", {"pushed": 5}, "`/generate-tickets undo`"),
])
def test_the_next_step(state: str, files: int, task: str | None, tickets: dict[str, int], says: str) -> None:
    assert says in next_step(state, files, task, tickets)
