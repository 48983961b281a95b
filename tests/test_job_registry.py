"""The registry of job kinds: every kind has its RQ entry point, and its job ids follow one scheme."""

from __future__ import annotations

from datetime import UTC, datetime

from jobs.tasks.job_kinds import JobKind, job_id_for
from jobs.worker import rq_jobs
from jobs.worker.registry import JOBS
from storage.models import TaskRecord


def test_every_kind_of_job_has_its_function_in_the_worker() -> None:
    assert set(JOBS) == set(JobKind)
    for function in JOBS.values():  # RQ stores the import path; the worker imports it back
        assert getattr(rq_jobs, function.__name__) is function


def test_a_task_enqueued_again_gets_the_next_job_id_of_its_kind() -> None:
    created = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    stamp = int(created.timestamp() * 1000) % 10**10
    for kind, prefix in ((JobKind.GENERATION, "gen"), (JobKind.REGENERATION, "regen"), (JobKind.PUSH, "push")):
        task = TaskRecord(id=7, type=kind.value, created_at=created, enqueue_count=1)
        assert JobKind.of(task) is kind
        assert job_id_for(task) == f"{prefix}-7-1-{stamp}"
        assert job_id_for(task, enqueue_count=2) == f"{prefix}-7-2-{stamp}"
