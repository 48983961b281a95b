"""Property tests: whatever is uploaded, read_upload answers with sheets and Problems and never raises."""

from __future__ import annotations

import csv
import io
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.invisible import strip_invisible
from integrations.spec.decoding import ReaderLimits
from integrations.spec.problems import Level, Problem
from integrations.spec.reader import ReadResult, read_upload
from integrations.spec.sheets import SHEETS, SheetKind

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SMALL_LIMITS = ReaderLimits(max_file_bytes=4_000, max_rows=40, max_cell_chars=300)

# Every header spelling the reader knows, plus near misses and noise.
KNOWN_HEADERS = sorted({alias for sheet in SHEETS for alias in sheet.aliases} | {
    "Name", "Machine name", "Type", "Description", "Bundle", "Field label", "Field type", "Ref. bundle",
    "Vals.", "Req", "Trns.", "Mod.", "X", "Permission", "Provider", "Style name", "Image style", "Effect",
    "Summary", "From state", "To state", "Workflow", "Label", "View", "Title", "Display plugin",
    "Base table", "Migration", "Destination field", "Destination bundle", "Destination entity type",
})
NOISE_HEADERS = ["", " ", "Nme", "Machine-name", "Colour", "Anonymous user", "Editor", "Vals..", "ID", "QA"]

CELL_ALPHABET = st.sampled_from(list('ab Z09_-.,;\t"\'\r\n×éÄ') + ["\u00a0", "\ufeff", "\x00", "😀"])
FILE_NAMES = st.sampled_from(
    ["upload.csv", "bundles.csv", "custom_entities.csv", "menus.csv", "spec.xlsx", "fields.tsv", "x"]
)


def check(result: ReadResult, name: str) -> None:
    """The invariants every answer keeps, whatever the input."""
    assert isinstance(result, ReadResult)
    for problem in result.problems:
        assert isinstance(problem, Problem)
        assert isinstance(problem.level, Level)
        assert problem.file.startswith(name)
        assert problem.message
        assert problem.describe()
        if problem.level is Level.FILE_ERROR:
            assert problem.suggestion
        if problem.row is not None:
            assert problem.row >= 1
    if not result.sheets:
        assert any(p.level is Level.FILE_ERROR for p in result.problems)
    for sheet in result.sheets:
        assert isinstance(sheet.kind, SheetKind)
        numbers = [row.row for row in sheet.rows]
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
        assert all(n >= 2 for n in numbers)  # the header is row 1 or later; data comes after it
        for row in sheet.rows:
            assert all(isinstance(v, str) for v in row.values.values())
            assert all(isinstance(v, str) for v in row.extras.values())


@SETTINGS
@given(name=FILE_NAMES, data=st.binary(max_size=3_000))
def test_arbitrary_bytes_never_raise(name: str, data: bytes) -> None:
    check(read_upload(name, data), name)


@SETTINGS
@given(
    name=FILE_NAMES,
    prefix=st.sampled_from([b"PK\x03\x04", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"<html>", b""]),
    data=st.binary(max_size=1_000),
)
def test_bytes_behind_magic_prefixes_never_raise(name: str, prefix: bytes, data: bytes) -> None:
    check(read_upload(name, prefix + data), name)


@SETTINGS
@given(
    name=FILE_NAMES,
    text=st.text(alphabet=CELL_ALPHABET, max_size=2_000),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_arbitrary_text_with_quotes_delimiters_and_newlines_never_raises(name: str, text: str, encoding: str) -> None:
    data = text.encode(encoding, errors="replace")
    check(read_upload(name, data), name)
    check(read_upload(name, data, SMALL_LIMITS), name)


@SETTINGS
@given(
    name=FILE_NAMES,
    header=st.lists(st.sampled_from(KNOWN_HEADERS + NOISE_HEADERS) | st.text(CELL_ALPHABET, max_size=12),
                    min_size=1, max_size=12),
    rows=st.lists(st.lists(st.text(CELL_ALPHABET, max_size=20), max_size=14), max_size=12),
    delimiter=st.sampled_from([",", ";", "\t"]),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_random_headers_and_rows_never_raise(
    name: str, header: list[str], rows: list[list[str]], delimiter: str, newline: str
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    for record in (header, *rows):
        writer.writerow(record)
    data = buffer.getvalue().encode("utf-8")
    check(read_upload(name, data), name)
    check(read_upload(name, data, SMALL_LIMITS), name)


def spreadsheet_line(cells: tuple[str, ...], delimiter: str) -> str:
    """One CSV line as spreadsheets write it: a cell with a delimiter, quote or line break is quoted."""

    def cell(text: str) -> str:
        if any(ch in text for ch in (delimiter, '"', "\r", "\n")):
            return '"' + text.replace('"', '""') + '"'
        return text

    return delimiter.join(cell(text) for text in cells)


SAFE_CELL = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)


@SETTINGS
@given(
    rows=st.lists(st.tuples(SAFE_CELL, SAFE_CELL, SAFE_CELL), max_size=15),
    delimiter=st.sampled_from([",", ";", "\t"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
)
def test_written_rows_read_back_with_spreadsheet_row_numbers(
    rows: list[tuple[str, str, str]], delimiter: str, newline: str, bom: bool
) -> None:
    """Whatever the cells hold (quotes, delimiters, line breaks), a properly written CSV reads back as written,
    less the control and invisible characters no cell keeps."""
    lines = [spreadsheet_line(record, delimiter) for record in (("Name", "Machine name", "Description"), *rows)]
    data = (b"\xef\xbb\xbf" if bom else b"") + "".join(line + newline for line in lines).encode("utf-8")
    result = read_upload("menus.csv", data)
    assert [p for p in result.problems if p.level.is_error] == [], [p.describe() for p in result.problems]
    (sheet,) = result.sheets
    assert sheet.kind is SheetKind.MENUS
    visible = [tuple(strip_invisible(cell).strip() for cell in record) for record in rows]
    expected = [(number, record) for number, record in enumerate(visible, start=2) if any(record)]
    got = [(r.row, (r.get("name"), r.get("machine_name"), r.get("description"))) for r in sheet.rows]
    assert got == expected


def _workbook() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    tab = book.active
    tab.title = "Bundles"
    for record in (["Name", "Machine name", "Type"], ["Trail guide", "trail_guide", "Content type"]):
        tab.append(record)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


WORKBOOK = _workbook()
WORKBOOK_MEMBERS = sorted(zipfile.ZipFile(io.BytesIO(WORKBOOK)).namelist())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(member=st.sampled_from(WORKBOOK_MEMBERS), cut=st.floats(min_value=0, max_value=1), junk=st.binary(max_size=20))
def test_damaged_workbook_members_never_raise(member: str, cut: float, junk: bytes) -> None:
    """A valid zip whose parts are truncated or garbled: a file error, never an exception."""
    source = zipfile.ZipFile(io.BytesIO(WORKBOOK))
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == member:
                content = content[: int(len(content) * cut)] + junk
            target.writestr(item, content)
    check(read_upload("spec.xlsx", damaged.getvalue()), "spec.xlsx")
