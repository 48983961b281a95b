"""Bundles and their fields: types, machine names, references by label, shared field storage."""

from __future__ import annotations

import re

from integrations.spec import drupal
from integrations.spec.catalog import Bundle, Field
from integrations.spec.lookup import split_list
from integrations.spec.reader import SpecRow
from integrations.spec.sheets import SheetKind
from integrations.spec.validation.base import ValidatorBase

LABEL_WITH_TYPE = re.compile(r"^(?P<label>.*\S)\s*\((?P<type>[^()]+)\)\s*$")


class BundleRules(ValidatorBase):
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
        if btype is drupal.USER_ACCOUNT or (btype is None and label.lower() in drupal.USER_NAMES):
            return self._user_account()
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
        suggestion = lookup.suggest(label, column) or (self.all_bundles.suggest(label, column) if btype else None)
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

    def _user_account(self) -> Bundle:
        """User accounts always exist: fields on them need no bundles-sheet row and get no warning."""
        existing = self.bundles_by_entity["user"].find("user")
        if existing is None:
            existing = Bundle("User", "user", drupal.USER_ACCOUNT, None, existing=True)
            self._add_bundle(existing)
        return existing

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
            fld = Field(row, bundle, machine, targets)
            self.catalog.fields.append(fld)
            bundle.fields.append(fld)
        self._read_removed_fields()

    def _read_removed_fields(self) -> None:
        """Fields marked X = d: removed from a bundle that stays (a bundle marked d takes its fields along)."""
        for row in self.rows[SheetKind.FIELDS]:
            if row.status != "d" or not self._filled(row, "bundle", "machine_name"):
                continue
            bundle = self.resolve_bundle(row, "bundle", row.get("bundle"), row.get("bundle_type"),
                                         create_existing=True)
            if bundle is not None and not bundle.skipped:
                self.catalog.removed_fields.append(Field(row, bundle, row.get("machine_name"), []))

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
