"""The 🔁 drill of issue 10 ("Done means"): real `ticketbot worker` processes on PostgreSQL and Redis,
the OpenAI writer against the local fake, and an answer that comes after twice the lease.

Two workers run, each with its sweeper, so a lease that runs out is taken over at once by the other
worker: a regeneration that did not renew its lease made two LLM calls here.
"""

from __future__ import annotations

from pathlib import Path

from redis import Redis

from jobs.tasks.rq_queue import RQJobQueue
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.engine import build_engine, new_session
from tests.support.workers import WorkerProcess, wait_for, worker_env

QUEUE = "ticketbot-test"
LEASE_S = 3


def openai_worker_env(pg_url: str, redis_url: str, fake: FakeOpenAIServer) -> dict[str, str]:
    return worker_env(pg_url, redis_url, LLM_PROVIDER="openai", OPENAI_API_KEY="test-key",
                      OPENAI_BASE_URL=fake.base_url, OPENAI_MODEL=fake.model, LLM_CONCURRENCY="4",
                      TICKETBOT_LEASE_SECONDS=str(LEASE_S))


def test_a_slow_regeneration_makes_exactly_one_llm_call(pg_url: str, redis_url: str, tmp_path: Path,
                                                        fake_openai: FakeOpenAIServer) -> None:
    engine = build_engine(pg_url, queue=RQJobQueue(Redis.from_url(redis_url), QUEUE, (1, 1, 1)))
    session_id = new_session(engine.uow_factory)
    env = openai_worker_env(pg_url, redis_url, fake_openai)
    workers = [WorkerProcess(env, tmp_path / f"worker-{n}.log") for n in (1, 2)]
    try:
        engine.service.generate_tickets(session_id)
        wait_for(lambda: engine.service.get_processing_status(session_id).task_status == "completed", 90,
                 "the generation to complete")
        with engine.uow_factory() as uow:
            ticket = uow.tickets.by_key(session_id, "node.type.event")
            assert ticket is not None and ticket.status == "draft"
            ticket_id = ticket.id
        fake_openai.reset()
        fake_openai.latency = 2.0 * LEASE_S  # the answer comes after twice the lease
        started = engine.service.regenerate_ticket(ticket_id, requested_by="U0TEST")

        def finished() -> bool:
            with engine.uow_factory() as uow:
                return uow.tasks.get(started.task_id).status not in ("queued", "running")

        wait_for(finished, 90, "the regeneration to finish")
        # A copy started by a take-over would have sent its request by now: both workers sweep every second.
        wait_for(lambda: fake_openai.in_flight == 0, 3 * LEASE_S, "no LLM request in flight")
    finally:
        for worker in workers:
            worker.stop()
    assert len(fake_openai.chat_requests) == 1, "one 🔁 must make exactly one LLM call"
    with engine.uow_factory() as uow:
        ticket = uow.tickets.get(ticket_id)
        task = uow.tasks.get(started.task_id)
        assert (ticket.status, ticket.regeneration_count, ticket.writer) == ("draft", 1, "openai")
        assert (task.status, task.enqueue_count) == ("completed", 1)
