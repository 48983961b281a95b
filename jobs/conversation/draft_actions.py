"""The buttons on a draft (and the overflow menu of a digest line): Approve, Regenerate, Reject, Edit, View.

The same rules as reactions (jobs/conversation/reactions.py): the channel must be one the bot works in, the
ticket must belong to that channel's sessions, and only approvers (when set) may change anything; View is
for anyone in the channel. A double click acts once: the same person, action and ticket within
`CLICK_WINDOW_S` counts as one click (interactive payloads carry no event id to dedupe on).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from integrations.slack.modals import TicketModalView
from integrations.slack.text import escape
from integrations.tickets import details_from_dict
from integrations.writers.base import takes_guidance
from jobs.conversation.reactions import ReactionOutcome, ReviewService
from jobs.errors import Category, ProcessingError
from jobs.generation import person_edit
from jobs.generation.person_edit import PersonEdit
from jobs.tasks.clock import Clock, system_clock
from storage.uow import UnitOfWorkFactory

CLICK_WINDOW_S = 5.0
VERBS = {"approve": "approve drafts", "reject": "reject drafts", "regenerate": "regenerate drafts",
         "edit": "edit drafts"}
# A thread reply asking for a rewrite: "🔁 3 split the display configuration out", ":repeat: node.type.page …"
REPLY_PREFIX = re.compile(r"^\s*(?:🔁|:repeat:|:arrows_counterclockwise:)\s*")
REPLY_TARGET = re.compile(r"^(?:#?(\d{1,5})\b|([a-z0-9_]+(?:\.[a-z0-9_]+){1,4}))[\s:,.—-]*", re.IGNORECASE)
REPLY_HELP = ("To rewrite a draft from a reply, start it with 🔁, then the draft's number or spec key, then "
              "what should change: `🔁 3 split the display configuration out`.")


@dataclass(frozen=True)
class Click:
    channel: str
    user: str
    verb: str  # approve | regenerate | reject | edit | view
    ticket_id: int


class DraftActions:
    """What a click on a draft does, who may, and what the modals show."""

    def __init__(self, *, uow_factory: UnitOfWorkFactory, review: ReviewService, clock: Clock = system_clock,
                 max_regenerations: int = 3) -> None:
        self.uow_factory = uow_factory
        self.review = review
        self.access = review.access
        self.writer = review.processing.writer
        self.clock = clock
        self.max_regenerations = max_regenerations

    # ---- who and once ---------------------------------------------------------------------------------

    def first_click(self, click: Click) -> bool:
        """False for the second click of a double click (same person, action, ticket, within the window)."""
        key = f"click:{click.user}:{click.verb}:{click.ticket_id}"[:128]
        with self.uow_factory() as uow:
            first = uow.events.first_within(key, "block_actions", timedelta(seconds=CLICK_WINDOW_S), self.clock())
            uow.commit()
            return first

    def refusal(self, click: Click) -> str | None:
        """Why this person may not do this here (a private note), or None."""
        if not self.access.allowed(click.channel) or not self._in_channel(click.ticket_id, click.channel):
            return "That draft is not one of this channel's: nothing was done."
        if click.verb in VERBS and not self.access.may_change(click.channel, click.user):
            return self.review.not_allowed(click.channel, VERBS[click.verb])
        return None

    def _in_channel(self, ticket_id: int, channel: str) -> bool:
        with self.uow_factory() as uow:
            ticket = uow.tickets.find(ticket_id)
            return ticket is not None and uow.sessions.get(ticket.session_id).channel_id == channel

    # ---- the decisions --------------------------------------------------------------------------------

    def decide(self, click: Click) -> ReactionOutcome:
        """Approve or Reject, as the reactions do."""
        return self.review.decide_draft(click.verb, click.ticket_id, click.user)

    def regenerate(self, click: Click, guidance: str = "", replace_edit: bool = False) -> ReactionOutcome:
        return self.review.decide_draft("regenerate", click.ticket_id, click.user, guidance=guidance,
                                        replace_edit=replace_edit)

    def edit(self, click: Click, values: dict[str, str]) -> ReactionOutcome:
        """Store a person's edit (only the fields that changed) and show it on the draft."""
        problems = person_edit.validate(values)
        if problems:
            return ReactionOutcome(ephemeral=escape(" ".join(problems.values())))
        modal = self.modal_view(click.ticket_id, click.channel)
        from integrations.slack.modals import edit_offers

        with self.uow_factory() as uow:
            ticket = uow.tickets.get(click.ticket_id, for_update=True)
            if not person_edit.may_edit(ticket):
                return ReactionOutcome(ticket_id=ticket.id, ephemeral=(
                    f"This ticket is {escape(ticket.status)} and on its way to Jira (or in it): it can no longer be "
                    "edited here; change it in Jira."))
            current = person_edit.current_values(ticket.title, ticket.user_story, ticket.analysis, ticket.details)
            changed = person_edit.changed_fields(current, values, edit_offers(modal))
            if not changed:
                return ReactionOutcome(ticket_id=ticket.id, ephemeral="Nothing changed: the draft stays as it was.")
            edit = person_edit.merged(PersonEdit.of(ticket.person_edit), changed, click.user, self.clock())
            ticket.person_edit = edit.to_dict()
            person_edit.overlay(ticket, edit)
            ticket.slack_version += 1
            uow.audit.record(click.user, "edit", session_id=ticket.session_id, ticket_id=ticket.id,
                             detail=", ".join(person_edit.EDITABLE[f].lower() for f in changed))
            uow.commit()
        self.review.show_draft(click.ticket_id)
        return ReactionOutcome("edit", ticket_id=click.ticket_id)

    def regenerate_from_reply(self, channel: str, thread_ts: str, user: str, text: str) -> ReactionOutcome:
        """A thread reply "🔁 3 what should change": the same as the Regenerate modal with that guidance."""
        rest = REPLY_PREFIX.sub("", text, count=1)
        target = REPLY_TARGET.match(rest)
        if target is None:
            return ReactionOutcome(ephemeral=REPLY_HELP)
        guidance = rest[target.end():].strip()
        with self.uow_factory() as uow:
            session_id = next((m.session_id for m in [uow.messages.by_ts(channel, thread_ts)] if m is not None),
                              None)
            if session_id is None:
                root = uow.sessions.by_thread(channel, thread_ts)
                session_id = root.id if root is not None else None
            if session_id is None:
                return ReactionOutcome()  # not one of our threads: a person talking
            tickets = uow.tickets.for_session(session_id)
            number, key = target.group(1), target.group(2)
            found = next((t for t in tickets if (number and t.position == int(number)) or t.spec_key == key), None)
            ticket_id = found.id if found is not None else None
        if ticket_id is None:
            return ReactionOutcome(session_id=session_id, ephemeral=(
                f"No draft {escape(number or key or '')} in this thread. " + REPLY_HELP))
        click = Click(channel, user, "regenerate", ticket_id)
        refused = self.refusal(click)
        if refused:
            return ReactionOutcome(ticket_id=ticket_id, ephemeral=refused)
        return self.regenerate(click, guidance)

    def editable(self, ticket_id: int) -> bool:
        with self.uow_factory() as uow:
            ticket = uow.tickets.find(ticket_id)
            return ticket is not None and person_edit.may_edit(ticket)

    # ---- what the modals show -------------------------------------------------------------------------

    def modal_view(self, ticket_id: int, channel: str) -> TicketModalView:
        with self.uow_factory() as uow:
            ticket = uow.tickets.find(ticket_id)
            if ticket is None:
                raise ProcessingError("that draft no longer exists", Category.USER_FIXABLE)
            details = details_from_dict(ticket.details)
            estimate = details["estimate"]
            edit = PersonEdit.of(ticket.person_edit)
            return TicketModalView(
                ticket_id=ticket.id, channel=channel, title=ticket.title, group=ticket.group,
                spec_key=ticket.spec_key, status=ticket.status, user_story=ticket.user_story,
                analysis=ticket.analysis, acceptance=details["acceptance"],
                verification=tuple(str(v) for v in ticket.verification or ()),
                depends_on=tuple(str(d) for d in ticket.depends_on or ()),
                estimate=estimate.describe() if estimate else "", estimate_size=estimate.size if estimate else "",
                open_questions=details["open_questions"], risks=details["risks"],
                sources=tuple(f"{s.get('file', '')} row {s.get('row', '')}" for s in _dicts(ticket.sources)),
                edited_by=edit.by if edit else "", edited_at=edit.at if edit else "",
                edited_fields=tuple(edit.names()) if edit else (), regenerations=ticket.regeneration_count,
                max_regenerations=self.max_regenerations, takes_guidance=takes_guidance(self.writer),
                jira_key=ticket.jira_key or "",
            )


def _dicts(items: Any) -> list[dict[str, Any]]:
    return [i for i in items or () if isinstance(i, dict)]
