"""Planning: one ticket per top-level entity, grouped, with dependencies, in dependency order.

Ties in that order follow the direction Drupal configuration depends in (build_order.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from integrations.spec import drupal
from integrations.spec.catalog import Bundle, Catalog, Entity, Migration, Role, Workflow
from integrations.spec.problems import Level, Problem
from integrations.spec.provided import provided
from integrations.spec.reader import SpecRow
from integrations.tickets import Dependency, Group, PlanStats, TicketAction, TicketBrief, TicketKind
from jobs.planning import build_order, inference, row_status
from jobs.planning.checks import build_checks
from jobs.planning.drafts import Draft as _Draft
from jobs.planning.drafts import Drafts, Need
from jobs.planning.families import DEFAULT_MERGE_THRESHOLD, merge_families
from jobs.planning.follow_up import defer_field
from jobs.planning.graph import dependency_order
from jobs.planning.modules import add_foundation
from jobs.planning.shipped import confirm_shipped


@dataclass(frozen=True)
class PlanOptions:
    """How the plan is cut; the defaults suit most teams."""

    # A family kind (menus, image styles) with more new items than this is merged by name family
    # (families.py); 0 never merges. TICKETBOT_MERGE_THRESHOLD, --merge-threshold, per channel config.
    merge_threshold: int = DEFAULT_MERGE_THRESHOLD


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


class _Planner:
    def __init__(self, catalog: Catalog, options: PlanOptions) -> None:
        self.catalog = catalog
        self.options = options
        self.drafts: list[_Draft] = []
        self.creates: dict[int, _Draft] = {}  # id(entity) -> the ticket that creates it
        self.adds_fields: dict[int, _Draft] = {}  # id(existing bundle) -> the ticket adding its fields
        self.problems: list[Problem] = []
        self.follow_ups = 0  # reference fields moved into follow-up tickets to break cycles
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
        drafts = Drafts(self.drafts)
        confirm_shipped(drafts)
        merge_families(drafts, self.options.merge_threshold)
        add_foundation(drafts)
        drafts.redirect_needs()
        self.drafts = drafts.items
        return self._ordered()

    # ---- tickets -----------------------------------------------------------------------------

    def _bundles(self) -> None:
        for bundle in self.catalog.bundles:
            fields = [f.row for f in self.catalog.fields_of(bundle) if f.row.is_built]
            group = Group.MEDIA if bundle.type is drupal.MEDIA_TYPE else Group.CONTENT
            if bundle.skipped:
                if bundle.row is not None and row_status.is_removal(bundle.row):
                    self._add(bundle.key, group, TicketKind.BUNDLE, bundle.label, bundle.machine_name,
                              bundle.type.label, [bundle.row], bundle.type.entity_type).action = TicketAction.REMOVE
                continue
            removals = [self._add(f"field.field.{bundle.type.entity_type}.{bundle.machine_name}.{f.machine_name}",
                                  group, TicketKind.FIELD, f.row.get("field_label") or f.machine_name, f.machine_name,
                                  "Field", [f.row], bundle.type.entity_type)
                        for f in self.catalog.removed_fields if f.bundle is bundle]
            for removal in removals:
                removal.action = TicketAction.REMOVE
            if bundle.row is not None and bundle.row.is_built:
                draft = self._add(bundle.key, group, TicketKind.BUNDLE, bundle.label, bundle.machine_name,
                                  bundle.type.label, [bundle.row, *fields], bundle.type.entity_type)
                draft.action = row_status.action_of(bundle.row, fields)
                self.creates[id(bundle)] = draft
                for removal in removals:  # a field comes off the bundle once the bundle is in line with the spec
                    self._need(removal, bundle, f"the field is on {bundle.display}")
            elif fields:
                draft = self._add(bundle.key, group, TicketKind.EXISTING_BUNDLE_FIELDS, bundle.label,
                                  bundle.machine_name, bundle.type.label, fields, bundle.type.entity_type)
                draft.action = row_status.action_of(None, fields)
                self.adds_fields[id(bundle)] = draft

    def _entity(self, entity: Entity, group: Group, kind: TicketKind, type_label: str, key: str,
                children: Sequence[SpecRow] | None = None) -> None:
        if entity.skipped:
            if entity.row is not None and row_status.is_removal(entity.row):
                self._add(key, group, kind, entity.label, entity.machine_name, type_label,
                          [entity.row]).action = TicketAction.REMOVE
            return
        rows = [r for r in (entity.children if children is None else children) if r.is_built]
        own = [entity.row] if entity.row is not None and entity.row.is_built else []
        if not own and not rows:
            return  # exists already and nothing new to do with it
        draft = self._add(key, group, kind, entity.label, entity.machine_name, type_label, [*own, *rows])
        draft.action = row_status.action_of(entity.row if own else None, rows)
        self.creates[id(entity)] = draft

    def _add(self, key: str, group: Group, kind: TicketKind, label: str, machine: str, type_label: str,
             rows: list[SpecRow], entity_type: str = "") -> _Draft:
        draft = _Draft(key, group, kind, label, machine, type_label, rows, entity_type=entity_type)
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
        draft.need(target.key, Need(reason, field_name, inferred))

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
        order, by_key = self._order()
        if self.follow_ups:  # a cycle moved fields into follow-up tickets: order those too
            order, by_key = self._order(notes=False)
        position = {key: index for index, key in enumerate(order, start=1)}
        needed_by: dict[str, list[str]] = {}
        for key in order:  # in build order, so each list is too
            for need in by_key[key].needs:
                needed_by.setdefault(need, []).append(key)
        briefs = [replace(self._brief(by_key[key], position, by_key), needed_by=tuple(needed_by.get(key, ())))
                  for key in order]
        stats = _stats(briefs, by_key, self.missing_columns)
        return Plan(tuple(briefs), tuple(self.catalog.problems) + tuple(self.problems), stats)

    def _order(self, *, notes: bool = True) -> tuple[list[str], dict[str, _Draft]]:
        drafts = sorted(enumerate(self.drafts), key=lambda item: (
            build_order.rank(item[1].kind, item[1].key, item[1].action), item[1].group.rank, item[0]))
        keys = [d.key for _, d in drafts]
        by_key = {d.key: d for _, d in drafts}
        order, broken = dependency_order(keys, {d.key: set(d.needs) for _, d in drafts})
        if notes:
            for cycle in broken:
                first = by_key[cycle.first]
                self._note_cycle(first, [by_key[k] for k in cycle.members], cycle.dropped)
        return order, by_key

    def _brief(self, draft: _Draft, position: dict[str, int], by_key: dict[str, _Draft]) -> TicketBrief:
        kind, label, machine, type_label = draft.checked_as or (
            draft.kind, draft.label, draft.machine_name, draft.entity_type_label)
        checks, behat = build_checks(kind, draft.rows, label=label, machine_name=machine, entity_type_label=type_label,
                                     action=draft.action, members=draft.members, modules=draft.modules)
        depends = tuple(
            _dependency(k, by_key[k].label, needs)
            for k, needs in sorted(draft.needs.items(), key=lambda item: position[item[0]])
        )
        return TicketBrief(
            key=draft.key, group=draft.group, kind=draft.kind, label=draft.label, machine_name=draft.machine_name,
            entity_type_label=draft.entity_type_label, rows=tuple(draft.rows), depends_on=depends, checks=checks,
            behat=behat, notes=tuple(draft.notes), position=position[draft.key], action=draft.action,
            modules=tuple(draft.modules), members=tuple(draft.members), provider=draft.provider,
        )

    def _note_cycle(self, first: _Draft, members: list[_Draft], dropped: tuple[str, ...]) -> None:
        names = " → ".join(m.label for m in members)
        for key in dropped:
            reasons = first.needs.pop(key)
            fields = sorted({n.field for n in reasons if n.field})
            drafts = Drafts(self.drafts)
            moved = [f for f in fields if defer_field(first, f, key, [n for n in reasons if n.field == f], drafts)]
            self.drafts = drafts.items
            self.follow_ups += len(moved)
            rest = any(not n.field or n.field not in moved for n in reasons)
            later = f"reference field(s) {', '.join(fields)}" if fields else "the parts that need it"
            if rest:
                first.notes.append(
                    f"Dependency cycle ({names}): build this ticket first, without its {later}; "
                    f"add {later} once {key} exists."
                )
            row = first.rows[0] if first.rows else None
            self.problems.append(Problem(
                row.file if row else first.key, row.row if row else None, None, Level.WARNING,
                f"dependency cycle {names}: {first.key} is built first and its {later} are added after {key}"
                + (" in follow-up ticket(s) of their own" if moved else ""),
            ))


def _dependency(key: str, label: str, needs: list[Need]) -> Dependency:
    """One edge to `key`: what the spec states wins over what was inferred for the same ticket."""
    stated = [n for n in needs if not n.inferred]
    chosen = stated or needs
    return Dependency(key, label, "; ".join(dict.fromkeys(n.reason for n in chosen)),
                      "" if stated else "; ".join(dict.fromkeys(n.inferred for n in needs)))


def _stats(briefs: list[TicketBrief], by_key: dict[str, _Draft], missing_columns: list[str]) -> PlanStats:
    """Stated, inferred and planner-made edges, and how many Create tickets name shipped configuration."""
    stated = inferred = structural = 0
    for brief in briefs:
        needs = by_key[brief.key].needs
        for dep in brief.depends_on:
            if dep.is_inferred:
                inferred += 1
            elif all(n.structural for n in needs.get(dep.key, ())):
                structural += 1
            else:
                stated += 1
    shipped = sum(1 for b in briefs if b.action is TicketAction.CREATE and provided(b.key) is not None)
    return PlanStats(stated_edges=stated, inferred_edges=inferred, shipped_creates=shipped,
                     structural_edges=structural, missing_columns=tuple(missing_columns))


def plan_tickets(catalog: Catalog, options: PlanOptions | None = None) -> Plan:
    """Turn a validated catalog into ordered ticket briefs (pure: no I/O)."""
    return _Planner(catalog, options or PlanOptions()).run()

