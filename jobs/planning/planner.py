"""Planning: one ticket per top-level entity, grouped, with dependencies, in dependency order.

Ties in that order follow the direction Drupal configuration depends in (build_order.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from integrations.spec import drupal
from integrations.spec.catalog import Bundle, Catalog, Entity, Migration, Role, Workflow
from integrations.spec.problems import Level, Problem
from integrations.spec.reader import SpecRow
from integrations.tickets import Dependency, Group, PlanStats, TicketBrief, TicketKind
from jobs.planning import build_order, inference
from jobs.planning.checks import build_checks
from jobs.planning.graph import dependency_order


@dataclass(frozen=True)
class Plan:
    """The tickets in dependency order, and every problem found on the way (validation's included)."""

    tickets: tuple[TicketBrief, ...]
    problems: tuple[Problem, ...]
    stats: PlanStats = field(default_factory=PlanStats)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.level.is_error]


@dataclass(frozen=True)
class _Need:
    reason: str
    field: str = ""  # the reference field that makes it, if one does
    inferred: str = ""  # what it was inferred from; empty when the spec states it


@dataclass(eq=False)
class _Draft:
    key: str
    group: Group
    kind: TicketKind
    label: str
    machine_name: str
    entity_type_label: str
    rows: list[SpecRow]
    needs: dict[str, list[_Need]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class _Planner:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.drafts: list[_Draft] = []
        self.creates: dict[int, _Draft] = {}  # id(entity) -> the ticket that creates it
        self.adds_fields: dict[int, _Draft] = {}  # id(existing bundle) -> the ticket adding its fields
        self.problems: list[Problem] = []
        self.missing_columns: list[str] = []

    def run(self) -> Plan:
        self._bundles()
        for style in self.catalog.image_styles:
            self._entity(style, Group.MEDIA, TicketKind.IMAGE_STYLE, "Image style", f"image.style.{style.machine_name}")
        for view in self.catalog.views:
            self._entity(view, Group.VIEWS, TicketKind.VIEW, "View", f"views.view.{view.machine_name}")
        for migration in self.catalog.migrations:
            self._entity(migration, Group.MIGRATION, TicketKind.MIGRATION, "Migration",
                         f"migrate_plus.migration.{migration.machine_name}")
        for workflow in self.catalog.workflows:
            rows = [*workflow.states, *workflow.transitions]
            self._entity(workflow, Group.WORKFLOW, TicketKind.WORKFLOW, "Workflow",
                         f"workflows.workflow.{workflow.machine_name}", rows)
        for role in self.catalog.roles:
            self._entity(role, Group.USER_ROLES, TicketKind.ROLE, "User role", f"user.role.{role.machine_name}")
        for menu in self.catalog.menus:
            self._entity(menu, Group.CUSTOM, TicketKind.MENU, "Menu", f"system.menu.{menu.machine_name}")
        for custom in self.catalog.custom_entities:
            self._entity(custom, Group.CUSTOM, TicketKind.CUSTOM_ENTITY, "Custom entity type",
                         f"eck.eck_entity_type.{custom.machine_name}")
        self._dependencies()
        for edge in inference.infer_edges(self.catalog):
            self._need(self.creates.get(id(edge.source)) or self.adds_fields.get(id(edge.source)), edge.target,
                       edge.reason, edge.field_name, inferred=edge.basis)
        warnings, self.missing_columns = inference.missing_columns(self.catalog)
        self.problems += warnings
        return self._ordered()

    # ---- tickets -----------------------------------------------------------------------------

    def _bundles(self) -> None:
        for bundle in self.catalog.bundles:
            fields = [f.row for f in self.catalog.fields_of(bundle) if f.row.is_built]
            group = Group.MEDIA if bundle.type is drupal.MEDIA_TYPE else Group.CONTENT
            if bundle.skipped:
                continue
            if bundle.row is not None and bundle.row.is_built:
                draft = self._add(bundle.key, group, TicketKind.BUNDLE, bundle.label, bundle.machine_name,
                                  bundle.type.label, [bundle.row, *fields])
                self.creates[id(bundle)] = draft
            elif fields:
                draft = self._add(bundle.key, group, TicketKind.EXISTING_BUNDLE_FIELDS, bundle.label,
                                  bundle.machine_name, bundle.type.label, fields)
                self.adds_fields[id(bundle)] = draft

    def _entity(self, entity: Entity, group: Group, kind: TicketKind, type_label: str, key: str,
                children: Sequence[SpecRow] | None = None) -> None:
        if entity.skipped:
            return
        rows = [r for r in (entity.children if children is None else children) if r.is_built]
        own = [entity.row] if entity.row is not None and entity.row.is_built else []
        if not own and not rows:
            return  # exists already and nothing new to do with it
        self.creates[id(entity)] = self._add(key, group, kind, entity.label, entity.machine_name, type_label,
                                             [*own, *rows])

    def _add(self, key: str, group: Group, kind: TicketKind, label: str, machine: str, type_label: str,
             rows: list[SpecRow]) -> _Draft:
        draft = _Draft(key, group, kind, label, machine, type_label, rows)
        self.drafts.append(draft)
        return draft

    # ---- dependencies ------------------------------------------------------------------------

    def _need(self, draft: _Draft | None, entity: object, reason: str, field_name: str = "", *,
              inferred: str = "", or_its_new_fields: bool = False) -> None:
        """`draft` depends on the ticket creating `entity`; an entity that exists already needs nothing.

        With `or_its_new_fields`, an existing bundle's "add fields" ticket counts as well (a migration
        mapping to a field that ticket adds).
        """
        if draft is None:
            return
        target = self.creates.get(id(entity))
        if target is None and or_its_new_fields:
            target = self.adds_fields.get(id(entity))
        if target is None or target is draft:
            return
        draft.needs.setdefault(target.key, []).append(_Need(reason, field_name, inferred))

    def _dependencies(self) -> None:
        for fld in self.catalog.fields:
            if not fld.row.is_built:
                continue
            owner = self.creates.get(id(fld.bundle)) or self.adds_fields.get(id(fld.bundle))
            for target in fld.targets:
                self._need(owner, target, f"field {fld.machine_name} references {target.display}", fld.machine_name)
        for view in self.catalog.views:
            for bundle in view.bundles:
                self._need(self.creates.get(id(view)), bundle, f"the view lists {bundle.display}")
        for workflow in self.catalog.workflows:
            for bundle in workflow.bundles:
                self._need(self.creates.get(id(workflow)), bundle, f"the workflow moderates {bundle.display}")
        for migration in self.catalog.migrations:
            self._migration_needs(migration)
        subjects = self._permission_subjects()
        for role in self.catalog.roles:
            self._role_needs(role, subjects)

    def _migration_needs(self, migration: Migration) -> None:
        draft = self.creates.get(id(migration))
        if migration.bundle is not None:
            self._need(draft, migration.bundle, f"the migration imports into {migration.bundle.display}")
        for fld in migration.fields:
            self._need(draft, fld.bundle, f"the migration maps to field {fld.machine_name}", or_its_new_fields=True)
        for other in migration.depends_on:
            self._need(draft, other, f"the migration runs after migration {other.machine_name}")

    def _permission_subjects(self) -> tuple[dict[str, Bundle], dict[str, Bundle], dict[str, Workflow]]:
        """What a permission title can name: a bundle, a media type ('Media: X: …'), a workflow."""
        bundles = {b.label.lower(): b for b in self.catalog.bundles}
        media = {b.label.lower(): b for b in self.catalog.bundles if b.type is drupal.MEDIA_TYPE}
        # Drupal titles transition permissions "<workflow label> workflow: Use <transition> transition."
        workflows = {w.label.lower(): w for w in self.catalog.workflows}
        workflows.update({f"{label} workflow": w for label, w in list(workflows.items())})
        return bundles, media, workflows

    def _role_needs(self, role: Role,
                    subjects: tuple[dict[str, Bundle], dict[str, Bundle], dict[str, Workflow]]) -> None:
        draft = self.creates.get(id(role))
        if draft is None:
            return
        bundles, media, workflows = subjects
        for row in role.children:
            parts = [p.strip() for p in row.get("permission").split(":")]
            if len(parts) < 2:
                continue
            subject = parts[0].lower()
            permission = row.get("permission")
            if subject == "media" and len(parts) >= 3 and parts[1].lower() in media:
                self._need(draft, media[parts[1].lower()], f"permission '{permission}'")
            elif subject in workflows and re.search(r"\btransition\b", permission, re.I):
                self._need(draft, workflows[subject], f"permission '{permission}'")
            elif subject in bundles:
                self._need(draft, bundles[subject], f"permission '{permission}'")

    # ---- order -------------------------------------------------------------------------------

    def _ordered(self) -> Plan:
        drafts = sorted(enumerate(self.drafts),
                        key=lambda item: (build_order.rank(item[1].kind, item[1].key), item[1].group.rank, item[0]))
        keys = [d.key for _, d in drafts]
        by_key = {d.key: d for _, d in drafts}
        order, broken = dependency_order(keys, {d.key: set(d.needs) for _, d in drafts})
        for cycle in broken:
            first = by_key[cycle.first]
            self._note_cycle(first, [by_key[k] for k in cycle.members], cycle.dropped)
        position = {key: index for index, key in enumerate(order, start=1)}
        briefs = []
        for key in order:
            draft = by_key[key]
            checks, behat = build_checks(draft.kind, draft.rows, label=draft.label,
                                         machine_name=draft.machine_name, entity_type_label=draft.entity_type_label)
            depends = tuple(_dependency(k, by_key[k].label, needs)
                            for k, needs in sorted(draft.needs.items(), key=lambda item: position[item[0]]))
            briefs.append(TicketBrief(
                key=draft.key, group=draft.group, kind=draft.kind, label=draft.label,
                machine_name=draft.machine_name, entity_type_label=draft.entity_type_label,
                rows=tuple(draft.rows), depends_on=depends, checks=checks, behat=behat,
                notes=tuple(draft.notes), position=position[key],
            ))
        edges = [d for brief in briefs for d in brief.depends_on]
        inferred = sum(1 for d in edges if d.is_inferred)
        stats = PlanStats(stated_edges=len(edges) - inferred, inferred_edges=inferred,
                          missing_columns=tuple(self.missing_columns))
        return Plan(tuple(briefs), tuple(self.catalog.problems) + tuple(self.problems), stats)

    def _note_cycle(self, first: _Draft, members: list[_Draft], dropped: tuple[str, ...]) -> None:
        names = " → ".join(m.label for m in members)
        for key in dropped:
            reasons = first.needs.pop(key)
            fields = sorted({n.field for n in reasons if n.field})
            later = f"reference field(s) {', '.join(fields)}" if fields else "the parts that need it"
            first.notes.append(
                f"Dependency cycle ({names}): build this ticket first, without its {later}; "
                f"add {later} once {key} exists."
            )
            row = first.rows[0]
            self.problems.append(Problem(
                row.file, row.row, None, Level.WARNING,
                f"dependency cycle {names}: {first.key} is built first and its {later} are added after {key}",
            ))


def _dependency(key: str, label: str, needs: list[_Need]) -> Dependency:
    """One edge to `key`: what the spec states wins over what was inferred for the same ticket."""
    stated = [n for n in needs if not n.inferred]
    chosen = stated or needs
    return Dependency(key, label, "; ".join(dict.fromkeys(n.reason for n in chosen)),
                      "" if stated else "; ".join(dict.fromkeys(n.inferred for n in needs)))


def plan_tickets(catalog: Catalog) -> Plan:
    """Turn a validated catalog into ordered ticket briefs (pure: no I/O)."""
    return _Planner(catalog).run()

