"""Text hygiene around the LLM: invisible characters out of the prompt, live Slack/Jira syntax out of answers.

Spreadsheet cells can smuggle instructions in characters a reviewer cannot see (Unicode tag
characters, variation selectors, zero-width and bidi controls: OWASP LLM01), so they are stripped
before any text reaches the model and again from what it writes. The model's text must be plain
text: mentions, broadcast commands, links and macros that Slack or Jira would act on are rewritten
into inert look-alikes here. The Slack and Jira renderers escape everything again; this is the
second line of defence, so that no writer output is live anywhere, whatever renders it.
"""

from __future__ import annotations

import re

from integrations import invisible

# What `integrations.invisible` strips everywhere, plus what only matters on the way to and from the
# model: both variation-selector blocks, the soft hyphen and the Mongolian vowel separator, which can
# carry hidden instructions but are legitimate (emoji presentation, hyphenation) in text people read.
_PROMPT_ONLY_INVISIBLE = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef\u00ad\u180e]")

AT = "＠"  # FULLWIDTH COMMERCIAL AT: reads as @, and neither Slack nor Jira makes a mention of it
OPEN_BRACE, CLOSE_BRACE = "｛", "｝"  # fullwidth braces: read as braces, never a Jira macro

# Slack: <!channel>, <!here|here>, <!subteam^S1|@team>, <@U123>, <@U123|ann>, <#C123|general>
_SLACK_SPECIAL = re.compile(r"<([!@#])([^<>|\n]*)(?:\|([^<>\n]*))?>")
# Slack: <https://x|label>, <mailto:a@b>
_SLACK_LINK = re.compile(r"<((?:https?|ftp|mailto|tel|slack|file):[^<>|\s]*)(?:\|([^<>\n]*))?>", re.IGNORECASE)
_BROADCAST = re.compile(r"(?<![\w@])@(here|channel|everyone)\b", re.IGNORECASE)
# Jira wiki: [~user], [~accountid:5b10…]
_JIRA_MENTION = re.compile(r"\[~([^\]\n]*)\]")
# Jira wiki: [label|https://x], [https://x]; Drupal tokens such as [node:title] are left alone
_JIRA_LINK = re.compile(
    r"\[(?:([^\[\]|\n]*)\|)?\s*((?:https?|ftp|mailto|file|smb):[^\]\s|]*)\s*\]", re.IGNORECASE
)
_JIRA_MACROS = (
    "code|noformat|html|panel|quote|color|anchor|section|column|expand|info|note|tip|warning|status|jira|"
    "include|excerpt|excerpt-include|iframe|widget|gadget|toc|children|cheese|loremipsum"
)
_JIRA_MACRO = re.compile(r"\{(" + _JIRA_MACROS + r")((?::[^{}\n]*)?)\}", re.IGNORECASE)
# Jira wiki image embed: !https://evil.example/x.png!
_JIRA_IMAGE = re.compile(r"!((?:https?|ftp|file):[^!\s]+)!", re.IGNORECASE)


def strip_invisible(text: str) -> str:
    """Remove invisible and control characters (line breaks and tabs stay; CR LF becomes LF)."""
    return _PROMPT_ONLY_INVISIBLE.sub("", invisible.strip_invisible(text))


def clean_data(text: str) -> str:
    """A spreadsheet cell, site name or label as it may appear in a prompt."""
    return strip_invisible(text).strip()


def clean_output(text: str) -> str:
    """A piece of the model's answer as it may be stored: visible, plain, inert text."""
    return neutralise_markup(strip_invisible(text)).strip()


def neutralise_markup(text: str) -> str:
    """Rewrite Slack mentions, broadcasts and links and Jira mentions, links and macros into inert text."""
    if not any(ch in text for ch in "<@[{!"):
        return text
    text = _SLACK_SPECIAL.sub(_slack_special, text)
    text = _SLACK_LINK.sub(lambda m: f"{m[2]} ({m[1]})" if m[2] else m[1], text)
    text = _BROADCAST.sub(lambda m: AT + m[1], text)
    text = _JIRA_MENTION.sub(lambda m: AT + m[1], text)
    text = _JIRA_LINK.sub(lambda m: f"{m[1].strip()} ({m[2]})" if m[1] and m[1].strip() else m[2], text)
    text = _JIRA_MACRO.sub(lambda m: f"{OPEN_BRACE}{m[1]}{m[2]}{CLOSE_BRACE}", text)
    return _JIRA_IMAGE.sub(lambda m: m[1], text)


def _slack_special(match: re.Match[str]) -> str:
    sigil, target, label = match[1], match[2], (match[3] or "").strip()
    if sigil == "#":
        return "#" + (label or target)
    if sigil == "@":
        return AT + (label.lstrip("@") or target)
    command = target.split("^", 1)[0].lower()
    if command in ("channel", "here", "everyone"):
        return AT + command
    if command == "subteam":
        return AT + (label.lstrip("@") or "team")
    return label or target  # <!date^…|fallback> and friends: the fallback text
