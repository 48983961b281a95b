"""The sweeper: every worker looks for tasks whose worker died (lease expired) or whose job Redis lost.

The database is the truth. A task still `running` with an expired lease lost its worker; a task still
`queued` whose job is not in Redis (Redis restarted, or the enqueue failed) was never started. Either
is enqueued again under a fresh job id, once, whichever worker's sweeper gets there first.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from jobs.generation.service import ProcessingConfig
from jobs.states import TaskStatus
from jobs.tasks.clock import Clock
from jobs.tasks.job_kinds import JobKind, job_id_for
from jobs.tasks.job_queue import JobQueue, QueueUnavailable
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)


class Sweeper:
    def __init__(self, *, uow_factory: UnitOfWorkFactory, queue: JobQueue, config: ProcessingConfig, clock: Clock,
                 job_timeout_s: int) -> None:
        self.uow_factory = uow_factory
        self.queue = queue
        self.config = config
        self.clock = clock
        self.job_timeout_s = job_timeout_s

    def sweep_once(self) -> list[int]:
        """Re-enqueue what was lost; returns the task ids enqueued again."""
        now = self.clock()
        grace = timedelta(seconds=self.config.queued_grace_s)
        with self.uow_factory() as uow:
            candidates = [(t.id, t.status, t.job_id) for t in uow.tasks.expired(now, grace)]
        resumed = []
        for task_id, status, job_id in candidates:
            try:
                if status == TaskStatus.QUEUED and job_id and self.queue.is_waiting(job_id):
                    self._hold(task_id, job_id, now + grace)  # still waiting its turn in Redis: leave it be
                    continue
                with self.uow_factory() as uow:
                    task = uow.tasks.get(task_id)
                    if task.job_id != job_id or task.status not in (TaskStatus.QUEUED, TaskStatus.RUNNING):
                        continue
                    new_job_id = job_id_for(task, enqueue_count=task.enqueue_count + 1)
                    if not uow.tasks.take_over(task, new_job_id, now, grace):
                        continue  # another sweeper was first
                    uow.commit()
                    kind = JobKind.of(task)
                self.queue.enqueue(kind, task_id, new_job_id, self.job_timeout_s)
                log.warning("task %s was %s with no live worker; enqueued again as %s", task_id, status, new_job_id)
                resumed.append(task_id)
            except QueueUnavailable:
                log.warning("the queue is unreachable; task %s waits for the next sweep", task_id)
        return resumed

    def _hold(self, task_id: int, job_id: str, until: datetime) -> None:
        with self.uow_factory() as uow:
            task = uow.tasks.get(task_id)
            if task.job_id == job_id and task.status == TaskStatus.QUEUED:
                task.lease_expires_at = until
                uow.commit()

    def run(self, stop: threading.Event, interval_s: float) -> None:
        """Sweep until `stop` is set; failures are logged and the next sweep tries again."""
        while not stop.is_set():
            try:
                self.sweep_once()
            except Exception:
                log.exception("sweep failed; trying again in %s s", interval_s)
            stop.wait(interval_s)
