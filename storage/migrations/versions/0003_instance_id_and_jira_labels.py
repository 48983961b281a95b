"""instance id, and the Jira label each ticket's create carried

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:45:00

Issue creates are labelled with this deployment's random id from now on, and the label sent is
stored on the ticket. A ticket whose create was sent before this upgrade and is not settled yet
(creating, needs_reconcile) gets the old label it was sent with, so reconciliation still finds it.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    instance = op.create_table(
        "instance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instance")),
    )
    op.bulk_insert(instance, [{"id": 1, "instance_id": secrets.token_hex(6), "created_at": datetime.now(UTC)}])
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("jira_label", sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE tickets SET jira_label = 'ticketbot-t' || CAST(id AS VARCHAR(20)) "
        "WHERE jira_state IN ('creating', 'needs_reconcile')"
    )


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("jira_label")
    op.drop_table("instance")
