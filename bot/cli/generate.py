"""`ticketbot generate`: the whole pipeline through the processing service, printing as it goes."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.cli.files import CollectedFiles, collect_files
from bot.cli.progress import TerminalProgress
from bot.cli.report import (
    dependency_counts,
    group_counts,
    print_json,
    print_problems,
    print_summary,
    problem_counts,
)
from bot.cli.state import KEEP_RUNS, describe_database, run_key
from bot.wiring import exit_codes
from bot.wiring.bootstrap import Services, UnavailableWriter, bootstrap
from bot.wiring.settings import MERGE_THRESHOLD_MAX, Settings
from integrations.tickets import SiteContext, TicketBrief, Usage
from jobs.conversation.uploads import upload_fields
from jobs.errors import Category, ProcessingError
from jobs.generation.outputs import OutputNotWritable, check_writable, write_outputs
from jobs.generation.service import ProcessingStatus
from jobs.planning import PlanCache, PlanOptions, UploadedFile
from jobs.planning.families import DEFAULT_MERGE_THRESHOLD
from jobs.revision.apply import COPIED
from jobs.revision.compare import Comparison, compare
from jobs.revision.previous import BaselineUnreadable, file_versions, fix_file_baseline

FOLLOW_INTERVAL_S = 0.5
NO_WORKER_AFTER_S = 5.0  # a queued run nobody took after this: say there is no worker
RESUMABLE = ("queued", "running", "cancelled", "failed")


def default_site(paths: Sequence[Path]) -> str:
    first = paths[0].resolve()
    return (first if first.is_dir() else first.parent).name.replace("-", " ").replace("_", " ").title()


def run_generate(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    quiet = args.quiet or args.json
    collected = collect_files(args.files)
    if collected.missing:
        for line in collected.missing:
            print(f"ticketbot: {line}", file=err)
        return exit_codes.USAGE
    try:
        check_writable(args.out)  # before any work: a paid-for run must never end unwritable
    except OutputNotWritable as exc:
        print(f"ticketbot: {exc}", file=err)
        return exit_codes.USAGE
    if collected.notice() and not args.quiet:
        print(collected.notice(), file=err)
    if args.jira:
        from bot.cli.jira import jira_preflight

        refused = jira_preflight(settings)
        if refused:
            print(f"ticketbot: --jira: {refused}", file=err)
            return exit_codes.USAGE if not settings.jira_url else exit_codes.INTEGRATION
    threshold = settings.merge_threshold if args.merge_threshold is None else args.merge_threshold
    if not 0 <= threshold <= MERGE_THRESHOLD_MAX:
        print(f"ticketbot: --merge-threshold {threshold}: give a whole number from 0 (never merge) to "
              f"{MERGE_THRESHOLD_MAX}", file=err)
        return exit_codes.USAGE
    site = SiteContext(args.site or default_site(args.files), args.description)
    # One cache for this command's plan and the run's: the inline run plans the same files once, not twice.
    plan_cache = PlanCache(options=PlanOptions(merge_threshold=threshold))
    plan = plan_cache.plan(collected.files)
    print_problems(plan.problems, err, quiet=args.quiet)
    if not plan.tickets:
        print("ticketbot: nothing could be planned from these files.", file=err)
        return exit_codes.USAGE
    since = read_since(args.since, plan.tickets) if args.since is not None else None
    if isinstance(since, str):
        print(f"ticketbot: --since {args.since}: {since}", file=err)
        return exit_codes.USAGE
    if since is not None and not args.quiet:  # the change, before any work
        print(f"Compared with {args.since}: {since.comparison.summary()}", file=err)
    progress = TerminalProgress(err, enabled=not quiet)

    def on_progress(percentage: float, stage: str, details: dict[str, object]) -> None:
        done, total = details.get("done"), details.get("total")
        if isinstance(done, int) and isinstance(total, int):
            progress.update(done, total, stage)

    try:
        services = bootstrap(settings, inline=not args.queue, progress=on_progress, plan_cache=plan_cache)
    except UnavailableWriter as exc:
        print(f"ticketbot: {exc}", file=err)
        return exit_codes.USAGE
    to_write = [b for b in plan.tickets if since is None or b.key not in since.copied_keys]
    estimate = services.processing.estimate_cost(to_write, site)
    if estimate is not None:
        progress.initial_eta_s = estimate.seconds
        if not args.quiet:
            print(f"LLM run: {estimate.describe()}", file=err)
        if not args.yes and sys.stdin.isatty() and not confirm("Go on? [Y/n] ", err):
            print("ticketbot: nothing was written or spent.", file=err)
            return exit_codes.OK
    writer = f"{settings.llm_provider}/{settings.openai_model}"
    # Another threshold is another plan, so another run; the default keeps the keys of earlier runs.
    # A revision of another tickets.json is another run than the same files compared with nothing.
    hashes = [*collected.hashes, *([since.digest] if since is not None else [])]
    key = run_key(hashes, site.name, site.description,
                  writer if threshold == DEFAULT_MERGE_THRESHOLD else f"{writer}/merge-{threshold}")
    with services.uow_factory() as uow:  # the run's session plans as this command did, in a worker too
        uow.channels.set(key, "cli", extra={"merge_threshold": threshold})
        uow.commit()
    session_id, resume = find_or_create_session(services, key, collected, site, fresh=args.fresh)
    if since is not None:
        with services.uow_factory() as uow:  # fixed before the run starts: every retry compares with it too
            fix_file_baseline(uow, session_id, str(args.since), since.items)
            uow.commit()
    if not quiet:
        print(f"state: {describe_database(settings.database_url)} (run {key})", file=err)
    try:
        status = start_and_follow(services, session_id, resume, progress, args, err)
    except KeyboardInterrupt:
        return interrupted(services, session_id, progress, err, queued=bool(args.queue))
    if isinstance(status, int):
        return status
    if status.task_status != "completed":
        progress.end_line()
        print(f"ticketbot: the run {status.task_status}: {status.error_message or status.stage}", file=err)
        return exit_codes.INTEGRATION
    tickets = services.processing.written_tickets(session_id)
    try:
        paths = write_outputs(args.out, tickets, site, plan.problems, plan.stats, run_label=f"ticketbot-{key}",
                              jira_epics=settings.jira_epics)
    except OutputNotWritable as exc:
        print(f"ticketbot: {exc}; the tickets are kept: run the same command again to write them", file=err)
        return exit_codes.USAGE
    usage = Usage(status.tokens.get("prompt", 0), status.tokens.get("completion", 0), status.tokens.get("cached", 0))
    code = exit_codes.SPEC_ERRORS if plan.errors else exit_codes.OK
    if args.jira:
        from bot.cli.jira import push_to_jira

        pushed = push_to_jira(services, session_id, progress, out, err)
        code = pushed if pushed != exit_codes.OK else code
    if args.json:
        groups = group_counts([t.brief.group for t in tickets])
        print_json({"site": site.name, "tickets": len(tickets), "groups": groups,
                    "problems": problem_counts(plan.problems), "outputs": [str(p) for p in paths],
                    "dependencies": dependency_counts(plan.stats),
                    "tokens": status.tokens, "state": describe_database(settings.database_url), "run": key,
                    **({"revision": {k.value: n for k, n in since.comparison.counts().items()}} if since else {}),
                    "exit_code": code}, out)
    elif not args.quiet:
        print_summary(site.name, [t.brief.group for t in tickets], plan.problems, paths, usage, out, plan.stats)
        if since is not None:
            print(f"Revision of {args.since}: {since.comparison.summary()}", file=out)
    prune(services)
    return code


MAX_SINCE_BYTES = 64 * 1024 * 1024  # a tickets.json bigger than any spec's is refused before it is parsed


@dataclass(frozen=True)
class Since:
    """`--since`: the earlier run's tickets.json, and how the new plan compares with it."""

    items: list[dict[str, object]]
    digest: str
    comparison: Comparison

    @property
    def copied_keys(self) -> frozenset[str]:
        return frozenset(i.key for i in self.comparison.items if i.kind in COPIED)


