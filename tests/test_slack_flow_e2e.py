"""End to end: the real `ticketbot serve` and `ticketbot worker` processes on PostgreSQL and Redis, a fake
Slack Web API, driven by signed requests exactly as Slack sends them.

upload → /generate-tickets → one progress message → drafts in dependency order → reactions → Jira.
One serve process and one worker serve the module; each test works in a channel of its own.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from integrations.slack.action_ids import BULK_CONFIRM
from tests.conftest import REDIS_HOST, REDIS_PORT
from tests.fakes.jira_server import FakeJiraServer
from tests.fakes.slack_server import FakeSlackServer
from tests.support.confirmations import button_value, click
from tests.support.slack import BOT_TOKEN, ServeProcess, SlackDriver, slack_env, texts
from tests.support.slack_stack import (
    BOB,
    Stack,
    bundles_csv,
    drafts,
    example_files,
    message,
    new_channel,
    running_stack,
    ticket,
    upload_and_start,
    wait_finished,
    wait_session,
)
from tests.support.workers import wait_for


@pytest.fixture(scope="module")
def stack(pg_database: str, redis_db: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(pg_database, redis_db, tmp_path_factory.mktemp("slack-flow")) as running:
        yield running


# ---- the whole flow ------------------------------------------------------------------------------------


def test_upload_generate_progress_drafts_and_reactions(stack: Stack) -> None:
    channel = new_channel()
    root = stack.drive.share_files(channel, example_files())
    sid = wait_session(stack, channel)
    reply_key = f"upload:s{sid}:{root}"
    wait_for(lambda: bool(stack.slack.by_key(reply_key)) and "38 tickets planned" in texts(message(stack, reply_key)),
             30, "the upload reply to list every file")
    reply = texts(message(stack, reply_key))
    assert "*Upload of 15 files*" in reply and "📄 `fields.csv` — Fields: 36 rows" in reply
    assert "0 errors, 2 warnings" in reply and "bundles.csv row 2: dependency cycle" in reply
    assert "38 tickets planned. Dependencies: 50 stated, 0 inferred." in reply
    with stack.uow_factory() as uow:
        assert uow.uploads.count_active(sid) == 15  # the file_shared events changed nothing

    answer = stack.drive.command("start Acme Outdoors | An outdoor-gear retailer", channel=channel,
                                 response="flow-start")
    assert answer.status == 200 and answer.seconds < 1.0
    wait_for(lambda: bool(stack.drive.responses("flow-start")), 30, "the answer to the command")
    assert "Writing 38 tickets for *Acme Outdoors*" in stack.drive.responses("flow-start")[0]["text"]
    progress = wait_finished(stack, sid)

    # ONE progress message, only edited after its post, at most once per 2 s, ending at 100 %.
    assert progress["thread_ts"] == root
    final = texts(progress)
    assert "✅ *38 drafts ready for review*" in final and "• *Content*: 11 tickets" in final
    assert "Dependencies: 50 stated, 0 inferred." in final  # the run summary says how certain the order is
    edits = [c for c in stack.slack.calls_to("chat.update") if c.params["ts"] == progress["ts"]]
    assert all(b.at - a.at >= 1.95 for a, b in itertools.pairwise(edits))
    # Drafts: one per ticket, exactly once, in dependency order, all in the session's thread.
    posted = drafts(stack, sid)
    assert len(posted) == 38
    assert [m["ts"] for _, m in posted] == sorted((m["ts"] for _, m in posted), key=float)
    assert all(m["thread_ts"] == root for _, m in posted)
    first = texts(posted[0][1])
    assert posted[0][0].title in first and "*User story*" in first and "*Verification*" in first
    assert "React ✅ to approve · 🔁 to regenerate · ❌ to reject" in first
    # The code-made estimate, read back from the stored ticket, is on every draft.
    assert all(re.search(r"\*Estimate:\* (XS|S|M|L|XL) \(\d points?\): \S", texts(m)) for _, m in posted)
    # A run posts nothing but its progress message and its drafts.
    assert len(stack.slack.thread(channel, root)) == 1 + 1 + 38

    (t1, m1), (t2, m2), (t3, m3) = posted[0], posted[1], posted[2]
    stack.drive.react(channel, m1["ts"], "white_check_mark")
    wait_for(lambda: "Approved by <@UALICE001>" in texts(message(stack, f"draft:t{t1.id}")), 20, "draft 1 approved")
    stack.drive.react(channel, m2["ts"], "x", user=BOB)
    wait_for(lambda: ticket(stack, t2.id).status == "rejected", 20, "draft 2 rejected")
    wait_for(lambda: "Rejected by <@U0BOB0001>" in texts(message(stack, f"draft:t{t2.id}")), 20, "its message")
    stack.drive.react(channel, m2["ts"], "+1::skin-tone-3")  # ✅ re-approves a rejected draft
    wait_for(lambda: ticket(stack, t2.id).status == "approved", 20, "draft 2 approved after all")
    stack.drive.react(channel, m3["ts"], "arrows_counterclockwise")
    wait_for(lambda: ticket(stack, t3.id).regeneration_count == 1 and ticket(stack, t3.id).status == "draft", 30,
             "draft 3 rewritten")
    wait_for(lambda: "React ✅ to approve" in texts(message(stack, f"draft:t{t3.id}")) and
             "rewritten 1×" in texts(message(stack, f"draft:t{t3.id}")), 30, "draft 3 edited in place")

    stack.drive.react(channel, progress["ts"], "white_check_mark", user=BOB)  # approve all: asks Bob first
    wait_for(lambda: any(e.get("user") == BOB and BULK_CONFIRM in json.dumps(e.get("blocks"))
                         for e in stack.slack.ephemerals), 20, "the confirmation")
    asked = next(e for e in stack.slack.ephemerals if e.get("user") == BOB and BULK_CONFIRM in json.dumps(e["blocks"]))
    assert f"Approve all {len(posted) - 2} drafts" in json.dumps(asked["blocks"])  # the two decided stay
    assert all(ticket(stack, t.id).status == "draft" for t, _ in posted[3:])  # nothing until confirmed
    blocks = json.loads(asked["blocks"]) if isinstance(asked["blocks"], str) else asked["blocks"]
    click(stack.drive, BULK_CONFIRM, button_value({"blocks": blocks}, BULK_CONFIRM), channel=channel, user=BOB,
          response="flow-confirm")
    wait_for(lambda: all(ticket(stack, t.id).status == "approved" for t, _ in posted), 20, "every draft approved")
    wait_for(lambda: "approved all drafts" in texts(message(stack, f"progress:s{sid}")), 20, "the note of it")
    last = posted[-1][0]
    wait_for(lambda: "Approved by <@U0BOB0001>" in texts(message(stack, f"draft:t{last.id}")), 30, "drafts edited")
    stack.drive.react(channel, m1["ts"], "white_check_mark", removed=True)  # undoes nothing
    stack.drive.command("push", channel=channel, response="flow-push")
    wait_for(lambda: bool(stack.drive.responses("flow-push")), 20, "the answer to push")
    assert "Jira is not configured" in stack.drive.responses("flow-push")[0]["text"]
    assert ticket(stack, t1.id).status == "approved"

    stack.drive.command("status", channel=channel, response="flow-status")
    stack.drive.command("errors", channel=channel, response="flow-errors")
    wait_for(lambda: bool(stack.drive.responses("flow-status")) and bool(stack.drive.responses("flow-errors")), 20,
             "status and errors")
    assert "38 approved" in stack.drive.responses("flow-status")[0]["text"]
    assert "0 errors, 2 warnings" in texts(stack.drive.responses("flow-errors")[0])
    assert not any("xoxb-" in body for body in stack.slack.bodies())  # X1


def test_s4_acks_stay_fast_while_slack_and_the_services_behind_are_slow(stack: Stack) -> None:
    channel = new_channel()
    stack.slack.latency_s = 3.0  # every Web API call the bot makes now takes 3 s
    try:
        for text in ("status", "errors", "health", "start"):
            assert stack.drive.command(text, channel=channel).seconds < 1.0
        assert stack.drive.react(channel, "1700000000.000100", "white_check_mark").seconds < 1.0
    finally:
        stack.slack.latency_s = 0.0


def test_usage_mistakes_and_help_are_answered_in_the_acknowledgement(stack: Stack) -> None:
    channel = new_channel()
    answer = stack.drive.command("status now", channel=channel)
    assert answer.status == 200 and answer.json()["response_type"] == "ephemeral"
    assert "`status` takes nothing after it" in answer.json()["text"]
    assert "`/generate-tickets start [SITE NAME" in stack.drive.command("help", channel=channel).json()["text"]
    stack.drive.command("", channel=channel, response="nothing")  # a bare command: the status, what to do
    wait_for(lambda: bool(stack.drive.responses("nothing")), 20, "the answer")
    assert "No session in this channel yet: share the spec's files here first" in \
        stack.drive.responses("nothing")[0]["text"]


# ---- the channel allow-list ------------------------------------------------------------------------------


def test_channels_not_allowed_are_told_so_and_their_uploads_ignored(pg_database: str, redis_db: int,
                                                                   tmp_path: Path) -> None:
    with FakeSlackServer(token=BOT_TOKEN) as slack:
        env = slack_env(pg_database, f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db}", slack,
                        TICKETBOT_CHANNELS="C0ALLOWED1")
        serve = ServeProcess(env, tmp_path / "serve.log")
        try:
            drive = SlackDriver(serve, slack)
            answer = drive.command("start", channel="C0ELSEWHR1")
            assert answer.json()["text"].startswith("I do not work in this channel.")
            assert "C0ALLOWED1" not in answer.body.decode()  # the allowed channels are not told to outsiders
            drive.share_files("C0ELSEWHR1", {"bundles.csv": bundles_csv(1)}, also_file_shared=False)
            time.sleep(1.0)
            assert slack.calls_to("files.info") == [] and slack.calls_to("chat.postMessage") == []
        finally:
            serve.stop()


# ---- with Jira: an approval ends as a link on the draft ----------------------------------------------------


def test_an_approved_draft_shows_its_jira_issue(pg_database: str, redis_db: int, tmp_path: Path) -> None:
    """The link is built on JIRA_URL without its userinfo: a user and password in it never reach Slack."""
    with FakeJiraServer("cloud") as jira, running_stack(
            pg_database, redis_db, tmp_path, clean=False, TICKETBOT_QUEUE="ticketbot-test-jira",
            **jira.env(JIRA_URL=jira.url.replace("://", "://bot:url-password@"))) as stack:
        channel = new_channel()
        sid, _ = upload_and_start(stack, channel, {"bundles.csv": bundles_csv(2)})
        (t1, m1), (t2, _) = [d for d in drafts(stack, sid) if d[0].spec_key.startswith("node.type.")]
        stack.drive.react(channel, m1["ts"], "white_check_mark")
        wait_for(lambda: ticket(stack, t1.id).status == "pushed", 60, "the ticket to be pushed")
        key = f"draft:t{t1.id}"
        wait_for(lambda: "🚀 In Jira: <" in texts(message(stack, key)), 30, "the draft to show its issue")
        shown = texts(message(stack, key))
        assert f"<{jira.url}/browse/RPL-" in shown and "(approved by <@UALICE001>)" in shown
        assert not any("url-password" in body for body in stack.slack.bodies())
        assert ticket(stack, t2.id).status == "draft"
        wait_for(lambda: "in RPL" in texts(message(stack, f"progress:s{sid}")), 30, "the push summary")
        logs = stack.serve.output() + stack.worker.output()
    assert jira.api_token not in logs and "url-password" not in logs  # X1


def test_two_channels_run_at_once_on_shared_workers_without_interfering(stack: Stack) -> None:
    """Issue 7, multi-team use: two channels, one worker pool, one Slack pacer; each thread its own."""
    first, second = new_channel(), new_channel()
    config = stack.drive.command("config jira_project ALPHA", channel=first, response="cfg-alpha")
    assert config.status == 200
    roots = {channel: stack.drive.share_files(channel, {"bundles.csv": bundles_csv(count)})
             for channel, count in ((first, 6), (second, 4))}
    sessions = {channel: wait_session(stack, channel) for channel in roots}
    for channel, sid in sessions.items():
        wait_for(lambda sid=sid, channel=channel: bool(stack.slack.by_key(f"upload:s{sid}:{roots[channel]}")),
                 30, "the upload replies")
    for channel in roots:  # both runs go at the same time
        assert stack.drive.command("start", channel=channel).status == 200
    for channel, sid in sessions.items():
        progress = wait_finished(stack, sid)
        assert progress["thread_ts"] == roots[channel]
        posted = drafts(stack, sid)
        assert len(posted) == (6 if channel == first else 4) + 1  # and the Behat set-up
        assert all(m["thread_ts"] == roots[channel] and m["channel"] == channel for _, m in posted)
    with stack.uow_factory() as uow:
        alpha, other = uow.channels.get(first), uow.channels.get(second)
        assert alpha is not None and alpha.jira_project == "ALPHA"
        assert other is None or other.jira_project is None  # the other channel keeps the default
