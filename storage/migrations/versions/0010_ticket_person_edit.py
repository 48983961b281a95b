"""a person's edit of a ticket: which fields, their values, who and when

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 15:30:00

A draft edited in Slack (the Edit button's modal) keeps the person's values in `person_edit`:
{"by": user id, "at": ISO time, "fields": {name: value}}. Every rewrite (a regeneration, a generation
retry) lays them over the writer's new text again, unless the person asked to replace the edit.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("person_edit", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("person_edit")
