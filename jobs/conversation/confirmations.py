"""Bulk actions ask first: ✅ on the progress message, "Approve this group", `push` and `undo` answer with a
confirmation that says exactly what will happen, and act only when an approver clicks Confirm.

A confirmation is a stored row (storage/confirmations.py) holding the exact scope (the ticket ids, or the
push to undo) and the counts shown. It leaves `pending` by one conditional update, so a second click, a
click by someone else at the same moment, or a Slack retry acts once; past its expiry it acts never.
With no approvers configured anyone may confirm (as for any state change), but the step itself still
stands between one accidental ✅ and four hundred Jira issues.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from integrations.slack.confirmation_blocks import ConfirmationView
from integrations.slack.text import escape
from jobs.conversation.channels import ChannelAccess
from jobs.errors import Category, ProcessingError
from jobs.publishing.preview import awaiting_push
from jobs.publishing.service import NOT_CONFIGURED, PublishingService
from jobs.publishing.undo_plan import UndoPlan
from jobs.states import ConfirmationState, TicketStatus
from jobs.tasks.clock import Clock, system_clock
from jobs.thread.outbox import SlackThread, show_quietly
from jobs.wording import counted
from storage.uow import UnitOfWorkFactory

DEFAULT_TTL_S = 300


class BulkAction(StrEnum):
    APPROVE_ALL = "approve_all"
    APPROVE_GROUP = "approve_group"
    PUSH = "push"
    UNDO = "undo"


@dataclass(frozen=True)
class Asked:
    """A confirmation to show, or (view None) a note saying why there is nothing to confirm."""

    view: ConfirmationView | None = None
    note: str = ""


@dataclass(frozen=True)
class Decided:
    text: str  # what replaces the confirmation (or, when `refused`, a private note to the clicker)
    acted: bool = False
    refused: bool = False  # not an approver: the confirmation stays as it is
    session_id: int | None = None


class BulkConfirmations:
    def __init__(self, *, uow_factory: UnitOfWorkFactory, publishing: PublishingService, access: ChannelAccess,
                 thread: SlackThread, ttl_s: int = DEFAULT_TTL_S, clock: Clock = system_clock) -> None:
        self.uow_factory = uow_factory
        self.publishing = publishing
        self.access = access
        self.thread = thread
        self.ttl_s = ttl_s
        self.clock = clock

    # ---- asking ---------------------------------------------------------------------------------------

    def ask(self, session_id: int, user: str, action: BulkAction, group: str = "") -> Asked:
        """Store a confirmation of `action` with its exact scope and counts; a note when nothing would happen."""
        if action == BulkAction.UNDO:
            return self._ask_undo(session_id, user)
        if action == BulkAction.PUSH and not self.publishing.jira_configured:
            raise ProcessingError(NOT_CONFIGURED, Category.ADMIN_REQUIRED)
        with self.uow_factory() as uow:
            tickets = uow.tickets.for_session(session_id)
            drafts = [t.id for t in tickets if t.status == TicketStatus.DRAFT and (not group or t.group == group)]
            waiting = awaiting_push(uow, session_id)
        if action == BulkAction.PUSH:
            scope, question = waiting, f"Push {counted(len(waiting), 'approved ticket')} to Jira?"
            if not waiting:
                return Asked(note="Nothing to push: every approved ticket is in Jira.")
        else:
            scope = drafts + [t for t in waiting if t not in drafts]
            what = f"the {escape(group)} group's {counted(len(drafts), 'draft')}" if group else \
                f"all {counted(len(drafts), 'draft')}"
            if not drafts:
                where = f" in {escape(group)}" if group else ""
                return Asked(note=f"Nothing to approve: no drafts are waiting{where}.")
            question = f"Approve {what} and push {'them' if len(drafts) > 1 else 'it'} to Jira?"
        if self.publishing.jira_configured:
            effect = self.publishing.preview(session_id, scope).text
        else:
            effect = (f"Approve {counted(len(drafts), 'draft')}; Jira is not configured, so they wait in approved "
                      "until an admin sets it up")
            question = question.replace(" and push them to Jira?", "?").replace(" and push it to Jira?", "?")
        return Asked(view=self._store(session_id, user, action, group,
                                      {"ticket_ids": drafts if action != BulkAction.PUSH else scope},
                                      question, effect))

    def _ask_undo(self, session_id: int, user: str) -> Asked:
        if not self.publishing.jira_configured:
            raise ProcessingError(NOT_CONFIGURED, Category.ADMIN_REQUIRED)
        plan = self.publishing.undo_plan(session_id)
        if isinstance(plan, str):
            return Asked(note=plan)
        return Asked(view=self._store(session_id, user, BulkAction.UNDO, "", {"push_task_id": plan.push_task_id},
                                      "Undo the last push to Jira?", _undo_effect(plan)))

    def _store(self, session_id: int, user: str, action: BulkAction, group: str, scope: dict[str, object],
               question: str, effect: str) -> ConfirmationView:
        now = self.clock()
        with self.uow_factory() as uow:
            channel = uow.sessions.get(session_id).channel_id
            record = uow.confirmations.add(session_id=session_id, channel_id=channel, requested_by=user,
                                           action=action.value, group=group, scope=scope,
                                           summary=f"{question}\n{effect}",
                                           created_at=now, expires_at=now + timedelta(seconds=self.ttl_s))
            uow.commit()
            return ConfirmationView(record.id, question, effect, self.ttl_s)

    # ---- deciding -------------------------------------------------------------------------------------

    def decide(self, confirmation_id: int, user: str, *, confirm: bool) -> Decided:
        """Confirm or cancel, once; anyone but an approver is refused and the confirmation stays."""
        with self.uow_factory() as uow:
            record = uow.confirmations.find(confirmation_id)
            if record is None:
                return Decided("This confirmation is no longer valid; nothing was done.")
            channel, session_id = record.channel_id, record.session_id
        if not self.access.may_change(channel, user):
            people = ", ".join(f"<@{a}>" for a in self.access.config(channel).approvers)
            return Decided(f"Only the approvers of this channel may confirm bulk actions: {people}.", refused=True,
                           session_id=session_id)
        now = self.clock()
        wanted = ConfirmationState.CONFIRMED if confirm else ConfirmationState.CANCELLED
        with self.uow_factory() as uow:
            won = uow.confirmations.decide(confirmation_id, wanted, user, now)
            if not won and confirm:
                uow.confirmations.decide(confirmation_id, ConfirmationState.EXPIRED, "", now)  # still pending: late
            uow.commit()
            record = uow.confirmations.get(confirmation_id)
            state, decided_by, action = record.state, record.decided_by, record.action
            scope, group, summary = dict(record.scope), record.group, record.summary
        if not won:
            return Decided(self._already(state, decided_by), session_id=session_id)
        if not confirm:
            return Decided(f"Cancelled by <@{user}>: nothing was done.", session_id=session_id)
        return Decided(self._act(BulkAction(action), session_id, user, scope, group, summary), acted=True,
                       session_id=session_id)

    def _already(self, state: str, decided_by: str) -> str:
        if state == ConfirmationState.EXPIRED:
            minutes = max(1, round(self.ttl_s / 60))
            return (f"This confirmation expired (it is valid for {minutes} minute{'' if minutes == 1 else 's'}); "
                    "nothing was done. Ask again to see the current counts.")
        if state == ConfirmationState.CANCELLED:
            return f"Cancelled by <@{decided_by}>: nothing was done."
        return f"Already confirmed by <@{decided_by}>; it acted once."

    def _act(self, action: BulkAction, session_id: int, user: str, scope: dict[str, object], group: str,
             summary: str) -> str:
        effect = summary.split("\n", 1)[-1]
        if action == BulkAction.UNDO:
            task_id, note = self.publishing.undo(session_id, int(str(scope.get("push_task_id", 0))), user)
            show_quietly(lambda: self.thread.show_progress(session_id, bump=True))
            if task_id is None:
                return escape(note)
            return f"↩️ Confirmed by <@{user}>: undoing the last push — {effect[:1].lower() + effect[1:]}." + \
                (f" ({escape(note)})" if note else "")
        if action == BulkAction.PUSH:
            started = self.publishing.push_pending(session_id, user)
            show_quietly(lambda: self.thread.show_progress(session_id, bump=True))
            if started.to_push == 0:
                return escape(started.note)
            return f"🚀 Confirmed by <@{user}>: pushing — {effect}." + (f" ({escape(started.note)})"
                                                                       if started.note else "")
        ids = [int(str(i)) for i in scope.get("ticket_ids", []) or []]  # type: ignore[attr-defined]
        detail = f"{len(ids)} drafts" + (f" of {group}" if group else "")
        decision = self.publishing.approve_tickets(session_id, ids, user, action.value, detail)
        with self.uow_factory() as uow:
            for ticket_id in decision.approved:
                uow.tickets.get(ticket_id).slack_version += 1
            uow.commit()
        show_quietly(lambda: self.thread.show_progress(session_id, bump=True))
        show_quietly(lambda: self.thread.sync_drafts(session_id))
        done = f"✅ Confirmed by <@{user}>: approved {counted(len(decision.approved), 'draft')}"
        if decision.task_id is not None:
            done += f" — {effect}"
        return done + "." + (f" ({escape(decision.note)})" if decision.note else "")


def _undo_effect(plan: UndoPlan) -> str:
    who = f" by <@{plan.pushed_by}>" if plan.pushed_by and not plan.pushed_by.startswith("cli") else ""
    when = f" at {plan.finished_at:%H:%M} UTC" if plan.finished_at is not None else ""
    return (f"Remove {counted(plan.issues, 'issue')}, {counted(plan.epics, 'epic')} and {counted(plan.links, 'link')} "
            f"that the push{who}{when} created in {plan.project or 'Jira'}; its tickets go back to approved")
