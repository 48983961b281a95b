"""The unit of work: one database transaction with the repositories that work inside it."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from storage.confirmations import BulkConfirmationRepository
from storage.repositories import (
    AuditRepository,
    ErrorRepository,
    EventRepository,
    InstanceRepository,
    JiraEpicRepository,
    RevisionRepository,
    SessionRepository,
    TaskRepository,
    TicketRepository,
    UploadRepository,
)
from storage.slack_repositories import ChannelSettingsRepository, SlackMessageRepository


class UnitOfWork:
    """`with uow_factory() as uow: …; uow.commit()` — anything not committed is rolled back."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def __enter__(self) -> UnitOfWork:
        self.db = self._session_factory()
        self.sessions = SessionRepository(self.db)
        self.uploads = UploadRepository(self.db)
        self.tasks = TaskRepository(self.db)
        self.tickets = TicketRepository(self.db)
        self.errors = ErrorRepository(self.db)
        self.events = EventRepository(self.db)
        self.audit = AuditRepository(self.db)
        self.epics = JiraEpicRepository(self.db)
        self.messages = SlackMessageRepository(self.db)  # the Slack outbox
        self.channels = ChannelSettingsRepository(self.db)
        self.instance = InstanceRepository(self.db)
        self.revisions = RevisionRepository(self.db)
        self.confirmations = BulkConfirmationRepository(self.db)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self.db.rollback()
        finally:
            self.db.close()

    def commit(self) -> None:
        self.db.commit()

    def rollback(self) -> None:
        self.db.rollback()


UnitOfWorkFactory = Callable[[], UnitOfWork]


def unit_of_work_factory(session_factory: sessionmaker[Session]) -> UnitOfWorkFactory:
    return lambda: UnitOfWork(session_factory)
