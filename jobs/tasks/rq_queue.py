"""The RQ side of the job queue: deterministic job ids, bounded retries, and a look at what waits.

Each kind of job is enqueued as its function from the registry (jobs/worker/registry.py); RQ stores the
function's import path, which the worker imports back.
"""

from __future__ import annotations

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from jobs.tasks.job_kinds import JobKind
from jobs.tasks.job_queue import QueueUnavailable
from jobs.worker.registry import JOBS

DEFAULT_QUEUE = "ticketbot"
WAITING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.STARTED}


class RQJobQueue:
    def __init__(self, redis: Redis, name: str = DEFAULT_QUEUE, retry_intervals_s: tuple[int, ...] = (10, 30, 60)):
        self.redis = redis
        self.queue = Queue(name, connection=redis)
        self.retry_intervals_s = retry_intervals_s

    def enqueue(self, kind: JobKind, task_id: int, job_id: str, timeout_s: int) -> None:
        function = JOBS[kind]
        try:
            self.queue.enqueue(
                function, task_id, job_id=job_id, job_timeout=timeout_s, unique=True,
                retry=Retry(max=len(self.retry_intervals_s), interval=list(self.retry_intervals_s)),
                result_ttl=3600, failure_ttl=7 * 86400, description=f"{function.__name__} task {task_id}",
            )
        except DuplicateJobError:
            pass  # the same job id is already queued: enqueueing again must not run it twice
        except RedisError as exc:
            raise QueueUnavailable(str(exc)) from exc

    def is_waiting(self, job_id: str) -> bool:
        try:
            job = Job.fetch(job_id, connection=self.redis)
            return job.get_status(refresh=False) in WAITING
        except NoSuchJobError:
            return False
        except RedisError as exc:
            raise QueueUnavailable(str(exc)) from exc
