"""The template writer's analysis: the configuration to build, spelled out from every spec column given."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from integrations.spec import drupal_knowledge as dk
from integrations.spec.drupal_knowledge import one_line
from integrations.spec.reader import SpecRow
from integrations.spec.rows import TicketRows
from integrations.spec.sheets import SheetKind
from integrations.text_blocks import fenced, table_block
from integrations.tickets import TicketAction, TicketBrief, TicketKind
from integrations.writers import ticket_parts as parts
from integrations.writers.migration_yaml import file_fields, migration_yaml
from integrations.writers.template_planned import modules_line, planned_sections


@dataclass
class Plan:
    """What one kind of ticket contributes: headed sections, the modules it needs, the config it writes."""

    sections: list[str] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    config: list[str] = field(default_factory=list)

    def section(self, heading: str, lines: list[str]) -> None:
        if lines:
            self.sections.append("\n".join([heading, *lines]))


def build_analysis(brief: TicketBrief, intro: str) -> str:
    """Plain text: intro, per-kind configuration, modules, build order, notes, config names, Behat, rows."""
    rows = TicketRows.split(brief.kind, brief.rows)
    plan = Plan(config=_config_names(brief))
    if brief.kind in _KIND_PLANS and brief.action is not TicketAction.REMOVE:
        _KIND_PLANS[brief.kind](brief, rows, plan)
    for heading, lines in planned_sections(brief):
        plan.section(heading, lines)
    sections = [intro, *plan.sections]
    notes = parts.spec_notes(brief)
    if notes:
        sections.append("\n".join(["Spec notes (verbatim)", *_bullets(notes)]))
    gotchas = parts.gotchas(brief)
    if gotchas:
        sections.append("\n".join(["Gotchas", *_bullets(gotchas)]))
    modules = dk.describe_modules(plan.modules)
    if modules:
        sections.append("\n".join([modules_line(brief), *_bullets(modules)]))
    if brief.depends_on:
        sections.append(
            "\n".join(["Build after:", *(f"- {d.label} ({d.key}): {d.reason}" for d in brief.depends_on)])
        )
    else:
        sections.append("Build after: nothing; this ticket can start at once.")
    if brief.notes:
        sections.append("\n".join(["Planner notes", *(f"- {note}" for note in brief.notes)]))
    config = list(dict.fromkeys(plan.config))
    sections.append(
        "\n".join([
            "Configuration this removes" if brief.action is TicketAction.REMOVE else "Configuration this produces",
            *_bullets(config),
            "Export it with `drush config:export` (drush cex) and commit the changes in config/sync.",
        ])
    )
    sections.append(f"Spec rows: {_sources(brief.rows)}" if brief.rows else "Spec rows: none")
    return "\n\n".join(sections)


def _config_names(brief: TicketBrief) -> list[str]:
    """The config names the ticket writes, before its kind's plan adds the rest."""
    kind = brief.kind
    if kind in (TicketKind.MERGED_FAMILY, TicketKind.PROVIDED_CONFIG, TicketKind.SHARED_FIELD_STORAGES):
        return [m.key for m in brief.members]
    if kind is TicketKind.LANGUAGES:
        return ["language.entity.* (one per language)",
                *(f"language.content_settings.{dk.entity_type_for('', m.key)}.{m.machine_name}" for m in brief.members)]
    if kind in (TicketKind.EXISTING_BUNDLE_FIELDS, TicketKind.BEHAT_SETUP):
        return []
    return [brief.key]


# --- bundles and fields --------------------------------------------------------------------------------


