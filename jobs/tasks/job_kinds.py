"""The kinds of background job and their job ids: what the services, the sweeper and the queues call a job.

Enqueueing names a job by its kind, never by a function: the functions live in the worker
(jobs/worker/registry.py maps each kind to its RQ entry point), and the worker imports the services that
enqueue, so naming the function here would close an import circle.
"""

from __future__ import annotations

from enum import Enum

from storage.models import TaskRecord, utcnow


class JobKind(Enum):
    """One kind of job per kind of task; the value is the task's `type` column."""

    GENERATION = "generate"
    REGENERATION = "regenerate"
    PUSH = "push"
    UNDO = "undo"  # `/generate-tickets undo`: removes what one push created (jobs/publishing/undo.py)

    @classmethod
    def of(cls, task: TaskRecord) -> JobKind:
        return cls(task.type)

    @property
    def job_id_prefix(self) -> str:
        return _JOB_ID_PREFIXES[self]


_JOB_ID_PREFIXES = {JobKind.GENERATION: "gen", JobKind.REGENERATION: "regen", JobKind.PUSH: "push",
                    JobKind.UNDO: "undo"}


def job_id_for(task: TaskRecord, enqueue_count: int | None = None) -> str:
    """Deterministic: the same task enqueued the n-th time always has the same job id.

    The task's creation time is part of it, so a task id reused by another database (a restored
    backup, a second deployment on the same Redis) never collides with an old job of the same id.
    """
    created = task.created_at or utcnow()
    count = task.enqueue_count if enqueue_count is None else enqueue_count
    return f"{JobKind.of(task).job_id_prefix}-{task.id}-{count}-{int(created.timestamp() * 1000) % 10**10}"
