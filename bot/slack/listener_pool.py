"""Listener processes: the work after an acknowledgement runs in other processes than the acknowledgements.

The HTTP (or Socket Mode) process only verifies, parses and acknowledges; each listener's lazy part
(database, Slack calls, downloads, planning) is handed over a queue to listener processes that run it
in an App of their own — the way Bolt's AWS Lambda adapter re-invokes itself for lazy listeners. So a
burst of requests is acknowledged in milliseconds however much work the requests bring, and a slow or
busy listener never holds the acknowledgements back (Python's GIL is per process).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import Any

from slack_bolt import App, BoltRequest
from slack_bolt.lazy_listener import LazyListenerRunner

from bot.slack import replies

log = logging.getLogger(__name__)

LISTENER_PROCESSES = 2
THREADS_PER_PROCESS = 8
QUEUE_LIMIT = 10_000  # TICKETBOT_LISTENER_QUEUE_LIMIT
LISTENER_NICENESS = 10
STOP_GRACE_S = 8.0  # listener processes finish the work in hand; a container's stop allows 10 s

RELAYED = "its listeners"  # LazyCall.function of a request acknowledged by bot/slack/fast_ack.py: dispatched whole
# Tells the person behind a request (its parsed body) that their acknowledged request was not carried out.
Notify = Callable[[dict[str, Any], str], None]


@dataclass(frozen=True)
class LazyCall:
    """One lazy listener to run: the request as Slack sent it, and which function."""

    body: str | dict[str, Any]
    headers: dict[str, list[str]]
    mode: str
    function: str

    def request(self) -> BoltRequest:
        return BoltRequest(body=self.body, headers=dict(self.headers), mode=self.mode)


def what(body: dict[str, Any]) -> str:
    """A request named for the log without anything its sender wrote: kind, channel, user."""
    event = body.get("event") or {}
    kind = body.get("command") or event.get("type") or body.get("type") or "request"
    channel = body.get("channel_id") or event.get("channel") or event.get("channel_id") or "?"
    user = body.get("user_id") or event.get("user") or event.get("user_id") or "?"
    return f"{kind} in {channel} from {user}"


class QueueLazyListenerRunner(LazyListenerRunner):
    """Hands each lazy listener to the listener processes instead of a thread of this process.

    A request is acknowledged before its work runs, so Slack will not send it again: when the work
    cannot be queued (the queue is full, or serve is stopping), it is logged and the user is told."""

    def __init__(self, calls: Any, notify: Notify, stopping: threading.Event) -> None:
        self.logger = log
        self.calls = calls
        self.stopping = stopping
        self.notify = notify
        self.notices = ThreadPoolExecutor(max_workers=2, thread_name_prefix="dropped-notice")  # off the ack path

    def start(self, function: Callable[..., None], request: BoltRequest) -> None:
        headers = {k: list(v) for k, v in request.headers.items()}
        headers["x-slack-bolt-lazy-only"] = ["1"]
        headers["x-slack-bolt-lazy-function-name"] = [str(request.lazy_function_name)]
        self._queue(request, headers, str(request.lazy_function_name))

    def relay(self, request: BoltRequest) -> None:
        """A request acknowledged without Bolt: the listener process dispatches it whole (its listeners' ack
        and lazy parts; dedupe and every rule run there). See bot/slack/fast_ack.py."""
        self._queue(request, {k: list(v) for k, v in request.headers.items()}, RELAYED)

    def _queue(self, request: BoltRequest, headers: dict[str, list[str]], function: str) -> None:
        body: str | dict[str, Any] = request.raw_body if request.mode == "http" else request.body
        work = f"its work ({function}) was not queued"
        if self.stopping.is_set():
            self.dropped(request.body, f"{work}: serve is stopping", replies.RESTARTING)
            return
        try:
            self.calls.put_nowait(LazyCall(body, headers, request.mode, function))
        except queue.Full:
            self.dropped(request.body, f"{work}: the listener queue is full", replies.BUSY)

    def dropped(self, body: dict[str, Any], why: str, message: str) -> None:
        log.error("acknowledged %s, but %s; the user is told", what(body), why)
        try:
            self.notices.submit(self.notify, body, message)
        except RuntimeError:  # the notices pool is shut down: serve is exiting
            log.error("could not tell the user of %s", what(body))


class InlineLazyListenerRunner(LazyListenerRunner):
    """In a listener process: lazy listeners run at once, on the thread already given to the request."""

    def __init__(self) -> None:
        self.logger = log

    def start(self, function: Callable[..., None], request: BoltRequest) -> None:
        self.run(function, request)


class ListenerPool:
    """Starts the listener processes (and starts them again when one dies)."""

    def __init__(self, processes: int = LISTENER_PROCESSES, threads: int = THREADS_PER_PROCESS,
                 queue_limit: int = QUEUE_LIMIT) -> None:
        self.context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited pools or threads
        self.calls = self.context.Queue(queue_limit)
        self.size = processes
        self.threads = threads
        self.processes: list[BaseProcess] = []
        self.stopping = threading.Event()
        self.runner: QueueLazyListenerRunner | None = None

    def attach(self, app: App, notify: Notify) -> QueueLazyListenerRunner:
        """From now on `app` acknowledges only; its lazy listeners run in the pool (and relayed events)."""
        self.runner = QueueLazyListenerRunner(self.calls, notify, self.stopping)
        app.listener_runner.lazy_listener_runner = self.runner
        return self.runner

    def start(self) -> None:
        self.processes = [self._spawn(i) for i in range(self.size)]
        threading.Thread(target=self._watch, name="listener-pool-watch", daemon=True).start()

    def stop(self) -> None:
        """No new work; the listener processes finish what was queued and in hand; whatever is left is told."""
        self.stopping.set()
        for _ in self.processes:
            self.calls.put(None)
        for process in self.processes:
            process.join(timeout=STOP_GRACE_S)
            if process.is_alive():
                process.terminate()  # it tells the users of the work it still had (run_listener_process)
                process.join(timeout=2)
        while self.runner is not None:
            try:
                call = self.calls.get(timeout=0.2)  # not get_nowait: a listener killed in get() held its lock
            except (queue.Empty, OSError, ValueError):
                break
            if call is not None:
                self.runner.dropped(call.request().body,
                                    f"its work ({call.function}) was still queued when serve stopped",
                                    replies.RESTARTING)
        if self.runner is not None:
            self.runner.notices.shutdown(wait=True)

    def alive(self) -> bool:
        return all(p.is_alive() for p in self.processes)

    def _spawn(self, number: int) -> BaseProcess:
        process = self.context.Process(target=run_listener_process, args=(self.calls, self.threads),
                                       name=f"ticketbot-listener-{number}", daemon=True)
        process.start()
        return process

    def _watch(self) -> None:
        while not self.stopping.wait(1.0):
            for i, process in enumerate(self.processes):
                if not process.is_alive() and not self.stopping.is_set():
                    log.error("listener process %s died (exit %s); starting another", process.name, process.exitcode)
                    self.processes[i] = self._spawn(i)


class InHand:
    """The calls a listener process has taken and not finished, to tell their users if it must stop."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: dict[int, LazyCall] = {}

    def add(self, call: LazyCall) -> None:
        with self.lock:
            self.calls[id(call)] = call

    def done(self, call: LazyCall) -> None:
        with self.lock:
            self.calls.pop(id(call), None)

    def take_all(self) -> list[LazyCall]:
        with self.lock:
            calls, self.calls = list(self.calls.values()), {}
            return calls


