"""The one registry of job kinds: each kind's RQ entry point (its job ids: jobs/tasks/job_kinds.py).

RQJobQueue enqueues these functions (RQ records their import path for the worker); the CLI's InlineQueue
calls them in its own process, on the runtime its bootstrap configured; the sweeper and the services
only name the kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from jobs.tasks.job_kinds import JobKind
from jobs.worker.rq_jobs import run_generation, run_push, run_regeneration, run_undo

JobFunction = Callable[[int], None]  # task id → runs the task

JOBS: Mapping[JobKind, JobFunction] = MappingProxyType({
    JobKind.GENERATION: run_generation,
    JobKind.REGENERATION: run_regeneration,
    JobKind.PUSH: run_push,
    JobKind.UNDO: run_undo,
})
