"""Validate read sheets into a Catalog, reporting every problem at once with file, row and column."""

from __future__ import annotations

from collections.abc import Sequence

from integrations.spec import drupal
from integrations.spec.catalog import Catalog
from integrations.spec.reader import SheetFile
from integrations.spec.sheets import SheetKind
from integrations.spec.validation.access import AccessRules
from integrations.spec.validation.cell_text import CellTextRules
from integrations.spec.validation.displays import DisplayRules
from integrations.spec.validation.migrations import MigrationRules
from integrations.spec.validation.workflows import WorkflowRules

__all__ = ["SpecValidator", "validate"]


def validate(sheets: Sequence[SheetFile]) -> Catalog:
    """Resolve every entity and reference of the sheets; bad rows are left out and reported."""
    return SpecValidator(sheets).run()


class SpecValidator(WorkflowRules, DisplayRules, AccessRules, MigrationRules, CellTextRules):
    """Sheets are read parents first, so that every reference can be checked when its row is read."""

    def run(self) -> Catalog:
        self.read_cell_text()
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
