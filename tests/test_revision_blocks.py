"""Pure renderers of a revised spec in Slack: what changed on a draft, the proposal to close, the upload
reply's summary, the progress count of unchanged tickets, and the history answer. Exact, bounded, inert."""

from __future__ import annotations

from dataclasses import replace

from integrations.slack.blocks import draft_message, progress_message, upload_reply_message
from integrations.slack.history_blocks import KeyHistoryView, VersionLine, history_message
from integrations.slack.views import DraftView, ProgressView, UploadFileView, UploadReplyView
from tests.test_slack_blocks import HOSTILE, assert_inert, assert_within_limits

DRAFT = DraftView(position=3, total=39, title="Add the Capacity field to Event", group="Content",
                  spec_key="node.type.event", user_story="As an editor…", analysis="Add field_capacity.",
                  verification=("Capacity exists",), jira_key="RPL-12", jira_url="https://jira.example/browse/RPL-12",
                  change_kind="changed", changes=("field Capacity added", "field Date: Req “y” → “n”"))


def section_texts(message) -> list[str]:  # type: ignore[no-untyped-def]
    return [b["text"]["text"] for b in message.blocks if b["type"] == "section"]


def test_a_changed_draft_says_what_changed_since_its_jira_issue_before_the_new_text() -> None:
    sections = section_texts(draft_message(DRAFT))
    assert sections[0] == ("*What changed* since <https://jira.example/browse/RPL-12|RPL-12>:\n"
                           "• field Capacity added\n• field Date: Req “y” → “n”\n_The text below is the new version._")
    assert sections[1].startswith("*User story*")


def test_a_removed_draft_proposes_closing_and_its_reactions_say_so() -> None:
    message = draft_message(replace(DRAFT, change_kind="removed", changes=("bundle Gallery marked X = d",)))
    assert section_texts(message)[0] == ("🗑 *Proposes closing* <https://jira.example/browse/RPL-12|RPL-12> as "
                                         "obsolete: bundle Gallery marked X = d.")
    assert message.blocks[-1]["elements"][0]["text"] == "React ✅ to close it in Jira as obsolete · ❌ to keep it open"
    approved = draft_message(replace(DRAFT, change_kind="removed", status="approved", decided_by="U0ANN"))
    assert "Approved by <@U0ANN>" in approved.blocks[-1]["elements"][0]["text"]


def test_first_versions_new_and_unchanged_drafts_show_no_change_section() -> None:
    for kind in ("", "new", "unchanged"):
        assert not any("What changed" in t or "Proposes closing" in t
                       for t in section_texts(draft_message(replace(DRAFT, change_kind=kind))))


def test_many_changes_are_bounded_and_hostile_cells_stay_inert() -> None:
    changes = tuple(f"field {HOSTILE} {i} added" for i in range(40))
    message = draft_message(replace(DRAFT, changes=changes, spec_key=HOSTILE, jira_url=""))  # our own link aside
    assert_within_limits(message)
    assert_inert(message)
    what = section_texts(message)[0]
    assert what.count("• field") == 12 and "… and 28 more: `/generate-tickets history" in what
    removed = draft_message(replace(DRAFT, change_kind="removed", changes=(HOSTILE,), jira_key="", jira_url=""))
    assert_inert(removed)
    assert "*Proposes closing* the approved version as obsolete" in section_texts(removed)[0]


def test_the_upload_reply_shows_the_revision_once_planned() -> None:
    view = UploadReplyView(files=(UploadFileView("fields.csv", "read"),), planned_tickets=39,
                           revision="31 unchanged, 6 changed (Event: field Capacity added), 1 new, 1 removed")
    texts = section_texts(upload_reply_message(view))
    assert texts[-1] == ("*Revised spec* — compared with what this channel pushed before: 31 unchanged, 6 changed "
                         "(Event: field Capacity added), 1 new, 1 removed.\n`/generate-tickets` writes only the new "
                         "and changed tickets; unchanged ones stay as they are in Jira, removed ones are proposed "
                         "for closing.")
    assert not any("Revised spec" in t for t in section_texts(upload_reply_message(replace(view, revision=""))))
    reading = replace(view, planned_tickets=None)  # still reading: no summary yet
    assert not any("Revised spec" in t for t in section_texts(upload_reply_message(reading)))
    assert_inert(upload_reply_message(replace(view, revision=HOSTILE)))


def test_the_progress_message_counts_unchanged_tickets_apart_and_reaches_100_percent() -> None:
    view = ProgressView(site="Acme", state="completed", done=39, total=39, posted=8, unchanged=31)
    message = progress_message(view)
    assert view.fraction == 1.0 and "100%" in message.text
    assert ("✅ *8 drafts ready for review* (new, changed, or proposed for closing) · 31 unchanged tickets kept as "
            "they are in Jira") in section_texts(message)[0]
    assert replace(view, posted=5).fraction < 1.0  # drafts still to post


def test_history_lists_every_version_in_order() -> None:
    first = VersionLine(4, 1, "2026-12-01 10:00", ("bundles.csv", "fields.csv"), ("U0ANN",), "openai/gpt-x",
                        "pushed", "U0BOB", "", (), "RPL-12")
    second = VersionLine(9, 1, "2026-12-04 15:00", ("fields.csv",), ("U0ANN",), "openai/gpt-x", "draft", "",
                         "changed", ("field Capacity added", "a", "b", "c"), "RPL-12")
    texts = section_texts(history_message(KeyHistoryView("node.type.event", (first, second), more=1)))
    assert texts[0] == "*History of `node.type.event`* — 3 versions"
    assert texts[1].split("\n") == [
        "_… 1 older version not shown_",
        "• *session 4* (2026-12-01 10:00) · first version · pushed · approved by <@U0BOB> · Jira `RPL-12` · "
        "written by openai/gpt-x · from `bundles.csv`, `fields.csv` uploaded by <@U0ANN>",
        "• *session 9* (2026-12-04 15:00) · changed · draft · Jira `RPL-12` · written by openai/gpt-x · from "
        "`fields.csv` uploaded by <@U0ANN>",
        "    ↳ field Capacity added; a; b … and 1 more",
    ]


def test_history_of_an_unknown_key_says_how_to_name_one_and_hostile_text_stays_inert() -> None:
    empty = history_message(KeyHistoryView(HOSTILE, ()))
    assert_inert(empty)
    assert "No ticket for" in empty.text and "history node.type.article" in empty.text
    hostile = VersionLine(1, 1, HOSTILE, (HOSTILE,) * 5, ("U0ANN",), HOSTILE, HOSTILE, "", HOSTILE, (HOSTILE,) * 9,
                          HOSTILE)
    message = history_message(KeyHistoryView(HOSTILE, (hostile,) * 20))
    assert_inert(message)
    assert_within_limits(message)
