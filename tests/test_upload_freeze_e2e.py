"""Issue 10, item 16: a session's upload set is frozen when its generation starts.

A same-named file shared while a run is going used to replace the file the run was planned from, so
the rest of the run, a later 🔁 and a retry wrote from a spec the run never started with. End to end:
the real `ticketbot serve` and workers on PostgreSQL and Redis, the fake Slack, signed requests. The
run is caught half way deterministically: a worker dies (as if killed) right after its first content type,
the new file is shared while the run is stored as going, and a second worker takes the run over.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.support.slack import texts
from tests.support.slack_stack import (
    Stack,
    Ticket,
    bundles_csv,
    latest_task,
    message,
    new_channel,
    running_stack,
    ticket,
    wait_finished,
    wait_session,
)
from tests.support.slack_stack import drafts as all_drafts
from tests.support.workers import WorkerProcess, wait_for

ORIGINAL, REPLACED = "Original text", "Replaced text"


@pytest.fixture
def stack(pg_database: str, redis_db: int, tmp_path: Path) -> Iterator[Stack]:
    with running_stack(pg_database, redis_db, tmp_path) as running:
        yield running


def wait_reply(stack: Stack, sid: int, root: str, wanted: str) -> str:
    key = f"upload:s{sid}:{root}"
    wait_for(lambda: bool(stack.slack.by_key(key)) and wanted in texts(message(stack, key)), 30,
             f"the upload reply {key} to say {wanted!r}")
    return texts(message(stack, key))


def stories(stack: Stack, sid: int) -> list[str]:
    """The user stories of the tickets written from the shared file's rows (not the Behat set-up ticket
    every plan opens with, which quotes no row)."""
    with stack.uow_factory() as uow:
        return [t.user_story for t in uow.tickets.for_session(sid) if t.spec_key.startswith("node.type.")]


def drafts(stack: Stack, sid: int) -> list[tuple[Ticket, dict[str, Any]]]:
    return [(t, draft) for t, draft in all_drafts(stack, sid) if t.spec_key.startswith("node.type.")]


def test_a_same_named_file_shared_during_a_run_waits_for_the_next_session(stack: Stack, tmp_path: Path) -> None:
    channel = new_channel()
    stack.worker.stop()  # the run is started by one that dies after its first content type (the Behat ticket is 1st)
    stack.worker = WorkerProcess({**stack.serve_env, "TICKETBOT_FAULT": "after_ticket:2",
                                  "TICKETBOT_FAULT_SCOPE": "group"}, tmp_path / "doomed.log")
    first_root = stack.drive.share_files(channel, {"bundles.csv": bundles_csv(3, ORIGINAL)})
    running = wait_session(stack, channel)
    wait_reply(stack, running, first_root, "4 tickets planned")
    assert stack.drive.command("start", channel=channel).status == 200
    wait_for(lambda: stack.worker.process.poll() is not None, 60, "the first worker to die after one ticket")
    assert len(stories(stack, running)) == 1 and ORIGINAL in stories(stack, running)[0]

    # While the run is going, the same file name with other contents is shared in the channel.
    second_root = stack.drive.share_files(channel, {"bundles.csv": bundles_csv(3, REPLACED)})
    wait_for(lambda: wait_session(stack, channel) != running, 30, "the upload to open the next session")
    following = wait_session(stack, channel)
    reply = wait_reply(stack, following, second_root, "tickets planned")
    assert "A run is going in this channel: these files are kept for the next run, not mixed into the " \
           "running one." in reply
    assert message(stack, f"upload:s{following}:{second_root}")["thread_ts"] == second_root

    stack.worker.stop()
    stack.worker = WorkerProcess(stack.serve_env, tmp_path / "rescuer.log")  # takes the run over
    progress = wait_finished(stack, running)
    assert progress["thread_ts"] == first_root
    posted = drafts(stack, running)
    assert len(posted) == 3
    for _, draft in posted:
        assert ORIGINAL in texts(draft) and REPLACED not in texts(draft)

    # 🔁 on a draft rewrites it from the run's own files …
    (regenerated, draft) = posted[1]
    stack.drive.react(channel, draft["ts"], "repeat")
    wait_for(lambda: ticket(stack, regenerated.id).regeneration_count == 1
             and ticket(stack, regenerated.id).status == "draft", 30, "the draft to be rewritten")
    wait_for(lambda: "rewritten 1×" in texts(message(stack, f"draft:t{regenerated.id}")), 30, "its edit")
    shown = texts(message(stack, f"draft:t{regenerated.id}"))
    assert ORIGINAL in shown and REPLACED not in shown
    # … and so does 🔁 on the progress message (a retry: generation 2).
    stack.drive.react(channel, progress["ts"], "repeat")
    wait_for(lambda: latest_task(stack, running) == (2, "completed"), 60, "the second generation")
    assert all(ORIGINAL in story and REPLACED not in story for story in stories(stack, running))
    with stack.uow_factory() as uow:
        assert {t.generation for t in uow.tickets.for_session(running)} == {2}
        [frozen], [kept] = uow.uploads.active(running), uow.uploads.active(following)
        assert ORIGINAL.encode() in frozen.data and REPLACED.encode() in kept.data

    # The file shared during the run is the next session's: its own run, in its own thread.
    assert stack.drive.command("start", channel=channel).status == 200
    next_progress = wait_finished(stack, following)
    assert next_progress["thread_ts"] == second_root
    next_drafts = drafts(stack, following)
    assert len(next_drafts) == 3
    assert all(REPLACED in texts(d) and ORIGINAL not in texts(d) for _, d in next_drafts)


def test_an_upload_stored_as_the_run_starts_goes_to_the_next_session(stack: Stack, pg_database: str) -> None:
    """The race, made deterministic: the test holds the session's row, a `start` and then an upload of the
    same file name queue up behind it, and the row is let go. The start is first: it freezes the set
    with the original file, and the upload, which chose the session before the start committed, finds
    it frozen when it stores its file and goes to the next session."""
    channel = new_channel()
    first_root = stack.drive.share_files(channel, {"bundles.csv": bundles_csv(3, ORIGINAL)})
    running = wait_session(stack, channel)
    wait_reply(stack, running, first_root, "4 tickets planned")
    engine = create_engine(pg_database)
    try:
        with engine.connect() as holder:
            def waiting() -> int:
                with engine.connect() as probe:
                    return int(probe.scalar(text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock' AND application_name = 'ticketbot'")) or 0)

            holder.execute(text("SELECT id FROM sessions WHERE id = :id FOR NO KEY UPDATE"), {"id": running})
            assert stack.drive.command("start", channel=channel).status == 200
            wait_for(lambda: waiting() == 1, 30, "the start to wait for the session row")
            second_root = stack.drive.share_files(channel, {"bundles.csv": bundles_csv(3, REPLACED)})
            wait_for(lambda: waiting() == 2, 30, "the upload to wait for the session row too")
            holder.rollback()
    finally:
        engine.dispose()
    wait_finished(stack, running)
    assert all(ORIGINAL in texts(d) and REPLACED not in texts(d) for _, d in drafts(stack, running))
    wait_for(lambda: wait_session(stack, channel) != running, 30, "the upload to open the next session")
    following = wait_session(stack, channel)
    reply = wait_reply(stack, running, second_root, "tickets planned")  # in the thread it chose first
    assert "these files are kept for the next run, not mixed into the running one" in reply
    with stack.uow_factory() as uow:
        [frozen], [kept] = uow.uploads.active(running), uow.uploads.active(following)
        assert ORIGINAL.encode() in frozen.data and REPLACED.encode() in kept.data
        assert uow.sessions.get(following).thread_ts == second_root
