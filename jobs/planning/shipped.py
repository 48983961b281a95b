"""Configuration Drupal already ships is confirmed or extended, never created (integrations/spec/provided.py).

- A shipped view to which the spec adds displays: an Extend ticket of its own ("Extend view Content:
  add 2 displays"), keyed by the view's config name.
- A shipped role the spec grants permissions to: an Extend ticket of its own, keyed by the role.
- Everything else shipped (menus, image styles, views and roles as shipped): one "Confirm and adjust the
  configuration Drupal provides" ticket, key `foundation.provided`, each item a member with its provider.
"""

from __future__ import annotations

from integrations.spec.provided import Provided, provided
from integrations.spec.sheets import SheetKind
from integrations.tickets import Group, TicketAction, TicketKind
from jobs.planning.drafts import Draft, Drafts

PROVIDED_KEY = "foundation.provided"
_SHIPPABLE = {TicketKind.MENU, TicketKind.IMAGE_STYLE, TicketKind.VIEW, TicketKind.ROLE}


def added_displays(draft: Draft, shipped: Provided) -> list[str]:
    """Display ids the spec lists that the shipped view does not have."""
    if shipped.displays is None:
        return []
    return [r.get("machine_name") for r in draft.rows
            if r.sheet is SheetKind.VIEW_DISPLAYS and r.get("machine_name") not in shipped.displays]


def confirm_shipped(drafts: Drafts) -> None:
    confirm: list[Draft] = []
    for draft in drafts:
        shipped = provided(draft.key)
        if shipped is None or draft.kind not in _SHIPPABLE or draft.action is TicketAction.REMOVE:
            continue
        draft.provider = shipped.provider
        added = added_displays(draft, shipped) if draft.kind is TicketKind.VIEW else []
        grants = [r for r in draft.rows if r.sheet is SheetKind.PERMISSIONS]
        if added:
            draft.action = TicketAction.EXTEND
            draft.notes.append(f"Drupal's {shipped.provider} module ships this view ({shipped.source}): keep its "
                               f"displays and add {len(added)}: {', '.join(added)}.")
        elif grants and draft.machine_name != "administrator":  # is_admin already has every permission
            draft.action = TicketAction.EXTEND
            draft.notes.append(f"{shipped.provider} installs this role ({shipped.source}): grant the spec's "
                               "permissions to it; do not create it.")
        else:
            confirm.append(draft)
    if not confirm:
        return
    ticket = Draft(PROVIDED_KEY, Group.FOUNDATION, TicketKind.PROVIDED_CONFIG, "Configuration Drupal provides",
                   "provided", "Provided configuration", [], action=TicketAction.CONFIRM)
    for draft in confirm:
        shipped = provided(draft.key)
        assert shipped is not None
        ticket.members.append(draft.as_member(TicketAction.CONFIRM, shipped.provider))
        ticket.notes.append(f"{draft.key} is shipped by {shipped.provider} ({shipped.source})")
    drafts.absorb(ticket, confirm)
