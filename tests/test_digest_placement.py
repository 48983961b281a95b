"""Placing a digest session's tickets on pages, on PostgreSQL: a group is placed once all its planned
tickets are written (not before), pages fill in order, a placed ticket never moves (later tickets of its
group and a rewrite into another group included), and the mode is decided once, per channel."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from jobs.states import TaskStatus
from jobs.thread.digests import digest_mode, page_states, place_written
from storage.database import make_engine, make_session_factory
from storage.uow import UnitOfWorkFactory, unit_of_work_factory


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture
def uow_factory(engine: Engine) -> UnitOfWorkFactory:
    return unit_of_work_factory(make_session_factory(engine))


def session_with_run(uow_factory: UnitOfWorkFactory, sizes: dict[str, int], status: str = "running",
                     channel: str | None = None) -> tuple[int, int]:
    with uow_factory() as uow:
        session = uow.sessions.add(channel_id=channel or "C" + uuid.uuid4().hex[:9].upper(), created_by="U1",
                                   thread_ts="1700000000.000100", status="processing")
        task = uow.tasks.add(session_id=session.id, type="generate", status=status, generation=1,
                             total=sum(sizes.values()), details={"group_sizes": sizes})
        uow.commit()
        return session.id, task.id


def write(uow_factory: UnitOfWorkFactory, session_id: int, group: str, count: int, start: int = 0) -> list[int]:
    with uow_factory() as uow:
        ids = [uow.tickets.add(session_id=session_id, spec_key=f"{group}.{i}", generation=1, position=i,
                               group=group, kind="bundle", label=f"{group} {i}", title=f"{group} {i}",
                               user_story="", analysis="").id for i in range(start, start + count)]
        uow.commit()
        return ids


def keys(uow_factory: UnitOfWorkFactory, session_id: int) -> dict[int, str | None]:
    with uow_factory() as uow:
        return {t.id: t.digest_key for t in uow.tickets.for_session(session_id, include_withdrawn=True)}


def place(uow_factory: UnitOfWorkFactory, session_id: int) -> int:
    with uow_factory() as uow:
        placed = place_written(uow, session_id)
        uow.commit()
        return placed


def test_a_group_is_placed_once_written_and_placed_tickets_never_move(uow_factory: UnitOfWorkFactory) -> None:
    sid, task_id = session_with_run(uow_factory, {"Foundation": 3, "Content": 100})
    foundation = write(uow_factory, sid, "Foundation", 3, start=0)
    content = write(uow_factory, sid, "Content", 60, start=10)
    assert place(uow_factory, sid) == 3  # Content is not written yet: only Foundation goes on a page
    placed = keys(uow_factory, sid)
    assert {placed[t] for t in foundation} == {f"digest:s{sid}:Foundation:1"}
    assert all(placed[t] is None for t in content)
    with uow_factory() as uow:
        pages, unplaced = page_states(uow, sid, 5)
    assert [(p.key, p.tickets, p.posted) for p in pages] == [(f"digest:s{sid}:Foundation:1", 3, False)]
    assert unplaced == 60

    content += write(uow_factory, sid, "Content", 40, start=70)
    assert place(uow_factory, sid) == 100
    first = keys(uow_factory, sid)
    assert Counter(k for k in first.values()) == {f"digest:s{sid}:Foundation:1": 3, f"digest:s{sid}:Content:1": 47,
                                                 f"digest:s{sid}:Content:2": 47, f"digest:s{sid}:Content:3": 6}
    assert first[content[0]] == f"digest:s{sid}:Content:1" and first[content[-1]] == f"digest:s{sid}:Content:3"

    # The run ends; a retry brings 45 more Content tickets and rewrites one ticket into another group.
    with uow_factory() as uow:
        uow.tasks.get(task_id).status = TaskStatus.COMPLETED
        uow.tickets.get(content[5]).group = "Views"
        uow.commit()
    later = write(uow_factory, sid, "Content", 45, start=200)
    assert place(uow_factory, sid) == 45
    after = keys(uow_factory, sid)
    assert {t: after[t] for t in first} == first  # nothing placed before moved
    assert Counter(after[t] for t in later) == {f"digest:s{sid}:Content:3": 41, f"digest:s{sid}:Content:4": 4}
    assert place(uow_factory, sid) == 0


def test_the_mode_is_decided_once_by_the_planned_tickets_and_the_channel(uow_factory: UnitOfWorkFactory) -> None:
    big, _ = session_with_run(uow_factory, {"Content": 51})
    small, _ = session_with_run(uow_factory, {"Content": 50})
    channel = "C" + uuid.uuid4().hex[:9].upper()
    with uow_factory() as uow:
        uow.channels.set(channel, "U1", extra={"digest": "off"})
        uow.commit()
    off, _ = session_with_run(uow_factory, {"Content": 500}, channel=channel)
    with uow_factory() as uow:
        decided = {s: digest_mode(uow, uow.sessions.get(s), 50) for s in (big, small, off)}
        uow.commit()
    assert decided == {big: True, small: False, off: False}
    with uow_factory() as uow:  # stored: a later threshold or a retry's plan changes nothing
        uow.tasks.latest(small).total = 5000
        assert digest_mode(uow, uow.sessions.get(small), 0) is False
        assert uow.sessions.get(big).digest_mode is True
