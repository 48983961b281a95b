"""ticket revisions: a ticket of a revised spec knows the version it revises and what changed

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 15:00:00

A revised spec's session writes one ticket per spec key again. `revises_ticket_id` points at the
latest pushed (or approved) version of the same key in an earlier session of the channel;
`change_kind` says how it differs ("" for a first version; new | changed | unchanged | removed);
`changes` lists what changed (rows, columns, old → new, dependencies); `jira_synced` holds what Jira
said after our last write (its `updated` time and the description's hash), so a later update can tell
whether a person changed the issue in Jira since.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("revises_ticket_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("change_kind", sa.String(16), nullable=False, server_default=""))
        batch.add_column(sa.Column("changes", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch.add_column(sa.Column("jira_synced", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch.create_foreign_key("fk_tickets_revises_ticket_id_tickets", "tickets", ["revises_ticket_id"], ["id"],
                                 ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_constraint("fk_tickets_revises_ticket_id_tickets", type_="foreignkey")
        batch.drop_column("jira_synced")
        batch.drop_column("changes")
        batch.drop_column("change_kind")
        batch.drop_column("revises_ticket_id")
