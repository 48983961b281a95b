"""`ticketbot doctor` and `ticketbot health`: is every dependency there, in plain words."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from bot.wiring.settings import Settings
from integrations.urls import display_url

TIMEOUT_S = 5


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    skipped: bool = False


def check_database(settings: Settings) -> Check:
    from sqlalchemy import text

    from storage.database import make_engine
    from storage.migrate import current_revision, head_revision

    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current, head = current_revision(engine), head_revision()
        kind = engine.dialect.name
        if current != head:
            return Check("Database", False, f"{kind} is at schema {current or 'none'}, not {head}: "
                                            "run `ticketbot db upgrade`")
        return Check("Database", True, f"{kind}, schema {current} (the newest)")
    except Exception as exc:
        return Check("Database", False, f"cannot reach the database: {exc.__class__.__name__}; check DATABASE_URL")
    finally:
        engine.dispose()


def check_redis(settings: Settings) -> Check:
    from redis import Redis
    from rq import Queue, Worker

    redis = Redis.from_url(settings.redis_url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)
    try:
        redis.ping()
        queue = Queue(settings.queue_name, connection=redis)
        workers = Worker.count(queue=queue)
        detail = f"queue {settings.queue_name}: {queue.count} waiting, {workers} worker(s)"
        if not workers:
            return Check("Redis", False, detail + " — start `ticketbot worker`, or runs will wait")
        return Check("Redis", True, detail)
    except Exception as exc:
        return Check("Redis", False, f"cannot reach Redis: {exc.__class__.__name__}; check REDIS_URL")


def check_slack(settings: Settings) -> Check:
    if not settings.slack_bot_token:
        return Check("Slack", True, "not configured (SLACK_BOT_TOKEN is empty)", skipped=True)
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token=str(settings.slack_bot_token), base_url=settings.slack_api_url, timeout=TIMEOUT_S)
    try:
        answer = client.auth_test()
        return Check("Slack", True, f"connected to {answer.get('team')} as {answer.get('user')}")
    except SlackApiError as exc:
        return Check("Slack", False, f"Slack refused the bot token ({exc.response.get('error')}); "
                                     "check SLACK_BOT_TOKEN")
    except Exception as exc:
        return Check("Slack", False, f"cannot reach Slack at {display_url(settings.slack_api_url)}: "
                                     f"{exc.__class__.__name__}")


def check_llm(settings: Settings) -> Check:
    from bot.wiring.bootstrap import build_writer

    try:
        health = build_writer(settings).health()
    except Exception as exc:
        return Check("LLM", False, f"the {settings.llm_provider} writer cannot start: {exc}")
    return Check(f"LLM ({settings.llm_provider})", health.ok, health.message)


def check_jira(settings: Settings) -> Check:
    from bot.wiring.jira import jira_check

    ok, detail, skipped = jira_check(settings)
    return Check("Jira", ok, detail, skipped)


CHECKS: list[Callable[[Settings], Check]] = [check_database, check_redis, check_slack, check_llm, check_jira]


def run_doctor(settings: Settings, checks: list[Callable[[Settings], Check]] | None = None) -> int:
    results = [check(settings) for check in (checks or CHECKS)]
    for result in results:
        mark = "–" if result.skipped else ("✓" if result.ok else "✗")
        print(f"{mark} {result.name}: {result.detail}")
    return 0 if all(r.ok for r in results) else 1


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

