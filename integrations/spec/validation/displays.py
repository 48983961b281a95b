"""Views with their displays, image styles with their effects, and the one-row sheets (menus …)."""

from __future__ import annotations

import re

from integrations.spec import drupal
from integrations.spec.catalog import Entity, View
from integrations.spec.lookup import Lookup, split_list
from integrations.spec.reader import SpecRow
from integrations.spec.sheets import SheetKind
from integrations.spec.validation.bundles import BundleRules


class DisplayRules(BundleRules):
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
