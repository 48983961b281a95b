"""The ticket writer interface: a brief in, a written ticket out."""

from __future__ import annotations

from typing import Protocol

from integrations.tickets import SiteContext, TicketBrief, TicketContent


class TicketWriter(Protocol):
    """Writes one ticket. Implementations: the offline template writer, the OpenAI writer."""

    name: str

    def write(self, brief: TicketBrief, site: SiteContext) -> TicketContent: ...
