"""A cheap real call that says in plain words whether the OpenAI writer can work now (docs/design.md §4 doctor, §7)."""

from __future__ import annotations

import httpx2
import openai

from integrations.writers import openai_failures as failures
from integrations.writers.base import WriterHealth
from integrations.writers.errors import ADMIN_REQUIRED, TEMPORARY, WriterError

HEALTH_TIMEOUT_S = 10.0


def check_health(
    client: openai.OpenAI, *, model: str, server: str, connect_timeout_s: float, timeout_s: float = HEALTH_TIMEOUT_S
) -> WriterHealth:
    """GET /models; when the model is not listed (gateways list oddly), confirm with a one-token completion."""
    quick = client.with_options(timeout=httpx2.Timeout(timeout_s, connect=min(connect_timeout_s, timeout_s)),
                                max_retries=0)
    listed: set[str] | None = None
    try:
        listed = {m.id for m in quick.models.list()}
    except openai.APIStatusError as exc:
        if exc.status_code not in (404, 405, 501):  # a server without a model list is not broken
            return _failure(exc, model, server, timeout_s)
    except openai.OpenAIError as exc:
        return _failure(exc, model, server, timeout_s)
    if listed is not None and model in listed:
        return _ok(model, server)
    try:
        quick.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Say OK."}], max_completion_tokens=1
        )
    except openai.BadRequestError as exc:
        if _names_missing_model(exc):
            return WriterHealth(False, failures.model_missing(model, server), ADMIN_REQUIRED)
        return _ok(model, server)  # the model exists; it only disliked so short an answer
    except openai.OpenAIError as exc:
        return _failure(exc, model, server, timeout_s)
    return _ok(model, server)


def _ok(model: str, server: str) -> WriterHealth:
    return WriterHealth(True, f"the LLM server at {server} answers and model '{model}' is available")


def _failure(exc: openai.OpenAIError, model: str, server: str, timeout_s: float) -> WriterHealth:
    if isinstance(exc, openai.APITimeoutError):
        return WriterHealth(False, f"{failures.unreachable(server)} (no answer within {timeout_s:g} s)", TEMPORARY)
    if isinstance(exc, openai.APIConnectionError):
        return WriterHealth(False, failures.unreachable(server), TEMPORARY)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status in (401, 403):
            return WriterHealth(False, failures.key_rejected(status), ADMIN_REQUIRED)
        if status == 404:
            return WriterHealth(False, failures.model_missing(model, server), ADMIN_REQUIRED)
        if status == 429:
            verdict = failures.classify(exc, model=model, server=server, secret="")
            if isinstance(verdict, WriterError):
                return WriterHealth(False, verdict.message, verdict.category)
            return WriterHealth(False, failures.RATE_LIMITED, TEMPORARY)
        if status >= 500:
            return WriterHealth(False, f"the LLM server at {server} is failing ({status}); try again later",
                                TEMPORARY)
        return WriterHealth(False, f"the LLM server at {server} refused the check ({status})", ADMIN_REQUIRED)
    return WriterHealth(False, f"the LLM server at {server} gave an unreadable answer", TEMPORARY)


def _names_missing_model(exc: openai.BadRequestError) -> bool:
    text = f"{exc.code or ''} {exc.message}".lower()
    return "model_not_found" in text or ("model" in text and ("not found" in text or "does not exist" in text))