def _bundle_plan(brief: TicketBrief, rows: TicketRows, plan: Plan) -> None:
    entity_type = dk.entity_type_for(brief.entity_type_label, brief.key)
    plan.modules.extend(dk.BUNDLE_TYPE_MODULES.get(entity_type, ()))
    value = rows.own_value
    where = dk.BUNDLE_ADD_PATHS.get(entity_type)
    lines = [
        f"- Type: {one_line(brief.entity_type_label)} (entity type {entity_type})"
        + (f"; add at {where}" if where else ""),
        f"- Name: {one_line(brief.label)}",
        f"- Machine name: {one_line(brief.machine_name)}",
        f"- Description: {one_line(value('description')) or '(none)'}",
    ]
    if value("examples"):
        lines.append(f"- Examples: {one_line(value('examples'))}")
    flags = (
        ("moderated", "Content moderation", ("content_moderation", "workflows"),
         "the workflow ticket makes it apply and checks it"),
        ("layout", "Layout Builder", ("layout_builder",), 'tick "Use Layout Builder" on the default display'),
        ("translatable", "Translation", ("language", "content_translation"),
         "enable it at /admin/config/regional/content-language"),
        ("migrated", "Populated by migration", (),
         "keep field machine names stable; the migration ticket imports the content and checks it"),
        ("comments", "Comments", ("comment",), "add a Comments field"),
        ("meta_tags", "Meta tags", ("metatag",), "add a Metatag default (or a Meta tags field)"),
        ("scheduled", "Scheduled publishing", ("scheduler",), "enable it in the bundle's Scheduler settings"),
    )
    given = rows.own.values if rows.own else {}
    for column, title, modules, how in flags:
        if column not in given:  # a Behat-layout sheet says nothing about it
            continue
        cell = value(column)
        if dk.is_yes(cell):
            lines.append(f"- {title}: yes — {how}")
            plan.modules.extend(modules)
        else:
            lines.append(f"- {title}: {'no' if dk.is_no(cell) else one_line(cell)}")
    if value("url_alias_pattern"):
        pattern = one_line(value("url_alias_pattern"))
        lines.append(f"- URL alias pattern: {pattern} (a Pathauto pattern for this bundle)")
        plan.modules.extend(("pathauto", "token"))
        plan.config.append("pathauto.pattern.* (one pattern for this bundle)")
    if value("settings"):
        lines.append(f"- Settings/notes: {one_line(value('settings'))}")
    if entity_type == "media":
        lines.append("- Media source: the source plugin (Image, Document, Remote video …) "
                     + ("named in Settings/notes" if value("settings") else "is not in the spec: ask before building"))
    plan.section(f"{one_line(brief.entity_type_label)}", lines)
    if dk.is_yes(value("translatable")):
        plan.config.append(f"language.content_settings.{entity_type}.{brief.machine_name}")
    _fields_plan(brief, rows, plan)


def _fields_plan(brief: TicketBrief, rows: TicketRows, plan: Plan) -> None:
    entity_type = dk.entity_type_for(brief.entity_type_label, brief.key)
    bundle = one_line(brief.machine_name)
    field_rows = rows.of(SheetKind.FIELDS)
    fields = [r for r in field_rows if not dk.is_field_group(r.get("field_type"), r.get("machine_name"))]
    groups = [r for r in field_rows if r not in fields]
    if not field_rows:
        return
    if brief.kind is TicketKind.EXISTING_BUNDLE_FIELDS:
        plan.section(one_line(brief.entity_type_label) or "Bundle", [
            f"- {one_line(brief.label)} ({brief.key}) exists already: only its fields and form and view "
            "displays change"
        ])
    manage = dk.FIELD_UI_PATHS.get(entity_type, "").format(bundle=bundle)
    heading = f"Fields ({len(fields)})" + (f" — manage at {manage}" if manage else "")
    for row in fields:
        plan.modules.extend(dk.field_modules(row.get("field_type"), row.get("form_widget"), row.get("ref_bundle")))
        name = one_line(row.get("machine_name"))
        plan.config.extend((f"field.storage.{entity_type}.{name}", f"field.field.{entity_type}.{bundle}.{name}"))
    if fields:
        plan.section(heading, [
            table_block(FIELD_TABLE_HEADER, [_field_cells(row) for row in fields]),
            "- A field storage is shared by every bundle of the entity type: when field.storage."
            f"{entity_type}.<field> exists already, re-use the field; its type and cardinality must match.",
        ])
    group_lines = []
    for group in groups:
        names = {group.get("machine_name"), group.get("field_label")} - {""}
        members = [one_line(r.get("field_label")) for r in fields if r.get("field_group") in names]
        group_lines.append(
            f"- {one_line(group.get('field_label'))} ({one_line(group.get('machine_name'))}): "
            f"{one_line(group.get('field_type')) or 'group'}" + (f", holding {', '.join(members)}" if members else "")
        )
    plan.section("Field groups (Field Group module, on the form display)", group_lines)
    if groups or any(r.get("field_group") for r in fields):
        plan.modules.append("field_group")
    plan.config.extend((
        f"core.entity_form_display.{entity_type}.{bundle}.default",
        f"core.entity_view_display.{entity_type}.{bundle}.default",
    ))


