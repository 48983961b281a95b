"""Read, validate and plan a set of uploaded spec files in one call (pure: bytes in, plan out)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from integrations.spec.decoding import DEFAULT_LIMITS, ReaderLimits
from integrations.spec.problems import cap_warnings
from integrations.spec.reader import ReadResult, read_file
from integrations.spec.validation import validate
from jobs.planning.planner import Plan, PlanOptions, plan_tickets


@dataclass(frozen=True)
class UploadedFile:
    name: str
    data: bytes


def plan_uploads(files: Sequence[UploadedFile], limits: ReaderLimits = DEFAULT_LIMITS,
                 options: PlanOptions | None = None) -> Plan:
    """Every file read (bad ones refused whole), rows validated, tickets planned; problems kept in order,
    at most `limits.max_warnings` warnings per file."""
    read = ReadResult()
    for upload in files:
        read.extend(read_file(upload.name, upload.data, limits))
    plan = plan_tickets(validate(read.sheets), options)
    return Plan(plan.tickets, tuple(cap_warnings([*read.problems, *plan.problems], limits.max_warnings)),
                plan.stats)
