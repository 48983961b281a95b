"""Web API clients with bounded retries: one for calls that are safe to repeat, one for posting."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

DEFAULT_TIMEOUT_S = 10
RATE_LIMIT_RETRIES = 3  # each waits Retry-After (+ up to 1 s)
SERVER_ERROR_RETRIES = 2
CONNECTION_RETRIES = 1


def make_web_client(token: str, base_url: str, *, timeout_s: int = DEFAULT_TIMEOUT_S) -> WebClient:
    """For reads and edits (chat.update, files.info, conversations.replies …): repeating them is harmless."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    return WebClient(token=token, base_url=base, timeout=timeout_s, retry_handlers=[
        ConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
        RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
    ])


def make_posting_client(token: str, base_url: str, *, timeout_s: int = DEFAULT_TIMEOUT_S) -> WebClient:
    """For chat.postMessage: only a 429 (which certainly posted nothing) is retried.

    A dropped connection or a 5xx may come after Slack stored the message, so repeating blindly could
    post it twice; the caller looks the message up by its metadata instead.
    """
    base = base_url if base_url.endswith("/") else base_url + "/"
    return WebClient(token=token, base_url=base, timeout=timeout_s, retry_handlers=[
        RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ])
