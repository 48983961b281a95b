"""Repositories that speak the domain. They never commit: the unit of work does."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, load_only

from storage.errors import NotFound, UploadsFrozen
from storage.models import (
    ACTIVE_TASK_STATES,
    COLLECTING,
    OPEN_SESSION_STATES,
    AuditRecord,
    InstanceRecord,
    JiraEpicRecord,
    ProcessedEventRecord,
    ProcessingErrorRecord,
    RevisionBaselineRecord,
    SessionRecord,
    TaskRecord,
    TicketDependencyRecord,
    TicketRecord,
    UploadRecord,
    utcnow,
)


class SessionRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get(self, session_id: int, *, for_update: bool = False) -> SessionRecord:
        query = select(SessionRecord).where(SessionRecord.id == session_id)
        if for_update:
            query = query.with_for_update()
        record = self.db.scalars(query).first()
        if record is None:
            raise NotFound(f"session {session_id}")
        return record

    def open_in_channel(self, channel_id: str) -> SessionRecord | None:
        """The session the channel's commands are about: its running one, else the one collecting files."""
        return self.running_in_channel(channel_id) or self.collecting_in_channel(channel_id)

    def collecting_in_channel(self, channel_id: str) -> SessionRecord | None:
        """The channel's one session still taking uploads (its upload set not frozen yet), if any."""
        return self.db.scalars(
            select(SessionRecord).where(SessionRecord.channel_id == channel_id, SessionRecord.status == COLLECTING)
        ).first()

    def running_in_channel(self, channel_id: str) -> SessionRecord | None:
        """The channel's newest session whose generation is going."""
        return self.db.scalars(
            select(SessionRecord).where(SessionRecord.channel_id == channel_id, SessionRecord.status == "processing")
            .order_by(SessionRecord.id.desc())
        ).first()

    def freeze_uploads(self, session_id: int) -> bool:
        """Start the session's first generation: collecting → processing, once (compare-and-set).

        From here on its upload set never changes (see `UploadRepository.add`). The write comes first in
        the transaction so that it holds the row (PostgreSQL) or the database's write lock (SQLite)
        while the caller reads the files to plan: an upload stored at the same moment is either
        committed before and planned, or sees the session frozen and goes to the next session.
        """
        result = self.db.execute(
            update(SessionRecord).where(SessionRecord.id == session_id, SessionRecord.status == COLLECTING)
            .values(status="processing", updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    def latest_in_channel(self, channel_id: str) -> SessionRecord | None:
        return self.db.scalars(
            select(SessionRecord).where(SessionRecord.channel_id == channel_id).order_by(SessionRecord.id.desc())
        ).first()

    def latest_started_in_channel(self, channel_id: str) -> SessionRecord | None:
        """The channel's latest session past collecting (its files fixed): a new one begins after it."""
        return self.db.scalars(
            select(SessionRecord).where(SessionRecord.channel_id == channel_id, SessionRecord.status != COLLECTING)
            .order_by(SessionRecord.id.desc())
        ).first()

    def first_in_channel(self, channel_id: str) -> SessionRecord | None:
        return self.db.scalars(
            select(SessionRecord).where(SessionRecord.channel_id == channel_id).order_by(SessionRecord.id)
        ).first()

    def by_thread(self, channel_id: str, thread_ts: str) -> SessionRecord | None:
        """The channel's (first) session whose thread is rooted at `thread_ts`."""
        return self.db.scalars(
            select(SessionRecord).where(SessionRecord.channel_id == channel_id, SessionRecord.thread_ts == thread_ts)
        ).first()

    def prune(self, created_by: str, keep: int) -> int:
        """Delete all but the newest `keep` finished sessions created by `created_by` (their rows go with them)."""
        old = list(self.db.scalars(
            select(SessionRecord.id).where(SessionRecord.created_by == created_by,
                                           SessionRecord.status.not_in(OPEN_SESSION_STATES))
            .order_by(SessionRecord.id.desc()).offset(keep)
        ))
        if old:
            self.db.execute(delete(SessionRecord).where(SessionRecord.id.in_(old)))
        return len(old)

    def add(self, **fields: Any) -> SessionRecord:
        record = SessionRecord(**fields)
        self.db.add(record)
        self.db.flush()
        return record


class UploadRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def active(self, session_id: int) -> list[UploadRecord]:
        """The files a run plans from: everything uploaded, less files replaced by a same-named one."""
        return list(self.db.scalars(
            select(UploadRecord)
            .where(UploadRecord.session_id == session_id, UploadRecord.replaced_by_id.is_(None),
                   UploadRecord.removed_by.is_(None))
            .order_by(UploadRecord.id)
        ))

    def by_file_id(self, session_id: int, file_id: str) -> UploadRecord | None:
        return self.db.scalars(
            select(UploadRecord).where(UploadRecord.session_id == session_id, UploadRecord.file_id == file_id)
        ).first()

    def add(self, session_id: int, **fields: Any) -> UploadRecord:
        """Store a file; an active file with the same name is replaced (kept as history).

        Only into a session still collecting: UploadsFrozen once its generation has started. The check
        is a conditional write on the session row, so it waits for a start committing at the same
        moment and then sees its outcome (`SessionRepository.freeze_uploads` takes the same row).
        """
        still_open = self.db.execute(
            update(SessionRecord).where(SessionRecord.id == session_id, SessionRecord.status == COLLECTING)
            .values(updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if still_open.rowcount != 1:  # type: ignore[attr-defined]
            raise UploadsFrozen(f"session {session_id} no longer takes uploads")
        record = UploadRecord(session_id=session_id, **fields)
        self.db.add(record)
        self.db.flush()
        self.db.execute(
            update(UploadRecord)
            .where(
                UploadRecord.session_id == session_id,
                UploadRecord.name == record.name,
                UploadRecord.id != record.id,
                UploadRecord.replaced_by_id.is_(None),
            )
            .values(replaced_by_id=record.id)
        )
        return record

    def remove(self, session_id: int, upload_id: int, actor: str) -> bool:
        """Take a file out of a collecting session's upload set (kept as history); False once frozen."""
        still_open = self.db.execute(
            update(SessionRecord).where(SessionRecord.id == session_id, SessionRecord.status == COLLECTING)
            .values(updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if still_open.rowcount != 1:  # type: ignore[attr-defined]
            return False
        self.db.execute(update(UploadRecord).where(UploadRecord.id == upload_id, UploadRecord.session_id == session_id)
                        .values(removed_by=actor).execution_options(synchronize_session=False))
        return True

    def for_reply(self, session_id: int, reply_ts: str) -> list[UploadRecord]:
        """The files one Slack upload reply is about, in the order they were stored."""
        return list(self.db.scalars(
            select(UploadRecord).where(UploadRecord.session_id == session_id, UploadRecord.reply_ts == reply_ts)
            .order_by(UploadRecord.id)
        ))

    def count_active(self, session_id: int) -> int:
        return self.db.scalar(
            select(func.count()).select_from(UploadRecord).where(
                UploadRecord.session_id == session_id, UploadRecord.replaced_by_id.is_(None),
                UploadRecord.removed_by.is_(None)
            )
        ) or 0


class TaskRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get(self, task_id: int, *, for_update: bool = False) -> TaskRecord:
        query = select(TaskRecord).where(TaskRecord.id == task_id)
        if for_update:
            query = query.with_for_update()
        record = self.db.scalars(query).first()
        if record is None:
            raise NotFound(f"task {task_id}")
        return record

    def active_generation(self, session_id: int) -> TaskRecord | None:
        return self.db.scalars(
            select(TaskRecord).where(
                TaskRecord.session_id == session_id,
                TaskRecord.type == "generate",
                TaskRecord.status.in_(ACTIVE_TASK_STATES),
            )
        ).first()

    def active(self, session_id: int, type_: str) -> TaskRecord | None:
        """The session's queued or running task of this type (the oldest, should there be two)."""
        return self.db.scalars(
            select(TaskRecord)
            .where(TaskRecord.session_id == session_id, TaskRecord.type == type_,
                   TaskRecord.status.in_(ACTIVE_TASK_STATES))
            .order_by(TaskRecord.id)
        ).first()

    def latest(self, session_id: int, type_: str = "generate") -> TaskRecord | None:
        return self.db.scalars(
            select(TaskRecord)
            .where(TaskRecord.session_id == session_id, TaskRecord.type == type_)
            .order_by(TaskRecord.id.desc())
        ).first()

    def active_for_ticket(self, ticket_id: int) -> TaskRecord | None:
        return self.db.scalars(
            select(TaskRecord).where(TaskRecord.ticket_id == ticket_id, TaskRecord.status.in_(ACTIVE_TASK_STATES))
        ).first()

    def add(self, **fields: Any) -> TaskRecord:
        record = TaskRecord(**fields)
        self.db.add(record)
        self.db.flush()
        return record

    def claim_lease(self, task_id: int, owner: str, until: datetime, now: datetime) -> bool:
        """Take the task's lease if it is free, expired or already ours (compare-and-set)."""
        result = self.db.execute(
            update(TaskRecord)
            .where(
                TaskRecord.id == task_id,
                TaskRecord.status.in_(ACTIVE_TASK_STATES),
                or_(TaskRecord.lease_owner.is_(None), TaskRecord.lease_owner == owner,
                    TaskRecord.lease_expires_at.is_(None), TaskRecord.lease_expires_at < now),
            )
            .values(lease_owner=owner, lease_expires_at=until, status="running",
                    attempt=TaskRecord.attempt + 1, started_at=func.coalesce(TaskRecord.started_at, now))
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    def renew_lease(self, task_id: int, owner: str, until: datetime) -> bool:
        result = self.db.execute(
            update(TaskRecord)
            .where(TaskRecord.id == task_id, TaskRecord.lease_owner == owner, TaskRecord.status == "running")
            .values(lease_expires_at=until)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    def expired(self, now: datetime, queued_grace: timedelta) -> list[TaskRecord]:
        """Running tasks whose lease ran out, and queued tasks nobody picked up within the grace period."""
        return list(self.db.scalars(
            select(TaskRecord).where(or_(
                (TaskRecord.status == "running") & (TaskRecord.lease_expires_at < now),
                (TaskRecord.status == "queued") & (TaskRecord.created_at < now - queued_grace)
                & or_(TaskRecord.lease_expires_at.is_(None), TaskRecord.lease_expires_at < now),
            )).order_by(TaskRecord.id)
        ))

    def take_over(self, task: TaskRecord, job_id: str, now: datetime, hold: timedelta) -> bool:
        """Mark an expired task as re-enqueued under `job_id`, once, whichever sweeper gets there first."""
        result = self.db.execute(
            update(TaskRecord)
            .where(
                TaskRecord.id == task.id,
                TaskRecord.status.in_(ACTIVE_TASK_STATES),
                TaskRecord.job_id == task.job_id,
            )
            .values(job_id=job_id, status="queued", lease_owner=None, lease_expires_at=now + hold,
                    enqueue_count=TaskRecord.enqueue_count + 1)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]


class TicketRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get(self, ticket_id: int, *, for_update: bool = False) -> TicketRecord:
        query = select(TicketRecord).where(TicketRecord.id == ticket_id)
        if for_update:
            query = query.with_for_update()
        record = self.db.scalars(query).first()
        if record is None:
            raise NotFound(f"ticket {ticket_id}")
        return record

    def find(self, ticket_id: int) -> TicketRecord | None:
        """The ticket, or None (a button's value names an id that may be forged or gone)."""
        return self.db.get(TicketRecord, ticket_id)

    def by_key(self, session_id: int, spec_key: str) -> TicketRecord | None:
        return self.db.scalars(
            select(TicketRecord).where(TicketRecord.session_id == session_id, TicketRecord.spec_key == spec_key)
        ).first()

    def for_session(self, session_id: int, *, include_withdrawn: bool = False,
                    for_update: bool = False) -> list[TicketRecord]:
        query = select(TicketRecord).where(TicketRecord.session_id == session_id)
        if not include_withdrawn:
            query = query.where(TicketRecord.status != "withdrawn")
        if for_update:  # lock order: a session's ticket rows before its session row
            query = query.with_for_update()
        return list(self.db.scalars(query.order_by(TicketRecord.position, TicketRecord.id)))

    def states_for(self, session_id: int) -> list[TicketRecord]:
        """The session's tickets (withdrawn included) with their state columns only: no text, no brief."""
        return list(self.db.scalars(
            select(TicketRecord).where(TicketRecord.session_id == session_id)
            .options(load_only(TicketRecord.id, TicketRecord.spec_key, TicketRecord.group, TicketRecord.position,
                               TicketRecord.status, TicketRecord.jira_key, TicketRecord.jira_label,
                               TicketRecord.jira_state, TicketRecord.jira_attempts, TicketRecord.jira_next_try_at,
                               TicketRecord.change_kind, TicketRecord.revises_ticket_id))
            .order_by(TicketRecord.position, TicketRecord.id)
        ))

    def counts(self, session_id: int) -> dict[str, int]:
        """How many tickets of the session are in each state."""
        rows = self.db.execute(
            select(TicketRecord.status, func.count()).where(TicketRecord.session_id == session_id)
            .group_by(TicketRecord.status)
        )
        return {status: count for status, count in rows}

    def add(self, **fields: Any) -> TicketRecord:
        record = TicketRecord(**fields)
        self.db.add(record)
        self.db.flush()
        return record

    def replace_dependencies(self, session_id: int, edges: Sequence[tuple[TicketRecord, TicketRecord, str]]) -> None:
        """The session's dependency edges become exactly `edges` (ticket, depends on, reason).

        Edges that stay keep their Jira link state; only vanished ones are deleted.
        """
        wanted = {(t.id, d.id): reason for t, d, reason in edges}
        existing = {(e.ticket_id, e.depends_on_id): e for e in self.dependencies(session_id)}
        for pair, edge in existing.items():
            if pair not in wanted:
                self.db.delete(edge)
            else:
                edge.reason = wanted[pair]
        self.db.add_all(
            TicketDependencyRecord(ticket_id=t, depends_on_id=d, reason=reason)
            for (t, d), reason in wanted.items() if (t, d) not in existing
        )
        self.db.flush()

    def dependency(self, ticket_id: int, depends_on_id: int, *,
                   for_update: bool = False) -> TicketDependencyRecord | None:
        query = select(TicketDependencyRecord).where(TicketDependencyRecord.ticket_id == ticket_id,
                                                     TicketDependencyRecord.depends_on_id == depends_on_id)
        if for_update:
            query = query.with_for_update()
        return self.db.scalars(query).first()

    def pushed_under_epic(self, project_key: str, site_name: str, group: str) -> int:
        """Tickets of any session of the site in Jira in this project and group: the epic's issues."""
        return int(self.db.scalar(
            select(func.count()).select_from(TicketRecord)
            .join(SessionRecord, SessionRecord.id == TicketRecord.session_id)
            .where(TicketRecord.jira_project == project_key, TicketRecord.group == group,
                   TicketRecord.status == "pushed", TicketRecord.jira_key.is_not(None),
                   func.coalesce(func.nullif(SessionRecord.site_name, ""), SessionRecord.channel_id) == site_name)
        ) or 0)

    def dependencies(self, session_id: int) -> list[TicketDependencyRecord]:
        return list(self.db.scalars(
            select(TicketDependencyRecord).join(TicketRecord, TicketRecord.id == TicketDependencyRecord.ticket_id)
            .where(TicketRecord.session_id == session_id)
        ))


class RevisionRepository:
    """Earlier versions of a channel's tickets, and what a revision session is compared with."""

    def __init__(self, db: Session) -> None:
        self.db = db

    def accepted_in_channel(self, channel_id: str, *, before_session_id: int,
                            statuses: Sequence[str]) -> list[tuple[SessionRecord, TicketRecord]]:
        """Tickets in `statuses` of the channel's earlier sessions, oldest session first (later ones win)."""
        rows = self.db.execute(
            select(SessionRecord, TicketRecord).join(TicketRecord, TicketRecord.session_id == SessionRecord.id)
            .where(SessionRecord.channel_id == channel_id, SessionRecord.id < before_session_id,
                   TicketRecord.status.in_(list(statuses)))
            .order_by(SessionRecord.id, TicketRecord.position)
        )
        return [(session, ticket) for session, ticket in rows]

    def versions_of(self, channel_id: str, spec_key: str) -> list[tuple[SessionRecord, TicketRecord]]:
        """Every ticket of the channel for one spec key, oldest first: the key's history."""
        rows = self.db.execute(
            select(SessionRecord, TicketRecord).join(TicketRecord, TicketRecord.session_id == SessionRecord.id)
            .where(SessionRecord.channel_id == channel_id, TicketRecord.spec_key == spec_key)
            .order_by(SessionRecord.id)
        )
        return [(session, ticket) for session, ticket in rows]

    def baseline(self, session_id: int) -> RevisionBaselineRecord | None:
        return self.db.get(RevisionBaselineRecord, session_id)

    def set_baseline(self, session_id: int, *, source: str, label: str, ticket_ids: dict[str, int] | None = None,
                     items: list[Any] | None = None) -> RevisionBaselineRecord:
        """Fix what the session is compared with (kept if already fixed: a retry compares as its first run)."""
        record = self.baseline(session_id)
        if record is None:
            record = RevisionBaselineRecord(session_id=session_id, source=source, label=label[:255],
                                            ticket_ids=dict(ticket_ids or {}), items=list(items or []))
            self.db.add(record)
            self.db.flush()
        return record


class JiraEpicRepository:
    """One epic per (project, site, group), shared by every session of the site (docs/design.md §10)."""

    def __init__(self, db: Session) -> None:
        self.db = db

    def get(self, epic_id: int) -> JiraEpicRecord:
        record = self.db.get(JiraEpicRecord, epic_id)
        if record is None:
            raise NotFound(f"jira epic {epic_id}")
        return record

    def find(self, project_key: str, site_name: str, group: str) -> JiraEpicRecord | None:
        return self.db.scalars(select(JiraEpicRecord).where(
            JiraEpicRecord.project_key == project_key, JiraEpicRecord.site_name == site_name,
            JiraEpicRecord.group == group)).first()

    def get_or_add(self, project_key: str, site_name: str, group: str, label: str) -> JiraEpicRecord:
        """The epic's record, added (state none) if this is the site's first push of the group."""
        found = self.find(project_key, site_name, group)
        if found is not None:
            return found
        savepoint = self.db.begin_nested()
        try:
            self.db.add(JiraEpicRecord(project_key=project_key, site_name=site_name, group=group, label=label))
            self.db.flush()
        except IntegrityError:  # another process added it between our read and write
            savepoint.rollback()
        else:
            savepoint.commit()
        record = self.find(project_key, site_name, group)
        assert record is not None
        return record

    def created_by(self, push_task_id: int) -> list[JiraEpicRecord]:
        """The epics a push created (what `undo` of that push removes)."""
        return list(self.db.scalars(select(JiraEpicRecord).where(JiraEpicRecord.created_by_task_id == push_task_id)))

    def claim_creation(self, epic_id: int) -> bool:
        """Move the epic from none to creating, once, whichever process gets there first."""
        result = self.db.execute(
            update(JiraEpicRecord).where(JiraEpicRecord.id == epic_id, JiraEpicRecord.state == "none")
            .values(state="creating", attempts=0, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    def unresolved(self, project_key: str, site_name: str) -> list[JiraEpicRecord]:
        """The site's epics whose create may or may not have happened (creating, needs_reconcile)."""
        return list(self.db.scalars(select(JiraEpicRecord).where(
            JiraEpicRecord.project_key == project_key, JiraEpicRecord.site_name == site_name,
            JiraEpicRecord.state.in_(("creating", "needs_reconcile"))).order_by(JiraEpicRecord.id)))


class ErrorRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add(self, session_id: int, category: str, message: str, **fields: Any) -> ProcessingErrorRecord:
        record = ProcessingErrorRecord(session_id=session_id, category=category, message=message, **fields)
        self.db.add(record)
        self.db.flush()
        return record

    def find(self, session_id: int, *, category: str | None = None, entity: str | None = None,
             task_id: int | None = None) -> list[ProcessingErrorRecord]:
        query = select(ProcessingErrorRecord).where(ProcessingErrorRecord.session_id == session_id)
        if category:
            query = query.where(ProcessingErrorRecord.category == category)
        if entity:
            query = query.where(ProcessingErrorRecord.entity == entity)
        if task_id is not None:
            query = query.where(ProcessingErrorRecord.task_id == task_id)
        return list(self.db.scalars(query.order_by(ProcessingErrorRecord.id)))


class EventRepository:
    """Slack event ids seen; a second delivery of the same id is recognised and changes nothing."""

    def __init__(self, db: Session) -> None:
        self.db = db

    def first_time(self, event_id: str, kind: str = "") -> bool:
        """Record the event; False when it was already recorded (by this or another process)."""
        if self.db.get(ProcessedEventRecord, event_id) is not None:
            return False
        savepoint = self.db.begin_nested()
        try:
            self.db.add(ProcessedEventRecord(event_id=event_id, kind=kind))
            self.db.flush()
        except Exception as exc:  # the unique key: another process recorded it between our read and write
            savepoint.rollback()
            from sqlalchemy.exc import IntegrityError

            if isinstance(exc, IntegrityError):
                return False
            raise
        savepoint.commit()
        return True

    def first_within(self, key: str, kind: str, window: timedelta, now: datetime) -> bool:
        """Record `key` at `now`; False when it was recorded less than `window` ago (a double click).

        The row is reused: an older record is moved to `now` by one conditional UPDATE, so of two
        processes racing on the same key exactly one sees True."""
        if self.first_time(key, kind):
            self.db.execute(update(ProcessedEventRecord).where(ProcessedEventRecord.event_id == key)
                            .values(created_at=now))
            return True
        moved = self.db.execute(
            update(ProcessedEventRecord)
            .where(ProcessedEventRecord.event_id == key, ProcessedEventRecord.created_at <= now - window)
            .values(created_at=now)
        )
        return moved.rowcount == 1  # type: ignore[attr-defined]


class AuditRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def record(self, actor: str, action: str, *, session_id: int | None = None, ticket_id: int | None = None,
               detail: str = "") -> None:
        self.db.add(AuditRecord(actor=actor, action=action, session_id=session_id, ticket_id=ticket_id,
                                detail=detail, created_at=utcnow()))

    def for_session(self, session_id: int) -> list[AuditRecord]:
        return list(self.db.scalars(
            select(AuditRecord).where(AuditRecord.session_id == session_id).order_by(AuditRecord.id)
        ))


class InstanceRepository:
    """This deployment's random id, made by whichever process asks first and never changed after."""

    def __init__(self, db: Session) -> None:
        self.db = db

    def instance_id(self) -> str:
        found = self.db.scalar(select(InstanceRecord.instance_id).where(InstanceRecord.id == 1))
        if found:
            return found
        savepoint = self.db.begin_nested()
        try:
            self.db.execute(insert(InstanceRecord).values(id=1, instance_id=secrets.token_hex(6), created_at=utcnow()))
        except IntegrityError:  # another process made it between our read and write: theirs counts
            savepoint.rollback()
        else:
            savepoint.commit()
        made = self.db.scalar(select(InstanceRecord.instance_id).where(InstanceRecord.id == 1))
        assert made is not None
        return made
