"""one collecting session per channel: a running session's upload set is frozen

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 19:00:00

Until now a channel had at most one session collecting *or processing*, so files shared while a run
was going joined the running session, and a same-named one replaced the file that run was planned
from: a later 🔁 or retry then planned from files the run never saw. From now on a session takes
uploads only while it is collecting; its first start freezes the set, and files shared after that
go to the channel's next session, which may collect while the run goes on. So the uniqueness is
about collecting sessions only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OPEN = "status IN ('collecting', 'processing')"
COLLECTING = "status = 'collecting'"


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_index("uq_sessions_open_per_channel", postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
        batch.create_index("uq_sessions_collecting_per_channel", ["channel_id"], unique=True,
                           postgresql_where=sa.text(COLLECTING), sqlite_where=sa.text(COLLECTING))


def downgrade() -> None:
    # Fails while a channel has a session collecting next to a running one: let that run finish first.
    with op.batch_alter_table("sessions") as batch:
        batch.drop_index("uq_sessions_collecting_per_channel", postgresql_where=sa.text(COLLECTING),
                         sqlite_where=sa.text(COLLECTING))
        batch.create_index("uq_sessions_open_per_channel", ["channel_id"], unique=True,
                           postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
