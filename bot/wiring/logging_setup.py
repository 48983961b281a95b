"""Logging: one line per event, with the job's ids, and never a secret (docs/design.md §11).

Every line of every logger (ours, Bolt's, the Slack SDK's, the jira library's, RQ's) goes through the
one handler installed here, and its one filter redacts before anything is formatted: the exact values
of the secrets this process was configured with (tokens, keys, the passwords of its URLs), and
whatever looks like a credential of a service we talk to (token shapes, the userinfo of any URL).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

from jobs.tasks.log_context import LOG_FIELDS, current

REDACTED = "[redacted]"
# Shorter configured values are left to the patterns: redacting a two-letter password everywhere
# would garble every line and hide nothing an attacker could not guess.
MIN_SECRET_LENGTH = 4

# Tokens of every service we talk to, as they look in the wild; whatever a library logs, they go. A URL's
# userinfo runs to the LAST '@' before the host (a password may hold '@'), and may have no user at all
# (`redis://:pw@cache`).
SECRET_PATTERNS = re.compile(
    r"(xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|sk-[A-Za-z0-9_-]{8,}|ATATT[A-Za-z0-9_=-]+"
    r"|(?i:bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}|(?<=://)[^\s/]+(?=@))"
)


class Redactor:
    """Removes the configured secret values, then anything shaped like a credential."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
        self._values = re.compile("|".join(map(re.escape, values))) if values else None

    def __call__(self, text: str) -> str:
        if self._values is not None:
            text = self._values.sub(REDACTED, text)
        return SECRET_PATTERNS.sub(REDACTED, text)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    return Redactor(secrets)(text)


class RedactingFilter(logging.Filter):
    """Redacts a record's message, traceback and stack in place, and adds the job's ids to it."""

    _tracebacks = logging.Formatter()

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redact = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:  # formatters reuse exc_text: format it here, redacted
            record.exc_text = self._tracebacks.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for key, value in current().items():
            setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in LOG_FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = " ".join(f"{k}={getattr(record, k)}" for k in LOG_FIELDS if getattr(record, k, None) is not None)
        return f"{line} {ids}" if ids else line


def configure_logging(level: str = "WARNING", fmt: str = "text", secrets: Iterable[str] = ()) -> None:
    """Log to stderr through the redacting filter; `secrets`: the configured values (Settings.secret_values)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter(Redactor(secrets)))
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         TextFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def installed_redactor() -> Redactor:
    """The redactor of the handler configure_logging installed (patterns only before it ran), for the
    few things written elsewhere than a log line (the traceback file of an internal error)."""
    for handler in logging.getLogger().handlers:
        for found in handler.filters:
            if isinstance(found, RedactingFilter):
                return found.redact
    return Redactor()
