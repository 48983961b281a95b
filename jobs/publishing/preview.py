"""What a bulk action would do in Jira, counted exactly before a person confirms it.

"Create 401 issues in RPL under 6 epics (2 new), 37 links": the issues are the tickets in scope, the
epics their groups' (new when the site has none in the project yet), the links every dependency that
will have both ends in Jira and is not linked yet. The same counts `push_summary` reports afterwards.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from jobs.states import JiraState, LinkState, TicketStatus
from jobs.wording import counted
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class PushPreview:
    project: str
    issues: int
    epics: int  # 0 when epics are off
    new_epics: int
    links: int

    @property
    def text(self) -> str:
        """The plain-words sentence of the confirmation (no user text in it: counts and a project key)."""
        text = f"Create {counted(self.issues, 'issue')} in {self.project or 'Jira'}"
        if self.epics:
            existing = self.epics - self.new_epics
            detail = (f"{self.new_epics} new" if not existing else
                      f"{existing} existing" if not self.new_epics else f"{self.new_epics} new, {existing} existing")
            text += f" under {counted(self.epics, 'epic')} ({detail})"
        return f"{text}, {counted(self.links, 'link')}"


def push_preview(uow: UnitOfWork, session_id: int, project: str, ticket_ids: Collection[int], *,
                 epics: bool = True) -> PushPreview:
    """The counts of pushing `ticket_ids` (tickets of the session not yet in Jira)."""
    wanted = set(ticket_ids)
    tickets = uow.tickets.for_session(session_id)
    session = uow.sessions.get(session_id)
    site = session.site_name or session.channel_id
    in_scope = [t for t in tickets if t.id in wanted]
    in_jira = {t.id for t in tickets if t.status == TicketStatus.PUSHED} | wanted
    groups = list(dict.fromkeys(t.group for t in in_scope))
    new_epics = 0
    if epics:
        for group in groups:
            epic = uow.epics.find(project, site, group)
            if epic is None or not (epic.issue_key and epic.state == JiraState.CREATED):
                new_epics += 1
    links = sum(1 for d in uow.tickets.dependencies(session_id)
                if d.jira_link_state != LinkState.CREATED and d.ticket_id in in_jira and d.depends_on_id in in_jira
                and (d.ticket_id in wanted or d.depends_on_id in wanted))
    return PushPreview(project, len(in_scope), len(groups) if epics else 0, new_epics, links)


def awaiting_push(uow: UnitOfWork, session_id: int) -> list[int]:
    """Approved tickets not in Jira yet (refused ones included: `push` tries them again), in dependency order."""
    return [t.id for t in uow.tickets.for_session(session_id) if t.status == TicketStatus.APPROVED]
