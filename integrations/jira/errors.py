"""Errors of the Jira gateway, each with the category that decides what happens next (docs/design.md §8).

The gateway translates every library and HTTP failure into one of these at the boundary. `message` is
plain words for a Slack user and never holds a secret; `details` is for the logs (status, path, Jira's
own error text), also scrubbed of secrets.
"""

from __future__ import annotations

from typing import Any

from integrations.categories import Category

# Temporary: rate limits, 5xx, Jira unreachable. Admin required: credentials, permissions, a missing project
# or issue type. User fixable: Jira refused this one issue (field errors).
TEMPORARY, ADMIN_REQUIRED, USER_FIXABLE = Category.TEMPORARY, Category.ADMIN_REQUIRED, Category.USER_FIXABLE


class JiraError(Exception):
    """A Jira call failed; `category` says whether to wait, ask an admin, or fix the input."""

    category: Category = TEMPORARY

    def __init__(self, message: str, *, status: int | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.details = details or {}


class JiraTemporary(JiraError):
    """Jira is rate limiting, overloaded or unreachable; trying again later may work."""

    category = TEMPORARY

    def __init__(self, message: str, *, retry_after_s: float | None = None, status: int | None = None,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message, status=status, details=details)
        self.retry_after_s = retry_after_s


class JiraOutcomeUnknown(JiraTemporary):
    """A write was sent but its answer was lost (connection reset, timeout, 5xx after sending).

    Jira may or may not have done it. A create in this state is never sent again blindly: it is
    reconciled by its unique label first (docs/design.md §10).
    """


class JiraAdminRequired(JiraError):
    """Credentials, permissions or the project set-up are wrong; a person with Jira admin rights must act."""

    category = ADMIN_REQUIRED


class JiraUserFixable(JiraError):
    """Jira refused this request for a reason in the request itself (400 field errors, a deleted issue)."""

    category = USER_FIXABLE

    def __init__(self, message: str, *, field_errors: dict[str, str] | None = None, status: int | None = None,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message, status=status, details=details)
        self.field_errors = field_errors or {}


class JiraNotFound(JiraUserFixable):
    """The issue, project or link type asked for does not exist (or this account cannot see it)."""