FIELD_TABLE_HEADER = ("Label", "Machine name", "Type", "Required", "Values", "Widget", "Translatable",
                      "Help text, references, settings")


def _field_cells(row: SpecRow) -> tuple[str, ...]:
    details = []
    if row.get("help_text"):
        details.append(f"help: {one_line(row.get('help_text'))}")
    if row.get("ref_bundle"):
        targets = []
        for target in dk.split_list(row.get("ref_bundle")):
            kind = target.rsplit("(", 1)[-1].rstrip(")") if target.endswith(")") else ""
            target_type = dk.entity_type_id(kind)
            targets.append(f"{target} → {target_type}" if target_type else target)
        details.append(f"references {'; '.join(targets)}")
    if row.get("field_group"):
        details.append(f"group {one_line(row.get('field_group'))}")
    if row.get("settings"):
        title = "allowed values" if row.get("field_type").lower().startswith("list") else "settings"
        details.append(f"{title}: {one_line(row.get('settings'))}")
    return (
        one_line(row.get("field_label")), one_line(row.get("machine_name")), one_line(row.get("field_type")),
        "yes" if dk.flag(row.get("required"), "Required") == "Required" else "no",
        dk.cardinality(row.get("cardinality")), one_line(row.get("form_widget")) or "(not given)",
        "yes" if dk.flag(row.get("translatable"), "Translatable") == "Translatable" else "no",
        "; ".join(details),
    )


# --- everything else -----------------------------------------------------------------------------------


def _view_plan(brief: TicketBrief, rows: TicketRows, plan: Plan) -> None:
    value = rows.own_value
    displays = rows.of(SheetKind.VIEW_DISPLAYS)
    base_table = one_line(value("base_table"))
    if rows.own:
        lines = [
            f"- Name: {one_line(brief.label)}; machine name: {one_line(brief.machine_name)}; "
            "add at /admin/structure/views/add",
            f"- Base table (Show): {base_table or '(not given)'}",
            f"- Status: {dk.view_status(value('status'))}",
            f"- Description: {one_line(value('description')) or '(none)'}",
        ]
        if base_table.lower().startswith("index "):
            index = dk.machine_name_of(base_table[6:])
            lines.append(f"- Needs the Search API index {base_table[6:]} (search_api.index.{index}) to exist")
        if value("bundles"):
            lines.append(f"- Lists: {', '.join(dk.split_list(value('bundles')))} (filter on bundle)")
        plan.section("View", lines)
    else:
        plan.section("View", [f"- Exists already: add the displays below to views.view.{brief.machine_name}"])
    display_lines = []
    for row in displays:
        extra = [f"path {one_line(row.get('path'))}" if row.get("path") else ""]
        extra.append(one_line(row.get("description")))
        shown = "; ".join(e for e in extra if e)
        display_lines.append(
            f"- {one_line(row.get('title'))} ({one_line(row.get('machine_name'))}): "
            f"{one_line(row.get('display_plugin'))} display" + (f"; {shown}" if shown else "")
        )
    plan.section(f"Displays ({len(displays)})", display_lines)
    plan.section("What the spec's notes decide", parts.view_lines(parts.view_facts(rows)))
    plan.modules.extend(dk.view_modules(base_table, (r.get("display_plugin") for r in displays)))


def _image_style_plan(brief: TicketBrief, rows: TicketRows, plan: Plan) -> None:
    effects = rows.of(SheetKind.IMAGE_EFFECTS)
    plan.section("Image style", [
        f"- Style name: {one_line(brief.label)}; machine name: {one_line(brief.machine_name)}",
        "- Add at /admin/config/media/image-styles/add" if rows.own else "- Exists already: add the effects",
    ])
    lines = []
    for number, row in enumerate(effects, start=1):
        summary = one_line(row.get("summary"))
        lines.append(f"{number}. {one_line(row.get('effect'))}" + (f" — {summary}" if summary else ""))
        plan.modules.extend(dk.effect_modules(row.get("effect")))
    plan.section(f"Effects, in this order ({len(effects)})", lines)
    if any("focal point" in r.get("effect").lower() for r in effects):
        plan.section("Focal Point", [
            "- Image fields that use this style need the Image (Focal Point) widget so editors can set the point."
        ])
    plan.modules.append("image")


