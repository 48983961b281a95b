"""The `ticketbot` command line (DESIGN §4). Thin: parse, load settings, wire services, call them."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.bootstrap import UnavailableWriter, bootstrap
from bot.logging_setup import configure_logging
from bot.progress import TerminalProgress
from bot.settings import Settings, SettingsError

EXIT_OK, EXIT_UNUSABLE = 0, 2


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
    generate.add_argument("--queue", action="store_true",
                          help="run through Redis and `ticketbot worker` processes instead of in this process")
    generate.add_argument("--jira", action="store_true",
                          help="push the tickets to the configured Jira (JIRA_URL, JIRA_PROJECT and credentials)")
    worker = commands.add_parser("worker", help="run an RQ worker (with the scheduler and the sweeper)")
    worker.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    commands.add_parser("serve", help="run the Slack app (HTTP on $PORT, or Socket Mode with SLACK_APP_TOKEN)")
    commands.add_parser("doctor", help="check the database, Redis, Slack, the LLM and Jira, in plain words")
    health = commands.add_parser("health", help="liveness for container health checks (exit 0 when alive)")
    which = health.add_mutually_exclusive_group(required=True)
    which.add_argument("--serve", action="store_true", help="the Slack app answers /healthz on $PORT")
    which.add_argument("--worker", action="store_true", help="a worker of this host is registered in Redis")
    db = commands.add_parser("db", help="database commands")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="bring the database to the newest schema")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(os.environ.get("LOG_LEVEL", "WARNING"), os.environ.get("LOG_FORMAT", "text"))
    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return EXIT_UNUSABLE
    try:
        if args.command == "generate":
            from bot.cli_generate import run_generate

            progress = TerminalProgress(sys.stderr)

            def on_progress(percentage: float, stage: str, details: dict[str, object]) -> None:
                done, total = details.get("done"), details.get("total")
                if isinstance(done, int) and isinstance(total, int):
                    progress.update(done, total, stage)

            services = bootstrap(settings, inline=not args.queue, progress=on_progress)
            return run_generate(args, services, progress, sys.stdout, sys.stderr)
        if args.command == "worker":
            from bot.worker import run_worker

            return run_worker(settings, burst=args.burst)
        if args.command == "serve":
            from bot.serve import run_serve

            return run_serve(settings)
        if args.command == "doctor":
            from bot.doctor import run_doctor

            return run_doctor(settings)
        if args.command == "health":
            from bot.doctor import serve_is_healthy, worker_is_healthy

            alive = serve_is_healthy(settings) if args.serve else worker_is_healthy(settings)
            return EXIT_OK if alive else 1
        if args.command == "db":
            from storage.database import make_engine
            from storage.migrate import current_revision, upgrade

            engine = make_engine(settings.database_url)
            upgrade(engine)
            print(f"database at revision {current_revision(engine)}")
            return EXIT_OK
    except UnavailableWriter as exc:
        print(f"ticketbot: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    return EXIT_UNUSABLE  # argparse only accepts the commands above


if __name__ == "__main__":
    sys.exit(main())
