"""The sheets of a Drupal Spec Tool spec: their columns, aliases and how a header is recognised."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class SheetKind(StrEnum):
    BUNDLES = "bundles"
    FIELDS = "fields"
    VIEWS = "views"
    VIEW_DISPLAYS = "view_displays"
    IMAGE_STYLES = "image_styles"
    IMAGE_EFFECTS = "image_effects"
    USER_ROLES = "user_roles"
    PERMISSIONS = "permissions"
    WORKFLOWS = "workflows"
    WORKFLOW_STATES = "workflow_states"
    WORKFLOW_TRANSITIONS = "workflow_transitions"
    MENUS = "menus"
    CUSTOM_ENTITIES = "custom_entities"
    MIGRATIONS = "migrations"
    MIGRATION_MAPPINGS = "migration_mappings"

    @property
    def display_name(self) -> str:
        return self.value.replace("_", " ").capitalize()


# Bookkeeping columns of the full Google Sheet: read (X) or ignored (the rest), never an "unknown column".
BOOKKEEPING = {"id": "id", "x": "x", "dev": "dev", "qa": "qa", "notes": "notes"}


@dataclass(frozen=True)
class SheetDefinition:
    """One sheet: canonical column names, the header spellings that map to them, the required ones."""

    kind: SheetKind
    aliases: dict[str, str]  # normalised header text -> canonical column
    required: frozenset[str]
    extra_columns_are_data: bool = False  # the permissions grid: one column per role
    filename_hints: tuple[str, ...] = field(default_factory=tuple)


def normalise_header(text: str) -> str:
    """Lowercase, trim, collapse spaces and drop a trailing dot: 'Vals.' and 'vals' are one column."""
    text = text.replace("\ufeff", "").strip().lower()
    text = re.sub(r"\s+", " ", text)
    return text.rstrip(".").strip()


def _aliases(pairs: dict[str, Sequence[str]]) -> dict[str, str]:
    table = dict(BOOKKEEPING)
    for canonical, spellings in pairs.items():
        for spelling in spellings:
            table[normalise_header(spelling)] = canonical
    return table


SHEETS: tuple[SheetDefinition, ...] = (
    SheetDefinition(
        SheetKind.BUNDLES,
        _aliases({
            "name": ["Name"],
            "machine_name": ["Machine name"],
            "type": ["Type", "Entity type"],
            "description": ["Description"],
            "examples": ["Example(s)", "Examples"],
            "moderated": ["Mod", "Moderation"],
            "layout": ["Layout"],
            "translatable": ["Trns", "Translatable"],
            "migrated": ["Migr", "Migrated"],
            "comments": ["Cmnt", "Comments"],
            "meta_tags": ["Meta", "Meta tags"],
            "scheduled": ["Sched", "Scheduling"],
            "url_alias_pattern": ["URL alias pattern", "URL alias", "Pathauto pattern"],
            "settings": ["Settings/notes", "Settings"],
        }),
        frozenset({"name", "machine_name", "type"}),
        filename_hints=("bundle", "content_model", "content model"),
    ),
    SheetDefinition(
        SheetKind.FIELDS,
        _aliases({
            "bundle": ["Bundle"],
            "bundle_type": ["Bundle type", "Entity type"],
            "field_label": ["Field label", "Label"],
            "machine_name": ["Machine name"],
            "field_type": ["Field type"],
            "ref_bundle": ["Ref. bundle", "Ref bundle", "Reference bundle", "Reference target", "Target bundle"],
            "required": ["Required", "Req"],
            "cardinality": ["Cardinality", "Vals", "Values"],
            "form_widget": ["Form widget", "Widget"],
            "translatable": ["Translatable", "Trns"],
            "help_text": ["Help text", "Description"],
            "field_group": ["Field group", "Group"],
            "settings": ["Settings/notes", "Settings"],
        }),
        frozenset({"bundle", "field_label", "machine_name", "field_type"}),
        filename_hints=("field",),
    ),
    SheetDefinition(
        SheetKind.VIEWS,
        _aliases({
            "name": ["Name", "Label"],
            "machine_name": ["Machine name"],
            "base_table": ["Base table", "Show"],
            "status": ["Status"],
            "description": ["Description"],
            "bundles": ["Bundles", "Bundle", "Content types"],
        }),
        frozenset({"name", "machine_name", "base_table"}),
        filename_hints=("view",),
    ),
    SheetDefinition(
        SheetKind.VIEW_DISPLAYS,
        _aliases({
            "view": ["View"],
            "title": ["Title", "Display title"],
            "machine_name": ["Machine name"],
            "display_plugin": ["Display plugin", "Display type"],
            "path": ["Path", "URL"],
            "description": ["Description"],
        }),
        frozenset({"view", "title", "machine_name", "display_plugin"}),
        filename_hints=("display",),
    ),
    SheetDefinition(
        SheetKind.IMAGE_STYLES,
        _aliases({"name": ["Style name"], "machine_name": ["Machine name"]}),
        frozenset({"name", "machine_name"}),
        filename_hints=("image_style", "image style", "styles"),
    ),
    SheetDefinition(
        SheetKind.IMAGE_EFFECTS,
        _aliases({"image_style": ["Image style"], "effect": ["Effect"], "summary": ["Summary"]}),
        frozenset({"image_style", "effect", "summary"}),
        filename_hints=("effect",),
    ),
    SheetDefinition(
        SheetKind.USER_ROLES,
        _aliases({"name": ["Name", "Label"], "machine_name": ["Machine name"]}),
        frozenset({"name", "machine_name"}),
        filename_hints=("role",),
    ),
    SheetDefinition(
        SheetKind.PERMISSIONS,
        _aliases({"provider": ["Provider", "Module"], "permission": ["Permission"]}),
        frozenset({"permission"}),
        extra_columns_are_data=True,
        filename_hints=("permission",),
    ),
    SheetDefinition(
        SheetKind.WORKFLOWS,
        _aliases({
            "name": ["Label", "Name"],
            "machine_name": ["Machine name"],
            "type": ["Type"],
            "bundles": ["Bundles", "Applies to"],
        }),
        frozenset({"name", "machine_name", "type"}),
        filename_hints=("workflow",),
    ),
    SheetDefinition(
        SheetKind.WORKFLOW_STATES,
        _aliases({"workflow": ["Workflow"], "name": ["Label", "Name"], "machine_name": ["Machine name"]}),
        frozenset({"workflow", "name", "machine_name"}),
        filename_hints=("state",),
    ),
    SheetDefinition(
        SheetKind.WORKFLOW_TRANSITIONS,
        _aliases({
            "workflow": ["Workflow"],
            "name": ["Label", "Name"],
            "machine_name": ["Machine name"],
            "from_state": ["From state", "From"],
            "to_state": ["To state", "To"],
        }),
        frozenset({"workflow", "name", "machine_name", "from_state", "to_state"}),
        filename_hints=("transition",),
    ),
    SheetDefinition(
        SheetKind.MENUS,
        _aliases({"name": ["Name", "Label"], "machine_name": ["Machine name"], "description": ["Description"]}),
        frozenset({"name", "machine_name", "description"}),
        filename_hints=("menu",),
    ),
    SheetDefinition(
        SheetKind.CUSTOM_ENTITIES,
        _aliases({"name": ["Name", "Label"], "machine_name": ["Machine name"], "description": ["Description"]}),
        frozenset({"name", "machine_name", "description"}),
        filename_hints=("custom_entit", "custom entit", "custom-entit"),
    ),
    SheetDefinition(
        SheetKind.MIGRATIONS,
        _aliases({
            "name": ["Label", "Name"],
            "machine_name": ["Machine name"],
            "source": ["Source", "Source plugin"],
            "destination_entity_type": ["Destination entity type", "Destination type"],
            "destination_bundle": ["Destination bundle", "Bundle"],
            "dependencies": ["Dependencies", "Migration dependencies"],
        }),
        frozenset({"name", "machine_name", "destination_entity_type", "destination_bundle"}),
        filename_hints=("migration",),
    ),
    SheetDefinition(
        SheetKind.MIGRATION_MAPPINGS,
        _aliases({
            "migration": ["Migration"],
            "source_field": ["Source field", "Source"],
            "destination_field": ["Destination field", "Destination"],
            "process": ["Process", "Process/transform", "Transform"],
            "default_value": ["Default value", "Default"],
        }),
        frozenset({"migration", "destination_field"}),
        filename_hints=("mapping",),
    ),
)

SHEET_BY_KIND = {sheet.kind: sheet for sheet in SHEETS}


@dataclass(frozen=True)
class HeaderMatch:
    """A header row read as one sheet: which column index holds which canonical column."""

    sheet: SheetDefinition
    columns: dict[str, int]  # canonical column -> index
    headers: dict[str, str]  # canonical column -> header as written in the file
    extra: dict[int, str]  # index -> header text of columns the sheet does not know
    duplicates: tuple[str, ...]  # header texts given twice (the first one wins)


def match_header(sheet: SheetDefinition, header: Sequence[str]) -> HeaderMatch:
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    extra: dict[int, str] = {}
    duplicates: list[str] = []
    texts = [normalise_header(h) for h in header]
    # The VA.gov and machine-id field lists carry the bundle's type in "Type"/"Entity type" and the
    # field type in "Field type"/"Type": which one "Type" means depends on what else is there.
    aliases = dict(sheet.aliases)
    if sheet.kind is SheetKind.FIELDS:
        if "field type" in texts:
            aliases["type"] = "bundle_type"
        elif "entity type" in texts:
            aliases["type"] = "field_type"
    for index, text in enumerate(texts):
        canonical = aliases.get(text)
        if not text:
            continue
        if canonical is None:
            extra[index] = header[index].strip()
        elif canonical in columns:
            duplicates.append(header[index].strip())
        else:
            columns[canonical] = index
            headers[canonical] = header[index].strip()
    return HeaderMatch(sheet, columns, headers, extra, tuple(duplicates))


def recognise_sheet(header: Sequence[str], filename: str) -> tuple[HeaderMatch | None, HeaderMatch | None]:
    """The sheet whose required columns the header has, most specific first.

    Returns (match, closest): `match` is None when no sheet's required columns are all present; then
    `closest` is the sheet that came nearest, so the error can name what is missing.
    """
    lowered = filename.lower()
    best: tuple[tuple[int, int, int], HeaderMatch] | None = None
    closest: tuple[tuple[int, int], HeaderMatch] | None = None
    for sheet in SHEETS:
        match = match_header(sheet, header)
        present = sheet.required & match.columns.keys()
        hint = int(any(h in lowered for h in sheet.filename_hints))
        near = (len(present) * 2 + hint, -len(sheet.required - present))
        if present and (closest is None or near > closest[0]):
            closest = (near, match)
        if present != sheet.required:
            continue
        unknown = 0 if sheet.extra_columns_are_data else len(match.extra)
        score = (len(match.columns) - unknown, hint, len(sheet.required))
        if best is None or score > best[0]:
            best = (score, match)
    if best is not None:
        return best[1], None
    return None, closest[1] if closest else None


def named_otherwise(match: HeaderMatch, header: Sequence[str],
                    filename: str) -> tuple[SheetDefinition, list[str]] | None:
    """The sheet the file's name points to when its columns made it another one, and what that sheet lacks.

    'bundles.csv' read as a menu (its Type column gone) is then reported instead of passing silently.
    """
    lowered = filename.lower()
    if any(h in lowered for h in match.sheet.filename_hints):
        return None
    named = [sheet for sheet in SHEETS if any(h in lowered for h in sheet.filename_hints)]
    if not named:
        return None
    scored = [(len(sheet.required & match_header(sheet, header).columns.keys()), sheet) for sheet in named]
    _, closest = max(scored, key=lambda pair: pair[0])
    missing = sorted(closest.required - match_header(closest, header).columns.keys())
    return closest, missing
