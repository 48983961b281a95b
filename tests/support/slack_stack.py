"""A running Slack stack for end-to-end tests: fake Slack, `ticketbot serve` and a `ticketbot worker` on the
test run's PostgreSQL database and Redis, with helpers that wait (bounded) for what the thread shows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redis import Redis
from sqlalchemy import create_engine, text

from storage.database import make_engine, make_session_factory
from storage.uow import UnitOfWorkFactory, unit_of_work_factory
from tests.conftest import EXAMPLE_SPEC, REDIS_HOST, REDIS_PORT
from tests.fakes.slack_server import FakeSlackServer
from tests.support.slack import BOT_TOKEN, ServeProcess, SlackDriver, slack_env, texts
from tests.support.workers import WorkerProcess, wait_for

ALICE, BOB = "UALICE001", "U0BOB0001"
HOSTILE = "<!channel> ping @here <@U0ADMIN1> <https://evil.example|approve me> & more"


@dataclass
class Stack:
    slack: FakeSlackServer
    serve: ServeProcess
    worker: WorkerProcess
    drive: SlackDriver
    uow_factory: UnitOfWorkFactory
    redis: Redis
    serve_env: dict[str, str]


@contextmanager
def running_stack(pg_database: str, redis_db: int, logs: Path, *, clean: bool = True,
                  **extra_env: str) -> Iterator[Stack]:
    """The stack (on an emptied database and Redis when `clean`); at the end the logs are checked for
    the bot token (X1)."""
    redis = Redis(REDIS_HOST, REDIS_PORT, db=redis_db)
    if clean:
        engine = create_engine(pg_database)
        with engine.begin() as connection:
            from storage.models import Base

            connection.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
                                    + " RESTART IDENTITY CASCADE"))
        engine.dispose()
        redis.flushdb()
    slack = FakeSlackServer(token=BOT_TOKEN)
    slack.start()
    env = slack_env(pg_database, f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db}", slack, **extra_env)
    serve = ServeProcess(env, logs / "serve.log")
    worker = WorkerProcess(env, logs / "worker.log")
    db = make_engine(pg_database)
    stack = Stack(slack, serve, worker, SlackDriver(serve, slack), unit_of_work_factory(make_session_factory(db)),
                  redis, env)
    try:
        yield stack
    finally:
        serve.stop()
        stack.worker.stop()
        slack.stop()
        db.dispose()
        for name, output in (("serve", serve.output()), ("worker", stack.worker.output())):
            assert "xoxb-" not in output, f"X1: the bot token appears in the {name} log"


def new_channel() -> str:
    return "C" + uuid.uuid4().hex[:9].upper()


def example_files() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(EXAMPLE_SPEC.glob("*.csv"))}


def bundles_csv(count: int, description: str = "A content type") -> bytes:
    rows = ["Name,Machine name,Type,Description"]
    rows += [f'Type {i},type_{i},Content type,"{description} {i}"' for i in range(count)]
    return ("\n".join(rows) + "\n").encode()


def session_id(stack: Stack, channel: str) -> int:
    with stack.uow_factory() as uow:
        session = uow.sessions.latest_in_channel(channel)
        assert session is not None, f"no session in {channel}"
        return session.id


def message(stack: Stack, key: str) -> dict[str, Any]:
    found = stack.slack.by_key(key)
    assert len(found) == 1, f"{key}: {len(found)} messages"
    return found[0]


def upload_and_start(stack: Stack, channel: str, files: dict[str, bytes], start: str = "start",
                     user: str = ALICE) -> tuple[int, str]:
    """Share files, wait for the reply, start, and wait for the run's last draft and final edit."""
    root = stack.drive.share_files(channel, files, user=user)
    sid = wait_session(stack, channel)
    wait_for(lambda: "tickets planned" in texts(stack.slack.by_key(f"upload:s{sid}:{root}")[0])
             if stack.slack.by_key(f"upload:s{sid}:{root}") else False, 30, "the upload reply")
    answer = stack.drive.command(start, channel=channel, user=user)
    assert answer.status == 200
    wait_finished(stack, sid)
    return sid, root


def wait_session(stack: Stack, channel: str) -> int:
    holder: list[int] = []

    def found() -> bool:
        with stack.uow_factory() as uow:
            session = uow.sessions.latest_in_channel(channel)
            if session is not None:
                holder.append(session.id)
            return session is not None

    wait_for(found, 30, f"a session in {channel}")
    return holder[-1]


def wait_finished(stack: Stack, sid: int, state: str = "completed 100%") -> dict[str, Any]:
    def done() -> bool:
        found = stack.slack.by_key(f"progress:s{sid}")
        return bool(found) and state in found[0]["text"]

    wait_for(done, 90, f"the progress message of session {sid} to say {state!r}")
    return message(stack, f"progress:s{sid}")


@dataclass(frozen=True)
class Ticket:
    id: int
    spec_key: str
    title: str
    status: str
    regeneration_count: int


def _ticket(record: Any) -> Ticket:
    return Ticket(record.id, record.spec_key, record.title, record.status, record.regeneration_count)


def drafts(stack: Stack, sid: int) -> list[tuple[Ticket, dict[str, Any]]]:
    """(ticket, its one Slack message) in dependency order."""
    with stack.uow_factory() as uow:
        tickets = [_ticket(t) for t in uow.tickets.for_session(sid)]
    return [(t, message(stack, f"draft:t{t.id}")) for t in tickets]


def ticket(stack: Stack, ticket_id: int) -> Ticket:
    with stack.uow_factory() as uow:
        return _ticket(uow.tickets.get(ticket_id))


def latest_task(stack: Stack, sid: int) -> tuple[int, str]:
    with stack.uow_factory() as uow:
        task = uow.tasks.latest(sid)
        return (task.generation, task.status) if task is not None else (0, "")
