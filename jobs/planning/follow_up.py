"""Cycles finish their work: a reference field left out of its bundle's ticket to break a dependency
cycle gets a follow-up ticket of its own, built once both ends exist.

Key of a follow-up: `field.field.<entity type>.<bundle>.<field>`, the config name of the field instance it
adds. It depends on the bundle it goes on and on the bundle(s) it references; the bundle's own ticket no
longer lists, checks or counts the field.
"""

from __future__ import annotations

from integrations.spec.sheets import SheetKind
from integrations.tickets import TicketKind
from jobs.planning.drafts import Draft, Drafts, Need
from jobs.planning.modules import MODULES_KEY, draft_modules


def follow_up_key(owner: Draft, field_name: str) -> str:
    return f"field.field.{owner.entity_type or 'node'}.{owner.machine_name}.{field_name}"


def defer_field(owner: Draft, field_name: str, dropped_key: str, dropped: list[Need], drafts: Drafts) -> Draft | None:
    """Move `field_name` out of `owner` into a follow-up needing both ends; None when it has no row there."""
    key = follow_up_key(owner, field_name)
    existing = next((d for d in drafts if d.key == key), None)
    if existing is not None:  # a second cycle through the same field: one more end to wait for
        for need in dropped:
            existing.need(dropped_key, need)
        return existing
    rows = [r for r in owner.rows if r.sheet is SheetKind.FIELDS and r.get("machine_name") == field_name]
    if not rows:
        return None
    owner.rows = [r for r in owner.rows if not any(r is x for x in rows)]
    ticket = Draft(key, owner.group, TicketKind.DEFERRED_FIELD, rows[0].get("field_label") or field_name, field_name,
                   "Field", rows, entity_type=owner.entity_type, action=owner.action,
                   checked_as=(TicketKind.EXISTING_BUNDLE_FIELDS, owner.label, owner.machine_name,
                               owner.entity_type_label))
    ticket.need(owner.key, Need(f"the field goes on {owner.label}", structural=True))
    for need in dropped:
        ticket.need(dropped_key, need)
    for target, needs in list(owner.needs.items()):  # the field's other edges move with it
        moving = [n for n in needs if n.field == field_name]
        if not moving:
            continue
        for need in moving:
            ticket.need(target, need)
        rest = [n for n in needs if n.field != field_name]
        if rest:
            owner.needs[target] = rest
        else:
            del owner.needs[target]
    ticket.modules = draft_modules(ticket)
    if ticket.modules and any(d.key == MODULES_KEY for d in drafts):
        ticket.need(MODULES_KEY, Need(f"needs module(s) {', '.join(ticket.modules)} enabled", structural=True))
    owner.notes.append(f"Field {field_name} is left out of this ticket to break a dependency cycle: the "
                       f"follow-up ticket {key} adds it once {dropped_key} exists.")
    drafts.items.append(ticket)
    return ticket
