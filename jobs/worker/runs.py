"""How a worker process builds each run from its services: the dependencies a run needs, and nothing more.

The services decide and enqueue; a run (jobs/generation/run.py, jobs/generation/regeneration.py,
jobs/publishing/run.py) receives only what it uses, so a run never reaches back into the service that
enqueued it. The RQ job functions (jobs/worker/rq_jobs.py), the inline queue of the CLI and the tests
build their runs here.
"""

from __future__ import annotations

from jobs.generation.regeneration import RegenerationRun
from jobs.generation.run import GenerationDeps, GenerationRun
from jobs.generation.service import ProcessingService, ProgressCallback
from jobs.publishing.links import PushDeps
from jobs.publishing.run import PushRun
from jobs.publishing.service import PublishingService
from jobs.publishing.undo import UndoRun


def generation_deps(processing: ProcessingService) -> GenerationDeps:
    return GenerationDeps(uow_factory=processing.uow_factory, writer=processing.writer,
                          notifier=processing.notifier, config=processing.config, clock=processing.clock,
                          plan=processing.plan_session)


def push_deps(publishing: PublishingService) -> PushDeps:
    return PushDeps(uow_factory=publishing.uow_factory, clock=publishing.clock, config=publishing.config,
                    gateway_factory=publishing.gateway_factory, notifier=publishing.notifier)


def generation_run(processing: ProcessingService, session_id: int, task_id: int,
                   progress_callback: ProgressCallback, worker_id: str = "inline",
                   retry_in_s: float | None = None) -> GenerationRun:
    """With `retry_in_s`, a temporary failure hands the task back and raises RetryLater (RQ runs it again)."""
    return GenerationRun(generation_deps(processing), session_id, task_id, progress_callback, worker_id, retry_in_s)


def regeneration_run(processing: ProcessingService, task_id: int, worker_id: str = "inline") -> RegenerationRun:
    return RegenerationRun(generation_deps(processing), task_id, worker_id)


def push_run(publishing: PublishingService, task_id: int, worker_id: str = "inline") -> PushRun:
    return PushRun(push_deps(publishing), task_id, worker_id)


def undo_run(publishing: PublishingService, task_id: int, worker_id: str = "inline") -> UndoRun:
    return UndoRun(push_deps(publishing), task_id, worker_id)
