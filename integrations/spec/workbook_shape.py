"""Measure an .xlsx before openpyxl opens it, so that a small hostile file cannot cost a large amount of work.

openpyxl trusts what a workbook says about itself: it inflates every zip member it reads, loads the
whole shared-strings table, and pads each row out to the width the `<dimension>` element declares
(`A1:XFD1048576` turns every row into 16,384 cells). This module looks first, at a bounded cost:

- the zip directory: number of members, each member's uncompressed size and compression ratio
  (zipfile stops at the declared size, so a member cannot inflate past what is checked here);
- every worksheet's XML, streamed through expat without building a tree: the widest column and the
  last row that hold a value, and the cell count, stopping at the first limit passed;
- the shared-strings table's entry count.

The reader then asks openpyxl for exactly the measured area of each tab (`ws.reset_dimensions()` and
`max_col`/`max_row`), so no row is padded past the last column that holds data.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO
from xml.parsers import expat

from integrations.spec.decoding import ReaderLimits
from integrations.spec.errors import MalformedFile

CHUNK_BYTES = 64 * 1024
# Small members compress well for innocent reasons (an empty sheet is mostly boilerplate); the ratio
# only says something about members large enough to cost real work.
RATIO_CHECKED_FROM_BYTES = 1024 * 1024
_VALUE_ELEMENTS = {"v", "is", "f"}


@dataclass
class TabShape:
    """What one worksheet holds: the area with values, or why the tab is refused."""

    width: int = 0  # the last column holding a value
    last_row: int = 0  # the last row holding a value
    cells: int = 0  # <c> elements, empty ones included
    refused: str | None = None
    refused_row: int | None = None

    @property
    def area(self) -> int:
        """Cells the reader builds for this tab: every row padded to the width."""
        return self.width * self.last_row


@dataclass
class WorkbookShape:
    tabs: dict[str, TabShape] = field(default_factory=dict)  # zip member path -> its shape


class _Stop(Exception):
    """Raised inside the expat handlers to end a scan as soon as a limit is passed."""


def measure_workbook(archive: zipfile.ZipFile, limits: ReaderLimits) -> WorkbookShape:
    """The shape of every worksheet; raises MalformedFile when the whole workbook must be refused."""
    members = archive.infolist()
    if len(members) > limits.max_zip_members:
        raise MalformedFile(f"the workbook holds {len(members):,} parts, over the limit of {limits.max_zip_members:,}",
                            "save it again from Excel or Google Sheets as .xlsx")
    total = 0
    for member in members:
        size = member.file_size
        total += size
        if size > limits.max_member_bytes:
            raise MalformedFile(
                f"part {_shown(member.filename)} unpacks to {size:,} bytes, over the limit of "
                f"{limits.max_member_bytes:,}", "export only the spec's sheets, or upload one CSV per sheet")
        ratio = size / max(member.compress_size, 1)
        if size >= RATIO_CHECKED_FROM_BYTES and ratio > limits.max_compression_ratio:
            raise MalformedFile(
                f"part {_shown(member.filename)} is compressed {ratio:,.0f}:1, beyond the limit of "
                f"{limits.max_compression_ratio}:1 (a zip bomb, or a sheet of mostly repeated content)",
                "delete the unused rows and columns and save it again, or upload one CSV per sheet")
    if total > limits.max_unpacked_bytes:
        raise MalformedFile(f"the workbook unpacks to {total:,} bytes, over the limit of {limits.max_unpacked_bytes:,}",
                            "export only the spec's sheets, or upload one CSV per sheet")
    shape = WorkbookShape()
    for member in members:
        if not member.filename.endswith(".xml") or member.is_dir():
            continue
        with archive.open(member) as source:
            tab = _scan(source, limits)
        if isinstance(tab, TabShape):
            shape.tabs[member.filename.lstrip("/")] = tab
            if len(shape.tabs) > limits.max_tabs:
                raise MalformedFile(f"the workbook has more than {limits.max_tabs} tabs",
                                    "keep only the spec's tabs, or upload one CSV per sheet")
    area = sum(t.area for t in shape.tabs.values() if t.refused is None)
    if area > limits.max_cells:
        raise MalformedFile(f"the workbook's tabs hold {area:,} cells (rows × columns), over the limit of "
                            f"{limits.max_cells:,}", "split the spec into several workbooks or CSV files")
    return shape


def _scan(source: IO[bytes], limits: ReaderLimits) -> TabShape | int | None:
    """A worksheet's shape, the entry count of a shared-strings table, or None for any other part."""
    state = _ScanState(limits)
    parser = expat.ParserCreate()
    parser.StartElementHandler = state.start
    # No DTD: a workbook never needs one, and entity declarations are how billion-laughs files grow.
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    try:
        while chunk := source.read(CHUNK_BYTES):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _Stop:
        pass
    except expat.ExpatError as exc:
        raise MalformedFile(f"a part of the workbook is not valid XML ({exc})", "save it again as .xlsx") from exc
    if state.strings:
        return state.strings
    return state.tab if state.is_sheet else None


