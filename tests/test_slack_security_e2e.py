"""End to end, the security and fault rows S1–S11 and O1 of ../shared/reference/reliability-security.md:
the real `ticketbot serve` and `ticketbot worker` processes, a fake Slack, signed requests as Slack sends them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.slack_server import BOT_USER_ID, FakeSlackServer
from tests.support.slack import BOT_TOKEN, command_body, texts
from tests.support.slack_stack import (
    ALICE,
    BOB,
    HOSTILE,
    Stack,
    bundles_csv,
    drafts,
    latest_task,
    message,
    new_channel,
    running_stack,
    ticket,
    upload_and_start,
    wait_finished,
    wait_session,
)
from tests.support.workers import WorkerProcess, wait_for


@pytest.fixture(scope="module")
def stack(pg_database: str, redis_db: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(pg_database, redis_db, tmp_path_factory.mktemp("slack-security")) as running:
        yield running


# ---- S1–S3: signatures, replays, retries -----------------------------------------------------------------


def test_s1_bad_or_stale_signatures_are_refused_and_change_nothing(stack: Stack) -> None:
    channel = new_channel()
    body = command_body("start", channel=channel, user=ALICE, response_url=stack.slack.response_url("s1"))
    calls = len(stack.slack.calls)
    serve = stack.serve
    assert serve.post_signed(body, "application/x-www-form-urlencoded", secret="wrong-secret").status == 401
    assert serve.post_signed(body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 301).status == 401
    assert serve.post_signed(body, "application/x-www-form-urlencoded", timestamp=int(time.time()) + 301).status == 401
    assert serve.request("POST", "/slack/events", body, {"Content-Type": "application/x-www-form-urlencoded"}
                         ).status == 401
    time.sleep(0.5)
    assert len(stack.slack.calls) == calls and not stack.drive.responses("s1")
    with stack.uow_factory() as uow:
        assert uow.sessions.latest_in_channel(channel) is None


def test_s2_a_replayed_command_and_a_second_start_make_one_run(stack: Stack) -> None:
    channel = new_channel()
    root = stack.drive.share_files(channel, {"bundles.csv": bundles_csv(3)})
    sid = wait_session(stack, channel)
    wait_for(lambda: bool(stack.slack.by_key(f"upload:s{sid}:{root}")) and "tickets planned" in
             texts(message(stack, f"upload:s{sid}:{root}")), 30, "the upload reply")
    body = command_body("start", channel=channel, user=ALICE, trigger_id="111.replayed",
                        response_url=stack.slack.response_url("s2-a"))
    for _ in range(2):  # the very same signed request, twice
        assert stack.serve.post_signed(body, "application/x-www-form-urlencoded").status == 200
    stack.drive.command("start", channel=channel, user=BOB, response="s2-b")  # another person, another trigger
    wait_for(lambda: bool(stack.drive.responses("s2-b")) and bool(stack.drive.responses("s2-a")), 20,
             "both answers")
    wait_finished(stack, sid)
    assert len(stack.drive.responses("s2-a")) == 1  # the replay was answered once
    # Two listener processes may take the two people's commands in either order: one starts the run,
    # the other is told it is already going (or, if the 4-ticket run finished before it was read or
    # before it was handled, that the session is in review).
    answers = [stack.drive.responses(r)[0]["text"] for r in ("s2-a", "s2-b")]
    assert sum("Writing 4 tickets" in a for a in answers) == 1
    assert any("already going" in a or "last session is review" in a or "this session is review" in a
               for a in answers), answers
    with stack.uow_factory() as uow:
        tasks = [t for t in [uow.tasks.latest(sid)] if t is not None]
        assert len(tasks) == 1 and tasks[0].generation == 1 and tasks[0].enqueue_count == 1
        assert uow.sessions.get(sid).generation_count == 1
    assert len(stack.slack.by_key(f"progress:s{sid}")) == 1


def test_s3_a_retried_event_acts_once(stack: Stack) -> None:
    channel = new_channel()
    sid, _ = upload_and_start(stack, channel, {"bundles.csv": bundles_csv(2)})
    (t1, m1), *_ = [d for d in drafts(stack, sid) if d[0].spec_key.startswith("node.type.")]
    edits_before = len(stack.slack.calls_to("chat.update"))
    event_id = "EvRETRIED0001"
    for retry in (None, 1, 2, 3):
        assert stack.drive.react(channel, m1["ts"], "white_check_mark", event_id=event_id,
                                 retry_num=retry).status == 200
    wait_for(lambda: ticket(stack, t1.id).status == "approved", 20, "the approval")
    time.sleep(1.0)
    with stack.uow_factory() as uow:
        approvals = [a for a in uow.audit.for_session(sid) if a.action == "approve"]
    assert len(approvals) == 1
    draft_edits = [c for c in stack.slack.calls_to("chat.update")[edits_before:] if c.params["ts"] == m1["ts"]]
    assert len(draft_edits) == 1


# ---- S5, S6: who may react, and reactions that race ------------------------------------------------------


def test_s5_outsiders_foreign_messages_and_the_bot_itself_change_nothing(stack: Stack) -> None:
    channel = new_channel()
    sid, root = upload_and_start(stack, channel, {"bundles.csv": bundles_csv(2)})
    # Alice started the channel's first session, so she may say who approves; Bob then may not undo it.
    stack.drive.command(f"config approvers <@{ALICE}|alice>", channel=channel, user=ALICE, response="s5-config")
    wait_for(lambda: bool(stack.drive.responses("s5-config")), 20, "the config answer")
    assert "(saved)" in stack.drive.responses("s5-config")[0]["text"]
    assert "`approvers`: <@UALICE001> (set for this channel)" in stack.drive.responses("s5-config")[0]["text"]
    stack.drive.command(f"config approvers <@{BOB}>", channel=channel, user=BOB, response="s5-takeover")
    wait_for(lambda: bool(stack.drive.responses("s5-takeover")), 20, "the refusal")
    assert "approvers are set; only an admin (TICKETBOT_ADMINS" in stack.drive.responses("s5-takeover")[0]["text"]
    with stack.uow_factory() as uow:
        assert uow.channels.get(channel).approvers == [ALICE]
    (t1, m1), *_ = [d for d in drafts(stack, sid) if d[0].spec_key.startswith("node.type.")]
    ephemerals = len(stack.slack.ephemerals)
    stack.drive.react(channel, m1["ts"], "white_check_mark", user=BOB)  # not an approver
    stack.drive.react(channel, root, "white_check_mark", user=ALICE)  # the user's own message: not ours
    stack.drive.react(channel, m1["ts"], "x", user=BOT_USER_ID)  # the bot's own reaction
    stack.drive.command("cancel", channel=channel, user=BOB, response="s5-cancel")
    wait_for(lambda: len(stack.slack.ephemerals) > ephemerals and bool(stack.drive.responses("s5-cancel")), 20,
             "the notes to the outsider")
    time.sleep(1.0)
    assert "Only the approvers of this channel may approve drafts: <@UALICE001>." in \
        stack.slack.ephemerals[-1]["text"]
    assert stack.slack.ephemerals[-1]["user"] == BOB
    assert "Only the approvers" in stack.drive.responses("s5-cancel")[0]["text"]
    assert ticket(stack, t1.id).status == "draft"
    with stack.uow_factory() as uow:
        assert not [a for a in uow.audit.for_session(sid) if a.action in ("approve", "reject", "cancel")]


def test_s6_approve_twice_add_remove_add_and_approve_all_with_retry(stack: Stack) -> None:
    channel = new_channel()
    sid, _ = upload_and_start(stack, channel, {"bundles.csv": bundles_csv(3)})
    posted = drafts(stack, sid)
    (t1, m1) = posted[0]
    stack.drive.react(channel, m1["ts"], "white_check_mark")
    stack.drive.react(channel, m1["ts"], "white_check_mark", user=BOB)
    stack.drive.react(channel, m1["ts"], "white_check_mark", removed=True)
    stack.drive.react(channel, m1["ts"], "white_check_mark")
    progress = message(stack, f"progress:s{sid}")
    stack.drive.react(channel, progress["ts"], "white_check_mark")  # approve all (which asks first) …
    stack.drive.react(channel, progress["ts"], "repeat")  # … and retry, at once
    wait_for(lambda: ticket(stack, t1.id).status == "approved", 20, "the approval")
    wait_for(lambda: latest_task(stack, sid) == (2, "completed"), 60, "the second generation")
    wait_finished(stack, sid)
    with stack.uow_factory() as uow:
        approvals = [a for a in uow.audit.for_session(sid) if a.action == "approve" and a.ticket_id == t1.id]
        keys = [t.spec_key for t in uow.tickets.for_session(sid, include_withdrawn=True)]
        ids = [t.id for t in uow.tickets.for_session(sid, include_withdrawn=True)]
    assert len(approvals) == 1
    assert sorted(keys) == sorted(set(keys))
    for ticket_id in ids:
        assert len(stack.slack.by_key(f"draft:t{ticket_id}")) == 1


# ---- S7, S8: files that must not be fetched ----------------------------------------------------------------


def test_s7_s8_files_from_elsewhere_or_too_big_are_refused_and_said_so(stack: Stack) -> None:
    channel = new_channel()
    with FakeSlackServer(host="127.0.0.2", token=BOT_TOKEN) as elsewhere:
        elsewhere.add_file("FX", "views.csv", b"Name,Machine name\n")
        ts = stack.slack.next_ts()
        stack.slack.add_file("FEXT0000001", "external.csv", b"", mode="external", shares={channel: ts})
        stack.slack.add_file("FFAR0000001", "elsewhere.csv", b"x", url=elsewhere.file_url("FX"), shares={channel: ts})
        stack.slack.add_file("FRED0000001", "redirect.csv", b"x", redirect_to=elsewhere.file_url("FX"),
                             shares={channel: ts})
        stack.slack.add_file("FBIG0000001", "huge.csv", b"x", size=60 * 1024 * 1024, shares={channel: ts})
        stack.slack.add_file("FLIE0000001", "liar.csv", b"x", size=100, stream_bytes=60 * 1024 * 1024,
                             shares={channel: ts})
        stack.slack.add_file("FOK00000001", "bundles.csv", bundles_csv(1), shares={channel: ts})
        ids = ["FEXT0000001", "FFAR0000001", "FRED0000001", "FBIG0000001", "FLIE0000001", "FOK00000001"]
        stack.drive.event({"type": "message", "subtype": "file_share", "channel": channel, "user": ALICE, "ts": ts,
                           "files": [{"id": i} for i in ids]})
        sid = wait_session(stack, channel)
        key = f"upload:s{sid}:{ts}"
        wait_for(lambda: bool(stack.slack.by_key(key)) and "tickets planned" in texts(message(stack, key)), 30,
                 "the upload reply")
        reply = texts(message(stack, key))
        assert elsewhere.file_requests == []  # the token never went there, nor did any request
    assert "`external.csv` — not read: it is an external file" in reply
    assert "`elsewhere.csv` — not read: it is not hosted by Slack" in reply
    assert "`redirect.csv` — not read: it is not hosted by Slack" in reply
    assert "`huge.csv` — not read: it is 62,914,560 bytes, over the limit" in reply
    assert "`liar.csv` — not read: it is over the limit of 10,485,760 bytes" in reply
    assert "📄 `bundles.csv` — Bundles: 1 row" in reply
    with stack.uow_factory() as uow:
        assert [u.name for u in uow.uploads.active(sid)] == ["bundles.csv"]


# ---- S9–S11, O1: Slack failing, resets, big runs, hostile text -------------------------------------------


def test_s9_s10_rate_limits_and_resets_lose_and_double_nothing(stack: Stack) -> None:
    channel = new_channel()
    root = stack.drive.share_files(channel, {"bundles.csv": bundles_csv(12)})
    sid = wait_session(stack, channel)
    wait_for(lambda: bool(stack.slack.by_key(f"upload:s{sid}:{root}")) and "tickets planned" in
             texts(message(stack, f"upload:s{sid}:{root}")), 30, "the upload reply")
    updates_before = len(stack.slack.calls_to("chat.update"))
    stack.slack.fail_next("chat.update", 429, retry_after=2, times=2)
    stack.slack.fail_next("chat.postMessage", 429, retry_after=1)
    stack.slack.reset_after_post(times=2)  # two posts land in Slack but their answers are lost
    stack.drive.command("start", channel=channel)
    wait_finished(stack, sid)
    posted = drafts(stack, sid)  # asserts exactly one message per draft
    assert len(posted) == 12 + 1  # and the Behat set-up
    assert [m["ts"] for _, m in posted] == sorted((m["ts"] for _, m in posted), key=float)
    assert len(stack.slack.by_key(f"progress:s{sid}")) == 1
    limited = [c for c in stack.slack.calls_to("chat.update")[updates_before:] if c.status == 429]
    assert len(limited) == 2
    for call in limited:  # the same update again only after Retry-After
        later = [c for c in stack.slack.calls_to("chat.update")
                 if c.at > call.at and c.params["ts"] == call.params["ts"]]
        assert later and later[0].at - call.at >= 2.0
    assert "completed 100%" in message(stack, f"progress:s{sid}")["text"]


def test_s11_o1_a_200_ticket_run_with_hostile_text_stays_within_limits_and_inert(stack: Stack) -> None:
    channel = new_channel()
    files = {"bundles.csv": bundles_csv(200, HOSTILE), f"{HOSTILE[:10]}.csv": b"Nothing,Here\n1,2\n"}
    stack.drive.command("config digest off", channel=channel)  # every draft a message of its own: the
    # worst case for per-message limits (digests of a large run: tests/test_digest_review_e2e.py)
    sid, _root = upload_and_start(stack, channel, files, start="start anyway <!everyone> Site | <@U0ADMIN1>")
    assert len(drafts(stack, sid)) == 200 + 1  # and the Behat set-up
    refused = [c for c in stack.slack.calls if c.error in ("msg_too_long", "invalid_blocks")]
    assert refused == []
    for (c, _ts), sent in list(stack.slack.messages.items()):
        if c != channel:
            continue
        assert len(sent["blocks"]) <= 50 and len(sent["text"]) <= 4000
        shown = texts(sent)
        assert "<!channel>" not in shown and "<!everyone>" not in shown and "<@U0ADMIN1>" not in shown
        assert "<https://evil" not in shown
    first = next(texts(m) for t, m in drafts(stack, sid) if t.spec_key.startswith("node.type."))
    assert "&lt;!channel&gt; ping @\u2060here &lt;@U0ADMIN1&gt; &lt;https://evil.example|approve me&gt; &amp;" in first
    stack.drive.command("errors", channel=channel, response="s11-errors")
    wait_for(lambda: bool(stack.drive.responses("s11-errors")), 20, "the errors answer")
    for answer in stack.drive.responses("s11-errors"):
        assert len(answer["blocks"]) <= 50 and "<!channel>" not in str(answer)


def test_a_worker_killed_right_after_a_post_loses_and_doubles_no_draft(stack: Stack, tmp_path: Path) -> None:
    """The worker dies after Slack took a draft but before the database knew: found by metadata, not reposted."""
    channel = new_channel()
    root = stack.drive.share_files(channel, {"bundles.csv": bundles_csv(6)})
    sid = wait_session(stack, channel)
    wait_for(lambda: bool(stack.slack.by_key(f"upload:s{sid}:{root}")) and "tickets planned" in
             texts(message(stack, f"upload:s{sid}:{root}")), 30, "the upload reply")
    stack.worker.stop()  # only the doomed worker takes this run
    doomed = WorkerProcess({**stack.serve_env, "TICKETBOT_FAULT": "after_slack_post:3",
                            "TICKETBOT_FAULT_SCOPE": "group"}, tmp_path / "doomed.log")
    try:
        stack.drive.command("start", channel=channel)
        wait_for(lambda: doomed.process.poll() is not None, 60, "the worker to die after its third post")
    finally:
        doomed.stop()
        stack.worker = WorkerProcess(stack.serve_env, tmp_path / "rescuer.log")
    wait_finished(stack, sid)
    posted = drafts(stack, sid)  # exactly one message per draft
    assert len(posted) == 6 + 1  # and the Behat set-up
    assert [m["ts"] for _, m in posted] == sorted((m["ts"] for _, m in posted), key=float)
    assert "was posted before (found by its metadata)" in stack.worker.output()
