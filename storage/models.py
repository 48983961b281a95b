"""Database tables. The database, not Redis, is the truth about sessions, runs and tickets."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints, so migrations can refer to them on PostgreSQL and SQLite alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware timestamps on both engines (SQLite drops the zone; we put UTC back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


COLLECTING = "collecting"  # the only state whose upload set is open; no state leads back to it
OPEN_SESSION_STATES = (COLLECTING, "processing")
ACTIVE_TASK_STATES = ("queued", "running")


class SessionRecord(Base):
    """One spec, one thread: uploads collected, then generated into tickets (docs/design.md §8)."""

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), default="")
    channel_id: Mapped[str] = mapped_column(String(64))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="collecting")
    site_name: Mapped[str] = mapped_column(String(255), default="")
    site_description: Mapped[str] = mapped_column(Text, default="")
    generation_count: Mapped[int] = mapped_column(Integer, default=0)
    progress_ts: Mapped[str | None] = mapped_column(String(32))  # the ONE progress message of the thread
    # Drafts shown as one digest per group (a large run) instead of one message each: decided once, by the
    # first run's planned tickets against the threshold (TICKETBOT_DIGEST_THRESHOLD, `config digest`).
    digest_mode: Mapped[bool | None] = mapped_column(Boolean)
    jira_project: Mapped[str | None] = mapped_column(String(32))  # chosen at first push
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __table_args__ = (
        # A channel has at most one session taking uploads. A session stops taking them for good when its
        # first generation starts (its upload set is frozen: retries and 🔁 plan from exactly those files),
        # so the next session can collect while that run is going.
        Index(
            "uq_sessions_collecting_per_channel", "channel_id", unique=True,
            postgresql_where=text("status = 'collecting'"),
            sqlite_where=text("status = 'collecting'"),
        ),
    )


class UploadRecord(Base):
    """One uploaded file, kept with its bytes so that any run can plan it again."""

    __tablename__ = "uploads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[str] = mapped_column(String(64))  # Slack file id, or a content id for the CLI
    name: Mapped[str] = mapped_column(String(255))
    content_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sheets: Mapped[list[Any]] = mapped_column(default=list)  # [{"kind", "name", "rows"}]
    problems: Mapped[list[Any]] = mapped_column(default=list)  # Problem.to_dict() items
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("uploads.id"))
    removed_by: Mapped[str | None] = mapped_column(String(64))  # `remove FILE`: out of the upload set, kept
    uploaded_by: Mapped[str] = mapped_column(String(64), default="")
    reply_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("session_id", "file_id", name="uq_uploads_session_file"),)


class TaskRecord(Base):
    """A queued job: a generation, or one ticket's regeneration. Leased while running."""

    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(16))  # generate | regenerate
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    generation: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str] = mapped_column(String(255), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    job_id: Mapped[str] = mapped_column(String(64), default="")
    attempt: Mapped[int] = mapped_column(Integer, default=0)  # times a job was started for it
    enqueue_count: Mapped[int] = mapped_column(Integer, default=1)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    error_category: Mapped[str | None] = mapped_column(String(16))
    error_message: Mapped[str | None] = mapped_column(Text)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cached_tokens: Mapped[int] = mapped_column(Integer, default=0)
    requested_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        # One generation at a time per session: a second start answers with the running task.
        Index(
            "uq_tasks_active_generation", "session_id", unique=True,
            postgresql_where=text("type = 'generate' AND status IN ('queued', 'running')"),
            sqlite_where=text("type = 'generate' AND status IN ('queued', 'running')"),
        ),
        Index("ix_tasks_status_lease", "status", "lease_expires_at"),
    )


