"""A revised spec reaches the Jira issues that exist already: updated, closed and relinked, each exactly once.

A revision session (docs/design.md §10) holds one ticket per spec key; `change_kind` says what to do:

- `changed`, approved: its issue (`jira_key`, copied from the version it revises) gets the new summary and
  description and one comment listing what changed; labels, status and everything else are kept. Never a
  second issue.
- `removed`, approved: its issue gets one comment "Removed from the spec: …", then is moved to a done status
  (a transition named Won't Do, Obsolete, Done …) or, with `removed_issues="label"` or no such transition,
  labelled `ticketbot-obsolete`. Never deleted.
- `unchanged`: nothing is sent; its links count.
- links: the revised graph's dependencies that the earlier graph had linked already are recorded as linked
  without a request; those it no longer has are deleted in Jira once both ends are settled (pushed).

The rules of docs/exactly-once.md hold. The intent (`updating`, `closing`, a link `removing`) is committed
BEFORE the first write; the description PUT is idempotent, the comment is not, so it carries a marker naming
the ticket (one ticket row per revision), and a resumed write looks for that marker before commenting again.
Before overwriting a description the issue is read: when its summary and description are neither what we
wrote last (`jira_synced.description_hash`, or the previous version's text) nor what we are about to write,
a person changed it in Jira; nothing is written until someone confirms (`push confirm overwrite SPEC_KEY`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from integrations.jira.errors import USER_FIXABLE, JiraError, JiraNotFound, JiraOutcomeUnknown
from integrations.jira.gateway import IssueDraft, Transition
from jobs.generation.stored_tickets import written_ticket
from jobs.publishing.links import PushContext
from jobs.publishing.service import NeedsPerson
from jobs.states import JiraState, LinkState, TicketStatus, ticket_move
from jobs.tasks.faults import fault_point
from storage.models import TicketDependencyRecord, TicketRecord
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

OBSOLETE_LABEL = "ticketbot-obsolete"
# Preferred names of the transition that closes a removed ticket's issue, best first; any other transition
# into a done-category status comes after them.
CLOSING_NAMES = ("won't do", "wont do", "obsolete", "rejected", "cancelled", "canceled", "done", "closed", "resolved")
MAX_CHANGES_LISTED = 40  # lines of a change comment; the rest is counted
MAX_CHANGE_TEXT = 300  # characters of one listed change


def update_due(ticket: TicketRecord) -> bool:
    return (ticket.status == TicketStatus.APPROVED and ticket.change_kind == "changed" and bool(ticket.jira_key)
            and ticket.jira_state in (JiraState.NONE, JiraState.UPDATING))


def close_due(ticket: TicketRecord) -> bool:
    return (ticket.status == TicketStatus.APPROVED and ticket.change_kind == "removed" and bool(ticket.jira_key)
            and ticket.jira_state in (JiraState.NONE, JiraState.CLOSING))


def comment_marker(instance: str, ticket_id: int, action: str) -> str:
    """Found again in a comment's text: the ticket row (one per revision), the deployment, the action."""
    return f"ticketbot-{instance}-t{ticket_id}-{action}"


def change_lines(changes: Sequence[object]) -> list[str]:
    """One line per change: what, and where in the spec (file row, column: old → new) when known."""
    lines = []
    for change in list(changes)[:MAX_CHANGES_LISTED]:
        if not isinstance(change, dict):
            continue
        text = str(change.get("what") or "changed")
        where = " ".join(str(change[k]) for k in ("file", "row") if change.get(k) not in (None, ""))
        if change.get("column"):
            where = f"{where}, {change['column']}" if where else str(change["column"])
        if change.get("old") not in (None, "") or change.get("new") not in (None, ""):
            where += f": “{change.get('old') or ''}” → “{change.get('new') or ''}”"
        lines.append(f"- {text}" + (f" ({where.strip()})" if where.strip() else ""))
    extra = len(changes) - MAX_CHANGES_LISTED
    if extra > 0:
        lines.append(f"- and {extra} more change{'s' if extra > 1 else ''}")
    return [line[:MAX_CHANGE_TEXT] for line in lines]


def update_comment(changes: Sequence[object], session_id: int, marker: str) -> str:
    lines = change_lines(changes) or ["- the ticket's text was rewritten"]
    return "\n".join([f"ticketbot replaced this issue's description with the revised spec's version "
                      f"(session {session_id}). What changed and why:", *lines, "", f"ticketbot ref {marker}"])


def removal_comment(changes: Sequence[object], marker: str) -> str:
    lines = change_lines(changes) or ["- its rows are no longer in the spec"]
    return "\n".join(["Removed from the spec:", *lines, "",
                      "ticketbot closes this issue (or labels it obsolete); it is never deleted.", "",
                      f"ticketbot ref {marker}"])


