"""The one vocabulary of failure categories: what happens next when something fails (docs/design.md §8).

Every package's errors carry one of these: the writers', the Jira gateway's, the use cases'
(jobs/errors.py). Stored as its value in the `errors` table and shown to people by it.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    USER_FIXABLE = "user_fixable"  # tell the user what to fix: the spec, a setting, one Jira field
    TEMPORARY = "temporary"  # retried automatically with backoff: rate limits, 5xx, timeouts, unreachable
    ADMIN_REQUIRED = "admin_required"  # the set-up is wrong (key, model, permissions): an admin must act
