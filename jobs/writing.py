"""Write planned tickets with a writer, reporting progress as each one completes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from integrations.tickets import SiteContext, TicketBrief, WrittenTicket
from integrations.writers.base import TicketWriter

# (tickets done, tickets in all, the ticket just written)
ProgressCallback = Callable[[int, int, TicketBrief], None]


class GenerationCancelled(Exception):
    """The run was cancelled between two tickets."""


def write_tickets(
    briefs: Sequence[TicketBrief],
    writer: TicketWriter,
    site: SiteContext,
    progress: ProgressCallback | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> list[WrittenTicket]:
    """Write every brief in order; checks for cancellation between tickets."""
    written: list[WrittenTicket] = []
    for brief in briefs:
        if is_cancelled is not None and is_cancelled():
            raise GenerationCancelled(f"cancelled after {len(written)} of {len(briefs)} tickets")
        written.append(WrittenTicket(brief, writer.write(brief, site)))
        if progress is not None:
            progress(len(written), len(briefs), brief)
    return written
