"""Drill: a slow 🔁 makes exactly one LLM call (issue 10, "Done means").

Two real `ticketbot worker` processes (each with its sweeper) on a fresh PostgreSQL database and Redis,
the OpenAI writer against the local fake OpenAI server. One draft is regenerated while the fake answers
after twice the lease; the drill counts the chat completions the fake received for it.
Prints one JSON line. Run alone: python -m bench.slow_regeneration [--lease 3] [--factor 2]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

from redis import Redis
from sqlalchemy import create_engine, text

from jobs.tasks.rq_queue import RQJobQueue
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.engine import build_engine, new_session
from tests.support.workers import WorkerProcess, wait_for, worker_env

PG_ADMIN = os.environ.get("TICKETBOT_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("TICKETBOT_BENCH_REDIS", "redis://127.0.0.1:6379/0")
SPEC_KEY = "node.type.event"  # a draft of the example spec (examples/acme)


def drill(database_url: str, lease_s: int, factor: float, logs: Path) -> dict[str, object]:
    queue_name = f"bench-regen-{secrets.token_hex(4)}"
    redis = Redis.from_url(REDIS)
    engine = build_engine(database_url, queue=RQJobQueue(redis, queue_name, (1, 1, 1)))
    session_id = new_session(engine.uow_factory)
    with FakeOpenAIServer() as fake:
        env = worker_env(database_url, REDIS, TICKETBOT_QUEUE=queue_name, TICKETBOT_LEASE_SECONDS=str(lease_s),
                         LLM_PROVIDER="openai", OPENAI_API_KEY="bench-key", OPENAI_BASE_URL=fake.base_url,
                         OPENAI_MODEL=fake.model, LOG_LEVEL="WARNING")
        workers = [WorkerProcess(env, logs / f"worker-{n}.log") for n in (1, 2)]
        try:
            engine.service.generate_tickets(session_id)
            wait_for(lambda: engine.service.get_processing_status(session_id).task_status == "completed", 120,
                     "the generation")
            with engine.uow_factory() as uow:
                ticket = uow.tickets.by_key(session_id, SPEC_KEY)
                assert ticket is not None
                ticket_id = ticket.id
            fake.reset()
            fake.latency = factor * lease_s
            started_at = time.monotonic()
            started = engine.service.regenerate_ticket(ticket_id, requested_by="UBENCH")

            def finished() -> bool:
                with engine.uow_factory() as uow:
                    return uow.tasks.get(started.task_id).status not in ("queued", "running")

            wait_for(finished, 120, "the regeneration")
            wall = time.monotonic() - started_at
            wait_for(lambda: fake.in_flight == 0, 3 * lease_s, "no LLM request in flight")
        finally:
            for worker in workers:
                worker.stop()
            redis.delete(*(redis.keys(f"rq:*{queue_name}*") or ["-"]))
        calls = len(fake.chat_requests)
    with engine.uow_factory() as uow:
        ticket = uow.tickets.get(ticket_id)
        task = uow.tasks.get(started.task_id)
        result: dict[str, object] = {
            "lease_s": lease_s, "llm_latency_s": factor * lease_s, "workers": 2, "llm_calls": calls,
            "regenerations_used": ticket.regeneration_count, "ticket_status": ticket.status,
            "task_status": task.status, "task_enqueues": task.enqueue_count, "wall_s": round(wall, 2),
        }
    result["met"] = calls == 1 and result["regenerations_used"] == 1 and result["task_status"] == "completed"
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lease", type=int, default=3, help="TICKETBOT_LEASE_SECONDS of the workers")
    parser.add_argument("--factor", type=float, default=2.0, help="the LLM answers after factor × lease")
    args = parser.parse_args()
    name = f"ticketbot_bench_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        with tempfile.TemporaryDirectory() as logs:
            result = drill(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", args.lease, args.factor, Path(logs))
    finally:
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                               {"n": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
