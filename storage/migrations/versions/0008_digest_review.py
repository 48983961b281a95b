"""digest review: a large run's drafts shown as one digest per group, each ticket on a page that stays put

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 15:00:00

`sessions.digest_mode` records, once, whether the session's thread shows digests (None: not decided yet;
the first run decides by its planned tickets). `tickets.digest_key` is the outbox key of the digest page
holding the ticket's line (`digest:s12:Content:1`), kept once set so an edit finds the right page.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("digest_mode", sa.Boolean(), nullable=True))
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("digest_key", sa.String(128), nullable=True))
        batch.create_index("ix_tickets_digest_key", ["digest_key"])


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_digest_key")
        batch.drop_column("digest_key")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("digest_mode")
