"""Reactions in a session's thread: approve, regenerate, reject a draft; approve all, retry, cancel a run."""

from __future__ import annotations

from dataclasses import dataclass

from integrations.slack.blocks import Message
from integrations.slack.confirmation_blocks import confirmation_message
from integrations.slack.text import escape
from jobs.conversation.channels import ChannelAccess
from jobs.conversation.confirmations import BulkAction, BulkConfirmations
from jobs.conversation.publisher_port import TicketPublisher
from jobs.errors import ProcessingError
from jobs.generation.service import ProcessingService
from jobs.thread.outbox import SlackThread, show_quietly
from storage.uow import UnitOfWorkFactory

APPROVE = frozenset({"white_check_mark", "heavy_check_mark", "+1", "thumbsup", "ballot_box_with_check"})
# On the progress message only the check marks ask to approve everything: 👍 is too casual for 400 issues.
APPROVE_ALL = frozenset({"white_check_mark", "heavy_check_mark"})
REGENERATE = frozenset({"repeat", "arrows_counterclockwise"})
REJECT = frozenset({"x"})
DRAFT_ACTIONS = {**dict.fromkeys(APPROVE, "approve"), **dict.fromkeys(REGENERATE, "regenerate"),
                 **dict.fromkeys(REJECT, "reject")}
RUN_ACTIONS = {**dict.fromkeys(APPROVE, "approve_all"), **dict.fromkeys(REGENERATE, "retry"),
               **dict.fromkeys(REJECT, "cancel")}
ACTION_VERBS = {"approve": "approve drafts", "reject": "reject drafts", "regenerate": "regenerate drafts",
                "approve_all": "approve all drafts", "retry": "retry a generation", "cancel": "cancel a run"}


def normalise(reaction: str) -> str:
    """`+1::skin-tone-3` → `+1`: skin tones do not change what a reaction means."""
    return reaction.split("::", 1)[0].strip(":").lower()


@dataclass(frozen=True)
class Reaction:
    channel: str
    ts: str  # the message reacted to
    user: str
    name: str


@dataclass(frozen=True)
class ReactionOutcome:
    action: str = ""  # what was done ("" when the reaction meant nothing here)
    session_id: int | None = None
    ticket_id: int | None = None
    ephemeral: str = ""  # a private note for the reactor (not allowed, not possible …)
    confirmation: Message | None = None  # a bulk action's confirmation, shown to the reactor only


class ReviewService:
    def __init__(self, *, uow_factory: UnitOfWorkFactory, processing: ProcessingService, publisher: TicketPublisher,
                 thread: SlackThread, access: ChannelAccess,
                 confirmations: BulkConfirmations) -> None:
        self.uow_factory = uow_factory
        self.confirmations = confirmations
        self.processing = processing
        self.publisher = publisher
        self.thread = thread
        self.access = access

    def react(self, reaction: Reaction) -> ReactionOutcome:
        """Act on a reaction to one of our drafts or progress messages; anything else is ignored."""
        name = normalise(reaction.name)
        if name not in DRAFT_ACTIONS or not self.access.allowed(reaction.channel):
            return ReactionOutcome()
        with self.uow_factory() as uow:
            record = uow.messages.by_ts(reaction.channel, reaction.ts)
            key = record.key if record is not None else ""
            ticket_id = record.ticket_id if record is not None else None
            session_id = record.session_id if record is not None else None
        if key.startswith("draft:") and ticket_id is not None:
            action = DRAFT_ACTIONS[name]
        elif key.startswith("progress:") and session_id is not None:
            action = RUN_ACTIONS[name]
            if action == "approve_all" and name not in APPROVE_ALL:
                return ReactionOutcome(session_id=session_id, ephemeral=(
                    "👍 approves one draft (react on the draft). To approve all drafts, react ✅ on this message "
                    "and confirm."))
        else:
            return ReactionOutcome()  # not a message of ours that takes reactions
        if not self.access.may_change(reaction.channel, reaction.user):
            return ReactionOutcome(session_id=session_id, ticket_id=ticket_id,
                                   ephemeral=self.not_allowed(reaction.channel, ACTION_VERBS[action]))
        try:
            if ticket_id is not None:
                self._on_draft(action, ticket_id, reaction.user)
            elif action == "approve_all":
                assert session_id is not None
                asked = self.confirmations.ask(session_id, reaction.user, BulkAction.APPROVE_ALL)
                if asked.view is None:
                    return ReactionOutcome("", session_id, None, escape(asked.note))
                return ReactionOutcome("confirm", session_id, None, confirmation=confirmation_message(asked.view))
            else:
                assert session_id is not None
                note = self._on_run(action, session_id, reaction.user)
                if note:
                    return ReactionOutcome(action, session_id, None, note)
        except ProcessingError as exc:
            return ReactionOutcome("", session_id, ticket_id, escape(_sentence(exc.message)))
        return ReactionOutcome(action, session_id, ticket_id)

    def thread_of(self, session_id: int | None) -> str | None:
        """The session's thread, where its ephemeral confirmations appear."""
        if session_id is None:
            return None
        with self.uow_factory() as uow:
            return uow.sessions.get(session_id).thread_ts or None

    def not_allowed(self, channel: str, what: str) -> str:
        approvers = self.access.config(channel).approvers
        people = ", ".join(f"<@{a}>" for a in approvers)
        return f"Only the approvers of this channel may {what}: {people}."

    # ---- drafts -----------------------------------------------------------------------------------

    def decide_draft(self, action: str, ticket_id: int, actor: str, *, guidance: str = "",
                     replace_edit: bool = False) -> ReactionOutcome:
        """A button's decision (approve | reject | regenerate) once its rules were checked: as a reaction's."""
        try:
            note = self._on_draft(action, ticket_id, actor, guidance=guidance, replace_edit=replace_edit)
        except ProcessingError as exc:
            return ReactionOutcome("", None, ticket_id, escape(_sentence(exc.message)))
        return ReactionOutcome(action, None, ticket_id, note)

    def show_draft(self, ticket_id: int) -> None:
        """Edit the draft's message (and the progress message's counts) after a change."""
        show_quietly(lambda: self.thread.show_draft(ticket_id, bump=True))
        with self.uow_factory() as uow:
            session_id = uow.tickets.get(ticket_id).session_id
        show_quietly(lambda: self.thread.show_progress(session_id, bump=True))  # its counts changed

    def _on_draft(self, action: str, ticket_id: int, actor: str, *, guidance: str = "",
                  replace_edit: bool = False) -> str:
        note = ""
        if action == "approve":
            self.publisher.approve(ticket_id, actor)
        elif action == "reject":
            self.publisher.reject(ticket_id, actor)
        else:
            started = self.processing.regenerate_ticket(ticket_id, requested_by=actor, guidance=guidance,
                                                        replace_edit=replace_edit)
            if started.already_running:
                note = "This draft is being rewritten already; its new text replaces it in place."
        self.show_draft(ticket_id)
        return note

    # ---- the run ----------------------------------------------------------------------------------

    def _on_run(self, action: str, session_id: int, actor: str) -> str:
        if action == "retry":
            started = self.processing.retry_processing(session_id, requested_by=actor)
            show_quietly(lambda: self.thread.show_progress(session_id, bump=True))
            if started.already_running:
                return "A generation is already running for this session; its progress is in the thread."
            return escape(started.queue_note)
        task_id = self.processing.cancel_processing(session_id, requested_by=actor)
        show_quietly(lambda: self.thread.show_progress(session_id, bump=True))
        return "" if task_id is not None else "No generation is running in this session."


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."
