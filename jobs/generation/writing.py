"""Write planned tickets with a writer, several at once, reporting each in plan order as it is done."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from integrations.tickets import SiteContext, TicketBrief, WrittenTicket
from integrations.writers.base import TicketWriter

# (tickets written so far, how many in all, the one just written): a caller's tally, not the run's progress bar.
WrittenCallback = Callable[[int, int, TicketBrief], None]


class GenerationCancelled(Exception):
    """The run was cancelled between two tickets."""


def write_tickets(
    briefs: Sequence[TicketBrief],
    writer: TicketWriter,
    site: SiteContext,
    progress: WrittenCallback | None = None,
    is_cancelled: Callable[[], bool] | None = None,
    on_written: Callable[[WrittenTicket], None] | None = None,
) -> list[WrittenTicket]:
    """Write every brief with up to `writer.concurrency` calls in flight.

    Results are handed to `on_written` and `progress` in plan order, from the calling thread, as soon
    as every ticket before them is done: a checkpoint per ticket, and drafts that arrive in dependency
    order. Cancellation is checked before each new call; calls already in flight finish first.
    """
    written: list[WrittenTicket] = []
    for ticket in iter_written(briefs, writer, site, is_cancelled):
        written.append(ticket)
        if on_written is not None:
            on_written(ticket)
        if progress is not None:
            progress(len(written), len(briefs), ticket.brief)
    return written


def iter_written(
    briefs: Sequence[TicketBrief],
    writer: TicketWriter,
    site: SiteContext,
    is_cancelled: Callable[[], bool] | None = None,
) -> Iterator[WrittenTicket]:
    """Yield written tickets in plan order while keeping `writer.concurrency` calls in flight."""
    limit = max(1, writer.concurrency)
    if limit == 1:
        for brief in briefs:
            _check(is_cancelled, briefs, brief)
            yield WrittenTicket(brief, writer.write(brief, site))
        return
    with ThreadPoolExecutor(max_workers=limit, thread_name_prefix="ticket-writer") as pool:
        pending: dict[int, Future[WrittenTicket]] = {}
        ready: dict[int, WrittenTicket] = {}
        submitted = released = 0
        try:
            while released < len(briefs):
                while submitted < len(briefs) and len(pending) < limit:
                    _check(is_cancelled, briefs, briefs[submitted])
                    brief = briefs[submitted]
                    pending[submitted] = pool.submit(_write_one, writer, brief, site)
                    submitted += 1
                done, _ = wait(pending.values(), return_when=FIRST_COMPLETED)
                for index in [i for i, future in pending.items() if future in done]:
                    ready[index] = pending.pop(index).result()  # a writer's exception ends the run here
                while released in ready:
                    yield ready.pop(released)
                    released += 1
        finally:
            for future in pending.values():
                future.cancel()


def _write_one(writer: TicketWriter, brief: TicketBrief, site: SiteContext) -> WrittenTicket:
    return WrittenTicket(brief, writer.write(brief, site))


def _check(is_cancelled: Callable[[], bool] | None, briefs: Sequence[TicketBrief], brief: TicketBrief) -> None:
    if is_cancelled is not None and is_cancelled():
        raise GenerationCancelled(f"cancelled before ticket {brief.position} of {len(briefs)}")
