"""User roles and the permissions grid."""

from __future__ import annotations

from integrations.spec import drupal
from integrations.spec.catalog import Role
from integrations.spec.problems import Level, Problem
from integrations.spec.reader import SheetFile, SpecRow
from integrations.spec.sheets import SheetKind
from integrations.spec.validation.base import ValidatorBase


class AccessRules(ValidatorBase):
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
                    "its grants are ignored",
                    self.roles.suggest(header, "role columns") or "add the role to the user roles sheet"))
            elif role is None:
                # No roles sheet: the grid's columns are the roles, assumed to exist already.
                role = Role(header, drupal.machine_name_from_label(header), None, existing=True)
                self.roles.add(role.label, role.machine_name, role)
                self.catalog.roles.append(role)
            columns[header] = role
        return columns
