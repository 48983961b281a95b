"""Where the command line keeps its state: an XDG data folder, never the folder it is run from."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from integrations.urls import display_url

KEEP_RUNS = 20  # CLI runs kept for resuming and re-reading; older ones are deleted


def state_dir(env: Mapping[str, str]) -> Path:
    """$XDG_DATA_HOME/ticketbot, else ~/.local/share/ticketbot (the XDG base directory default)."""
    base = env.get("XDG_DATA_HOME", "").strip()
    home = Path(env.get("HOME", "") or Path.home())
    root = Path(base) if base and Path(base).is_absolute() else home / ".local" / "share"
    return root / "ticketbot"


def cli_database_url(env: Mapping[str, str]) -> str:
    """DATABASE_URL when set; else a SQLite file in the state folder (created here)."""
    if env.get("DATABASE_URL", "").strip():
        return env["DATABASE_URL"].strip()
    folder = state_dir(env)
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'ticketbot.db'}"


def describe_database(url: str) -> str:
    """The database for a user to read: the SQLite file's path, or the server without credentials."""
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    return display_url(url)


def run_key(hashes: Sequence[str], site: str, description: str, writer: str) -> str:
    """The same files, site and writer give the same key: the channel a re-run finds to resume."""
    text = "\n".join([*sorted(hashes), site, description, writer])
    return "cli-" + hashlib.sha256(text.encode()).hexdigest()[:24]
