"""`/generate-tickets health`: each service checked, the answer in plain words (never a secret)."""

from __future__ import annotations

from dataclasses import dataclass

from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.wiring.bootstrap import Services
from integrations.slack.errors import SlackError


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check_services(services: Services, jira_project: str | None = None) -> list[Check]:
    checks = [_database(services), _queue(services)]
    if services.slack is not None:
        try:
            identity = services.slack.gateway.identity()
            checks.append(Check("Slack", True, f"signed in as bot user {identity.user_id}"))
        except SlackError as exc:
            checks.append(Check("Slack", False, exc.message))
    health = services.writer.health()
    checks.append(Check(f"Ticket writer ({services.writer.name})", health.ok, health.message))
    if services.settings.jira_url and services.publishing is not None:
        preflight = services.publishing.preflight(jira_project)  # the real checks of DESIGN §10
        checks.append(Check(f"Jira ({preflight.project})", preflight.ok, preflight.describe()))
    else:
        checks.append(Check("Jira", False, "not configured: approved tickets wait until an admin sets JIRA_URL"))
    return checks


def _database(services: Services) -> Check:
    try:
        with services.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return Check("Database", True, services.engine.dialect.name)
    except SQLAlchemyError as exc:
        return Check("Database", False, f"unreachable ({type(exc).__name__})")


def _queue(services: Services) -> Check:
    if services.redis is None:
        return Check("Job queue", True, "jobs run in this process")
    try:
        services.redis.ping()
    except RedisError as exc:
        return Check("Job queue", False, f"Redis is unreachable ({type(exc).__name__})")
    from rq import Worker

    from jobs.tasks.rq_queue import RQJobQueue

    if isinstance(services.queue, RQJobQueue):
        workers = Worker.count(queue=services.queue.queue)
        if not workers:
            return Check("Job queue", False, "Redis answers, but no `ticketbot worker` is running")
        return Check("Job queue", True, f"{workers} worker{'s' * (workers != 1)} running")
    return Check("Job queue", True, "Redis answers")
