"""The validator's shared state, and how it reports problems and checks machine names."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from integrations.spec import drupal
from integrations.spec.catalog import Bundle, Catalog, Entity, Migration, Role, View, Workflow
from integrations.spec.lookup import Lookup
from integrations.spec.problems import Level, Problem
from integrations.spec.reader import SheetFile, SpecRow
from integrations.spec.sheets import SheetKind


class ValidatorBase:
    def __init__(self, sheets: Sequence[SheetFile]) -> None:
        self.files = {sheet.name: sheet for sheet in sheets}
        self.rows: dict[SheetKind, list[SpecRow]] = defaultdict(list)
        self.catalog = Catalog()
        for sheet in sheets:
            self.rows[sheet.kind].extend(sheet.rows)
            self.catalog.columns.setdefault(sheet.kind, set()).update(sheet.headers)
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
            self.error(row, column, f"unknown {kind} '{name}'",
                       lookup.suggest(name, column) or f"check the spelling, or add it to the {kind}s sheet")

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
