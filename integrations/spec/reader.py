"""Read uploaded spec files (CSV or an Excel workbook) into sheets of rows, reporting every problem."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from integrations.invisible import strip_invisible, strip_invisible_from_document
from integrations.spec.decoding import (
    DEFAULT_LIMITS,
    ReaderLimits,
    column_name,
    decode_text,
    looks_like_html,
    mixes_encodings,
    read_records,
)
from integrations.spec.errors import MalformedFile
from integrations.spec.problems import Level, Problem, cap_warnings
from integrations.spec.sheets import HeaderMatch, SheetKind, named_otherwise, recognise_sheet
from integrations.spec.workbook_shape import TabShape, measure_workbook

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# X column (row status) of the full Google Sheet.
BUILD_STATUSES = {"", "a", "c"}
SKIPPED_STATUSES = {"w", "d"}
STATUS_MEANING = {
    "a": "approved",
    "c": "changed since implemented",
    "w": "waiting",
    "x": "already built",
    "d": "to be deleted",
}


@dataclass(frozen=True)
class SpecRow:
    """One data row of a sheet, its cells keyed by canonical column name."""

    file: str
    row: int
    sheet: SheetKind
    values: dict[str, str]
    extras: dict[str, str] = field(default_factory=dict)  # columns the sheet does not know, by header

    def get(self, column: str) -> str:
        return self.values.get(column, "")

    @property
    def status(self) -> str:
        return self.values.get("x", "").lower()

    @property
    def is_skipped(self) -> bool:
        """X = w (waiting) or d (to be deleted): left out of the tickets."""
        return self.status in SKIPPED_STATUSES

    @property
    def is_built(self) -> bool:
        """An `a`/`c`/blank row becomes (part of) a ticket; `x` rows exist already."""
        return self.status in BUILD_STATUSES


@dataclass
class SheetFile:
    """One recognised sheet: a CSV file or one tab of a workbook."""

    name: str
    kind: SheetKind
    headers: dict[str, str]  # canonical column -> header as written
    rows: list[SpecRow]
    encoding: str = "utf-8"
    skipped: dict[str, list[int]] = field(default_factory=dict)  # status -> rows left out (w, d)

    def header_of(self, column: str) -> str:
        return self.headers.get(column, column.replace("_", " ").capitalize())


@dataclass
class ReadResult:
    sheets: list[SheetFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def extend(self, other: ReadResult) -> None:
        self.sheets.extend(other.sheets)
        self.problems.extend(other.problems)


def read_upload(name: str, data: bytes, limits: ReaderLimits = DEFAULT_LIMITS) -> ReadResult:
    """Read one uploaded file; never raises for bad input: every failure is a reported problem."""
    result = read_file(name, data, limits)
    result.problems = cap_warnings(result.problems, limits.max_warnings)
    return result


def read_file(name: str, data: bytes, limits: ReaderLimits = DEFAULT_LIMITS) -> ReadResult:
    """`read_upload` with every warning kept, for a caller that caps them once over all its problems."""
    if len(data) > limits.max_file_bytes:
        return _refused(
            name,
            f"file is {len(data):,} bytes, over the limit of {limits.max_file_bytes:,}",
            "export only the sheets of the spec, one CSV per sheet",
        )
    if not data.strip():
        return _refused(name, "file is empty", "export the sheet again with its header row")
    if data.startswith(b"PK\x03\x04"):
        return read_workbook(name, data, limits)
    if data.startswith(OLD_EXCEL) or (b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff"))):
        return _refused(name, "this is a binary file (an old .xls workbook, or text in an unknown encoding)",
                        "save it as .xlsx, or as CSV (UTF-8)")
    text, encoding = decode_text(data)
    # A NUL or other control character would make PostgreSQL refuse every row holding it; invisible
    # and bidi characters change what a reviewer reads. No cell keeps them.
    text = strip_invisible_from_document(text)
    if looks_like_html(text):
        return _refused(name, "this is an HTML page, not a CSV file", "download the sheet as CSV (File → Download)")
    try:
        records = list(read_records(text, limits))
    except MalformedFile as exc:
        return _refused(name, exc.message, exc.suggestion, row=exc.row, column=exc.column)
    result = read_table(name, records, encoding=encoding)
    if encoding == "cp1252" and mixes_encodings(data):
        result.problems.append(Problem(
            name, None, None, Level.WARNING,
            "the file mixes UTF-8 and Windows-1252 text; it was read as Windows-1252, so characters such as "
            "× or é may show wrongly", "save the sheet again as CSV (UTF-8)",
        ))
    return result


OLD_EXCEL = b"\xd0\xcf\x11\xe0"  # the OLE2 container of .xls files


def read_workbook(name: str, data: bytes, limits: ReaderLimits = DEFAULT_LIMITS) -> ReadResult:
    """Read every tab of an .xlsx workbook as its own sheet; tabs that hold no spec sheet are skipped."""
    import openpyxl

    result = ReadResult()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            shape = measure_workbook(archive, limits)
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            if len(book.worksheets) > limits.max_tabs:
                raise MalformedFile(f"the workbook has more than {limits.max_tabs} tabs",
                                    "keep only the spec's tabs, or upload one CSV per sheet")
            tabs = [(tab, shape.tabs.get(tab._worksheet_path.lstrip("/"))) for tab in book.worksheets]
            if sum(t.area for _, t in tabs if t is not None and t.refused is None) > limits.max_cells:
                # several tabs naming one part: each is read on its own
                raise MalformedFile(f"the workbook's tabs hold more than {limits.max_cells:,} cells",
                                    "split the spec into several workbooks or CSV files")
            for tab, tab_shape in tabs:
                result.extend(_read_tab(name, tab, tab_shape, limits))
        finally:
            book.close()
    except MalformedFile as exc:
        return _refused(name, exc.message, exc.suggestion, row=exc.row)
    except Exception as exc:  # zipfile, openpyxl and the XML parsers raise many kinds of error for damaged files
        return _refused(name, f"not a readable Excel workbook ({exc.__class__.__name__})", "save it again as .xlsx")
    if not result.sheets and not any(p.level.is_error for p in result.problems):
        result.problems.append(
            Problem(name, None, None, Level.FILE_ERROR, "the workbook has no spec sheet with data",
                    "check that the spec tabs are filled in and have their header row")
        )
    return result


def _read_tab(name: str, tab: Any, shape: TabShape | None, limits: ReaderLimits) -> ReadResult:
    tab_name = f"{name} [{_clean_title(tab.title)}]"
    if shape is None:  # openpyxl found a sheet where the scan found none: never read what was not measured
        return _refused(tab_name, "the tab's data could not be located in the workbook", "save it again as .xlsx")
    if shape.refused is not None:
        return _refused(tab_name, shape.refused, "delete the unused rows and columns, or split the sheet",
                        row=shape.refused_row)
    if shape.width == 0:
        return ReadResult()
    # Ignore the declared <dimension>: read exactly the measured area, every row as wide as the widest value.
    tab.reset_dimensions()
    records: list[tuple[int, list[str]]] = []
    rows = tab.iter_rows(min_row=1, max_row=shape.last_row, min_col=1, max_col=shape.width, values_only=True)
    for number, values in enumerate(rows, start=1):
        if number > limits.max_rows:
            return _refused(tab_name, f"more than {limits.max_rows} rows", "split the sheet", row=number)
        cells = ["" if v is None else _cell_text(v) for v in values]
        too_long = next((i for i, cell in enumerate(cells) if len(cell) > limits.max_cell_chars), None)
        if too_long is not None:
            header = records[0][1] if records else cells
            return _refused(tab_name, f"a cell holds more than {limits.max_cell_chars} characters",
                            "shorten that cell; long notes belong in a linked document", row=number,
                            column=column_name(header, too_long))
        records.append((number, cells))
    if not any(any(cell.strip() for cell in cells) for _, cells in records):
        return ReadResult()
    return read_table(tab_name, records, encoding="xlsx", recognise_as=tab.title, skip_unrelated=True)


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return strip_invisible(str(value))


def _clean_title(title: str) -> str:
    return strip_invisible(title)[:100]


def read_table(
    name: str, records: Sequence[tuple[int, list[str]]], *, encoding: str = "utf-8", recognise_as: str = "",
    skip_unrelated: bool = False,
) -> ReadResult:
    """Recognise the sheet by its header row and turn the data rows into SpecRows.

    `recognise_as` is the name used to break ties (a workbook tab's own title, not the workbook's);
    with `skip_unrelated`, a table sharing no required column with any sheet (a workbook's Overview
    tab) is skipped with a warning instead of refused.
    """
    rows = [(n, cells) for n, cells in records if any(c.strip() for c in cells)]
    if not rows:
        return _refused(name, "no header row", "export the sheet again with its header row")
    header_number, header = rows[0]
    match, closest = recognise_sheet(header, recognise_as or name)
    if match is None and closest is None and skip_unrelated:
        return ReadResult(problems=[Problem(name, None, None, Level.WARNING, "not a spec sheet; skipped")])
    if match is None:
        return _unknown_sheet(name, header_number, header, closest)
    result = ReadResult()
    otherwise = named_otherwise(match, header, recognise_as or name)
    if otherwise is not None:
        named, missing = otherwise
        labels = ", ".join(c.replace("_", " ").capitalize() for c in missing)
        result.problems.append(Problem(
            name, header_number, None, Level.WARNING,
            f"the name says {named.kind.display_name.lower()}, but the columns make it a "
            f"{match.sheet.kind.display_name.lower()} sheet; the closest {named.kind.display_name.lower()} sheet "
            f"lacks {labels or 'nothing'}",
            f"add the column(s) {labels} if it is a {named.kind.display_name.lower()} sheet, or rename the file"
            if labels else "rename the file",
        ))
    for duplicate in match.duplicates:
        result.problems.append(
            Problem(name, header_number, duplicate, Level.WARNING, "column appears twice; the first one is read")
        )
    if not match.sheet.extra_columns_are_data:
        for text in match.extra.values():
            result.problems.append(
                Problem(name, header_number, text, Level.WARNING, "column not known for this sheet; ignored")
            )
    sheet = SheetFile(name, match.sheet.kind, dict(match.headers), [], encoding)
    width = len(header)
    for number, cells in rows[1:]:
        if any(c.strip() for c in cells[width:]):
            result.problems.append(Problem(
                name, number, None, Level.WARNING,
                f"{len(cells)} cells, but the header has {width}; the cells past the last column are ignored",
                "check for an unquoted delimiter inside a cell",
            ))
        spec_row = _to_row(name, number, cells, match)
        status = spec_row.status
        if status and status not in STATUS_MEANING:
            result.problems.append(
                Problem(
                    name, number, sheet.header_of("x"), Level.ROW_ERROR,
                    f"unknown row status '{spec_row.values['x']}'",
                    "use a (approved), c (changed), w (waiting), x (done) or d (to be deleted)",
                )
            )
            continue
        if status in ("w", "d"):
            # Kept, but never built: a built row that refers to one of them is an error.
            sheet.skipped.setdefault(status, []).append(number)
        sheet.rows.append(spec_row)
    for status, numbers in sheet.skipped.items():
        # Waiting rows wait; deleted ones are not built, but what they name is removed.
        outcome = "not built; a bundle, field or other item marked d gets a Remove ticket" if status == "d" \
            else "skipped"
        result.problems.append(
            Problem(
                name, None, sheet.header_of("x"), Level.WARNING,
                f"{_rows(len(numbers))} with X = {status} ({STATUS_MEANING[status]}) {outcome}: " + _row_list(numbers),
            )
        )
    result.sheets.append(sheet)
    return result


def _to_row(name: str, number: int, cells: list[str], match: HeaderMatch) -> SpecRow:
    values = {}
    for column, index in match.columns.items():
        values[column] = cells[index].strip() if index < len(cells) else ""
    extras = {}
    for index, header in match.extra.items():
        if index < len(cells):
            extras[header] = cells[index].strip()
    return SpecRow(name, number, match.sheet.kind, values, extras)


def _rows(count: int) -> str:
    return "1 row" if count == 1 else f"{count} rows"


def _row_list(numbers: Iterable[int], limit: int = 20) -> str:
    numbers = list(numbers)
    text = ("row " if len(numbers) == 1 else "rows ") + ", ".join(str(n) for n in numbers[:limit])
    return text + (f" and {len(numbers) - limit} more" if len(numbers) > limit else "")


def _unknown_sheet(name: str, header_number: int, header: list[str], closest: HeaderMatch | None) -> ReadResult:
    shown = CONTROL_CHARACTERS.sub("", ", ".join(h.strip() for h in header if h.strip()))[:200]
    if closest is not None:
        missing = sorted(closest.sheet.required - closest.columns.keys())
        labels = ", ".join(c.replace("_", " ").capitalize() for c in missing)
        return _refused(
            name,
            f"missing required column(s) {labels} for a {closest.sheet.kind.display_name} sheet (header: {shown})",
            f"add the column(s) {labels} to the header row",
            row=header_number,
        )
    return _refused(
        name,
        f"unknown sheet: the header row ({shown}) matches no Drupal Spec Tool sheet",
        "export one of: bundles, fields, views, view displays, image styles, image effects, user roles, "
        "permissions, workflows, workflow states, workflow transitions, menus, custom entities, "
        "migrations, migration mappings",
        row=header_number,
    )


def _refused(name: str, message: str, suggestion: str | None = None, row: int | None = None,
             column: str | None = None) -> ReadResult:
    return ReadResult(problems=[Problem(name, row, column, Level.FILE_ERROR, message, suggestion)])
