"""The processing service on a real database (SQLite and PostgreSQL), jobs run in this process."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError, OperationalError

from integrations.writers.base import WriterHealth
from jobs.errors import ProcessingError, RetryLater, SpecHasErrors
from jobs.generation.service import ProcessingConfig
from jobs.tasks.job_kinds import JobKind
from jobs.tasks.job_queue import InlineQueue
from jobs.worker.runs import generation_run
from tests.support.engine import Engine, ScriptedWriter, build_engine, new_session


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    if request.param == "sqlite":
        return build_engine(f"sqlite:///{tmp_path / 'ticketbot.db'}")
    return build_engine(request.getfixturevalue("pg_url"))


def statuses(engine: Engine, session_id: int) -> dict[str, str]:
    with engine.uow_factory() as uow:
        return {t.spec_key: t.status for t in uow.tickets.for_session(session_id, include_withdrawn=True)}


def test_a_generation_writes_every_planned_ticket_once_in_order(engine: Engine) -> None:
    session_id = new_session(engine.uow_factory)
    started = engine.service.generate_tickets(session_id, requested_by="U1")
    status = engine.service.get_processing_status(session_id)
    assert (status.task_status, status.session_status, status.progress) == ("completed", "review", 100.0)
    plan = engine.service.plan_session_by_id(session_id)
    with engine.uow_factory() as uow:
        tickets = uow.tickets.for_session(session_id)
        assert [t.spec_key for t in tickets] == [b.key for b in plan.tickets]
        assert all(t.generation == 1 and t.status == "draft" for t in tickets)
        deps = uow.tickets.dependencies(session_id)
        assert len(deps) == sum(len(b.depends_on) for b in plan.tickets)
        assert [a.action for a in uow.audit.for_session(session_id)] == ["start"]
    assert started.estimated_tickets == len(plan.tickets) == status.total == status.done
    assert status.tokens == {"prompt": 100 * len(plan.tickets), "completion": 50 * len(plan.tickets),
                             "cached": 10 * len(plan.tickets)}
    percentages = [p for p, _ in engine.progress]
    assert percentages == sorted(percentages) and percentages[-1] == 100.0
    assert any("group 1 of" in stage for _, stage in engine.progress)
    assert engine.notifier.outcomes[-1].status == "completed"
    assert len(engine.notifier.written) == len(plan.tickets)


def test_start_is_refused_with_the_reason(engine: Engine) -> None:
    empty = new_session(engine.uow_factory, files={}, channel="C0EMPTY")
    with pytest.raises(ProcessingError, match="nothing uploaded"):
        engine.service.generate_tickets(empty)
    broken = new_session(engine.uow_factory, channel="C0BROKEN", files={
        "bundles.csv": b"Name,Machine name,Type\nArticle,Bad Name,Content type\nPage,page,Content type\n"})
    with pytest.raises(SpecHasErrors) as refused:
        engine.service.generate_tickets(broken)
    assert "bundles.csv row 2, Machine name" in refused.value.problems[0]
    result = engine.service.generate_tickets(broken, start_anyway=True)
    assert result.estimated_tickets == 2  # the good bundle and the Behat set-up
    engine.writer.healthy = WriterHealth(False, "OpenAI rejected the API key (401)", "admin_required")
    third = new_session(engine.uow_factory, channel="C0THIRD")
    with pytest.raises(ProcessingError, match="rejected the API key") as unhealthy:
        engine.service.generate_tickets(third)
    assert unhealthy.value.category == "admin_required"
    with engine.uow_factory() as uow:
        assert uow.tasks.latest(third) is None  # nothing was committed


class HoldingQueue:
    """Takes jobs without running them, like Redis with no worker yet."""

    def __init__(self) -> None:
        self.jobs: list[tuple[JobKind, int, str]] = []

    def enqueue(self, kind: JobKind, task_id: int, job_id: str, timeout_s: int) -> None:
        self.jobs.append((kind, task_id, job_id))

    def is_waiting(self, job_id: str) -> bool:
        return True


def test_a_second_start_answers_with_the_running_task(tmp_path: Path) -> None:
    queue = HoldingQueue()
    engine = build_engine(f"sqlite:///{tmp_path / 'db.sqlite'}", queue=queue)
    session_id = new_session(engine.uow_factory)
    first = engine.service.generate_tickets(session_id)
    second = engine.service.generate_tickets(session_id)
    retry = engine.service.retry_processing(session_id)
    assert second.already_running and retry.already_running
    assert second.task_id == retry.task_id == first.task_id
    assert [job.rsplit("-", 1)[0] for _, _, job in queue.jobs] == [f"gen-{first.task_id}-1"]


def test_the_database_refuses_a_second_active_generation(engine: Engine) -> None:
    session_id = new_session(engine.uow_factory)
    with engine.uow_factory() as uow:
        uow.tasks.add(session_id=session_id, type="generate", status="queued")
        with pytest.raises(IntegrityError):
            uow.tasks.add(session_id=session_id, type="generate", status="running")


def test_one_ticket_per_session_and_spec_key_and_one_open_session_per_channel(engine: Engine) -> None:
    session_id = new_session(engine.uow_factory)
    engine.service.generate_tickets(session_id)
    with engine.uow_factory() as uow, pytest.raises(IntegrityError):
        uow.tickets.add(session_id=session_id, spec_key="node.type.trail_guide", generation=9, position=1,
                        group="Content", kind="bundle", label="x", title="x", user_story="", analysis="")
    new_session(engine.uow_factory, files={}, channel="C0OPEN")
    with engine.uow_factory() as uow, pytest.raises(IntegrityError):
        uow.sessions.add(channel_id="C0OPEN")


def test_retry_rewrites_what_is_not_approved_and_marks_vanished_keys(engine: Engine) -> None:
    session_id = new_session(engine.uow_factory)
    engine.service.generate_tickets(session_id)
    with engine.uow_factory() as uow:
        approved = uow.tickets.by_key(session_id, "taxonomy.vocabulary.trail_region")
        rejected = uow.tickets.by_key(session_id, "node.type.event")
        posted = uow.tickets.by_key(session_id, "system.menu.gear-guide")
        assert approved and rejected and posted
        approved.status, rejected.status = "approved", "rejected"
        posted.slack_ts = "1700000000.000100"
        ids = {t.spec_key: t.id for t in uow.tickets.for_session(session_id)}
        # The session's files are frozen once it started (no upload replaces them); a key still vanishes
        # when the planning of the same files changes, as after an upgrade: the stored file stands in.
        menus = next(u for u in uow.uploads.active(session_id) if u.name == "menus.csv")
        menus.data = menus.data.replace(b"gear-guide,a", b"gear-guide,w")
        uow.commit()
    engine.service.retry_processing(session_id, requested_by="U2")
    with engine.uow_factory() as uow:
        after = {t.spec_key: t for t in uow.tickets.for_session(session_id, include_withdrawn=True)}
        assert {k: t.id for k, t in after.items()} == ids  # same rows: drafts are edited, never re-created
        assert after["taxonomy.vocabulary.trail_region"].generation == 1  # approved: kept as it was
        assert after["taxonomy.vocabulary.trail_region"].status == "approved"
        assert (after["node.type.event"].generation, after["node.type.event"].status) == (2, "draft")
        assert after["system.menu.gear-guide"].status == "withdrawn"
        assert after["system.menu.gear-guide"].slack_version == 1  # its posted draft must be edited
        assert [a.action for a in uow.audit.for_session(session_id)] == ["start", "retry"]


def test_at_most_three_generations(engine: Engine) -> None:
    session_id = new_session(engine.uow_factory)
    engine.service.generate_tickets(session_id)
    engine.service.retry_processing(session_id)
    engine.service.retry_processing(session_id)
    with pytest.raises(ProcessingError, match="3 times, the most allowed"):
        engine.service.retry_processing(session_id)


def test_regeneration_rewrites_in_place_at_most_three_times(engine: Engine) -> None:
    session_id = new_session(engine.uow_factory)
    engine.service.generate_tickets(session_id)
    with engine.uow_factory() as uow:
        ticket = uow.tickets.by_key(session_id, "node.type.event")
        assert ticket is not None
        ticket_id = ticket.id
    for _ in range(3):
        engine.service.regenerate_ticket(ticket_id, requested_by="U3")
    with engine.uow_factory() as uow:
        ticket = uow.tickets.get(ticket_id)
        assert (ticket.regeneration_count, ticket.status, ticket.slack_version) == (3, "draft", 3)
    with pytest.raises(ProcessingError, match="regenerated 3 times"):
        engine.service.regenerate_ticket(ticket_id)


def test_cancel_stops_between_tickets_and_keeps_what_was_written(tmp_path: Path) -> None:
    holder: list[Engine] = []

    def generate(task_id: int) -> None:
        service = holder[0].service
        generation_run(service, service.session_of_task(task_id), task_id, cancel_after_five, "test").execute()

    cancelled: list[bool] = []

    def cancel_after_five(percentage: float, stage: str, details: dict[str, object]) -> None:
        if details.get("done") == 5 and not cancelled:
            cancelled.append(True)
            holder[0].service.cancel_processing(session_id, requested_by="U4")

    engine = build_engine(f"sqlite:///{tmp_path / 'db.sqlite'}", queue=InlineQueue({JobKind.GENERATION: generate}),
                          config=ProcessingConfig(lease_s=3, cancel_poll_s=0))
    holder.append(engine)
    session_id = new_session(engine.uow_factory)
    engine.service.generate_tickets(session_id)
    status = engine.service.get_processing_status(session_id)
    assert (status.task_status, status.session_status) == ("cancelled", "cancelled")
    assert 5 <= status.done < status.total
    with engine.uow_factory() as uow:
        assert len(uow.tickets.for_session(session_id)) == status.done
    assert engine.notifier.outcomes[-1].status == "cancelled"
    engine.service.retry_processing(session_id)  # finishes the rest
    assert engine.service.get_processing_status(session_id).task_status == "completed"


def test_too_many_fallbacks_fail_the_run_as_admin_required(engine: Engine) -> None:
    session_id = new_session(engine.uow_factory)
    plan = engine.service.plan_session_by_id(session_id)
    engine.writer.fallback_keys = {b.key for b in plan.tickets[: len(plan.tickets) // 3]}
    engine.service.generate_tickets(session_id)
    status = engine.service.get_processing_status(session_id)
    assert (status.task_status, status.error_category) == ("failed", "admin_required")
    errors = engine.service.get_processing_errors(session_id, category="temporary")
    assert len(errors) == len(engine.writer.fallback_keys)
    one = plan.tickets[0].key
    assert [e.entity for e in engine.service.get_processing_errors(session_id, entity=one)] == [one]


def test_a_few_fallbacks_are_recorded_and_the_run_goes_on(engine: Engine) -> None:
    session_id = new_session(engine.uow_factory)
    plan = engine.service.plan_session_by_id(session_id)
    engine.writer.fallback_keys = {plan.tickets[3].key}
    engine.service.generate_tickets(session_id)
    assert engine.service.get_processing_status(session_id).task_status == "completed"
    with engine.uow_factory() as uow:
        ticket = uow.tickets.by_key(session_id, plan.tickets[3].key)
        assert ticket is not None and ticket.writer == "template-fallback"


def test_writer_outage_without_retries_left_fails_as_temporary(engine: Engine) -> None:
    session_id = new_session(engine.uow_factory)
    plan = engine.service.plan_session_by_id(session_id)
    engine.writer.fail_keys = {plan.tickets[2].key}
    engine.service.generate_tickets(session_id)
    status = engine.service.get_processing_status(session_id)
    assert (status.task_status, status.error_category, status.done) == ("failed", "temporary", 2)
    assert "503" in status.error_message


def test_a_resumed_run_skips_its_checkpoints(tmp_path: Path) -> None:
    engine = build_engine(f"sqlite:///{tmp_path / 'db.sqlite'}", queue=HoldingQueue(),
                          config=ProcessingConfig(lease_s=3))
    session_id = new_session(engine.uow_factory)
    started = engine.service.generate_tickets(session_id)
    plan = engine.service.plan_session_by_id(session_id)
    engine.writer.fail_keys = {plan.tickets[4].key}
    with pytest.raises(RetryLater):  # RQ runs the job again after its retry interval
        generation_run(engine.service, session_id, started.task_id, lambda *a: None, "w1", retry_in_s=1).execute()
    with engine.uow_factory() as uow:
        task = uow.tasks.get(started.task_id)
        assert (task.status, task.done, task.lease_owner) == ("queued", 4, None)  # handed back for RQ's retry
    engine.writer.fail_keys = set()
    engine.writer.calls.clear()
    generation_run(engine.service, session_id, started.task_id, lambda *a: None, "w2").execute()
    assert engine.writer.calls == [b.key for b in plan.tickets[4:]]
    assert engine.service.get_processing_status(session_id).task_status == "completed"


def test_a_run_whose_lease_was_taken_over_does_not_complete_the_task(engine: Engine) -> None:
    """Another worker took the task over after the last ticket was stored: this copy's ending changes nothing."""
    engine.service.queue = HoldingQueue()
    session_id = new_session(engine.uow_factory)
    started = engine.service.generate_tickets(session_id)

    def taken_over_after_the_last_ticket(percentage: float, stage: str, details: dict[str, object]) -> None:
        if percentage == 100.0:
            with engine.uow_factory() as uow:
                uow.tasks.get(started.task_id).lease_owner = "another-worker:1234"
                uow.commit()

    generation_run(engine.service, session_id, started.task_id, taken_over_after_the_last_ticket, "me").execute()
    with engine.uow_factory() as uow:
        task = uow.tasks.get(started.task_id)
        assert (task.status, task.lease_owner, task.finished_at) == ("running", "another-worker:1234", None)
        assert uow.sessions.get(session_id).status == "processing"
    assert engine.notifier.outcomes == []  # the copy holding the lease tells the thread how it ended


