"""The states of sessions, tasks, tickets, their Jira push and their links, and the named moves between them.

Each state is a `StrEnum`, stored as its value (the columns are plain strings, so a member equals the
string the database holds). A ticket's status changes only by a named transition (`approve`, `reject`,
`regenerate`, `rewritten`, `mark_pushed`, `withdraw`, `restore`, `unpush`): each says from which states it may be
taken, so that a move the rules do not allow fails loudly instead of being written. docs/states.md draws
the machines.
"""

from __future__ import annotations

from enum import StrEnum


class SessionStatus(StrEnum):
    COLLECTING = "collecting"  # uploads arrive; nothing generated yet
    PROCESSING = "processing"  # a generation run is queued or running
    REVIEW = "review"  # drafts written; people decide
    DONE = "done"  # closed by `new`: its thread is history
    FAILED = "failed"  # the run failed; `retry` starts the next generation
    CANCELLED = "cancelled"  # the run was stopped; tickets written so far are kept


class TaskStatus(StrEnum):
    QUEUED = "queued"  # waiting for a worker (also: handed back for a retry later)
    RUNNING = "running"  # a worker holds its lease
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        """Still to be run or running: the sweeper and a new claim look at these only."""
        return self in (TaskStatus.QUEUED, TaskStatus.RUNNING)


class TicketStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"  # a person accepted it; the push takes it to Jira
    REJECTED = "rejected"
    REGENERATING = "regenerating"  # a 🔁 is rewriting it
    PUSHED = "pushed"  # its Jira issue exists
    WITHDRAWN = "withdrawn"  # its rows left the spec: kept, never deleted


class JiraState(StrEnum):
    """A ticket's (or an epic's) way to Jira, the outbox of docs/exactly-once.md."""

    NONE = "none"  # not asked for
    CREATING = "creating"  # the create is being sent: if we die now, a label search decides
    NEEDS_RECONCILE = "needs_reconcile"  # the create got no answer: searched for before any new create
    CREATED = "created"
    FAILED = "failed"  # Jira refused it for a reason a person must fix
    # A revised spec's changed or removed ticket, whose issue exists already (jobs/publishing/revision.py):
    UPDATING = "updating"  # the new description and the change comment are being written: if we die, the
    #                        issue is read and our marked comment looked for before anything is sent again
    CLOSING = "closing"  # the removal comment and the close (or obsolete label) are being written, the same way
    EDITED_IN_JIRA = "edited_in_jira"  # a person changed the issue in Jira since our last write: nothing is
    #                                    overwritten until someone says so (`push confirm overwrite SPEC_KEY`)
    CLOSED = "closed"  # a removed ticket's issue: commented, closed or labelled obsolete (never deleted)


class MessageState(StrEnum):
    """A bot message in the Slack outbox (docs/exactly-once.md): the intent is stored before the post."""

    INTENT = "intent"  # about to be posted, or maybe posted: found again by its metadata key
    POSTED = "posted"  # its ts is stored
    FAILED = "failed"  # given up after its attempts; the sweeper says so


class ConfirmationState(StrEnum):
    """A bulk action's confirmation: it leaves `pending` once (one conditional update), so it acts once."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class LinkState(StrEnum):
    NONE = "none"
    CREATING = "creating"
    CREATED = "created"
    FAILED = "failed"  # Jira refused it (an issue deleted since); reported
    # A link of an earlier version's graph that the revised graph no longer has (jobs/publishing/revision.py):
    REMOVING = "removing"  # the delete is being sent: if we die, the links are read before sending again
    REMOVED = "removed"


# Keep-on-retry: a new generation never rewrites what a person accepted.
ACCEPTED = frozenset({TicketStatus.APPROVED, TicketStatus.PUSHED})


class IllegalTransition(Exception):
    """A ticket was asked to move in a way the rules do not allow (a programming error, not a user's)."""

    def __init__(self, name: str, status: str) -> None:
        super().__init__(f"cannot {name} a ticket that is {status}")
        self.name = name
        self.status = status


# name → (the states it may be taken from, the state it leads to)
TICKET_TRANSITIONS: dict[str, tuple[frozenset[TicketStatus], TicketStatus]] = {
    "approve": (frozenset({TicketStatus.DRAFT, TicketStatus.REJECTED}), TicketStatus.APPROVED),
    "reject": (frozenset({TicketStatus.DRAFT, TicketStatus.APPROVED}), TicketStatus.REJECTED),
    # Also from regenerating: a 🔁 whose task is gone (its worker died before it could say) may be asked again.
    "regenerate": (frozenset({TicketStatus.DRAFT, TicketStatus.REJECTED, TicketStatus.APPROVED,
                              TicketStatus.REGENERATING}), TicketStatus.REGENERATING),
    "rewritten": (frozenset({TicketStatus.REGENERATING}), TicketStatus.DRAFT),  # the answer came, or failed
    "mark_pushed": (frozenset({TicketStatus.APPROVED}), TicketStatus.PUSHED),
    "withdraw": (frozenset({TicketStatus.DRAFT, TicketStatus.REJECTED, TicketStatus.REGENERATING}),
                 TicketStatus.WITHDRAWN),
    "restore": (frozenset({TicketStatus.WITHDRAWN}), TicketStatus.DRAFT),  # its rows came back
    # `/generate-tickets undo`: the push that made its issue was undone; approved again, waiting for a push.
    "unpush": (frozenset({TicketStatus.PUSHED}), TicketStatus.APPROVED),
}


def ticket_move(status: str, name: str) -> TicketStatus:
    """The status a ticket in `status` reaches by transition `name`; IllegalTransition if it may not."""
    sources, target = TICKET_TRANSITIONS[name]
    if TicketStatus(status) not in sources:
        raise IllegalTransition(name, status)
    return target


def may(status: str, name: str) -> bool:
    return TicketStatus(status) in TICKET_TRANSITIONS[name][0]
