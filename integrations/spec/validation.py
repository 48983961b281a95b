"""Validate read sheets into a Catalog, reporting every problem at once with file, row and column."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from integrations.spec import drupal
from integrations.spec.catalog import Bundle, Catalog, Entity, Field, Migration, Role, View, Workflow
from integrations.spec.lookup import Lookup, split_list
from integrations.spec.problems import Level, Problem, did_you_mean
from integrations.spec.reader import SheetFile, SpecRow
from integrations.spec.sheets import SheetKind

LABEL_WITH_TYPE = re.compile(r"^(?P<label>.*\S)\s*\((?P<type>[^()]+)\)\s*$")


def validate(sheets: Sequence[SheetFile]) -> Catalog:
    """Resolve every entity and reference of the sheets; bad rows are left out and reported."""
    return SpecValidator(sheets).run()


class SpecValidator:
    def __init__(self, sheets: Sequence[SheetFile]) -> None:
        self.files = {sheet.name: sheet for sheet in sheets}
        self.rows: dict[SheetKind, list[SpecRow]] = defaultdict(list)
        for sheet in sheets:
            self.rows[sheet.kind].extend(sheet.rows)
        self.catalog = Catalog()
        self.bundles_by_entity: dict[str, Lookup[Bundle]] = defaultdict(Lookup)
        self.all_bundles: Lookup[Bundle] = Lookup()
        self.workflows: Lookup[Workflow] = Lookup()
        self.views: Lookup[View] = Lookup()
        self.styles: Lookup[Entity] = Lookup()
        self.roles: Lookup[Role] = Lookup()
        self.migrations: Lookup[Migration] = Lookup()
        self.rejected: dict[tuple[str, str], int] = {}  # (kind, lowercased name) -> row of a refused parent
        self.storages: dict[tuple[str, str], tuple[str, str, SpecRow]] = {}

    # ---- reporting -------------------------------------------------------------------------------

    def _report(self, level: Level, row: SpecRow, column: str | None, message: str, suggestion: str | None) -> None:
        header = self.files[row.file].header_of(column) if column and row.file in self.files else column
        self.catalog.problems.append(Problem(row.file, row.row, header, level, message, suggestion))

    def error(self, row: SpecRow, column: str | None, message: str, suggestion: str | None = None) -> None:
        self._report(Level.ROW_ERROR, row, column, message, suggestion)

    def warn(self, row: SpecRow, column: str | None, message: str, suggestion: str | None = None) -> None:
        self._report(Level.WARNING, row, column, message, suggestion)

    def _filled(self, row: SpecRow, *columns: str) -> bool:
        missing = [c for c in columns if not row.get(c)]
        for column in missing:
            self.error(row, column, "empty, but this column is required", "fill it in or remove the row")
        return not missing

    def _machine_name(self, row: SpecRow, *, pattern: re.Pattern[str] = drupal.MACHINE_NAME,
                      max_length: int | None = None, column: str = "machine_name") -> bool:
        name = row.get(column)
        if not pattern.match(name):
            menu = pattern is drupal.MENU_MACHINE_NAME
            allowed = "a-z, 0-9 and -" if menu else "a-z, 0-9 and _"
            fixed = re.sub(r"[^a-z0-9]+" if menu else r"[^a-z0-9_]+", "-" if menu else "_", name.lower()).strip("_-")
            self.error(row, column, f"invalid machine name '{name}': only {allowed} are allowed",
                       f"use '{fixed}'" if fixed else None)
            return False
        if max_length and len(name) > max_length:
            self.error(row, column, f"machine name '{name}' is {len(name)} characters, over Drupal's {max_length}",
                       f"shorten it, e.g. '{name[:max_length]}'")
            return False
        return True

    def _failed_since(self, mark: int) -> bool:
        return any(p.level is Level.ROW_ERROR for p in self.catalog.problems[mark:])

    def _built(self, rows: Iterable[SpecRow]) -> Iterable[SpecRow]:
        """Rows that count: rows marked w or d are skipped, and not checked."""
        return (row for row in rows if not row.is_skipped)

    def _parent_missing(self, row: SpecRow, column: str, kind: str, name: str, lookup: Lookup[Any]) -> None:
        refused = self.rejected.get((kind, name.lower()))
        if refused is not None:
            self.error(row, column, f"its {kind} '{name}' was left out because of the error on row {refused}")
        elif not lookup:
            self.error(row, column, f"unknown {kind} '{name}': no {kind}s sheet was uploaded",
                       f"upload the {kind}s sheet too")
        else:
            self.error(row, column, f"unknown {kind} '{name}'", lookup.suggest(name))

    def _skipped_target(self, row: SpecRow, column: str, kind: str, name: str) -> None:
        self.error(row, column, f"refers to {kind} '{name}', which is skipped (X = w, waiting, or d, to be "
                   "deleted)", "mark this row w as well, or change the reference or the X status")

    def _register(self, kind: str, row: SpecRow, entity: Entity, lookup: Lookup[Any],
                  seen: dict[str, SpecRow]) -> bool:
        machine = entity.machine_name
        if machine in seen:
            self.error(row, "machine_name", f"duplicate machine name '{machine}' (also on row {seen[machine].row})",
                       "give each a unique machine name")
            self.rejected.setdefault((kind, entity.label.lower()), row.row)
            return False
        seen[machine] = row
        lookup.add(entity.label, machine, entity)
        return True

    # ---- the pass --------------------------------------------------------------------------------

    def run(self) -> Catalog:
        self.read_bundles()
        self.read_workflows()
        self.read_moderation()
        self.read_fields()
        self.read_views()
        self.read_image_styles()
        self.read_roles()
        self.read_permissions()
        self.read_simple(SheetKind.MENUS, self.catalog.menus, pattern=drupal.MENU_MACHINE_NAME)
        self.read_simple(SheetKind.CUSTOM_ENTITIES, self.catalog.custom_entities, max_length=drupal.BUNDLE_MAX)
        self.read_migrations()
        self.read_mappings()
        return self.catalog

    # ---- bundles and fields ----------------------------------------------------------------------

    def read_bundles(self) -> None:
        seen: dict[tuple[str, str], SpecRow] = {}
        labels: dict[tuple[str, str], SpecRow] = {}
        for row in self.rows[SheetKind.BUNDLES]:
            if not self._filled(row, "name", "machine_name", "type"):
                continue
            label, machine = row.get("name"), row.get("machine_name")
            btype = drupal.bundle_type(row.get("type"))
            if btype is None:
                btype = drupal.custom_bundle_type(row.get("type"))
                self.warn(row, "type", f"unknown bundle type '{row.get('type')}': treated as a custom entity type",
                          "use Content type, Vocabulary, Media type, Paragraph type or Custom block type")
            if not self._machine_name(row, max_length=drupal.BUNDLE_MAX):
                self.rejected.setdefault(("bundle", label.lower()), row.row)
                continue
            if (btype.entity_type, machine) in seen:
                first = seen[(btype.entity_type, machine)]
                self.error(row, "machine_name", f"duplicate machine name '{machine}' (also on row {first.row})",
                           f"each {btype.label.lower()} needs its own machine name")
                continue
            if (btype.entity_type, label.lower()) in labels:
                first = labels[(btype.entity_type, label.lower())]
                self.error(row, "name", f"duplicate {btype.label.lower()} label '{label}' (also on row {first.row})",
                           "other sheets refer to bundles by label, so labels must be unique per type")
                continue
            seen[(btype.entity_type, machine)] = labels[(btype.entity_type, label.lower())] = row
            bundle = Bundle(label, machine, btype, row, existing=row.status == "x", skipped=row.is_skipped)
            self._add_bundle(bundle)

    def _add_bundle(self, bundle: Bundle) -> None:
        self.catalog.bundles.append(bundle)
        self.bundles_by_entity[bundle.type.entity_type].add(bundle.label, bundle.machine_name, bundle)
        self.all_bundles.add(bundle.label, bundle.machine_name, bundle)
        self.all_bundles.add(bundle.display, "", bundle)

    def resolve_bundle(self, row: SpecRow, column: str, text: str, type_text: str = "", *,
                       create_existing: bool) -> Bundle | None:
        """The bundle a cell names ('Article (Content type)', 'Article', 'article'); reports what fails."""
        label, btype = text.strip(), drupal.bundle_type(type_text) if type_text else None
        if type_text and btype is None:
            btype = drupal.custom_bundle_type(type_text)
        match = LABEL_WITH_TYPE.match(label)
        if btype is None and match and drupal.bundle_type(match["type"]):
            label, btype = match["label"].strip(), drupal.bundle_type(match["type"])
        lookup = self.bundles_by_entity[btype.entity_type] if btype else self.all_bundles
        found = lookup.find(label) or (self.all_bundles.find(text) if btype is None else None)
        if found is not None:
            if found.skipped and not row.is_skipped:
                self._skipped_target(row, column, "bundle", found.display)
                return None
            return found
        refused = self.rejected.get(("bundle", label.lower()))
        if refused is not None:
            self.error(row, column, f"its bundle '{label}' was left out because of the error on row {refused}")
            return None
        suggestion = lookup.suggest(label) or (self.all_bundles.suggest(label) if btype else None)
        if suggestion:
            self.error(row, column, f"unknown bundle '{text}'", suggestion)
            return None
        if btype is None:
            if label.lower() in drupal.BUNDLELESS_TARGETS and not create_existing:
                return None
            self.error(row, column, f"unknown bundle '{text}'",
                       "add it to the bundles sheet, or write it as 'Label (Type)' if it already exists")
            return None
        if not create_existing:
            self.warn(row, column, f"'{label} ({btype.label})' is not in the bundles sheet; assumed to exist")
            return None
        bundle = Bundle(label, drupal.machine_name_from_label(label, drupal.BUNDLE_MAX), btype, None, existing=True)
        self._add_bundle(bundle)
        self.warn(row, column, f"bundle '{bundle.display}' is not in the bundles sheet: treated as an existing "
                  f"bundle '{bundle.machine_name}'; its fields get an 'Add fields to existing bundle' ticket")
        return bundle

    def read_fields(self) -> None:
        seen: dict[tuple[int, str], SpecRow] = {}
        for row in self._built(self.rows[SheetKind.FIELDS]):
            if not self._filled(row, "bundle", "field_label", "machine_name", "field_type"):
                continue
            bundle = self.resolve_bundle(row, "bundle", row.get("bundle"), row.get("bundle_type"),
                                         create_existing=True)
            if bundle is None or not self._machine_name(row, max_length=drupal.BUNDLE_MAX):
                continue
            machine = row.get("machine_name")
            if (id(bundle), machine) in seen:
                first = seen[(id(bundle), machine)]
                self.error(row, "machine_name", f"field '{machine}' appears twice on {bundle.display} "
                           f"(also on row {first.row})", "remove one of the rows or rename the field")
                continue
            if not self._field_values(row) or not self._same_storage(row, bundle):
                continue
            seen[(id(bundle), machine)] = row
            mark = len(self.catalog.problems)
            targets = []
            for target_text in split_list(row.get("ref_bundle")):
                target = self.resolve_bundle(row, "ref_bundle", target_text, create_existing=False)
                if target is not None and target is not bundle:
                    targets.append(target)
            if self._failed_since(mark):
                continue
            self.catalog.fields.append(Field(row, bundle, machine, targets))

    def _field_values(self, row: SpecRow) -> bool:
        ok = True
        if row.get("field_type").lower() not in drupal.FIELD_TYPES:
            self.warn(row, "field_type", f"unknown field type '{row.get('field_type')}'",
                      "check the spelling, or name the contrib module that provides it in Settings/notes")
        widget = row.get("form_widget")
        if widget and widget.lower() not in drupal.FORM_WIDGETS:
            self.warn(row, "form_widget", f"unknown form widget '{widget}'", "check the widget label in Drupal")
        required = row.get("required").lower()
        if required not in drupal.YES | drupal.NO:
            self.error(row, "required", f"Required is '{row.get('required')}'",
                       "write 'Required' or leave it empty (y or n in the full sheet)")
            ok = False
        cardinality = row.get("cardinality")
        if cardinality and cardinality.lower() not in drupal.UNLIMITED and not (
            cardinality.isdigit() and int(cardinality) >= 1
        ):
            self.error(row, "cardinality", f"cardinality '{cardinality}' is not a number",
                       "write a whole number of 1 or more, or 'Unlimited' (* in the full sheet)")
            ok = False
        translatable = row.get("translatable").lower()
        if translatable not in drupal.YES | drupal.NO:
            self.warn(row, "translatable", f"Translatable is '{row.get('translatable')}'",
                      "write 'Translatable' or leave it empty (y or n in the full sheet)")
        return ok

    def _same_storage(self, row: SpecRow, bundle: Bundle) -> bool:
        """A field reused on several bundles of one entity type shares its storage: type and cardinality."""
        machine = row.get("machine_name")
        cardinality = row.get("cardinality").lower() or "1"
        cardinality = "unlimited" if cardinality in drupal.UNLIMITED else cardinality
        storage = (row.get("field_type").lower(), cardinality)
        key = (bundle.type.entity_type, machine)
        first = self.storages.setdefault(key, (*storage, row))
        if (first[0], first[1]) == storage:
            return True
        column = "field_type" if first[0] != storage[0] else "cardinality"
        self.error(row, column, f"field '{machine}' is {first[2].get('field_type')} with cardinality "
                   f"{first[2].get('cardinality') or 1} on row {first[2].row}; a field reused across "
                   f"{bundle.type.label.lower()}s keeps one field type and cardinality",
                   "use the same type and cardinality, or a different machine name")
        return False

    # ---- workflows -------------------------------------------------------------------------------

    def read_workflows(self) -> None:
        seen: dict[str, SpecRow] = {}
        for row in self.rows[SheetKind.WORKFLOWS]:
            if not self._filled(row, "name", "machine_name", "type"):
                continue
            if not self._machine_name(row):
                self.rejected.setdefault(("workflow", row.get("name").lower()), row.row)
                continue
            workflow = Workflow(row.get("name"), row.get("machine_name"), row,
                                existing=row.status == "x", skipped=row.is_skipped)
            if not self._register("workflow", row, workflow, self.workflows, seen):
                continue
            if row.get("type").lower() != "content moderation":
                self.warn(row, "type", f"workflow type '{row.get('type')}' is not Content moderation",
                          "ticketbot writes Content moderation workflows; check the type")
            for name in split_list(row.get("bundles")):
                bundle = self.resolve_bundle(row, "bundles", name, create_existing=False)
                if bundle is not None and bundle not in workflow.bundles:
                    workflow.bundles.append(bundle)
            self.catalog.workflows.append(workflow)
        state_lookups: dict[int, Lookup[SpecRow]] = defaultdict(Lookup)
        state_seen: dict[tuple[int, str], SpecRow] = {}
        for row in self._built(self.rows[SheetKind.WORKFLOW_STATES]):
            workflow = self._child_workflow(row)
            if workflow is None or not self._filled(row, "name", "machine_name") or not self._machine_name(row):
                continue
            key = (id(workflow), row.get("machine_name"))
            if key in state_seen:
                self.error(row, "machine_name", f"duplicate state '{row.get('machine_name')}' in workflow "
                           f"'{workflow.label}' (also on row {state_seen[key].row})")
                continue
            state_seen[key] = row
            state_lookups[id(workflow)].add(row.get("name"), row.get("machine_name"), row)
            workflow.states.append(row)
        transitions: dict[tuple[int, str], SpecRow] = {}
        for row in self._built(self.rows[SheetKind.WORKFLOW_TRANSITIONS]):
            workflow = self._child_workflow(row)
            if workflow is None or not self._filled(row, "name", "machine_name", "from_state", "to_state"):
                continue
            if not self._machine_name(row):
                continue
            states = state_lookups[id(workflow)]
            bad_state = False
            for column in ("from_state", "to_state"):
                if states.find(row.get(column)) is None:
                    bad_state = True
                    self.error(row, column, f"unknown state '{row.get(column)}' in workflow '{workflow.label}'",
                               states.suggest(row.get(column)) or "add the state to the workflow states sheet")
            if bad_state:
                continue
            key = (id(workflow), row.get("machine_name"))
            first = transitions.setdefault(key, row)
            if first is not row and (first.get("name"), first.get("to_state")) != (row.get("name"), row.get("to_state")):
                self.error(row, "to_state", f"transition '{row.get('machine_name')}' goes to "
                           f"'{first.get('to_state')}' on row {first.row}",
                           "one transition has one label and one target state; only From state may differ")
                continue
            workflow.transitions.append(row)

    def _child_workflow(self, row: SpecRow) -> Workflow | None:
        name = row.get("workflow")
        if not name:
            self._filled(row, "workflow")
            return None
        workflow = self.workflows.find(name)
        if workflow is None:
            self._parent_missing(row, "workflow", "workflow", name, self.workflows)
            return None
        if workflow.skipped:
            self._skipped_target(row, "workflow", "workflow", name)
            return None
        return workflow

    def read_moderation(self) -> None:
        """Bundles' Mod. column: y moderates with the (only) workflow, or it names the workflow."""
        live = [w for w in self.catalog.workflows if not w.skipped]
        for bundle in self.catalog.bundles:
            if bundle.row is None or bundle.skipped:
                continue
            value = bundle.row.get("moderated")
            if value.lower() in drupal.NO:
                continue
            workflow = self.workflows.find(value)
            if workflow is None and value.lower() in drupal.YES:
                if not live:
                    if self.rows[SheetKind.WORKFLOWS]:
                        self.warn(bundle.row, "moderated", "moderated, but no workflow is left to moderate it")
                    continue
                workflow = live[0]
                if len(live) > 1:
                    self.warn(bundle.row, "moderated", f"several workflows: '{workflow.label}' assumed",
                              "write the workflow's label in Mod. instead of y")
            if workflow is None:
                self.warn(bundle.row, "moderated", f"Mod. is '{value}', which names no workflow",
                          self.workflows.suggest(value) or "write y, n or a workflow label")
                continue
            if workflow.skipped:
                self._skipped_target(bundle.row, "moderated", "workflow", workflow.label)
                continue
            if bundle not in workflow.bundles:
                workflow.bundles.append(bundle)
            bundle.workflows.append(workflow)

    # ---- views and image styles ------------------------------------------------------------------

    def read_views(self) -> None:
        seen: dict[str, SpecRow] = {}
        for row in self.rows[SheetKind.VIEWS]:
            if not self._filled(row, "name", "machine_name", "base_table"):
                continue
            if not self._machine_name(row):
                self.rejected.setdefault(("view", row.get("name").lower()), row.row)
                continue
            view = View(row.get("name"), row.get("machine_name"), row, existing=row.status == "x",
                        skipped=row.is_skipped)
            if not self._register("view", row, view, self.views, seen):
                continue
            if row.get("status").lower() not in ("", "enabled", "disabled"):
                self.warn(row, "status", f"status '{row.get('status')}'", "write Enabled or Disabled")
            for name in split_list(row.get("bundles")):
                bundle = self.resolve_bundle(row, "bundles", name, create_existing=False)
                if bundle is not None and bundle not in view.bundles:
                    view.bundles.append(bundle)
            self.catalog.views.append(view)
        displays: dict[tuple[int, str], SpecRow] = {}
        for row in self._built(self.rows[SheetKind.VIEW_DISPLAYS]):
            name = row.get("view")
            if not self._filled(row, "view", "title", "machine_name", "display_plugin"):
                continue
            found = self.views.find(name)
            if found is None:
                self._parent_missing(row, "view", "view", name, self.views)
                continue
            if found.skipped:
                self._skipped_target(row, "view", "view", name)
                continue
            if not self._machine_name(row):
                continue
            key = (id(found), row.get("machine_name"))
            if key in displays:
                self.error(row, "machine_name", f"duplicate display '{row.get('machine_name')}' in view "
                           f"'{found.label}' (also on row {displays[key].row})")
                continue
            displays[key] = row
            if row.get("display_plugin").lower() not in drupal.VIEW_DISPLAY_PLUGINS:
                self.warn(row, "display_plugin", f"unknown display plugin '{row.get('display_plugin')}'")
            found.children.append(row)

    def read_image_styles(self) -> None:
        seen: dict[str, SpecRow] = {}
        for row in self.rows[SheetKind.IMAGE_STYLES]:
            if not self._filled(row, "name", "machine_name"):
                continue
            if not self._machine_name(row):
                self.rejected.setdefault(("image style", row.get("name").lower()), row.row)
                continue
            style = Entity(row.get("name"), row.get("machine_name"), row, existing=row.status == "x",
                           skipped=row.is_skipped)
            if self._register("image style", row, style, self.styles, seen):
                self.catalog.image_styles.append(style)
        for row in self._built(self.rows[SheetKind.IMAGE_EFFECTS]):
            if not self._filled(row, "image_style", "effect"):
                continue
            found = self.styles.find(row.get("image_style"))
            if found is None:
                self._parent_missing(row, "image_style", "image style", row.get("image_style"),
                                     self.styles)
                continue
            if found.skipped:
                self._skipped_target(row, "image_style", "image style", row.get("image_style"))
                continue
            if row.get("effect").lower() not in drupal.IMAGE_EFFECTS:
                self.warn(row, "effect", f"unknown image effect '{row.get('effect')}'")
            found.children.append(row)

    # ---- roles and permissions -------------------------------------------------------------------

    def read_roles(self) -> None:
        seen: dict[str, SpecRow] = {}
        for row in self.rows[SheetKind.USER_ROLES]:
            if not self._filled(row, "name", "machine_name"):
                continue
            if not self._machine_name(row):
                self.rejected.setdefault(("role", row.get("name").lower()), row.row)
                continue
            role = Role(row.get("name"), row.get("machine_name"), row, existing=row.status == "x",
                        skipped=row.is_skipped)
            if self._register("role", row, role, self.roles, seen):
                self.catalog.roles.append(role)

    def read_permissions(self) -> None:
        """The grid: one column per role; a cell holding the role's label (or y/x) grants it."""
        for sheet in self.files.values():
            if sheet.kind is not SheetKind.PERMISSIONS:
                continue
            columns = self._grid_roles(sheet)
            for row in self._built(sheet.rows):
                if not self._filled(row, "permission"):
                    continue
                granted: list[Role] = []
                for header, role in columns.items():
                    cell = row.extras.get(header, "")
                    if not cell or role is None:
                        continue
                    if cell.lower() not in drupal.YES and cell.lower() not in (role.label.lower(),
                                                                              role.machine_name.lower()):
                        self.warn(row, header, f"cell '{cell}' under role '{role.label}' is not a grant",
                                  f"write '{role.label}' to grant the permission, or leave the cell empty")
                        continue
                    if role.skipped:
                        self._skipped_target(row, header, "role", role.label)
                        granted = []
                        break
                    granted.append(role)
                else:
                    if not granted:
                        self.warn(row, "permission", "grants no role; no ticket includes it")
                        continue
                if granted:
                    self.catalog.permission_rows.append(row)
                    self.catalog.grants[id(row)] = granted
                    for role in granted:
                        role.children.append(row)

    def _grid_roles(self, sheet: SheetFile) -> dict[str, Role | None]:
        headers: list[str] = []
        for row in sheet.rows:
            headers.extend(h for h in row.extras if h not in headers)
        columns: dict[str, Role | None] = {}
        has_roles_sheet = bool(self.rows[SheetKind.USER_ROLES])
        for header in headers:
            role = self.roles.find(header) or self.roles.find(drupal.machine_name_from_label(header))
            if role is None and has_roles_sheet:
                self.catalog.problems.append(Problem(
                    sheet.name, 1, header, Level.WARNING, f"column '{header}' names no role of the roles sheet; "
                    "its grants are ignored", self.roles.suggest(header) or "add the role to the user roles sheet"))
            elif role is None:
                # No roles sheet: the grid's columns are the roles, assumed to exist already.
                role = Role(header, drupal.machine_name_from_label(header), None, existing=True)
                self.roles.add(role.label, role.machine_name, role)
                self.catalog.roles.append(role)
            columns[header] = role
        return columns

    # ---- menus, custom entities, migrations ------------------------------------------------------

    def read_simple(self, kind: SheetKind, into: list[Entity], *, pattern: re.Pattern[str] = drupal.MACHINE_NAME,
                    max_length: int | None = None) -> None:
        seen: dict[str, SpecRow] = {}
        lookup: Lookup[Entity] = Lookup()
        for row in self.rows[kind]:
            if not self._filled(row, "name", "machine_name"):
                continue
            if not self._machine_name(row, pattern=pattern, max_length=max_length):
                continue
            entity = Entity(row.get("name"), row.get("machine_name"), row, existing=row.status == "x",
                            skipped=row.is_skipped)
            if not self._register(kind.value, row, entity, lookup, seen):
                continue
            into.append(entity)

    def read_migrations(self) -> None:
        seen: dict[str, SpecRow] = {}
        for row in self.rows[SheetKind.MIGRATIONS]:
            if not self._filled(row, "name", "machine_name", "destination_entity_type"):
                continue
            if not self._machine_name(row):
                self.rejected.setdefault(("migration", row.get("name").lower()), row.row)
                continue
            migration = Migration(row.get("name"), row.get("machine_name"), row, existing=row.status == "x",
                                  skipped=row.is_skipped)
            if not self._register("migration", row, migration, self.migrations, seen):
                continue
            destination = row.get("destination_bundle")
            if destination and not row.is_skipped:
                mark = len(self.catalog.problems)
                migration.bundle = self.resolve_bundle(
                    row, "destination_bundle", destination, self._entity_type_label(row), create_existing=False
                )
                if self._failed_since(mark):
                    self.rejected[("migration", migration.label.lower())] = row.row
                    continue
            self.catalog.migrations.append(migration)
        for migration in list(self.catalog.migrations):
            assert migration.row is not None
            for name in split_list(migration.row.get("dependencies")):
                other = self.migrations.find(name)
                if other is None or other not in self.catalog.migrations:
                    self._parent_missing(migration.row, "dependencies", "migration", name, self.migrations)
                    self.catalog.migrations.remove(migration)
                    self.rejected[("migration", migration.label.lower())] = migration.row.row
                    break
                if other.skipped and not migration.row.is_skipped:
                    self._skipped_target(migration.row, "dependencies", "migration", name)
                    self.catalog.migrations.remove(migration)
                    break
                if other is not migration:
                    migration.depends_on.append(other)

    def _entity_type_label(self, row: SpecRow) -> str:
        text = row.get("destination_entity_type")
        return text if drupal.bundle_type(text) else text.replace("_", " ")

    def read_mappings(self) -> None:
        for row in self._built(self.rows[SheetKind.MIGRATION_MAPPINGS]):
            if not self._filled(row, "migration", "destination_field"):
                continue
            name = row.get("migration")
            migration = self.migrations.find(name)
            if migration is None or migration not in self.catalog.migrations:
                self._parent_missing(row, "migration", "migration", name, self.migrations)
                continue
            if migration.skipped:
                self._skipped_target(row, "migration", "migration", name)
                continue
            if not row.get("source_field") and not row.get("default_value"):
                self.error(row, "source_field", "neither a source field nor a default value",
                           "name the source field, or give a default value for a constant")
                continue
            destination = row.get("destination_field")
            if migration.bundle is not None:
                target = next((f for f in self.catalog.fields if f.bundle is migration.bundle and (
                    f.machine_name == destination or f.row.get("field_label").lower() == destination.lower())), None)
                if target is not None:
                    if target not in migration.fields:
                        migration.fields.append(target)
                elif destination.split("/")[0] not in drupal.BASE_FIELDS:
                    candidates = [f.machine_name for f in self.catalog.fields if f.bundle is migration.bundle]
                    self.warn(row, "destination_field", f"'{destination}' is not a field of "
                              f"{migration.bundle.display} in the fields sheet",
                              did_you_mean(destination, candidates) or "check the field's machine name")
            migration.children.append(row)
