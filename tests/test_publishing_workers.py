"""Q2 of ../shared/reference/reliability-security.md §3, with real `ticketbot worker` processes.

A worker is killed (the whole worker, as when its container dies) right after Jira answered a create
and before the key was committed; after another worker takes the push over there is exactly one Jira
issue per ticket (and per epic). Waits are bounded polls, never timing assertions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from jobs.tasks.rq_queue import RQJobQueue
from tests.fakes.jira_server import FakeJiraServer
from tests.support.engine import build_engine, new_session
from tests.support.publishing import build_publisher, is_ticket_label
from tests.support.workers import WorkerProcess, wait_for, worker_env

QUEUE = "ticketbot-test"


@pytest.fixture
def fake_jira() -> Iterator[FakeJiraServer]:
    with FakeJiraServer("cloud") as server:
        yield server


def push_status(engine, task_id: int) -> str:  # type: ignore[no-untyped-def]
    with engine.uow_factory() as uow:
        return uow.tasks.get(task_id).status


@pytest.mark.parametrize("epics", ["parent", "none"])
def test_a_worker_killed_between_the_jira_create_and_the_commit(pg_url: str, redis_url: str, tmp_path: Path,
                                                                 fake_jira: FakeJiraServer, epics: str) -> None:
    """With epics, the first create is an epic's; without, it is the bulk create of every ticket."""
    engine = build_engine(pg_url)
    session_id = new_session(engine.uow_factory)
    engine.service.generate_tickets(session_id)  # in this process
    publisher = build_publisher(engine.uow_factory, fake_jira, epics=epics,
                                queue=RQJobQueue(Redis.from_url(redis_url), QUEUE, (1, 1, 1)))
    started = publisher.service.approve_all(session_id, "U1")
    assert started.task_id is not None and push_status(engine, started.task_id) == "queued"
    jira_env = fake_jira.env(JIRA_EPICS=epics)
    doomed = WorkerProcess(worker_env(pg_url, redis_url, TICKETBOT_FAULT="after_jira_create",
                                      TICKETBOT_FAULT_SCOPE="group", **jira_env), tmp_path / "doomed.log")
    rescuer: WorkerProcess | None = None
    try:
        wait_for(lambda: doomed.process.poll() is not None, 90, "the worker to die at the fault point")
        created_before = len(fake_jira.issues)
        assert created_before == (1 if epics == "parent" else len(started.approved))
        with engine.uow_factory() as uow:
            states = Counter(t.jira_state for t in uow.tickets.for_session(session_id))
            if epics == "none":
                assert states == {"creating": len(started.approved)}  # the intent is stored, the key is not
            else:
                assert [e.state for e in uow.epics.unresolved("RPL", "Acme Outdoors")] == ["creating"]
        rescuer = WorkerProcess(worker_env(pg_url, redis_url, **jira_env), tmp_path / "rescuer.log")
        wait_for(lambda: push_status(engine, started.task_id) == "completed", 90, "the push to be taken over")
    finally:
        doomed.stop()
        if rescuer is not None:
            rescuer.stop()
    with engine.uow_factory() as uow:
        tickets = uow.tickets.for_session(session_id)
        assert {t.status for t in tickets} == {"pushed"}
        keys = [t.jira_key for t in tickets]
    labels = Counter(label for issue in fake_jira.issues.values() for label in issue.fields["labels"]
                     if is_ticket_label(label) or label.startswith("ticketbot-epic-"))
    assert max(labels.values()) == 1  # exactly one issue per ticket and per epic
    assert sum(1 for label in labels if is_ticket_label(label)) == len(tickets) == len(set(keys))
    print(f"\n[Q2, epics={epics}] {len(fake_jira.issues)} issues in Jira for {len(tickets)} tickets "
          f"({created_before} created before the kill); requests: {dict(fake_jira.counts())}")


def test_a_worker_killed_between_a_jira_delete_and_the_commit_undoes_each_issue_once(
        pg_url: str, redis_url: str, tmp_path: Path, fake_jira: FakeJiraServer) -> None:
    """`undo`: the second issue is deleted in Jira, then the worker dies before its row is reset; the
    worker that takes the undo over finds it gone (404) and finishes the rest: each issue deleted once."""
    fake_jira.permissions["DELETE_ISSUES"] = True
    engine = build_engine(pg_url)
    session_id = new_session(engine.uow_factory)
    engine.service.generate_tickets(session_id)
    build_publisher(engine.uow_factory, fake_jira).service.approve_all(session_id, "U1")  # pushed inline
    created = set(fake_jira.issues)
    publisher = build_publisher(engine.uow_factory, fake_jira,
                                queue=RQJobQueue(Redis.from_url(redis_url), QUEUE, (1, 1, 1)))
    plan = publisher.service.undo_plan(session_id)
    assert not isinstance(plan, str)
    task_id, _ = publisher.service.undo(session_id, plan.push_task_id, "U2")
    assert task_id is not None
    jira_env = fake_jira.env()
    doomed = WorkerProcess(worker_env(pg_url, redis_url, TICKETBOT_FAULT="after_jira_remove:2",
                                      TICKETBOT_FAULT_SCOPE="group", **jira_env), tmp_path / "doomed.log")
    rescuer: WorkerProcess | None = None
    try:
        wait_for(lambda: doomed.process.poll() is not None, 90, "the worker to die at the fault point")
        assert len(fake_jira.deleted) == 2
        rescuer = WorkerProcess(worker_env(pg_url, redis_url, **jira_env), tmp_path / "rescuer.log")
        wait_for(lambda: push_status(engine, task_id) == "completed", 90, "the undo to be taken over")
    finally:
        doomed.stop()
        if rescuer is not None:
            rescuer.stop()
    assert sorted(fake_jira.deleted) == sorted(created) and fake_jira.issues == {}
    assert fake_jira.count("delete_issue") == len(created) + 1  # the one whose answer the kill lost: a 404
    with engine.uow_factory() as uow:
        assert {(t.status, t.jira_key) for t in uow.tickets.for_session(session_id)} == {("approved", None)}
