"""Fault drills Q3 and P2: a worker told to stop, a run over its time limit, a database that goes away.

A slow LLM (the local fake OpenAI server with latency) keeps the run going long enough to hit it
mid-run. Every drill ends with a finished run and exactly one ticket per spec key.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from redis import Redis

from jobs.generation.service import ProcessingConfig
from jobs.tasks.rq_queue import RQJobQueue
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.engine import build_engine, new_session
from tests.support.tcp_proxy import FaultProxy
from tests.support.workers import WorkerProcess, descendants, wait_for, worker_env
from tests.test_workers_e2e import assert_complete_and_unique, queued_service, task_status


def llm_env(fake: FakeOpenAIServer) -> dict[str, str]:
    return {"LLM_PROVIDER": "openai", "OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": fake.base_url,
            "OPENAI_MODEL": fake.model, "LLM_CONCURRENCY": "1"}


def done(engine, session_id: int) -> int:  # type: ignore[no-untyped-def]
    return int(engine.service.get_processing_status(session_id).done)


def test_first_sigterm_lets_the_run_finish(pg_url: str, redis_url: str, tmp_path: Path,
                                          fake_openai: FakeOpenAIServer) -> None:
    """Q3: a warm shutdown (one SIGTERM) waits for the job in hand."""
    fake_openai.latency = 0.05
    engine = queued_service(pg_url, redis_url)
    session_id = new_session(engine.uow_factory)
    engine.service.generate_tickets(session_id)
    worker = WorkerProcess(worker_env(pg_url, redis_url, **llm_env(fake_openai)), tmp_path / "w.log")
    try:
        wait_for(lambda: done(engine, session_id) >= 3, 60, "three tickets")
        os.kill(worker.process.pid, signal.SIGTERM)
        assert worker.process.wait(timeout=120) == 0
    finally:
        worker.stop()
    assert task_status(engine.service, session_id) == "completed", worker.output()[-2000:]
    assert_complete_and_unique(engine, session_id)


def test_second_sigterm_kills_the_job_and_another_worker_finishes_it(pg_url: str, redis_url: str, tmp_path: Path,
                                                                      fake_openai: FakeOpenAIServer) -> None:
    """Q3: a cold shutdown (second SIGTERM) kills the work horse; the run is taken over, not lost."""
    fake_openai.latency = 0.2
    engine = queued_service(pg_url, redis_url)
    session_id = new_session(engine.uow_factory)
    engine.service.generate_tickets(session_id)
    env = worker_env(pg_url, redis_url, **llm_env(fake_openai))
    first = WorkerProcess(env, tmp_path / "first.log")
    second: WorkerProcess | None = None
    try:
        wait_for(lambda: done(engine, session_id) >= 3 and bool(descendants(first.process.pid)), 60, "three tickets")
        os.kill(first.process.pid, signal.SIGTERM)
        time.sleep(1.5)  # RQ ignores a second signal within 1 s; after that it means a cold shutdown
        os.kill(first.process.pid, signal.SIGTERM)
        first.process.wait(timeout=60)
        assert task_status(engine.service, session_id) in ("running", "queued")
        second = WorkerProcess(env, tmp_path / "second.log")
        wait_for(lambda: task_status(engine.service, session_id) == "completed", 90, "the run to be taken over")
    finally:
        first.stop()
        if second is not None:
            second.stop()
    assert_complete_and_unique(engine, session_id)


def test_a_run_over_its_time_limit_fails_cleanly_and_its_retry_finishes(pg_url: str, redis_url: str, tmp_path: Path,
                                                                       fake_openai: FakeOpenAIServer) -> None:
    """Q3: RQ's job timeout ends the job; what was stored stays and the retried job does the rest."""
    fake_openai.latency = 0.2
    engine = build_engine(pg_url, queue=RQJobQueue(Redis.from_url(redis_url), "ticketbot-test", (1, 1, 1)),
                          config=ProcessingConfig(lease_s=3, max_job_s=3))
    session_id = new_session(engine.uow_factory)
    engine.service.generate_tickets(session_id)
    env = worker_env(pg_url, redis_url, TICKETBOT_JOB_TIMEOUT_SECONDS="3", **llm_env(fake_openai))
    worker = WorkerProcess(env, tmp_path / "w.log")
    try:
        wait_for(lambda: "took longer than its time limit" in task_stage(engine, session_id), 60, "the time limit")
        assert 0 < done(engine, session_id) < 33
        fake_openai.latency = 0.0
        wait_for(lambda: task_status(engine.service, session_id) == "completed", 90, "the retry to finish")
    finally:
        worker.stop()
    assert_complete_and_unique(engine, session_id)


def task_stage(engine, session_id: int) -> str:  # type: ignore[no-untyped-def]
    with engine.uow_factory() as uow:
        task = uow.tasks.latest(session_id)
        return "" if task is None else f"{task.stage} {task.error_message or ''}"


@pytest.mark.parametrize("outage_s", [2.0])
def test_database_outage_mid_run(pg_url: str, redis_url: str, tmp_path: Path, fake_openai: FakeOpenAIServer,
                                 outage_s: float) -> None:
    """P2: every database connection reset and refused for a while, mid-run; the run still finishes."""
    fake_openai.latency = 0.05
    engine = queued_service(pg_url, redis_url)
    session_id = new_session(engine.uow_factory)
    engine.service.generate_tickets(session_id)
    host_part = pg_url.split("@", 1)[1]
    database = host_part.split("/", 1)[1]
    with FaultProxy("127.0.0.1", 5432) as proxy:
        proxied = pg_url.split("@", 1)[0] + f"@127.0.0.1:{proxy.port}/{database}"
        worker = WorkerProcess(worker_env(proxied, redis_url, **llm_env(fake_openai)), tmp_path / "w.log")
        try:
            wait_for(lambda: done(engine, session_id) >= 5, 60, "five tickets")
            proxy.cut()
            time.sleep(outage_s)
            proxy.restore()
            wait_for(lambda: task_status(engine.service, session_id) == "completed", 120,
                     "the run to finish after the outage")
        finally:
            worker.stop()
    assert_complete_and_unique(engine, session_id)
