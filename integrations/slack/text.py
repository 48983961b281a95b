"""mrkdwn escaping and Slack's size limits, for text that comes from CSV cells, files, sites or the LLM."""

from __future__ import annotations

import re

from integrations.invisible import strip_invisible

MAX_TEXT_CHARS = 4000  # the `text` of a message
MAX_SECTION_CHARS = 3000  # the text of one section block
MAX_BLOCKS = 50  # blocks in one message
MAX_HEADER_CHARS = 150  # a header block's plain text
MAX_CONTEXT_ELEMENTS = 10  # elements in one context block

# Characters that would otherwise make Slack read text as markup: a live <!channel>, <@U…> or <url|x>.
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Plain-text broadcast words that some clients still turn into mentions; a word joiner keeps them inert.
_BROADCASTS = re.compile(r"@(here|channel|everyone)\b", re.IGNORECASE)
# Variation selectors, dropped on top of what strip_invisible drops (controls, zero-width, bidi, tags).
_VARIATION_SELECTORS = re.compile("[\ufe00-\ufe0f]")
_WORD_JOINER = "\u2060"
ELLIPSIS = "…"


def escape(text: str) -> str:
    """Text from outside (CSV, file names, site names, the LLM) made inert for mrkdwn."""
    cleaned = _clean(text)
    escaped = "".join(_ENTITIES.get(c, c) for c in cleaned)
    return _BROADCASTS.sub(lambda m: "@" + _WORD_JOINER + m.group(1), escaped)


def plain(text: str) -> str:
    """Text for a plain_text object (a header): no markup is read there, yet no raw `<…>` is sent either;
    angle brackets become look-alikes and broadcast words are broken."""
    cleaned = _clean(text).replace("<", "‹").replace(">", "›")
    return _BROADCASTS.sub(lambda m: "@" + _WORD_JOINER + m.group(1), cleaned)


def _clean(text: object) -> str:
    return _VARIATION_SELECTORS.sub("", strip_invisible(str(text)))


def code(text: str) -> str:
    """Escaped text inside a code span (backticks removed so the span cannot be closed early)."""
    return "`" + escape(str(text).replace("`", "'")) + "`"


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, ending in … when cut, never in the middle of an &entity;."""
    if len(text) <= limit:
        return text
    return text[: _safe_cut(text, max(limit - 1, 0))] + ELLIPSIS


def split(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at line ends (then spaces) where possible."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = window.rfind("\n")
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 2:
            cut = _safe_cut(rest, limit) or limit
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip("\n ")
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def _safe_cut(text: str, at: int) -> int:
    """`at`, moved back to the start of an &entity; that it would split."""
    amp = text.rfind("&", max(0, at - 5), at)
    if amp != -1 and text.find(";", amp, at) == -1:
        return amp
    return at


def mention(user_id: str) -> str:
    """A user mention for an id Slack gave us (never for text from a file)."""
    return f"<@{user_id}>" if re.fullmatch(r"[UW][A-Z0-9]{2,}", user_id or "") else "someone"
