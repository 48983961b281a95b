"""How a run tells the world what happened: the Slack thread in the bot, the terminal in the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from integrations.tickets import Usage


@dataclass(frozen=True)
class ProgressUpdate:
    session_id: int
    task_id: int
    percentage: float
    stage: str
    done: int
    total: int
    group: str = ""
    group_index: int = 0
    group_count: int = 0
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True)
class RunOutcome:
    session_id: int
    task_id: int
    status: str  # completed | failed | cancelled
    message: str = ""
    category: str = ""
    tickets: int = 0
    fallbacks: int = 0
    usage: Usage = field(default_factory=Usage)


class RunNotifier(Protocol):
    def progress(self, update: ProgressUpdate) -> None: ...

    def ticket_written(self, session_id: int, ticket_id: int) -> None: ...

    def run_finished(self, outcome: RunOutcome) -> None: ...


class SilentNotifier:
    """For runs nobody watches live (the CLI follows the database instead)."""

    def progress(self, update: ProgressUpdate) -> None:
        pass

    def ticket_written(self, session_id: int, ticket_id: int) -> None:
        pass

    def run_finished(self, outcome: RunOutcome) -> None:
        pass
