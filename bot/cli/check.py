"""`ticketbot check FILES`: read, validate and plan, print every problem; no database, no writer."""

from __future__ import annotations

import argparse
from typing import TextIO

from bot.cli.files import collect_files
from bot.cli.report import dependency_counts, group_counts, print_json, print_problems, problem_counts
from bot.wiring import exit_codes
from jobs.planning import plan_uploads


def run_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    collected = collect_files(args.files)
    if collected.missing:
        for line in collected.missing:
            print(f"ticketbot: {line}", file=err)
        return exit_codes.USAGE
    if collected.notice() and not args.quiet:
        print(collected.notice(), file=err)
    plan = plan_uploads(collected.files)
    print_problems(plan.problems, err, quiet=args.quiet)
    code = exit_codes.SPEC_ERRORS if plan.errors else exit_codes.OK
    if not plan.tickets:
        print("ticketbot: nothing could be planned from these files.", file=err)
        code = exit_codes.USAGE
    if args.json:
        print_json({"files": [f.name for f in collected.files], "tickets": len(plan.tickets),
                    "groups": group_counts([t.group for t in plan.tickets]), "problems": problem_counts(plan.problems),
                    "dependencies": dependency_counts(plan.stats),
                    "exit_code": code}, out)
    elif not args.quiet:
        counts = problem_counts(plan.problems)
        print(f"{len(collected.files)} file(s): {len(plan.tickets)} tickets would be written; "
              f"{counts['file_errors']} file error(s), {counts['row_errors']} row error(s), "
              f"{counts['warnings']} warning(s)", file=out)
        if plan.tickets:
            print(plan.stats.summary_line(), file=out)
    return code