def _workflow_plan(brief: TicketBrief, rows: TicketRows, plan: Plan) -> None:
    value = rows.own_value
    states = rows.of(SheetKind.WORKFLOW_STATES)
    transitions = rows.of(SheetKind.WORKFLOW_TRANSITIONS)
    lines = [
        f"- Label: {one_line(brief.label)}; machine name: {one_line(brief.machine_name)}",
        f"- Type: {one_line(value('type')) or '(exists already)'}; add at /admin/config/workflow/workflows/add",
    ]
    if value("bundles"):
        lines.append(f"- Applies to: {', '.join(dk.split_list(value('bundles')))}")
    elif brief.depends_on:
        lines.append("- Applies to: the bundles under Build after (their Mod. column is y)")
    else:
        lines.append("- Applies to: the spec does not say (no Bundles column, no bundle with Mod. = y): ask")
    plan.section("Workflow", lines)
    flags = parts.state_flags(rows)
    if flags:
        plan.section(f"States ({len(states)}) — flags as content moderation sets them; confirm any marked *", [
            table_block(("State", "Machine name", "Published", "Default revision", "Default state"), [
                (f.label, f.machine_name, "yes" if f.published else "no", "yes" if f.default_revision else "no",
                 "yes" if f.default else "")
                for f in flags
            ]),
        ])
    if parts.is_content_moderation(rows) and flags and not any(f.published for f in flags):
        plan.section("Spec problem", ["- This content-moderation workflow has no published state: nothing it "
                                      "moderates can be published. Ask the product owner (see the open questions)."])
    grouped: dict[str, list[SpecRow]] = {}
    for row in transitions:
        grouped.setdefault(row.get("machine_name") or row.get("name"), []).append(row)
    plan.section(f"Transitions ({len(grouped)})", [
        f"- {one_line(group[0].get('name'))} ({one_line(machine)}): "
        f"{', '.join(dict.fromkeys(one_line(r.get('from_state')) for r in group))} → "
        f"{one_line(group[0].get('to_state'))}"
        for machine, group in grouped.items()
    ])
    plan.section("Permissions", [
        f'- Each transition adds the permission "use {one_line(brief.machine_name)} transition <transition machine '
        'name>"; the user-role tickets grant them.'
    ])
    plan.modules.extend(("workflows", "content_moderation"))


def _role_plan(brief: TicketBrief, rows: TicketRows, plan: Plan) -> None:
    machine = one_line(brief.machine_name)
    lines = [f"- Name: {one_line(brief.label)}; machine name: {machine}"]
    if machine in dk.CORE_ROLES:
        lines.append("- A core role: it exists on every site; only its permissions change")
    if machine in ("anonymous", "authenticated"):
        lines.append(f"- The {machine} role cannot be assigned to an account: test it "
                     + ("logged out" if machine == "anonymous" else "with a plain account that has no other role"))
    elif rows.own:
        lines.append("- Add at /admin/people/roles/add")
    plan.section("User role", lines)
    permissions = parts.role_permissions(brief)
    if machine == "administrator":
        plan.section("Administrator: confirm, do not grant", [
            "- The role has is_admin set (Account settings → Administrator role), which gives it every permission:",
            "  confirm `drush config:get user.role.administrator is_admin` prints true; grant nothing one by one.",
            f"- The grid ticks {len(permissions)} permissions for it; all are covered by is_admin.",
        ])
        plan.modules.append("user")
        return
    if permissions:
        plan.section(f"Permissions to grant ({len(permissions)})", [table_block(
            ("Provider", "Permission (title)", "Machine name"),
            [(provider or "(not given)", name.title, name.machine_name + ("" if name.certain else " (from the title)"))
             for provider, name in permissions],
        )])
        names = ",".join(name.machine_name for _, name in permissions)
        plan.section("How", [
            f"- Tick them at /admin/people/permissions/{machine} and grant nothing else, or run:",
            fenced(f"drush role:perm:add {machine} '{names}'", "bash"),
            "- The modules that provide them must be enabled first.",
        ])
    plan.modules.append("user")


