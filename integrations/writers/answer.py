"""Check the model's answer (the seed's `_validate_llm_response`) and turn it into ticket text.

An answer is unusable when the model refused, was cut off (`length`), was stopped by the provider's
content filter, or wrote something that is not the JSON object asked for: a required field missing
or empty, a title longer than 255 characters or on several lines. `InvalidAnswer.reason` says which,
in plain words, so that it can be told to the model for the one retry and stored as the fallback reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from integrations.tickets import TicketBrief
from integrations.writers.drupal_knowledge import one_line
from integrations.writers.prompt import ESTIMATES
from integrations.writers.sanitize import clean_output

TITLE_MAX = 255
TEXT_MAX = 20_000  # characters of the user story or analysis kept; far above what the prompt asks for
EXTRA_CHECKS_MAX = 12
CHECK_MAX = 500
MODULES_MAX = 20
_MODULE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_REASON_MAX = 200


class InvalidAnswer(Exception):
    """The answer cannot be used; `reason` is one plain sentence without the answer's text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ModelAnswer:
    """A usable answer, already cleaned: plain, visible, inert text."""

    title: str
    user_story: str
    analysis: str
    verification: tuple[str, ...]  # the model's extra checks only
    drupal_modules: tuple[str, ...] = ()
    estimate: str = ""


def parse_answer(content: str | None, finish_reason: str | None, refusal: str | None) -> ModelAnswer:
    """The answer of one chat completion choice, or InvalidAnswer saying what is wrong with it."""
    if refusal:
        raise InvalidAnswer(f"the model refused to write the ticket ({_short(refusal)})")
    if finish_reason == "length":
        raise InvalidAnswer("the answer was cut off at the token limit; it must be shorter")
    if finish_reason == "content_filter":
        raise InvalidAnswer("the provider's content filter stopped the answer")
    if not content or not content.strip():
        raise InvalidAnswer("the answer was empty")
    try:
        data = json.loads(_unfence(content))
    except ValueError:
        raise InvalidAnswer("the answer was not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidAnswer("the answer was not a JSON object")
    for name in ("title", "user_story", "analysis", "verification"):
        if name not in data or data[name] is None:
            raise InvalidAnswer(f"the field {name} is missing")
    texts = {}
    for name in ("title", "user_story", "analysis"):
        if not isinstance(data[name], str):
            raise InvalidAnswer(f"the field {name} must be a string")
        texts[name] = clean_output(data[name])
        if not texts[name]:
            raise InvalidAnswer(f"the field {name} is empty")
    title = texts["title"]
    if "\n" in title:
        raise InvalidAnswer("the title must be one line")
    if len(title) > TITLE_MAX:
        raise InvalidAnswer(f"the title has {len(title)} characters; at most {TITLE_MAX} are allowed")
    checks = data["verification"]
    if not isinstance(checks, list) or not all(isinstance(c, str) for c in checks):
        raise InvalidAnswer("the field verification must be a list of strings")
    modules = data.get("drupal_modules")
    estimate = data.get("estimate")
    return ModelAnswer(
        title=title,
        user_story=_clip(texts["user_story"], TEXT_MAX),
        analysis=_clip(texts["analysis"], TEXT_MAX),
        verification=tuple(_clip(one_line(clean_output(c)), CHECK_MAX) for c in checks if one_line(clean_output(c))),
        drupal_modules=tuple(dict.fromkeys(
            m.strip() for m in (modules if isinstance(modules, list) else []) if isinstance(m, str)
            and _MODULE.match(m.strip())
        ))[:MODULES_MAX],
        estimate=estimate if estimate in ESTIMATES else "",
    )


def verification(brief: TicketBrief, answer: ModelAnswer) -> tuple[str, ...]:
    """The brief's code-made checks unchanged and in order, then the model's new checks, without repeats."""
    seen = {_check_key(c) for c in brief.checks}
    extra = []
    for check in answer.verification:
        key = _check_key(check)
        if key and key not in seen:
            seen.add(key)
            extra.append(check)
    return (*brief.checks, *extra[:EXTRA_CHECKS_MAX])


def analysis(answer: ModelAnswer) -> str:
    """The model's analysis, followed by the modules and estimate it gave."""
    lines = []
    if answer.drupal_modules:
        lines.append("Drupal modules: " + ", ".join(answer.drupal_modules))
    if answer.estimate:
        lines.append(f"Estimate: {answer.estimate} (T-shirt size, written by the model)")
    return "\n\n".join([answer.analysis, "\n".join(lines)]) if lines else answer.analysis


def _check_key(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", text.casefold()).split())


def _unfence(content: str) -> str:
    """JSON mode on some servers wraps the object in a ```json fence; the object inside is what counts."""
    text = content.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _short(text: str) -> str:
    return _clip(one_line(clean_output(text)), _REASON_MAX)
