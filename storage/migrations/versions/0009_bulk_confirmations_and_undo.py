"""bulk confirmations and undo: a stored confirmation per bulk action; which push created each issue and epic

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 15:30:00

`bulk_confirmations` holds what a person is asked to confirm (approve all, approve a group, push, undo a
push), its exact scope (ticket ids, or the push task id) and the counts it showed; `state` leaves
`pending` once, by one conditional update, so a second click or a Slack retry acts once.
`tickets.jira_push_task_id` and `jira_epics.created_by_task_id` name the push task whose create made the
issue, so that undo removes exactly what the last push created. `uploads.removed_by` marks a file taken
out of the open session by `/generate-tickets remove FILE` (kept, like a replaced file).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bulk_confirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("group", sa.String(32), nullable=False, server_default=""),
        sa.Column("scope", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("summary", sa.Text(), nullable=False, server_default=""),
        sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("decided_by", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], name="fk_bulk_confirmations_session_id_sessions",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_bulk_confirmations"),
    )
    op.create_index("ix_bulk_confirmations_session_id", "bulk_confirmations", ["session_id"])
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("jira_push_task_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("jira_epics") as batch:
        batch.add_column(sa.Column("created_by_task_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("uploads") as batch:  # `/generate-tickets remove FILE`
        batch.add_column(sa.Column("removed_by", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("uploads") as batch:
        batch.drop_column("removed_by")
    with op.batch_alter_table("jira_epics") as batch:
        batch.drop_column("created_by_task_id")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("jira_push_task_id")
    op.drop_index("ix_bulk_confirmations_session_id", table_name="bulk_confirmations")
    op.drop_table("bulk_confirmations")
