"""Issue 16's done-means, end to end: a revision of examples/acme through the real `ticketbot serve`, real
`ticketbot worker` processes, PostgreSQL, Redis, the fake Slack and the fake Jira.

The acme spec is uploaded, generated and approved (✅ on the progress message) and pushed by a worker. The
revised spec (one field added to a content type, one view display removed, one bundle marked d, one new
vocabulary, one role's permissions changed) is uploaded and generated the same way; the session is made a
revision of the first by tests/support/revision.py (the comparison is the revision-plan branch's; the lead
swaps in the real path after the merge). Its ✅ approve-all is pushed by a worker that is killed (SIGKILL of
the whole worker) right after Jira answered its second update, before the answer was recorded; a second
worker takes the push over. Jira ends up with exactly the expected updates, one create, one closing and the
link changes, zero duplicate issues, and no issue updated or commented twice.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.fakes.jira_server import FakeJiraServer
from tests.support.confirmations import approve_everything
from tests.support.publishing import is_ticket_label
from tests.support.revision import revised_acme_files, revision_of
from tests.support.slack import texts
from tests.support.slack_stack import (
    Stack,
    example_files,
    new_channel,
    running_stack,
    upload_and_start,
    wait_finished,
)
from tests.support.workers import WorkerProcess, wait_for


def all_pushed(stack: Stack, session_id: int) -> bool:
    with stack.uow_factory() as uow:
        tickets = uow.tickets.for_session(session_id)
        return bool(tickets) and all(t.status == "pushed" for t in tickets)


def push_done(stack: Stack, session_id: int) -> bool:
    with stack.uow_factory() as uow:
        task = uow.tasks.latest(session_id, "push")
        return task is not None and task.status == "completed"


def upload_revision(stack: Stack, channel: str, first: int) -> int:
    """Share the revised sheets in the channel, wait for their new session's reply, start it and wait for it."""
    root = stack.drive.share_files(channel, revised_acme_files())
    holder: list[int] = []

    def new_session() -> bool:
        with stack.uow_factory() as uow:
            session = uow.sessions.latest_in_channel(channel)
            holder.append(session.id if session is not None else 0)
        return holder[-1] > first

    wait_for(new_session, 30, "the revised upload's session")
    sid = holder[-1]
    wait_for(lambda: bool(stack.slack.by_key(f"upload:s{sid}:{root}"))
             and "tickets planned" in texts(stack.slack.by_key(f"upload:s{sid}:{root}")[0]), 30, "its upload reply")
    assert stack.drive.command("start", channel=channel).status == 200
    wait_finished(stack, sid)
    return sid


def approve_all(stack: Stack, channel: str, session_id: int) -> None:
    progress = stack.slack.by_key(f"progress:s{session_id}")[0]
    approve_everything(stack.drive, channel, progress["ts"])


def test_a_revision_of_acme_is_pushed_exactly_once_through_a_killed_worker(pg_database: str, redis_db: int,
                                                                            tmp_path: Path) -> None:
    with FakeJiraServer("cloud") as jira, running_stack(pg_database, redis_db, tmp_path,
                                                        TICKETBOT_QUEUE="ticketbot-test-revision",
                                                        **jira.env()) as stack:
        channel = new_channel()
        first, _ = upload_and_start(stack, channel, example_files())
        approve_all(stack, channel, first)
        wait_for(lambda: all_pushed(stack, first) and push_done(stack, first), 120, "the first push")
        with stack.uow_factory() as uow:
            keys = {t.spec_key: str(t.jira_key) for t in uow.tickets.for_session(first)}
        issues_before = len(jira.issues)
        links_before = {(link.inward, link.outward) for link in jira.links}

        revised = upload_revision(stack, channel, first)
        revision = revision_of(stack.uow_factory, first, revised)
        changed, removed = revision.keys("changed"), revision.keys("removed")
        assert revision.keys("new") == ["taxonomy.vocabulary.skill_level"]
        assert removed == ["block_content.type.promo_banner"]
        assert {"node.type.event", "views.view.gear_reviews", "user.role.trail_editor"} <= set(changed)
        assert len(changed) >= 2  # the kill comes after the second update

        stack.worker.stop()  # the push goes to a worker that dies in the middle of it
        jira.reset()
        doomed = WorkerProcess({**stack.serve_env, "TICKETBOT_FAULT": "after_jira_update:2",
                                "TICKETBOT_FAULT_SCOPE": "group"}, tmp_path / "doomed.log")
        rescuer: WorkerProcess | None = None
        try:
            approve_all(stack, channel, revised)
            wait_for(lambda: doomed.process.poll() is not None, 120, "the worker to die after its second update")
            with stack.uow_factory() as uow:
                states = Counter(t.jira_state for t in uow.tickets.for_session(revised) if t.change_kind == "changed")
            assert states["updating"] == 1 and states["created"] == 1  # the second one's answer is not recorded
            updates_before_kill = sum(1 for r in jira.requests if r.method == "PUT")
            assert updates_before_kill == 2
            rescuer = WorkerProcess(stack.serve_env, tmp_path / "rescuer.log")
            wait_for(lambda: all_pushed(stack, revised) and push_done(stack, revised), 120,
                     "the push to be taken over and finished")
        finally:
            doomed.stop()
            if rescuer is not None:
                rescuer.stop()

        # Exactly the expected writes: one update and one comment per changed issue, one close, one create.
        puts = Counter(r.path for r in jira.requests if r.method == "PUT")
        assert puts == Counter({f"issue/{keys[k]}": 1 for k in changed})
        comments = Counter(r.path for r in jira.requests if r.method == "POST" and r.path.endswith("/comment"))
        assert comments == Counter({f"issue/{keys[k]}/comment": 1 for k in [*changed, *removed]})
        promo = keys["block_content.type.promo_banner"]
        assert jira.issues[promo].fields["status"]["statusCategory"]["key"] == "done"
        assert jira.count("transition") == 1 and jira.count("create") == 1 and jira.count("bulk") == 0
        assert all(len(jira.issues[keys[k]].comments) == 1 for k in [*changed, *removed])
        # Zero duplicates: one issue per spec key, the new vocabulary the only new one.
        assert len(jira.issues) == issues_before + 1
        labels = Counter(label for i in jira.issues.values() for label in i.fields["labels"] if is_ticket_label(label))
        assert max(labels.values()) == 1
        # Links: Jira holds exactly the revised graph.
        with stack.uow_factory() as uow:
            ids = {t.id: str(t.jira_key) for t in uow.tickets.for_session(revised)}
            wanted = {(ids[d.depends_on_id], ids[d.ticket_id]) for d in uow.tickets.dependencies(revised)}
        now = {(link.inward, link.outward) for link in jira.links}
        assert now == wanted
        assert links_before - now and all(promo in pair for pair in links_before - now)
        assert now - links_before  # Trail editor may now create events: a link to the Event issue
        assert (keys["node.type.event"], keys["user.role.trail_editor"]) in now
        # Unchanged tickets: no write reached their issues.
        unchanged = {keys[k] for k in revision.keys("unchanged")}
        assert not [r for r in jira.requests if r.method != "GET" and len(r.path.split("/")) > 1
                    and r.path.split("/")[1] in unchanged]
        assert "after_jira_update" not in stack.serve.output()
        print(f"\n[revision e2e] {len(changed)} updated, 1 created, 1 closed, {len(links_before - now)} links "
              f"removed, {len(now - links_before)} added; Jira requests: {dict(jira.endpoints())}")
