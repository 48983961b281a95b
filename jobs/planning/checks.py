"""Verification checks and Behat blocks for one ticket, made from its spec rows (docs/design.md §7).

Checks use the Drupal Spec Tool's phrasing and its Behat column semantics (Required/blank, a number or
Unlimited, Translatable/blank), whichever sheet layout the rows came from. Behat blocks hold only this
ticket's rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from integrations.spec.drupal_knowledge import (
    cardinality,
    entity_type_id,
    flag,
    is_field_group,
    is_no,
    is_yes,
    lower_first,
    one_line,
    split_list,
    view_status,
)
from integrations.spec.reader import SpecRow
from integrations.spec.rows import TicketRows
from integrations.spec.sheets import SheetKind
from integrations.tickets import SourceRef, TicketAction, TicketKind, TicketMember

FIELDS_HEADER = (
    "Bundle", "Field label", "Machine name", "Field type", "Required", "Cardinality", "Form widget",
    "Translatable", "Help text",
)
# VA.gov's per-bundle step compares this header: the bundle type gets its own column and Help text goes.
VA_FIELDS_HEADER = (
    "Type", "Bundle", "Field label", "Machine name", "Field type", "Required", "Cardinality", "Form widget",
    "Translatable",
)

# Bundle-level full-sheet columns that no Behat step checks: (column, its title, the check for "y").
# Moderation and migration are left out on purpose: only the workflow and the migration ticket can
# make them true, so they are checked there (a check must be able to pass when its ticket closes).
_BUNDLE_FLAGS = (
    ("layout", "Layout",
     'Layout Builder is enabled for {b}: "Use Layout Builder" is checked on its default display'),
    ("translatable", "Trns.",
     "{b} is translatable: content translation is enabled for it at /admin/config/regional/content-language"),
    ("comments", "Cmnt.",
     "Comments are enabled on {b}: it has a comment field open for new comments"),
    ("meta_tags", "Meta.",
     "Meta tags are configured for {b}: a Metatag default or a Meta tags field covers it"),
    ("scheduled", "Sched.",
     'Scheduled publishing is enabled for {b}: its edit form offers "Publish on" and "Unpublish on"'),
)
_OTHER_TICKETS_FLAGS = ("moderated", "migrated")


@dataclass(frozen=True)
class _Ticket:
    label: str
    machine_name: str
    entity_type_label: str
    rows: TicketRows

    @property
    def own(self) -> SpecRow | None:
        return self.rows.own

    def value(self, column: str) -> str:
        return self.rows.own_value(column)

    def of(self, sheet: SheetKind) -> list[SpecRow]:
        return self.rows.of(sheet)


@dataclass
class _Out:
    checks: list[str] = field(default_factory=list)
    behat: list[str] = field(default_factory=list)

    def table(self, step: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        if rows:
            self.behat.append(gherkin(step, header, rows))


def build_checks(
    kind: TicketKind,
    rows: Sequence[SpecRow],
    *,
    label: str,
    machine_name: str,
    entity_type_label: str,
    action: TicketAction = TicketAction.CREATE,
    members: Sequence[TicketMember] = (),
    modules: Sequence[str] = (),
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(checks, behat) for one ticket: one check per spec row, and Gherkin blocks of only its rows.

    A merged ticket checks each member as its own ticket would have; a removal checks that the thing is
    gone; the foundation tickets check what they set up.
    """
    if action is TicketAction.REMOVE:
        return (f"{one_line(entity_type_label)} {_q(one_line(label))} ({one_line(machine_name)}) no longer exists, "
                f"and `drush config:export` leaves no file in config/sync that names {one_line(machine_name)}",), ()
    if kind in _FOUNDATION:
        return tuple(_FOUNDATION[kind](members, modules)), ()
    if kind in (TicketKind.MERGED_FAMILY, TicketKind.PROVIDED_CONFIG):
        checks: list[str] = []
        behat: list[str] = []
        by_source: dict[SourceRef, list[int]] = {}  # each row's place, found per member without a scan
        for index, row in enumerate(rows):
            by_source.setdefault(SourceRef(row.file, row.row), []).append(index)
        for member in members:
            own = [rows[i] for i in sorted({i for ref in member.sources for i in by_source.get(ref, ())})]
            got = build_checks(member.kind, own, label=member.label, machine_name=member.machine_name,
                               entity_type_label=member.entity_type_label)
            checks.extend(got[0])
            behat.extend(got[1])
        return tuple(checks), tuple(behat)
    ticket = _Ticket(
        one_line(label), one_line(machine_name), one_line(entity_type_label), TicketRows.split(kind, rows)
    )
    out = _Out()
    _BUILDERS[kind](ticket, out)
    return tuple(out.checks), tuple(out.behat)


