"""Hostile spec files through the real reader: bombs and wide sheets refused early, invisible characters dropped."""

from __future__ import annotations

import io
import re
import zipfile

from integrations.jira.adf import clean
from integrations.jira.wiki import escape_wiki
from integrations.slack.text import escape
from integrations.spec.decoding import ReaderLimits
from integrations.spec.problems import Level
from integrations.spec.reader import ReadResult, read_upload
from integrations.spec.sheets import SheetKind
from tests.support.engine import EXAMPLE, build_engine, new_session
from tests.support.workbooks import workbook_bytes

ROLES = [["Name", "Machine name"], ["Editor", "editor"], ["Author", "author"]]


def rewrite(data: bytes, change: dict[str, bytes], add: dict[str, bytes] | None = None,
            level: int = 6) -> bytes:
    """The workbook with some parts replaced and some added."""
    source = zipfile.ZipFile(io.BytesIO(data))
    target_buffer = io.BytesIO()
    with zipfile.ZipFile(target_buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target:
        for item in source.infolist():
            content = change.get(item.filename) or source.read(item.filename)
            target.writestr(item.filename, content)
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return target_buffer.getvalue()


def sheet_xml(data: bytes, member: str = "xl/worksheets/sheet1.xml") -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read(member)


def errors(result: ReadResult) -> list[str]:
    return [p.describe() for p in result.problems if p.level.is_error]


# --- .xlsx: the declared dimension is ignored --------------------------------------------------------


def test_a_declared_dimension_of_the_whole_grid_is_ignored() -> None:
    data = workbook_bytes({"Roles": ROLES})
    xml = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', sheet_xml(data))
    bomb = rewrite(data, {"xl/worksheets/sheet1.xml": xml})
    assert len(bomb) < 10_000
    # Before: every row padded to 16,384 cells and 1,048,576 rows produced; the row limit went first.
    result = read_upload("spec.xlsx", bomb, ReaderLimits(max_rows=40))
    assert errors(result) == []
    (sheet,) = result.sheets
    assert [(r.row, r.get("machine_name")) for r in sheet.rows] == [(2, "editor"), (3, "author")]


def test_a_value_far_right_refuses_the_tab_and_names_the_column_limit() -> None:
    data = workbook_bytes({"Roles": ROLES,
                           "Menus": [["Name", "Machine name", "Description"], ["Main", "main", "Site"]]})
    xml = sheet_xml(data).replace(b"</row></sheetData>", b'<c r="XFD3" t="inlineStr"><is><t>x</t></is></c>'
                                  b"</row></sheetData>")
    result = read_upload("spec.xlsx", rewrite(data, {"xl/worksheets/sheet1.xml": xml}))
    assert [s.kind for s in result.sheets] == [SheetKind.MENUS]
    (problem,) = [p for p in result.problems if p.level.is_error]
    assert problem.file == "spec.xlsx [Roles]" and problem.row == 3
    assert "limit of 500 columns" in problem.message and problem.suggestion


def test_a_sparse_tab_reaching_row_a_million_is_refused_by_the_row_limit() -> None:
    data = workbook_bytes({"Roles": ROLES})
    xml = sheet_xml(data).replace(b"</sheetData>", b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t>'
                                  b"</is></c></row></sheetData>")
    (problem,) = read_upload("spec.xlsx", rewrite(data, {"xl/worksheets/sheet1.xml": xml})).problems
    assert problem.level is Level.FILE_ERROR and "more than 50000 rows" in problem.message
    assert problem.row == 1048576 and problem.suggestion


def test_cells_are_capped_per_workbook_across_tabs() -> None:
    tabs = {f"Roles {i}": [["Name", "Machine name"]] + [[f"R{n}", f"r{n}"] for n in range(9)] for i in range(3)}
    data = workbook_bytes(tabs)
    assert len(read_upload("spec.xlsx", data, ReaderLimits(max_cells=60)).sheets) == 3
    (problem,) = read_upload("spec.xlsx", data, ReaderLimits(max_cells=59)).problems
    assert problem.level is Level.FILE_ERROR and "over the limit of 59" in problem.message


def test_tabs_are_capped() -> None:
    data = workbook_bytes({f"Roles {i}": ROLES for i in range(3)})
    (problem,) = read_upload("spec.xlsx", data, ReaderLimits(max_tabs=2)).problems
    assert problem.level is Level.FILE_ERROR and "more than 2 tabs" in problem.message


def test_a_wide_header_row_in_a_workbook_is_refused() -> None:
    data = workbook_bytes({"Roles": [["Name", "Machine name", *[f"c{i}" for i in range(600)]], ["Editor", "editor"]]})
    (problem,) = read_upload("spec.xlsx", data).problems
    assert problem.level is Level.FILE_ERROR and problem.row == 1
    assert "more than 500 cells in one row" in problem.message


# --- .xlsx: zip members measured before anything is unpacked -----------------------------------------


def test_a_shared_strings_bomb_is_refused_before_openpyxl_parses_it() -> None:
    data = workbook_bytes({"Roles": ROLES})
    # openpyxl writes inline strings; the bomb adds the table an Excel export carries
    table = (b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             + b"<si><t>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</t></si>" * 1_300_000 + b"</sst>")
    assert len(table) > 50 * 1024 * 1024
    bomb = rewrite(data, {}, {"xl/sharedStrings.xml": table}, level=9)
    assert len(bomb) < 1024 * 1024
    (problem,) = read_upload("spec.xlsx", bomb).problems
    assert problem.level is Level.FILE_ERROR
    assert "'xl/sharedStrings.xml' unpacks to" in problem.message and "over the limit" in problem.message
    assert problem.suggestion


def test_a_part_compressed_beyond_the_ratio_is_refused() -> None:
    data = workbook_bytes({"Roles": ROLES})
    table = b"<sst>" + b"<si><t>a</t></si>" * 200_000 + b"</sst>"  # 3.4 MB, under the size limit
    (problem,) = read_upload("spec.xlsx", rewrite(data, {}, {"xl/sharedStrings.xml": table}, level=9)).problems
    assert problem.level is Level.FILE_ERROR and "beyond the limit of 100:1" in problem.message


def test_a_shared_strings_table_longer_than_the_cell_limit_is_refused() -> None:
    data = workbook_bytes({"Roles": ROLES})
    table = b"<sst>" + b"".join(b"<si><t>%d</t></si>" % i for i in range(200)) + b"</sst>"
    (problem,) = read_upload("spec.xlsx", rewrite(data, {}, {"xl/sharedStrings.xml": table}),
                             ReaderLimits(max_cells=100)).problems
    assert problem.level is Level.FILE_ERROR and "shared-strings table has more than 100" in problem.message


def test_a_workbook_of_too_many_parts_is_refused() -> None:
    data = rewrite(workbook_bytes({"Roles": ROLES}), {}, {f"docProps/x{i}.xml": b"<x/>" for i in range(30)})
    (problem,) = read_upload("spec.xlsx", data, ReaderLimits(max_zip_members=20)).problems
    assert problem.level is Level.FILE_ERROR and "over the limit of 20" in problem.message


def test_a_workbook_declaring_a_dtd_is_refused() -> None:
    data = workbook_bytes({"Roles": ROLES})
    xml = b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + sheet_xml(data)
    (problem,) = read_upload("spec.xlsx", rewrite(data, {"xl/worksheets/sheet1.xml": xml})).problems
    assert problem.level is Level.FILE_ERROR and problem.suggestion


# --- CSV: width, cells, warnings ---------------------------------------------------------------------


def test_a_million_column_header_is_refused_on_row_1() -> None:
    data = ("Name,Machine name," + ",".join(f"c{i}" for i in range(1_000_000)) + "\nEditor,editor\n").encode()
    (problem,) = read_upload("roles.csv", data).problems
    assert (problem.level, problem.row) == (Level.FILE_ERROR, 1)
    assert "1,000,002 columns, over the limit of 500" in problem.message and problem.suggestion


def test_a_wide_data_row_is_refused_with_its_row() -> None:
    data = ("Name,Machine name\nEditor,editor\n" + "x," * 600 + "\n").encode()
    (problem,) = read_upload("roles.csv", data).problems
    assert (problem.level, problem.row) == (Level.FILE_ERROR, 3)


def test_cells_are_capped_per_csv() -> None:
    data = ("Name,Machine name\n" + "".join(f"R{i},r{i}\n" for i in range(10))).encode()
    assert read_upload("roles.csv", data, ReaderLimits(max_cells=22)).sheets
    (problem,) = read_upload("roles.csv", data, ReaderLimits(max_cells=21)).problems
    assert problem.level is Level.FILE_ERROR and problem.row == 11 and "more than 21 cells" in problem.message


def test_warnings_are_capped_per_file_with_one_line_for_the_rest() -> None:
    data = ("Name,Machine name\n" + "".join(f"R{i},r{i},extra\n" for i in range(200))).encode()
    result = read_upload("roles.csv", data)
    warnings = [p for p in result.problems if p.level is Level.WARNING]
    assert len(warnings) == 51
    assert [p.row for p in warnings[:50]] == list(range(2, 52))
    last = warnings[-1]
    assert "150 more warnings" in last.message and last.row == 52 and last.suggestion
    assert len(result.sheets[0].rows) == 200


# --- invisible and control characters ----------------------------------------------------------------

HIDDEN = "\x01\x1b\x7f\u200b\u200e\u202e\u2066\ufeff\U000e0041"


def test_a_nul_after_the_first_4_kb_is_dropped_from_the_cell() -> None:
    data = ("Name,Machine name,Description\n" + "".join(f"Menu {i},menu_{i},{'d' * 60}\n" for i in range(80))
            + "Footer,foo\x00ter,Links\x00 here\n").encode()
    assert data.index(b"\x00") > 4096
    result = read_upload("menus.csv", data)
    assert errors(result) == []
    footer = result.sheets[0].rows[-1]
    assert (footer.get("machine_name"), footer.get("description")) == ("footer", "Links here")


def test_control_invisible_and_bidi_characters_are_dropped_from_every_cell() -> None:
    text = f"Name,Machine name\nEdi{HIDDEN}tor,edi{HIDDEN}tor\n\u202eSupport,support\n"
    result = read_upload("roles.csv", text.encode())
    assert errors(result) == []
    assert [(r.get("name"), r.get("machine_name")) for r in result.sheets[0].rows] == [
        ("Editor", "editor"), ("Support", "support")]
    assert "\t" in read_upload("roles.csv", b"Name,Machine name\n\"a\tb\",ab\n").sheets[0].rows[0].get("name")


def test_invisible_characters_are_dropped_from_workbook_cells_and_tab_names() -> None:
    data = workbook_bytes({"Ro\u202eles": [["Name", "Machine name"], ["Edi\u200btor", "edi\u2066tor"]]})
    result = read_upload("spec.xlsx", data)
    (sheet,) = result.sheets
    assert sheet.name == "spec.xlsx [Roles]"
    assert (sheet.rows[0].get("name"), sheet.rows[0].get("machine_name")) == ("Editor", "editor")


def test_slack_and_jira_escaping_drop_them_too() -> None:
    text = f"Ar\x00{HIDDEN}ticle\nline"
    assert escape(text) == "Article\nline"
    assert escape_wiki(text) == "Article\nline"
    assert clean(text) == "Article\nline"


def test_a_nul_late_in_a_csv_no_longer_fails_the_generation_on_postgresql(pg_url: str) -> None:
    """Before: the NUL reached a PostgreSQL text column and every generation failed as 'contact an admin'."""
    files = {p.name: p.read_bytes() for p in sorted(EXAMPLE.glob("*.csv"))}
    bundles = files["bundles.csv"].decode()
    padding = "".join(f"P{i},Padding page {i},padding_page_{i},w,,,{'x' * 80},,n,n,n,n,n,n,n,Content type,,\n"
                      for i in range(40))
    first_row_end = bundles.index("\n") + 1
    bundles = bundles[:first_row_end] + padding + bundles[first_row_end:]
    nul_at = bundles.index("A route description")
    files["bundles.csv"] = (bundles[:nul_at] + "A route\x00 description" + bundles[nul_at + 19:]).encode()
    assert files["bundles.csv"].index(b"\x00") > 4096
    engine = build_engine(pg_url)
    session_id = new_session(engine.uow_factory, files)
    engine.service.generate_tickets(session_id, requested_by="U1")
    status = engine.service.get_processing_status(session_id)
    assert (status.task_status, status.session_status) == ("completed", "review"), status.error_message
    with engine.uow_factory() as uow:
        tickets = uow.tickets.for_session(session_id)
        guide = next(t for t in tickets if t.spec_key == "node.type.trail_guide")
        assert guide.status == "draft"
