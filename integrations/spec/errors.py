"""Errors of the spec reader."""

from __future__ import annotations


class SpecError(Exception):
    """Base of the spec reader's errors."""


class MalformedFile(SpecError):
    """A file that cannot be read as a sheet at all; it is refused whole."""

    def __init__(self, message: str, suggestion: str | None = None, row: int | None = None,
                 column: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.suggestion = suggestion
        self.row = row
        self.column = column  # the header of the refused cell's column, when one cell is the cause
