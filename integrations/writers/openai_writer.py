"""The OpenAI ticket writer: chat completions with a strict JSON schema, bounded in time, safe to share
(docs/design.md §7).

One `OpenAI` client (sync, thread-safe) serves every thread; the library's own retries are off
(`max_retries=0`) so that every wait and attempt is ours and the time one ticket may take is known:
`max_seconds_per_ticket`, enforced as a deadline on each `write`. A bad answer is told to the model
once; a second bad answer gives the template writer's text, marked "template-fallback" with the
reason. Only a service that cannot work raises: `WriterMisconfigured` (bad key, unknown model, no
quota: admin_required) or `WriterUnavailable` (rate limits, 5xx, timeouts beyond the budget: temporary).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import replace
from typing import Any, cast

import httpx2
import openai
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from openai.types.chat.completion_create_params import ResponseFormat

from integrations.tickets import FALLBACK_WRITER, Estimate, SiteContext, TicketBrief, TicketContent, Usage
from integrations.urls import display_url
from integrations.writers import answer as answers
from integrations.writers import openai_failures as failures
from integrations.writers.answer import InvalidAnswer
from integrations.writers.base import TicketWriter, WriterHealth
from integrations.writers.errors import WriterError, WriterMisconfigured
from integrations.writers.openai_health import HEALTH_TIMEOUT_S, check_health
from integrations.writers.prompt import (
    DEFAULT_DRUPAL_VERSION,
    JSON_OBJECT_FORMAT,
    JSON_SCHEMA_FORMAT,
    PROMPT_VERSION,
    build_messages,
    correction_message,
)
from integrations.writers.sanitize import clean_data
from integrations.writers.template import TemplateWriter

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TIMEOUT_S = 60.0  # waiting for the answer; a long ticket takes 10–30 s on a small model
DEFAULT_CONNECT_TIMEOUT_S = 5.0
DEFAULT_MAX_ATTEMPTS = 3  # per request, for 429, 5xx, timeouts and connection errors
DEFAULT_MAX_RETRY_WAIT_S = 20.0  # longest wait between attempts; a longer Retry-After gives up at once
DEFAULT_MAX_COMPLETION_TOKENS = 4_000
ANSWER_ATTEMPTS = 2  # the first answer, and one retry told what was wrong with it
_MIN_REQUEST_S = 1.0  # no request is started with less time than this left before the deadline
_BACKOFF_FIRST_S = 0.5
_MODEL_NAME_MAX = 200  # the model name the server reports (often dated) is stored with each ticket


class OpenAIWriter:
    """Writes tickets with an OpenAI or OpenAI-compatible chat completions server."""

    name = "openai"

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str | None = None,
        concurrency: int = 8,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        max_retry_wait_s: float = DEFAULT_MAX_RETRY_WAIT_S,
        max_completion_tokens: int = DEFAULT_MAX_COMPLETION_TOKENS,
        health_timeout_s: float = HEALTH_TIMEOUT_S,
        http_client: httpx2.Client | None = None,
        drupal_version: int = DEFAULT_DRUPAL_VERSION,
        fallback: TicketWriter | None = None,
    ) -> None:
        if not api_key:
            raise WriterMisconfigured("OPENAI_API_KEY is empty — set it (any non-empty value for a local server)")
        if not model:
            raise WriterMisconfigured("OPENAI_MODEL is empty — name the model to use")
        if concurrency < 1 or max_attempts < 1 or timeout_s <= 0 or connect_timeout_s <= 0 or max_retry_wait_s < 0:
            raise ValueError("concurrency and max_attempts must be ≥ 1, timeouts > 0, max_retry_wait_s ≥ 0")
        self.model = model
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.max_attempts = max_attempts
        self.max_retry_wait_s = max_retry_wait_s
        self.max_completion_tokens = max_completion_tokens
        self.health_timeout_s = health_timeout_s
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.server = display_url(self.base_url)
        per_request = connect_timeout_s + timeout_s
        per_answer = max_attempts * per_request + (max_attempts - 1) * max_retry_wait_s
        # The deadline each write() keeps: every request, retry and wait of both answers fits in it.
        self.max_seconds_per_ticket = ANSWER_ATTEMPTS * per_answer
        self._secret = api_key
        self._fallback = fallback if fallback is not None else TemplateWriter()
        self._json_mode = False  # set once a server rejects json_schema; then every request uses json_object
        self.drupal_version = drupal_version
        self._lock = threading.Lock()
        # Explicit base URL and key: the library would otherwise read OPENAI_BASE_URL itself.
        self._client = openai.OpenAI(
            api_key=api_key,
            base_url=self.base_url,
            timeout=httpx2.Timeout(timeout_s, connect=connect_timeout_s),
            max_retries=0,
            http_client=http_client,
        )

    def __repr__(self) -> str:
        return f"OpenAIWriter(model={self.model!r}, server={self.server!r}, concurrency={self.concurrency})"

    @property
    def json_mode(self) -> bool:
        """True once this server rejected `json_schema`: answers are then asked for as a plain JSON object."""
        return self._json_mode

    def close(self) -> None:
        self._client.close()

    def health(self) -> WriterHealth:
        return check_health(self._client, model=self.model, server=self.server,
                            connect_timeout_s=self.connect_timeout_s, timeout_s=self.health_timeout_s)

    def write(self, brief: TicketBrief, site: SiteContext) -> TicketContent:
        return self.write_guided(brief, site, "")

    def write_guided(self, brief: TicketBrief, site: SiteContext, guidance: str) -> TicketContent:
        """`write`, with a reviewer's "what should change" given to the model as data (a regeneration)."""
        deadline = time.monotonic() + self.max_seconds_per_ticket
        # The code-made ticket first: its parts stay, the model is shown them and adds to them, and it is
        # the whole ticket when the model's answer cannot be used.
        code_made = self._fallback.write(brief, site)
        messages: list[dict[str, Any]] = build_messages(brief, site, drupal_version=self.drupal_version,
                                                        code_made=code_made, guidance=guidance)
        usage = Usage()
        reason = ""
        for attempt in range(ANSWER_ATTEMPTS):
            if attempt:
                if deadline - time.monotonic() < _MIN_REQUEST_S + self.connect_timeout_s:
                    break  # no time left for the retry: the first reason stands
                messages = [*messages, correction_message(reason)]
            outcome = self._complete(messages, deadline)
            if isinstance(outcome, failures.Refused):
                reason = outcome.reason
                break  # the same request would be refused again
            usage += _usage(outcome)
            try:
                return self._content(code_made, outcome, usage)
            except InvalidAnswer as exc:
                reason = exc.reason
                log.info("ticket %s: unusable answer (attempt %d of %d): %s",
                         brief.key, attempt + 1, ANSWER_ATTEMPTS, reason)
        return self._fall_back(brief, code_made, usage, reason)

    def _content(self, code_made: TicketContent, completion: ChatCompletion, usage: Usage) -> TicketContent:
        """The code-made ticket with what the model adds: story, approach, gotchas, criteria, checks, risks,
        questions, and possibly another size with its reason."""
        if not isinstance(completion, ChatCompletion) or not completion.choices:
            raise InvalidAnswer("the LLM server's reply held no answer")
        choice = completion.choices[0]
        message = choice.message
        answer = answers.parse_answer(message.content, choice.finish_reason, getattr(message, "refusal", None))
        return replace(
            code_made,
            user_story=answer.user_story,
            analysis=answers.analysis(code_made.analysis, answer),
            verification=answers.added(code_made.verification, answer.checks),
            acceptance=answers.added(code_made.acceptance, answer.acceptance),
            open_questions=answers.added(code_made.open_questions, answer.open_questions),
            risks=answers.added(code_made.risks, answer.risks),
            estimate=_adjusted(code_made.estimate, answer.estimate, answer.estimate_reason),
            writer=self.name,
            model=clean_data(str(completion.model or ''))[:_MODEL_NAME_MAX] or self.model,
            prompt_version=PROMPT_VERSION,
            usage=usage,
        )

    def _fall_back(self, brief: TicketBrief, code_made: TicketContent, usage: Usage, reason: str) -> TicketContent:
        log.warning("ticket %s: the LLM's answer could not be used (%s); writing it with the template", brief.key,
                    reason)
        return replace(
            code_made,
            writer=FALLBACK_WRITER,
            model=self.model,
            prompt_version=PROMPT_VERSION,
            usage=usage,
            fallback_reason=f"the LLM's answer could not be used: {reason}",
        )

    def _complete(self, messages: list[dict[str, Any]], deadline: float) -> ChatCompletion | failures.Refused:
        """One chat completion, retried on 429/5xx/timeouts within the attempts and the deadline."""
        attempt = 0
        last = "the LLM server did not answer"
        while True:
            remaining = deadline - time.monotonic()
            if remaining < _MIN_REQUEST_S:
                raise failures.unavailable(last, attempt, self.max_seconds_per_ticket)
            json_mode = self._json_mode
            try:
                return self._client.chat.completions.create(
                    model=self.model,
                    messages=cast(list[ChatCompletionMessageParam], messages),
                    response_format=cast(ResponseFormat, JSON_OBJECT_FORMAT if json_mode else JSON_SCHEMA_FORMAT),
                    max_completion_tokens=self.max_completion_tokens,
                    timeout=httpx2.Timeout(min(self.timeout_s, remaining),
                                           connect=min(self.connect_timeout_s, remaining)),
                )
            except openai.OpenAIError as exc:
                if not json_mode and failures.rejects_json_schema(exc):
                    self._switch_to_json_mode(exc)
                    continue  # not an attempt: the same request in the format this server knows
                verdict = failures.classify(exc, model=self.model, server=self.server, secret=self._secret)
                if isinstance(verdict, WriterError):
                    raise verdict from None  # the server's text may echo the key: keep it out of tracebacks
                if isinstance(verdict, failures.Refused):
                    return verdict
                attempt += 1
                last = verdict.what
                # A status error's text is the server's and may hold anything; a connection error's is ours.
                cause = exc if isinstance(exc, openai.APIConnectionError) else None
                if attempt >= self.max_attempts:
                    raise failures.unavailable(last, attempt, self.max_seconds_per_ticket) from cause
                wait = verdict.wait_s if verdict.wait_s is not None else self._backoff(attempt)
                if wait > self.max_retry_wait_s or wait > deadline - time.monotonic() - _MIN_REQUEST_S:
                    raise failures.unavailable(f"{last} (asked to wait {wait:.0f} s)", attempt,
                                               self.max_seconds_per_ticket) from cause
                log.info("LLM request failed (%s); attempt %d of %d in %.1f s", last, attempt + 1,
                         self.max_attempts, wait)
                time.sleep(wait)

    def _backoff(self, attempt: int) -> float:
        return min(self.max_retry_wait_s, _BACKOFF_FIRST_S * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)

    def _switch_to_json_mode(self, exc: openai.OpenAIError) -> None:
        with self._lock:
            if self._json_mode:
                return
            self._json_mode = True
        status = exc.status_code if isinstance(exc, openai.APIStatusError) else "?"
        log.warning("the LLM server at %s rejected the json_schema response format (%s); using JSON mode from now on",
                    self.server, status)


def _adjusted(code_made: Estimate | None, model_size: str, reason: str) -> Estimate | None:
    """The code-made estimate, or the model's size with the code-made one kept as what it adjusted."""
    if code_made is None or not model_size or model_size == code_made.size:
        return code_made
    return replace(code_made, size=model_size, adjusted_from=code_made.size,
                   adjustment_reason=reason or "the language model's judgement of the work")


def _usage(completion: ChatCompletion) -> Usage:
    usage = getattr(completion, "usage", None)
    if usage is None:
        return Usage()
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) if details is not None else None
    return Usage(usage.prompt_tokens or 0, usage.completion_tokens or 0, cached or 0)
