"""`ticketbot worker`: an RQ worker with the scheduler (for retries) and the sweeper (for lost tasks)."""

from __future__ import annotations

import logging
import os
import sys
import threading

from rq import Worker

from bot.wiring.bootstrap import bootstrap
from bot.wiring.settings import Settings
from integrations.urls import display_url
from jobs.tasks.rq_queue import RQJobQueue
from jobs.tasks.sweeper import Sweeper
from jobs.thread.sweeper import SlackSweeper
from jobs.worker import runtime

log = logging.getLogger(__name__)


def run_worker(settings: Settings, *, burst: bool = False) -> int:
    from redis.exceptions import RedisError

    from bot.wiring.exit_codes import INTEGRATION

    services = bootstrap(settings, inline=False)  # migrates the database first (serialised)
    try:
        assert services.redis is not None
        services.redis.ping()
    except RedisError as exc:
        print(f"ticketbot worker: cannot reach Redis at {display_url(settings.redis_url)} "
              f"({type(exc).__name__}); check REDIS_URL", file=sys.stderr)
        return INTEGRATION
    assert services.redis is not None and isinstance(services.queue, RQJobQueue)
    runtime.configure(runtime.WorkerRuntime(services.processing, services.worker_id, settings.retry_intervals,
                                            publishing=services.publishing))
    # The horse is a fork: it must not share the parent's pooled database connections.
    os.register_at_fork(after_in_child=lambda: services.engine.dispose(close=False))
    sweeper = Sweeper(uow_factory=services.uow_factory, queue=services.queue, config=services.processing.config,
                      clock=services.processing.clock, job_timeout_s=services.processing.job_timeout_s(1000))
    stop = threading.Event()
    sweeper.sweep_once()  # a restarted worker picks up what its predecessor left at once
    if not burst:
        threading.Thread(target=sweeper.run, args=(stop, settings.sweep_seconds), name="sweeper",
                         daemon=True).start()
        if services.slack is not None:  # threads behind the database (a worker died mid-posting …)
            slack_sweeper = SlackSweeper(uow_factory=services.uow_factory, thread=services.slack.thread,
                                         quiet_s=settings.slack_quiet_seconds)
            threading.Thread(target=slack_sweeper.run, args=(stop, settings.sweep_seconds), name="slack-sweeper",
                             daemon=True).start()
    worker = Worker([services.queue.queue], connection=services.redis, name=f"ticketbot-{services.worker_id}")
    print(f"ticketbot worker {worker.name}: listening on queue {settings.queue_name} at "
          f"{display_url(settings.redis_url)}" + (" until it is empty" if burst else "; Ctrl-C stops it"),
          flush=True)
    try:
        worker.work(burst=burst, with_scheduler=True, logging_level=logging.getLevelName(log.getEffectiveLevel()))
    finally:
        stop.set()
    return 0
