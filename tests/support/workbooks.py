"""Excel workbooks built in memory for reader tests."""

from __future__ import annotations

import io

import openpyxl


def workbook_bytes(tabs: dict[str, list[list[object]]]) -> bytes:
    """An .xlsx with one tab per entry, its rows appended in order."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in tabs.items():
        tab = book.create_sheet(title)
        for row in rows:
            tab.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
