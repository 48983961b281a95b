"""What an `openai` library error means for the writer: retry, give up on one ticket, or stop (docs/design.md §8).

Every message here is plain words for a Slack user. None repeats the server's text for a rejected
key (OpenAI echoes part of the key back), and any server text that is repeated is scrubbed of keys.
"""

from __future__ import annotations

import email.utils
import math
import re
import time
from dataclasses import dataclass

import openai

from integrations.writers.errors import WriterError, WriterMisconfigured, WriterUnavailable

_KEYISH = re.compile(r"\b(sk|key|token)-[A-Za-z0-9_*.\-]{4,}", re.IGNORECASE)
_SCHEMA_WORDS = ("response_format", "json_schema", "structured output", "schema")
_DETAIL_MAX = 160


@dataclass(frozen=True)
class Retry:
    """A failure worth another attempt after `wait_s` (None: the caller's backoff); `what` for messages."""

    what: str
    wait_s: float | None = None


@dataclass(frozen=True)
class Refused:
    """The server refused this one request (bad request, too large): that ticket falls back."""

    reason: str


def classify(exc: openai.OpenAIError, *, model: str, server: str, secret: str) -> Retry | Refused | WriterError:
    """Sort a failed chat completion into retry, refuse-this-ticket, or the writer cannot work."""
    if isinstance(exc, openai.APITimeoutError):
        return Retry("the LLM server did not answer in time")
    if isinstance(exc, openai.APIConnectionError):
        return Retry(f"cannot reach the LLM server at {server}")
    if not isinstance(exc, openai.APIStatusError):
        return Refused(f"the LLM server's reply could not be read ({type(exc).__name__})")
    status = exc.status_code
    if status in (401, 403):
        return WriterMisconfigured(key_rejected(status))
    if status == 404:
        return WriterMisconfigured(model_missing(model, server))
    if status == 429:
        if _code(exc) == "insufficient_quota":
            return WriterMisconfigured(
                "the OpenAI account has no quota left (429 insufficient_quota) — check the plan and billing"
            )
        return Retry("the LLM server is rate-limiting us", retry_after_s(exc.response.headers))
    if status in (408, 409) or status >= 500:
        return Retry(f"the LLM server failed ({status})", retry_after_s(exc.response.headers))
    return Refused(f"the LLM server refused the request ({status}: {detail(exc, secret)})")


def rejects_json_schema(exc: openai.OpenAIError) -> bool:
    """A 400/422 about the response format: a server without structured outputs; JSON mode may work."""
    if not isinstance(exc, openai.APIStatusError) or exc.status_code not in (400, 422):
        return False
    text = f"{exc.message} {exc.param or ''} {exc.body}".lower()
    return any(word in text for word in _SCHEMA_WORDS)


def retry_after_s(headers: object) -> float | None:
    """Seconds the server asks us to wait: `retry-after-ms`, `retry-after` seconds or an HTTP date."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            continue
        return max(0.0, seconds) if math.isfinite(seconds) else math.inf
    value = get("retry-after")
    if value:
        try:
            parsed = email.utils.parsedate_tz(value)
            if parsed is not None:
                return max(0.0, email.utils.mktime_tz(parsed) - time.time())
        except (TypeError, ValueError, OverflowError):
            return None
    return None


def key_rejected(status: int) -> str:
    if status == 403:
        return "OpenAI refused the API key (403) — check OPENAI_API_KEY and what the key may access"
    return f"OpenAI rejected the API key ({status}) — check OPENAI_API_KEY"


def model_missing(model: str, server: str) -> str:
    return f"model '{model}' is not available on this server ({server}) — check OPENAI_MODEL and OPENAI_BASE_URL"


def unreachable(server: str) -> str:
    return f"cannot reach the LLM server at {server}"


RATE_LIMITED = "the LLM server is rate-limiting us; try again in a minute"


def unavailable(what: str, attempts: int, budget_s: float) -> WriterUnavailable:
    return WriterUnavailable(f"{what}, after {attempts} attempt(s) within {budget_s:.0f} s; try again later")


def detail(exc: openai.APIStatusError, secret: str) -> str:
    """The server's error message, short, on one line, without anything that looks like a key."""
    body = exc.body
    message = body.get("message") if isinstance(body, dict) else None
    text = " ".join(str(message or exc.message).split())
    text = redact(text, secret)
    return text if len(text) <= _DETAIL_MAX else text[: _DETAIL_MAX - 1] + "…"


def redact(text: str, secret: str) -> str:
    if secret and len(secret) >= 4:
        text = text.replace(secret, "***")
    return _KEYISH.sub(lambda m: m[1] + "-***", text)


def _code(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("code"):
            return str(inner["code"])
    return str(exc.code or "")
