"""Real `ticketbot worker` processes for end-to-end tests, each in its own process group."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def worker_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TICKETBOT_", "SLACK_", "OPENAI_", "JIRA_"))}
    env.update({
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LLM_PROVIDER": "template",
        "TICKETBOT_QUEUE": "ticketbot-test",
        "TICKETBOT_LEASE_SECONDS": "3",
        "TICKETBOT_SWEEP_SECONDS": "1",
        "TICKETBOT_QUEUED_GRACE_SECONDS": "2",
        "TICKETBOT_RETRY_INTERVALS": "1,1,1",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


class WorkerProcess:
    """`ticketbot worker` in a new session (process group), so a test can kill it and its work horse."""

    def __init__(self, env: dict[str, str], log_path: Path, burst: bool = False) -> None:
        command = [sys.executable, "-m", "bot.cli.main", "worker", *(["--burst"] if burst else [])]
        self.log_path = log_path
        self.log = log_path.open("ab")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def kill(self) -> None:
        """SIGKILL the worker, its scheduler and its work horse (which RQ puts in a session of its own)."""
        for pid in [*descendants(self.process.pid), self.process.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                self.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # an orphaned scheduler of a killed worker
        self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, read from /proc (children first found, then theirs)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(parent, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in parents.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.2) -> float:
    """Poll until `condition` holds; returns the seconds it took. Bounded: fails after `timeout_s`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if condition():
            return time.monotonic() - started
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
