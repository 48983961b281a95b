"""Plan an upload set once: every later action on the same files reuses the plan.

Upload replies, `start`, `errors`, the worker's run and every regeneration all need the plan of the
session's files, and a large spec costs seconds to read and validate. Plans depend only on the
files' names and bytes and on the reader's limits, so they are kept by those (the bytes by their
SHA-256), in a small per-process LRU: a new upload or a changed file is a new key, never stale.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence

from integrations.spec.decoding import DEFAULT_LIMITS, ReaderLimits
from jobs.planning.pipeline import UploadedFile, plan_uploads
from jobs.planning.planner import Plan

DEFAULT_CAPACITY = 8  # upload sets kept; a plan of a large spec is a few MB

PlanKey = tuple[ReaderLimits, tuple[tuple[str, str], ...]]


class PlanCache:
    """Thread-safe: listeners and a worker's threads share it; a plan is immutable once made."""

    def __init__(self, *, capacity: int = DEFAULT_CAPACITY, limits: ReaderLimits = DEFAULT_LIMITS) -> None:
        self.capacity = capacity
        self.limits = limits
        self.plans_made = 0  # how many times the files were actually read and planned
        self._plans: OrderedDict[PlanKey, Plan] = OrderedDict()
        self._lock = threading.Lock()

    def plan(self, files: Sequence[UploadedFile]) -> Plan:
        """The plan of `files`, made once per distinct set of names and contents."""
        key = (self.limits, tuple((f.name, hashlib.sha256(f.data).hexdigest()) for f in files))
        with self._lock:
            plan = self._plans.get(key)
            if plan is not None:
                self._plans.move_to_end(key)
                return plan
        # Planned outside the lock: a big spec must not hold up every other session's replies.
        plan = plan_uploads(files, self.limits)
        with self._lock:
            self.plans_made += 1
            self._plans[key] = plan
            self._plans.move_to_end(key)
            while len(self._plans) > self.capacity:
                self._plans.popitem(last=False)
        return plan
