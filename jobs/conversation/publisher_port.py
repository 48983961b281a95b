"""What approval hands a ticket to: the Jira publisher, seen by the Slack side through this interface.

jobs/publishing/service.py `PublishingService` is the implementation (wired in bot/wiring/bootstrap.py): without Jira
settings, approved tickets wait in `approved` and `push` says Jira is not configured.
"""

from __future__ import annotations

from typing import Protocol

from jobs.publishing.decisions import BulkDecision, Decision, PushStart


class TicketPublisher(Protocol):
    def approve(self, ticket_id: int, actor: str) -> Decision: ...

    def approve_all(self, session_id: int, actor: str) -> BulkDecision: ...

    def push_pending(self, session_id: int, actor: str) -> PushStart: ...

    def reject(self, ticket_id: int, actor: str) -> Decision: ...