def run_listener_process(calls: Any, threads: int) -> None:
    """A listener process: its own services and App; runs the lazy listeners it is handed."""
    from bot.slack.app import build_app, build_bot
    from bot.wiring.bootstrap import bootstrap
    from bot.wiring.logging_setup import configure_logging
    from bot.wiring.settings import Settings

    # Below the acknowledging process in the CPU's queue: a burst is acknowledged first, then worked on.
    os.nice(LISTENER_NICENESS)
    settings = Settings.from_env(os.environ)
    configure_logging(os.environ.get("LOG_LEVEL", "WARNING"), os.environ.get("LOG_FORMAT", "text"),
                      settings.secret_values())
    services = bootstrap(settings, inline=False, migrate=False)
    bot = build_bot(services)
    app = build_app(bot)
    # A relayed request's lazy listeners run on the thread that dispatches it: it is in hand until done.
    app.listener_runner.lazy_listener_runner = InlineLazyListenerRunner()
    in_hand = InHand()

    def stopped_with_work_in_hand(*_: object) -> None:
        for call in in_hand.take_all():
            body = call.request().body
            log.error("acknowledged %s, but %s did not finish: the listener process was stopped; the user is told",
                      what(body), call.function)
            bot.tell(body, replies.RESTARTING)
        os._exit(0)

    signal.signal(signal.SIGTERM, stopped_with_work_in_hand)
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="listener") as pool:
        while True:
            call = calls.get()
            if call is None:
                break
            in_hand.add(call)
            pool.submit(_run, app, call, in_hand, bot.tell)


def _run(app: App, call: LazyCall, in_hand: InHand, notify: Notify) -> None:
    request = call.request()
    try:
        response = app.dispatch(request)
        if response.status != 200:  # never for a request the acknowledging process took; said if it happens
            log.error("acknowledged %s, but its listener %s answered %s; the user is told", what(request.body),
                      call.function, response.status)
            notify(request.body, replies.NOT_DONE)
    except Exception:
        log.exception("listener %s failed", call.function)
    finally:
        in_hand.done(call)