class TicketRecord(Base):
    """One ticket of a session, rewritten in place by retries (same spec key, same Slack message)."""

    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    spec_key: Mapped[str] = mapped_column(String(255))
    generation: Mapped[int] = mapped_column(Integer)  # the session generation that last wrote it
    position: Mapped[int] = mapped_column(Integer)
    group: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    title: Mapped[str] = mapped_column(String(255))
    user_story: Mapped[str] = mapped_column(Text)
    analysis: Mapped[str] = mapped_column(Text)
    verification: Mapped[list[Any]] = mapped_column(default=list)
    depends_on: Mapped[list[Any]] = mapped_column(default=list)  # spec keys
    sources: Mapped[list[Any]] = mapped_column(default=list)  # [{"file", "row"}]
    brief: Mapped[dict[str, Any]] = mapped_column(default=dict)  # what the writer was given
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)  # acceptance, estimate, questions, risks
    writer: Mapped[str] = mapped_column(String(32), default="template")
    model: Mapped[str] = mapped_column(String(64), default="")
    prompt_version: Mapped[str] = mapped_column(String(32), default="")
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cached_tokens: Mapped[int] = mapped_column(Integer, default=0)
    regeneration_count: Mapped[int] = mapped_column(Integer, default=0)
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    slack_state: Mapped[str] = mapped_column(String(16), default="none")  # none | posting | posted
    slack_version: Mapped[int] = mapped_column(Integer, default=0)  # bumps when the draft must be edited
    jira_key: Mapped[str | None] = mapped_column(String(32))
    jira_label: Mapped[str | None] = mapped_column(String(64))  # the label its create carried: found again by it
    jira_state: Mapped[str] = mapped_column(String(20), default="none")
    jira_attempts: Mapped[int] = mapped_column(Integer, default=0)
    jira_next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    jira_project: Mapped[str | None] = mapped_column(String(32))  # where it was pushed
    jira_error: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(64), default="")
    # A revised spec (docs/design.md §10): the version of the same spec key this one revises (the latest
    # pushed or approved one of an earlier session), how it differs ("" for a first version; new | changed |
    # unchanged | removed), what changed ([{"what", "file", "row", "column", "old", "new"}]), and what Jira
    # said after our last write ({"updated", "description_hash"}) to catch a person's edit made in Jira since.
    revises_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    change_kind: Mapped[str] = mapped_column(String(16), default="")
    changes: Mapped[list[Any]] = mapped_column(default=list)
    jira_synced: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # In a digest session: the outbox key of the digest page showing this ticket's line. Kept once set,
    # so a ticket never moves between pages (a rewrite that changes its group included).
    digest_key: Mapped[str | None] = mapped_column(String(128), index=True)
    jira_push_task_id: Mapped[int | None] = mapped_column(Integer)  # the push whose create made its issue (undo)
    # A person's edit made in Slack ({"by", "at", "fields": {name: value}}): rewrites keep these fields.
    person_edit: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("session_id", "spec_key", name="uq_tickets_session_spec_key"),)


class RevisionBaselineRecord(Base):
    """What a revision session is compared with, fixed at its run's start (migration 0007)."""

    __tablename__ = "revision_baselines"
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # channel | file
    label: Mapped[str] = mapped_column(String(255), default="")  # where from, in words
    ticket_ids: Mapped[dict[str, Any]] = mapped_column(default=dict)  # spec key -> earlier ticket id
    items: Mapped[list[Any]] = mapped_column(default=list)  # tickets.json items (a file)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TicketDependencyRecord(Base):
    __tablename__ = "ticket_dependencies"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    depends_on_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    jira_link_state: Mapped[str] = mapped_column(String(16), default="none")


class ProcessingErrorRecord(Base):
    __tablename__ = "processing_errors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(16))  # user_fixable | temporary | admin_required
    message: Mapped[str] = mapped_column(Text)
    technical_details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    entity: Mapped[str] = mapped_column(String(255), default="")  # spec key, when about one ticket
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProcessedEventRecord(Base):
    """Slack retries carry the same event id: the unique key makes each change happen once."""

    __tablename__ = "processed_events"
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditRecord(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SlackMessageRecord(Base):
    """The outbox of every bot message: the intent is stored before chat.postMessage, the ts after.

    `key` names what the message is (e.g. `progress:s12`, `draft:t345`, `upload:s12:F0123`) and is sent
    as message metadata, so a post that may have happened is found again instead of being repeated.
    """

    __tablename__ = "slack_messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(128))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    channel_id: Mapped[str] = mapped_column(String(64))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="intent")  # intent | posted | failed
    version_posted: Mapped[int] = mapped_column(Integer, default=0)  # content version last shown in Slack
    version_wanted: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("key", name="uq_slack_messages_key"),)


class ChannelSettingsRecord(Base):
    """Per-channel settings set with `/generate-tickets config`; the environment gives the defaults."""

    __tablename__ = "channel_settings"
    channel_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    jira_project: Mapped[str | None] = mapped_column(String(32))
    approvers: Mapped[list[Any] | None] = mapped_column(JSON)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class JiraEpicRecord(Base):
    """One epic per (project, site, group), reused by later sessions of the same site (docs/design.md §10)."""

    __tablename__ = "jira_epics"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_key: Mapped[str] = mapped_column(String(32))
    site_name: Mapped[str] = mapped_column(String(255))
    group: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(255))  # unique label on the epic, for reconciliation
    issue_key: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(20), default="none")  # none | creating | created | needs_reconcile
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_by_task_id: Mapped[int | None] = mapped_column(Integer)  # the push whose create made it (undo)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("project_key", "site_name", "group", name="uq_jira_epics_site_group"),)


class BulkConfirmationRecord(Base):
    """A bulk action a person is asked to confirm: what exactly, for how long, and how it ended (once)."""

    __tablename__ = "bulk_confirmations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    requested_by: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # approve_all | approve_group | push | undo
    group: Mapped[str] = mapped_column(String(32), default="")
    scope: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"ticket_ids": [...]} or {"push_task_id": N}
    summary: Mapped[str] = mapped_column(Text, default="")  # the counts the person was shown
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | confirmed | cancelled | expired
    decided_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InstanceRecord(Base):
    """This deployment's random id (one row), generated once: it keeps Jira labels apart between
    deployments sharing a Jira, whose ticket and session ids are the same small numbers."""

    __tablename__ = "instance"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    instance_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
