"""A ticket's spec rows as tables, one per sheet, for any description format (wiki markup, ADF).

Only columns that hold a value in some row are kept; the full sheet's bookkeeping columns (who built
and tested it) say nothing about what to build and are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from integrations.spec.reader import SpecRow

HIDDEN_COLUMNS = frozenset({"id", "x", "dev", "qa"})
_COLUMN_TITLES = {"url_alias_pattern": "URL alias pattern", "ref_bundle": "Ref. bundle"}


@dataclass(frozen=True)
class SheetTable:
    title: str  # e.g. "Fields"
    headers: tuple[str, ...]  # "File", "Row", then the used columns
    rows: tuple[tuple[str, ...], ...]  # raw cell text, unescaped: each format escapes its own way


def sheet_tables(rows: Sequence[SpecRow]) -> list[SheetTable]:
    """One table per sheet, in the order the sheets first appear."""
    by_sheet: dict[str, list[SpecRow]] = {}
    for row in rows:
        by_sheet.setdefault(row.sheet.value.replace("_", " ").capitalize(), []).append(row)
    tables = []
    for title, sheet_rows in by_sheet.items():
        columns = _used(c for r in sheet_rows for c, v in r.values.items() if v and c not in HIDDEN_COLUMNS)
        extras = _used(h for r in sheet_rows for h, v in r.extras.items() if v)
        headers = ("File", "Row", *(column_title(c) for c in columns), *extras)
        cells = tuple(
            (r.file, str(r.row), *(r.get(c) for c in columns), *(r.extras.get(h, "") for h in extras))
            for r in sheet_rows
        )
        tables.append(SheetTable(title, headers, cells))
    return tables


def column_title(column: str) -> str:
    return _COLUMN_TITLES.get(column, column.replace("_", " ").capitalize())


def _used(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))
