"""A ticket's Jira description in wiki markup (Server/DC REST v2, and the CSV importer), all input inert.

Escaping strategy. Every piece of text that comes from a spec cell, a file name or the LLM goes
through `escape_wiki` (or `escape_wiki_inline` where it sits inside a list item or table cell). It
backslash-escapes the characters Jira's renderer treats as markup (the set of Atlassian's own
`BackslashEscapeRendererComponent.escapeWiki` plus `#`), but only where they can act, so machine names
and parentheses read as typed (`field_tags`, `Article (article)`) instead of as a row of backslashes:

- `[ ] { } | % @ ^ ~ * +` always (links, mentions, macros, tables, effects);
- `_` and `-` unless they sit between two letters or digits: Jira's effects (`_em_`, `-strike-`)
  only open after and close before a non-word character, so `field_tags` and `2024-01-01` are text;
- `!` before a non-space (an image needs `!name!`), `?` next to `?` or `)` (`??cite??`, `(?)`),
  `#` at the start of a line (a numbered list), and a parenthesis that makes an emoticon (`(y)`,
  `(on)`, `(flag)`, `:)`, `;)`, `:(`).

Three things a backslash cannot fix are handled apart:

- a backslash in the input: `\\` is a forced line break and a backslash before one of our escapes
  cancels it (the renderer ignores `\\X` preceded by `\\`), and wiki markup has no escape for the
  backslash itself, so input backslashes become U+FF3C FULLWIDTH REVERSE SOLIDUS;
- block markers that are letters (`h1.` … `h6.`, `bq.`) at the start of a line: a backslash is put
  before their dot, which breaks the marker and stays visible;
- newlines inside a list item or table cell would end it, so inline text is folded onto one line.

Code is not escaped: the analysis's fenced blocks (migrate_plus YAML, drush commands) and the Behat
feature go in `{code:…}`, inside which nothing is interpreted except the closing `{code}`, and every
`{code` or `{noformat` in the text has its brace replaced (U+FF5B) so it cannot close the block early.
The analysis's `table` fences become wiki tables. Bare URLs are left as text; Jira may auto-link them,
which shows the address in full and so hides nothing.

Layout: estimate (unless the project has a story-points field), user story, acceptance criteria,
verification, open questions, risks, analysis, dependencies, source rows, Behat, the footer with the
spec key. A description over Jira's limit keeps the verification first, then what fits, and says
where the whole ticket is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from integrations.behat import feature
from integrations.invisible import strip_invisible
from integrations.jira.source_rows import sheet_tables
from integrations.spec.reader import SpecRow
from integrations.text_blocks import split_blocks
from integrations.tickets import FALLBACK_WRITER, WrittenTicket

# Characters Jira's wiki renderer gives a meaning to, all of which it un-escapes after a backslash.
WIKI_SPECIAL = frozenset("!#%()*+-?@[]^_{|}~")
_WORD = r"[^\W_]"  # a letter or digit
_ACTIVE_SPECIAL = re.compile(
    r"[\[\]{}|%@^~*+]"
    rf"|(?<!{_WORD})[_-]|[_-](?!{_WORD})"
    r"|!(?=\S)|\?(?=[?)])|(?<=\?)\?"
    r"|(?<=[:;])[()]|\((?=(?:[ynix/]|on|off|flag|flagoff|\*[rgby]?|[!?+-])\))",
    re.IGNORECASE,
)
_LINE_START_HASH = re.compile(r"^(\s*)#", re.MULTILINE)
# Jira refuses text fields over 32,767 characters; keep a margin for the importer's own additions.
WIKI_DESCRIPTION_LIMIT = 32_000
# Java's multi-line "^", which Jira's block parsing uses, also starts a line after these.
_OTHER_LINE_ENDS = re.compile("\r\n|[\r\x85\u2028\u2029]")
_LETTER_BLOCK_MARKER = re.compile(r"^(\s*(?:h[1-6]|bq))\.", re.IGNORECASE)
_MACRO_OPEN = re.compile(r"\{(?=\s*(?:noformat|code))", re.IGNORECASE)
_NOFORMAT = "{noformat}"
_LIST_ITEM = re.compile(r"^(\s*)[-*•] (.*)$")
_CODE_CLOSE = "{code}"
# The code macro's languages (Jira answers any other with an error box); "none" shows the text plainly.
_CODE_LANGUAGES = {"yaml": "yaml", "yml": "yaml", "bash": "bash", "sh": "bash", "shell": "bash", "json": "json",
                   "php": "php", "sql": "sql", "xml": "xml", "javascript": "javascript", "css": "css"}
SHORTENED_NOTE = ("_Shortened to fit Jira's size limit: the whole ticket, with every source row and the Behat "
                  "feature, is in the run's tickets.md and tickets.json under spec key {key}._")


def escape_wiki(text: str) -> str:
    """Text that renders as typed in Jira wiki markup, line breaks kept."""
    text = strip_invisible(_OTHER_LINE_ENDS.sub("\n", text)).replace("\\", "\uff3c")
    escaped = _LINE_START_HASH.sub(r"\1\\#", _ACTIVE_SPECIAL.sub(r"\\\g<0>", text))
    return "\n".join(_LETTER_BLOCK_MARKER.sub(r"\1\\.", line) for line in escaped.split("\n"))


def escape_wiki_inline(text: str) -> str:
    """`escape_wiki` for one line: whitespace runs (newlines included) become one space."""
    folded = " ".join(_clean(text).split())
    escaped = _ACTIVE_SPECIAL.sub(r"\\\g<0>", folded)
    return "\\" + escaped if escaped.startswith("#") else escaped


def noformat_block(text: str) -> list[str]:
    """Lines of a `{noformat}` block holding `text` verbatim, unable to close the block early."""
    return [_NOFORMAT, *_macro_body(text), _NOFORMAT]


def code_block(text: str, language: str = "") -> list[str]:
    """Lines of a `{code:…}` block holding `text` verbatim, unable to close the block early."""
    return [f"{{code:{_CODE_LANGUAGES.get(language.lower(), 'none')}}}", *_macro_body(text), _CODE_CLOSE]


def wiki_text(text: str) -> list[str]:
    """Ticket text: prose escaped, fenced code in `{code}` blocks, `table` fences as wiki tables."""
    lines: list[str] = []
    for block in split_blocks(text):
        if lines:
            lines.append("")
        if block.kind == "code":
            lines += code_block(block.text, block.language)
        elif block.kind == "table":
            rows = block.rows()
            if rows:
                width = len(rows[0])
                lines.append("||" + "||".join(escape_wiki_inline(c) or " " for c in rows[0]) + "||")
                lines += ["|" + "|".join(escape_wiki_inline(c) or " " for c in (r + [""] * width)[:width]) + "|"
                          for r in rows[1:]]
        else:
            lines.append(_prose(block.text.strip("\n")))
    return lines or ["—"]


def _prose(text: str) -> str:
    """Escaped prose whose "- item" lines (the writers' lists) stay a list: `*`, `**` for a sub-item."""
    out = []
    for line in text.split("\n"):
        item = _LIST_ITEM.match(line)
        if item:
            depth = min(len(item.group(1).expandtabs(2)) // 2, 3) + 1
            out.append("*" * depth + " " + (escape_wiki_inline(item.group(2)) or "—"))
        else:
            out.append(escape_wiki(line))
    return "\n".join(out)


def render_wiki_description(ticket: WrittenTicket, *, max_chars: int = WIKI_DESCRIPTION_LIMIT,
                            estimate_in_description: bool = True) -> str:
    """The description of `ticket` in wiki markup; the estimate is left out when a Jira field holds it."""
    brief, content = ticket.brief, ticket.content
    intro: list[str] = []
    if content.writer == FALLBACK_WRITER:
        intro += ["_Written by the template writer: the language model's answer was not usable._", ""]
    if content.edited_note:
        intro += [f"_{escape_wiki_inline(content.edited_note)}_", ""]
    if content.estimate is not None and estimate_in_description:
        intro += [f"*Estimate:* {escape_wiki_inline(content.estimate.describe())}", ""]
    sections: list[tuple[str, list[str]]] = [("", intro)] if intro else []
    sections.append(("User story", [escape_wiki(content.user_story.strip())]))
    if content.acceptance:
        scenarios: list[str] = []
        for scenario in content.acceptance:
            steps = [escape_wiki_inline(step) for step in scenario.split("\n") if step.strip()]
            scenarios += ["\n".join(steps), ""]
        sections.append(("Acceptance criteria", scenarios[:-1]))
    sections.append(("Verification", [f"* {escape_wiki_inline(c)}" for c in content.verification] or ["None."]))
    if content.open_questions:
        sections.append(("Open questions", [f"* {escape_wiki_inline(q)}" for q in content.open_questions]))
    if content.risks:
        sections.append(("Risks", [f"* {escape_wiki_inline(r)}" for r in content.risks]))
    sections.append(("Analysis", wiki_text(content.analysis.strip())))
    depends: list[str] = []
    for dep in brief.depends_on:
        reason = f": {escape_wiki_inline(dep.reason)}" if dep.reason.strip() else ""
        depends.append(f"* {escape_wiki_inline(dep.label)} — {escape_wiki_inline(dep.key)}{reason}")
    sections.append(("Depends on", depends or ["Nothing: this ticket can start at once."]))
    sections.append(("Source rows", _source_tables(brief.rows)))
    behat = [block for block in brief.behat if block.strip()]
    if behat:
        sections.append(("Behat", code_block(feature(f"{brief.label} is built as the spec says", behat), "gherkin")))
    footer = ["----", f"Spec key {escape_wiki_inline(brief.key)} · group {escape_wiki_inline(brief.group.value)}"
              " · generated by ticketbot"]
    text = "\n".join([*_lines(sections), *footer])
    if len(text) <= max_chars:
        return text
    # Too long: the verification first (what a tester needs at close), then every other section in
    # order as far as it fits, and where the whole text is.
    first = [s for s in sections if s[0] == "Verification"]
    rest = [s for s in sections if s[0] != "Verification"]
    note = ["", SHORTENED_NOTE.format(key=escape_wiki_inline(brief.key)), *footer]
    return _fit(_lines(first + rest), max_chars - len("\n".join(note)) - 1) + "\n" + "\n".join(note)


def _lines(sections: Sequence[tuple[str, list[str]]]) -> list[str]:
    lines: list[str] = []
    for title, body in sections:
        lines += ([f"h3. {title}"] if title else []) + body + ([""] if title else [])
    return lines


def _macro_body(text: str) -> list[str]:
    body = _MACRO_OPEN.sub("\uff5b", strip_invisible(_OTHER_LINE_ENDS.sub("\n", text)))
    return body.strip("\n").split("\n")


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


def _fit(lines: list[str], budget: int) -> str:
    """Whole lines up to `budget` characters, closing a `{code}` or `{noformat}` block the cut left open."""
    kept: list[str] = []
    used = 0
    open_block = ""
    for line in lines:
        closing = len(open_block) + 1 if open_block else 0
        if used + len(line) + 1 + max(closing, len(_NOFORMAT) + 1) > budget:
            break
        kept.append(line)
        used += len(line) + 1
        # Our own markers are the only lines that are exactly a macro (the bodies' braces are replaced).
        if open_block and line == open_block:
            open_block = ""
        elif not open_block and line == _NOFORMAT:
            open_block = _NOFORMAT
        elif not open_block and line.startswith("{code:") and line.endswith("}"):
            open_block = _CODE_CLOSE
    if open_block:
        kept.append(open_block)
    return "\n".join(kept).rstrip("\n")
