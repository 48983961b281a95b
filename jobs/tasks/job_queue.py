"""Where jobs go: Redis + RQ workers in production, or straight into this process (embedded default)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from jobs.tasks.job_kinds import JobKind


class QueueUnavailable(Exception):
    """The queue could not take the job now (Redis down); the sweeper enqueues it when it is back."""


class JobQueue(Protocol):
    def enqueue(self, kind: JobKind, task_id: int, job_id: str, timeout_s: int) -> None:
        """Run the job of `kind` on `task_id` once in a worker; the same job_id never runs twice at once."""
        ...

    def is_waiting(self, job_id: str) -> bool:
        """True when the job is queued, scheduled for a retry, or running in a live worker."""
        ...


class InlineQueue:
    """Runs each job at once, in this process: the CLI's default needs no Redis and no worker.

    `jobs` gives each kind its function: the registry's (jobs/worker/registry.py) in the CLI, or a
    test's own runs.
    """

    def __init__(self, jobs: Mapping[JobKind, Callable[[int], None]]) -> None:
        self._jobs = jobs

    def enqueue(self, kind: JobKind, task_id: int, job_id: str, timeout_s: int) -> None:
        self._jobs[kind](task_id)

    def is_waiting(self, job_id: str) -> bool:
        return False
