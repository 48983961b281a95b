"""The door in front of Bolt: a Slack request is bounded and its signature checked on the raw bytes first.

Bolt reads and parses a whole body before it looks at the signature, so an unsigned 100 MB POST cost a
process gigabytes and seconds. Here the body is refused unread when it claims more than `MAX_BODY_BYTES`,
read at most that far otherwise, and refused unless `X-Slack-Signature` is Slack's v0 HMAC of exactly
those bytes under a timestamp within five minutes. Only then does anything parse it. The request is
verified once, here, in the acknowledging process: nothing later re-checks the (by then old) timestamp.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_BODY_BYTES = 1024 * 1024  # Slack's own payloads are a few kilobytes; waitress is given the same cap
TIMESTAMP_WINDOW_S = 300  # Slack's own advice: refuse a request signed more than five minutes away
# Bolt takes these headers as "run only this lazy listener": from outside they must never reach it.
INTERNAL_HEADER_PREFIX = "x-slack-bolt-"


@dataclass(frozen=True)
class GateAnswer:
    """Why a request was refused, as the HTTP answer to give."""

    status: str
    reason: str


TOO_LARGE = GateAnswer("413 Request Entity Too Large", "body over the limit")
NO_LENGTH = GateAnswer("411 Length Required", "no Content-Length")
UNSIGNED = GateAnswer("401 Unauthorized", "missing or invalid signature")
STALE = GateAnswer("401 Unauthorized", "timestamp outside five minutes")


@dataclass(frozen=True)
class VerifiedRequest:
    body: bytes
    headers: dict[str, str]  # lower-case names, as Bolt keeps them; no internal Bolt headers


class SlackRequestGate:
    """Reads a WSGI request within the body cap and checks its signature; refuses everything else."""

    def __init__(self, signing_secret: str, *, max_body_bytes: int = MAX_BODY_BYTES,
                 clock: Callable[[], float] = time.time) -> None:
        self.key = signing_secret.encode()
        self.max_body_bytes = max_body_bytes
        self.clock = clock

    def admit(self, environ: dict[str, Any]) -> VerifiedRequest | GateAnswer:
        length_text = str(environ.get("CONTENT_LENGTH") or "").strip()
        if not length_text.isdigit():
            return NO_LENGTH  # waitress sets it, also for chunked bodies it has read (within its own cap)
        length = int(length_text)
        if length > self.max_body_bytes:
            return TOO_LARGE
        headers = request_headers(environ)
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not timestamp.isdigit() or not signature.startswith("v0="):
            return UNSIGNED
        if abs(self.clock() - int(timestamp)) > TIMESTAMP_WINDOW_S:
            return STALE
        body = environ["wsgi.input"].read(length) if length else b""
        if len(body) != length:
            return UNSIGNED  # the client stopped short of what it announced: not what was signed
        # Not slack_sdk's SignatureVerifier: it decodes the body as UTF-8 first, and raises on hostile bytes.
        expected = "v0=" + hmac.new(self.key, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            return UNSIGNED
        return VerifiedRequest(body, headers)


def request_headers(environ: dict[str, Any]) -> dict[str, str]:
    """The request's headers as Bolt names them (lower case, dashes), without Bolt's internal ones."""
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key in ("CONTENT_LENGTH", "CONTENT_TYPE"):
            headers[key.lower().replace("_", "-")] = str(value)
        elif key.startswith("HTTP_"):
            name = key[5:].lower().replace("_", "-")
            if not name.startswith(INTERNAL_HEADER_PREFIX):
                headers[name] = str(value)
    return headers
