"""Slack: ack latency of the real `ticketbot serve`, progress edits of a VA.gov-sized run, draft posting rate.

Starts a fake Slack Web API, `ticketbot serve` (HTTP mode) and one `ticketbot worker` on the machine's
PostgreSQL and Redis, then:
1. sends signed slash commands and event_callback envelopes, 50 at a time, timing each answer
   (docs/design.md §12: p99 ≤ 50 ms with 50 concurrent requests);
2. uploads the VA.gov spec, starts it and counts the chat.update calls on the progress message and
   the drafts posted per second (Slack's pace: about 1 message/s per channel);
3. runs a smaller spec while the fake answers every 10th chat.postMessage with 429 (Retry-After 1),
   and checks no draft is lost or doubled.
Prints one JSON line. Run alone: python -m bench.slack_ack [--bursts N] [--post-interval-ms MS] [--skip-runs]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redis import Redis
from sqlalchemy import create_engine, text

from bench.synthetic import load_dir

ROOT = Path(__file__).resolve().parents[1]
VA_GOV = ROOT.parent / "shared" / "specs" / "drupal-spec-tool" / "va-gov-cms"
PG_ADMIN = os.environ.get("TICKETBOT_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
TARGET_P99_MS = 50.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summary(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 2), "p99_ms": round(percentile(ms, 0.99), 2),
            "max_ms": round(max(ms), 2)}


def signed_request(kind: str, response_url: str, channel: str) -> bytes:
    """One signed HTTP/1.1 request to /slack/events: a slash command or an event_callback envelope."""
    from tests.support.slack import command_body, event_body, sign

    if kind == "command":
        body = command_body(secrets.choice(["status", "errors", "help", ""]), channel=channel, user="UBENCH001",
                            response_url=response_url)
        content_type = "application/x-www-form-urlencoded"
    else:
        event: dict[str, Any] = secrets.choice([
            {"type": "reaction_added", "user": "UBENCH001", "reaction": "white_check_mark",
             "item": {"type": "message", "channel": channel, "ts": f"{time.time():.6f}"}},
            {"type": "message", "channel": channel, "user": "UBENCH001", "text": "hi", "ts": f"{time.time():.6f}"},
        ])
        body, content_type = event_body(event), "application/json"
    headers = {"Host": "127.0.0.1", "Content-Type": content_type, "Content-Length": str(len(body)),
               "Connection": "close", **sign(body)}
    head = "POST /slack/events HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return head.encode() + body


async def timed_answer(port: int, kind: str, payload: bytes) -> tuple[str, float, int]:
    """(kind, seconds until the whole answer came back, status) for one request on a fresh connection."""
    import asyncio

    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(payload)
    await writer.drain()
    status_line = await reader.readline()
    await reader.read()  # to the end: the server closes (Connection: close)
    seconds = time.perf_counter() - started
    writer.close()
    return kind, seconds, int(status_line.split()[1])


def answers_summary(results: list[tuple[str, float, int]]) -> dict[str, Any]:
    return {"non_200": sum(1 for _, _, status in results if status != 200),
            "commands": summary([s for kind, s, _ in results if kind == "command"]),
            "events": summary([s for kind, s, _ in results if kind == "event"]),
            "all": summary([s for _, s, _ in results])}


def measure_acks(serve_port: int, response_url: str, bursts: int, concurrency: int) -> dict[str, Any]:
    """Bursts of `concurrency` signed requests sent at once (half commands, half events), each answer
    timed by an asyncio client (one thread, so the sender adds little of its own to the figures)."""
    import asyncio

    def one(kind: str) -> Any:
        return timed_answer(serve_port, kind, signed_request(kind, response_url, "CBENCHACK1"))

    async def run() -> list[tuple[str, float, int]]:
        results: list[tuple[str, float, int]] = []
        await asyncio.gather(*(one("command") for _ in range(concurrency)))  # warm-up
        await asyncio.sleep(1.0)
        for burst in range(bursts):
            kinds = ["command" if (i + burst) % 2 == 0 else "event" for i in range(concurrency)]
            results.extend(await asyncio.gather(*(one(kind) for kind in kinds)))
            await asyncio.sleep(0.5)  # Slack's traffic comes in bursts; the listeners' work drains between
        return results

    return {"concurrency": concurrency, "bursts": bursts, **answers_summary(asyncio.run(run())),
            "target_p99_ms": TARGET_P99_MS}


@dataclass(frozen=True)
class RemoteFake:
    """A fake Slack in a process of its own (so answering the bot costs the timed sender nothing)."""

    origin: str

    @property
    def base_url(self) -> str:
        return f"{self.origin}/api/"

    @property
    def file_host(self) -> str:
        return self.origin.removeprefix("http://")

    def response_url(self, name: str) -> str:
        return f"{self.origin}/response/{name}"


def _serve_fake(token: str, ready: Any, stop: Any) -> None:
    from tests.fakes.slack_server import FakeSlackServer

    os.nice(10)  # Slack's servers are not on this machine: answering the bot must not take the bot's CPU
    with FakeSlackServer(token=token) as fake:
        ready.send(fake.origin)
        stop.wait()


def measure_acks_against_running_serve(url: str, redis_url: str, logs: Path, bursts: int, concurrency: int,
                                       extra_env: dict[str, str]) -> dict[str, Any]:
    import multiprocessing

    from tests.support.slack import BOT_TOKEN, ServeProcess, slack_env

    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    stop = context.Event()
    fake_process = context.Process(target=_serve_fake, args=(BOT_TOKEN, send, stop), daemon=True)
    fake_process.start()
    fake = RemoteFake(receive.recv())
    serve = None
    try:
        env = slack_env(url, redis_url, fake, **extra_env)  # type: ignore[arg-type]
        serve = ServeProcess(env, logs / "serve-ack.log")
        time.sleep(3.0)  # the listener processes start after /healthz answers
        return measure_acks(serve.port, fake.response_url("bench"), bursts, concurrency)
    finally:
        if serve is not None:
            serve.stop()
        stop.set()
        fake_process.join(5)


def run_spec(drive: Any, uow_factory: Any, files: dict[str, bytes], timeout_s: float) -> dict[str, Any]:
    """Upload, start, wait for 100 %; count progress edits and time the drafts."""
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
    while time.monotonic() < deadline and not any("tickets planned" in m.get("text", "") or
                                                  "Upload of" in m.get("text", "") for m in slack.by_key(reply_key)):
        time.sleep(0.2)
    time.sleep(1.0)
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
    progress_ts = slack.by_key(f"progress:s{session_id}")[0]["ts"]
    edits = [c for c in slack.calls_to("chat.update") if c.params.get("ts") == progress_ts]
    gaps = [b.at - a.at for a, b in itertools.pairwise(edits)]
    with uow_factory() as uow:
        tickets = [t.id for t in uow.tickets.for_session(session_id)]
        task = uow.tasks.latest(session_id)
        written_s = (task.finished_at - task.started_at).total_seconds() if task and task.finished_at and \
            task.started_at else None
    posts = sorted((c for c in slack.calls_to("chat.postMessage")
                    if str((c.params.get("metadata") or {}).get("event_payload", {}).get("key", "")).startswith(
                        "draft:") and c.params.get("channel") == channel and c.status == 200), key=lambda c: c.at)
    copies = {t: len(slack.by_key(f"draft:t{t}")) for t in tickets}
    span = posts[-1].at - posts[0].at if len(posts) > 1 else 0.0
    return {
        "tickets": len(tickets), "drafts_in_thread": sum(1 for n in copies.values() if n >= 1),
        "drafts_doubled": sum(1 for n in copies.values() if n > 1),
        "run_to_100_percent_s": round(finished - started, 1),
        "writing_s": round(written_s, 2) if written_s is not None else None,
        "progress_chat_updates": len(edits), "min_gap_between_progress_edits_s": round(min(gaps), 2) if gaps else None,
        "chat_update_calls_total": len(slack.calls_to("chat.update")),
        "draft_posts_per_s": round((len(posts) - 1) / span, 3) if span else None,
        "rate_limited_posts": sum(1 for c in slack.calls_to("chat.postMessage") if c.status == 429
                                  and c.params.get("channel") == channel),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bursts", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--post-interval-ms", type=int, default=1000, help="draft pacing (Slack: ~1 message/s)")
    parser.add_argument("--rate-limited-tickets", type=int, default=60)
    parser.add_argument("--skip-runs", action="store_true", help="measure the acks only")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from storage.database import make_engine, make_session_factory
    from storage.uow import unit_of_work_factory
    from tests.fakes.slack_server import FakeSlackServer
    from tests.support.slack import BOT_TOKEN, ServeProcess, SlackDriver, slack_env
    from tests.support.workers import WorkerProcess

    name = f"ticketbot_bench_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    queue = f"bench-{secrets.token_hex(4)}"
    logs = Path(tempfile.mkdtemp(prefix="ticketbot-bench-slack-"))
    result: dict[str, Any] = {}
    serve = worker = None
    slack = FakeSlackServer(token=BOT_TOKEN)
    slack.start()
    try:
        extra = {"TICKETBOT_QUEUE": queue, "TICKETBOT_SLACK_POST_INTERVAL_MS": str(args.post_interval_ms),
                 "TICKETBOT_SLACK_QUIET_SECONDS": "60", "LOG_LEVEL": "WARNING",
                 # one message per draft, whatever the size: the posting rate is measured here; digests (the
                 # default above 50 tickets) in bench/digest_review.py
                 "TICKETBOT_DIGEST_THRESHOLD": "100000"}
        redis_url = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"
        result["ack"] = measure_acks_against_running_serve(url, redis_url, logs, args.bursts, args.concurrency, extra)
        if not args.skip_runs:
            env = slack_env(url, redis_url, slack, **extra)
            serve = ServeProcess(env, logs / "serve.log")
            worker = WorkerProcess(env, logs / "worker.log")
            drive = SlackDriver(serve, slack)
            engine = make_engine(url)
            uow_factory = unit_of_work_factory(make_session_factory(engine))
            result["post_interval_ms"] = args.post_interval_ms
            if VA_GOV.is_dir():
                result["va_gov_run"] = run_spec(drive, uow_factory, load_dir(VA_GOV), 3600)
            else:
                result["va_gov_run"] = {"skipped": f"VA.gov spec not found at {VA_GOV}"}
            rows = ["Name,Machine name,Type,Description"] + [
                f"Type {i},type_{i},Content type,A type" for i in range(args.rate_limited_tickets)]
            stop = threading.Event()

            def inject_429s() -> None:  # every 10th post is refused with Retry-After: 1
                seen = 0
                while not stop.is_set():
                    posts = len(slack.calls_to("chat.postMessage"))
                    if posts >= seen + 10:
                        seen = posts
                        slack.fail_next("chat.postMessage", 429, retry_after=1)
                    time.sleep(0.05)

            injector = threading.Thread(target=inject_429s, daemon=True)
            injector.start()
            try:
                result["rate_limited_run"] = run_spec(drive, uow_factory, {"bundles.csv": "\n".join(rows).encode()},
                                                      1800)
            finally:
                stop.set()
            engine.dispose()
    finally:
        for process in (serve, worker):
            if process is not None:
                process.stop()
        slack.stop()
        redis = Redis(REDIS_HOST, REDIS_PORT, db=0)
        keys = redis.keys(f"rq:*{queue}*")
        if keys:
            redis.delete(*keys)
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                               {"n": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
