"""Is every dependency there, in plain words: one list of checks, wherever it is asked.

`ticketbot doctor` runs CHECKS on connections of its own (short timeouts, closed after), made from the
settings; `/generate-tickets health` runs the same CHECKS on the running process's services (the
channel's Jira project). `ready` is serve's /readyz (the database and Redis answer) and `serve_health`
and `worker_health` are the liveness of `ticketbot health`. Nothing heavy is imported at the top:
`ticketbot health` runs every 30 s in a container.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.wiring import exit_codes
from bot.wiring.settings import Settings
from integrations.urls import display_url

if TYPE_CHECKING:
    from redis import Redis
    from slack_sdk import WebClient
    from sqlalchemy import Engine

    from bot.wiring.bootstrap import Services
    from integrations.jira.setup import PreflightResult
    from integrations.writers.base import TicketWriter

TIMEOUT_S = 5


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    skipped: bool = False


@dataclass(frozen=True)
class Dependencies:
    """What the checks look at; each is made when its check runs, so that one that cannot be made is a line."""

    settings: Settings
    engine: Callable[[], Engine]
    redis: Callable[[], Redis]
    slack: Callable[[], WebClient] | None  # None: SLACK_BOT_TOKEN is empty
    writer: Callable[[], TicketWriter]
    jira: Callable[[], PreflightResult] | None  # None: JIRA_URL is empty
    jira_project: str


# ---- the checks -----------------------------------------------------------------------------------------


def check_database(deps: Dependencies) -> Check:
    from storage.migrate import current_revision, head_revision

    try:
        engine = deps.engine()
        database_answers(engine)
        current, head = current_revision(engine), head_revision()
        kind = engine.dialect.name
        if current != head:
            return Check("Database", False, f"{kind} is at schema {current or 'none'}, not {head}: "
                                            "run `ticketbot db upgrade`")
        return Check("Database", True, f"{kind}, schema {current} (the newest)")
    except Exception as exc:
        return Check("Database", False, f"cannot reach the database: {exc.__class__.__name__}; check DATABASE_URL")


def check_queue(deps: Dependencies) -> Check:
    from rq import Queue, Worker

    name = deps.settings.queue_name
    try:
        redis = deps.redis()
        redis.ping()
        queue = Queue(name, connection=redis)
        workers = Worker.count(queue=queue)
        detail = f"queue {name}: {queue.count} waiting, {workers} worker(s)"
        if not workers:
            return Check("Redis", False, detail + " — start `ticketbot worker`, or runs will wait")
        return Check("Redis", True, detail)
    except Exception as exc:
        return Check("Redis", False, f"cannot reach Redis: {exc.__class__.__name__}; check REDIS_URL")


def check_slack(deps: Dependencies) -> Check:
    if deps.slack is None:
        return Check("Slack", True, "not configured (SLACK_BOT_TOKEN is empty)", skipped=True)
    from slack_sdk.errors import SlackApiError

    try:
        answer = deps.slack().auth_test()
        return Check("Slack", True, f"connected to {answer.get('team')} as {answer.get('user')}")
    except SlackApiError as exc:
        return Check("Slack", False, f"Slack refused the bot token ({exc.response.get('error')}); "
                                     "check SLACK_BOT_TOKEN")
    except Exception as exc:
        return Check("Slack", False, f"cannot reach Slack at {display_url(deps.settings.slack_api_url)}: "
                                     f"{exc.__class__.__name__}")


def check_writer(deps: Dependencies) -> Check:
    provider = deps.settings.llm_provider
    try:
        health = deps.writer().health()
    except Exception as exc:
        return Check("LLM", False, f"the {provider} writer cannot start: {exc}")
    return Check(f"LLM ({provider})", health.ok, health.message)


def check_jira(deps: Dependencies) -> Check:
    """The preflight of the project (docs/design.md §10): JIRA_PROJECT for doctor, the channel's in Slack."""
    if deps.jira is None:
        return Check("Jira", True, "not configured (JIRA_URL is empty): approved tickets wait, and the CSV export "
                                   "works", skipped=True)
    from integrations.jira.setup import PreflightProblem, PreflightResult

    try:
        result = deps.jira()
    except Exception as exc:  # every failure is a line of the report
        result = PreflightResult("", deps.jira_project, (PreflightProblem(getattr(exc, "message", repr(exc))),))
    if result.ok:
        return Check("Jira", True, f"{result.deployment} at {display_url(deps.settings.jira_url)}, project "
                                   f"{deps.jira_project} ready")
    return Check("Jira", False, result.describe().replace("\n", "; "))


CHECKS: list[Callable[[Dependencies], Check]] = [check_database, check_queue, check_slack, check_writer, check_jira]


def run_checks(deps: Dependencies) -> list[Check]:
    return [check(deps) for check in CHECKS]


# ---- where the dependencies come from -------------------------------------------------------------------


