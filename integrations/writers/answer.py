"""Check the model's answer (the seed's `_validate_llm_response`) and turn it into ticket text.

The model adds to a ticket whose code-made parts (title, analysis, checks, criteria, estimate) stay. An
answer is unusable when the model refused, was cut off (`length`), was stopped by the provider's content
filter, or wrote something that is not the JSON object asked for: the user story or approach missing or
empty, a list that is not a list of strings (or of given/when/then objects). `InvalidAnswer.reason` says which,
in plain words, so that it can be told to the model for the one retry and stored as the fallback reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from integrations.spec.drupal_knowledge import one_line
from integrations.writers.prompt import ESTIMATES
from integrations.writers.sanitize import clean_output

TEXT_MAX = 20_000  # characters of the user story or approach kept; far above what the prompt asks for
LIST_MAX = 12  # items kept of any list the model writes
ITEM_MAX = 500  # characters of one item (a check, a gotcha, a risk, a question, a criterion's clause)
_REASON_MAX = 200


class InvalidAnswer(Exception):
    """The answer cannot be used; `reason` is one plain sentence without the answer's text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ModelAnswer:
    """A usable answer, already cleaned: plain, visible, inert text. It only ever adds to the ticket."""

    user_story: str
    approach: str
    gotchas: tuple[str, ...] = ()
    acceptance: tuple[str, ...] = ()  # "Given …\nWhen …\nThen …", as the code-made criteria are written
    checks: tuple[str, ...] = ()
    risks: tuple[str, ...] = ()
    open_questions: tuple[str, ...] = ()
    estimate: str = ""
    estimate_reason: str = ""


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
    texts = {}
    for name in ("user_story", "approach"):
        if name not in data or data[name] is None:
            raise InvalidAnswer(f"the field {name} is missing")
        if not isinstance(data[name], str):
            raise InvalidAnswer(f"the field {name} must be a string")
        texts[name] = clean_output(data[name])
        if not texts[name]:
            raise InvalidAnswer(f"the field {name} is empty")
    estimate = data.get("estimate")
    reason = data.get("estimate_reason")
    return ModelAnswer(
        user_story=_clip(texts["user_story"], TEXT_MAX),
        approach=_clip(texts["approach"], TEXT_MAX),
        gotchas=_lines(data, "gotchas"),
        acceptance=_scenarios(data),
        checks=_lines(data, "extra_checks"),
        risks=_lines(data, "risks"),
        open_questions=_lines(data, "open_questions"),
        estimate=estimate if estimate in ESTIMATES else "",
        estimate_reason=_clip(one_line(clean_output(reason)), ITEM_MAX) if isinstance(reason, str) else "",
    )


def _lines(data: dict[str, object], name: str) -> tuple[str, ...]:
    """A list of one-sentence strings; absent is empty (JSON mode has no schema), anything else is refused."""
    items = data.get(name)
    if items is None:
        return ()
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise InvalidAnswer(f"the field {name} must be a list of strings")
    kept = (_clip(one_line(clean_output(i)), ITEM_MAX) for i in items)
    return tuple(dict.fromkeys(k for k in kept if k))[:LIST_MAX]


def _scenarios(data: dict[str, object]) -> tuple[str, ...]:
    items = data.get("extra_acceptance_criteria")
    if items is None:
        return ()
    parts = ("given", "when", "then")
    if not isinstance(items, list) or not all(isinstance(i, dict) and all(isinstance(i.get(p), str) for p in parts)
                                              for i in items):
        raise InvalidAnswer("the field extra_acceptance_criteria must be a list of objects with given, when "
                            "and then")
    scenarios = []
    for item in items:
        clauses = [_clip(one_line(clean_output(item[p])), ITEM_MAX) for p in parts]
        if all(clauses):
            scenarios.append("\n".join(f"{word} {_without(clause, word)}"
                                        for word, clause in zip(("Given", "When", "Then"), clauses, strict=True)))
    return tuple(dict.fromkeys(scenarios))[:LIST_MAX]


def _without(clause: str, word: str) -> str:
    """'Given an editor' from 'given an editor' or 'an editor': the keyword once."""
    return clause[len(word):].lstrip() if clause.lower().startswith(word.lower() + " ") else clause


def added(code_made: tuple[str, ...], extra: tuple[str, ...]) -> tuple[str, ...]:
    """The code-made items unchanged and in order, then the model's new ones, without repeats."""
    seen = {_check_key(c) for c in code_made}
    more = []
    for item in extra:
        key = _check_key(item)
        if key and key not in seen:
            seen.add(key)
            more.append(item)
    return (*code_made, *more[:LIST_MAX])


def analysis(code_made: str, answer: ModelAnswer) -> str:
    """The code-made analysis, then the model's approach and gotchas, each under its own heading line."""
    parts = [code_made, f"Approach (by the language model)\n{answer.approach}"]
    if answer.gotchas:
        parts.append("Gotchas (by the language model)\n" + "\n".join(f"- {g}" for g in answer.gotchas))
    return "\n\n".join(parts)


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
