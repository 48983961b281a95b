"""revision baselines: what a revised spec's session is compared with, fixed when its run starts

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 15:30:00

A session whose channel pushed tickets for the same site before (or a CLI run given `--since
tickets.json`) is a revision: its new plan is compared, per spec key, with the latest pushed or
approved version. The versions compared with are fixed at the run's start, so its retries and
resumes compare with the same ones: `ticket_ids` (spec key → the earlier ticket) for versions in
the database, `items` (tickets.json items) for a file.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revision_baselines",
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("sessions.id", ondelete="CASCADE",
                                                             name="fk_revision_baselines_session_id_sessions"),
                  nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("label", sa.String(255), nullable=False, server_default=""),
        sa.Column("ticket_ids", sa.JSON(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name="pk_revision_baselines"),
    )


def downgrade() -> None:
    op.drop_table("revision_baselines")
