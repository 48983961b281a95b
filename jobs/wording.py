"""Words the jobs' messages share."""

from __future__ import annotations


def counted(n: int, noun: str) -> str:
    """"1 issue", "3 issues": a count with its noun (regular plurals only, which is all the messages use)."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
