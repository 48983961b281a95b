"""`undo` of a push, through the publishing service with the fake Jira: exactly what the push created, once.

The end-to-end flow (Slack confirmation, workers) is in tests/test_bulk_confirmations_e2e.py; here the
Jira side is checked in detail, on both flavours of account (may delete, may not).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.publishing.labels import UNDONE_LABEL
from jobs.publishing.undo_plan import UndoPlan
from tests.fakes.jira_server import FakeJiraServer
from tests.support.engine import Engine, build_engine, new_session
from tests.support.publishing import build_publisher


@pytest.fixture
def engine(pg_url: str) -> Engine:
    return build_engine(pg_url)


@pytest.fixture
def cloud() -> Iterator[FakeJiraServer]:
    with FakeJiraServer("cloud") as server:
        yield server


def _states(engine: Engine, session_id: int) -> dict[int, tuple[str, str | None, int | None]]:
    with engine.uow_factory() as uow:
        return {t.id: (t.status, t.jira_key, t.jira_push_task_id) for t in uow.tickets.for_session(session_id)}


def test_undo_deletes_exactly_what_the_last_push_created(engine: Engine, cloud: FakeJiraServer) -> None:
    cloud.permissions["DELETE_ISSUES"] = True
    session_id = new_session(engine.uow_factory, channel="C0UNDO1", site="Acme Outdoors")
    engine.service.generate_tickets(session_id)
    publisher = build_publisher(engine.uow_factory, cloud)
    ids = list(_states(engine, session_id))
    publisher.service.approve(ids[0], "U1")  # the first push: one ticket (and its epic)
    first_push = {k for k in cloud.issues}
    publisher.service.approve_all(session_id, "U1")  # the second push: the rest
    states = _states(engine, session_id)
    assert all(s[0] == "pushed" for s in states.values())
    second = {s[1] for t, s in states.items() if t != ids[0]}
    links_before = len(cloud.links)

    plan = publisher.service.undo_plan(session_id)
    assert isinstance(plan, UndoPlan)
    created_by_second = set(cloud.issues) - first_push
    assert plan.issues == len(second) and plan.issues + plan.epics == len(created_by_second)
    assert plan.links == links_before  # every link touches an issue of the second push here
    task_id, note = publisher.service.undo(session_id, plan.push_task_id, "U2")
    assert task_id is not None and note == ""

    assert set(cloud.issues) == first_push  # the first push's issue and epic stay, the rest is gone
    assert set(cloud.deleted) == created_by_second and len(cloud.deleted) == len(created_by_second)
    assert cloud.links == []
    after = _states(engine, session_id)
    assert after[ids[0]][0] == "pushed"
    assert all(after[t] == ("approved", None, None) for t in ids[1:])
    again = publisher.service.undo_plan(session_id)
    assert again == "Nothing to undo: the last push was undone already."
    assert publisher.service.undo(session_id, plan.push_task_id, "U2") == (None, again)
    assert len(cloud.deleted) == len(created_by_second)  # nothing sent twice


def test_without_delete_permission_undo_closes_labels_and_unlinks(engine: Engine, cloud: FakeJiraServer) -> None:
    assert not cloud.permissions.get("DELETE_ISSUES")
    session_id = new_session(engine.uow_factory, channel="C0UNDO2", site="Acme Outdoors")
    engine.service.generate_tickets(session_id)
    publisher = build_publisher(engine.uow_factory, cloud)
    publisher.service.approve_all(session_id, "U1")
    assert cloud.links
    plan = publisher.service.undo_plan(session_id)
    assert isinstance(plan, UndoPlan)
    publisher.service.undo(session_id, plan.push_task_id, "U2")
    assert cloud.deleted == [] and cloud.count("delete_issue") == 0
    assert all(i.fields.get("status", {}).get("name") == "Won't Do" for i in cloud.issues.values()), \
        _undo_task(engine, session_id)
    assert all(UNDONE_LABEL in i.fields["labels"] for i in cloud.issues.values())
    assert cloud.links == []
    assert all(s == ("approved", None, None) for s in _states(engine, session_id).values())
    # Pushed again: new issues with new labels, never the closed ones found again by an old label.
    closed = set(cloud.issues)
    publisher.service.push_pending(session_id, "U1")
    states = _states(engine, session_id)
    assert all(s[0] == "pushed" and s[1] not in closed for s in states.values())


def test_after_a_partial_push_undo_removes_exactly_what_was_created(engine: Engine, cloud: FakeJiraServer,
                                                                    tmp_path: Path) -> None:
    cloud.permissions["DELETE_ISSUES"] = True
    session_id = new_session(engine.uow_factory, channel="C0UNDO3", site="Acme Outdoors")
    engine.service.generate_tickets(session_id)
    refused = {"Add the Article content type"}
    cloud.refuse = lambda fields: {"summary": "refused by a rule"} if fields.get("summary") in refused else None
    with engine.uow_factory() as uow:
        titles = {t.id: t.title for t in uow.tickets.for_session(session_id)}
    refused.add(next(iter(titles.values())))  # at least one refusal, whatever the titles are
    publisher = build_publisher(engine.uow_factory, cloud)
    publisher.service.approve_all(session_id, "U1")
    states = _states(engine, session_id)
    created = {s[1] for s in states.values() if s[1]}
    assert any(s[0] == "approved" for s in states.values()) and created
    plan = publisher.service.undo_plan(session_id)
    assert isinstance(plan, UndoPlan) and plan.issues == len(created)
    publisher.service.undo(session_id, plan.push_task_id, "U2")
    assert not (created & set(cloud.issues))
    assert all(s[0] == "approved" and s[1] is None for s in _states(engine, session_id).values())


def _undo_task(engine: Engine, session_id: int) -> list[tuple[str, str, str | None, str]]:
    with engine.uow_factory() as uow:
        task = uow.tasks.latest(session_id, "undo")
        return [(task.type, task.status, task.error_message, task.stage)] if task else []
