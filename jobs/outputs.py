"""Write a run's tickets to files: tickets.md, tickets.json and a Jira CSV-import file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from integrations.exports.jira_csv import render_jira_csv
from integrations.exports.json_file import render_json
from integrations.exports.markdown import render_markdown
from integrations.spec.problems import Problem
from integrations.tickets import SiteContext, WrittenTicket

OUTPUT_FILES = ("tickets.md", "tickets.json", "jira-import.csv")


def write_outputs(out_dir: Path, tickets: Sequence[WrittenTicket], site: SiteContext,
                  problems: Sequence[Problem]) -> list[Path]:
    """Render every output and write it; a file is replaced whole, never left half-written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    contents = {
        "tickets.md": render_markdown(tickets, site, problems),
        "tickets.json": render_json(tickets),
        "jira-import.csv": render_jira_csv(tickets, site),
    }
    written = []
    for name, text in contents.items():
        path = out_dir / name
        partial = path.with_suffix(path.suffix + ".partial")
        partial.write_text(text, encoding="utf-8", newline="")
        partial.replace(path)
        written.append(path)
    return written
