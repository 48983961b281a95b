"""Foundation tickets, derived from the spec as a whole and placed at the root of the graph.

Keys (stable, documented in the README):
- `core.extension` — "Add and enable the modules this spec needs" (Drupal's own config name for the
  enabled modules). Every ticket that needs a module depends on it instead of enabling the module itself.
- `foundation.languages` — languages and content translation, when any row is translatable.
- `foundation.field_storages` — the storages of fields used on SHARED_STORAGE_MIN_BUNDLES or more bundles
  of one entity type; the bundle tickets then only attach instances.
- `foundation.behat` — Behat and the Drupal Spec Tool, because every ticket's checks are Behat steps.
"""

from __future__ import annotations

from collections.abc import Iterable

from integrations.spec import drupal_knowledge as dk
from integrations.spec.reader import SpecRow
from integrations.spec.sheets import SheetKind
from integrations.tickets import Group, TicketAction, TicketKind, TicketMember
from jobs.planning.drafts import Draft, Drafts, Need

MODULES_KEY = "core.extension"
LANGUAGES_KEY = "foundation.languages"
STORAGES_KEY = "foundation.field_storages"
BEHAT_KEY = "foundation.behat"
SHARED_STORAGE_MIN_BUNDLES = 3

# On every site whatever the install profile (or not modules at all): never a ticket's to enable.
ALWAYS_ON = {"system", "user", "node", "field", "filter", "text", "standard"}
TRANSLATION = ("language", "content_translation")
_BUNDLE_FLAGS = {  # full-layout bundle columns, and the modules a "y" needs
    "moderated": ("workflows", "content_moderation"),
    "layout": ("layout_builder",),
    "translatable": TRANSLATION,
    "comments": ("comment",),
    "meta_tags": ("metatag",),
    "scheduled": ("scheduler",),
}
_BUNDLE_KINDS = (TicketKind.BUNDLE, TicketKind.EXISTING_BUNDLE_FIELDS)


def is_translatable(row: SpecRow) -> bool:
    """`y` in the full sheet's Trns. column, `Translatable` in the Behat table."""
    value = row.get("translatable")
    return dk.is_yes(value) or value.strip().lower() == "translatable"


def row_modules(row: SpecRow, entity_type: str = "") -> list[str]:
    """The modules one spec row needs, from the columns that name a module's feature."""
    sheet = row.sheet
    if sheet is SheetKind.BUNDLES:
        modules = list(dk.BUNDLE_TYPE_MODULES.get(entity_type, ()))
        for column, wanted in _BUNDLE_FLAGS.items():
            if dk.is_yes(row.get(column)):
                modules.extend(wanted)
        if row.get("url_alias_pattern").strip():
            modules.extend(("pathauto", "token"))
        return modules
    if sheet is SheetKind.FIELDS:
        modules = dk.field_modules(row.get("field_type"), row.get("form_widget"), row.get("ref_bundle"))
        if dk.is_field_group(row.get("field_type"), row.get("machine_name")) or row.get("field_group").strip():
            modules.append("field_group")
        if dk.is_yes(row.get("translatable")):  # the full layout's y; the Behat flag is Drupal's default
            modules.extend(TRANSLATION)
        return modules
    if sheet is SheetKind.VIEWS:
        return dk.view_modules(row.get("base_table"), ())
    if sheet is SheetKind.VIEW_DISPLAYS:
        return dk.view_modules("", (row.get("display_plugin"),))
    if sheet is SheetKind.IMAGE_EFFECTS:
        return dk.effect_modules(row.get("effect"))
    simple = {
        SheetKind.IMAGE_STYLES: ["image"],
        SheetKind.WORKFLOWS: ["workflows", "content_moderation"],
        SheetKind.WORKFLOW_STATES: ["workflows", "content_moderation"],
        SheetKind.WORKFLOW_TRANSITIONS: ["workflows", "content_moderation"],
        SheetKind.MENUS: ["menu_ui"],
        SheetKind.CUSTOM_ENTITIES: ["eck"],
    }
    if sheet is SheetKind.MIGRATIONS:
        return dk.migration_modules(row.get("source"))
    return list(simple.get(sheet, ()))


def needed(modules: Iterable[str]) -> tuple[str, ...]:
    """Each module once, in first-mentioned order, without those every site has."""
    return tuple(m for m in dict.fromkeys(modules) if m and m not in ALWAYS_ON)


def draft_modules(draft: Draft) -> list[str]:
    if draft.action is TicketAction.REMOVE:
        return []
    modules = [m for r in draft.rows for m in row_modules(r, draft.entity_type)]
    if draft.kind is TicketKind.EXISTING_BUNDLE_FIELDS:
        modules[:0] = dk.BUNDLE_TYPE_MODULES.get(draft.entity_type, ())
    modules += [draft.provider, *(m.provider for m in draft.members)]
    return list(needed(modules))


