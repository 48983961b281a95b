"""Where jobs go: Redis + RQ workers in production, or straight into this process (embedded default)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class QueueUnavailable(Exception):
    """The queue could not take the job now (Redis down); the sweeper enqueues it when it is back."""


class JobQueue(Protocol):
    def enqueue(self, function: str, task_id: int, job_id: str, timeout_s: int) -> None:
        """Run `function(task_id)` once in a worker; the same job_id never runs twice at once."""
        ...

    def is_waiting(self, job_id: str) -> bool:
        """True when the job is queued, scheduled for a retry, or running in a live worker."""
        ...


class InlineQueue:
    """Runs each job at once, in this process: the CLI's default needs no Redis and no worker."""

    def __init__(self, run: Callable[[str, int], None]) -> None:
        self._run = run

    def enqueue(self, function: str, task_id: int, job_id: str, timeout_s: int) -> None:
        self._run(function, task_id)

    def is_waiting(self, job_id: str) -> bool:
        return False
