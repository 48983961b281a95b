"""Generation of the VA.gov spec through a real `ticketbot worker` on PostgreSQL + Redis.

Prints one JSON line: wall time from enqueue to the last ticket stored, and the worker's peak memory
(the worker process and its work horse, sampled from /proc). Needs the machine's PostgreSQL and Redis.
Run alone: python -m bench.worker_generation [--copies N] [--writer template|openai-fake]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from redis import Redis
from sqlalchemy import create_engine, text

from bench.synthetic import load_dir, multiply
from integrations.writers.template import TemplateWriter
from jobs.conversation.uploads import upload_fields
from jobs.generation.service import ProcessingService
from jobs.tasks.rq_queue import RQJobQueue
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.uow import unit_of_work_factory

ROOT = Path(__file__).resolve().parents[1]
VA_GOV = ROOT.parent / "shared" / "specs" / "drupal-spec-tool" / "va-gov-cms"
PG_ADMIN = os.environ.get("TICKETBOT_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("TICKETBOT_BENCH_REDIS", "redis://127.0.0.1:6379/0")


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def measure(copies: int, extra_env: dict[str, str], writer_concurrency: int) -> dict[str, object]:
    name = f"ticketbot_bench_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    queue_name = f"bench-{secrets.token_hex(4)}"
    worker = None
    try:
        engine = make_engine(url)
        upgrade(engine)
        uow_factory = unit_of_work_factory(make_session_factory(engine))
        writer = TemplateWriter()
        service = ProcessingService(uow_factory=uow_factory, writer=writer,
                                    queue=RQJobQueue(Redis.from_url(REDIS), queue_name))
        files = load_dir(VA_GOV)
        if copies > 1:
            files = multiply(files, copies)
        with uow_factory() as uow:
            session = uow.sessions.add(channel_id="CBENCH", site_name="VA.gov")
            for file_name, data in files.items():
                digest = hashlib.sha256(data).hexdigest()
                uow.uploads.add(session.id, **upload_fields(file_name, data, file_id=digest[:20], uploaded_by="bench"))
            uow.commit()
            session_id = session.id
        log = open(os.environ.get("TICKETBOT_BENCH_WORKER_LOG", os.devnull), "ab")  # noqa: SIM115
        env = dict(os.environ, DATABASE_URL=url, REDIS_URL=REDIS, TICKETBOT_QUEUE=queue_name, **extra_env)
        worker = subprocess.Popen([sys.executable, "-m", "bot.cli.main", "worker"], cwd=ROOT, env=env,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        time.sleep(3)  # the worker's start-up (imports, migrations check) is not part of a generation
        started = time.monotonic()
        result = service.generate_tickets(session_id, start_anyway=True)
        if result.queue_note:
            raise RuntimeError(result.queue_note)
        peak_kb = 0
        while True:
            pids = [worker.pid, *children(worker.pid)]
            pids += [grandchild for pid in pids[1:] for grandchild in children(pid)]
            # Each process on its own: the work horse is a fork, so summing would count shared pages twice.
            peak_kb = max(peak_kb, *(rss_kb(pid) for pid in pids))
            status = service.get_processing_status(session_id)
            if status.task_status in ("completed", "failed", "cancelled"):
                break
            if time.monotonic() - started > 1800:
                raise TimeoutError("the generation did not finish within 30 minutes")
            time.sleep(0.05)
        wall = time.monotonic() - started
        return {"copies": copies, "tickets": result.estimated_tickets, "status": status.task_status,
                "wall_s": wall, "worker_peak_rss_mb": peak_kb / 1024, "concurrency": writer_concurrency}
    finally:
        if worker is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGKILL)  # the worker, its scheduler and its work horse
            worker.wait()
        Redis.from_url(REDIS).delete(*(Redis.from_url(REDIS).keys(f"rq:*{queue_name}*") or ["-"]))
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                               {"n": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--llm-latency", type=float, default=0.0,
                        help="write with the OpenAI writer against a local fake server answering after this many s")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    if not VA_GOV.is_dir():
        print(json.dumps({"skipped": f"VA.gov spec not found at {VA_GOV}"}))
        return 0
    if not args.llm_latency:
        print(json.dumps(measure(args.copies, {"LLM_PROVIDER": "template"}, 1)))
        return 0
    from tests.fakes.openai_server import FakeOpenAIServer

    with FakeOpenAIServer() as fake:
        fake.latency = args.llm_latency
        env = {"LLM_PROVIDER": "openai", "OPENAI_API_KEY": "bench-key", "OPENAI_BASE_URL": fake.base_url,
               "OPENAI_MODEL": fake.model, "LLM_CONCURRENCY": str(args.concurrency)}
        result = measure(args.copies, env, args.concurrency)
    rounds = -(-int(str(result["tickets"])) // args.concurrency)
    ideal = rounds * args.llm_latency
    result.update({"llm_latency_s": args.llm_latency, "ideal_s": ideal, "target_s": 1.15 * ideal + 2})
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
