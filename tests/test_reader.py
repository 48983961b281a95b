"""The spec reader: bytes of an uploaded CSV or workbook → recognised sheets of numbered rows + problems."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from integrations.spec.decoding import ReaderLimits
from integrations.spec.problems import Level, Problem
from integrations.spec.reader import ReadResult, SheetFile, read_upload
from integrations.spec.sheets import SheetKind, normalise_header
from tests.support.workbooks import workbook_bytes

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "bad"
ACME = Path(__file__).resolve().parents[1] / "examples" / "acme"

# The Behat table headers, in the order the Drupal Spec Tool writes them.
BEHAT_HEADERS: dict[SheetKind, list[str]] = {
    SheetKind.BUNDLES: ["Name", "Machine name", "Type", "Description"],
    SheetKind.FIELDS: [
        "Bundle", "Field label", "Machine name", "Field type", "Required", "Cardinality",
        "Form widget", "Translatable", "Help text",
    ],
    SheetKind.VIEWS: ["Name", "Machine name", "Base table", "Status", "Description"],
    SheetKind.VIEW_DISPLAYS: ["View", "Title", "Machine name", "Display plugin"],
    SheetKind.IMAGE_STYLES: ["Style name", "Machine name"],
    SheetKind.IMAGE_EFFECTS: ["Image style", "Effect", "Summary"],
    SheetKind.USER_ROLES: ["Name", "Machine name"],
    SheetKind.WORKFLOWS: ["Label", "Machine name", "Type"],
    SheetKind.WORKFLOW_STATES: ["Workflow", "Label", "Machine name"],
    SheetKind.WORKFLOW_TRANSITIONS: ["Workflow", "Label", "Machine name", "From state", "To state"],
    SheetKind.MENUS: ["Name", "Machine name", "Description"],
}

# The full Google Sheet headers (DEG order), and the sheets that only have one layout.
FULL_HEADERS: dict[SheetKind, list[str]] = {
    SheetKind.BUNDLES: [
        "ID", "Name", "Machine name", "X", "Dev", "QA", "Description", "Example(s)", "Mod.", "Layout",
        "Trns.", "Migr.", "Cmnt.", "Meta.", "Sched.", "Type", "URL alias pattern", "Settings/notes",
    ],
    SheetKind.FIELDS: [
        "Bundle", "Field label", "Machine name", "X", "Dev", "QA", "Field group", "Field type",
        "Ref. bundle", "Req", "Vals.", "Form widget", "Trns.", "Settings/notes", "Help text",
    ],
    SheetKind.VIEWS: ["Name", "Machine name", "Base table", "Status", "Description", "Bundles"],
    SheetKind.VIEW_DISPLAYS: ["View", "Title", "Machine name", "Display plugin"],
    SheetKind.IMAGE_STYLES: ["Style name", "Machine name", "X", "Notes"],
    SheetKind.IMAGE_EFFECTS: ["Image style", "Effect", "X", "Summary", "Notes"],
    SheetKind.USER_ROLES: ["ID", "Name", "Machine name", "X", "Dev", "QA", "Notes"],
    SheetKind.PERMISSIONS: ["Provider", "Permission", "Anonymous user", "Authenticated user", "Editor"],
    SheetKind.WORKFLOWS: ["ID", "Label", "Machine name", "X", "Dev", "QA", "Type", "Notes"],
    SheetKind.WORKFLOW_STATES: ["Workflow", "Label", "Machine name", "X", "Dev", "QA", "Notes"],
    SheetKind.WORKFLOW_TRANSITIONS: [
        "ID", "Workflow", "Label", "Machine name", "X", "From state", "To state", "Dev", "QA", "Notes",
    ],
    SheetKind.MENUS: ["Label", "Machine name", "X", "Description", "Dev", "QA", "Notes"],
    SheetKind.CUSTOM_ENTITIES: ["Name", "Machine name", "Description"],
    SheetKind.MIGRATIONS: [
        "Label", "Machine name", "Source", "Destination entity type", "Destination bundle", "Dependencies",
        "Notes",
    ],
    SheetKind.MIGRATION_MAPPINGS: [
        "Migration", "Source field", "Destination field", "Process", "Default value", "Notes",
    ],
}

# Menus and custom entities share a header; only the file name tells them apart.
FILE_NAME = {SheetKind.CUSTOM_ENTITIES: "custom_entities.csv"}


def read(name: str, data: bytes | str, **limits: int) -> ReadResult:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return read_upload(name, raw, ReaderLimits(**limits)) if limits else read_upload(name, raw)


def only_sheet(result: ReadResult) -> SheetFile:
    assert [p for p in result.problems if p.level.is_error] == [], [p.describe() for p in result.problems]
    assert len(result.sheets) == 1, result.sheets
    return result.sheets[0]


def file_errors(result: ReadResult) -> list[Problem]:
    return [p for p in result.problems if p.level is Level.FILE_ERROR]


def csv_text(header: list[str], *rows: list[str], delimiter: str = ",", newline: str = "\n") -> str:
    def line(cells: list[str]) -> str:
        return delimiter.join(f'"{c}"' if (delimiter in c or '"' in c or "\n" in c) else c for c in cells)

    return newline.join(line(cells) for cells in (header, *rows)) + newline


def sample_row(header: list[str]) -> list[str]:
    """One data row that fits any header: an approved status under X, text elsewhere."""
    return ["a" if normalise_header(h) == "x" else f"value {i}" for i, h in enumerate(header)]


def layouts() -> list[tuple[str, SheetKind, list[str]]]:
    cases = [(f"behat-{kind.value}", kind, header) for kind, header in BEHAT_HEADERS.items()]
    cases += [(f"full-{kind.value}", kind, header) for kind, header in FULL_HEADERS.items()]
    return cases


def reorderings(header: list[str]) -> dict[str, list[str]]:
    middle = len(header) // 2
    return {
        "as written": header,
        "reversed": header[::-1],
        "rotated": header[middle:] + header[:middle],
        "upper case": [h.upper() for h in header],
        "lower case, padded": [f"  {h.lower()} " for h in header],
    }


# --- recognition ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "header"), [case[1:] for case in layouts()], ids=[c[0] for c in layouts()])
@pytest.mark.parametrize("order", ["as written", "reversed", "rotated", "upper case", "lower case, padded"])
def test_every_sheet_is_recognised_in_any_column_order_and_case(
    kind: SheetKind, header: list[str], order: str
) -> None:
    columns = reorderings(header)[order]
    result = read(FILE_NAME.get(kind, "upload.csv"), csv_text(columns, sample_row(columns)))
    sheet = only_sheet(result)
    assert sheet.kind is kind
    assert result.problems == []
    assert [row.row for row in sheet.rows] == [2]
    # every column of the layout is understood, so nothing is left in extras (except permission roles)
    if kind is SheetKind.PERMISSIONS:
        assert sorted(h.lower() for h in sheet.rows[0].extras) == ["anonymous user", "authenticated user", "editor"]
    else:
        assert sheet.rows[0].extras == {}


def test_every_sheet_kind_has_a_layout_under_test() -> None:
    assert {kind for _, kind, _ in layouts()} == set(SheetKind)


def test_full_sheet_abbreviations_map_to_canonical_columns_and_keep_the_written_header() -> None:
    header = FULL_HEADERS[SheetKind.FIELDS]
    row = [
        "Trail guide (Content type)", "Region", "field_trail_region", "a", "JD", "MK", "group_facts",
        "Entity reference", "Trail region (Vocabulary)", "y", "*", "Select list", "n", "", "Pick one.",
    ]
    sheet = only_sheet(read("fields.csv", csv_text(header, row)))
    values = sheet.rows[0].values
    assert values["ref_bundle"] == "Trail region (Vocabulary)"
    assert values["required"] == "y"
    assert values["cardinality"] == "*"
    assert values["translatable"] == "n"
    assert values["field_group"] == "group_facts"
    assert values["help_text"] == "Pick one."
    assert sheet.rows[0].status == "a"
    assert sheet.headers["cardinality"] == "Vals."
    assert sheet.header_of("ref_bundle") == "Ref. bundle"

    bundles = only_sheet(read("bundles.csv", csv_text(FULL_HEADERS[SheetKind.BUNDLES], [
        "B1", "Trail guide", "trail_guide", "a", "", "", "Routes", "", "y", "n", "y", "y", "n", "y", "n",
        "Content type", "/trails/[node:title]", "Migrated",
    ])))
    values = bundles.rows[0].values
    assert (values["moderated"], values["layout"], values["translatable"], values["migrated"]) == ("y", "n", "y", "y")
    assert (values["comments"], values["meta_tags"], values["scheduled"]) == ("n", "y", "n")
    assert values["url_alias_pattern"] == "/trails/[node:title]"
    assert values["settings"] == "Migrated"


def test_va_gov_fields_variant_with_a_separate_type_column() -> None:
    header = ["Type", "Bundle", "Field label", "Machine name", "Field type", "Required", "Cardinality",
              "Form widget", "Translatable"]
    row = ["Content type", "Vet Center", "Owner", "field_administration", "Entity reference", "Required", "1",
           "Select list", "Translatable"]
    sheet = only_sheet(read("fields.csv", csv_text(header, row)))
    assert sheet.kind is SheetKind.FIELDS
    values = sheet.rows[0].values
    assert values["bundle_type"] == "Content type"
    assert values["bundle"] == "Vet Center"
    assert values["field_type"] == "Entity reference"
    assert "help_text" not in sheet.headers


def test_machine_id_variant_of_the_gleanings_field_grid() -> None:
    header = ["entity type", "bundle", "label", "machine name", "type", "required", "translatable",
              "cardinality", "widget", "description"]
    rows = [
        ["Content type", "Basic page", "Body", "body", "text_with_summary", "", "translatable", "1",
         "text_textarea_with_summary", ""],
        ["Content type", "Basic page", "Panelizer", "panelizer", "panelizer", "", "translatable", "unlimited",
         "hidden", "Layout override."],
    ]
    sheet = only_sheet(read("content_fields.csv", csv_text(header, *rows)))
    assert sheet.kind is SheetKind.FIELDS
    first, second = (row.values for row in sheet.rows)
    assert first["bundle_type"] == "Content type"
    assert first["bundle"] == "Basic page"
    assert first["field_label"] == "Body"
    assert first["field_type"] == "text_with_summary"
    assert first["form_widget"] == "text_textarea_with_summary"
    assert second["cardinality"] == "unlimited"
    assert second["help_text"] == "Layout override."


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("menus.csv", SheetKind.MENUS),
        ("spec.csv", SheetKind.MENUS),
        ("custom_entities.csv", SheetKind.CUSTOM_ENTITIES),
        ("Custom entities.csv", SheetKind.CUSTOM_ENTITIES),
        ("acme-custom-entities.csv", SheetKind.CUSTOM_ENTITIES),
        ("CUSTOM_ENTITY_TYPES.CSV", SheetKind.CUSTOM_ENTITIES),
    ],
)
def test_menus_and_custom_entities_are_told_apart_by_file_name(name: str, kind: SheetKind) -> None:
    text = csv_text(["Name", "Machine name", "Description"], ["Store location", "store_location", "A store."])
    assert only_sheet(read(name, text)).kind is kind


def test_the_header_wins_over_a_misleading_file_name() -> None:
    text = csv_text(BEHAT_HEADERS[SheetKind.BUNDLES], ["Event", "event", "Content type", ""])
    assert only_sheet(read("fields.csv", text)).kind is SheetKind.BUNDLES
    text = csv_text(BEHAT_HEADERS[SheetKind.IMAGE_EFFECTS], ["Card", "Scale", "640×400"])
    assert only_sheet(read("views.csv", text)).kind is SheetKind.IMAGE_EFFECTS


def test_unknown_columns_and_duplicate_columns_are_warnings_on_the_header_row() -> None:
    header = ["Name", "Machine name", "Type", "Description", "Owner", "Name"]
    sheet_result = read("bundles.csv", csv_text(header, ["Event", "event", "Content type", "", "Kim", "Other"]))
    sheet = only_sheet(sheet_result)
    assert sheet.rows[0].get("name") == "Event"  # the first of two columns wins
    assert sheet.rows[0].extras == {"Owner": "Kim"}
    by_column = {p.column: p for p in sheet_result.problems}
    assert set(by_column) == {"Owner", "Name"}
    assert all(p.level is Level.WARNING and p.row == 1 and p.file == "bundles.csv" for p in by_column.values())


def test_blank_columns_and_blank_lines_do_not_disturb_recognition_or_numbering() -> None:
    text = "\n\nName,Machine name,,\nEditor,editor,,\n\nReviewer,reviewer,,\n"
    result = read("user_roles.csv", text)
    sheet = only_sheet(result)
    assert result.problems == []
    assert [(r.row, r.get("machine_name")) for r in sheet.rows] == [(4, "editor"), (6, "reviewer")]


def test_missing_cells_at_the_end_of_a_row_read_as_blank() -> None:
    sheet = only_sheet(read("bundles.csv", "Name,Machine name,Type,Description\nEvent,event,Content type\n"))
    assert sheet.rows[0].get("description") == ""


# --- encodings, delimiters, line ends -------------------------------------------------------------------


def test_utf8_with_bom_reads_the_first_header() -> None:
    data = b"\xef\xbb\xbf" + "Style name,Machine name\nLarge (480×480),large\n".encode()
    sheet = only_sheet(read("image_styles.csv", data))
    assert sheet.kind is SheetKind.IMAGE_STYLES
    assert sheet.headers["name"] == "Style name"
    assert sheet.rows[0].get("name") == "Large (480×480)"
    assert sheet.encoding == "utf-8-sig"


def test_windows_1252_file_decodes_accents_and_the_multiplication_sign() -> None:
    result = read_upload("effects.csv", (FIXTURES / "windows_1252_image_effects.csv").read_bytes())
    sheet = only_sheet(result)
    assert result.problems == []
    assert sheet.kind is SheetKind.IMAGE_EFFECTS
    assert sheet.encoding == "cp1252"
    assert [(r.get("image_style"), r.get("summary")) for r in sheet.rows] == [
        ("Grand écran (1200×600)", "1200×600"),
        ("Vignette café (90×90)", "90×90"),
    ]


def test_bom_crlf_and_semicolon_delimiter() -> None:
    result = read_upload("bundles.csv", (FIXTURES / "bom_crlf_semicolon_bundles.csv").read_bytes())
    sheet = only_sheet(result)
    assert result.problems == []
    assert sheet.kind is SheetKind.BUNDLES
    assert [(r.row, r.get("name"), r.get("description")) for r in sheet.rows] == [
        (2, "Trail guide", "Routes; stages, and maps"),
        (3, "Café review", "Reviews of trailside cafés"),
    ]
    assert not any("\r" in value for r in sheet.rows for value in r.values.values())


def test_tab_delimited_file_keeps_commas_inside_cells() -> None:
    result = read_upload("tab_delimited_menus.tsv", (FIXTURES / "tab_delimited_menus.tsv").read_bytes())
    sheet = only_sheet(result)
    assert sheet.kind is SheetKind.MENUS
    assert sheet.rows[0].get("description") == "Site section links, top of page"
    assert sheet.rows[1].get("machine_name") == "trails-sidebar"


def test_excel_unicode_text_export_utf16_with_bom_and_tabs() -> None:
    text = "Name\tMachine name\r\nÉditeur\teditor\r\n"
    sheet = only_sheet(read("roles.txt", b"\xff\xfe" + text.encode("utf-16-le")))
    assert sheet.kind is SheetKind.USER_ROLES
    assert sheet.rows[0].get("name") == "Éditeur"


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_delimiters_and_line_ends_combined(delimiter: str, newline: str) -> None:
    header = BEHAT_HEADERS[SheetKind.VIEWS]
    rows = [
        ["Trail guides", "trail_guides", "Content", "Enabled", "Guides; by region, by difficulty"],
        ["Archive", "archive", "Content", "Disabled", ""],
    ]
    sheet = only_sheet(read("views.csv", csv_text(header, *rows, delimiter=delimiter, newline=newline)))
    assert [(r.row, r.get("machine_name"), r.get("description")) for r in sheet.rows] == [
        (2, "trail_guides", "Guides; by region, by difficulty"),
        (3, "archive", ""),
    ]


# --- row numbers -----------------------------------------------------------------------------------------


def test_a_multi_line_cell_stays_one_row() -> None:
    result = read_upload("fields.csv", (FIXTURES / "multiline_cell_fields.csv").read_bytes())
    sheet = only_sheet(result)
    assert [(r.row, r.get("machine_name")) for r in sheet.rows] == [(2, "field_verdict"), (3, "field_rating")]
    assert sheet.rows[0].get("help_text") == "One sentence.\nShown on cards.\nKeep it short."


def test_crlf_inside_a_quoted_cell_and_problems_after_it_carry_the_spreadsheet_row() -> None:
    text = (
        "Name,Machine name,X,Description\r\n"
        'Main navigation,main,x,"Line one\r\nline two\r\nline three"\r\n'
        "Footer,footer,z,Site information links\r\n"
    )
    result = read("menus.csv", text)
    sheet = result.sheets[0]
    # one cell, its line ends made plain line feeds (a CR is a control character, dropped with the others)
    assert sheet.rows[0].get("description") == "Line one\nline two\nline three"
    (problem,) = result.problems
    assert (problem.level, problem.row, problem.column) == (Level.ROW_ERROR, 3, "X")


# --- file errors -----------------------------------------------------------------------------------------


def test_unterminated_quote_is_a_file_error_naming_the_line() -> None:
    result = read_upload("bundles.csv", (FIXTURES / "unterminated_quote_bundles.csv").read_bytes())
    assert result.sheets == []
    (problem,) = result.problems
    assert problem.level is Level.FILE_ERROR
    assert "malformed CSV near line 3" in problem.message
    assert problem.row == 3
    assert problem.suggestion and "quote" in problem.suggestion


def test_unterminated_quote_after_a_multi_line_cell_names_the_physical_line_and_the_spreadsheet_row() -> None:
    text = (
        "Name,Machine name,Type,Description\n"
        'Trail guide,trail_guide,Content type,"Line one\nline two\nline three"\n'
        'Event,event,Content type,"never closed\n'
    )
    (problem,) = read("bundles.csv", text).problems
    assert "malformed CSV near line 5" in problem.message
    assert problem.row == 3


def test_text_after_a_closing_quote_is_a_file_error() -> None:
    (problem,) = read("bundles.csv", 'Name,Machine name,Type\n"Event"x,event,Content type\n').problems
    assert problem.level is Level.FILE_ERROR
    assert "malformed CSV near line 2" in problem.message


def test_unknown_sheet_is_a_file_error_that_lists_the_known_sheets() -> None:
    result = read_upload("prices.csv", (FIXTURES / "unknown_header.csv").read_bytes())
    assert result.sheets == []
    (problem,) = result.problems
    assert problem.level is Level.FILE_ERROR
    assert problem.row == 1
    assert "unknown sheet" in problem.message
    assert "Colour, Size, Price" in problem.message
    assert problem.suggestion and "bundles" in problem.suggestion and "migration mappings" in problem.suggestion


def test_missing_required_column_names_the_column_and_the_sheet() -> None:
    result = read_upload("fields.csv", (FIXTURES / "missing_required_column_fields.csv").read_bytes())
    assert result.sheets == []
    (problem,) = result.problems
    assert problem.level is Level.FILE_ERROR
    assert "Machine name" in problem.message
    assert "Fields" in problem.message
    assert problem.suggestion and "Machine name" in problem.suggestion


def test_html_page_is_refused() -> None:
    (problem,) = read_upload("views.csv", (FIXTURES / "html_page.csv").read_bytes()).problems
    assert problem.level is Level.FILE_ERROR
    assert "HTML" in problem.message
    assert problem.suggestion


@pytest.mark.parametrize(
    "data",
    [(FIXTURES / "empty.csv").read_bytes(), b"   \n\r\n\t", b"\xef\xbb\xbf", b",,,\n,,\n"],
    ids=["empty", "whitespace", "bom only", "only delimiters"],
)
def test_empty_files_are_refused(data: bytes) -> None:
    result = read_upload("bundles.csv", data)
    assert result.sheets == []
    (problem,) = result.problems
    assert problem.level is Level.FILE_ERROR
    assert problem.suggestion


def test_header_only_file_is_a_sheet_without_rows() -> None:
    result = read("workflows.csv", "Label,Machine name,Type\n")
    assert only_sheet(result).rows == []


def test_binary_file_message_is_readable() -> None:
    """An old .xls or a UTF-16 file without BOM must not dump control characters into Slack or the CLI."""
    for data in (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), "Name,Machine name\nA,a\n".encode("utf-16-le")):
        result = read_upload("spec.xls", data)
        assert result.sheets == []
        (problem,) = result.problems
        assert problem.level is Level.FILE_ERROR
        text = problem.describe()
        assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in text), repr(text)


# --- X column (row status) -------------------------------------------------------------------------------


def test_row_statuses_unknown_is_a_row_error_and_w_d_are_skipped_and_reported() -> None:
    result = read_upload("bundles.csv", (FIXTURES / "unknown_status_bundles.csv").read_bytes())
    (sheet,) = result.sheets
    by_row = {r.row: r for r in sheet.rows}
    assert 3 not in by_row  # the unknown status leaves the row out
    assert [n for n, r in by_row.items() if r.is_built] == [2]  # "A" is approved, whatever its case
    assert by_row[6].status == "x"  # done: not built, but a valid reference target
    for number, status in ((4, "w"), (5, "d")):  # skipped: never built (kept aside at most)
        assert number not in by_row or (by_row[number].status == status and not by_row[number].is_built)
    assert sheet.skipped == {"w": [4], "d": [5]}

    errors = [p for p in result.problems if p.level.is_error]
    assert len(errors) == 1
    assert (errors[0].level, errors[0].row, errors[0].column) == (Level.ROW_ERROR, 3, "X")
    assert "'q'" in errors[0].message
    assert errors[0].suggestion

    warnings = [p for p in result.problems if p.level is Level.WARNING]
    assert len(warnings) == 2
    waiting = next(p for p in warnings if "X = w" in p.message)
    deleted = next(p for p in warnings if "X = d" in p.message)
    assert "4" in waiting.message and "5" in deleted.message
    assert waiting.column == deleted.column == "X"


def test_rows_without_an_x_column_are_all_built() -> None:
    sheet = only_sheet(read("bundles.csv", csv_text(BEHAT_HEADERS[SheetKind.BUNDLES], ["A", "a", "Vocabulary", ""])))
    assert sheet.rows[0].status == "" and sheet.rows[0].is_built


def test_many_skipped_rows_are_summarised() -> None:
    rows = [[f"Style {i}", f"style_{i}", "w", ""] for i in range(30)]
    result = read("image_styles.csv", csv_text(FULL_HEADERS[SheetKind.IMAGE_STYLES], *rows))
    (warning,) = result.problems
    assert "30 rows with X = w" in warning.message
    assert "and 10 more" in warning.message


# --- limits ----------------------------------------------------------------------------------------------


def test_file_size_limit() -> None:
    data = csv_text(["Name", "Machine name"], ["Editor", "editor"]).encode()
    assert only_sheet(read("roles.csv", data, max_file_bytes=len(data)))
    (problem,) = read("roles.csv", data, max_file_bytes=len(data) - 1).problems
    assert problem.level is Level.FILE_ERROR
    assert "over the limit" in problem.message
    assert problem.suggestion


def test_row_limit_counts_spreadsheet_rows() -> None:
    text = csv_text(["Name", "Machine name"], ["A", "a"], ["B", "b"])
    assert len(only_sheet(read("roles.csv", text, max_rows=3)).rows) == 2
    (problem,) = read("roles.csv", text, max_rows=2).problems
    assert problem.level is Level.FILE_ERROR
    assert problem.row == 3
    assert "more than 2 rows" in problem.message
    assert problem.suggestion


def test_cell_size_limit() -> None:
    text = csv_text(["Name", "Machine name"], ["A" * 20, "a"])
    assert only_sheet(read("roles.csv", text, max_cell_chars=20))
    (problem,) = read("roles.csv", text, max_cell_chars=19).problems
    assert problem.level is Level.FILE_ERROR
    assert problem.row == 2
    assert "more than 19 characters" in problem.message
    assert problem.suggestion


def test_cell_longer_than_csv_field_limit_is_reported_as_cell_limit() -> None:
    """A long cell is not a quoting mistake: the message must name the cell limit, not blame a quote."""
    text = "Name,Machine name\nEditor," + "e" * 200_000 + "\n"
    (problem,) = read("roles.csv", text).problems
    assert problem.level is Level.FILE_ERROR
    assert problem.row == 2
    assert "more than 32000 characters" in problem.message
    assert "quote" not in (problem.suggestion or "")


def test_cell_limit_above_the_default_is_honoured() -> None:
    text = "Name,Machine name\nEditor," + "e" * 150_000 + "\n"
    sheet = only_sheet(read("roles.csv", text, max_cell_chars=200_000))
    assert len(sheet.rows[0].get("machine_name")) == 150_000


# --- every problem says where and what to do -------------------------------------------------------------


def bad_inputs() -> list[tuple[str, bytes]]:
    inputs = [(path.name, path.read_bytes()) for path in sorted(FIXTURES.iterdir()) if path.suffix != ".md"]
    inputs += [
        ("big.csv", b"Name,Machine name\n" + b"A,a\n" * 50),
        ("stray.csv", b'Name,Machine name\n"A"b,a\n'),
        ("dup.csv", b"Name,Machine name,Name,Owner\nA,a,B,C\n"),
        ("broken.xlsx", b"PK\x03\x04 this is not really a zip"),
    ]
    return inputs


@pytest.mark.parametrize(("name", "data"), bad_inputs(), ids=[n for n, _ in bad_inputs()])
def test_every_problem_names_file_and_location_and_file_errors_suggest_a_fix(name: str, data: bytes) -> None:
    result = read_upload(name, data, ReaderLimits(max_rows=40))
    for problem in result.problems:
        assert isinstance(problem, Problem)
        assert problem.file == name
        assert problem.message
        assert problem.describe().startswith(name)
        if problem.level is Level.FILE_ERROR:
            assert problem.suggestion, problem
        if problem.level is Level.ROW_ERROR:
            assert problem.row is not None and problem.row >= 2
            assert problem.column
        if problem.level is Level.WARNING and problem.row is None:
            assert problem.column  # a summary of skipped rows names the X column
    if not result.sheets:
        assert file_errors(result)


def test_problem_describe_matches_the_documented_form() -> None:
    problem = Problem("fields.csv", 14, "Bundle", Level.ROW_ERROR, "unknown bundle 'Artcle'", "did you mean 'Article'?")
    assert problem.describe() == "fields.csv row 14, Bundle: unknown bundle 'Artcle' — did you mean 'Article'?"
    assert problem.to_dict()["row"] == 14


# --- Excel workbooks -------------------------------------------------------------------------------------


def test_xlsx_tabs_are_read_as_sheets_with_spreadsheet_row_numbers() -> None:
    data = workbook_bytes({
        "Bundles": [
            FULL_HEADERS[SheetKind.BUNDLES][:4] + ["Type"],
            ["B1", "Trail guide", "trail_guide", "a", "Content type"],
            [],
            ["B2", "Press release", "press_release", "w", "Content type"],
            ["B3", "Trail region", "trail_region", "a", "Vocabulary"],
        ],
        "Fields": [
            ["Bundle", "Field label", "Machine name", "Field type", "Req", "Vals.", "Help text"],
            ["Trail guide (Content type)", "Stages", "field_stages", "Entity reference revisions", "n", "*",
             "First line\nsecond line"],
            ["Trail guide (Content type)", "Distance", "field_distance", "Number (decimal)", "y", 1, None],
            ["Trail guide (Content type)", "Rank", "field_rank", "Number (integer)", "y", 2.0, None],
        ],
        "Menus": [["Name", "Machine name", "Description"], ["Main navigation", "main", "Site links"]],
        "Custom entities": [["Name", "Machine name", "Description"], ["Product", "product", "Catalogue"]],
        "Empty": [],
    })
    result = read_upload("acme spec.xlsx", data)
    assert [p for p in result.problems if p.level.is_error] == []
    by_kind = {sheet.kind: sheet for sheet in result.sheets}
    assert set(by_kind) == {SheetKind.BUNDLES, SheetKind.FIELDS, SheetKind.MENUS, SheetKind.CUSTOM_ENTITIES}

    bundles = by_kind[SheetKind.BUNDLES]
    assert bundles.name == "acme spec.xlsx [Bundles]"
    assert bundles.encoding == "xlsx"
    built = [(r.row, r.get("machine_name")) for r in bundles.rows if r.is_built]
    assert built == [(2, "trail_guide"), (5, "trail_region")]
    assert bundles.skipped == {"w": [4]}
    assert all(r.file == "acme spec.xlsx [Bundles]" for r in bundles.rows)

    fields = by_kind[SheetKind.FIELDS]
    assert [r.row for r in fields.rows] == [2, 3, 4]
    assert fields.rows[0].get("help_text") == "First line\nsecond line"
    assert [r.get("cardinality") for r in fields.rows] == ["*", "1", "2"]
    assert fields.rows[1].get("help_text") == ""


def test_xlsx_tab_that_is_no_spec_sheet_is_skipped_with_a_warning() -> None:
    data = workbook_bytes({
        "Overview": [["Colour", "Size"], ["Red", "M"]],
        "Roles": [["Name", "Machine name"], ["Editor", "editor"]],
    })
    result = read_upload("spec.xlsx", data)
    assert [s.kind for s in result.sheets] == [SheetKind.USER_ROLES]
    (problem,) = result.problems
    assert problem.file == "spec.xlsx [Overview]"
    # A downloaded Google Sheet has Overview and Behat tabs: they must not block a generation.
    assert problem.level is Level.WARNING


def test_xlsx_row_limit_refuses_the_tab_and_keeps_the_others() -> None:
    data = workbook_bytes({
        "Roles": [["Name", "Machine name"]] + [[f"Role {i}", f"role_{i}"] for i in range(10)],
        "Workflows": [["Label", "Machine name", "Type"], ["Editorial", "editorial", "Content moderation"]],
    })
    result = read_upload("spec.xlsx", data, ReaderLimits(max_rows=5))
    assert [s.kind for s in result.sheets] == [SheetKind.WORKFLOWS]
    (problem,) = result.problems
    assert problem.file == "spec.xlsx [Roles]"
    assert problem.level is Level.FILE_ERROR
    assert problem.suggestion


def test_xlsx_cell_over_limit_is_refused() -> None:
    data = workbook_bytes({"Roles": [["Name", "Machine name"], ["R" * 50, "role"]]})
    result = read_upload("spec.xlsx", data, ReaderLimits(max_cell_chars=20))
    assert result.sheets == []
    (problem,) = result.problems
    assert problem.level is Level.FILE_ERROR
    assert problem.row == 2


def test_xlsx_without_data_is_refused() -> None:
    result = read_upload("spec.xlsx", workbook_bytes({"Sheet1": []}))
    assert result.sheets == []
    (problem,) = result.problems
    assert problem.level is Level.FILE_ERROR
    assert problem.suggestion


def test_xlsx_damaged_worksheet_is_a_file_error_not_an_exception() -> None:
    good = workbook_bytes({"Roles": [["Name", "Machine name"], ["Editor", "editor"]]})
    source = zipfile.ZipFile(io.BytesIO(good))
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                content = content[: len(content) // 2]
            target.writestr(item, content)
    result = read_upload("spec.xlsx", damaged.getvalue())
    assert result.sheets == []
    (problem,) = result.problems
    assert problem.level is Level.FILE_ERROR
    assert problem.suggestion


def test_zip_that_is_not_a_workbook_is_refused() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as target:
        target.writestr("readme.txt", "hello")
    (problem,) = read_upload("spec.xlsx", archive.getvalue()).problems
    assert problem.level is Level.FILE_ERROR
    assert problem.suggestion


# --- the project's own example --------------------------------------------------------------------------


def test_acme_example_has_every_sheet_and_reads_clean() -> None:
    paths = sorted(ACME.glob("*.csv"))
    seen: dict[SheetKind, SheetFile] = {}
    problems: list[Problem] = []
    for path in paths:
        result = read_upload(path.name, path.read_bytes())
        problems += result.problems
        (sheet,) = result.sheets
        assert sheet.kind.value == path.stem, path.name
        assert sheet.encoding == "utf-8"
        seen[sheet.kind] = sheet
    assert set(seen) == set(SheetKind)
    # only the waiting bundle (X = w) is reported
    assert [(p.file, p.level, p.column) for p in problems] == [("bundles.csv", Level.WARNING, "X")]
    assert seen[SheetKind.BUNDLES].skipped == {"w": [6]}

    fields = seen[SheetKind.FIELDS]
    verdict = next(r for r in fields.rows if r.get("machine_name") == "field_verdict")
    assert "\n" in verdict.get("help_text")
    assert fields.rows[fields.rows.index(verdict) + 1].row == verdict.row + 1
    assert len(fields.rows) >= 30
