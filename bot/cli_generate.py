"""`ticketbot generate`: the whole pipeline through the processing service, printing as it goes."""

from __future__ import annotations

import argparse
import hashlib
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.bootstrap import Services
from bot.progress import TerminalProgress
from integrations.spec.problems import Level, Problem
from integrations.spec.reader import read_upload
from integrations.tickets import Group, SiteContext, Usage, WrittenTicket
from jobs.errors import ProcessingError
from jobs.outputs import write_outputs
from jobs.planning import UploadedFile
from jobs.processing import ProcessingStatus
from jobs.stored_tickets import written_ticket

EXIT_OK, EXIT_ERRORS, EXIT_UNUSABLE = 0, 1, 2
SPEC_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
MAX_PROBLEMS_SHOWN = 200
FOLLOW_INTERVAL_S = 0.5


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


def default_site(paths: Sequence[Path]) -> str:
    first = paths[0].resolve()
    return (first if first.is_dir() else first.parent).name.replace("-", " ").replace("_", " ").title()


def create_session(services: Services, files: Sequence[UploadedFile], site: SiteContext) -> int:
    """A session of its own for this command, holding the files as uploads."""
    with services.uow_factory() as uow:
        session = uow.sessions.add(channel_id=f"cli-{uuid.uuid4().hex[:12]}", site_name=site.name,
                                   site_description=site.description, created_by="cli")
        for upload in files:
            read = read_upload(upload.name, upload.data)
            digest = hashlib.sha256(upload.data).hexdigest()
            uow.uploads.add(
                session.id, file_id=f"cli-{digest[:16]}-{upload.name}"[:64], name=upload.name,
                content_hash=digest, data=upload.data, uploaded_by="cli",
                sheets=[{"kind": s.kind.value, "name": s.name, "rows": len(s.rows)} for s in read.sheets],
                problems=[p.to_dict() for p in read.problems],
            )
        uow.commit()
        return session.id


def run_generate(args: argparse.Namespace, services: Services, progress: TerminalProgress, out: TextIO,
                 err: TextIO) -> int:
    files, missing = collect_files(args.files)
    if missing:
        print(f"ticketbot: no such file: {', '.join(missing)}", file=err)
        return EXIT_UNUSABLE
    if getattr(args, "jira", False) and not (services.publishing and services.publishing.jira_configured):
        from jobs.publishing import NOT_CONFIGURED

        print(f"ticketbot: --jira: {NOT_CONFIGURED}", file=err)
        return EXIT_UNUSABLE
    site = SiteContext(args.site or default_site(args.files), args.description)
    session_id = create_session(services, files, site)
    plan = services.processing.plan_session_by_id(session_id)
    print_problems(plan.problems, err)
    if not plan.tickets:
        print("ticketbot: nothing could be planned from these files.", file=err)
        return EXIT_UNUSABLE
    try:
        started = services.processing.generate_tickets(session_id, requested_by="cli", start_anyway=True)
    except ProcessingError as exc:
        print(f"ticketbot: {exc.message}", file=err)
        return EXIT_UNUSABLE
    if started.queue_note:
        print(f"ticketbot: {started.queue_note}", file=err)
    status = follow(services, session_id, progress)
    if status.task_status != "completed":
        print(f"ticketbot: the run {status.task_status}: {status.error_message or status.stage}", file=err)
        return EXIT_UNUSABLE
    tickets = load_tickets(services, session_id)
    paths = write_outputs(args.out, tickets, site, plan.problems)
    usage = Usage(status.tokens.get("prompt", 0), status.tokens.get("completion", 0), status.tokens.get("cached", 0))
    print_summary(site, [t.brief.group for t in tickets], plan.problems, paths, usage, out)
    if getattr(args, "jira", False):
        from bot.cli_jira import push_to_jira

        pushed = push_to_jira(services, session_id, progress, out, err)
        if pushed != EXIT_OK:
            return pushed
    return EXIT_ERRORS if plan.errors else EXIT_OK


def follow(services: Services, session_id: int, progress: TerminalProgress) -> ProcessingStatus:
    """Wait for the run by reading its task from the database (inline runs are already done)."""
    while True:
        status = services.processing.get_processing_status(session_id)
        if status.total:
            progress.update(status.done, status.total, status.stage)
        if status.task_status in ("completed", "failed", "cancelled"):
            return status
        time.sleep(FOLLOW_INTERVAL_S)


def load_tickets(services: Services, session_id: int) -> list[WrittenTicket]:
    with services.uow_factory() as uow:
        return [written_ticket(t) for t in uow.tickets.for_session(session_id)]


def print_problems(problems: Sequence[Problem], err: TextIO) -> None:
    ordered = sorted(problems, key=lambda p: (p.level is Level.WARNING, p.file, p.row or 0))
    for problem in ordered[:MAX_PROBLEMS_SHOWN]:
        tag = "warning" if problem.level is Level.WARNING else "error"
        print(f"{tag}: {problem.describe()}", file=err)
    if len(ordered) > MAX_PROBLEMS_SHOWN:
        print(f"… and {len(ordered) - MAX_PROBLEMS_SHOWN} more: all are listed in tickets.md", file=err)


def print_summary(site: SiteContext, groups: Sequence[Group], problems: Sequence[Problem], paths: Sequence[Path],
                  usage: Usage, out: TextIO) -> None:
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
    if usage.prompt_tokens or usage.completion_tokens:
        print(f"Tokens: {usage.prompt_tokens:,} prompt ({usage.cached_tokens:,} cached), "
              f"{usage.completion_tokens:,} completion", file=out)
    for path in paths:
        print(f"Wrote {path}", file=out)
