"""The lifecycle every background task shares: claim, heartbeat, owner-checked writes, and its three endings.

A task is run by whichever worker holds its lease. A worker that stalls past its lease, or whose task was
taken over by the sweeper, keeps running for a while without knowing it; so every write that moves the
task on (a checkpoint, finish, fail, hand-back) first renews the lease in the same transaction, with an
owner check, and a copy that lost the lease changes nothing. The copy holding the lease decides.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from jobs.errors import LeaseLost
from jobs.states import TaskStatus
from jobs.tasks.clock import Clock
from jobs.tasks.lease import LeaseKeeper
from storage.models import TaskRecord
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

# running: a dead worker's task, its lease expired (claim_lease checks)
CLAIMABLE = (TaskStatus.QUEUED, TaskStatus.RUNNING)

AlsoWrite = Callable[[UnitOfWork, TaskRecord], None]  # more writes in the ending's transaction


class TaskRun:
    """One worker's hold on one task, from its claim to its ending."""

    def __init__(self, *, uow_factory: UnitOfWorkFactory, clock: Clock, lease_s: float, task_id: int,
                 worker_id: str) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.lease_s = lease_s
        self.task_id = task_id
        # Two runs of the same task in one process (a retry, a test) must not share an owner.
        self.owner = f"{worker_id}:{uuid.uuid4().hex[:8]}"
        self.lease: LeaseKeeper | None = None

    # ---- claim and heartbeat ----------------------------------------------------------------------------

    def claim(self, wanted: Callable[[TaskRecord], bool] | None = None) -> bool:
        """Take the task's lease when it is queued or running and `wanted`; False: nothing for this worker."""
        with self.uow_factory() as uow:
            task = uow.tasks.get(self.task_id)
            if task.status not in CLAIMABLE or (wanted is not None and not wanted(task)):
                log.info("task %s is %s; nothing to do", self.task_id, task.status)
                return False
            if not uow.tasks.claim_lease(self.task_id, self.owner, self._lease_end(), self.clock()):
                log.info("task %s is leased by another worker", self.task_id)
                return False
            uow.commit()
        return True

    def heartbeat(self) -> LeaseKeeper:
        """The lease renewed in the background while the run works (`with run.heartbeat(): …`)."""
        self.lease = LeaseKeeper(self.uow_factory, self.task_id, self.owner, self.lease_s, self.clock)
        return self.lease

    def raise_if_lost(self) -> None:
        """LeaseLost once the heartbeat found another owner: the run stops before its next step."""
        if self.lease is not None and self.lease.lost.is_set():
            raise LeaseLost(self.task_id)

    def wait(self, seconds: float) -> None:
        """Sleep `seconds`, waking with LeaseLost as soon as the heartbeat finds another owner."""
        if self.lease is not None and self.lease.lost.wait(seconds):
            raise LeaseLost(self.task_id)

    # ---- owner-checked writes ---------------------------------------------------------------------------

    def renew(self, uow: UnitOfWork) -> None:
        """Renew the lease in `uow`, or LeaseLost: the task row stays locked until `uow` ends."""
        if not uow.tasks.renew_lease(self.task_id, self.owner, self._lease_end()):
            raise LeaseLost(self.task_id)

    @contextmanager
    def owned(self) -> Iterator[UnitOfWork]:
        """A unit of work in which this run still holds the lease, committed when the block ends; else LeaseLost.

        The lease is renewed first, before the block writes anything: the renewal asks for a running task
        of this owner, which the block's own ending would no longer be.
        """
        with self.uow_factory() as uow:
            self.renew(uow)
            yield uow
            uow.commit()

    # ---- endings: named transitions, each inside an owned unit of work -----------------------------------

    def mark_finished(self, uow: UnitOfWork, status: TaskStatus, stage: str) -> TaskRecord:
        """running → `status` (completed, cancelled): the lease is let go."""
        task = uow.tasks.get(self.task_id)
        task.status, task.stage, task.finished_at, task.lease_owner = status, stage[:255], self.clock(), None
        return task

    def mark_failed(self, uow: UnitOfWork, category: str, message: str) -> TaskRecord:
        """running → failed, with the error the task shows."""
        task = self.mark_finished(uow, TaskStatus.FAILED, "Failed")
        task.error_category, task.error_message = category, message
        return task

    def mark_handed_back(self, uow: UnitOfWork, until: datetime, stage: str) -> TaskRecord:
        """running → queued until `until`: RQ's retry or the sweeper starts it again, not before."""
        task = uow.tasks.get(self.task_id)
        task.status, task.lease_owner, task.lease_expires_at, task.stage = TaskStatus.QUEUED, None, until, stage[:255]
        return task

    # ---- the same, in a transaction of their own; False when the task is no longer this run's -----------

    def finish(self, status: TaskStatus, stage: str, also: AlsoWrite | None = None) -> bool:
        return self._end(lambda uow: self.mark_finished(uow, status, stage), also)

    def fail(self, category: str, message: str, also: AlsoWrite | None = None) -> bool:
        return self._end(lambda uow: self.mark_failed(uow, category, message), also)

    def hand_back(self, wait: timedelta, stage: str, also: AlsoWrite | None = None) -> bool:
        return self._end(lambda uow: self.mark_handed_back(uow, self.clock() + wait, stage), also)

    def _end(self, transition: Callable[[UnitOfWork], TaskRecord], also: AlsoWrite | None) -> bool:
        try:
            with self.owned() as uow:
                task = transition(uow)
                if also is not None:
                    also(uow, task)
        except LeaseLost:
            log.warning("task %s: another worker holds the lease now; its copy decides how it ends", self.task_id)
            return False
        return True

    def _lease_end(self) -> datetime:
        return self.clock() + timedelta(seconds=self.lease_s)
