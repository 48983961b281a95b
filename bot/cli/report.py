"""What the command line prints: problems, summaries and their JSON form (pure rendering)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from integrations.spec.problems import Level, Problem
from integrations.tickets import Group, PlanStats, Usage

MAX_PROBLEMS_SHOWN = 200


def print_problems(problems: Sequence[Problem], err: TextIO, *, quiet: bool = False) -> None:
    ordered = sorted(problems, key=lambda p: (p.level is Level.WARNING, p.file, p.row or 0))
    if quiet:
        ordered = [p for p in ordered if p.level.is_error]
    for problem in ordered[:MAX_PROBLEMS_SHOWN]:
        tag = "warning" if problem.level is Level.WARNING else "error"
        print(f"{tag}: {problem.describe()}", file=err)
    if len(ordered) > MAX_PROBLEMS_SHOWN:
        print(f"… and {len(ordered) - MAX_PROBLEMS_SHOWN} more: all are listed in tickets.md", file=err)


def problem_counts(problems: Sequence[Problem]) -> dict[str, int]:
    levels = Counter(p.level for p in problems)
    return {"file_errors": levels[Level.FILE_ERROR], "row_errors": levels[Level.ROW_ERROR],
            "warnings": levels[Level.WARNING]}


def group_counts(groups: Sequence[Group]) -> dict[str, int]:
    counts = Counter(groups)
    return {group.value: counts[group] for group in Group if counts[group]}


def dependency_counts(stats: PlanStats) -> dict[str, object]:
    """The --json form of how certain the order is."""
    return {"stated": stats.stated_edges, "inferred": stats.inferred_edges,
            "missing_columns": list(stats.missing_columns)}


def print_summary(site: str, groups: Sequence[Group], problems: Sequence[Problem], paths: Sequence[Path],
                  usage: Usage, out: TextIO, stats: PlanStats | None = None) -> None:
    print(f"\n{site}: {len(groups)} tickets", file=out)
    for name, count in group_counts(groups).items():
        print(f"  {name:<12} {count:>4}", file=out)
    if stats is not None:
        print(stats.summary_line(), file=out)
    counts = problem_counts(problems)
    print(f"Problems: {counts['file_errors']} file error(s), {counts['row_errors']} row error(s), "
          f"{counts['warnings']} warning(s)", file=out)
    if usage.prompt_tokens or usage.completion_tokens:
        print(f"Tokens: {usage.prompt_tokens:,} prompt ({usage.cached_tokens:,} cached), "
              f"{usage.completion_tokens:,} completion", file=out)
    for path in paths:
        print(f"Wrote {path}", file=out)


def print_json(summary: dict[str, Any], out: TextIO) -> None:
    print(json.dumps(summary, ensure_ascii=False, sort_keys=True), file=out)
