"""The HTTP layer under the Jira gateway: the `jira` library's session with our own bounded retries.

The library's `ResilientSession` retries 429, 503 and connection errors for every method, POST
included, so a create whose answer was lost would be sent twice. It is built here with
`max_retries=0` and an explicit timeout, and this module retries instead, knowing what is safe:

- a request Jira refused with 429 did nothing: it is retried after `Retry-After` (bounded); so is a
  read answered 503;
- a write answered 503 is an unknown outcome, not a refusal: a proxy or load balancer in front of Jira
  may say 503 after Jira created the issue, so it raises `JiraOutcomeUnknown` and is never resent;
- a request that never left (connection refused, connect timeout) did nothing: retried after a backoff;
- a read whose answer was lost (reset, read timeout, 5xx) is retried: reading twice harms nothing;
- a write whose answer was lost raises `JiraOutcomeUnknown` and is NOT retried: the caller
  reconciles it (a create by its unique label) before anything is sent again.

Every failure leaves as one of the errors of `integrations.jira.errors`, in plain words.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from jira import JIRA, JIRAError
from urllib3.exceptions import MaxRetryError, NewConnectionError

from integrations.jira.errors import (
    JiraAdminRequired,
    JiraError,
    JiraNotFound,
    JiraOutcomeUnknown,
    JiraTemporary,
    JiraUserFixable,
)
from integrations.urls import display_url

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S: tuple[float, float] = (5.0, 30.0)  # (connect, read): the library's default is no timeout
DEFAULT_MAX_ATTEMPTS = 4  # per request, the first one included
DEFAULT_MAX_RETRY_AFTER_S = 30.0  # a longer Retry-After is not slept in the job: the caller waits instead
BACKOFF_S = (1.0, 2.0, 4.0)  # when Jira gave no Retry-After
MAX_JIRA_TEXT = 500  # characters of Jira's own error text kept in a message
RETRY_STATUSES = frozenset({429, 503})  # Jira refused the request before doing anything (429 always; 503 reads)

Sleep = Callable[[float], None]


class JiraTransport:
    """One Jira site, one set of credentials; connects (GET serverInfo) on first use."""

    def __init__(self, url: str, *, email: str = "", api_token: str = "", pat: str = "",
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT_S, max_attempts: int = DEFAULT_MAX_ATTEMPTS,
                 max_retry_after_s: float = DEFAULT_MAX_RETRY_AFTER_S, sleep: Sleep = time.sleep) -> None:
        self.url = url.rstrip("/")
        self._email = email
        self._api_token = api_token
        self._pat = pat
        self.timeout = timeout
        self.max_attempts = max(1, max_attempts)
        self.max_retry_after_s = max_retry_after_s
        self._sleep = sleep
        self._client: JIRA | None = None
        self.requests_sent = 0

    # ---- connection -------------------------------------------------------------------------------

    @property
    def client(self) -> JIRA:
        """The library client; building it is one request (GET serverInfo), retried like any read."""
        if self._client is None:
            self._client = self._with_retries("GET", "serverInfo", "connecting to Jira", write=False,
                                              send=self._connect)
        return self._client

    def _connect(self) -> JIRA:
        self.requests_sent += 1
        auth: dict[str, Any] = (
            {"token_auth": self._pat} if self._pat else {"basic_auth": (self._email, self._api_token)}
        )
        return JIRA(self.url, timeout=self.timeout, max_retries=0, get_server_info=True, **auth)

    @property
    def is_cloud(self) -> bool:
        return self.client.deploymentType == "Cloud"

    @property
    def api_version(self) -> str:
        """REST v3 on Cloud (ADF descriptions), v2 on Server/Data Center (wiki markup)."""
        return "3" if self.is_cloud else "2"

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # ---- requests ---------------------------------------------------------------------------------

    def call(self, action: str, read: Callable[[JIRA], Any]) -> Any:
        """A read through one of the library's own methods, with our retries and error translation."""
        client = self.client

        def send() -> Any:
            self.requests_sent += 1
            return read(client)

        return self._with_retries("GET", action, action, write=False, send=send)

    def get(self, path: str, action: str, *, params: dict[str, Any] | None = None,
            version: str | None = None) -> Any:
        return self.request("GET", path, action, params=params, version=version)

    def post(self, path: str, action: str, body: Any, *, version: str | None = None,
             accept: frozenset[int] = frozenset()) -> Any:
        """A write: never repeated once it may have reached Jira (JiraOutcomeUnknown instead)."""
        return self.request("POST", path, action, body=body, version=version, accept=accept)

    def request(self, method: str, path: str, action: str, *, params: dict[str, Any] | None = None,
                body: Any = None, version: str | None = None, accept: frozenset[int] = frozenset()) -> Any:
        """Send with bounded retries; the parsed JSON answer (None when empty).

        An error status in `accept` is answered with its parsed body instead of an exception (the bulk
        create's 400 carries the per-issue errors).
        """
        client = self.client
        url = f"{client.server_url}/rest/api/{version or self.api_version}/{path}"
        data = None if body is None else json.dumps(body)

        def send() -> Any:
            self.requests_sent += 1
            try:
                response = client._session.request(method, url, params=params, data=data)
            except JIRAError as exc:
                if exc.status_code in accept and isinstance(exc.response, requests.Response):
                    return _json_or_none(exc.response)
                raise
            return _json_or_none(response)

        return self._with_retries(method, path, action, write=method != "GET", send=send)

    def _with_retries(self, method: str, path: str, action: str, *, write: bool, send: Callable[[], Any]) -> Any:
        for attempt in range(1, self.max_attempts + 1):
            last = attempt == self.max_attempts
            try:
                return send()
            except JIRAError as exc:
                status = exc.status_code or 0
                response = exc.response if isinstance(exc.response, requests.Response) else None
                if status in RETRY_STATUSES and not (write and status == 503):  # a write's 503: see the top
                    wait = retry_after_s(response) if response is not None else None
                    self._wait_or_give_up(method, path, action, status, wait, attempt, last)
                    continue
                if status >= 500 and not write and not last:
                    self._pause(method, path, f"HTTP {status}", BACKOFF_S[min(attempt, len(BACKOFF_S)) - 1], attempt)
                    continue
                raise self._translate(status, response, action, write, path) from None
            except requests.RequestException as exc:
                never_sent = _never_sent(exc)
                if write and not never_sent:
                    raise JiraOutcomeUnknown(
                        f"Jira's answer was lost while {action} ({_kind(exc)}), so ticketbot cannot tell whether "
                        "it happened; it checks before trying again",
                        details={"path": path, "exception": self._scrub(repr(exc))},
                    ) from None
                if last:
                    raise JiraTemporary(
                        f"Jira at {display_url(self.url)} could not be reached while {action} ({_kind(exc)}); "
                        "ticketbot tries again later",
                        details={"path": path, "exception": self._scrub(repr(exc))},
                    ) from None
                self._pause(method, path, _kind(exc), BACKOFF_S[min(attempt, len(BACKOFF_S)) - 1], attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _wait_or_give_up(self, method: str, path: str, action: str, status: int, wait: float | None, attempt: int,
                         last: bool) -> None:
        delay = wait if wait is not None else BACKOFF_S[min(attempt, len(BACKOFF_S)) - 1]
        if last or delay > self.max_retry_after_s:
            what = "is rate limiting ticketbot" if status == 429 else "is unavailable"
            raise JiraTemporary(
                f"Jira {what} (HTTP {status}) while {action}; ticketbot tries again"
                + (f" in {delay:.0f} s" if wait is not None else " later"),
                retry_after_s=delay, status=status, details={"path": path, "attempts": attempt},
            )
        self._pause(method, path, f"HTTP {status}", delay, attempt)

    def _pause(self, method: str, path: str, reason: str, delay: float, attempt: int) -> None:
        log.warning("Jira %s %s: %s; retrying in %.1f s (attempt %d of %d)", method, path, reason, delay, attempt,
                    self.max_attempts)
        self._sleep(delay)

    def _translate(self, status: int, response: requests.Response | None, action: str, write: bool,
                   path: str) -> JiraError:
        messages, field_errors = _jira_errors(response)
        said = self._scrub("; ".join(messages + [f"{k}: {v}" for k, v in field_errors.items()]))[:MAX_JIRA_TEXT]
        details = {"path": path, "status": status, "jira": said}
        suffix = f": {said}" if said else ""
        if status == 401:
            which = "JIRA_PAT" if self._pat else "JIRA_EMAIL and JIRA_API_TOKEN"
            return JiraAdminRequired(f"Jira rejected ticketbot's credentials (HTTP 401) while {action}; "
                                     f"check {which}", status=status, details=details)
        if status == 403:
            return JiraAdminRequired(f"Jira refused ticketbot's account (HTTP 403) while {action}{suffix}; "
                                     "a Jira admin must grant the account the project permissions it needs",
                                     status=status, details=details)
        if status == 410:
            return JiraAdminRequired(f"Jira no longer offers the API ticketbot used while {action} "
                                     f"(HTTP 410 Gone){suffix}", status=status, details=details)
        if status == 404:
            return JiraNotFound(f"Jira found nothing while {action}{suffix}", status=status, details=details)
        if status >= 500:
            if write:
                return JiraOutcomeUnknown(f"Jira failed (HTTP {status}) while {action}; ticketbot checks whether "
                                          "it happened before trying again", status=status, details=details)
            return JiraTemporary(f"Jira failed (HTTP {status}) while {action}; ticketbot tries again later",
                                 status=status, details=details)
        return JiraUserFixable(f"Jira refused the request while {action}{suffix}",
                               field_errors={k: self._scrub(v) for k, v in field_errors.items()},
                               status=status, details=details)

    def _scrub(self, text: str) -> str:
        for secret in (self._api_token, self._pat):
            if secret:
                text = text.replace(secret, "***")
        return text


def _json_or_none(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def retry_after_s(response: requests.Response) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _jira_errors(response: requests.Response | None) -> tuple[list[str], dict[str, str]]:
    """Jira's `errorMessages` and field `errors` from an error body (both may be empty)."""
    if response is None or not response.content:
        return [], {}
    try:
        body = response.json()
    except ValueError:
        return [response.text.strip()[:MAX_JIRA_TEXT]], {}
    if not isinstance(body, dict):
        return [], {}
    messages = [str(m) for m in body.get("errorMessages") or [] if m]
    if body.get("message"):
        messages.append(str(body["message"]))
    errors = body.get("errors")
    return messages, ({str(k): str(v) for k, v in errors.items()} if isinstance(errors, dict) else {})


def _never_sent(exc: BaseException) -> bool:
    """True when the connection was never made, so the request cannot have reached Jira."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reasons: Sequence[object] = exc.args
    return any(isinstance(r, MaxRetryError) and isinstance(r.reason, NewConnectionError) for r in reasons)


def _kind(exc: BaseException) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed" if _never_sent(exc) else "connection lost"
    return type(exc).__name__
