"""Who may set a channel's approvers, and the first write of a channel's settings, on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from jobs.conversation.channels import ChannelAccess
from jobs.errors import ProcessingError
from storage.database import make_engine, make_session_factory
from storage.uow import UnitOfWorkFactory, unit_of_work_factory
from tests.support.workers import wait_for

ADMIN, ALICE, CAROL = "U0ADMIN01", "UALICE001", "U0CAROL01"


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture
def uow_factory(engine: Engine) -> UnitOfWorkFactory:
    return unit_of_work_factory(make_session_factory(engine))


def first_session(uow_factory: UnitOfWorkFactory, channel: str, by: str) -> None:
    with uow_factory() as uow:
        uow.sessions.add(channel_id=channel, created_by=by)
        uow.commit()


def test_with_default_approvers_the_first_uploader_must_be_one_of_them(uow_factory: UnitOfWorkFactory) -> None:
    access = ChannelAccess(uow_factory=uow_factory, approvers=(CAROL,), admins=(ADMIN,))
    first_session(uow_factory, "C0CHAN0001", ALICE)
    for actor in (ALICE, CAROL):  # the uploader is no default approver; the approver did not upload first
        with pytest.raises(ProcessingError, match="can set its approvers"):
            access.set_config("C0CHAN0001", "approvers", ALICE, actor)
    assert access.config("C0CHAN0001").approvers == (CAROL,)
    assert access.may_change("C0CHAN0001", ADMIN) and not access.may_change("C0CHAN0001", ALICE)
    first_session(uow_factory, "C0CHAN0002", CAROL)
    assert access.set_config("C0CHAN0002", "approvers", f"{CAROL} {ALICE}", CAROL).approvers == (CAROL, ALICE)
    with pytest.raises(ProcessingError, match="only an admin"):
        access.set_config("C0CHAN0002", "approvers", CAROL, CAROL)
    assert access.set_config("C0CHAN0002", "approvers", "-", ADMIN).approvers == (CAROL,)  # back to the default


def locks_awaited(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )).scalar_one())


def test_two_first_writes_of_a_channels_settings_both_land(engine: Engine, uow_factory: UnitOfWorkFactory) -> None:
    """The second writer meets the first's uncommitted row: it waits, then updates it instead of failing."""
    access = ChannelAccess(uow_factory=uow_factory, admins=(ADMIN,))
    failures: list[BaseException] = []

    def second_writer() -> None:
        try:
            access.set_config("C0RACE0001", "approvers", CAROL, ADMIN)
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    with uow_factory() as first:
        first.channels.set("C0RACE0001", ADMIN, jira_project="AAA")  # inserted, not committed yet
        writer = threading.Thread(target=second_writer)
        writer.start()
        wait_for(lambda: locks_awaited(engine) >= 1, 20, "the second writer to wait for the first one's row")
        first.commit()
    writer.join(20)
    assert not writer.is_alive() and failures == []
    config = access.config("C0RACE0001")
    assert (config.jira_project, config.approvers) == ("AAA", (CAROL,))
