"""Errors of the Slack gateway: SDK and socket errors translated at the boundary, secrets never included."""

from __future__ import annotations


class SlackError(Exception):
    """Base of Slack errors; `message` is plain words and never holds a token."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SlackUnavailable(SlackError):
    """Slack could not be reached or answered 5xx (after the client's bounded retries)."""


class SlackRateLimited(SlackError):
    """Slack still answered 429 after the client's retries; `retry_after_s` is what it asked for."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class SlackPostUncertain(SlackError):
    """The connection failed while a message was being posted: it may or may not be in Slack now."""


class SlackRejected(SlackError):
    """Slack answered `ok: false`; `code` is its error code (`not_in_channel`, `msg_too_long` …)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code

    @property
    def not_in_channel(self) -> bool:
        return self.code in ("not_in_channel", "channel_not_found", "is_archived")


class DownloadRefused(SlackError):
    """A file was not downloaded: wrong host or scheme, too big, a web page instead of the file …"""
