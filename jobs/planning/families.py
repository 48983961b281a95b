"""Families of trivial items (menus, image styles) merged by name, so that 140 similar menus are one ticket.

Past the merge threshold (more new items of one kind than it), a kind's items are grouped by a
machine-name signature: a prefix and/or suffix of whole words ("va-*-health-care", "coh_*"). The most
specific signature that still gathers at least MIN_FAMILY items wins (score: items × signature words),
greedily, until none is left; the items in no family go together into one "other" ticket (a single one
keeps its own). Deterministic: the same spec gives the same families and the same keys.

Key of a merged ticket: `merged.<config prefix of its items>.<family>`, the family being the signature's
words joined by "-" (`merged.system.menu.va-health-care`, `merged.image.style.coh`), or `other`.
Every row of a merged item stays in exactly one ticket: the merged one, listed under its member.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from integrations.tickets import TicketAction, TicketKind
from jobs.planning.drafts import Draft, Drafts

DEFAULT_MERGE_THRESHOLD = 10
MIN_FAMILY = 3
OTHER = "other"
# The kinds whose items are trivial enough to build several in one ticket, and their config prefix.
MERGED_KINDS = {TicketKind.MENU: "system.menu", TicketKind.IMAGE_STYLE: "image.style"}
_PLURALS = {TicketKind.MENU: "Menus", TicketKind.IMAGE_STYLE: "Image styles"}

Signature = tuple[tuple[str, ...], tuple[str, ...]]  # (prefix words, suffix words)


@dataclass(frozen=True)
class Family:
    key: str  # stable part of the merged ticket's key: "va-health-care", "coh", "other"
    label: str  # "VA … health care"
    indexes: tuple[int, ...]  # positions of the members in the input


def _words(machine_name: str) -> tuple[str, ...]:
    return tuple(w for w in re.split(r"[-_]+", machine_name.lower()) if w)


def _signatures(words: tuple[str, ...]) -> set[Signature]:
    """Prefixes and suffixes of up to two words that leave at least one word of the name in between."""
    found = set()
    for head in range(3):
        for tail in range(3):
            if head + tail == 0 or head + tail >= len(words):
                continue
            prefix, suffix = words[:head], words[len(words) - tail:] if tail else ()
            if len("".join(prefix + suffix)) >= 2:  # "a_*" says nothing about a family
                found.add((prefix, suffix))
    return found


def _common_label(labels: Sequence[str]) -> str:
    """The words every label starts and ends with: "VA … health care"."""
    split = [label.split() for label in labels]
    shortest = min(len(s) for s in split)
    head: list[str] = []
    for words in zip(*split, strict=False):
        if len({w.lower() for w in words}) != 1 or len(head) >= shortest - 1:
            break
        head.append(words[0])
    tail: list[str] = []
    for words in zip(*(list(reversed(s)) for s in split), strict=False):
        if len({w.lower() for w in words}) != 1 or len(head) + len(tail) >= shortest - 1:
            break
        tail.insert(0, words[0])
    return " … ".join(part for part in (" ".join(head), " ".join(tail)) if part)


def families(items: Sequence[tuple[str, str]]) -> list[Family]:
    """Group (machine name, label) items into families; each item is in at most one, and every item is
    in one unless it is the only item left over (it keeps its own ticket)."""
    words = [_words(machine) for machine, _ in items]
    left = set(range(len(items)))
    result: list[Family] = []
    keys: set[str] = set()
    while True:
        members: dict[Signature, list[int]] = {}
        for index in sorted(left):
            for signature in _signatures(words[index]):
                members.setdefault(signature, []).append(index)
        candidates = [(len(m) * (len(s[0]) + len(s[1])), len(m), s) for s, m in members.items()
                      if len(m) >= MIN_FAMILY]
        if not candidates:
            break
        best = max(candidates)[2]
        chosen = members[best]
        prefix, suffix = best
        key = "-".join((*prefix, *suffix))
        while key in keys or key == OTHER:
            key += "-2"
        keys.add(key)
        label = _common_label([items[i][1] for i in chosen]) or " … ".join(
            part for part in (" ".join(prefix), " ".join(suffix)) if part)
        result.append(Family(key, label, tuple(chosen)))
        left -= set(chosen)
    if len(left) >= 2:
        result.append(Family(OTHER, "Other", tuple(sorted(left))))
    return sorted(result, key=lambda f: f.indexes[0])


def merge_families(drafts: Drafts, threshold: int) -> None:
    """Merge each kind's new items by family once there are more than `threshold`; 0 never merges."""
    if threshold <= 0:
        return
    for kind, prefix in MERGED_KINDS.items():
        items = [d for d in drafts if d.kind is kind and d.action is TicketAction.CREATE]
        if len(items) <= threshold:
            continue
        for family in families([(d.machine_name, d.label) for d in items]):
            parts = [items[i] for i in family.indexes]
            first = parts[0]
            ticket = Draft(f"merged.{prefix}.{family.key}", first.group, TicketKind.MERGED_FAMILY,
                           family.label, family.key, _PLURALS[kind], [])
            ticket.members = [d.as_member() for d in parts]
            ticket.notes.append(f"{len(parts)} {_PLURALS[kind].lower()} merged into one ticket by their machine "
                                f"names (more than {threshold} new ones in the spec; see the merge threshold)")
            drafts.absorb(ticket, parts)
