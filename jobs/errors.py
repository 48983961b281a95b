"""Errors of the use cases, each with the category that decides what happens next (docs/design.md §8)."""

from __future__ import annotations

from typing import Any

from integrations.categories import Category  # the one vocabulary, shared with the writers and Jira


class ProcessingError(Exception):
    """A failure in plain words for the user, with technical details kept for the logs."""

    def __init__(self, message: str, category: Category, technical_details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.category = category
        self.technical_details = technical_details or {}


class SpecHasErrors(ProcessingError):
    """Starting is refused while the uploaded spec has errors (unless started anyway)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            f"the spec has {len(problems)} error(s); fix them and upload again, or start anyway without those rows",
            Category.USER_FIXABLE,
            {"problems": problems},
        )
        self.problems = problems


class RetryLater(Exception):
    """A temporary failure: the task was handed back to the queue, and RQ runs the job again later."""


class LeaseLost(Exception):
    """Another worker holds this task now; this one stops without touching it."""
