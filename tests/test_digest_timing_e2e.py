"""End to end, with an LLM that takes its time: a group's digest is in the thread while later groups are
still being written (posted as its group is written, not after the run), and the progress message says
how to review while the run goes."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.slack import texts
from tests.support.slack_stack import (
    bundles_csv,
    example_files,
    message,
    new_channel,
    running_stack,
    wait_finished,
    wait_session,
)
from tests.support.workers import wait_for


def test_a_groups_digest_is_reviewable_while_the_run_still_writes(pg_database: str, redis_db: int, tmp_path: Path,
                                                                   fake_openai: FakeOpenAIServer) -> None:
    fake_openai.latency = 0.25
    env = {"LLM_PROVIDER": "openai", "OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": fake_openai.base_url,
           "OPENAI_MODEL": fake_openai.model, "LLM_CONCURRENCY": "2", "TICKETBOT_DIGEST_THRESHOLD": "20"}
    with running_stack(pg_database, redis_db, tmp_path, **env) as stack:
        channel = new_channel()
        files = {**example_files(), "more_bundles.csv": bundles_csv(30)}
        root = stack.drive.share_files(channel, files)
        sid = wait_session(stack, channel)
        wait_for(lambda: bool(stack.slack.by_key(f"upload:s{sid}:{root}")) and "tickets planned" in
                 texts(message(stack, f"upload:s{sid}:{root}")), 30, "the upload reply")
        stack.drive.command("start", channel=channel)

        def a_digest_while_running() -> bool:
            pages = [m for m in stack.slack.thread(channel, root)
                     if str(((m.get("metadata") or {}).get("event_payload") or {}).get("key", "")).startswith(
                         "digest:")]
            return bool(pages)

        wait_for(a_digest_while_running, 60, "the first group's digest")
        with stack.uow_factory() as uow:
            task = uow.tasks.latest(sid)
            assert task is not None
            status, done, total = task.status, task.done, task.total
        assert status == "running" and done < total, (status, done, total)
        wait_for(lambda: "How to review:" in texts(message(stack, f"progress:s{sid}")), 30,
                 "the progress message to say how to review")
        assert "approve per group, or ✅ here to approve everything after a confirmation" in texts(
            message(stack, f"progress:s{sid}"))
        wait_finished(stack, sid)
        with stack.uow_factory() as uow:
            tickets = uow.tickets.for_session(sid)
            assert tickets and all(t.digest_key for t in tickets)