# --- bundles and fields ------------------------------------------------------------------------------


def _bundle(t: _Ticket, out: _Out) -> None:
    description = t.value("description")
    out.checks.append(
        f"The {lower_first(t.entity_type_label)} {_q(t.label)} ({t.machine_name}) exists with "
        f"{_described(description)}"
    )
    # The type cell is the bundle label Drupal reports, whichever spelling the spec used.
    out.table(
        "Then exactly the following content entity type bundles should exist",
        ("Name", "Machine name", "Type", "Description"),
        [(t.label, t.machine_name, t.entity_type_label, description)],
    )
    bundle = f"{t.label} ({t.entity_type_label})"
    for column, title, check in _BUNDLE_FLAGS:
        value = t.value(column)
        if is_yes(value):
            out.checks.append(check.format(b=bundle))
        elif not is_no(value):
            out.checks.append(f"{bundle} is set up as the spec's {title} column says: {_q(value)}")
    if t.value("url_alias_pattern"):
        pattern = _q(t.value("url_alias_pattern"))
        out.checks.append(f"New {bundle} items get a URL alias from the pattern {pattern} (Pathauto)")
    _fields(t, out)


def _fields(t: _Ticket, out: _Out) -> None:
    bundle = f"{t.label} ({t.entity_type_label})"
    rows = t.of(SheetKind.FIELDS)
    fields = [r for r in rows if not is_field_group(r.get("field_type"), r.get("machine_name"))]
    if fields:
        # One check for the whole table: the analysis lists each field once, in the field table.
        listed = ", ".join(one_line(r.get("machine_name")) for r in fields)
        out.checks.append(
            f"The {_count(len(fields), 'field')} of {bundle} match the field table (label, machine name, type, "
            f"required, cardinality, widget, translatable, help text): {listed}"
        )
    for group in (r for r in rows if r not in fields):
        names = {group.get("machine_name"), group.get("field_label")} - {""}
        members = [one_line(r.get("field_label")) for r in fields if r.get("field_group") in names]
        holding = f", holding {', '.join(members)}" if members else ""
        out.checks.append(
            f"Field group {_q(group.get('field_label'))} ({one_line(group.get('machine_name'))}) of type "
            f"{one_line(group.get('field_type'))} exists on the form of {bundle}{holding}"
        )
    entity_type = entity_type_id(t.entity_type_label)
    if entity_type is None:
        out.table(
            "Then exactly the following fields should exist",
            FIELDS_HEADER,
            [(bundle, *_field_cells(row), row.get("help_text")) for row in fields],
        )
        return
    # The stock step compares every field of the site; VA.gov's variant only this bundle's.
    out.table(
        f'Then exactly the following fields should exist for bundles "{t.machine_name}" '
        f"of entity type {entity_type}",
        VA_FIELDS_HEADER,
        [(t.entity_type_label, t.label, *_field_cells(row)) for row in fields],
    )


def _field_cells(row: SpecRow) -> tuple[str, ...]:
    return (
        row.get("field_label"), row.get("machine_name"), row.get("field_type"),
        flag(row.get("required"), "Required"), cardinality(row.get("cardinality")), row.get("form_widget"),
        flag(row.get("translatable"), "Translatable"),
    )


# --- views, image styles, workflows, roles, menus, custom entities -------------------------------------
# Without its own row the entity exists already (X = x): only the new child rows are checked.


def _view(t: _Ticket, out: _Out) -> None:
    if t.own:
        status = view_status(t.value("status"))
        check = (
            f"The view {_q(t.label)} ({t.machine_name}) exists — base table "
            f"{one_line(t.value('base_table'))}, {status}, {_described(t.value('description'))}"
        )
        if t.value("bundles"):
            check += f"; lists {', '.join(split_list(t.value('bundles')))}"
        out.checks.append(check)
        out.table(
            "Then exactly the following views should exist",
            ("Name", "Machine name", "Base table", "Status", "Description"),
            [(t.label, t.machine_name, t.value("base_table"), status, t.value("description"))],
        )
    displays = t.of(SheetKind.VIEW_DISPLAYS)
    if displays:
        shown = ", ".join(f"{one_line(r.get('title'))} ({one_line(r.get('machine_name'))}, "
                          f"{one_line(r.get('display_plugin'))})" for r in displays)
        out.checks.append(f"The view {t.label} has the displays {shown}")
    for row in displays:
        if row.get("path"):
            out.checks.append(
                f"Visiting {one_line(row.get('path'))} shows the {_q(row.get('title'))} display of {t.label}"
            )
    out.table(
        "Then exactly the following views displays should exist",
        ("View", "Title", "Machine name", "Display plugin"),
        [(t.label, r.get("title"), r.get("machine_name"), r.get("display_plugin")) for r in displays],
    )


