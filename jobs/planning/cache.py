"""Plan an upload set once: every later action on the same files reuses the plan.

Upload replies, `start`, `errors`, the worker's run and every regeneration all need the plan of the
session's files, and a large spec costs seconds to read and validate. Plans depend only on the
files' names and bytes, the reader's limits and the planning options (a channel's merge threshold),
so they are kept by those (the bytes by their SHA-256), in a small per-process LRU: a new upload
or a changed file is a new key, never stale.
A plan holds every row of its files, so the LRU is bounded by the input bytes too (the latest plan
is always kept), so that a few large specs cannot fill a listener's memory.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence

from integrations.spec.decoding import DEFAULT_LIMITS, ReaderLimits
from jobs.planning.pipeline import UploadedFile, plan_uploads
from jobs.planning.planner import Plan, PlanOptions

DEFAULT_CAPACITY = 8  # upload sets kept
DEFAULT_MAX_BYTES = 32 * 1024 * 1024  # of input files, over every kept set; a plan takes a few times that

PlanKey = tuple[ReaderLimits, PlanOptions, tuple[tuple[str, str], ...]]


class PlanCache:
    """Thread-safe: listeners and a worker's threads share it; a plan is immutable once made."""

    def __init__(self, *, capacity: int = DEFAULT_CAPACITY, max_bytes: int = DEFAULT_MAX_BYTES,
                 limits: ReaderLimits = DEFAULT_LIMITS, options: PlanOptions | None = None) -> None:
        self.capacity = capacity
        self.max_bytes = max_bytes
        self.limits = limits
        self.options = options or PlanOptions()  # the default (TICKETBOT_MERGE_THRESHOLD); a channel may override
        self.plans_made = 0  # how many times the files were actually read and planned
        self._plans: OrderedDict[PlanKey, tuple[Plan, int]] = OrderedDict()  # key -> (plan, input bytes)
        self._lock = threading.Lock()

    def plan(self, files: Sequence[UploadedFile], options: PlanOptions | None = None) -> Plan:
        """The plan of `files`, made once per distinct set of names and contents (and planning options)."""
        options = options or self.options
        key = (self.limits, options, tuple((f.name, hashlib.sha256(f.data).hexdigest()) for f in files))
        with self._lock:
            kept = self._plans.get(key)
            if kept is not None:
                self._plans.move_to_end(key)
                return kept[0]
        # Planned outside the lock: a big spec must not hold up every other session's replies.
        plan = plan_uploads(files, self.limits, options)
        with self._lock:
            self.plans_made += 1
            self._plans[key] = (plan, sum(len(f.data) for f in files))
            self._plans.move_to_end(key)
            while len(self._plans) > 1 and (len(self._plans) > self.capacity or self._bytes() > self.max_bytes):
                self._plans.popitem(last=False)
        return plan

    def _bytes(self) -> int:
        return sum(size for _, size in self._plans.values())
