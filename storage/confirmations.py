"""Bulk confirmations: asked for once, decided once (docs/design.md §9, "Bulk actions … ask for a confirmation")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.errors import NotFound
from storage.models import BulkConfirmationRecord


class BulkConfirmationRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add(self, *, session_id: int, channel_id: str, requested_by: str, action: str, group: str,
            scope: dict[str, Any], summary: str, created_at: datetime, expires_at: datetime) -> BulkConfirmationRecord:
        record = BulkConfirmationRecord(session_id=session_id, channel_id=channel_id, requested_by=requested_by,
                                        action=action, group=group, scope=scope, summary=summary,
                                        created_at=created_at, expires_at=expires_at, state="pending")
        self.db.add(record)
        self.db.flush()
        return record

    def get(self, confirmation_id: int) -> BulkConfirmationRecord:
        record = self.db.get(BulkConfirmationRecord, confirmation_id)
        if record is None:
            raise NotFound(f"confirmation {confirmation_id}")
        return record

    def find(self, confirmation_id: int) -> BulkConfirmationRecord | None:
        return self.db.get(BulkConfirmationRecord, confirmation_id)

    def decide(self, confirmation_id: int, state: str, actor: str, now: datetime) -> bool:
        """pending → `state`, once: False when another click (or a Slack retry) decided it first, or it expired.

        One conditional UPDATE, so two clicks arriving together cannot both see `pending`.
        """
        conditions = [BulkConfirmationRecord.id == confirmation_id, BulkConfirmationRecord.state == "pending"]
        if state == "confirmed":
            conditions.append(BulkConfirmationRecord.expires_at > now)
        result = self.db.execute(update(BulkConfirmationRecord).where(*conditions)
                                 .values(state=state, decided_by=actor, decided_at=now)
                                 .execution_options(synchronize_session=False))
        return bool(getattr(result, "rowcount", 0))

    def pending_for(self, session_id: int) -> list[BulkConfirmationRecord]:
        return list(self.db.scalars(select(BulkConfirmationRecord).where(
            BulkConfirmationRecord.session_id == session_id, BulkConfirmationRecord.state == "pending")))