def read_since(path: Path, briefs: Sequence[TicketBrief]) -> Since | str:
    """The earlier tickets.json compared with the plan, or why it cannot be read (in plain words)."""
    try:
        if path.stat().st_size > MAX_SINCE_BYTES:
            return f"the file is over {MAX_SINCE_BYTES // 1024 // 1024} MB; give the tickets.json of an earlier run"
        data = path.read_bytes()
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}"
    try:
        items = json.loads(data.decode("utf-8"))
        previous = file_versions(items)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "it is not a JSON file; give the tickets.json an earlier `ticketbot generate` wrote"
    except BaselineUnreadable as exc:
        return f"it is not a tickets.json ticketbot can compare with: {exc}"
    comparison = compare(briefs, {k: p.version for k, p in previous.items()}, str(path))
    return Since(items, hashlib.sha256(data).hexdigest(), comparison)


def confirm(question: str, err: TextIO) -> bool:
    print(question, end="", file=err, flush=True)
    answer = sys.stdin.readline().strip().lower()
    return answer in ("", "y", "yes")


def start_and_follow(services: Services, session_id: int, resume: bool, progress: TerminalProgress,
                     args: argparse.Namespace, err: TextIO) -> ProcessingStatus | int:
    processing = services.processing
    try:
        if resume:
            before = processing.get_processing_status(session_id)
            if not args.quiet and before.done:
                print(f"resuming: {before.done} of {before.total} tickets were written before; "
                      "`--fresh` starts over", file=err)
            started = processing.resume_generation(session_id, requested_by="cli")
        else:
            started = processing.generate_tickets(session_id, requested_by="cli", start_anyway=True)
    except ProcessingError as exc:
        progress.end_line()
        print(f"ticketbot: {exc.message}", file=err)
        return exit_codes.USAGE if exc.category is Category.USER_FIXABLE else exit_codes.INTEGRATION
    if started.queue_note:
        print(f"ticketbot: {started.queue_note}", file=err)
    return follow(services, session_id, progress, err)


