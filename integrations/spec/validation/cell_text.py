"""Cells whose text is not a spec: instructions aimed at a language model, and people named in them.

Both go to the spec's author as warnings whatever writer is chosen (the template path too): a cell
that tells a model to "ignore previous instructions" is at best noise in a ticket and at worst an attack
on the OpenAI writer, and an e-mail address or @handle puts a person into every output and Jira issue.
The row is kept; the warning says which cell and what to do.
"""

from __future__ import annotations

import re

from integrations.spec.validation.base import ValidatorBase

_INSTRUCTIONS = re.compile(
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+|your\s+)?(?:previous|prior|above|earlier)"
    r"\s+(?:instructions?|prompts?|rules?)"
    r"|\bsystem\s+prompt\b|\bnew\s+instructions\s*:|</?\s*(?:system|assistant|instructions?)\s*>"
    r"|\byou\s+are\s+(?:now\s+)?(?:an?\s+|the\s+)?(?:ai|assistant|chatbot|language\s+model|llm|gpt|chatgpt)\b"
    r"|\b(?:act|behave)\s+as\s+(?:an?\s+)?(?:ai|assistant|system|administrator)\b",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_HANDLE = re.compile(r"(?<![\w.@/])@[A-Za-z][\w.-]{1,}|<@[UW][A-Z0-9]+>|<!(?:channel|here|everyone)>|\[~[^\]]+\]")


class CellTextRules(ValidatorBase):
    def read_cell_text(self) -> None:
        """One warning per cell that addresses a machine or names a person."""
        for rows in self.rows.values():
            for row in rows:
                for column, value in [*row.values.items(), *row.extras.items()]:
                    if not value.strip():
                        continue
                    if _INSTRUCTIONS.search(value):
                        self.warn(row, column, "the text reads like instructions to a program "
                                  f"(“{_excerpt(value, _INSTRUCTIONS)}”), not a description of the site",
                                  "describe what to build instead; the cell is kept as data and never followed")
                    found = _EMAIL.search(value) or _HANDLE.search(value)
                    if found:
                        self.warn(row, column, f"the text names a person ({found.group(0)[:60]}), which would be "
                                  "copied into every ticket and Jira issue",
                                  "name the role instead (e.g. “the content editor”) and remove addresses and handles")


def _excerpt(value: str, pattern: re.Pattern[str]) -> str:
    found = pattern.search(value)
    return " ".join(found.group(0).split())[:60] if found else ""