def add_foundation(drafts: Drafts) -> None:
    """The foundation tickets in front of the drafts, and every draft's edges to them."""
    if not drafts.items:
        return
    for draft in drafts:
        draft.modules = draft_modules(draft)
    shared = [t for t in (_languages(drafts), _shared_storages(drafts)) if t is not None]
    foundation: list[Draft] = []
    everything = list(needed(m for d in [*shared, *drafts] for m in d.modules))
    if everything:
        ticket = Draft(MODULES_KEY, Group.FOUNDATION, TicketKind.MODULES, "Modules this spec needs",
                       "core.extension", "Modules", [])
        ticket.modules = everything
        foundation.append(ticket)
        for draft in [*shared, *drafts]:
            if draft.modules:
                draft.need(MODULES_KEY, Need(f"needs module(s) {', '.join(draft.modules)} enabled", structural=True))
    foundation.extend(shared)
    foundation.append(Draft(BEHAT_KEY, Group.FOUNDATION, TicketKind.BEHAT_SETUP,
                            "Behat and Drupal Spec Tool test set-up", "behat", "Test set-up", []))
    drafts.items[:0] = foundation


def _languages(drafts: Drafts) -> Draft | None:
    translatable = [d for d in drafts if d.kind in _BUNDLE_KINDS and d.action is not TicketAction.REMOVE
                    and any(is_translatable(r) for r in d.rows)]
    if not translatable:
        return None
    ticket = Draft(LANGUAGES_KEY, Group.FOUNDATION, TicketKind.LANGUAGES, "Languages and content translation",
                   "languages", "Languages", [])
    ticket.modules = list(TRANSLATION)
    for draft in translatable:
        rows = [r for r in draft.rows if is_translatable(r)]
        # The rows stay in their bundle's ticket: a member here only names what to make translatable.
        ticket.members.append(TicketMember(draft.key, draft.kind, draft.label, draft.machine_name,
                                           f"{draft.entity_type_label}, {len(rows)} translatable row(s)", ()))
        draft.need(LANGUAGES_KEY, Need("content translation must be on for its translatable fields", structural=True))
    if not any(dk.is_yes(r.get("translatable")) for d in translatable for r in d.rows):
        ticket.notes.append("The spec's Translatable column is the Behat table's, which shows Drupal's per-field "
                            "flag (on by default): confirm with the product owner which languages the site has "
                            "before adding any.")
    return ticket


def _shared_storages(drafts: Drafts) -> Draft | None:
    """A field on three or more bundles of one entity type gets its storage once."""
    users: dict[tuple[str, str], list[tuple[Draft, SpecRow]]] = {}
    for draft in drafts:
        if draft.kind not in _BUNDLE_KINDS or draft.action is TicketAction.REMOVE:
            continue
        for row in draft.rows:
            if row.sheet is SheetKind.FIELDS and not dk.is_field_group(row.get("field_type"), row.get("machine_name")):
                users.setdefault((draft.entity_type, row.get("machine_name")), []).append((draft, row))
    shared = {k: v for k, v in users.items() if len({id(d) for d, _ in v}) >= SHARED_STORAGE_MIN_BUNDLES}
    if not shared:
        return None
    ticket = Draft(STORAGES_KEY, Group.FOUNDATION, TicketKind.SHARED_FIELD_STORAGES, "Shared field storages",
                   "field_storages", "Field storages", [])
    modules: list[str] = []
    by_draft: dict[int, tuple[Draft, list[str]]] = {}
    for (entity_type, machine), uses in shared.items():
        first = uses[0][1]
        ticket.members.append(TicketMember(
            f"field.storage.{entity_type}.{machine}", TicketKind.SHARED_FIELD_STORAGES, first.get("field_label"),
            machine, f"{first.get('field_type')} storage on {entity_type}, used by {len(uses)} bundles", ()))
        modules += row_modules(first)
        for draft, _ in uses:
            by_draft.setdefault(id(draft), (draft, []))[1].append(machine)
    for draft, names in by_draft.values():
        draft.need(STORAGES_KEY, Need(f"attaches the shared field storage(s) {', '.join(names)}", structural=True))
        draft.notes.append(f"The storage of {', '.join(names)} comes from the shared field storages ticket "
                           f"({STORAGES_KEY}): add only the field instance(s) here.")
    ticket.modules = [m for m in needed(modules) if m not in TRANSLATION]
    return ticket
