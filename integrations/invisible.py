"""Characters no one can see, removed from text that comes from outside (spec cells, file names, the LLM).

A NUL byte makes PostgreSQL refuse the whole row it is stored in (text columns cannot hold it), and
the other control characters, zero-width, bidi-override and tag characters change what a reviewer
sees without showing themselves (a name that reads 'article' but is not, a line read right to left,
hidden instructions to the LLM). The spec reader strips them from every cell, and the Slack and Jira
escaping strip them again from everything they render, so neither depends on the other.
"""

from __future__ import annotations

import re

# C0 controls except tab and line feed (carriage returns are turned into line feeds first), DEL, C1.
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f"
# Zero-width space/joiners and the LRM/RLM marks, bidi embeddings and overrides, bidi isolates, the
# word joiner and invisible operators, the Arabic letter mark, BOM/ZWNBSP, and the Unicode tag block.
_INVISIBLE = "\u200b-\u200f\u202a-\u202e\u2066-\u2069\u2060-\u2064\u061c\ufeff\U000e0000-\U000e007f"

INVISIBLE = re.compile(f"[{_CONTROLS}{_INVISIBLE}]")
# The same, carriage returns kept: for a whole document whose parser still needs its line ends.
_INVISIBLE_IN_DOCUMENT = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_INVISIBLE}]")
_LINE_ENDS = re.compile("\r\n?")


def strip_invisible(text: str) -> str:
    """`text` without invisible and control characters; CR LF and lone CR become LF, tabs stay."""
    if "\r" in text:
        text = _LINE_ENDS.sub("\n", text)
    return INVISIBLE.sub("", text)


def strip_invisible_from_document(text: str) -> str:
    """`strip_invisible` for a whole CSV before it is parsed: line ends (CR included) are left as they are."""
    return _INVISIBLE_IN_DOCUMENT.sub("", text)


def has_invisible(text: str) -> bool:
    return INVISIBLE.search(text) is not None
