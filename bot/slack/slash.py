"""`/generate-tickets`: the text parsed into a subcommand (pure), and each subcommand carried out.

Only a leading subcommand word is a subcommand; a site name and description follow `start`
(`start SITE NAME | DESCRIPTION`). A bare command shows the status and what to do next; an unknown first word
is a usage mistake answered with the closest subcommand ("did you mean `status`?"). Answers are ephemeral
messages for the person who typed the command.
"""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass

SUBCOMMANDS = ("start", "status", "cancel", "retry", "errors", "push", "undo", "remove", "new", "health", "help",
               "config", "history")
NO_ARGUMENTS = ("status", "cancel", "retry", "errors", "undo", "new", "health")
MAX_FILE_NAME_CHARS = 255
MAX_SITE_CHARS = 255
MAX_DESCRIPTION_CHARS = 2000
MAX_SPEC_KEY_CHARS = 255  # a ticket's spec key column
# What Slack sends for mentions, channels and links in command text (with should_escape on).
_SLACK_MARKUP = re.compile(r"<([@#!])?([^>|]*)(?:\|([^>]*))?>")


@dataclass(frozen=True)
class Command:
    name: str  # one of SUBCOMMANDS, or "usage" for a mistake
    site: str = ""
    description: str = ""
    anyway: bool = False
    key: str = ""
    value: str = ""
    problem: str = ""  # what was wrong with the text (name == "usage")


def parse_command(text: str) -> Command:
    """The subcommand and its arguments; a usage mistake becomes Command("usage", problem=…)."""
    raw = (text or "").strip()
    first, _, rest = raw.partition(" ")
    word = first.lower()
    rest = rest.strip()
    if not raw:
        return Command("status")  # what is going on, and what to do next
    if word not in SUBCOMMANDS:
        return Command("usage", problem=_unknown(first))
    if word == "start":
        after, _, remainder = rest.partition(" ")
        if after.lower() == "anyway":
            return _start(remainder.strip(), anyway=True)
        return _start(rest, anyway=False)
    if word in NO_ARGUMENTS and rest:
        return Command("usage", problem=f"`{word}` takes nothing after it (you wrote `{_shown(rest)}`); "
                                        f"for a site whose name starts with it, type `start {_shown(raw)}`")
    if word == "push":
        if not rest:
            return Command("push")
        verb, _, target = rest.partition(" ")
        if verb.lower() != "confirm" or not target.strip():
            return Command("usage", problem="`push` alone sends approved tickets; after searching Jira for a "
                                            "ticket's label and finding nothing, `push confirm SPEC_KEY` (or "
                                            "`push confirm epic GROUP`) creates it; `push confirm overwrite "
                                            "SPEC_KEY` writes a revised ticket over a person's edit in Jira")
        return Command("push", key="confirm", value=target.strip())
    if word == "history":
        key = plain_text(rest).strip()
        if not key or " " in key or len(key) > MAX_SPEC_KEY_CHARS:
            return Command("usage", problem="`history` needs one spec key (the config name on a draft), e.g. "
                                            "`history node.type.article`")
        return Command("history", key=key)
    if word == "remove":
        name = plain_text(rest).strip()
        if not name:
            return Command("usage", problem="`remove` needs the name of an uploaded file, e.g. `remove fields.csv`")
        return Command("remove", value=name[:MAX_FILE_NAME_CHARS])
    if word == "config":
        if not rest:
            return Command("config")
        key, _, value = rest.partition(" ")
        if not value.strip():
            return Command("usage", problem="`config` needs a setting and a value, e.g. `config jira_project RPL`")
        return Command("config", key=key.strip(), value=value.strip())
    return Command(word)


def _unknown(word: str) -> str:
    """`stauts` → "`stauts` is not a subcommand — did you mean `status`?" (a site name needs `start`)."""
    shown = _shown(word)
    close = difflib.get_close_matches(word.lower(), SUBCOMMANDS, n=1, cutoff=0.6)
    hint = f" — did you mean `{close[0]}`?" if close else ""
    return (f"`{shown}` is not a subcommand{hint} (to name the site, type `start {shown} …`); the subcommands: "
            + ", ".join(f"`{s}`" for s in SUBCOMMANDS))


def _start(text: str, *, anyway: bool) -> Command:
    site, _, description = plain_text(text).partition("|")
    site, description = site.strip(), description.strip()
    if len(site) > MAX_SITE_CHARS:
        return Command("usage", problem=f"the site name is longer than {MAX_SITE_CHARS} characters; put the rest "
                                        "after a `|` as the description")
    return Command("start", site=site, description=description[:MAX_DESCRIPTION_CHARS], anyway=anyway)


def plain_text(text: str) -> str:
    """Slack's markup in command text made readable: `<@U1|ann>` → `@ann`, `<https://x|x>` → `x`, `&amp;` → `&`."""
    def readable(match: re.Match[str]) -> str:
        sigil, target, label = match.group(1) or "", match.group(2), match.group(3)
        if label:
            return (sigil if sigil in "@#" else "") + label
        return (sigil if sigil in "@#" else "") + target

    return html.unescape(_SLACK_MARKUP.sub(readable, text))


def _shown(text: str) -> str:
    return plain_text(text)[:40].replace("`", "'")