def _image_style(t: _Ticket, out: _Out) -> None:
    if t.own:
        out.checks.append(f"The image style {_q(t.label)} ({t.machine_name}) exists")
        out.table(
            "Then exactly the following image styles should exist",
            ("Style name", "Machine name"),
            [(t.label, t.machine_name)],
        )
    effects = t.of(SheetKind.IMAGE_EFFECTS)
    if effects:
        shown = "; ".join(one_line(r.get("effect")) + (f" {one_line(r.get('summary'))}" if r.get("summary") else "")
                          for r in effects)
        out.checks.append(f"The image style {t.label} applies, in this order: {shown}")
    out.table(
        "Then exactly the following image effects should exist",
        ("Image style", "Effect", "Summary"),
        [(t.label, r.get("effect"), r.get("summary")) for r in effects],
    )


def _workflow(t: _Ticket, out: _Out) -> None:
    if t.own:
        workflow_type = t.value("type")
        check = f"The workflow {_q(t.label)} ({t.machine_name}) exists — "
        check += one_line(workflow_type)
        if t.value("bundles"):
            check += f"; applies to {', '.join(split_list(t.value('bundles')))}"
        out.checks.append(check)
        out.table(
            "Then exactly the following workflows should exist",
            ("Label", "Machine name", "Type"),
            [(t.label, t.machine_name, workflow_type)],
        )
    states = t.of(SheetKind.WORKFLOW_STATES)
    if states:
        out.checks.append(
            f"The workflow {t.label} has the states " + ", ".join(
                f"{one_line(r.get('name'))} ({one_line(r.get('machine_name'))})" for r in states)
            + ", with the published and default-revision flags of the states table"
        )
    out.table(
        "Then exactly the following workflow states should exist",
        ("Workflow", "Label", "Machine name"),
        [(t.label, r.get("name"), r.get("machine_name")) for r in states],
    )
    # Behat compares state labels, and a spec may name the states of a transition by machine name.
    labels = {r.get("name") for r in states}
    by_machine_name = {r.get("machine_name"): r.get("name") for r in states}

    def state(name: str) -> str:
        return name if name in labels else by_machine_name.get(name, name)

    transitions = t.of(SheetKind.WORKFLOW_TRANSITIONS)
    grouped: dict[str, list[SpecRow]] = {}
    for row in transitions:
        grouped.setdefault(row.get("machine_name") or row.get("name"), []).append(row)
    if grouped:
        shown = "; ".join(
            f"{one_line(group[0].get('name'))} ({one_line(machine)}): "
            f"{', '.join(dict.fromkeys(one_line(state(r.get('from_state'))) for r in group))} → "
            f"{one_line(state(group[0].get('to_state')))}"
            for machine, group in grouped.items()
        )
        out.checks.append(f"The workflow {t.label} has the transitions {shown}")
    out.table(
        "Then exactly the following workflow transitions should exist",
        ("Workflow", "Label", "Machine name", "From state", "To state"),
        [
            (t.label, r.get("name"), r.get("machine_name"), state(r.get("from_state")),
             state(r.get("to_state")))
            for r in transitions
        ],
    )


def _role(t: _Ticket, out: _Out) -> None:
    role = f"{_q(t.label)} ({t.machine_name})"
    if t.own:
        out.checks.append(f"The user role {role} exists")
        out.table("Then exactly the following roles should exist", ("Name", "Machine name"),
                  [(t.label, t.machine_name)])
    permissions = t.of(SheetKind.PERMISSIONS)
    if not permissions or t.machine_name == "administrator":
        return  # the administrator role is confirmed as is_admin instead (the writers say how)
    # No Behat step checks permissions: this check is the only guard; the table lists them by machine name.
    out.checks.append(
        f"Role {role} has exactly the {_count(len(permissions), 'permission')} of the permissions table and no "
        f"others: `drush role:list --filter={t.machine_name} --format=yaml` lists exactly their machine names"
    )


def _menu(t: _Ticket, out: _Out) -> None:
    description = t.value("description")
    out.checks.append(f"The menu {_q(t.label)} ({t.machine_name}) exists with {_described(description)}")
    out.table(
        "Then exactly the following menus should exist",
        ("Name", "Machine name", "Description"),
        [(t.label, t.machine_name, description)],
    )


def _custom_entity(t: _Ticket, out: _Out) -> None:
    # The stock contexts know five entity types only, so this one is checked by hand.
    probe = f"var_export(\\Drupal::entityTypeManager()->hasDefinition('{t.machine_name}'));"
    out.checks.append(
        f"Custom entity type {_q(t.label)} ({t.machine_name}) exists — {_described(t.value('description'))}: "
        f'`drush php:eval "{probe}"` prints true'
    )


# --- migrations ----------------------------------------------------------------------------------------


