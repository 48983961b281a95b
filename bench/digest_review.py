"""Digest review of a large run: the VA.gov spec through `ticketbot serve`, a worker and a fake Slack.

Starts a fake Slack Web API, a fake OpenAI (answering after `--llm-latency` s, so groups are written
one after another as in a real run), `ticketbot serve` (HTTP mode) and one `ticketbot worker` on the
machine's PostgreSQL and Redis, with Slack's pace (one post per second per channel, shared in Redis)
and the default digest threshold (50). Uploads VA.gov, starts it and measures:
- the bot messages in the thread (DESIGN.md §12: a few dozen, not one per ticket);
- when each group became reviewable (its first digest page posted) against when its last ticket was
  written: the first group as soon as it is written, the last soon after the run ends;
- the Slack Web API calls per ticket (posts and edits in the channel, progress included).
Prints one JSON line. Run alone: python -m bench.digest_review [--llm-latency S] [--concurrency C]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
import uuid
from datetime import UTC
from pathlib import Path
from typing import Any

from redis import Redis
from sqlalchemy import create_engine, text

from bench.synthetic import load_dir

ROOT = Path(__file__).resolve().parents[1]
VA_GOV = ROOT.parent / "shared" / "specs" / "drupal-spec-tool" / "va-gov-cms"
PG_ADMIN = os.environ.get("TICKETBOT_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
POST_INTERVAL_S = 1.0  # Slack: about one message per second per channel
TARGET_MESSAGES = 36  # "a few dozen bot messages, not one per ticket"
TARGET_FIRST_LAG_S = 3.0  # a group reviewable within a post's pace and a progress interval of being written
TARGET_CALLS_PER_TICKET = 0.5  # one message per draft costs at least 1 (a post) and usually 2 (an edit)


def key_of(params: dict[str, Any]) -> str:
    return str(((params.get("metadata") or {}).get("event_payload") or {}).get("key", ""))


def run_va_gov(drive: Any, uow_factory: Any, files: dict[str, bytes], timeout_s: float) -> dict[str, Any]:
    slack = drive.slack
    channel = "C" + uuid.uuid4().hex[:9].upper()
    root = drive.share_files(channel, files, also_file_shared=False)
    deadline = time.monotonic() + 120
    session_id = None
    while session_id is None and time.monotonic() < deadline:
        with uow_factory() as uow:
            session = uow.sessions.latest_in_channel(channel)
            session_id = session.id if session is not None else None
        time.sleep(0.2)
    reply_key = f"upload:s{session_id}:{root}"
    while time.monotonic() < deadline and not any("tickets planned" in m.get("text", "")
                                                  for m in slack.by_key(reply_key)):
        time.sleep(0.2)
    # The fake stamps calls with time.monotonic(); the database with UTC wall time: one offset joins them.
    offset = time.time() - time.monotonic()
    started = time.monotonic()
    drive.command("start anyway VA.gov", channel=channel)
    deadline = started + timeout_s
    while time.monotonic() < deadline:
        progress = slack.by_key(f"progress:s{session_id}")
        if progress and "completed 100%" in progress[0]["text"]:
            break
        time.sleep(0.5)
    else:
        raise TimeoutError(f"the run did not reach 100 % within {timeout_s:.0f} s")
    finished = time.monotonic()
    with uow_factory() as uow:
        tickets = uow.tickets.for_session(session_id)
        written: dict[str, float] = {}
        for t in tickets:
            at = t.created_at.replace(tzinfo=UTC).timestamp() - offset  # on the fake's clock
            written[t.group] = max(written.get(t.group, 0.0), at)
        keys = {t.id: t.digest_key for t in tickets}
        task = uow.tasks.latest(session_id)
        writing_s = (task.finished_at.replace(tzinfo=UTC).timestamp() - offset - started
                     if task is not None and task.finished_at else None)
        digest = bool(uow.sessions.get(session_id).digest_mode)
    calls = [c for c in slack.calls if c.params.get("channel") == channel and c.at >= started
             and c.method in ("chat.postMessage", "chat.update")]
    first_post: dict[str, float] = {}  # group -> when its first page was posted
    for c in calls:
        key = key_of(c.params)
        if c.method == "chat.postMessage" and c.status == 200 and key.startswith("digest:"):
            group = key.split(":", 2)[2].rsplit(":", 1)[0]
            first_post.setdefault(group, c.at)
    thread = [m for m in slack.thread(channel, root) if m.get("bot_id")]
    lines = [b.get("block_id") for m in thread if str(key_of(m)).startswith("digest:") for b in m["blocks"]
             if (b.get("accessory") or {}).get("type") == "overflow"]
    lags = {g: round(first_post[g] - written[g], 2) for g in first_post if g in written}
    first_group = min(first_post, key=first_post.__getitem__) if first_post else ""
    last_group = max(first_post, key=first_post.__getitem__) if first_post else ""
    pages = sum(1 for m in thread if str(key_of(m)).startswith("digest:"))
    return {
        "tickets": len(tickets), "digest_mode": digest, "bot_messages_in_thread": len(thread),
        "digest_pages": pages, "groups": len(written),
        "tickets_on_exactly_one_line": len(lines) == len(set(lines)) == len(tickets)
        and all(keys.values()),
        "writing_s": round(writing_s, 2) if writing_s is not None else None,
        "run_to_100_percent_s": round(finished - started, 1),
        "first_group": first_group,
        "first_group_reviewable_s": round(first_post[first_group] - started, 2) if first_group else None,
        "first_group_lag_after_written_s": lags.get(first_group),
        "last_group": last_group,
        "last_group_reviewable_s": round(first_post[last_group] - started, 2) if last_group else None,
        "last_group_lag_after_written_s": lags.get(last_group),
        "lag_after_written_by_group_s": lags,
        "slack_calls": len(calls), "slack_calls_per_ticket": round(len(calls) / max(len(tickets), 1), 3),
        "posts": sum(1 for c in calls if c.method == "chat.postMessage"),
        "edits": sum(1 for c in calls if c.method == "chat.update"),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--llm-latency", type=float, default=0.2, help="the fake OpenAI's answer time (s)")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    if not VA_GOV.is_dir():
        print(json.dumps({"skipped": f"VA.gov spec not found at {VA_GOV}"}))
        return 0
    sys.path.insert(0, str(ROOT))
    from storage.database import make_engine, make_session_factory
    from storage.uow import unit_of_work_factory
    from tests.fakes.openai_server import FakeOpenAIServer
    from tests.fakes.slack_server import FakeSlackServer
    from tests.support.slack import BOT_TOKEN, ServeProcess, SlackDriver, slack_env
    from tests.support.workers import WorkerProcess

    name = f"ticketbot_bench_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    queue = f"bench-{secrets.token_hex(4)}"
    logs = Path(tempfile.mkdtemp(prefix="ticketbot-bench-digest-"))
    serve = worker = None
    slack = FakeSlackServer(token=BOT_TOKEN)
    slack.start()
    llm = FakeOpenAIServer(latency=args.llm_latency)
    llm.start()
    try:
        env = slack_env(url, f"redis://{REDIS_HOST}:{REDIS_PORT}/0", slack, **{
            "TICKETBOT_QUEUE": queue, "TICKETBOT_SLACK_POST_INTERVAL_MS": str(int(POST_INTERVAL_S * 1000)),
            "TICKETBOT_SLACK_QUIET_SECONDS": "60", "LOG_LEVEL": "WARNING",
            "LLM_PROVIDER": "openai", "OPENAI_API_KEY": "bench-key", "OPENAI_BASE_URL": llm.base_url,
            "OPENAI_MODEL": llm.model, "LLM_CONCURRENCY": str(args.concurrency)})
        serve = ServeProcess(env, logs / "serve.log")
        worker = WorkerProcess(env, logs / "worker.log")
        engine = make_engine(url)
        result = run_va_gov(SlackDriver(serve, slack), unit_of_work_factory(make_session_factory(engine)),
                            load_dir(VA_GOV), 1800)
        engine.dispose()
    finally:
        for process in (serve, worker):
            if process is not None:
                process.stop()
        slack.stop()
        llm.stop()
        redis = Redis(REDIS_HOST, REDIS_PORT, db=0)
        keys = redis.keys(f"rq:*{queue}*")
        if keys:
            redis.delete(*keys)
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                               {"n": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    pages = result["digest_pages"]
    result.update({
        "llm_latency_s": args.llm_latency, "concurrency": args.concurrency, "post_interval_s": POST_INTERVAL_S,
        "target_messages": TARGET_MESSAGES, "target_first_lag_s": TARGET_FIRST_LAG_S,
        # the last group: once written, its pages wait at most for the pages still queued at Slack's pace
        "target_last_lag_s": TARGET_FIRST_LAG_S + pages * POST_INTERVAL_S,
        "target_calls_per_ticket": TARGET_CALLS_PER_TICKET,
    })
    result["met"] = bool(
        result["digest_mode"] and result["tickets_on_exactly_one_line"]
        and result["bot_messages_in_thread"] <= TARGET_MESSAGES
        and result["first_group_lag_after_written_s"] is not None
        and result["first_group_lag_after_written_s"] <= TARGET_FIRST_LAG_S
        and result["last_group_lag_after_written_s"] is not None
        and result["last_group_lag_after_written_s"] <= result["target_last_lag_s"]
        and result["slack_calls_per_ticket"] <= TARGET_CALLS_PER_TICKET)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
