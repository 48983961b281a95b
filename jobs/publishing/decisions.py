"""What a person's decision on tickets returns: the answers the Slack side and the CLI show.

Plain values, apart from the service that makes them, so that the port the conversation room uses
(jobs/conversation/publisher_port.py) can name them without importing the publisher.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    """A ticket after approve, reject or confirm; `changed` is False when it already was so."""

    ticket_id: int
    session_id: int
    status: str
    changed: bool
    jira_key: str | None = None
    jira_url: str | None = None
    task_id: int | None = None
    note: str = ""  # plain words for the user: Jira not configured, queue unreachable …


@dataclass(frozen=True)
class BulkDecision:
    session_id: int
    approved: list[int]  # tickets that changed to approved, in dependency order
    to_push: int  # approved tickets not in Jira yet (these included)
    task_id: int | None = None
    note: str = ""


@dataclass(frozen=True)
class PushStart:
    session_id: int
    task_id: int | None
    to_push: int
    note: str = ""
