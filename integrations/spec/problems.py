"""Problems found in a spec: what, where (file, row, column) and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """How much of the input a problem costs (docs/design.md §5)."""

    FILE_ERROR = "file_error"  # the file is refused whole
    ROW_ERROR = "row_error"  # the row is left out
    WARNING = "warning"  # the row is kept

    @property
    def is_error(self) -> bool:
        return self is not Level.WARNING


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    row: int | None
    column: str | None
    level: Level
    message: str
    suggestion: str | None = None

    def location(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"row {self.row}")
        where = " ".join(parts)
        return f"{where}, {self.column}" if self.column else where

    def describe(self) -> str:
        """'fields.csv row 14, Bundle: unknown bundle 'Artcle' — did you mean 'Article'?'"""
        text = f"{self.location()}: {self.message}"
        if self.suggestion:
            text += f" — {self.suggestion}"
        return text

    def to_dict(self) -> dict[str, object]:
        return {
            "level": self.level.value,
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "message": self.message,
            "suggestion": self.suggestion,
        }


def cap_warnings(problems: list[Problem], limit: int) -> list[Problem]:
    """At most `limit` warnings per file, then one line counting the rest; errors are all kept."""
    kept: list[Problem] = []
    seen: dict[str, int] = {}
    hidden: dict[str, list[Problem]] = {}
    for problem in problems:
        if problem.level is Level.WARNING:
            seen[problem.file] = seen.get(problem.file, 0) + 1
            if seen[problem.file] > limit:
                hidden.setdefault(problem.file, []).append(problem)
                continue
        kept.append(problem)
    for file, rest in hidden.items():
        first = rest[0]
        kept.append(Problem(
            file, first.row, first.column, Level.WARNING,
            f"and {len(rest):,} more warnings, the first of them here, not listed",
            "fix the warnings listed and upload the file again to see the rest",
        ))
    return kept