def _menu_plan(brief: TicketBrief, rows: TicketRows, plan: Plan) -> None:
    plan.section("Menu", [
        f"- Name: {one_line(brief.label)}; machine name: {one_line(brief.machine_name)}; "
        "add at /admin/structure/menu/add",
        f"- Description: {one_line(rows.own_value('description')) or '(none)'}",
        "- Menu links are content, not configuration: add them after the menu exists.",
    ])
    plan.modules.append("menu_ui")


def _custom_entity_plan(brief: TicketBrief, rows: TicketRows, plan: Plan) -> None:
    machine = one_line(brief.machine_name)
    plan.section("Custom entity type", [
        f"- Name: {one_line(brief.label)}; machine name: {machine}",
        f"- Description: {one_line(rows.own_value('description')) or '(none)'}",
        f"- Either ECK: add it at /admin/structure/eck/add (config eck.eck_entity_type.{machine}),",
        "  or a custom module: a ContentEntityType class with base fields, access control handler, "
        "route provider, views data and admin forms.",
        "- Bundles and fields of this entity type come in their own tickets, if the spec has them.",
    ])
    plan.modules.append("eck")


def _migration_plan(brief: TicketBrief, rows: TicketRows, plan: Plan) -> None:
    value = rows.own_value
    mappings = rows.of(SheetKind.MIGRATION_MAPPINGS)
    dependencies = dk.split_list(value("dependencies"))
    plan.section("Migration", [
        f"- Label: {one_line(brief.label)}; id: {one_line(brief.machine_name)}",
        f"- Source: {one_line(value('source')) or '(not given)'}",
        f"- Destination: {one_line(value('destination_entity_type')) or '(not given)'}, "
        f"bundle {one_line(value('destination_bundle')) or '(not given)'}",
        f"- Depends on migrations: {', '.join(dependencies) if dependencies else 'none'}",
    ])
    if mappings:
        plan.section(f"Field mappings ({len(mappings)})", [table_block(
            ("Destination", "Source", "Process", "Default"),
            [(one_line(r.get("destination_field")), one_line(r.get("source_field")) or "(constant)",
              one_line(r.get("process")) or "get", one_line(r.get("default_value"))) for r in mappings],
        )])
    files = file_fields(mappings)
    if files:
        plan.section("Files", [f"- {', '.join(files)} hold files: migrate the files first (a d7_file or file_copy "
                               "migration) and look them up with migration_lookup."])
    yaml = migration_yaml(brief.machine_name, brief.label, rows.own, mappings)
    plan.section(
        f"Starting point: config/sync/migrate_plus.migration.{one_line(brief.machine_name)}.yml",
        [fenced(yaml, "yaml")],
    )
    plan.section("Run it", [fenced(
        f"drush migrate:status {one_line(brief.machine_name)}\n"
        f"drush migrate:import {one_line(brief.machine_name)} --update\n"
        f"drush migrate:messages {one_line(brief.machine_name)}\n"
        f"drush migrate:rollback {one_line(brief.machine_name)}", "bash")])
    plan.modules.extend(dk.migration_modules(value("source")))


_KIND_PLANS: dict[TicketKind, Callable[[TicketBrief, TicketRows, Plan], None]] = {
    TicketKind.BUNDLE: _bundle_plan,
    TicketKind.EXISTING_BUNDLE_FIELDS: _fields_plan,
    TicketKind.VIEW: _view_plan,
    TicketKind.IMAGE_STYLE: _image_style_plan,
    TicketKind.ROLE: _role_plan,
    TicketKind.WORKFLOW: _workflow_plan,
    TicketKind.MENU: _menu_plan,
    TicketKind.CUSTOM_ENTITY: _custom_entity_plan,
    TicketKind.MIGRATION: _migration_plan,
}


def _bullets(items: list[str]) -> list[str]:
    return [f"- {item}" for item in items]


def _sources(rows: tuple[SpecRow, ...]) -> str:
    by_file: dict[str, list[str]] = {}
    for row in rows:
        by_file.setdefault(row.file, []).append(str(row.row))
    return "; ".join(
        f"{one_line(name)} row{'s' if len(numbers) > 1 else ''} {', '.join(numbers)}"
        for name, numbers in by_file.items()
    )