def _migration(t: _Ticket, out: _Out) -> None:
    migration = t.machine_name
    bundle = one_line(t.value("destination_bundle"))
    entity_type = one_line(t.value("destination_entity_type"))
    destination = f"{bundle} ({entity_type})" if bundle and entity_type else bundle or entity_type
    destination = destination or "the destination"
    if t.own:
        facts = [f"source {one_line(t.value('source'))}" if t.value("source") else "", f"into {destination}"]
        if t.value("dependencies"):
            facts.append(f"after {', '.join(split_list(t.value('dependencies')))}")
        out.checks.append(
            f"`drush migrate:status {migration}` lists the migration {_q(t.label)} ({migration}) — "
            + ", ".join(f for f in facts if f)
        )
    mappings = t.of(SheetKind.MIGRATION_MAPPINGS)
    if mappings:
        targets = ", ".join(dict.fromkeys(one_line(r.get("destination_field")) for r in mappings))
        out.checks.append(
            f"After `drush migrate:import {migration}`, a sample imported item of {destination} holds the "
            f"values the mapping table gives for {targets}"
        )
    # Not spec rows, but no Behat step covers migrations, so the import and its undo are checked here.
    out.checks.append(
        f"`drush migrate:import {migration}` reports no failed items and "
        f"`drush migrate:messages {migration}` lists no messages"
    )
    out.checks.append(
        f"`drush migrate:rollback {migration}` removes every imported item: "
        f"`drush migrate:status {migration}` then shows 0 imported"
    )


_BUILDERS: dict[TicketKind, Callable[[_Ticket, _Out], None]] = {
    TicketKind.BUNDLE: _bundle,
    TicketKind.EXISTING_BUNDLE_FIELDS: _fields,
    TicketKind.VIEW: _view,
    TicketKind.IMAGE_STYLE: _image_style,
    TicketKind.ROLE: _role,
    TicketKind.WORKFLOW: _workflow,
    TicketKind.MENU: _menu,
    TicketKind.CUSTOM_ENTITY: _custom_entity,
    TicketKind.MIGRATION: _migration,
}


# --- foundation ----------------------------------------------------------------------------------------


def _modules_checks(members: Sequence[TicketMember], modules: Sequence[str]) -> list[str]:
    """One check for the whole list: a tester runs one command, not one per module."""
    if not modules:
        return []
    names = ", ".join(one_line(m) for m in modules)
    what = f"lists {names}" if len(modules) == 1 else f"lists each of the {len(modules)} modules: {names}"
    return [f"`drush pm:list --status=enabled --field=name` {what}"]


def _languages_checks(members: Sequence[TicketMember], modules: Sequence[str]) -> list[str]:
    checks = ["`drush pm:list --status=enabled --field=name` lists language and content_translation, and "
              "/admin/config/regional/language lists every language the site needs"]
    if members:
        names = ", ".join(f"{_q(one_line(m.label))} ({one_line(m.machine_name)})" for m in members)
        checks.append(f"Content translation is enabled at /admin/config/regional/content-language for "
                      f"{'each of the ' + str(len(members)) + ' bundles: ' if len(members) > 1 else ''}{names}")
    return checks


def _storages_checks(members: Sequence[TicketMember], modules: Sequence[str]) -> list[str]:
    return [f"`drush config:get {one_line(m.key)}` shows the storage of {_q(one_line(m.label))}: "
            f"{one_line(m.entity_type_label)}" for m in members]


def _behat_checks(members: Sequence[TicketMember], modules: Sequence[str]) -> list[str]:
    return [
        "`vendor/bin/behat --dry-run` runs against this site with the Drupal Extension's drupal API driver",
        "`vendor/bin/behat -dl` lists the Drupal Spec Tool steps, e.g. "
        '"Then exactly the following fields should exist"',
    ]


_FOUNDATION: dict[TicketKind, Callable[[Sequence[TicketMember], Sequence[str]], list[str]]] = {
    TicketKind.MODULES: _modules_checks,
    TicketKind.LANGUAGES: _languages_checks,
    TicketKind.SHARED_FIELD_STORAGES: _storages_checks,
    TicketKind.BEHAT_SETUP: _behat_checks,
}


# --- text ----------------------------------------------------------------------------------------------


def gherkin(step: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A step line and its pipe table, columns aligned, cells escaped as Gherkin requires."""
    table = [list(header), *([_cell(c) for c in row] for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in table]
    return "\n".join([step, *(f"  | {line} |" for line in lines)])


def _cell(value: str) -> str:
    text = value.strip().replace("\\", "\\\\").replace("|", "\\|")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _q(text: str) -> str:
    return f'"{one_line(text)}"'


def _described(description: str) -> str:
    return f"description {_q(description)}" if description.strip() else "no description"
