"""The `ticketbot` command line (docs/design.md §4). Thin: parse, load settings, wire services, call them.

Only the standard library and our settings are imported here: `ticketbot --help` and `--version`
must not pay for SQLAlchemy, Alembic, RQ or jira; each command imports what it uses.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import traceback
from collections.abc import Sequence
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bot.wiring import exit_codes
from bot.wiring.settings import Settings, SettingsError

EXIT_OK, EXIT_UNUSABLE = exit_codes.OK, exit_codes.USAGE

ENVIRONMENT = """\
environment:
  DATABASE_URL      sqlite:/// or postgresql+psycopg:// URL (CLI default: a SQLite file in
                    $XDG_DATA_HOME/ticketbot, else ~/.local/share/ticketbot)
  LLM_PROVIDER      template (offline, the default) or openai (when OPENAI_API_KEY is set)
  OPENAI_API_KEY, OPENAI_MODEL, OPENAI_BASE_URL, LLM_CONCURRENCY   the OpenAI writer
  TICKETBOT_LLM_PRICES  '{"model": [input, output]}' USD per million tokens, for the cost estimate
  REDIS_URL, TICKETBOT_QUEUE   the job queue (--queue, worker)
  JIRA_URL, JIRA_PROJECT, JIRA_EMAIL + JIRA_API_TOKEN (Cloud) or JIRA_PAT (Server/DC)   --jira
  LOG_LEVEL, LOG_FORMAT   logging (WARNING, text)
"""

EXIT_CODES = """\
exit codes:
  0 done   1 errors in the spec (the valid part is written)   2 unusable command, setting or file
  3 Jira, the LLM, Redis or a worker failed   4 internal error   130 interrupted (run again to resume)
