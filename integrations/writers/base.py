"""The ticket writer interface: a brief in, a written ticket out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from integrations.tickets import SiteContext, TicketBrief, TicketContent


@dataclass(frozen=True)
class WriterHealth:
    """Whether the writer can work now, in words a Slack user understands."""

    ok: bool
    message: str
    category: str = ""  # when not ok: "temporary" (try again later) or "admin_required" (set-up is wrong)


class TicketWriter(Protocol):
    """Writes one ticket. Implementations: the offline template writer, the OpenAI writer.

    `write` may be called from several threads at once, up to `concurrency` calls in flight.
    """

    name: str
    concurrency: int
    # The longest one write() may take, every retry and timeout included: job timeouts are sized from it.
    max_seconds_per_ticket: float

    def write(self, brief: TicketBrief, site: SiteContext) -> TicketContent: ...

    def health(self) -> WriterHealth: ...


@runtime_checkable
class GuidedWriter(Protocol):
    """A writer that can take a reviewer's "what should change" for a rewrite (the OpenAI writer can; the
    offline template writer writes from the rows alone and cannot)."""

    def write_guided(self, brief: TicketBrief, site: SiteContext, guidance: str) -> TicketContent: ...


def takes_guidance(writer: object) -> bool:
    return isinstance(writer, GuidedWriter)
