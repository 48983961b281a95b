"""The `ticketbot` command line (DESIGN §4). Thin: parse, load settings, call the services."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.bootstrap import UnavailableWriter, bootstrap
from bot.progress import TerminalProgress
from bot.settings import Settings, SettingsError
from integrations.spec.problems import Level, Problem
from integrations.tickets import Group, SiteContext
from jobs.outputs import write_outputs
from jobs.planning import UploadedFile, plan_uploads
from jobs.writing import write_tickets

EXIT_OK, EXIT_ERRORS, EXIT_UNUSABLE = 0, 1, 2
SPEC_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
MAX_PROBLEMS_SHOWN = 200


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ticketbot", description="Drupal spec → ordered Jira tickets.")
    commands = parser.add_subparsers(dest="command", required=True)
    generate = commands.add_parser(
        "generate", help="parse, validate, plan and write tickets for spec files",
        description="Turn Drupal Spec Tool sheets (CSV or .xlsx) into tickets in dependency order.",
    )
    generate.add_argument("files", nargs="+", type=Path, help="spec files (CSV or .xlsx), or folders of them")
    generate.add_argument("--site", default="", help="site name used in the tickets (default: the folder name)")
    generate.add_argument("--description", default="", help="one sentence about the site")
    generate.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out/)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return EXIT_UNUSABLE
    if args.command == "generate":
        return generate(args, settings, sys.stdout, sys.stderr)
    return EXIT_UNUSABLE  # argparse only accepts the commands above


def collect_files(paths: Sequence[Path]) -> tuple[list[UploadedFile], list[str]]:
    files: list[UploadedFile] = []
    missing: list[str] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.suffix.lower() in SPEC_SUFFIXES and p.is_file())
            files.extend(UploadedFile(p.name, p.read_bytes()) for p in inside)
        elif path.is_file():
            files.append(UploadedFile(path.name, path.read_bytes()))
        else:
            missing.append(str(path))
    return files, missing


def generate(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    files, missing = collect_files(args.files)
    if missing:
        print(f"ticketbot: no such file: {', '.join(missing)}", file=err)
        return EXIT_UNUSABLE
    try:
        services = bootstrap(settings)
    except UnavailableWriter as exc:
        print(f"ticketbot: {exc}", file=err)
        return EXIT_UNUSABLE
    plan = plan_uploads(files)
    print_problems(plan.problems, err)
    if not plan.tickets:
        print("ticketbot: nothing could be planned from these files.", file=err)
        return EXIT_UNUSABLE
    site = SiteContext(args.site or _default_site(args.files), args.description)
    progress = TerminalProgress(err)
    tickets = write_tickets(plan.tickets, services.writer, site,
                            progress=lambda done, total, brief: progress.update(done, total, brief.group.value))
    paths = write_outputs(args.out, tickets, site, plan.problems)
    print_summary(site, [t.brief.group for t in tickets], plan.problems, paths, out)
    return EXIT_ERRORS if plan.errors else EXIT_OK


def _default_site(paths: Sequence[Path]) -> str:
    first = paths[0].resolve()
    return (first if first.is_dir() else first.parent).name.replace("-", " ").replace("_", " ").title()


def print_problems(problems: Sequence[Problem], err: TextIO) -> None:
    ordered = sorted(problems, key=lambda p: (p.level is Level.WARNING, p.file, p.row or 0))
    for problem in ordered[:MAX_PROBLEMS_SHOWN]:
        tag = "warning" if problem.level is Level.WARNING else "error"
        print(f"{tag}: {problem.describe()}", file=err)
    if len(ordered) > MAX_PROBLEMS_SHOWN:
        print(f"… and {len(ordered) - MAX_PROBLEMS_SHOWN} more: all are listed in tickets.md", file=err)


def print_summary(site: SiteContext, groups: Sequence[Group], problems: Sequence[Problem],
                  paths: Sequence[Path], out: TextIO) -> None:
    counts = Counter(groups)
    print(f"\n{site.name}: {len(groups)} tickets", file=out)
    for group in Group:
        if counts[group]:
            print(f"  {group.value:<12} {counts[group]:>4}", file=out)
    levels = Counter(p.level for p in problems)
    print(
        f"Problems: {levels[Level.FILE_ERROR]} file error(s), {levels[Level.ROW_ERROR]} row error(s), "
        f"{levels[Level.WARNING]} warning(s)",
        file=out,
    )
    for path in paths:
        print(f"Wrote {path}", file=out)


if __name__ == "__main__":
    sys.exit(main())