"""


def package_version() -> str:
    try:
        return version("ticketbot")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="ticketbot", formatter_class=raw,
        description="Turn a Drupal Spec Tool site specification into ordered, linked implementation tickets.",
        epilog="examples:\n  ticketbot generate examples/acme/ --site \"Acme\" --out out/\n"
               "  ticketbot check specs/*.csv\n  ticketbot doctor\n\n" + ENVIRONMENT + "\n" + EXIT_CODES,
    )
    parser.add_argument("--version", action="version", version=f"ticketbot {package_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    generate = commands.add_parser(
        "generate", help="parse, validate, plan and write tickets for spec files", formatter_class=raw,
        description="Turn Drupal Spec Tool sheets (CSV or .xlsx) into tickets in dependency order, written to\n"
                    "--out as tickets.md, tickets.json and jira-import.csv. An interrupted run resumes when\n"
                    "the same command is run again.",
        epilog="examples:\n  ticketbot generate examples/acme/*.csv --site \"Acme Outdoors\" --out out/\n"
               "  LLM_PROVIDER=openai OPENAI_API_KEY=sk-… ticketbot generate specs/ --yes\n"
               "  ticketbot generate specs/ --jira        # and push to JIRA_URL/JIRA_PROJECT\n"
               "  ticketbot generate revised/ --since out/tickets.json --out out-revised/\n"
               "  ticketbot generate specs/ --json --quiet > summary.json\n\n" + ENVIRONMENT + "\n" + EXIT_CODES,
    )
    generate.add_argument("files", nargs="+", type=Path, help="spec files (CSV or .xlsx), or folders of them")
    generate.add_argument("--site", default="", help="site name used in the tickets (default: the folder name)")
    generate.add_argument("--description", default="", help="one sentence about the site")
    generate.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out/)")
    generate.add_argument("--queue", action="store_true",
                          help="run through Redis and `ticketbot worker` processes instead of in this process")
    generate.add_argument("--jira", action="store_true",
                          help="push the tickets to the configured Jira (JIRA_URL, JIRA_PROJECT and credentials)")
    generate.add_argument("--fresh", action="store_true",
                          help="start over instead of resuming an interrupted run of the same files")
    generate.add_argument("--since", type=Path, default=None, metavar="PREVIOUS/tickets.json",
                          help="a revised spec: compare with an earlier run's tickets.json and write only the new "
                               "and changed tickets (unchanged ones are copied, removed ones proposed for closing)")
    generate.add_argument("--merge-threshold", type=int, default=None, metavar="N",
                          help="merge menus or image styles by name family past N new ones; 0 never merges "
                               "(default: TICKETBOT_MERGE_THRESHOLD, else 10)")
    _add_output_options(generate)

    check = commands.add_parser(
        "check", help="validate spec files only (no database, no writer)", formatter_class=raw,
        description="Read and validate spec files and plan the tickets, printing every problem; writes nothing.",
        epilog="examples:\n  ticketbot check specs/\n  ticketbot check bundles.csv fields.csv --json\n\n"
               "environment: none (check reads no settings and opens no database)\n\n" + EXIT_CODES,
    )
    check.add_argument("files", nargs="+", type=Path, help="spec files (CSV or .xlsx), or folders of them")
    _add_output_options(check)

    worker = commands.add_parser(
        "worker", help="run an RQ worker (with the scheduler and the sweeper)", formatter_class=raw,
        description="Take generation, regeneration and Jira push jobs from Redis. Needs PostgreSQL\n"
                    "(DATABASE_URL) shared with `ticketbot serve`.",
        epilog="examples:\n  REDIS_URL=redis://localhost:6379/0 DATABASE_URL=postgresql+psycopg://… ticketbot worker\n"
               "  ticketbot worker --burst     # stop when the queue is empty\n\n" + ENVIRONMENT,
    )
    worker.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    commands.add_parser(
        "serve", help="run the Slack app (HTTP on $PORT, or Socket Mode with SLACK_APP_TOKEN)", formatter_class=raw,
        description="The Slack app: slash command, uploads and buttons. Needs PostgreSQL, Redis and a worker.",
        epilog="examples:\n  SLACK_BOT_TOKEN=xoxb-… SLACK_SIGNING_SECRET=… PORT=3000 ticketbot serve\n"
               "  SLACK_BOT_TOKEN=xoxb-… SLACK_APP_TOKEN=xapp-… ticketbot serve   # Socket Mode\n\n"
               "environment: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, PORT, TICKETBOT_CHANNELS,\n"
               "  TICKETBOT_APPROVERS, and the variables of `ticketbot --help`",
    )
    commands.add_parser(
        "doctor", help="check the database, Redis, Slack, the LLM and Jira, in plain words", formatter_class=raw,
        description="Check every configured service and say what to fix; exit 1 when one fails.",
        epilog="example:\n  ticketbot doctor\n\n" + ENVIRONMENT,
    )
    health = commands.add_parser(
        "health", help="liveness for container health checks (exit 0 when alive)", formatter_class=raw,
        description="Exit 0 when alive; otherwise print what failed and exit 3.",
        epilog="examples:\n  ticketbot health --serve\n  ticketbot health --worker\n\n"
               "environment: PORT (--serve), REDIS_URL (--worker)",
    )
    which = health.add_mutually_exclusive_group(required=True)
    which.add_argument("--serve", action="store_true", help="the Slack app answers /healthz on $PORT")
    which.add_argument("--worker", action="store_true", help="a worker of this host is registered in Redis")
    db = commands.add_parser("db", help="database commands",
                             description="Database commands: `db upgrade` brings the database to the newest schema.",
                             epilog="example:\n  DATABASE_URL=postgresql+psycopg://… ticketbot db upgrade\n\n"
                                    "environment: DATABASE_URL (default: the command line's SQLite state)",
                             formatter_class=raw)
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="bring the database to the newest schema",
                           description="Bring DATABASE_URL to the newest schema (safe to run twice).")
    return parser


def _add_output_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--quiet", "-q", action="store_true",
                         help="print errors only (no warnings, progress or summary)")
    command.add_argument("--json", action="store_true", help="print the summary as one JSON object on stdout")
    if command.prog.endswith("generate"):
        command.add_argument("--yes", "-y", action="store_true",
                             help="do not ask before an LLM run that costs money (always so without a terminal)")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = run_command(args)
        return _interrupted_exit() if code == exit_codes.INTERRUPTED else code
    except KeyboardInterrupt:
        print("ticketbot: interrupted", file=sys.stderr)
        return _interrupted_exit()
    except Exception as exc:
        unreachable = _unreachable_service(exc)
        if unreachable:
            print(f"ticketbot: {unreachable}", file=sys.stderr)
            return exit_codes.INTEGRATION
        return _internal_error()


def run_command(args: argparse.Namespace) -> int:
    if args.command == "check":
        from bot.cli.check import run_check

        return run_check(args, sys.stdout, sys.stderr)
    from bot.wiring.logging_setup import configure_logging

    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return EXIT_UNUSABLE
    if args.command in ("generate", "doctor", "db"):
        from bot.cli.state import cli_database_url

        # Without DATABASE_URL these look at the command line's state, never a ticketbot.db in the working folder.
        settings = replace(settings, database_url=cli_database_url(os.environ))
    # Once the settings are known, so that the exact values of their secrets are redacted from every line.
    configure_logging(os.environ.get("LOG_LEVEL", "WARNING"), os.environ.get("LOG_FORMAT", "text"),
                      settings.secret_values())
    if args.command == "generate":
        from bot.cli.generate import run_generate

        return run_generate(args, settings, sys.stdout, sys.stderr)
    if args.command in ("worker", "serve") and not settings.database_url.startswith("postgresql"):
        print(f"ticketbot {args.command}: needs the PostgreSQL database that `serve` and every worker share: set "
              "DATABASE_URL=postgresql+psycopg://USER@HOST/DB (the SQLite default is for the command line only)",
              file=sys.stderr)
        return EXIT_UNUSABLE
    if args.command == "worker":
        from bot.cli.worker import run_worker

        return run_worker(settings, burst=args.burst)
    if args.command == "serve":
        from bot.slack.serve import run_serve

        return run_serve(settings)
    if args.command == "doctor":
        from bot.wiring.health import run_doctor

        return run_doctor(settings)
    if args.command == "health":
        from bot.wiring.health import serve_health, worker_health

        check = serve_health(settings) if args.serve else worker_health(settings)
        if not check.ok:
            print(f"ticketbot health --{check.name}: {check.detail}", file=sys.stderr)
        return EXIT_OK if check.ok else exit_codes.INTEGRATION
    if args.command == "db":
        from storage.database import make_engine
        from storage.migrate import current_revision, upgrade

        engine = make_engine(settings.database_url)
        upgrade(engine)
        print(f"database at revision {current_revision(engine)}")
        return EXIT_OK
    return EXIT_UNUSABLE  # argparse only accepts the commands above


def _unreachable_service(exc: Exception) -> str:
    """What an outage of the database or Redis means for the user ('' for anything else: a bug)."""
    module = type(exc).__module__
    if module.startswith("sqlalchemy"):
        from sqlalchemy.exc import OperationalError

        if isinstance(exc, OperationalError):
            from bot.cli.state import cli_database_url, describe_database

            where = describe_database(cli_database_url(os.environ))
            return f"cannot reach the database at {where} ({type(exc.orig).__name__}); check DATABASE_URL"
    if module.startswith("redis"):
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        if isinstance(exc, RedisConnectionError | RedisTimeoutError):
            from integrations.urls import display_url

            where = display_url(os.environ.get("REDIS_URL", "") or Settings.redis_url)
            return f"cannot reach Redis at {where} ({type(exc).__name__}); check REDIS_URL"
    return ""


def _internal_error() -> int:
    """A bug: one line for the user, the traceback in a file they can attach to a report."""
    from bot.cli.state import state_dir

    kind = sys.exc_info()[0]
    name = kind.__name__ if kind else "error"
    try:
        folder = state_dir(os.environ)
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / "last-error.log"
        from bot.wiring.logging_setup import installed_redactor

        log.write_text(installed_redactor()(traceback.format_exc()), encoding="utf-8")
        where = f"; the details are in {log}"
    except OSError:
        where = "; run with LOG_LEVEL=DEBUG for the details"
    print(f"ticketbot: internal error ({name}){where}", file=sys.stderr)
    return exit_codes.INTERNAL


def _interrupted_exit() -> int:
    """Exit at once: a writer's HTTP calls still in flight on other threads are abandoned, not waited for."""
    if threading.active_count() > 1:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(exit_codes.INTERRUPTED)
    return exit_codes.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
