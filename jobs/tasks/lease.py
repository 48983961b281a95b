"""A running task's lease, renewed by a heartbeat thread: a dead worker's lease simply runs out."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from types import TracebackType

from jobs.tasks.clock import Clock
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)


class LeaseKeeper:
    """Renews the lease every third of its length; `lost` is set when renewal finds another owner."""

    def __init__(self, uow_factory: UnitOfWorkFactory, task_id: int, owner: str, lease_s: float,
                 clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._task_id = task_id
        self._owner = owner
        self._lease = timedelta(seconds=lease_s)
        self._clock = clock
        self._stop = threading.Event()
        self.lost = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{task_id}", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _beat(self) -> None:
        interval = self._lease.total_seconds() / 3
        while not self._stop.wait(interval):
            try:
                with self._uow_factory() as uow:
                    if not uow.tasks.renew_lease(self._task_id, self._owner, self._clock() + self._lease):
                        self.lost.set()
                        return
                    uow.commit()
            except Exception:  # a database blip: the next beat tries again; the lease is 3 beats long
                log.warning("lease renewal failed for task %s", self._task_id, exc_info=True)
