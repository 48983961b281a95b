"""Issue 10 item 9: reconciliation never adopts another deployment's issue.

Ticket and session ids are small numbers that restart with a database: another deployment on the same
Jira (or this one after a backup restore) has a ticket 1 in a session 1 too. Labels carry this
deployment's random id and a random part of the ticket's own, the search is scoped to the project, and
an issue sent before the upgrade is still found by the label it was sent with.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from storage.models import Base
from tests.fakes.jira_server import FakeIssue, FakeJiraServer, Reply
from tests.support.engine import Engine, build_engine, new_session
from tests.support.publishing import build_publisher, is_session_label, is_ticket_label


@pytest.fixture
def engine(pg_url: str) -> Engine:
    return build_engine(pg_url)


@pytest.fixture
def cloud() -> Iterator[FakeJiraServer]:
    with FakeJiraServer("cloud") as server:
        yield server


def first_ticket(engine: Engine) -> tuple[int, int]:
    session_id = new_session(engine.uow_factory)
    engine.service.generate_tickets(session_id)
    with engine.uow_factory() as uow:
        ticket = uow.tickets.for_session(session_id)[0]
        return session_id, ticket.id


def plant(fake: FakeJiraServer, key: str, labels: list[str], project: str = "RPL") -> None:
    """An issue already in Jira that this deployment did not create (or created before the upgrade)."""
    fake.issues[key] = FakeIssue(str(90000 + len(fake.issues)), key,
                                 {"project": {"key": project}, "summary": "someone else's", "labels": labels}, 0.0)


def state(engine: Engine, ticket_id: int) -> tuple[str, str, str | None]:
    with engine.uow_factory() as uow:
        ticket = uow.tickets.get(ticket_id)
        return ticket.status, ticket.jira_state, ticket.jira_key


def test_a_lost_create_is_not_matched_to_another_deployments_issue(engine: Engine, cloud: FakeJiraServer) -> None:
    session_id, ticket_id = first_ticket(engine)
    # Another deployment (an older version: no instance id in its labels) pushed its own ticket of the same ids.
    plant(cloud, "RPL-900", ["ticketbot", f"ticketbot-s{session_id}", f"ticketbot-t{ticket_id}"])
    publisher = build_publisher(engine.uow_factory, cloud, epics="none")
    cloud.enqueue("create", Reply.reset_connection())  # ours is lost: Jira never saw it
    publisher.service.approve(ticket_id, "U1")
    assert state(engine, ticket_id) == ("approved", "needs_reconcile", None)  # a person decides; never RPL-900
    [notice] = publisher.notifier.people
    assert is_ticket_label(notice.label) and notice.label != f"ticketbot-t{ticket_id}"


def test_labels_carry_the_deployments_id_which_is_made_once(engine: Engine, cloud: FakeJiraServer) -> None:
    session_id, ticket_id = first_ticket(engine)
    with engine.uow_factory() as uow:
        instance = uow.instance.instance_id()
        uow.commit()
    with engine.uow_factory() as uow:
        assert uow.instance.instance_id() == instance and len(instance) == 12
    publisher = build_publisher(engine.uow_factory, cloud, epics="none")
    publisher.service.approve(ticket_id, "U1")
    _, _, key = state(engine, ticket_id)
    labels = cloud.issues[str(key)].fields["labels"]
    assert labels[0] == "ticketbot" and is_session_label(labels[1]) and is_ticket_label(labels[3])
    assert labels[1] == f"ticketbot-{instance}-s{session_id}" and labels[3].startswith(f"ticketbot-{instance}-t")
    assert re.fullmatch(rf"ticketbot-{instance}-p[0-9]+", labels[2])  # the push's own label, for `undo`


def test_a_create_sent_before_the_upgrade_is_still_found_by_its_old_label(engine: Engine,
                                                                        cloud: FakeJiraServer) -> None:
    """Migration 0003 gives unsettled creates the label they were sent with: found, not created again."""
    session_id, ticket_id = first_ticket(engine)
    with engine.uow_factory() as uow:
        ticket = uow.tickets.get(ticket_id)
        ticket.status, ticket.jira_state, ticket.jira_label = "approved", "creating", f"ticketbot-t{ticket_id}"
        uow.commit()
    plant(cloud, "RPL-41", ["ticketbot", f"ticketbot-s{session_id}", f"ticketbot-t{ticket_id}"])
    publisher = build_publisher(engine.uow_factory, cloud, epics="none")
    publisher.service.push_pending(session_id, "U1")
    assert state(engine, ticket_id) == ("pushed", "created", "RPL-41")
    assert cloud.count("create") == 0 and cloud.count("bulk") == 0


def test_the_migrations_build_exactly_the_models(pg_url: str) -> None:
    engine = create_engine(pg_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []
