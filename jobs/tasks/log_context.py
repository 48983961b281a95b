"""Ids that every log line of a job carries (session, task, ticket, job), without passing them around."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

LOG_FIELDS = ("session_id", "task_id", "ticket_id", "job_id", "correlation_id")
_context: ContextVar[dict[str, object] | None] = ContextVar("ticketbot_log_context", default=None)


def current() -> dict[str, object]:
    return dict(_context.get() or {})


@contextlib.contextmanager
def bound(**fields: object) -> Iterator[None]:
    """Add fields to every log line written inside the block (and by threads started from it)."""
    token = _context.set({**current(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)
