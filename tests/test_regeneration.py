"""Regenerating one draft (🔁) on the real PostgreSQL: one LLM call however slow, applied only while wanted.

Issue 10 item 8: a 30 s lease that was never renewed made a slow answer look like a dead worker, so the
sweeper ran a second copy (two LLM calls, two of the three regenerations), and the last copy to finish
set the ticket back to a draft whatever had happened to it meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from redis import Redis

from jobs.errors import ProcessingError
from jobs.generation.service import ProcessingConfig
from jobs.tasks.job_kinds import JobKind
from jobs.tasks.job_queue import InlineQueue
from jobs.tasks.rq_queue import RQJobQueue
from jobs.tasks.sweeper import Sweeper
from jobs.worker.runs import regeneration_run
from tests.support.engine import Engine, build_engine, new_session
from tests.support.workers import wait_for

LEASE_S = 1.0


@pytest.fixture
def engine(pg_url: str) -> Engine:
    return build_engine(pg_url, config=ProcessingConfig(lease_s=LEASE_S, queued_grace_s=LEASE_S))


def generated_ticket(engine: Engine, key: str = "node.type.event") -> tuple[int, int]:
    session_id = new_session(engine.uow_factory)
    engine.service.generate_tickets(session_id)
    with engine.uow_factory() as uow:
        ticket = uow.tickets.by_key(session_id, key)
        assert ticket is not None
        return session_id, ticket.id


def regenerate_in_background(engine: Engine, ticket_id: int) -> threading.Thread:
    thread = threading.Thread(target=engine.service.regenerate_ticket, args=(ticket_id,), daemon=True)
    thread.start()
    wait_for(lambda: len(engine.writer.calls) > 0 and engine.writer.calls[-1] == "node.type.event"
             and regenerating(engine, ticket_id), 10, "the regeneration to be writing")
    return thread


def regenerating(engine: Engine, ticket_id: int) -> bool:
    with engine.uow_factory() as uow:
        task = uow.tasks.active_for_ticket(ticket_id)
        return task is not None and task.status == "running"


def sweeping_until(engine: Engine, done: Callable[[], bool]) -> None:
    """The worker's sweeper, as `ticketbot worker` runs it, until `done`; a task it takes over runs here."""
    service = engine.service
    rescuer = InlineQueue({JobKind.REGENERATION:
                           lambda task_id: regeneration_run(service, task_id, "rescuer").execute()})
    sweeper = Sweeper(uow_factory=engine.uow_factory, queue=rescuer, config=service.config, clock=service.clock,
                      job_timeout_s=60)
    deadline = time.monotonic() + 30
    while not done():
        assert time.monotonic() < deadline, "the regeneration did not finish"
        sweeper.sweep_once()
        time.sleep(0.1)


def ticket_state(engine: Engine, ticket_id: int) -> tuple[str, int, str | None]:
    with engine.uow_factory() as uow:
        ticket = uow.tickets.get(ticket_id)
        return ticket.status, ticket.regeneration_count, ticket.jira_key


def test_a_regeneration_slower_than_its_lease_makes_one_llm_call(engine: Engine) -> None:
    _, ticket_id = generated_ticket(engine)
    engine.writer.calls.clear()
    engine.writer.delay_s = 2.5 * LEASE_S  # the answer comes long after the first lease would have run out
    thread = regenerate_in_background(engine, ticket_id)
    sweeping_until(engine, lambda: not thread.is_alive())
    thread.join()
    assert engine.writer.calls == ["node.type.event"]
    assert ticket_state(engine, ticket_id) == ("draft", 1, None)
    with engine.uow_factory() as uow:
        task = uow.tasks.latest(uow.tickets.get(ticket_id).session_id, "regenerate")
        assert task is not None and (task.status, task.attempt, task.enqueue_count) == ("completed", 1, 1)


def test_an_answer_for_a_ticket_that_moved_on_is_not_applied(engine: Engine) -> None:
    """Pushed to Jira while the LLM wrote: the late answer must not turn it back into a draft."""
    _, ticket_id = generated_ticket(engine)
    engine.writer.delay_s = 1.0
    thread = regenerate_in_background(engine, ticket_id)
    with engine.uow_factory() as uow:
        ticket = uow.tickets.get(ticket_id, for_update=True)
        ticket.status, ticket.jira_key, ticket.jira_state = "pushed", "RPL-7", "created"
        uow.commit()
    thread.join(timeout=20)
    assert ticket_state(engine, ticket_id) == ("pushed", 0, "RPL-7")
    with engine.uow_factory() as uow:
        task = uow.tasks.latest(uow.tickets.get(ticket_id).session_id, "regenerate")
        assert task is not None and task.status == "cancelled" and "pushed" in task.stage


def test_a_copy_that_lost_its_lease_changes_nothing(engine: Engine) -> None:
    """Another worker took the task over (this one stalled): only the lease holder's answer counts."""
    _, ticket_id = generated_ticket(engine)
    engine.writer.delay_s = 1.0
    thread = regenerate_in_background(engine, ticket_id)
    with engine.uow_factory() as uow:
        task = uow.tasks.active_for_ticket(ticket_id)
        assert task is not None
        task.lease_owner = "another-worker:1234"
        uow.commit()
    thread.join(timeout=20)
    assert ticket_state(engine, ticket_id) == ("regenerating", 0, None)
    with engine.uow_factory() as uow:
        task = uow.tasks.active_for_ticket(ticket_id)
        assert task is not None and task.lease_owner == "another-worker:1234"


def test_retry_is_refused_while_a_regeneration_runs(engine: Engine, pg_url: str, redis_url: str) -> None:
    session_id, ticket_id = generated_ticket(engine)
    queued = build_engine(pg_url, queue=RQJobQueue(Redis.from_url(redis_url), "ticketbot-test"))
    queued.service.regenerate_ticket(ticket_id)  # waits in Redis: no worker runs it
    with pytest.raises(ProcessingError, match="being regenerated"):
        queued.service.retry_processing(session_id)
    assert queued.service.get_processing_status(session_id).generation == 1