def follow(services: Services, session_id: int, progress: TerminalProgress, err: TextIO) -> ProcessingStatus | int:
    """Wait for the run by reading its task from the database (inline runs are already done)."""
    started = time.monotonic()
    while True:
        status = services.processing.get_processing_status(session_id)
        if status.total and status.task_status == "running":
            progress.update(status.done, status.total, status.stage)
        if status.task_status in ("completed", "failed", "cancelled"):
            if status.task_status == "completed" and status.total:
                progress.update(status.total, status.total, "Done")
            return status
        if status.task_status == "queued" and time.monotonic() - started > NO_WORKER_AFTER_S:
            problem = no_worker(services)
            if problem:
                print(f"ticketbot: {problem}; the run stays queued and starts when one does — run the same "
                      "command again to follow it", file=err)
                return exit_codes.INTEGRATION
        time.sleep(FOLLOW_INTERVAL_S)


def no_worker(services: Services) -> str:
    """Why nobody takes the queued run ('' while a worker is there, just busy)."""
    from bot.wiring.health import queue_check

    check = queue_check(services.settings)
    return "" if check.ok else check.detail.replace(" — ", "; ")


def interrupted(services: Services, session_id: int, progress: TerminalProgress, err: TextIO, *, queued: bool) -> int:
    """Ctrl-C: the run marked cancelled (its stored tickets kept), one line, exit 130."""
    if queued:
        services.processing.cancel_processing(session_id, requested_by="cli")
    status = services.processing.get_processing_status(session_id)
    progress.end_line()
    print(f"interrupted after {status.done} of {status.total} tickets; run the same command again to resume",
          file=err)
    return exit_codes.INTERRUPTED


def find_or_create_session(services: Services, key: str, collected: CollectedFiles, site: SiteContext, *,
                           fresh: bool) -> tuple[int, bool]:
    """(session, resume): the same command's interrupted run is resumed; otherwise a new session."""
    with services.uow_factory() as uow:
        previous = uow.sessions.latest_in_channel(key)
        task = uow.tasks.latest(previous.id) if previous is not None else None
        previous_id, previous_status = (previous.id, previous.status) if previous is not None else (None, "")
        task_status = task.status if task is not None else ""
    if previous_id is not None and not fresh:
        if previous_status == "collecting":
            return previous_id, False
        if task_status in RESUMABLE:
            return previous_id, True
    if previous_id is not None and previous_status in ("collecting", "processing"):
        services.processing.abandon_generation(previous_id, requested_by="cli")
    return create_session(services, key, collected.files, site), False


def create_session(services: Services, key: str, files: Sequence[UploadedFile], site: SiteContext) -> int:
    """A session of its own for this command, holding the files as uploads."""
    with services.uow_factory() as uow:
        session = uow.sessions.add(channel_id=key, site_name=site.name, site_description=site.description,
                                   created_by="cli")
        for upload in files:
            digest = hashlib.sha256(upload.data).hexdigest()
            uow.uploads.add(session.id, **upload_fields(upload.name, upload.data, uploaded_by="cli",
                                                        file_id=f"cli-{digest[:16]}-{upload.name}"))
        uow.commit()
        return session.id


def prune(services: Services) -> None:
    """Keep the newest KEEP_RUNS command-line runs; the database never grows without bound."""
    with services.uow_factory() as uow:
        if uow.sessions.prune("cli", KEEP_RUNS):
            uow.commit()

