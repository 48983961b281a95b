"""Write a run's tickets to files: tickets.md, tickets.json and a Jira CSV-import file, as one set."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from integrations.exports.jira_csv import render_jira_csv
from integrations.exports.json_file import render_json
from integrations.exports.markdown import render_markdown
from integrations.spec.problems import Problem
from integrations.tickets import PlanStats, SiteContext, WrittenTicket

OUTPUT_FILES = ("tickets.md", "tickets.json", "jira-import.csv")
PARTIAL_PREFIX = ".ticketbot-"


class OutputNotWritable(Exception):
    """The output folder cannot be created or written; the message says which folder and why."""


def check_writable(out_dir: Path) -> None:
    """Create the folder and write (then remove) a scratch file in it, before any work is done."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputNotWritable(f"--out {out_dir} is a file, not a folder; choose a folder for the outputs")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=PARTIAL_PREFIX, suffix=".check"):
            pass
    except OSError as exc:
        raise OutputNotWritable(f"cannot write to --out {out_dir}: {exc.strerror or exc}") from None


def write_outputs(out_dir: Path, tickets: Sequence[WrittenTicket], site: SiteContext,
                  problems: Sequence[Problem], stats: PlanStats | None = None, *, run_label: str = "ticketbot",
                  jira_epics: str = "") -> list[Path]:
    """Render every output, write each to a temporary file, then rename them all into place.

    `run_label` is the one Jira label of every issue the CSV imports; `jira_epics` is JIRA_EPICS.

    Nothing replaces an old output until all three new ones are on disk, so a failure (a full disk, a
    folder made read-only meanwhile) leaves the previous set whole instead of a mix of old and new.
    """
    check_writable(out_dir)
    contents = {
        "tickets.md": render_markdown(tickets, site, problems, stats),
        "tickets.json": render_json(tickets),
        "jira-import.csv": render_jira_csv(tickets, site, run_label, epics=jira_epics),
    }
    staged: list[tuple[Path, Path]] = []
    try:
        for name, text in contents.items():
            handle, partial_name = tempfile.mkstemp(dir=out_dir, prefix=PARTIAL_PREFIX, suffix=f".{name}")
            staged.append((Path(partial_name), out_dir / name))
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                stream.write(text)
    except OSError as exc:
        for staged_partial, _ in staged:
            with contextlib.suppress(OSError):
                staged_partial.unlink()
        raise OutputNotWritable(f"cannot write the outputs to {out_dir}: {exc.strerror or exc}") from None
    for partial, final in staged:
        os.chmod(partial, 0o644)  # mkstemp makes the file private; outputs are ordinary files
        os.replace(partial, final)
    return [final for _, final in staged]
