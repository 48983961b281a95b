"""Real `ticketbot worker` processes on the real PostgreSQL and Redis, and what survives their deaths.

Fault drills Q1, Q4 and P1 of ../shared/reference/reliability-security.md §3: each ends with a finished
run and never a duplicate ticket. Waits are bounded polls, never timing assertions.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import create_engine, text

from jobs.generation.service import ProcessingService
from jobs.tasks.rq_queue import RQJobQueue
from tests.support.engine import build_engine, new_session
from tests.support.workers import WorkerProcess, wait_for, worker_env

VA_GOV = Path(__file__).resolve().parents[2] / "shared" / "specs" / "drupal-spec-tool" / "va-gov-cms"
QUEUE = "ticketbot-test"


def queued_service(pg_url: str, redis_url: str):  # type: ignore[no-untyped-def]
    engine = build_engine(pg_url, queue=RQJobQueue(Redis.from_url(redis_url), QUEUE, (1, 1, 1)))
    return engine


def task_status(service: ProcessingService, session_id: int) -> str:
    return service.get_processing_status(session_id).task_status


def ticket_keys(engine, session_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    with engine.uow_factory() as uow:
        return [t.spec_key for t in uow.tickets.for_session(session_id, include_withdrawn=True)]


def assert_complete_and_unique(engine, session_id: int) -> None:  # type: ignore[no-untyped-def]
    status = engine.service.get_processing_status(session_id)
    assert (status.task_status, status.session_status, status.progress) == ("completed", "review", 100.0)
    keys = ticket_keys(engine, session_id)
    planned = [b.key for b in engine.service.plan_session_by_id(session_id).tickets]
    assert sorted(keys) == sorted(planned) and len(keys) == len(set(keys))


def test_a_worker_process_runs_a_queued_generation(pg_url: str, redis_url: str, tmp_path: Path) -> None:
    engine = queued_service(pg_url, redis_url)
    session_id = new_session(engine.uow_factory)
    started = engine.service.generate_tickets(session_id)
    assert task_status(engine.service, session_id) == "queued"
    worker = WorkerProcess(worker_env(pg_url, redis_url), tmp_path / "worker.log")
    try:
        wait_for(lambda: task_status(engine.service, session_id) == "completed", 90, "the run to complete")
    finally:
        worker.stop()
    assert_complete_and_unique(engine, session_id)
    with engine.uow_factory() as uow:
        assert uow.tasks.get(started.task_id).job_id.startswith(f"gen-{started.task_id}-1-")


@pytest.mark.parametrize("scope", ["horse", "group"])
def test_a_worker_killed_mid_run_is_taken_over_without_duplicates(pg_url: str, redis_url: str, tmp_path: Path,
                                                                  scope: str) -> None:
    """Q1: SIGKILL after the 5th ticket — the work horse alone, or the whole worker with it."""
    engine = queued_service(pg_url, redis_url)
    session_id = new_session(engine.uow_factory)
    engine.service.generate_tickets(session_id)
    fault = {"TICKETBOT_FAULT": "after_ticket:5"} | ({"TICKETBOT_FAULT_SCOPE": "group"} if scope == "group" else {})
    doomed = WorkerProcess(worker_env(pg_url, redis_url, **fault), tmp_path / "doomed.log")
    rescuer: WorkerProcess | None = None
    try:
        if scope == "group":
            wait_for(lambda: doomed.process.poll() is not None, 90, "the worker to die at the fault point")
            died_at = time.monotonic()
            assert engine.service.get_processing_status(session_id).done == 5
            rescuer = WorkerProcess(worker_env(pg_url, redis_url), tmp_path / "rescuer.log")
        else:
            wait_for(lambda: engine.service.get_processing_status(session_id).done >= 5, 90, "five tickets")
            died_at = time.monotonic()
        wait_for(lambda: task_status(engine.service, session_id) == "completed", 60, "the run to be taken over")
        taken_over_s = time.monotonic() - died_at
    finally:
        doomed.stop()
        if rescuer is not None:
            rescuer.stop()
    assert_complete_and_unique(engine, session_id)
    assert taken_over_s < 60
    print(f"\n[{scope} killed] run finished {taken_over_s:.1f} s after the kill")


@pytest.fixture
def private_redis(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A redis-server of this test's own, so it can be restarted without disturbing anyone else."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                    "--appendonly", "no", "--dir", str(tmp_path)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: _pings(port), 10, "the private Redis to answer")
        return process

    state = {"process": start()}

    def restart() -> None:
        Redis(port=port).shutdown(nosave=True)
        state["process"].wait(timeout=10)
        state["process"] = start()

    yield f"redis://127.0.0.1:{port}/0", restart
    state["process"].terminate()
    state["process"].wait(timeout=10)


def _pings(port: int) -> bool:
    try:
        return bool(Redis(port=port, socket_timeout=1).ping())
    except Exception:
        return False


def test_a_run_lost_with_redis_data_is_enqueued_again(pg_url: str, private_redis, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Q4: Redis restarts without its data after the run was queued; the sweeper enqueues it again."""
    redis_url, restart = private_redis
    engine = queued_service(pg_url, redis_url)
    session_id = new_session(engine.uow_factory)
    engine.service.generate_tickets(session_id)
    restart()
    assert Redis.from_url(redis_url).keys("rq:job:*") == []
    worker = WorkerProcess(worker_env(pg_url, redis_url), tmp_path / "worker.log")
    try:
        wait_for(lambda: task_status(engine.service, session_id) == "completed", 60, "the lost run to be re-enqueued")
    finally:
        worker.stop()
    assert_complete_and_unique(engine, session_id)
    with engine.uow_factory() as uow:
        assert uow.tasks.latest(session_id).enqueue_count == 2  # type: ignore[union-attr]


def test_enqueue_while_redis_is_down_starts_when_it_is_back(pg_url: str, tmp_path: Path) -> None:
    """Q4: the start is accepted and recorded; the user is told; a worker's sweep starts it later."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    engine = build_engine(pg_url, queue=RQJobQueue(Redis(port=dead_port, socket_connect_timeout=1), QUEUE))
    session_id = new_session(engine.uow_factory)
    started = engine.service.generate_tickets(session_id)
    assert "unreachable" in started.queue_note
    assert task_status(engine.service, session_id) == "queued"


@pytest.mark.realspec
def test_database_connections_killed_mid_run(pg_url: str, redis_url: str, tmp_path: Path,
                                             shared_specs: Path) -> None:
    """P1: pg_terminate_backend on the worker's connections mid-run; retried, nothing half-written."""
    engine = queued_service(pg_url, redis_url)
    files = {p.name: p.read_bytes() for p in sorted(VA_GOV.glob("*.csv"))}
    session_id = new_session(engine.uow_factory, files=files, site="VA.gov")
    engine.service.generate_tickets(session_id)
    worker = WorkerProcess(worker_env(pg_url, redis_url), tmp_path / "worker.log")
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    database = pg_url.rsplit("/", 1)[1]
    try:
        wait_for(lambda: engine.service.get_processing_status(session_id).done >= 20, 90, "twenty tickets")
        with admin.connect() as connection:
            killed = connection.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :db AND application_name = 'ticketbot' AND pid <> pg_backend_pid()"
            ), {"db": database}).scalar()
        assert killed
        wait_for(lambda: task_status(engine.service, session_id) == "completed", 120, "the run to finish")
    finally:
        worker.stop()
        admin.dispose()
    assert_complete_and_unique(engine, session_id)
    assert os.environ.get("TICKETBOT_FAULT") is None
