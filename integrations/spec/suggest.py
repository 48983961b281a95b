"""'Did you mean' at a bounded cost, however many unknown names a spec holds.

difflib compares one value with every candidate; over every unknown reference of a large spec that
is quadratic (4,000 unknown bundles against 8,000 labels took minutes). Three bounds keep it cheap:
each distinct value is looked up once; it is compared only with the labels next to it in alphabetical
order, forwards and spelled backwards (a typo keeps either the start or the end of the word), that
could pass the similarity cutoff by their length; and only the first `max_values_per_column`
distinct unknown values of a column get a search at all. After that a column has so many unknown
names that a list of guesses helps no one: `suggest` answers None and the caller gives its usual fix
(add it to the sheet, check the spelling).
"""

from __future__ import annotations

import bisect
import difflib
from collections import defaultdict

CUTOFF = 0.75
MAX_VALUES_PER_COLUMN = 50
NEIGHBOURS = 64  # labels compared on each side of the value, in each of the two orders


class Suggester:
    """Suggestions among a growing list of labels, cached per value and bounded per column."""

    def __init__(self, *, max_values_per_column: int = MAX_VALUES_PER_COLUMN) -> None:
        self.max_values_per_column = max_values_per_column
        self._labels: dict[str, str] = {}  # lowercased -> as written
        self._forwards: list[str] = []  # lowercased labels, sorted (rebuilt when labels were added)
        self._backwards: list[str] = []  # the same spelled backwards, sorted
        self._cache: dict[str, str | None] = {}
        self._searched: dict[str, set[str]] = defaultdict(set)  # column -> values searched for

    def add(self, label: str) -> None:
        lowered = label.lower()
        if lowered and lowered not in self._labels:
            self._labels[lowered] = label
            self._forwards.clear()
            self._cache.clear()  # a new label can be the answer to a value asked about before

    def suggest(self, value: str, column: str = "") -> str | None:
        """'did you mean …?' for a close label; None when there is none, or the column's budget is spent."""
        lowered = value.strip().lower()
        if not lowered:
            return None
        if lowered in self._cache:
            return self._cache[lowered]
        searched = self._searched[column]
        if lowered not in searched and len(searched) >= self.max_values_per_column:
            return None
        searched.add(lowered)
        close = difflib.get_close_matches(lowered, self._candidates(lowered), n=1, cutoff=CUTOFF)
        answer = f"did you mean '{self._labels[close[0]]}'?" if close else None
        self._cache[lowered] = answer
        return answer

    def _candidates(self, lowered: str) -> list[str]:
        if not self._forwards and self._labels:
            self._forwards = sorted(self._labels)
            self._backwards = sorted(label[::-1] for label in self._labels)
        near = set(_around(self._forwards, lowered)) | {b[::-1] for b in _around(self._backwards, lowered[::-1])}
        # ratio = 2·matches / (len(a) + len(b)) ≥ CUTOFF needs the shorter at least CUTOFF / (2 − CUTOFF)
        # of the longer: a candidate outside that length window can never pass.
        share = CUTOFF / (2 - CUTOFF)
        low, high = len(lowered) * share, len(lowered) / share
        return sorted(c for c in near if low <= len(c) <= high)


def _around(ordered: list[str], value: str) -> list[str]:
    at = bisect.bisect_left(ordered, value)
    return ordered[max(at - NEIGHBOURS, 0):at + NEIGHBOURS]
