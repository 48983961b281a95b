"""`ticketbot generate --jira`: a real process pushing to the fake Jira with the same publisher as Slack."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

from tests.conftest import EXAMPLE_SPEC
from tests.fakes.jira_server import FakeJiraServer
from tests.support.publishing import is_push_label, is_session_label
from tests.support.workers import ROOT, worker_env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli.main", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_generate_with_jira_pushes_and_says_what_it_did(tmp_path: Path) -> None:
    files = [*map(str, sorted(EXAMPLE_SPEC.glob("*.csv"))), "--site", "Acme Outdoors", "--out", str(tmp_path / "o")]
    with FakeJiraServer("cloud") as fake:
        env = worker_env(f"sqlite:///{tmp_path / 'ticketbot.db'}", "redis://127.0.0.1:1/0", **fake.env())
        result = run(["generate", *files, "--jira"], env)
        assert result.returncode == 0, result.stderr
        assert "Jira: 38 issues in RPL under 8 epics, 91 links" in result.stdout
        labels = Counter(label for i in fake.issues.values() for label in i.fields["labels"])
        assert len(fake.issues) == 46 and max(n for label, n in labels.items() if label != "ticketbot"
                                              and not is_session_label(label) and not is_push_label(label)) == 1
        assert sum(1 for label in labels if is_push_label(label)) == 1  # one push made them all
        # A second run is a new session of the same site: its epics are reused.
        again = run(["generate", *files, "--jira"], env)
        assert again.returncode == 0, again.stderr
        assert len(fake.issues) == 46 + 38 and fake.count("create") == 8


def test_generate_with_jira_explains_a_project_jira_refuses(tmp_path: Path) -> None:
    files = [*map(str, sorted(EXAMPLE_SPEC.glob("*.csv"))), "--out", str(tmp_path / "o")]
    with FakeJiraServer("server") as fake:
        env = worker_env(f"sqlite:///{tmp_path / 'ticketbot.db'}", "redis://127.0.0.1:1/0",
                         LOG_LEVEL="WARNING", **fake.env(JIRA_PROJECT="NOPE"))
        result = run(["generate", *files, "--jira"], env)
    # The preflight runs before any work: nothing is generated for a Jira that cannot take it.
    assert result.returncode == 3
    assert result.stderr.splitlines()[0].startswith(
        "ticketbot: --jira: • Jira project NOPE does not exist, or ticketbot's Jira account cannot see it")
    assert "run the same command again" in result.stderr and "/generate-tickets" not in result.stderr
    assert fake.pat not in result.stderr + result.stdout
    assert not (tmp_path / "o" / "tickets.json").exists()


def test_generate_with_jira_but_no_jira_configured_is_a_usage_error(tmp_path: Path) -> None:
    env = worker_env(f"sqlite:///{tmp_path / 'ticketbot.db'}", "redis://127.0.0.1:1/0")
    result = run(["generate", str(EXAMPLE_SPEC), "--jira", "--out", str(tmp_path / "o")], env)
    assert result.returncode == 2
    assert "Jira is not configured" in result.stderr