def closing_transition(options: Sequence[Transition]) -> Transition | None:
    """The transition to close a removed ticket's issue with: into a done status, preferred names first."""
    done = [t for t in options if t.category == "done"]

    def rank(t: Transition) -> int:
        name = t.name.strip().lower()
        return CLOSING_NAMES.index(name) if name in CLOSING_NAMES else len(CLOSING_NAMES)

    return min(done, key=rank) if done else None


@dataclass(frozen=True)
class _Update:
    ticket_id: int
    spec_key: str
    key: str
    resuming: bool
    draft: IssueDraft
    base: str  # fingerprint of what we wrote last ("" when nothing is known)
    overwrite: str  # fingerprint of a person's edit someone confirmed may be overwritten
    marker: str
    comment: str


@dataclass(frozen=True)
class _StaleLink:
    ticket_id: int  # of the earlier session's dependency row
    depends_on_id: int
    state: str
    blocker: str
    blocked: str


class RevisionSteps:
    def __init__(self, ctx: PushContext) -> None:
        self.ctx = ctx
        self.uow_factory = ctx.deps.uow_factory
        self.writes = 0  # updates and closings answered in this run (the fault points count them)

    # ---- links the earlier graph had --------------------------------------------------------------------

    def carry_links(self) -> None:
        """The revised graph's dependencies the earlier graph linked in Jira already: linked, without a request."""
        with self.uow_factory() as uow:
            earlier, _ = self._graphs(uow)
            changed = False
            for dep, previous in earlier:
                if dep.jira_link_state == LinkState.NONE and previous.jira_link_state == LinkState.CREATED:
                    dep.jira_link_state = LinkState.CREATED
                    changed = True
            if changed:
                uow.commit()

    def _graphs(self, uow: UnitOfWork) -> tuple[list[tuple[TicketDependencyRecord, TicketDependencyRecord]],
                                                 list[tuple[TicketDependencyRecord, TicketRecord, TicketRecord]]]:
        """(new dependency, the earlier one it continues) pairs, and the earlier dependencies the new graph has
        not, with the new tickets at their ends."""
        tickets = uow.tickets.states_for(self.ctx.session_id)
        forward = {t.revises_ticket_id: t for t in tickets if t.revises_ticket_id is not None}
        if not forward:
            return [], []
        new_deps = uow.tickets.dependencies(self.ctx.session_id)
        new_pairs = {(d.ticket_id, d.depends_on_id) for d in new_deps}
        by_id = {t.id: t for t in tickets}
        earlier_sessions = {uow.tickets.get(i).session_id for i in forward}
        previous: dict[tuple[int, int], TicketDependencyRecord] = {}
        for session_id in earlier_sessions:
            previous.update({(d.ticket_id, d.depends_on_id): d for d in uow.tickets.dependencies(session_id)
                             if d.ticket_id in forward and d.depends_on_id in forward})
        carried = []
        for dep in new_deps:
            a, b = by_id[dep.ticket_id].revises_ticket_id, by_id[dep.depends_on_id].revises_ticket_id
            if a is not None and b is not None and (a, b) in previous:
                carried.append((dep, previous[(a, b)]))
        gone = [(d, forward[a], forward[b]) for (a, b), d in previous.items()
                if (forward[a].id, forward[b].id) not in new_pairs]
        return carried, gone

    def remove_links(self) -> None:
        """Delete in Jira the links of the earlier graph the revised one no longer has, once both ends are pushed."""
        with self.uow_factory() as uow:
            todo = self._stale_links(uow)
        gateway = self.ctx.gateway
        for link in todo:
            with self.uow_factory() as uow:
                self.ctx.renew(uow)
                dep = uow.tickets.dependency(link.ticket_id, link.depends_on_id, for_update=True)
                if dep is None or dep.jira_link_state != link.state:
                    continue
                dep.jira_link_state = LinkState.REMOVING
                uow.commit()
            try:
                link_id = gateway.read_issue(link.blocked).links.get((link.blocker, link.blocked))
            except JiraNotFound:
                link_id = None  # the issue is gone, and its links with it
            if link_id:
                try:
                    gateway.unlink(link_id)
                except JiraOutcomeUnknown:
                    continue  # stays `removing`: the next round reads the links again
            self._set_link(link.ticket_id, link.depends_on_id, LinkState.REMOVED)
            log.info("removed the link %s blocks %s: the revised spec no longer has it", link.blocker, link.blocked)

    def _stale_links(self, uow: UnitOfWork) -> list[_StaleLink]:
        _, gone = self._graphs(uow)
        return [_StaleLink(d.ticket_id, d.depends_on_id, d.jira_link_state, str(blocker.jira_key),
                           str(blocked.jira_key))
                for d, blocked, blocker in gone
                if d.jira_link_state in (LinkState.CREATED, LinkState.REMOVING) and blocked.jira_key
                and blocker.jira_key and blocked.status == TicketStatus.PUSHED
                and blocker.status == TicketStatus.PUSHED]

    def _set_link(self, ticket_id: int, depends_on_id: int, state: LinkState) -> None:
        with self.uow_factory() as uow:
            dep = uow.tickets.dependency(ticket_id, depends_on_id, for_update=True)
            if dep is not None:
                dep.jira_link_state = state
            uow.commit()

    # ---- changed tickets: the issue updated ---------------------------------------------------------------

    def update_tickets(self) -> None:
        with self.uow_factory() as uow:
            due = [t.id for t in uow.tickets.for_session(self.ctx.session_id) if update_due(t)]
        for ticket_id in due:
            self._update(ticket_id)

    def _load_update(self, ticket_id: int) -> _Update | None:
        with self.uow_factory() as uow:
            ticket = uow.tickets.get(ticket_id)
            if not update_due(ticket):
                return None
            synced = dict(ticket.jira_synced or {})
            base = str(synced.get("description_hash") or "")
            if not base and ticket.revises_ticket_id is not None:  # pushed before hashes were kept
                base = self.ctx.gateway.fingerprint(_draft(uow.tickets.get(ticket.revises_ticket_id)))
            marker = comment_marker(self.ctx.instance, ticket.id, "update")
            return _Update(ticket.id, ticket.spec_key, str(ticket.jira_key), ticket.jira_state == JiraState.UPDATING,
                           _draft(ticket), base, str(synced.get("overwrite") or ""), marker,
                           update_comment(ticket.changes or [], ticket.session_id, marker))

    def _update(self, ticket_id: int) -> None:
        job = self._load_update(ticket_id)
        if job is None:
            return
        gateway = self.ctx.gateway
        wanted = gateway.fingerprint(job.draft)
        try:
            before = gateway.read_issue(job.key)
        except JiraNotFound:
            self._refuse(job.ticket_id, f"{job.key} is no longer in Jira, so the revised {job.spec_key} could not "
                                        "update it; reject this ticket, or restore the issue and `/generate-tickets "
                                        "push`")
            return
        if before.fingerprint not in {wanted, job.base, job.overwrite} - {""} and job.base:
            self._edited_in_jira(job, before.fingerprint)
            return
        with self.uow_factory() as uow:
            self.ctx.renew(uow)
            ticket = uow.tickets.get(job.ticket_id, for_update=True)
            if not update_due(ticket):
                return
            ticket.jira_state, ticket.jira_error = JiraState.UPDATING, None
            ticket.jira_synced = {**(ticket.jira_synced or {}), "pending": wanted}
            uow.commit()
        try:
            if before.fingerprint != wanted:  # a resumed update that was written already is not sent again
                gateway.update_issue(job.key, job.draft)
            commented = gateway.find_comment(job.key, job.marker) if job.resuming else None
            if commented is None:
                commented = gateway.comment(job.key, job.comment)
        except JiraOutcomeUnknown:
            log.warning("the update of %s got no answer; the next round reads the issue first", job.key)
            return
        except JiraError as exc:
            if exc.category != USER_FIXABLE:
                raise  # stays `updating`: the next round reads the issue and looks for the comment first
            self._refuse(job.ticket_id, f"Jira refused the update of {job.key}: {exc.message}")
            return
        self.writes += 1
        fault_point("after_jira_update", self.writes)
        with self.uow_factory() as uow:
            ticket = uow.tickets.get(job.ticket_id, for_update=True)
            if ticket.jira_state != JiraState.UPDATING:
                return
            ticket.jira_state, ticket.status = JiraState.CREATED, ticket_move(ticket.status, "mark_pushed")
            # Our last write is the comment: its time is the issue's `updated` as we left it (no read-back).
            ticket.jira_synced = {"updated": commented or before.updated, "description_hash": wanted}
            ticket.jira_error, ticket.jira_project = None, self.ctx.project
            ticket.slack_version += 1
            uow.commit()
        log.info("updated %s from the revised %s", job.key, job.spec_key)
        self.ctx.announce([(job.ticket_id, job.key)])

    def _edited_in_jira(self, job: _Update, seen: str) -> None:
        message = (f"{job.key} was changed in Jira since ticketbot last wrote it, so the revised {job.spec_key} "
                   f"was not written over it. Compare the two, then `/generate-tickets push confirm overwrite "
                   f"{job.spec_key}` replaces Jira's text with the revised one, or reject the ticket to keep Jira's.")
        with self.uow_factory() as uow:
            ticket = uow.tickets.get(job.ticket_id, for_update=True)
            if not update_due(ticket):
                return
            ticket.jira_state, ticket.jira_error = JiraState.EDITED_IN_JIRA, message
            ticket.jira_synced = {**(ticket.jira_synced or {}), "seen_in_jira": seen}
            ticket.slack_version += 1
            uow.errors.add(self.ctx.session_id, USER_FIXABLE, message, task_id=self.ctx.task_id,
                           ticket_id=job.ticket_id, entity=job.spec_key, technical_details={"issue": job.key})
            uow.commit()
        log.warning("%s was edited in Jira since our last write; a person decides", job.key)
        self.ctx.deps.notifier.needs_person(NeedsPerson(self.ctx.session_id, job.ticket_id, job.spec_key,
                                                        job.key, message))

    def _refuse(self, ticket_id: int, message: str) -> None:
        with self.uow_factory() as uow:
            ticket = uow.tickets.get(ticket_id, for_update=True)
            ticket.jira_state, ticket.jira_error = JiraState.FAILED, message
            ticket.slack_version += 1
            uow.errors.add(self.ctx.session_id, USER_FIXABLE, message, task_id=self.ctx.task_id,
                           ticket_id=ticket_id, entity=ticket.spec_key)
            uow.commit()
        log.warning("%s", message)

    # ---- removed tickets: the issue commented and closed ---------------------------------------------------

    def close_tickets(self) -> None:
        with self.uow_factory() as uow:
            due = [t.id for t in uow.tickets.for_session(self.ctx.session_id) if close_due(t)]
        for ticket_id in due:
            self._close(ticket_id)

    def _close(self, ticket_id: int) -> None:
        with self.uow_factory() as uow:
            self.ctx.renew(uow)
            ticket = uow.tickets.get(ticket_id, for_update=True)
            if not close_due(ticket):
                return
            resuming = ticket.jira_state == JiraState.CLOSING
            key, spec_key = str(ticket.jira_key), ticket.spec_key
            marker = comment_marker(self.ctx.instance, ticket.id, "removed")
            text = removal_comment(ticket.changes or [], marker)
            ticket.jira_state, ticket.jira_error = JiraState.CLOSING, None
            uow.commit()
        gateway = self.ctx.gateway
        how = "closed"
        try:
            if not (resuming and gateway.find_comment(key, marker) is not None):
                gateway.comment(key, text)
            issue = gateway.read_issue(key)
            if issue.status_category == "done" or OBSOLETE_LABEL in issue.labels:
                how = "found closed"
            else:
                step = closing_transition(gateway.transitions(key)) \
                    if self.ctx.deps.config.removed_issues == "close" else None
                if step is not None:
                    gateway.transition(key, step.id)
                    how = f"moved to {step.name}"
                else:
                    gateway.add_label(key, OBSOLETE_LABEL)
                    how = f"labelled {OBSOLETE_LABEL}"
        except JiraNotFound:
            how = "gone from Jira already"
        except JiraOutcomeUnknown:
            log.warning("closing %s got no answer; the next round looks before writing again", key)
            return
        except JiraError as exc:
            if exc.category != USER_FIXABLE:
                raise
            self._refuse(ticket_id, f"Jira refused to close {key}: {exc.message}")
            return
        self.writes += 1
        fault_point("after_jira_close", self.writes)
        with self.uow_factory() as uow:
            ticket = uow.tickets.get(ticket_id, for_update=True)
            if ticket.jira_state != JiraState.CLOSING:
                return
            ticket.jira_state, ticket.status = JiraState.CLOSED, ticket_move(ticket.status, "mark_pushed")
            ticket.jira_error, ticket.jira_project = None, self.ctx.project
            ticket.jira_synced = {**(ticket.jira_synced or {}), "closed": how}
            ticket.slack_version += 1
            uow.commit()
        log.info("%s of the removed %s: %s", key, spec_key, how)
        self.ctx.announce([(ticket_id, key)])

    # ---- what is left -------------------------------------------------------------------------------------

    def has_work(self, uow: UnitOfWork) -> bool:
        tickets = uow.tickets.for_session(self.ctx.session_id)
        return any(update_due(t) or close_due(t) for t in tickets) or bool(self._stale_links(uow))


def _draft(ticket: TicketRecord) -> IssueDraft:
    """What an update writes: the summary and description of the ticket (labels are left as they are)."""
    return IssueDraft(ticket.title, (), ticket=written_ticket(ticket))
