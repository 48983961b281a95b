"""From the bytes of an uploaded CSV to rows of cells, numbered as the spreadsheet numbers them."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from integrations.invisible import strip_invisible
from integrations.spec.errors import MalformedFile


@dataclass(frozen=True)
class ReaderLimits:
    """Bounds on one uploaded file, so one bad upload cannot exhaust a worker."""

    max_file_bytes: int = 10 * 1024 * 1024
    max_rows: int = 50_000
    max_cell_chars: int = 32_000
    max_columns: int = 500  # a header wider than this is no spec sheet
    max_cells: int = 1_000_000  # per CSV file, and per workbook (each tab's rows × its widest row)
    max_warnings: int = 50  # kept per file; the rest are counted in one line
    # .xlsx only, checked on the zip directory before anything is unpacked
    max_tabs: int = 100
    max_zip_members: int = 1_000
    max_member_bytes: int = 50 * 1024 * 1024
    max_unpacked_bytes: int = 100 * 1024 * 1024
    max_compression_ratio: int = 100


DEFAULT_LIMITS = ReaderLimits()

DELIMITERS = (",", ";", "\t")
SEP_LINE = re.compile(r"\Asep=(.)\r?\n", re.IGNORECASE)


def column_name(header: list[str], index: int) -> str:
    """The header text of column `index` (1-based 'column 7' when the header has none there)."""
    text = header[index].strip() if index < len(header) else ""
    return text[:60] or f"column {index + 1}"


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252; returns (text, encoding)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        # Windows-1252 leaves five bytes undefined; keep going with a replacement character there.
        return data.decode("cp1252", errors="replace"), "cp1252"


def mixes_encodings(data: bytes) -> bool:
    """True when bytes that failed as UTF-8 still hold valid UTF-8 multi-byte characters elsewhere."""
    text = data.decode("utf-8", errors="replace")
    return any(ord(char) > 127 and char != "\ufffd" for char in text)


def sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: the one of , ; tab that occurs most outside quotes."""
    counts = _header_delimiters(text)
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _header_delimiters(text: str) -> dict[str, int]:
    end = min((i for i in (text.find("\n"), text.find("\r")) if i != -1), default=len(text))
    if '"' not in text[:end]:  # the common case, at C speed even for a hostile megabyte-long header
        return {d: text.count(d, 0, end) for d in DELIMITERS}
    counts = dict.fromkeys(DELIMITERS, 0)
    in_quotes = False
    for char in text:
        if char == '"':
            in_quotes = not in_quotes
        elif char in ("\n", "\r") and not in_quotes:
            break
        elif char in counts and not in_quotes:
            counts[char] += 1
    return counts


def looks_like_html(text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return head.startswith(("<!doctype html", "<html", "<head", "<body"))


def read_records(text: str, limits: ReaderLimits = DEFAULT_LIMITS) -> Iterator[tuple[int, list[str]]]:
    """Yield (spreadsheet row number, cells); the header is row 1, a multi-line cell stays one row.

    Raises MalformedFile for an unterminated quote, a stray quote or a limit passed.
    """
    declared = SEP_LINE.match(text)
    if declared:  # Excel's "sep=;" first line names the delimiter; Excel shows the next line as row 1
        delimiter, text = declared.group(1), text[declared.end():]
    else:
        delimiter = sniff_delimiter(text)
    header_width = _header_delimiters(text).get(delimiter, 0) + 1
    if header_width > limits.max_columns:
        raise MalformedFile(_too_wide(header_width, limits), _TOO_WIDE_FIX, row=1)
    # csv's own field limit would refuse a long cell as if it were a quoting error; ours is per cell
    # below, with the clear message. The limit is process-global, so only ever raise it.
    csv.field_size_limit(max(csv.field_size_limit(), limits.max_file_bytes + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    row_number = 0
    last_line = 0
    cells = 0
    header: list[str] = []
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise MalformedFile(
                f"malformed CSV near line {last_line + 1}: {exc}",
                "check for an unterminated or stray double quote (\") in that line and save the sheet as CSV again",
                row=row_number + 1,
            ) from exc
        last_line = reader.line_num
        row_number += 1
        if row_number > limits.max_rows:
            raise MalformedFile(
                f"more than {limits.max_rows} rows",
                "split the sheet into several files",
                row=row_number,
            )
        if len(record) > limits.max_columns:
            raise MalformedFile(_too_wide(len(record), limits), _TOO_WIDE_FIX, row=row_number)
        cells += len(record)
        if cells > limits.max_cells:
            raise MalformedFile(f"more than {limits.max_cells:,} cells", "split the sheet into several files",
                                row=row_number)
        for index, cell in enumerate(record):
            if len(cell) > limits.max_cell_chars:
                raise MalformedFile(
                    f"a cell holds more than {limits.max_cell_chars} characters",
                    "shorten that cell; long notes belong in a linked document",
                    row=row_number, column=column_name(header or record, index),
                )
        if not header:
            header = record
        # Carriage returns were kept for the parser; inside a multi-line cell they become line feeds.
        yield row_number, [strip_invisible(cell) if "\r" in cell else cell for cell in record]


_TOO_WIDE_FIX = "delete the empty columns right of the last spec column, or check the delimiter"


def _too_wide(width: int, limits: ReaderLimits) -> str:
    return f"{width:,} columns, over the limit of {limits.max_columns}"

