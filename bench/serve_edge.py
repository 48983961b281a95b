"""`ticketbot serve` at its edge (issue 10): a 100 MB unsigned body, and the ack p99 beside a bare Bolt app.

Starts a fake Slack (its own process), the real `ticketbot serve` (HTTP mode, with its listener processes,
on the machine's PostgreSQL and Redis) and, beside it, a bare Bolt app on waitress whose listeners only
ack (same signing secret, same waitress threads). Then:
1. posts an unsigned 100 MB body to serve (with a Content-Length, then chunked; 5 of each), timing the
   answer while the body is still being sent, and reads serve's RSS and peak RSS before and after
   (goal: refused in under 50 ms — the median, the slowest shown too — and RSS within 20 MB);
2. sends the same bursts of 50 concurrent signed requests (half slash commands, half events) to each,
   alternating burst by burst so both see the same machine, in several rounds, and prints serve's ack
   p99 as a ratio of the bare app's: the median of the rounds' ratios (goal ≤ 1.0×), each round's ratio,
   and how many answers were not 200.
Prints one JSON line, and the ack figure beside its goal on stderr.
Run alone: python -m bench.serve_edge [--rounds R] [--bursts N] [--concurrency C] [--trials T]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import re
import secrets
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.slack_ack import (
    PG_ADMIN,
    REDIS_HOST,
    REDIS_PORT,
    ROOT,
    RemoteFake,
    _serve_fake,
    answers_summary,
    signed_request,
    timed_answer,
)

HUGE_BYTES = 100 * 1024 * 1024
TARGET_REFUSED_MS = 50.0
TARGET_RSS_GROWTH_MB = 20.0
TARGET_RATIO = 1.0


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (the peak) of a process, in MB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) / 1024
    return {"rss_mb": round(found["VmRSS"], 1), "peak_rss_mb": round(found["VmHWM"], 1)}


def post_huge(port: int, chunked: bool) -> tuple[int, float]:
    """An unsigned 100 MB POST; (status, ms until the status line came back) while the body is still being sent."""
    from tests.support.slack import answered_status, raw_post_head

    length = {"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(HUGE_BYTES)}
    head = raw_post_head({"Content-Type": "application/json", **length})
    block = b"1," * (512 * 1024)
    if chunked:
        block = b"%x\r\n" % len(block) + block + b"\r\n"
    connection = socket.create_connection(("127.0.0.1", port), timeout=60)

    def send_body() -> None:
        try:
            for _ in range(HUGE_BYTES // (1024 * 1024)):
                connection.sendall(block)
        except OSError:
            pass  # refused and closed before the body ended: as wanted

    started = time.perf_counter()
    connection.sendall(head)
    sender = threading.Thread(target=send_body, daemon=True)
    sender.start()
    status = answered_status(connection)
    elapsed_ms = (time.perf_counter() - started) * 1000
    connection.close()
    sender.join(10)
    return status, round(elapsed_ms, 2)


def huge_bodies(serve: Any, trials: int) -> dict[str, Any]:
    before = memory_mb(serve.process.pid)
    results: dict[str, Any] = {"before": before, "trials": trials}
    for kind, chunked in (("content_length", False), ("chunked", True)):
        answers = [post_huge(serve.port, chunked) for _ in range(trials)]
        times = sorted(ms for _, ms in answers)
        results[kind] = {"statuses": sorted({status for status, _ in answers}), "median_ms": times[len(times) // 2],
                         "max_ms": times[-1]}
    time.sleep(0.5)
    after = memory_mb(serve.process.pid)
    results["after"] = after
    results["rss_growth_mb"] = round(after["rss_mb"] - before["rss_mb"], 1)
    results["peak_rss_growth_mb"] = round(after["peak_rss_mb"] - before["peak_rss_mb"], 1)
    results["median_answer_ms"] = max(results[k]["median_ms"] for k in ("content_length", "chunked"))
    results["met"] = (all(results[k]["statuses"] == [413] for k in ("content_length", "chunked"))
                      and results["median_answer_ms"] < TARGET_REFUSED_MS
                      and results["peak_rss_growth_mb"] <= TARGET_RSS_GROWTH_MB)
    return results


def _bare_bolt(port: int, api_url: str, signing_secret: str, threads: int, ready: Any) -> None:
    """A Bolt app with nothing in its listeners but ack(), on waitress like serve."""
    import logging

    import waitress
    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient

    from bot.slack.serve import SWITCH_INTERVAL_S
    from tests.support.slack import BOT_TOKEN

    sys.setswitchinterval(SWITCH_INTERVAL_S)  # as serve does
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    app = App(client=WebClient(token=BOT_TOKEN, base_url=api_url), signing_secret=signing_secret,
              token_verification_enabled=False)
    app.command("/generate-tickets")(lambda ack: ack())
    app.event(re.compile(r".*"))(lambda ack: ack())
    ready.set()
    waitress.serve(SlackRequestHandler(app), host="127.0.0.1", port=port, threads=threads, connection_limit=500,
                   channel_timeout=30, ident="bare-bolt")


def alternating_bursts(ports: dict[str, int], response_url: str, rounds: int, bursts: int,
                       concurrency: int) -> dict[str, Any]:
    """The same bursts to each server in turn, in `rounds` rounds; every answer timed by one asyncio client.

    The machine is shared, so one p99 over everything swings with whatever else ran meanwhile: each round
    gives its own ratio of the two p99s (both servers measured within the same few seconds), and the
    figure is the median of those ratios."""

    def one(port: int, kind: str) -> Any:
        return timed_answer(port, kind, signed_request(kind, response_url, "CBENCHEDGE"))

    async def run() -> list[dict[str, list[tuple[str, float, int]]]]:
        for port in ports.values():  # warm-up
            await asyncio.gather(*(one(port, "command") for _ in range(concurrency)))
        await asyncio.sleep(1.0)
        measured = []
        for _ in range(rounds):
            results: dict[str, list[tuple[str, float, int]]] = {name: [] for name in ports}
            for burst in range(bursts):
                kinds = ["command" if (i + burst) % 2 == 0 else "event" for i in range(concurrency)]
                order = list(ports.items()) if burst % 2 == 0 else list(reversed(ports.items()))
                for name, port in order:
                    results[name].extend(await asyncio.gather(*(one(port, kind) for kind in kinds)))
                    await asyncio.sleep(0.5)  # as in Slack's traffic: the listeners' work drains between bursts
            measured.append(results)
        return measured

    measured = asyncio.run(run())
    out: dict[str, Any] = {"concurrency": concurrency, "rounds": rounds, "bursts_per_round": bursts}
    for name in ports:
        out[name] = answers_summary([answer for results in measured for answer in results[name]])
    per_round = [answers_summary(results["ticketbot"])["all"]["p99_ms"]
                 / max(answers_summary(results["bare_bolt"])["all"]["p99_ms"], 1e-9) for results in measured]
    out["p99_ratios"] = [round(ratio, 2) for ratio in per_round]
    out["p99_ratio"] = round(statistics.median(per_round), 2)  # the figure: median of the rounds' ratios
    out["target_ratio"] = TARGET_RATIO
    out["met"] = out["p99_ratio"] <= TARGET_RATIO and out["ticketbot"]["non_200"] == 0
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7, help="rounds, each giving one p99 ratio")
    parser.add_argument("--bursts", type=int, default=6, help="bursts per server in each round")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--trials", type=int, default=5, help="100 MB posts of each kind")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bot.wiring.settings import Settings
    from tests.support.slack import BOT_TOKEN, SIGNING_SECRET, ServeProcess, free_port, slack_env

    name = f"ticketbot_bench_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    logs = Path(tempfile.mkdtemp(prefix="ticketbot-bench-edge-"))
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    stop = context.Event()
    fake_process = context.Process(target=_serve_fake, args=(BOT_TOKEN, send, stop), daemon=True)
    fake_process.start()
    fake = RemoteFake(receive.recv())
    bare_port, bare_ready = free_port(), context.Event()
    bare = context.Process(target=_bare_bolt, args=(bare_port, fake.base_url, SIGNING_SECRET, Settings().http_threads,
                                                    bare_ready), daemon=True)
    bare.start()
    serve = None
    result: dict[str, Any] = {}
    try:
        queue = f"bench-{secrets.token_hex(4)}"
        env = slack_env(url, f"redis://{REDIS_HOST}:{REDIS_PORT}/0", fake,  # type: ignore[arg-type]
                        TICKETBOT_QUEUE=queue, LOG_LEVEL="WARNING")
        serve = ServeProcess(env, logs / "serve-edge.log")
        bare_ready.wait(30)
        time.sleep(3.0)  # the listener processes start after /healthz answers
        result["huge_unsigned_body"] = huge_bodies(serve, args.trials)
        result["ack_vs_bare_bolt"] = alternating_bursts({"ticketbot": serve.port, "bare_bolt": bare_port},
                                                        fake.response_url("bench"), args.rounds, args.bursts,
                                                        args.concurrency)
        result["ack_vs_bare_bolt"]["serve_still_healthy"] = serve.get("/healthz").status == 200
    finally:
        if serve is not None:
            serve.stop()
        bare.terminate()
        bare.join(5)
        stop.set()
        fake_process.join(5)
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                               {"n": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    ack = result.get("ack_vs_bare_bolt")
    if ack:
        print(f"ack p99 ticketbot / bare Bolt: median {ack['p99_ratio']:.2f}× over {ack['rounds']} rounds "
              f"{ack['p99_ratios']} (goal ≤ {ack['target_ratio']:.1f}×), non-200: {ack['ticketbot']['non_200']}",
              file=sys.stderr)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
