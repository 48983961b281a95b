"""Migrations, their dependencies and their field mappings."""

from __future__ import annotations

from integrations.spec import drupal
from integrations.spec.catalog import Migration
from integrations.spec.lookup import split_list
from integrations.spec.reader import SpecRow
from integrations.spec.sheets import SheetKind
from integrations.spec.suggest import Suggester
from integrations.spec.validation.bundles import BundleRules


class MigrationRules(BundleRules):
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
        field_names: dict[int, Suggester] = {}  # id(bundle) -> its fields' machine names
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
                target = next((f for f in migration.bundle.fields if (
                    f.machine_name == destination or f.row.get("field_label").lower() == destination.lower())), None)
                if target is not None:
                    if target not in migration.fields:
                        migration.fields.append(target)
                elif destination.split("/")[0] not in drupal.BASE_FIELDS:
                    names = field_names.get(id(migration.bundle))
                    if names is None:
                        names = field_names[id(migration.bundle)] = Suggester()
                        for fld in migration.bundle.fields:
                            names.add(fld.machine_name)
                    self.warn(row, "destination_field", f"'{destination}' is not a field of "
                              f"{migration.bundle.display} in the fields sheet",
                              names.suggest(destination, "destination_field") or "check the field's machine name")
            migration.children.append(row)
