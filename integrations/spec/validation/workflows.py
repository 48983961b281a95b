"""Workflows, their states and transitions, and which bundles they moderate (Mod.)."""

from __future__ import annotations

from collections import defaultdict

from integrations.spec import drupal
from integrations.spec.catalog import Workflow
from integrations.spec.lookup import Lookup, split_list
from integrations.spec.reader import SpecRow
from integrations.spec.sheets import SheetKind
from integrations.spec.validation.bundles import BundleRules


class WorkflowRules(BundleRules):
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
        states = self._read_states()
        self._read_transitions(states)

    def _read_states(self) -> dict[int, Lookup[SpecRow]]:
        state_lookups: dict[int, Lookup[SpecRow]] = defaultdict(Lookup)
        state_seen: dict[tuple[int, str], SpecRow] = {}
        for row in self._built(self.rows[SheetKind.WORKFLOW_STATES]):
            parent = self._child_workflow(row)
            if parent is None or not self._filled(row, "name", "machine_name") or not self._machine_name(row):
                continue
            key = (id(parent), row.get("machine_name"))
            if key in state_seen:
                self.error(row, "machine_name", f"duplicate state '{row.get('machine_name')}' in workflow "
                           f"'{parent.label}' (also on row {state_seen[key].row})")
                continue
            state_seen[key] = row
            state_lookups[id(parent)].add(row.get("name"), row.get("machine_name"), row)
            parent.states.append(row)
        return state_lookups

    def _read_transitions(self, state_lookups: dict[int, Lookup[SpecRow]]) -> None:
        transitions: dict[tuple[int, str], SpecRow] = {}
        for row in self._built(self.rows[SheetKind.WORKFLOW_TRANSITIONS]):
            parent = self._child_workflow(row)
            if parent is None or not self._filled(row, "name", "machine_name", "from_state", "to_state"):
                continue
            if not self._machine_name(row):
                continue
            states = state_lookups[id(parent)]
            bad_state = False
            for column in ("from_state", "to_state"):
                if states.find(row.get(column)) is None:
                    bad_state = True
                    self.error(row, column, f"unknown state '{row.get(column)}' in workflow '{parent.label}'",
                               states.suggest(row.get(column), column) or "add the state to the workflow states sheet")
            if bad_state:
                continue
            key = (id(parent), row.get("machine_name"))
            first = transitions.setdefault(key, row)
            same = (first.get("name"), first.get("to_state")) == (row.get("name"), row.get("to_state"))
            if not same:
                self.error(row, "to_state", f"transition '{row.get('machine_name')}' goes to "
                           f"'{first.get('to_state')}' on row {first.row}",
                           "one transition has one label and one target state; only From state may differ")
                continue
            parent.transitions.append(row)

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
                          self.workflows.suggest(value, "moderated") or "write y, n or a workflow label")
                continue
            if workflow.skipped:
                self._skipped_target(bundle.row, "moderated", "workflow", workflow.label)
                continue
            if bundle not in workflow.bundles:
                workflow.bundles.append(bundle)
            bundle.workflows.append(workflow)
