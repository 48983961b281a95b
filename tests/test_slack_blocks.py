"""The pure Block Kit builders: exact messages for small views, Slack's limits and mrkdwn escaping for big
and hostile ones (O1, L4, S11 of ../shared/reference/reliability-security.md)."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.slack.blocks import (
    DRAFT_HINT,
    draft_message,
    help_message,
    notice,
    problem_pages,
    progress_message,
    upload_reply_message,
)
from integrations.slack.text import MAX_BLOCKS, MAX_SECTION_CHARS, MAX_TEXT_CHARS, escape, split, truncate
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

HOSTILE = "<!channel> <!everyone> @here <@U0ADMIN1> <https://evil.example|click to approve> & `tick` \u200b\U000e0041"


def all_mrkdwn(blocks: list[dict]) -> list[str]:
    texts = []
    for block in blocks:
        if block.get("text", {}).get("type") == "mrkdwn":
            texts.append(block["text"]["text"])
        texts.extend(e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn")
    return texts


def assert_within_limits(message) -> None:  # type: ignore[no-untyped-def]
    assert len(message.text) <= MAX_TEXT_CHARS
    assert len(message.blocks) <= MAX_BLOCKS
    for block in message.blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= MAX_SECTION_CHARS
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "context":
            assert 1 <= len(block["elements"]) <= 10


def assert_inert(message) -> None:  # type: ignore[no-untyped-def]
    """No live mention, broadcast or link can come from the text we were given."""
    for text in [message.text, *all_mrkdwn(message.blocks)]:
        assert "<!" not in text and "<http" not in text and "<@U0ADMIN1>" not in text
        assert not re.search(r"(?<!\u2060)@here", text.replace("@\u2060here", ""))
    dumped = json.dumps(message.blocks, ensure_ascii=False)
    assert "\u200b" not in dumped and "\U000e0041" not in dumped


# ---- escaping and splitting ----------------------------------------------------------------------------


def test_escape_makes_markup_inert() -> None:
    assert escape("<!channel> & <@U1> <https://x|y>") == "&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;https://x|y&gt;"
    assert escape("ping @here and @Channel") == "ping @\u2060here and @\u2060Channel"
    assert escape("zero\u200bwidth\U000e0041 tag\x07") == "zerowidth tag"


def test_truncate_never_cuts_an_entity() -> None:
    text = escape("a" * 8 + "<b")
    assert truncate(text, 11) == "a" * 8 + "…"
    assert truncate("short", 10) == "short"


@given(st.text(min_size=0, max_size=9000))
@settings(max_examples=80, deadline=None)
def test_split_keeps_every_piece_within_the_limit(text: str) -> None:
    escaped = escape(text)
    pieces = split(escaped, 500)
    assert all(len(p) <= 500 for p in pieces)
    assert all(not re.search(r"&[a-z]{0,3}$", p) for p in pieces[:-1])


# ---- drafts ------------------------------------------------------------------------------------------


def small_draft(**changes: object) -> DraftView:
    fields: dict[str, object] = dict(
        position=2, total=5, title="Create content type Article", group="Content", spec_key="node.type.article",
        user_story="As an editor, I want articles.", analysis="Add the type.", verification=("It exists",),
        depends_on=("taxonomy.vocabulary.tags",),
    )
    fields.update(changes)
    return DraftView(**fields)  # type: ignore[arg-type]


def test_draft_message_is_exactly_this() -> None:
    message = draft_message(small_draft())
    assert message.text == "Draft 2 of 5: Create content type Article"
    assert message.blocks == [
        {"type": "header", "text": {"type": "plain_text", "text": "Create content type Article", "emoji": True}},
        {"type": "context", "elements": [{"type": "mrkdwn",
                                          "text": "*Content* · `node.type.article` · draft 2 of 5"}]},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*User story*\nAs an editor, I want articles."}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Analysis*\nAdd the type."}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Verification*\n☐ It exists"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Depends on: `taxonomy.vocabulary.tags`"}]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": DRAFT_HINT}]},
    ]


def test_draft_status_lines_say_who_did_what() -> None:
    def status(**changes: object) -> str:
        return draft_message(small_draft(**changes)).blocks[-1]["elements"][0]["text"]

    assert status(status="approved", decided_by="U0ANN0001") == "✅ Approved by <@U0ANN0001> — waiting to go to Jira"
    assert status(status="rejected", decided_by="U0BOB0001").startswith("❌ Rejected by <@U0BOB0001>")
    assert status(status="pushed", decided_by="U0ANN0001", jira_key="RPL-12",
                  jira_url="https://jira.example/browse/RPL-12") == \
        "🚀 In Jira: <https://jira.example/browse/RPL-12|RPL-12> (approved by <@U0ANN0001>)"
    assert status(status="regenerating", note=ActionNote("U0CAT0001", "regenerate")) == \
        "🔁 Being rewritten, asked by <@U0CAT0001>…"
    assert status(status="withdrawn").startswith("🗑 Withdrawn")
    assert status(status="pushed", jira_key="x|<!here>", jira_url="javascript:alert(1)") .startswith(
        "🚀 In Jira: `x|&lt;!here&gt;`")


def test_hostile_llm_and_csv_text_is_sent_inert() -> None:
    """O1 / L4: mentions, links and tag characters from a cell or the model never go live."""
    message = draft_message(small_draft(title=HOSTILE, user_story=HOSTILE, analysis=HOSTILE, group=HOSTILE,
                                        verification=(HOSTILE,), depends_on=(HOSTILE,), spec_key=HOSTILE))
    assert_inert(message)
    assert "&lt;!channel&gt;" in message.blocks[2]["text"]["text"]
    assert message.blocks[0]["text"]["text"].startswith("‹!channel›")


def test_a_huge_draft_stays_within_slack_limits_and_says_it_was_cut() -> None:
    message = draft_message(small_draft(title="T" * 400, user_story="s" * 5000, analysis="word " * 4000,
                                        verification=tuple(f"check {i} " + "x" * 200 for i in range(200)),
                                        depends_on=tuple(f"node.type.t{i}" for i in range(500))))
    assert_within_limits(message)
    assert any("the full text is kept and goes to Jira" in t for t in all_mrkdwn(message.blocks))


# ---- progress --------------------------------------------------------------------------------------------


def test_progress_while_running() -> None:
    message = progress_message(ProgressView(site="Acme", state="running", done=5, total=20, posted=4,
                                            stage="Views — group 3 of 6", eta_s=75, tokens=1234,
                                            started_by="U0ANN0001"))
    assert message.blocks[1] == {"type": "section", "text": {"type": "mrkdwn", "text": (
        "`█████░░░░░░░░░░░░░░░` *25%*\n*Views — group 3 of 6* · 5 of 20 tickets written · 4 drafts posted")}}
    assert message.blocks[2]["elements"][0]["text"] == "ETA about 1 min"
    assert message.blocks[2]["elements"][1]["text"] == "1,234 tokens used"


def test_progress_reaches_100_only_when_the_last_draft_is_posted() -> None:
    done: dict = dict(site="Acme", done=20, total=20, groups=(GroupSummary("Content", 12), GroupSummary("Views", 8, 1)))
    assert progress_message(ProgressView(state="posting", posted=19, **done)).text == "Tickets for Acme: posting 95%"
    assert progress_message(ProgressView(state="running", done=20, posted=20, total=20, site="Acme")).text == \
        "Tickets for Acme: running 99%"
    final = progress_message(ProgressView(state="completed", posted=20, **done))
    assert final.text == "Tickets for Acme: completed 100%"
    assert "• *Views*: 8 tickets (1 with the template's text)" in final.blocks[2]["text"]["text"]
    assert "✅ approve every draft" in final.blocks[-1]["text"]["text"]


def test_failure_says_what_happened_and_what_to_do_by_category() -> None:
    message = progress_message(ProgressView(site="A", state="failed", done=3, total=9, error="the <LLM> key is wrong",
                                            error_category="admin_required", reference="task 7"))
    texts = all_mrkdwn(message.blocks)
    assert "The &lt;LLM&gt; key is wrong" in texts
    assert any("ask an admin" in t for t in texts)
    assert any("reference for an admin: task 7" in t for t in texts)


def test_actions_are_shown_on_the_progress_message() -> None:
    message = progress_message(ProgressView(site="A", state="cancelled", done=3, total=9, approved=2,
                                            notes=(ActionNote("U0ANN0001", "cancel"),)))
    assert message.blocks[-2]["elements"][0]["text"] == "2 approved"
    assert message.blocks[-1]["elements"][0]["text"] == "⏹ <@U0ANN0001> cancelled the run"


# ---- uploads and long problem lists ---------------------------------------------------------------------


def test_upload_reply_lists_files_sheets_and_problems() -> None:
    view = UploadReplyView(
        files=(UploadFileView("bundles.csv", "read", (SheetView("Bundles", 12),)),
               UploadFileView("<!here>.csv", "refused", reason="it is an external file"),
               UploadFileView("fields.csv", "reading")),
        problems=(ProblemView("row_error", "fields.csv", 14, "Bundle", "unknown bundle 'Artcle'",
                              "did you mean 'Article'?"),),
    )
    message = upload_reply_message(view)
    assert message.text == "Reading 1 of 3 files…"
    assert message.blocks[0]["text"]["text"] == (
        "*Upload of 3 files*\n📄 `bundles.csv` — Bundles: 12 rows\n"
        "⛔ `&lt;!here&gt;.csv` — not read: it is an external file\n⏳ `fields.csv` — reading…")
    assert message.blocks[1]["text"]["text"] == (
        "*1 error, 0 warnings*\n⛔ fields.csv row 14, Bundle: unknown bundle 'Artcle' — did you mean 'Article'?")


def test_a_long_problem_list_is_summarised_in_the_reply_and_paginated_in_errors() -> None:
    problems = tuple(ProblemView("row_error", "fields.csv", i, "Machine name", "invalid machine name " + "x" * 80)
                     for i in range(2, 1502))
    reply = upload_reply_message(UploadReplyView(files=(UploadFileView("fields.csv", "read"),), problems=problems,
                                                 planned_tickets=3))
    assert_within_limits(reply)
    assert any("… and 1485 more: `/generate-tickets errors` lists every one." in t for t in all_mrkdwn(reply.blocks))
    pages = problem_pages("Problems", problems)
    assert 1 < len(pages) <= 5
    for page in pages:
        assert_within_limits(page)
    shown = "\n".join(t for page in pages for t in all_mrkdwn(page.blocks))
    assert "row 1501," in shown and "row 2," in shown


def test_short_answers() -> None:
    assert notice("hi").blocks == [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    assert "`/generate-tickets config [KEY VALUE]`" in help_message().text
    assert problem_pages("Problems", [])[0].text == "Problems: no problems found."


def test_a_draft_shows_its_estimate_under_the_title() -> None:
    message = draft_message(small_draft(estimate="M (3 points): 5 fields, <!channel> 1 decision open"))
    assert message.blocks[2] == {"type": "context", "elements": [{"type": "mrkdwn", "text":
                                 "*Estimate:* M (3 points): 5 fields, &lt;!channel&gt; 1 decision open"}]}
    assert all("Estimate" not in str(b) for b in draft_message(small_draft()).blocks)