def test_a_job_for_a_task_leased_by_a_live_worker_does_nothing(engine: Engine) -> None:
    from datetime import timedelta

    from storage.models import utcnow

    engine.service.queue = HoldingQueue()
    session_id = new_session(engine.uow_factory)
    started = engine.service.generate_tickets(session_id)
    with engine.uow_factory() as uow:
        assert uow.tasks.claim_lease(started.task_id, "other-worker", utcnow() + timedelta(seconds=60), utcnow())
        uow.commit()
    generation_run(engine.service, session_id, started.task_id, lambda *a: None, "me").execute()
    assert engine.writer.calls == []


class LockProbingWriter(ScriptedWriter):
    """A writer whose health check tries, from a connection of its own, to lock the rows an approval locks.

    A health check may wait up to ~20 s for the LLM's server; a row lock held meanwhile would make every
    approval and push of the session wait behind it.
    """

    def __init__(self, database_url: str) -> None:
        super().__init__()
        self.probe = create_engine(database_url)
        self.rows: list[tuple[str, int]] = []  # (table, id) the health check tries to lock
        self.checks = 0
        self.found_locked: list[tuple[str, int]] = []

    def health(self) -> WriterHealth:
        self.checks += 1
        for table, row_id in self.rows:
            with self.probe.connect() as connection:
                try:
                    connection.execute(text(f"SELECT id FROM {table} WHERE id = :id FOR UPDATE NOWAIT"),
                                       {"id": row_id})
                except OperationalError:  # lock not available: the caller's transaction holds the row
                    self.found_locked.append((table, row_id))
                connection.rollback()
        return super().health()


def test_no_row_is_locked_while_the_writer_checks_its_health(pg_url: str) -> None:
    writer = LockProbingWriter(pg_url)
    engine = build_engine(pg_url, writer=writer)
    session_id = new_session(engine.uow_factory)
    writer.rows = [("sessions", session_id)]
    engine.service.generate_tickets(session_id)
    engine.service.retry_processing(session_id)
    with engine.uow_factory() as uow:
        ticket_id = uow.tickets.for_session(session_id)[0].id
    writer.rows = [("sessions", session_id), ("tickets", ticket_id)]
    engine.service.regenerate_ticket(ticket_id)
    with engine.uow_factory() as uow:  # interrupted, as by a lost worker: resume carries it on
        task = uow.tasks.latest(session_id)
        assert task is not None
        task.status = "cancelled"
        uow.sessions.get(session_id).status = "cancelled"
        uow.commit()
    engine.service.resume_generation(session_id)
    writer.probe.dispose()
    assert writer.checks == 4
    assert writer.found_locked == []
