"""What an RQ job function needs, set once per worker process by `ticketbot worker` before it forks.

RQ job functions can only take ids (they are pickled into Redis); the services they call are built
once per worker process by the entry point and handed over here. The CLI's inline queue calls the same
functions in its own process, on the runtime its bootstrap configured.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobs.generation.service import ProcessingService, ProgressCallback
from jobs.publishing.service import PublishingService


@dataclass(frozen=True)
class WorkerRuntime:
    processing: ProcessingService
    worker_id: str
    retry_intervals_s: tuple[int, ...] = (10, 30, 60)
    publishing: PublishingService | None = None  # the Jira publisher (push jobs)
    progress: ProgressCallback | None = None  # the CLI's inline runs report to the terminal; a worker's to nobody


_current: WorkerRuntime | None = None


def configure(runtime: WorkerRuntime) -> None:
    global _current
    _current = runtime


def current() -> WorkerRuntime:
    if _current is None:
        raise RuntimeError("this worker was not started with `ticketbot worker`, so it has no services")
    return _current
