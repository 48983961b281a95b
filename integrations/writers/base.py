"""The ticket writer interface: a brief in, a written ticket out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

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
