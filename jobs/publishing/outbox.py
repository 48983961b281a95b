"""The outbox work of one push round: reconcile what may exist, create epics, issues and links.

Each issue, epic and link moves none → creating → created, and `creating` is committed BEFORE the
request, the key AFTER the answer (reliability-security §2, the Jira outbox):

- a create that was answered is recorded with its key;
- a create Jira refused (400, 401/403, or 429 after the transport's bounded retries) created
  nothing, so it goes back to `none` (or `failed` with Jira's words, for a 400); a 503 is not a
  refusal (a proxy may answer it after Jira created the issue), so it is reconciled like a lost answer;
- a create found `creating` — the worker died between request and commit, or the answer was lost —
  is looked for by its unique label (`ticketbot-<instance>-t<id>-<random>`, stored on the ticket before
  the request; epics `ticketbot-epic-<hash>`), in the push's project only, before anything is created
  again. Found: recorded. Not found: `needs_reconcile`, searched again with backoff (Cloud's search
  lags) for up to the reconcile window, then raised for a person. Never created blind.

Links are made as soon as both ends exist: inside the create payload when the other end is in Jira
already, otherwise by `POST issueLink` afterwards (jobs/publishing/links.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from integrations.jira.errors import USER_FIXABLE, JiraError, JiraOutcomeUnknown, JiraTemporary
from integrations.jira.gateway import BulkItem, FoundIssue, IssueDraft
from jobs.generation.stored_tickets import written_ticket
from jobs.publishing.labels import (
    epic_label,
    issue_label,
    legacy_session_label,
    push_label,
    session_label,
    stored_label,
)
from jobs.publishing.links import Keys, LinkSteps, PushContext, keys_and_deps, linkable
from jobs.publishing.revision import RevisionSteps
from jobs.publishing.service import NeedsPerson, reconcile_delay_s
from jobs.states import JiraState, LinkState, TicketStatus, ticket_move
from jobs.tasks.faults import fault_point
from storage.models import JiraEpicRecord, TicketDependencyRecord, TicketRecord
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

REVISING = frozenset({"changed", "removed"})  # change kinds whose issue exists: updated or closed, never created


def ready(ticket: TicketRecord, now: datetime) -> bool:
    """Approved, not in Jira, not refused, and not backing off (a revision's changed or removed ticket has its
    issue already: jobs/publishing/revision.py writes it, never a create)."""
    return (ticket.status == TicketStatus.APPROVED and ticket.jira_state == JiraState.NONE
            and ticket.change_kind not in REVISING and not ticket.jira_key
            and (ticket.jira_next_try_at is None or ticket.jira_next_try_at <= now))


def reconcile_due(ticket: TicketRecord, now: datetime) -> bool:
    if ticket.status != TicketStatus.APPROVED:
        return False
    if ticket.jira_state == JiraState.CREATING:
        return True
    return (ticket.jira_state == JiraState.NEEDS_RECONCILE and ticket.jira_next_try_at is not None
            and ticket.jira_next_try_at <= now)


@dataclass(frozen=True)
class _Prepared:
    ticket_id: int
    spec_key: str
    draft: IssueDraft


class PushSteps:
    def __init__(self, ctx: PushContext) -> None:
        self.ctx = ctx
        self.uow_factory = ctx.deps.uow_factory
        self.clock = ctx.deps.clock
        self.checked_epics: set[str] = set()  # epic keys seen in Jira during this run
        self.revision = RevisionSteps(ctx)

    def round(self) -> None:
        self.revision.carry_links()  # a revision: what the earlier graph linked already is not sent again
        self.reconcile_tickets()
        self.reconcile_epics()
        # Updates first: a new issue's create payload then carries its links to the updated ones.
        self.revision.update_tickets()
        self.revision.close_tickets()
        self.create_tickets(self.ensure_epics())
        LinkSteps(self.ctx).create_links()
        self.revision.remove_links()

    # ---- reconciling what may or may not have been created ------------------------------------------------

    def reconcile_tickets(self) -> None:
        now = self.clock()
        with self.uow_factory() as uow:
            due = {stored_label(t): t.id for t in uow.tickets.states_for(self.ctx.session_id) if reconcile_due(t, now)}
        if not due:
            return
        found = self.ctx.gateway.find_by_labels(list(due))
        pushed: list[tuple[int, str]] = []
        raised: list[NeedsPerson] = []
        with self.uow_factory() as uow:
            keys, deps = self._keys_and_deps(uow)
            for label, ticket_id in due.items():
                ticket = uow.tickets.get(ticket_id, for_update=True)
                if ticket.jira_state not in (JiraState.CREATING, JiraState.NEEDS_RECONCILE):
                    continue
                issue = found.get(label)
                if issue is not None and self._session_label(label) in issue.labels:
                    log.info("%s was created as %s before its answer got lost; recorded", ticket.spec_key, issue.key)
                    self._mark_created(ticket, issue.key, issue, keys, deps,
                                       self.ctx.gateway.fingerprint(IssueDraft(ticket.title, (),
                                                                               ticket=written_ticket(ticket))))
                    pushed.append((ticket.id, issue.key))
                    continue
                ticket.jira_state, ticket.jira_attempts = JiraState.NEEDS_RECONCILE, ticket.jira_attempts + 1
                delay = reconcile_delay_s(self.ctx.deps.config, ticket.jira_attempts)
                if delay is not None:
                    ticket.jira_next_try_at = now + timedelta(seconds=delay)
                    continue
                ticket.jira_next_try_at = None  # the window is over: a person decides
                notice = self._needs_person(uow, ticket.spec_key, label, ticket.id)
                ticket.jira_error = notice.message
                raised.append(notice)
            uow.commit()
        self.ctx.announce(pushed)
        for notice in raised:
            self.ctx.deps.notifier.needs_person(notice)

    def _push_label(self) -> str:
        return push_label(self.ctx.instance, self.ctx.task_id)

    def _session_label(self, issue_label: str) -> str:
        """The session label an issue labelled `issue_label` was created with (older creates: no instance)."""
        if issue_label.startswith(f"ticketbot-{self.ctx.instance}-"):
            return session_label(self.ctx.instance, self.ctx.session_id)
        return legacy_session_label(self.ctx.session_id)

    def reconcile_epics(self) -> None:
        now = self.clock()
        with self.uow_factory() as uow:
            due = {e.label: e.id for e in uow.epics.unresolved(self.ctx.project, self.ctx.site)
                   if (when := self.epic_due(e, now)) is not None and when <= now}
        if not due:
            return
        found = self.ctx.gateway.find_by_labels(list(due))
        raised: list[NeedsPerson] = []
        with self.uow_factory() as uow:
            for label, epic_id in due.items():
                epic = uow.epics.get(epic_id)
                if epic.state not in (JiraState.CREATING, JiraState.NEEDS_RECONCILE):
                    continue
                issue = found.get(label)
                if issue is not None:
                    epic.issue_key, epic.state = issue.key, JiraState.CREATED
                    epic.created_by_task_id = self.ctx.task_id  # its create was this push's, answer lost
                    continue
                epic.state, epic.attempts = JiraState.NEEDS_RECONCILE, epic.attempts + 1
                if reconcile_delay_s(self.ctx.deps.config, epic.attempts) is None:
                    raised.append(self._needs_person(uow, f"the {epic.group} epic", label, None))
            uow.commit()
        for notice in raised:
            self.ctx.deps.notifier.needs_person(notice)

    def epic_due(self, epic: JiraEpicRecord, now: datetime) -> datetime | None:
        """When the epic's label is to be searched for next (None: its window is over, a person decides)."""
        if epic.state == JiraState.CREATING:
            return now
        delay = reconcile_delay_s(self.ctx.deps.config, epic.attempts)
        return None if delay is None else epic.updated_at + timedelta(seconds=delay)

    def _needs_person(self, uow: UnitOfWork, what: str, label: str, ticket_id: int | None) -> NeedsPerson:
        minutes = self.ctx.deps.config.reconcile_window_s / 60
        message = (f"ticketbot cannot tell whether {what} reached Jira: its create got no answer, and Jira's search "
                   f"has not shown an issue labelled {label} for {minutes:.0f} minutes. Nothing was created twice. "
                   f"Search Jira for that label: if the issue is there, `/generate-tickets push` records it; "
                   f"if it is not, confirm it is missing and ticketbot creates it.")
        uow.errors.add(self.ctx.session_id, USER_FIXABLE, message, task_id=self.ctx.task_id, ticket_id=ticket_id,
                       entity=what[:255], technical_details={"label": label, "project": self.ctx.project})
        return NeedsPerson(self.ctx.session_id, ticket_id, what, label, message)

    # ---- epics --------------------------------------------------------------------------------------------

    def ensure_epics(self) -> dict[str, str] | None:
        """The epic key of each group about to be pushed (None: epics are off); creates the missing ones."""
        if not self.ctx.gateway.epics_enabled:
            return None
        now = self.clock()
        with self.uow_factory() as uow:
            groups = list(dict.fromkeys(t.group for t in uow.tickets.states_for(self.ctx.session_id)
                                        if ready(t, now)))
        keys: dict[str, str] = {}
        for group in groups:
            with self.uow_factory() as uow:
                epic = uow.epics.get_or_add(self.ctx.project, self.ctx.site, group,
                                            epic_label(self.ctx.instance, self.ctx.project, self.ctx.site,
                                                       group))
                uow.commit()
                epic_id, state, key = epic.id, epic.state, epic.issue_key
            if state == "created" and key and not self._still_there(epic_id, key):
                state = "none"
            if state == "created" and key:
                keys[group] = key
            elif state == "none" and (created := self._create_epic(epic_id, group)) is not None:
                keys[group] = created
        return keys

    def _still_there(self, epic_id: int, key: str) -> bool:
        """An epic reused from an earlier push may have been deleted in Jira since: then it is made again."""
        if key in self.checked_epics:
            return True
        if self.ctx.gateway.exists(key):
            self.checked_epics.add(key)
            return True
        log.warning("epic %s is no longer in Jira; it is created again", key)
        with self.uow_factory() as uow:
            epic = uow.epics.get(epic_id)
            if epic.issue_key == key:
                epic.issue_key, epic.state, epic.attempts = None, JiraState.NONE, 0
            uow.commit()
        return False

    def _create_epic(self, epic_id: int, group: str) -> str | None:
        with self.uow_factory() as uow:
            self.ctx.renew(uow)
            if not uow.epics.claim_creation(epic_id):
                return None  # another push got there first; its answer (or our reconcile) records it
            label = uow.epics.get(epic_id).label
            uow.commit()
        site = self.ctx.site
        draft = IssueDraft(f"{site} — {group}", ("ticketbot", label, self._push_label()), is_epic=True,
                           text=f"The {group} tickets of {site}, generated by ticketbot from the site's Drupal "
                                "specification. Each issue under this epic builds one configuration entity; the "
                                "links between them give the order to build them in.")
        try:
            created = self.ctx.gateway.create_issue(draft)
        except JiraOutcomeUnknown:
            log.warning("the %s epic's create got no answer; it is looked for by label %s", group, label)
            return None
        except JiraError:
            with self.uow_factory() as uow:
                epic = uow.epics.get(epic_id)
                if epic.state == JiraState.CREATING:
                    epic.state = JiraState.NONE  # refused: nothing was created
                uow.commit()
            raise
        self._answered()
        with self.uow_factory() as uow:
            epic = uow.epics.get(epic_id)
            epic.issue_key, epic.state = created.key, JiraState.CREATED
            epic.created_by_task_id = self.ctx.task_id
            uow.commit()
        self.checked_epics.add(created.key)
        log.info("created the %s epic of %s as %s", group, site, created.key)
        return created.key

    # ---- issues -------------------------------------------------------------------------------------------

    def create_tickets(self, epic_keys: dict[str, str] | None) -> None:
        """In dependency order, at most `bulk_size` (≤ 50) per request."""
        now = self.clock()
        with self.uow_factory() as uow:
            pending = [t.id for t in uow.tickets.states_for(self.ctx.session_id)
                       if ready(t, now) and (epic_keys is None or t.group in epic_keys)]
        size = max(1, min(self.ctx.deps.config.bulk_size, 50))
        for start in range(0, len(pending), size):
            prepared = self._prepare(pending[start:start + size], epic_keys)
            if prepared:
                self._send(prepared)

    def _prepare(self, ticket_ids: Sequence[int], epic_keys: dict[str, str] | None) -> list[_Prepared]:
        """Commit the intent (creating) of each ticket, with the links its payload will carry."""
        now = self.clock()
        project = self.ctx.project
        with self.uow_factory() as uow:
            self.ctx.renew(uow)
            locked = [t for t in (uow.tickets.get(i, for_update=True) for i in ticket_ids) if ready(t, now)]
            keys, deps = self._keys_and_deps(uow)
            waiting = [d for d in deps if d.jira_link_state == LinkState.NONE]
            prepared = []
            for ticket in locked:
                blocked_by, blocks = [], []
                for dep in waiting:
                    if dep.ticket_id == ticket.id and keys.get(dep.depends_on_id):
                        blocked_by.append(str(keys[dep.depends_on_id]))
                        dep.jira_link_state = LinkState.CREATING
                    elif dep.depends_on_id == ticket.id and keys.get(dep.ticket_id):
                        blocks.append(str(keys[dep.ticket_id]))
                        dep.jira_link_state = LinkState.CREATING
                ticket.jira_state, ticket.jira_attempts, ticket.jira_next_try_at = JiraState.CREATING, 0, None
                ticket.jira_error, ticket.jira_project = None, project
                ticket.jira_label = ticket.jira_label or issue_label(self.ctx.instance, ticket)
                labels = ("ticketbot", self._session_label(ticket.jira_label), self._push_label(), ticket.jira_label)
                draft = IssueDraft(ticket.title, labels, ticket=written_ticket(ticket),
                                   epic_key=epic_keys.get(ticket.group) if epic_keys is not None else None,
                                   blocked_by=tuple(blocked_by), blocks=tuple(blocks))
                prepared.append(_Prepared(ticket.id, ticket.spec_key, draft))
            uow.commit()
        return prepared

    def _send(self, prepared: list[_Prepared]) -> None:
        try:
            if len(prepared) == 1:
                items = [self._create_one(prepared[0])]
            else:
                items = self.ctx.gateway.create_issues([p.draft for p in prepared])
        except JiraOutcomeUnknown:
            log.warning("a create of %d issue(s) got no answer; they are looked for by label", len(prepared))
            return
        except JiraError as exc:
            self._revert(prepared, exc)
            raise
        self._answered()
        refused = self._record(prepared, items)
        # A single create's refusal is final, and so is a bulk create refused whole for one reason (a
        # field the project requires, say): sending each issue again would only be refused again.
        systemic = len(prepared) == 1 or (len(refused) == len(prepared)
                                          and len({str(e.details.get("jira")) for _, e in refused}) == 1)
        temporary: JiraTemporary | None = None
        for item, error in refused:
            if systemic:
                self._refuse(item, error)
                continue
            try:
                answer = self._create_one(item)  # refused inside a bulk create: once more on its own
            except JiraOutcomeUnknown:
                continue
            except JiraTemporary as exc:
                self._revert([item], exc)
                temporary = exc
                continue
            self._answered()
            if answer.error is not None:
                self._refuse(item, answer.error)
            else:
                self._record([item], [answer])
        if temporary is not None:
            raise temporary

    def _answered(self) -> None:
        """Jira answered a create: the moment a crash would leave a key uncommitted (fault drill Q2)."""
        self.ctx.creates += 1
        fault_point("after_jira_create", self.ctx.creates)

    def _create_one(self, item: _Prepared) -> BulkItem:
        try:
            return BulkItem(0, issue=self.ctx.gateway.create_issue(item.draft))
        except JiraError as exc:
            if exc.category == USER_FIXABLE:
                return BulkItem(0, error=exc)
            raise

    def _record(self, prepared: Sequence[_Prepared], items: Sequence[BulkItem]) -> list[tuple[_Prepared, JiraError]]:
        """Store the keys Jira answered with; the refused drafts are returned."""
        refused, pushed = [], []
        with self.uow_factory() as uow:
            locked = {p.ticket_id: uow.tickets.get(p.ticket_id, for_update=True)
                      for p, a in zip(prepared, items, strict=True) if a.issue is not None}
            keys, deps = self._keys_and_deps(uow)
            for item, answer in zip(prepared, items, strict=True):
                if answer.issue is None:
                    refused.append((item, answer.error or JiraError("Jira refused the issue")))
                    continue
                self._mark_created(locked[item.ticket_id], answer.issue.key, None, keys, deps,
                                   self.ctx.gateway.fingerprint(item.draft))
                pushed.append((item.ticket_id, answer.issue.key))
            if pushed:
                task = uow.tasks.get(self.ctx.task_id)
                task.details = {**task.details, "temporary_failures": 0}  # progress: the failures start over
            uow.commit()
        self.ctx.announce(pushed)
        return refused

    def _mark_created(self, ticket: TicketRecord, key: str, found: FoundIssue | None, keys: Keys,
                      deps: Sequence[TicketDependencyRecord], fingerprint: str) -> None:
        """The ticket is in Jira as `key`; the links its create carried are settled (from `found` if searched).

        `jira_synced` keeps the fingerprint of the text we wrote: a later revision's update compares Jira's
        text with it to tell a person's edit in Jira (jobs/publishing/revision.py).
        """
        if ticket.jira_key and ticket.jira_key != key:
            log.error("%s is already recorded as %s; Jira also holds %s", ticket.spec_key, ticket.jira_key, key)
            return
        ticket.jira_key, ticket.jira_state, ticket.status = key, JiraState.CREATED, ticket_move(ticket.status,
                                                                                              "mark_pushed")
        ticket.jira_error, ticket.jira_next_try_at, ticket.jira_project = None, None, self.ctx.project
        ticket.jira_synced = {"description_hash": fingerprint}
        ticket.jira_push_task_id = self.ctx.task_id  # what `undo` of this push removes
        ticket.slack_version += 1  # the draft shows the key
        keys[ticket.id] = key
        for dep in _carried(deps, ticket.id):
            pair = (keys.get(dep.depends_on_id), keys.get(dep.ticket_id))
            dep.jira_link_state = LinkState.CREATED if found is None or pair in found.links else "none"

    def _revert(self, prepared: Sequence[_Prepared], error: JiraError) -> None:
        """Jira refused the whole request: nothing was created, so the tickets go back to waiting."""
        retry_after = getattr(error, "retry_after_s", None) or 0.0
        with self.uow_factory() as uow:
            deps = uow.tickets.dependencies(self.ctx.session_id)
            for item in prepared:
                ticket = uow.tickets.get(item.ticket_id, for_update=True)
                if ticket.jira_state != JiraState.CREATING:
                    continue
                ticket.jira_state = JiraState.NONE
                ticket.jira_next_try_at = self.clock() + timedelta(seconds=retry_after) if retry_after else None
                for dep in _carried(deps, ticket.id):
                    dep.jira_link_state = LinkState.NONE
            uow.commit()

    def _refuse(self, item: _Prepared, error: JiraError) -> None:
        """Jira refused this issue for a reason in the issue itself: recorded for the user, not retried."""
        log.warning("Jira refused %s: %s", item.spec_key, error.message)
        with self.uow_factory() as uow:
            ticket = uow.tickets.get(item.ticket_id, for_update=True)
            if ticket.jira_state == JiraState.CREATING:
                ticket.jira_state, ticket.jira_error = JiraState.FAILED, error.message
                for dep in _carried(uow.tickets.dependencies(self.ctx.session_id), ticket.id):
                    dep.jira_link_state = LinkState.NONE
                details = {**error.details, "field_errors": getattr(error, "field_errors", {})}
                uow.errors.add(self.ctx.session_id, USER_FIXABLE, error.message, task_id=self.ctx.task_id,
                               ticket_id=ticket.id, entity=ticket.spec_key, technical_details=details)
            uow.commit()

    def _keys_and_deps(self, uow: UnitOfWork) -> tuple[Keys, list[TicketDependencyRecord]]:
        return keys_and_deps(uow, self.ctx.session_id)

    # ---- what is left -------------------------------------------------------------------------------------

    def next_wait_s(self, uow: UnitOfWork) -> float | None:
        """Seconds until something can be done again (0: now); None when nothing is left to do."""
        now = self.clock()
        epics = {e.group: e for e in uow.epics.unresolved(self.ctx.project, self.ctx.site)}
        times: list[datetime] = []
        keys, deps = self._keys_and_deps(uow)
        for t in uow.tickets.states_for(self.ctx.session_id):
            if t.status != TicketStatus.APPROVED:
                continue
            if t.jira_state == JiraState.CREATING:
                times.append(now)
            elif t.jira_state == JiraState.NEEDS_RECONCILE and t.jira_next_try_at is not None:
                times.append(t.jira_next_try_at)
            elif t.jira_state == JiraState.NONE:
                epic = epics.get(t.group)
                if epic is None:
                    times.append(t.jira_next_try_at if t.jira_next_try_at else now)
                elif (when := self.epic_due(epic, now)) is not None:  # waits for its epic to be found
                    times.append(when)
        if any(linkable(d, keys) for d in deps) or self.revision.has_work(uow):
            times.append(now)
        return max(0.0, (min(times) - now).total_seconds()) if times else None


def _carried(deps: Sequence[TicketDependencyRecord], ticket_id: int) -> list[TicketDependencyRecord]:
    """The links a ticket's create payload carried: its dependencies still `creating`."""
    return [d for d in deps if d.jira_link_state == LinkState.CREATING and ticket_id in (d.ticket_id, d.depends_on_id)]

