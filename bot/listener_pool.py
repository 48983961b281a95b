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
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import Any

from slack_bolt import App, BoltRequest
from slack_bolt.lazy_listener import LazyListenerRunner

log = logging.getLogger(__name__)

LISTENER_PROCESSES = 2
THREADS_PER_PROCESS = 8
QUEUE_LIMIT = 10_000
LISTENER_NICENESS = 10


@dataclass(frozen=True)
class LazyCall:
    """One lazy listener to run: the request as Slack sent it, and which function."""

    body: str | dict[str, Any]
    headers: dict[str, list[str]]
    mode: str
    function: str


class QueueLazyListenerRunner(LazyListenerRunner):
    """Hands each lazy listener to the listener processes instead of a thread of this process."""

    def __init__(self, calls: Any) -> None:
        self.logger = log
        self.calls = calls

    def start(self, function: Callable[..., None], request: BoltRequest) -> None:
        headers = {k: list(v) for k, v in request.headers.items()}
        headers["x-slack-bolt-lazy-only"] = ["1"]
        headers["x-slack-bolt-lazy-function-name"] = [str(request.lazy_function_name)]
        body: str | dict[str, Any] = request.raw_body if request.mode == "http" else request.body
        try:
            self.calls.put_nowait(LazyCall(body, headers, request.mode, str(request.lazy_function_name)))
        except queue.Full:
            log.error("the listener queue is full; %s dropped", request.lazy_function_name)


class ListenerPool:
    """Starts the listener processes (and starts them again when one dies)."""

    def __init__(self, processes: int = LISTENER_PROCESSES, threads: int = THREADS_PER_PROCESS,
                 socket_mode: bool = False) -> None:
        self.context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited pools or threads
        self.calls = self.context.Queue(QUEUE_LIMIT)
        self.size = processes
        self.threads = threads
        self.socket_mode = socket_mode
        self.processes: list[BaseProcess] = []
        self.stopping = threading.Event()

    def attach(self, app: App) -> None:
        """From now on `app` acknowledges only; its lazy listeners run in the pool."""
        app.listener_runner.lazy_listener_runner = QueueLazyListenerRunner(self.calls)

    def start(self) -> None:
        self.processes = [self._spawn(i) for i in range(self.size)]
        threading.Thread(target=self._watch, name="listener-pool-watch", daemon=True).start()

    def stop(self) -> None:
        self.stopping.set()
        for _ in self.processes:
            self.calls.put(None)
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()

    def alive(self) -> bool:
        return all(p.is_alive() for p in self.processes)

    def _spawn(self, number: int) -> BaseProcess:
        process = self.context.Process(target=run_listener_process, args=(self.calls, self.threads, self.socket_mode),
                                       name=f"ticketbot-listener-{number}", daemon=True)
        process.start()
        return process

    def _watch(self) -> None:
        while not self.stopping.wait(1.0):
            for i, process in enumerate(self.processes):
                if not process.is_alive() and not self.stopping.is_set():
                    log.error("listener process %s died (exit %s); starting another", process.name, process.exitcode)
                    self.processes[i] = self._spawn(i)


def run_listener_process(calls: Any, threads: int, socket_mode: bool) -> None:
    """A listener process: its own services and App; runs the lazy listeners it is handed."""
    from bot.app import build_app, build_bot
    from bot.bootstrap import bootstrap
    from bot.logging_setup import configure_logging
    from bot.settings import Settings

    # Below the acknowledging process in the CPU's queue: a burst is acknowledged first, then worked on.
    os.nice(LISTENER_NICENESS)
    configure_logging(os.environ.get("LOG_LEVEL", "WARNING"), os.environ.get("LOG_FORMAT", "text"))
    services = bootstrap(Settings.from_env(os.environ), inline=False, migrate=False)
    app = build_app(build_bot(services), socket_mode=socket_mode)
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="listener") as pool:
        while True:
            call = calls.get()
            if call is None:
                break
            pool.submit(_run, app, call)


def _run(app: App, call: LazyCall) -> None:
    try:
        app.dispatch(BoltRequest(body=call.body, headers=dict(call.headers), mode=call.mode))
    except Exception:
        log.exception("listener %s failed", call.function)
