"""A ticket's Jira description in wiki markup (Server/DC REST v2, and the CSV importer), all input inert.

Escaping strategy. Every piece of text that comes from a spec cell, a file name or the LLM goes
through `escape_wiki` (or `escape_wiki_inline` where it sits inside a list item or table cell). It
backslash-escapes every character Jira's renderer treats as markup — the set of Atlassian's own
`BackslashEscapeRendererComponent.escapeWiki` plus `#` — so `[~admin]`, `[text|http://…]`,
`{code}`, `!image.png!`, `|cells|`, `*bold*`, `-strike-`, `(y)` all render as the characters typed.
Backslash escaping is used rather than `{noformat}` because it works inside table cells and list
items, reads as normal text, and keeps every output line independent (so a description can be cut
at any line without leaving a macro open). Three things a backslash cannot fix are handled apart:

- a backslash in the input: `\\` is a forced line break and a backslash before one of our escapes
  cancels it (the renderer ignores `\\X` preceded by `\\`), and wiki markup has no escape for the
  backslash itself, so input backslashes become U+FF3C FULLWIDTH REVERSE SOLIDUS;
- block markers that are letters (`h1.` … `h6.`, `bq.`) at the start of a line: a backslash is put
  before their dot, which breaks the marker and stays visible;
- newlines inside a list item or table cell would end it, so inline text is folded onto one line.

The only block not escaped is Behat, which needs its layout: it goes in `{noformat}`, inside which
nothing is interpreted except the closing `{noformat}`, and every `{noformat` in the text has its
brace replaced (U+FF5B) so it cannot close the block early. Bare URLs are left as text; Jira may
auto-link them, which shows the address in full and so hides nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from integrations.invisible import strip_invisible
from integrations.jira.source_rows import sheet_tables
from integrations.spec.reader import SpecRow
from integrations.tickets import WrittenTicket

# Characters Jira's wiki renderer gives a meaning to, all of which it un-escapes after a backslash.
WIKI_SPECIAL = frozenset("!#%()*+-?@[]^_{|}~")
_WIKI_SPECIAL_CHAR = re.compile("[" + re.escape("".join(sorted(WIKI_SPECIAL))) + "]")  # one pass, not per char
# Jira refuses text fields over 32,767 characters; keep a margin for the importer's own additions.
WIKI_DESCRIPTION_LIMIT = 32_000
# Java's multi-line "^", which Jira's block parsing uses, also starts a line after these.
_OTHER_LINE_ENDS = re.compile("\r\n|[\r\x85\u2028\u2029]")
_LETTER_BLOCK_MARKER = re.compile(r"^(\s*(?:h[1-6]|bq))\.", re.IGNORECASE)
_NOFORMAT_OPEN = re.compile(r"\{(?=\s*noformat)", re.IGNORECASE)
_NOFORMAT = "{noformat}"
_SHORTENED_NOTE = "_The description was shortened to fit Jira's size limit._"


def escape_wiki(text: str) -> str:
    """Text that renders as typed in Jira wiki markup, line breaks kept."""
    text = strip_invisible(_OTHER_LINE_ENDS.sub("\n", text)).replace("\\", "\uff3c")
    escaped = _WIKI_SPECIAL_CHAR.sub(r"\\\g<0>", text)
    return "\n".join(_LETTER_BLOCK_MARKER.sub(r"\1\\.", line) for line in escaped.split("\n"))


def escape_wiki_inline(text: str) -> str:
    """`escape_wiki` for one line: whitespace runs (newlines included) become one space."""
    folded = " ".join(_clean(text).split())
    return _WIKI_SPECIAL_CHAR.sub(r"\\\g<0>", folded)


def noformat_block(text: str) -> list[str]:
    """Lines of a `{noformat}` block holding `text` verbatim, unable to close the block early."""
    body = _NOFORMAT_OPEN.sub("\uff5b", strip_invisible(_OTHER_LINE_ENDS.sub("\n", text)))
    return [_NOFORMAT, *body.strip("\n").split("\n"), _NOFORMAT]


def render_wiki_description(ticket: WrittenTicket, *, max_chars: int = WIKI_DESCRIPTION_LIMIT) -> str:
    """The description of `ticket` in wiki markup: story, analysis, checks, dependencies, rows, Behat."""
    brief, content = ticket.brief, ticket.content
    lines: list[str] = []
    if content.writer == "template-fallback":
        lines += ["_Written by the template writer: the language model's answer was not usable._", ""]
    lines += ["h3. User story", escape_wiki(content.user_story.strip()), ""]
    lines += ["h3. Analysis", escape_wiki(content.analysis.strip()), ""]
    checks = [f"* {escape_wiki_inline(c)}" for c in content.verification] or ["None."]
    lines += ["h3. Verification", *checks, ""]
    lines += ["h3. Depends on"]
    if brief.depends_on:
        for dep in brief.depends_on:
            reason = f": {escape_wiki_inline(dep.reason)}" if dep.reason.strip() else ""
            lines.append(f"* {escape_wiki_inline(dep.label)} — {escape_wiki_inline(dep.key)}{reason}")
    else:
        lines.append("Nothing: this ticket can start at once.")
    lines += ["", "h3. Source rows", *_source_tables(brief.rows), ""]
    behat = [block for block in brief.behat if block.strip()]
    if behat:
        lines.append("h3. Behat")
        for block in behat:
            lines += noformat_block(block)
        lines.append("")
    lines += [
        "----",
        f"Spec key {escape_wiki_inline(brief.key)} · group {escape_wiki_inline(brief.group.value)}"
        " · generated by ticketbot",
    ]
    return _fit("\n".join(lines).split("\n"), max_chars)


def _clean(text: str) -> str:
    return strip_invisible(_OTHER_LINE_ENDS.sub("\n", text)).replace("\\", "\uff3c")


def _source_tables(rows: Sequence[SpecRow]) -> list[str]:
    """One table per sheet, in the order the sheets first appear; only columns with a value."""
    if not rows:
        return ["No spec rows."]
    lines: list[str] = []
    for table in sheet_tables(rows):
        lines.append(f"*{escape_wiki_inline(table.title)}*")
        lines.append("||" + "||".join(escape_wiki_inline(h) for h in table.headers) + "||")
        for cells in table.rows:
            # An empty cell must hold a space: "||" would be read as a header cell.
            lines.append("|" + "|".join(escape_wiki_inline(c) or " " for c in cells) + "|")
    return lines


def _fit(lines: list[str], max_chars: int) -> str:
    """Whole lines up to `max_chars`, closing a `{noformat}` the cut left open."""
    text = "\n".join(lines)
    if len(text) <= max_chars:
        return text
    budget = max_chars - len(_SHORTENED_NOTE) - len(_NOFORMAT) - 4
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > budget:
            break
        kept.append(line)
        used += len(line) + 1
    if kept.count(_NOFORMAT) % 2:  # our own markers are the only lines that equal it exactly
        kept.append(_NOFORMAT)
    return "\n".join([*kept, "", _SHORTENED_NOTE])
