"""Repositories of the Slack side: the message outbox and per-channel settings. They never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import (
    ChannelSettingsRecord,
    SessionRecord,
    SlackMessageRecord,
    TaskRecord,
    TicketRecord,
    utcnow,
)


class SlackMessageRepository:
    """The outbox: one row per bot message, keyed by what it is (`progress:s12`, `draft:t345` …)."""

    def __init__(self, db: Session) -> None:
        self.db = db

    def get(self, key: str, *, for_update: bool = False) -> SlackMessageRecord | None:
        query = select(SlackMessageRecord).where(SlackMessageRecord.key == key)
        if for_update:
            query = query.with_for_update()
        return self.db.scalars(query).first()

    def by_ts(self, channel_id: str, ts: str) -> SlackMessageRecord | None:
        return self.db.scalars(
            select(SlackMessageRecord).where(SlackMessageRecord.channel_id == channel_id, SlackMessageRecord.ts == ts)
        ).first()

    def for_tickets(self, ticket_ids: list[int]) -> list[SlackMessageRecord]:
        if not ticket_ids:
            return []
        return list(self.db.scalars(select(SlackMessageRecord).where(SlackMessageRecord.ticket_id.in_(ticket_ids))))

    def claim(self, key: str, **fields: Any) -> tuple[SlackMessageRecord, bool]:
        """The row for `key`; True when this call stored the intent (so this caller posts)."""
        existing = self.get(key)
        if existing is not None:
            return existing, False
        savepoint = self.db.begin_nested()
        try:
            record = SlackMessageRecord(key=key, state="intent", attempts=1, **fields)
            self.db.add(record)
            self.db.flush()
        except IntegrityError:  # another process stored the same intent first: it posts, not us
            savepoint.rollback()
            found = self.get(key)
            assert found is not None
            return found, False
        savepoint.commit()
        return record, True

    def take_over(self, key: str, seen_attempts: int) -> bool:
        """Claim a stale or failed intent once (compare-and-set on the attempt count)."""
        result = self.db.execute(
            update(SlackMessageRecord)
            .where(SlackMessageRecord.key == key, SlackMessageRecord.state == "intent",
                   SlackMessageRecord.attempts == seen_attempts)
            .values(attempts=SlackMessageRecord.attempts + 1, last_error=None, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    def want(self, key: str) -> int:
        """Bump the version a message should show; returns it (0 when there is no such message)."""
        self.db.execute(
            update(SlackMessageRecord).where(SlackMessageRecord.key == key)
            .values(version_wanted=SlackMessageRecord.version_wanted + 1)
            .execution_options(synchronize_session=False)
        )
        record = self.db.scalars(select(SlackMessageRecord).where(SlackMessageRecord.key == key)
                                 .execution_options(populate_existing=True)).first()
        return record.version_wanted if record is not None else 0

    def mark_shown(self, key: str, version: int) -> int:
        """Record that `version` is in Slack now (versions only go up); returns the version wanted."""
        self.db.execute(
            update(SlackMessageRecord)
            .where(SlackMessageRecord.key == key, SlackMessageRecord.version_posted < version)
            .values(version_posted=version)
            .execution_options(synchronize_session=False)
        )
        record = self.db.scalars(select(SlackMessageRecord).where(SlackMessageRecord.key == key)
                                 .execution_options(populate_existing=True)).first()
        return record.version_wanted if record is not None else 0

    def sessions_needing_sync(self, now: datetime, quiet_since: datetime, max_attempts: int,
                              limit: int = 20) -> list[int]:
        """Slack threads behind the database: drafts not posted or not up to date, stale intents.

        Sessions with a generation running under a live lease are left to that run's worker, and
        sessions whose messages changed since `quiet_since` to whoever is changing them.
        """
        running = select(TaskRecord.session_id).where(
            TaskRecord.type == "generate", TaskRecord.status.in_(("queued", "running")),
            TaskRecord.lease_expires_at > now,
        )
        drafts = (
            select(TicketRecord.session_id)
            .join(SessionRecord, SessionRecord.id == TicketRecord.session_id)
            .outerjoin(SlackMessageRecord, SlackMessageRecord.ticket_id == TicketRecord.id)
            .where(
                SessionRecord.thread_ts.is_not(None),
                SessionRecord.digest_mode.is_not(True),  # a digest session's drafts have no message each
                TicketRecord.change_kind != "unchanged",  # a revised spec's unchanged tickets are not posted
                TicketRecord.updated_at < quiet_since,
                or_(
                    SlackMessageRecord.id.is_(None),
                    (SlackMessageRecord.state == "intent") & (SlackMessageRecord.attempts < max_attempts)
                    & (SlackMessageRecord.updated_at < quiet_since),
                    (SlackMessageRecord.state == "posted")
                    & (SlackMessageRecord.version_posted < TicketRecord.slack_version),
                ),
            )
        )
        others = select(SlackMessageRecord.session_id).where(
            SlackMessageRecord.session_id.is_not(None),
            SlackMessageRecord.key.like("progress:%"),
            SlackMessageRecord.updated_at < quiet_since,
            or_(
                (SlackMessageRecord.state == "intent") & (SlackMessageRecord.attempts < max_attempts),
                (SlackMessageRecord.state == "posted")
                & (SlackMessageRecord.version_posted < SlackMessageRecord.version_wanted),
            ),
        )
        # Digest sessions: tickets not on a page yet, pages not posted, pages behind their tickets (a page's
        # content version is the sum of its tickets' slack_version + 1: jobs/thread/digests.py).
        unplaced = (
            select(TicketRecord.session_id)
            .join(SessionRecord, SessionRecord.id == TicketRecord.session_id)
            .where(SessionRecord.thread_ts.is_not(None), SessionRecord.digest_mode.is_(True),
                   TicketRecord.digest_key.is_(None), TicketRecord.status != "withdrawn",
                   TicketRecord.change_kind != "unchanged",
                   TicketRecord.updated_at < quiet_since)
        )
        page_version = (
            select(func.coalesce(func.sum(TicketRecord.slack_version + 1), 0))
            .where(TicketRecord.digest_key == SlackMessageRecord.key)
            .scalar_subquery()
        )
        pages = select(SlackMessageRecord.session_id).where(
            SlackMessageRecord.session_id.is_not(None),
            SlackMessageRecord.key.like("digest:%"),
            SlackMessageRecord.updated_at < quiet_since,
            or_(
                (SlackMessageRecord.state == "intent") & (SlackMessageRecord.attempts < max_attempts),
                (SlackMessageRecord.state == "posted") & (SlackMessageRecord.version_posted < page_version),
            ),
        )
        # A session whose messages changed lately has a process at work on it (a run's end posting its
        # drafts, a reaction being shown): leave it alone until it has been quiet for a while.
        busy = select(SlackMessageRecord.session_id).where(SlackMessageRecord.updated_at >= quiet_since,
                                                           SlackMessageRecord.session_id.is_not(None))
        ids: set[int] = set()
        for query in (drafts, others, unplaced, pages):
            column = query.selected_columns[0]
            ids.update(i for i in self.db.scalars(query.where(~column.in_(running), ~column.in_(busy))
                                                  .distinct().limit(limit)) if i is not None)
        return sorted(ids)[:limit]


class ChannelSettingsRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get(self, channel_id: str) -> ChannelSettingsRecord | None:
        return self.db.get(ChannelSettingsRecord, channel_id)

    def locked(self, channel_id: str, updated_by: str) -> ChannelSettingsRecord:
        """The channel's row, created when missing, locked until the transaction ends.

        Two first writers of a channel meet in ON CONFLICT DO NOTHING (the later one waits for the
        earlier, then finds its row) instead of one of them failing on the primary key.
        """
        dialect = self.db.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        self.db.execute(
            insert(ChannelSettingsRecord)
            .values(channel_id=channel_id, extra={}, updated_by=updated_by)
            .on_conflict_do_nothing(index_elements=["channel_id"])
        )
        return self.db.scalars(
            select(ChannelSettingsRecord).where(ChannelSettingsRecord.channel_id == channel_id)
            .with_for_update().execution_options(populate_existing=True)
        ).one()

    def set(self, channel_id: str, updated_by: str, **fields: Any) -> ChannelSettingsRecord:
        record = self.locked(channel_id, updated_by)
        for name, value in fields.items():
            setattr(record, name, value)
        record.updated_by = updated_by
        self.db.flush()
        return record