@contextmanager
def own_dependencies(settings: Settings) -> Iterator[Dependencies]:
    """Connections made for one look from the settings, each closed when the look is over."""
    with ExitStack() as made:
        def engine() -> Engine:
            from storage.database import make_engine

            built = make_engine(settings.database_url)
            made.callback(built.dispose)
            return built

        def redis() -> Redis:
            from redis import Redis

            built = Redis.from_url(settings.redis_url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)
            made.callback(built.close)
            return built

        def slack() -> WebClient:
            from slack_sdk import WebClient

            return WebClient(token=str(settings.slack_bot_token), base_url=settings.slack_api_url, timeout=TIMEOUT_S)

        def writer() -> TicketWriter:
            from bot.wiring.bootstrap import build_writer

            return build_writer(settings)

        def jira() -> PreflightResult:
            from bot.wiring.jira import jira_config
            from integrations.jira.gateway import JiraGateway

            config = jira_config(settings)
            assert config is not None
            gateway = JiraGateway(config)
            try:
                return gateway.preflight()
            finally:
                gateway.close()

        yield Dependencies(settings, engine, redis, slack if settings.slack_bot_token else None, writer,
                           jira if settings.jira_url else None, settings.jira_project)


def services_dependencies(services: Services, jira_project: str | None = None) -> Dependencies:
    """The running process's own: its engine, Redis, Slack client, writer and publisher."""
    settings = services.settings
    project = jira_project or settings.jira_project

    def redis() -> Redis:
        if services.redis is None:
            raise ConnectionError("jobs run in this process, without Redis")
        return services.redis

    slack = services.slack
    publishing = services.publishing
    return Dependencies(
        settings, lambda: services.engine, redis, (lambda: slack.gateway.client) if slack is not None else None,
        lambda: services.writer,
        (lambda: publishing.preflight(project)) if settings.jira_url and publishing is not None else None, project)


# ---- who asks -------------------------------------------------------------------------------------------


def run_doctor(settings: Settings) -> int:
    """`ticketbot doctor`: one line per check; exit 3 (a service failed or cannot be reached) when one fails."""
    with own_dependencies(settings) as deps:
        results = run_checks(deps)
    for result in results:
        mark = "–" if result.skipped else ("✓" if result.ok else "✗")
        print(f"{mark} {result.name}: {result.detail}")
    return exit_codes.OK if all(r.ok for r in results) else exit_codes.INTEGRATION


def check_services(services: Services, jira_project: str | None = None) -> list[Check]:
    """`/generate-tickets health`: the same checks on what this process runs with."""
    return run_checks(services_dependencies(services, jira_project))


def queue_check(settings: Settings) -> Check:
    """The queue's line alone: is a worker there to take a queued run."""
    with own_dependencies(settings) as deps:
        return check_queue(deps)


def database_answers(engine: Engine) -> None:
    """SELECT 1, or the driver's error."""
    from sqlalchemy import text

    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def ready(services: Services) -> bool:
    """serve's readiness: the database and Redis answer (a missing worker does not make serve unready)."""
    from redis.exceptions import RedisError
    from sqlalchemy.exc import SQLAlchemyError

    try:
        database_answers(services.engine)
        return services.redis is None or bool(services.redis.ping())
    except (SQLAlchemyError, RedisError):
        return False


def serve_health(settings: Settings) -> Check:
    """`ticketbot health --serve`: the Slack app answers /healthz on $PORT; the detail says what failed."""
    url = f"http://127.0.0.1:{settings.port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as answer:
            if answer.status == 200:
                return Check("serve", True, f"{url} answers 200")
            return Check("serve", False, f"{url} answered HTTP {answer.status}")
    except urllib.error.HTTPError as exc:
        return Check("serve", False, f"{url} answered HTTP {exc.code}")
    except OSError as exc:
        reason = getattr(exc, "reason", exc)
        return Check("serve", False, f"nothing answers {url} ({reason}); is `ticketbot serve` running with PORT="
                                     f"{settings.port}?")


def worker_health(settings: Settings) -> Check:
    """A worker of this host is registered in Redis (its key expires when the worker stops heartbeating)."""
    from redis import Redis

    redis = Redis.from_url(settings.redis_url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)
    host = socket.gethostname()
    try:
        prefix = f"rq:worker:ticketbot-{host}-"
        if any(redis.exists(key) for key in redis.scan_iter(match=prefix + "*", count=100)):
            return Check("worker", True, f"a worker of {host} is registered in Redis")
        return Check("worker", False, f"no `ticketbot worker` of host {host} is registered in Redis "
                                      f"({display_url(settings.redis_url)})")
    except Exception as exc:
        return Check("worker", False, f"cannot reach Redis at {display_url(settings.redis_url)} "
                                      f"({exc.__class__.__name__}); check REDIS_URL")
    finally:
        redis.close()
