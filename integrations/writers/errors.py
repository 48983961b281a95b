"""Errors a ticket writer raises when the service behind it is unusable (never for one bad answer).

A bad answer from the model is not an error: the writer falls back to the template text for that
ticket and says why in `TicketContent.fallback_reason`. These exceptions mean no ticket can be written
right now; `category` tells the caller what to do, in the words of docs/design.md §8.
"""

from __future__ import annotations

from integrations.categories import Category

# Temporary: rate limits, server errors, timeouts, an unreachable server. Admin required: a bad key, an
# unknown model, no quota.
TEMPORARY, ADMIN_REQUIRED = Category.TEMPORARY, Category.ADMIN_REQUIRED


class WriterError(Exception):
    """The writer cannot work; `message` is plain words for a Slack user and never holds a secret."""

    category: Category = TEMPORARY

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WriterUnavailable(WriterError):
    """The LLM server is unreachable, overloaded or too slow; retrying later may work."""

    category = TEMPORARY


class WriterMisconfigured(WriterError):
    """The LLM set-up is wrong (key, model, quota, base URL); an admin has to fix it."""

    category = ADMIN_REQUIRED
