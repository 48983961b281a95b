"""The reader against real Drupal Spec Tool data (../shared/specs): every sheet recognised, every row read."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from integrations.spec.problems import Level
from integrations.spec.reader import read_upload
from integrations.spec.sheets import SheetKind

SPECS = Path(__file__).resolve().parents[2] / "shared" / "specs"

pytestmark = [
    pytest.mark.realspec,
    pytest.mark.skipif(not SPECS.is_dir(), reason=f"real spec data not found at {SPECS}"),
]

K = SheetKind
# (path under specs/, sheet kind, data rows)
EXPECTED: list[tuple[str, SheetKind, int]] = [
    ("drupal-spec-tool/bundles.csv", K.BUNDLES, 12),
    ("drupal-spec-tool/fields.csv", K.FIELDS, 41),
    ("drupal-spec-tool/views.csv", K.VIEWS, 34),
    ("drupal-spec-tool/view_displays.csv", K.VIEW_DISPLAYS, 78),
    ("drupal-spec-tool/image_styles.csv", K.IMAGE_STYLES, 23),
    ("drupal-spec-tool/image_effects.csv", K.IMAGE_EFFECTS, 23),
    ("drupal-spec-tool/menus.csv", K.MENUS, 6),
    ("drupal-spec-tool/user_roles.csv", K.USER_ROLES, 10),
    ("drupal-spec-tool/workflows.csv", K.WORKFLOWS, 1),
    ("drupal-spec-tool/workflow_states.csv", K.WORKFLOW_STATES, 4),
    ("drupal-spec-tool/workflow_transitions.csv", K.WORKFLOW_TRANSITIONS, 11),
    ("drupal-spec-tool/va-gov-cms/bundles.csv", K.BUNDLES, 115),
    ("drupal-spec-tool/va-gov-cms/fields.csv", K.FIELDS, 798),
    ("drupal-spec-tool/va-gov-cms/views.csv", K.VIEWS, 80),
    ("drupal-spec-tool/va-gov-cms/view_displays.csv", K.VIEW_DISPLAYS, 235),
    ("drupal-spec-tool/va-gov-cms/image_styles.csv", K.IMAGE_STYLES, 22),
    ("drupal-spec-tool/va-gov-cms/image_effects.csv", K.IMAGE_EFFECTS, 28),
    ("drupal-spec-tool/va-gov-cms/menus.csv", K.MENUS, 167),
    ("drupal-spec-tool/va-gov-cms/user_roles.csv", K.USER_ROLES, 16),
    ("drupal-spec-tool/va-gov-cms/workflows.csv", K.WORKFLOWS, 1),
    ("drupal-spec-tool/va-gov-cms/workflow_states.csv", K.WORKFLOW_STATES, 5),
    ("drupal-spec-tool/va-gov-cms/workflow_transitions.csv", K.WORKFLOW_TRANSITIONS, 16),
    ("other/gleanings/content_fields.csv", K.FIELDS, 17),
    ("other/gleanings/permissions_grid.csv", K.PERMISSIONS, 176),
]
# Reference material in the specs folder that is not a sheet.
NOT_SHEETS = {"drupal-spec-tool/sheet_columns.csv"}
FOLDERS = ("drupal-spec-tool", "drupal-spec-tool/va-gov-cms", "other/gleanings")


def test_every_csv_in_the_spec_folders_is_expected() -> None:
    found = {
        path.relative_to(SPECS).as_posix() for folder in FOLDERS for path in (SPECS / folder).glob("*.csv")
    }
    assert found == {path for path, _, _ in EXPECTED} | NOT_SHEETS


@pytest.mark.parametrize(("path", "kind", "count"), EXPECTED, ids=[path for path, _, _ in EXPECTED])
def test_real_sheet_is_recognised_with_every_row(path: str, kind: SheetKind, count: int) -> None:
    file = SPECS / path
    result = read_upload(file.name, file.read_bytes())
    assert result.problems == [], [p.describe() for p in result.problems]
    (sheet,) = result.sheets
    assert sheet.kind is kind
    assert len(sheet.rows) == count
    assert [row.row for row in sheet.rows] == list(range(2, count + 2))  # no multi-line cells in these files
    assert all(row.is_built for row in sheet.rows)  # Behat tables have no X column


@pytest.mark.parametrize(("path", "kind", "count"), EXPECTED, ids=[path for path, _, _ in EXPECTED])
def test_real_sheet_is_recognised_under_a_neutral_file_name(path: str, kind: SheetKind, count: int) -> None:
    """The header alone decides (menus are the default for the header they share with custom entities)."""
    result = read_upload("upload.csv", (SPECS / path).read_bytes())
    (sheet,) = result.sheets
    assert sheet.kind is kind
    assert len(sheet.rows) == count


def test_reference_table_is_not_taken_for_a_sheet() -> None:
    file = SPECS / "drupal-spec-tool" / "sheet_columns.csv"
    result = read_upload(file.name, file.read_bytes())
    assert result.sheets == []
    assert [p.level for p in result.problems] == [Level.FILE_ERROR]


def test_va_gov_fields_keep_bundle_label_and_type_apart() -> None:
    (sheet,) = read_upload("fields.csv", (SPECS / "drupal-spec-tool/va-gov-cms/fields.csv").read_bytes()).sheets
    types = {row.get("bundle_type") for row in sheet.rows}
    assert types == {"Content type", "Custom block type", "Media type", "Paragraph type", "Vocabulary"}
    assert all(row.get("bundle") for row in sheet.rows)
    assert not any(row.get("bundle").endswith(f"({t})") for row in sheet.rows for t in types)  # a plain label
    assert "help_text" not in sheet.headers


def test_stock_fields_write_the_bundle_as_label_and_type() -> None:
    (sheet,) = read_upload("fields.csv", (SPECS / "drupal-spec-tool/fields.csv").read_bytes()).sheets
    assert sheet.rows[0].get("bundle") == "Article (Content type)"
    assert sheet.rows[0].get("field_type") == "Text (formatted, long, with summary)"
    assert {row.get("cardinality") for row in sheet.rows} == {"1", "Unlimited"}


def test_gleanings_machine_id_fields() -> None:
    (sheet,) = read_upload("content_fields.csv", (SPECS / "other/gleanings/content_fields.csv").read_bytes()).sheets
    first = sheet.rows[0]
    assert (first.get("bundle_type"), first.get("bundle"), first.get("field_type")) == (
        "Content type", "Basic page", "text_with_summary",
    )
    assert first.get("form_widget") == "text_textarea_with_summary"


def test_permissions_grid_keeps_one_column_per_role() -> None:
    (sheet,) = read_upload("permissions_grid.csv", (SPECS / "other/gleanings/permissions_grid.csv").read_bytes()).sheets
    roles = list(sheet.rows[0].extras)
    assert len(roles) == 10
    assert roles[:3] == ["Anonymous user", "Authenticated user", "Administrator"]
    for row in sheet.rows:
        assert row.get("permission")
        assert all(cell in ("", role) for role, cell in row.extras.items()), row
    publish = next(r for r in sheet.rows if r.get("permission") == "Editorial workflow: Use Publish transition.")
    assert publish.get("provider") == "Content Moderation"


def test_the_stock_spec_read_as_one_workbook() -> None:
    """The same sheets as tabs of one .xlsx (a whole Google Sheet downloaded at once)."""
    import csv

    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.remove(book.active)
    stock = [(path, kind, count) for path, kind, count in EXPECTED if path.count("/") == 1]
    for path, _, _ in stock:
        tab = book.create_sheet(Path(path).stem.replace("_", " ").capitalize())
        with (SPECS / path).open(newline="", encoding="utf-8") as handle:
            for record in csv.reader(handle):
                tab.append(record)
    buffer = io.BytesIO()
    book.save(buffer)
    result = read_upload("spec.xlsx", buffer.getvalue())
    assert result.problems == [], [p.describe() for p in result.problems]
    got = sorted((sheet.kind.value, len(sheet.rows)) for sheet in result.sheets)
    assert got == sorted((kind.value, count) for path, kind, count in stock)
