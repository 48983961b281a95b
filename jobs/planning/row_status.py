"""Row status (the X column) decides what a ticket does: create (a or blank), update what was built
(c, changed since implemented), or remove it (d, to be deleted). X = w (waiting) stays out of the plan,
and X = x (built) rows only give context.

A Remove ticket keeps the config name of what it removes as its key: at most one ticket per config name
either way, since a row marked d builds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from integrations.spec.reader import SpecRow
from integrations.tickets import TicketAction

CHANGED = "c"
DELETED = "d"


def action_of(own: SpecRow | None, children: Sequence[SpecRow]) -> TicketAction:
    """Update when the entity's row, or a row of one that exists already, is marked changed; else Create."""
    if own is not None and own.status in ("", "a"):
        return TicketAction.CREATE
    if (own is not None and own.status == CHANGED) or any(r.status == CHANGED for r in children):
        return TicketAction.UPDATE
    return TicketAction.CREATE


def is_removal(row: SpecRow) -> bool:
    """The row of a whole entity marked to be deleted (X = d), not one merely waiting (X = w)."""
    return row.status == DELETED
