"""tickets.md: every ticket of a run as one readable Markdown document, with the problems found.

Text from spec cells, file names and the LLM is escaped so that it can add no structure to the
document: inline it is backslash-escaped wherever CommonMark/GFM would read markup (`*`, `` ` ``,
`[`, `<`, `|` …, so `<script>` and `[x](http://…)` show as typed); in multi-line text, headings,
quotes, fences, tables and setext underlines at the start of a line are neutralised, while plain
"- item" lists (which the writers use) stay lists. Behat goes in a fence longer than any backtick
run inside it, so a ``` in the content cannot close it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from integrations.behat import feature
from integrations.spec.problems import Level, Problem
from integrations.text_blocks import split_blocks
from integrations.tickets import FALLBACK_WRITER, Group, PlanStats, SiteContext, WrittenTicket

# Always escaped inline: emphasis, code, links and images, raw HTML, GFM tables and strikethrough.
_INLINE_SPECIAL = frozenset("\\`*[]<>|~#")
_INLINE_SPECIAL_CHAR = re.compile("[" + re.escape("".join(sorted(_INLINE_SPECIAL))) + "]")  # one pass, not per char
# An entity reference would show as the character it names, not as typed.
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_INTRAWORD_UNDERSCORE = re.compile(r"(?<=[0-9A-Za-z])_(?=[0-9A-Za-z])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LIST_ITEM = re.compile(r"^([-+*]|\d{1,9}[.)])\s+(.*)$")
_UNDERLINE_OR_RULE = re.compile(r"^[-=_*+#\s]+$")
_ORDERED_MARKER = re.compile(r"^(\d{1,9})([.)])")
_BACKTICK_RUN = re.compile(r"`+")
_LEVEL_TITLES = {Level.FILE_ERROR: "File errors", Level.ROW_ERROR: "Row errors", Level.WARNING: "Warnings"}
_LEVEL_NOUNS = {Level.FILE_ERROR: "file error", Level.ROW_ERROR: "row error", Level.WARNING: "warning"}


def render_markdown(tickets: Sequence[WrittenTicket], site: SiteContext, problems: Sequence[Problem],
                    stats: PlanStats | None = None) -> str:
    """The whole document: title, summary, contents, one section per ticket, then the problems.

    `stats` says which columns would make the order certain; without it the summary counts the
    stated and inferred dependencies of `tickets` alone.
    """
    anchors = _anchors(tickets)
    lines = [f"# Tickets for {md_inline(site.name) or 'the site'}", ""]
    if site.description.strip():
        lines += [md_block(site.description), ""]
    lines += _summary(tickets, problems, stats)
    lines += _contents(tickets, anchors)
    for number, ticket in enumerate(tickets, start=1):
        lines += _ticket_section(number, ticket, anchors)
    lines += _problems(problems)
    return "\n".join(lines).rstrip("\n") + "\n"


_CODE_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")


def md_inline(text: str) -> str:
    """One line of text that renders as typed: markup characters escaped, newlines folded.

    A `code span` stays a code span (it can hold no markup), so commands and config names read as code
    instead of as a row of backslashes."""
    text = " ".join(_CONTROL.sub("", text).split())
    pieces = _CODE_SPAN.split(text)
    if len(pieces) > 1:
        return "".join(md_code(piece) if odd else _escape_inline(piece) for odd, piece in
                       ((i % 2 == 1, p) for i, p in enumerate(pieces)))
    return _escape_inline(text)


def _escape_inline(text: str) -> str:
    out = _ENTITY.sub(r"\\&", _INLINE_SPECIAL_CHAR.sub(r"\\\g<0>", text))
    # "_" inside a word is never emphasis in GFM; escaping it there would only clutter machine names.
    parts = _INTRAWORD_UNDERSCORE.split(out)
    return "_".join(part.replace("_", "\\_") for part in parts)


def md_block(text: str) -> str:
    """Multi-line text as paragraphs and "- " lists; nothing in it can start a heading, quote or block."""
    lines = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip("\n").split("\n")
    out: list[str] = []
    for line in lines:
        stripped = line.strip()
        item = _LIST_ITEM.match(stripped)
        if not stripped:
            out.append("")
        elif item and _UNDERLINE_OR_RULE.match(stripped) is None:
            marker = item.group(1) if item.group(1)[0].isdigit() else "-"
            # Keep nesting (two spaces a level, at most four levels) so sub-lists stay sub-lists.
            indent = "  " * min((len(line) - len(line.lstrip(" "))) // 2, 4)
            out.append(f"{indent}{marker} {_line_start_safe(md_inline(item.group(2)))}")
        else:
            out.append(_line_start_safe(md_inline(stripped)))
    # A line break inside a paragraph is a space in Markdown; a trailing backslash keeps it a break.
    for i in range(len(out) - 1):
        if out[i] and out[i + 1] and not _LIST_ITEM.match(out[i + 1].lstrip()) and not _LIST_ITEM.match(
            out[i].lstrip()
        ):
            out[i] += "\\"
    return "\n".join(out)


def md_text(text: str) -> list[str]:
    """Ticket text with its fenced code shown as code blocks and its `table` fences as GFM tables."""
    lines: list[str] = []
    for block in split_blocks(text):
        if lines:
            lines.append("")
        if block.kind == "code":
            lines += md_fenced(block.text, block.language)
        elif block.kind == "table":
            rows = block.rows()
            if not rows:
                continue
            width = len(rows[0])
            cells = [[md_inline(c) for c in (r + [""] * width)[:width]] for r in rows]
            lines.append("| " + " | ".join(cells[0]) + " |")
            lines.append("|" + "|".join("---" for _ in cells[0]) + "|")
            lines += ["| " + " | ".join(c or " " for c in r) + " |" for r in cells[1:]]
        else:
            lines.append(md_block(block.text))
    return lines


def md_code(text: str) -> str:
    """An inline code span that no backtick inside `text` can close."""
    text = " ".join(_CONTROL.sub("", text).split())
    fence = "`" * (max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_fenced(text: str, info: str = "") -> list[str]:
    """A fenced code block longer than any backtick run in `text`."""
    body = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip("\n")
    fence = "`" * max(3, max((len(run) for run in _BACKTICK_RUN.findall(body)), default=0) + 1)
    return [f"{fence}{info}", *body.split("\n"), fence]


def _line_start_safe(line: str) -> str:
    """Escape what would make a line a heading, quote, list, rule, setext underline or table."""
    if line[:1] in ("#", "+", "-", "=", ">"):
        return "\\" + line
    if _UNDERLINE_OR_RULE.match(line) and line.strip():
        return "\\" + line
    return _ORDERED_MARKER.sub(r"\1\\\2", line, count=1)


def _anchors(tickets: Sequence[WrittenTicket]) -> dict[str, str]:
    anchors: dict[str, str] = {}
    for ticket in tickets:
        base = "ticket-" + (re.sub(r"[^a-z0-9]+", "-", ticket.brief.key.lower()).strip("-") or "x")
        anchor, n = base, 1
        while anchor in anchors.values():
            n += 1
            anchor = f"{base}-{n}"
        anchors.setdefault(ticket.brief.key, anchor)
    return anchors


def _summary(tickets: Sequence[WrittenTicket], problems: Sequence[Problem], stats: PlanStats | None) -> list[str]:
    per_group = Counter(t.brief.group for t in tickets)
    per_level = Counter(p.level for p in problems)
    if stats is None:
        edges = [d for t in tickets for d in t.brief.depends_on]
        inferred = sum(1 for d in edges if d.is_inferred)
        stats = PlanStats(stated_edges=len(edges) - inferred, inferred_edges=inferred)
    lines = ["## Summary", "", f"{_count(len(tickets), 'ticket')} in dependency order: each after what it depends "
             "on, and where nothing decides, in the order Drupal builds configuration (menus, image styles, "
             "vocabularies, media and block types, paragraph types, content types, workflows, roles, views, "
             "migrations).", "", md_inline(stats.summary_line()), ""]
    lines += [f"- {g.value}: {per_group[g]}" for g in Group if per_group[g]]
    levels = ", ".join(_count(per_level[lv], _LEVEL_NOUNS[lv]) for lv in Level)
    lines += ["", f"Problems in the input: {levels}." if problems else "No problems in the input.", ""]
    return lines


def _contents(tickets: Sequence[WrittenTicket], anchors: dict[str, str]) -> list[str]:
    lines = ["## Contents", ""]
    numbered = list(enumerate(tickets, start=1))
    for group in Group:
        members = [(n, t) for n, t in numbered if t.brief.group is group]
        if not members:
            continue
        points = sum(t.content.estimate.points for _, t in members if t.content.estimate)
        size = f", {points} points" if points else ""
        lines += [f"### {group.value} ({_count(len(members), 'ticket')}{size})", ""]
        lines += [f"{n}. [{md_inline(t.content.title)}](#{anchors[t.brief.key]})"
                  + (f" — {t.content.estimate.size}" if t.content.estimate else "") for n, t in members]
        lines.append("")
    lines.append("[Problems in the input](#problems-in-the-input)")
    return [*lines, ""]


def _ticket_section(number: int, ticket: WrittenTicket, anchors: dict[str, str]) -> list[str]:
    brief, content = ticket.brief, ticket.content
    lines = [f'<a id="{anchors[brief.key]}"></a>', "", f"## {number}. {md_inline(content.title)}", ""]
    lines += [f"- **Key:** {md_code(brief.key)}", f"- **Group:** {brief.group.value}"]
    if content.estimate:
        lines.append(f"- **Estimate:** {md_inline(content.estimate.describe())}")
    lines += _dependencies(ticket, anchors)
    if content.writer == FALLBACK_WRITER:
        lines.append("- **Written by:** the template writer (the language model's answer was not usable)")
    lines += ["", "### User story", "", md_block(content.user_story), ""]
    if content.acceptance:
        lines += ["### Acceptance criteria", ""]
        for scenario in content.acceptance:
            steps = [md_inline(step) for step in scenario.split("\n") if step.strip()]
            lines.append("- " + "\\\n  ".join(steps))
        lines.append("")
    checks = [f"- [ ] {md_inline(check)}" for check in content.verification] or ["None."]
    lines += ["### Verification", "", *checks, ""]
    if content.open_questions:
        lines += ["### Open questions", "", *(f"- {md_inline(q)}" for q in content.open_questions), ""]
    if content.risks:
        lines += ["### Risks", "", *(f"- {md_inline(r)}" for r in content.risks), ""]
    lines += ["### Analysis", "", *md_text(content.analysis), ""]
    behat = [block for block in brief.behat if block.strip()]
    if behat:
        lines += ["### Behat", "", *md_fenced(feature(f"{brief.label} is built as the spec says", behat), "gherkin"),
                  ""]
    lines += ["### Source rows", "", *_sources(ticket), ""]
    return lines


def _dependencies(ticket: WrittenTicket, anchors: dict[str, str]) -> list[str]:
    if not ticket.brief.depends_on:
        return ["- **Depends on:** nothing"]
    lines = ["- **Depends on:**"]
    for dep in ticket.brief.depends_on:
        label = md_inline(dep.label or dep.key)
        ref = f"[{label}](#{anchors[dep.key]})" if dep.key in anchors else f"{label} (not in this document)"
        reason = f": {md_inline(dep.reason)}" if dep.reason.strip() else ""
        lines.append(f"  - {ref} ({md_code(dep.key)}){reason}")
    return lines


def _sources(ticket: WrittenTicket) -> list[str]:
    rows_by_file: dict[str, list[int]] = {}
    for source in ticket.brief.sources:
        rows_by_file.setdefault(source.file, []).append(source.row)
    if not rows_by_file:
        return ["None."]
    return [
        f"- {md_inline(file)}: {'row' if len(rows) == 1 else 'rows'} {', '.join(map(str, rows))}"
        for file, rows in rows_by_file.items()
    ]


def _problems(problems: Sequence[Problem]) -> list[str]:
    lines = ['<a id="problems-in-the-input"></a>', "", "## Problems in the input", ""]
    if not problems:
        return [*lines, "None.", ""]
    for level in Level:
        found = [p for p in problems if p.level is level]
        if found:
            lines += [f"### {_LEVEL_TITLES[level]} ({len(found)})", ""]
            lines += [f"- {md_inline(p.describe())}" for p in found]
            lines.append("")
    return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