def _refuse_dtd(*_args: object) -> None:
    raise MalformedFile("the workbook declares a DTD, which Excel never writes", "save it again as .xlsx")


class _ScanState:
    def __init__(self, limits: ReaderLimits) -> None:
        self.limits = limits
        self.tab = TabShape()
        self.is_sheet = False
        self.strings = 0
        self.row = 0
        self.column = 0
        self.row_cells = 0
        self.on_start: dict[str, Callable[[dict[str, str]], None]] = {
            "sheetData": self._sheet, "row": self._row, "c": self._cell, "si": self._string,
        }

    def start(self, name: str, attributes: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        handler = self.on_start.get(local)
        if handler is not None:
            handler(attributes)
        elif local in _VALUE_ELEMENTS and self.is_sheet:
            self._value()

    def _sheet(self, _attributes: dict[str, str]) -> None:
        self.is_sheet = True

    def _row(self, attributes: dict[str, str]) -> None:
        number = attributes.get("r", "")
        self.row = int(number) if number.isdigit() else self.row + 1
        self.column = 0
        self.row_cells = 0

    def _cell(self, attributes: dict[str, str]) -> None:
        tab, limits = self.tab, self.limits
        reference = attributes.get("r", "")
        self.column = column_index(reference) if reference else self.column + 1
        tab.cells += 1
        self.row_cells += 1
        if self.row_cells > limits.max_columns:
            self._refuse(f"more than {limits.max_columns} cells in one row")
        if tab.cells > limits.max_cells:
            self._refuse(f"more than {limits.max_cells:,} cells")

    def _value(self) -> None:
        tab, limits = self.tab, self.limits
        if self.column > limits.max_columns:
            self._refuse(f"a value in column {self.column:,}, beyond the limit of {limits.max_columns} columns")
        if self.row > limits.max_rows:
            self._refuse(f"more than {limits.max_rows} rows")
        tab.width = max(tab.width, self.column)
        tab.last_row = max(tab.last_row, self.row)

    def _string(self, _attributes: dict[str, str]) -> None:
        self.strings += 1
        if self.strings > self.limits.max_cells:
            raise MalformedFile(f"the workbook's shared-strings table has more than {self.limits.max_cells:,} "
                                "entries", "split the spec into several workbooks or CSV files")

    def _refuse(self, message: str) -> None:
        self.tab.refused, self.tab.refused_row = message, self.row
        raise _Stop


def column_index(reference: str) -> int:
    """1 for 'A1', 28 for 'AB7'; a reference past three letters (beyond Excel's XFD) counts as huge."""
    index = 0
    for position, char in enumerate(reference):
        if not ("A" <= char <= "Z" or "a" <= char <= "z"):
            break
        if position >= 3:
            return 1 << 30
        index = index * 26 + (ord(char.upper()) - 64)
    return index


def _shown(member: str) -> str:
    return repr(member[:80])
