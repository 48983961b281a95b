"""Drupal correctness on the real specs and examples/: every widget and field type has its module, and every
migration YAML the template writer makes parses and names real plugins."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from integrations.spec import drupal_knowledge as dk
from integrations.spec.reader import read_upload
from integrations.spec.sheets import SheetKind
from integrations.text_blocks import split_blocks
from integrations.tickets import SiteContext, TicketKind
from integrations.writers.migration_yaml import PROCESS_PLUGINS, SOURCE_PLUGINS
from integrations.writers.template import TemplateWriter
from jobs.planning import UploadedFile, plan_uploads

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FIELD_SHEETS = ("drupal-spec-tool", "drupal-spec-tool/va-gov-cms", "other/gleanings")


def field_rows(folders: list[Path]) -> list[tuple[str, str, str]]:
    """(file, field type, widget) of every fields-sheet row in the folders."""
    found = []
    for folder in folders:
        for path in sorted(folder.glob("*.csv")):
            for sheet in read_upload(path.name, path.read_bytes()).sheets:
                if sheet.kind is SheetKind.FIELDS:
                    found += [(f"{folder.name}/{path.name}", r.get("field_type"), r.get("form_widget"))
                              for r in sheet.rows]
    return found


def all_folders(shared_specs: Path) -> list[Path]:
    return [*(shared_specs / f for f in FIELD_SHEETS), *sorted(p for p in EXAMPLES.iterdir() if p.is_dir())]


@pytest.mark.realspec
def test_every_field_type_and_widget_of_the_real_specs_names_its_module(shared_specs: Path) -> None:
    rows = field_rows(all_folders(shared_specs))
    assert len(rows) > 800
    types = {t for _, t, _ in rows if t.strip()}
    widgets = {w for _, _, w in rows if w.strip()}
    # The exact tables, not the substring fallback: a label that only matches by accident is not covered.
    unmapped = sorted({f"type {t!r}" for t in types if " ".join(t.lower().split()) not in dk.FIELD_TYPE_PROVIDERS}
                      | {f"widget {w!r}" for w in widgets if " ".join(w.lower().split()) not in dk.WIDGET_PROVIDERS})
    assert not unmapped, unmapped
    named = {m for label in types for m in dk.field_type_providers(label)} | {
        m for label in widgets for m in dk.widget_providers(label)}
    assert sorted(m for m in named - {dk.IN_CORE} if m not in dk.MODULE_NAMES) == []


@pytest.mark.parametrize(("field_type", "widget", "module"), [
    ("Link", "Linkit", "linkit"),
    ("Markup", "Markup", "markup"),
    ("Office hours", "Office hours (week)", "office_hours"),
    ("Viewfield", "Viewfield", "viewfield"),
    ("Table Field", "Table Field", "tablefield"),
    ("Image", "ImageWidget crop", "image_widget_crop"),
    ("Entity reference revisions", "Paragraphs Browser EXPERIMENTAL", "paragraphs_browser"),
    ("Geofield", "Geofield Map", "geofield_map"),
    ("Entity reference", "Entity browser", "entity_browser"),
    ("Smart date range", "Date and time range with timezone", "smart_date"),
])
def test_a_field_ticket_lists_the_module_of_its_type_and_widget(field_type: str, widget: str, module: str) -> None:
    fields = ("Bundle,Field label,Machine name,Field type,Required,Cardinality,Form widget\n"
              f"Place (Content type),Thing,field_thing,{field_type},,1,{widget}\n")
    plan = plan_uploads([UploadedFile("bundles.csv", b"Name,Machine name,Type\nPlace,place,Content type\n"),
                         UploadedFile("fields.csv", fields.encode())])
    ticket = next(t for t in plan.tickets if t.key == "node.type.place")
    analysis = TemplateWriter().write(ticket, SiteContext("Site")).analysis
    assert f"{dk.MODULE_NAMES[module]} ({module})" in analysis


def plan_folder(folder: Path) -> list:
    files = sorted(p for p in folder.glob("*.csv") if p.name != "sheet_columns.csv")
    return plan_uploads([UploadedFile(p.name, p.read_bytes()) for p in files]).tickets


def migration_yamls(folder: Path) -> list[tuple[str, str]]:
    """(ticket key, YAML text) of every `yaml` block the template writer puts in a migration ticket."""
    writer, site = TemplateWriter(), SiteContext("Site")
    found = []
    for ticket in plan_folder(folder):
        if ticket.kind is TicketKind.MIGRATION:
            for block in split_blocks(writer.write(ticket, site).analysis):
                if block.kind == "code" and block.language == "yaml":
                    found.append((ticket.key, block.text))
    return found


def test_every_migration_yaml_of_the_examples_parses_and_names_real_plugins() -> None:
    found = [y for folder in sorted(EXAMPLES.iterdir()) if folder.is_dir() for y in migration_yamls(folder)]
    migrations = sum(1 for folder in sorted(EXAMPLES.iterdir()) if folder.is_dir()
                     for t in plan_folder(folder) if t.kind is TicketKind.MIGRATION)
    assert migrations and len(found) == migrations, "one migrate_plus YAML per migration ticket"
    for key, text in found:
        check_migration(key, yaml.safe_load(text))


@pytest.mark.realspec
def test_the_real_specs_make_no_unparsable_yaml(shared_specs: Path) -> None:
    for folder in (shared_specs / "drupal-spec-tool", shared_specs / "drupal-spec-tool" / "va-gov-cms"):
        for key, text in migration_yamls(folder):
            check_migration(key, yaml.safe_load(text))


def check_migration(key: str, doc: object) -> None:
    assert isinstance(doc, dict), key
    assert isinstance(doc.get("id"), str) and doc["id"], key
    source = doc.get("source")
    assert isinstance(source, dict) and source.get("plugin") in SOURCE_PLUGINS, (key, source)
    if source["plugin"] != "TODO":
        assert source.get("ids") or source["plugin"].startswith(("d6_", "d7_")), (key, "ids from the source")
    assert isinstance(doc.get("destination"), dict) and str(doc["destination"].get("plugin", "")).startswith(
        "entity:"), key
    process = doc.get("process")
    assert isinstance(process, dict) and process, key
    for destination, steps in process.items():
        for step in steps if isinstance(steps, list) else [steps]:
            if isinstance(step, dict):
                assert step.get("plugin") in PROCESS_PLUGINS, (key, destination, step)
                if step["plugin"] == "migration_lookup":
                    assert step.get("migration"), (key, destination)
                if step["plugin"] == "static_map":
                    assert isinstance(step.get("map"), dict), (key, destination)
            else:
                assert isinstance(step, str), (key, destination, step)  # a `get` shorthand: the source property
