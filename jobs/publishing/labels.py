"""The labels ticketbot puts on Jira issues, in one place: how a lost create is found again, and by whom.

Every issue carries `ticketbot`, its session's label and its own; an epic carries a label of its
(deployment, project, site, group). Reconciliation searches by these (docs/exactly-once.md), so their
shapes are part of the exactly-once rules: change them only with a migration for what exists.
"""

from __future__ import annotations

import hashlib
import secrets

from storage.models import TicketRecord


def issue_label(instance: str, ticket: TicketRecord) -> str:
    """The label unique to a ticket's issue (docs/design.md §10), by which a lost create is found again.

    Ticket ids are small numbers that other deployments on the same Jira, and this one after a backup
    restore, use too: the deployment's random id and a random part of the ticket's own keep the label
    unique. It is stored on the ticket before the create is sent (`jira_label`) and searched as stored.
    """
    return f"ticketbot-{instance}-t{ticket.id}-{secrets.token_hex(3)}"


def session_label(instance: str, session_id: int) -> str:
    return f"ticketbot-{instance}-s{session_id}"


def legacy_session_label(session_id: int) -> str:
    """The session label of creates sent before labels carried the instance id (migration 0003)."""
    return f"ticketbot-s{session_id}"


def stored_label(ticket: TicketRecord) -> str:
    """The label the ticket's create carried (older rows without one had `ticketbot-t<id>`)."""
    return ticket.jira_label or f"ticketbot-t{ticket.id}"


def epic_label(instance: str, project: str, site: str, group: str) -> str:
    """The label unique to this deployment's epic of (project, site, group), by which a lost create is found.

    Stored with the epic's record when first added: epics of older versions keep the label they have.
    """
    return "ticketbot-epic-" + hashlib.sha1(f"{instance}|{project}|{site}|{group}".encode()).hexdigest()[:12]


def push_label(instance: str, push_task_id: int) -> str:
    """The label of every issue and epic one push created: `undo` finds exactly that push's set by it.

    The push's task id is unique in this database and the instance id keeps it apart from other
    deployments' pushes on the same Jira.
    """
    return f"ticketbot-{instance}-p{push_task_id}"


UNDONE_LABEL = "ticketbot-undone"  # on an issue `undo` could not delete: closed and marked instead
