"""RQ job functions: thin, taking ids only; each builds its run from the worker's runtime and executes it."""

from __future__ import annotations

import logging

from rq import get_current_job

from jobs.tasks import log_context
from jobs.worker import runtime
from jobs.worker.runs import generation_run, push_run, regeneration_run, undo_run

log = logging.getLogger(__name__)


def _retry_in_s() -> float | None:
    """Seconds until RQ retries this job, or None when this is its last attempt."""
    job = get_current_job()
    if job is None or not job.retries_left:
        return None
    intervals = runtime.current().retry_intervals_s
    attempt = (len(intervals) + 1) - job.retries_left
    return float(intervals[min(max(attempt, 0), len(intervals) - 1)])


def _job_id() -> str | None:
    job = get_current_job()
    return job.id if job is not None else None


def run_generation(task_id: int) -> None:
    rt = runtime.current()
    session_id = rt.processing.session_of_task(task_id)
    with log_context.bound(session_id=session_id, task_id=task_id, job_id=_job_id()):
        generation_run(rt.processing, session_id, task_id,
                       progress_callback=rt.progress or (lambda percentage, stage, details: None),
                       worker_id=rt.worker_id, retry_in_s=_retry_in_s()).execute()


def run_regeneration(task_id: int) -> None:
    rt = runtime.current()
    with log_context.bound(task_id=task_id, job_id=_job_id()):
        regeneration_run(rt.processing, task_id, rt.worker_id).execute()


def run_push(task_id: int) -> None:
    rt = runtime.current()
    if rt.publishing is None:
        raise RuntimeError("this worker has no Jira publisher")
    with log_context.bound(task_id=task_id, job_id=_job_id()):
        push_run(rt.publishing, task_id, rt.worker_id).execute()


def run_undo(task_id: int) -> None:
    rt = runtime.current()
    if rt.publishing is None:
        raise RuntimeError("this worker has no Jira publisher")
    with log_context.bound(task_id=task_id, job_id=_job_id()):
        undo_run(rt.publishing, task_id, rt.worker_id).execute()
