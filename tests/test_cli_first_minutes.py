"""Issue 15: the command line as a new user meets it — a real process each time, its exit code, the exact
first line it prints, and nothing left behind (no ticketbot.db in the repository, no partial outputs)."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from bot.cli.progress import TerminalProgress
from integrations.urls import display_url
from tests.conftest import EXAMPLE_SPEC
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.workers import ROOT, WorkerProcess, wait_for, worker_env

FIRST_NOTE = "note: 2 files given twice, read once: "


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A user's environment: no DATABASE_URL (the CLI picks its state folder), logging at its default."""
    env = worker_env("", "redis://127.0.0.1:1/0", LOG_LEVEL="WARNING", XDG_DATA_HOME=str(tmp_path / "xdg"),
                     HOME=str(tmp_path / "home"))
    env.pop("DATABASE_URL")
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str], cwd: Path = ROOT, timeout: float = 300
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli.main", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


# Under `make test` a child make would announce "Entering directory" before its own output.
MAKE = ["make", "--no-print-directory"]


def first_line(text: str) -> str:
    return text.splitlines()[0] if text.strip() else ""


def state_db(tmp_path: Path) -> Path:
    return tmp_path / "xdg" / "ticketbot" / "ticketbot.db"


def assert_nothing_left_behind(out: Path | None = None) -> None:
    assert not list(ROOT.glob("ticketbot.db*")), "the CLI must keep its state out of the repository"
    if out is not None and out.exists():
        assert not [p.name for p in out.iterdir() if p.name.startswith(".ticketbot-")], "partial outputs left"


def acme_files() -> list[str]:
    return [str(p) for p in sorted(EXAMPLE_SPEC.glob("*.csv"))]


# ---- 1, 2: make demo offline and small; Python 3.11-3.13; a venv of another interpreter is rebuilt -------


def test_make_demo_uses_the_template_writer_even_with_an_openai_key(tmp_path: Path) -> None:
    with FakeOpenAIServer() as fake:
        env = cli_env(tmp_path, OPENAI_API_KEY="sk-test-not-to-be-used", OPENAI_BASE_URL=fake.base_url)
        env.pop("LLM_PROVIDER")
        done = subprocess.run([*MAKE, "-s", "demo", f"OUT={tmp_path / 'out'}"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        assert first_line(done.stdout) == "demo: the offline template writer (no account, no service, no cost)"
        assert fake.chat_requests == [] and fake.requests == []
    # 33 bundles, views and migrations, and 5 foundation tickets
    assert len(json.loads((tmp_path / "out" / "tickets.json").read_text())) == 38
    assert_nothing_left_behind(tmp_path / "out")


def test_the_demo_installs_what_running_needs_and_test_adds_the_extras(tmp_path: Path) -> None:
    venv = tmp_path / "v"
    runtime = subprocess.run([*MAKE, "-n", "-B", f"VENV={venv}", f"{venv}/.installed"], cwd=ROOT,
                             capture_output=True, text=True, timeout=60).stdout
    assert f"{venv}/bin/pip install --quiet -e .\n" in runtime and "[test]" not in runtime
    tests = subprocess.run([*MAKE, "-n", "-B", f"VENV={venv}", f"{venv}/.installed-test"], cwd=ROOT,
                           capture_output=True, text=True, timeout=60).stdout
    assert "pip install --quiet -e '.[test]'" in tests


def test_python_3_13_is_allowed_and_the_licence_matches() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11,<3.14"
    assert project["license"] == "MIT" and (ROOT / "LICENSE").read_text().startswith("MIT License\n")


def test_a_venv_built_with_another_python_is_rebuilt(tmp_path: Path) -> None:
    other = next((p for p in sorted(Path.home().glob(".pyenv/versions/3.1[23]*/bin/python3"))
                  if not os.path.samefile(p, sys.executable)), None)
    if other is None:
        pytest.skip("no second Python 3.12/3.13 interpreter under ~/.pyenv")
    venv = tmp_path / "v"
    subprocess.run([str(other), "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    mine = subprocess.run([sys.executable, "-c", "import platform; print(platform.python_version())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    done = subprocess.run([*MAKE, f"VENV={venv}", f"PYTHON={sys.executable}",
                           f"{venv}/.python-{mine}"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert first_line(done.stdout) == f"{venv} was built with another Python; rebuilding it with {mine}"
    rebuilt = subprocess.run([str(venv / "bin" / "python"), "-c", "import platform; print(platform.python_version())"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert rebuilt == mine


# ---- 3, 4: the same file twice; an unwritable --out --------------------------------------------------------


def test_the_same_file_twice_is_read_once_and_said_so(tmp_path: Path) -> None:
    copy = tmp_path / "copy-of-fields.csv"
    shutil.copy(EXAMPLE_SPEC / "fields.csv", copy)
    out = tmp_path / "out"
    result = run(["generate", str(EXAMPLE_SPEC), str(EXAMPLE_SPEC / "bundles.csv"), str(copy), "--site", "Acme",
                  "--out", str(out)], cli_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert first_line(result.stderr) == (
        f"{FIRST_NOTE}{EXAMPLE_SPEC / 'bundles.csv'} (the same file as {EXAMPLE_SPEC / 'bundles.csv'}), "
        f"{copy} (the same content as {EXAMPLE_SPEC / 'fields.csv'})")
    assert "Acme: 38 tickets" in result.stdout and "Traceback" not in result.stderr
    assert_nothing_left_behind(out)


@pytest.mark.parametrize("kind", ["a file", "under /proc"])
def test_an_unwritable_out_is_refused_before_any_work(tmp_path: Path, kind: str) -> None:
    out = tmp_path / "taken"
    out.write_text("not a folder")
    if kind == "under /proc":
        out = Path("/proc/nope")
    result = run(["generate", str(EXAMPLE_SPEC), "--out", str(out)], cli_env(tmp_path))
    assert result.returncode == 2
    if kind == "a file":
        assert first_line(result.stderr) == (f"ticketbot: --out {out} is a file, not a folder; "
                                             "choose a folder for the outputs")
    else:
        assert first_line(result.stderr).startswith("ticketbot: cannot write to --out /proc/nope: ")
    assert len(result.stderr.splitlines()) == 1 and not state_db(tmp_path).exists()  # no work was done
    assert_nothing_left_behind()


def test_outputs_replace_the_previous_set_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = cli_env(tmp_path)
    assert run(["generate", str(EXAMPLE_SPEC), "--out", str(out)], env).returncode == 0
    (out / "tickets.md").write_text("old")
    again = run(["generate", str(EXAMPLE_SPEC / "bundles.csv"), "--out", str(out), "--fresh"], env)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in out.iterdir()) == ["jira-import.csv", "tickets.json", "tickets.md"]
    assert (out / "tickets.md").read_text() != "old"


# ---- 5: --jira against an unreachable Jira fails fast, with advice for the command line --------------------


def test_generate_jira_unreachable_fails_in_seconds_before_any_work(tmp_path: Path) -> None:
    env = cli_env(tmp_path, JIRA_URL="http://127.0.0.1:9", JIRA_PROJECT="RPL", JIRA_PAT="pat-secret-value")
    result = run(["generate", str(EXAMPLE_SPEC), "--jira", "--out", str(tmp_path / "out")], env, timeout=60)
    assert result.returncode == 3
    assert first_line(result.stderr).startswith(
        "ticketbot: --jira: Jira at http://127.0.0.1:9 could not be reached while ")
    assert "run the same command again" in result.stderr and "/generate-tickets" not in result.stderr
    assert "pat-secret-value" not in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "tickets.json").exists() and not state_db(tmp_path).exists()


# ---- 6: Ctrl-C: one line, the task cancelled, exit 130, and the same command resumes -----------------------


def test_ctrl_c_cancels_in_one_line_and_the_same_command_resumes(tmp_path: Path) -> None:
    with FakeOpenAIServer(latency=0.15) as fake:
        env = cli_env(tmp_path, LLM_PROVIDER="openai", OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=fake.base_url,
                      OPENAI_MODEL="gpt-fake-mini", LLM_CONCURRENCY="1")
        command = [sys.executable, "-m", "bot.cli.main", "generate", *acme_files(), "--out", str(tmp_path / "out")]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        wait_for(lambda: len(fake.chat_requests) >= 6, 120, "six tickets written")
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 130, stderr
        last = stderr.splitlines()[-1]
        assert last.startswith("interrupted after ") and last.endswith(
            " of 38 tickets; run the same command again to resume")
        stored = int(last.split()[2])
        assert stored >= 5 and "Traceback" not in stderr and not (tmp_path / "out" / "tickets.json").exists()
        with sqlite3.connect(state_db(tmp_path)) as db:
            assert db.execute("SELECT status FROM tasks").fetchall() == [("cancelled",)]
            assert db.execute("SELECT count(*) FROM tickets").fetchone() == (stored,)
        before = len(fake.chat_requests)
        again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, again.stderr
        assert f"resuming: {stored} of 38 tickets were written before; `--fresh` starts over" in again.stderr
        assert len(fake.chat_requests) - before == 38 - stored  # nothing is paid for twice
    assert len(json.loads((tmp_path / "out" / "tickets.json").read_text())) == 38
    assert_nothing_left_behind(tmp_path / "out")


# ---- 7: sheet detection says what it guessed --------------------------------------------------------------


def test_a_bundles_file_without_its_type_column_is_warned_about(tmp_path: Path) -> None:
    bundles = tmp_path / "bundles.csv"
    bundles.write_text("Name,Machine name,Description\nArticle,article,News\n")
    result = run(["check", str(bundles)], cli_env(tmp_path))
    assert result.returncode == 0
    assert first_line(result.stderr) == (
        "warning: bundles.csv row 1: the name says bundles, but the columns make it a menus sheet; the closest "
        "bundles sheet lacks Type — add the column(s) Type if it is a bundles sheet, or rename the file")


def test_excel_sep_line_is_honoured(tmp_path: Path) -> None:
    bundles = tmp_path / "bundles.csv"
    bundles.write_text("sep=;\nName;Machine name;Type\nArticle;article;Content type\n")
    result = run(["check", str(bundles)], cli_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert first_line(result.stdout) == ("1 file(s): 2 tickets would be written; 0 file error(s), 0 row error(s), "
                                         "0 warning(s)")


def test_a_refused_cell_names_its_column_and_an_empty_folder_says_so(tmp_path: Path) -> None:
    bundles = tmp_path / "bundles.csv"
    bundles.write_text(f"Name,Machine name,Type,Description\nArticle,article,Content type,{'x' * 33_000}\n")
    refused = run(["check", str(bundles)], cli_env(tmp_path))
    assert refused.returncode == 2
    assert first_line(refused.stderr) == ("error: bundles.csv row 2, Description: a cell holds more than 32000 "
                                          "characters — shorten that cell; long notes belong in a linked document")
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = run(["generate", str(empty)], cli_env(tmp_path))
    assert nothing.returncode == 2
    assert nothing.stderr == f"ticketbot: {empty}: the folder holds no spec files (.csv, .tsv, .txt or .xlsx)\n"


# ---- 8: exit codes of their own ------------------------------------------------------------------------


def test_an_unreachable_database_is_an_integration_failure(tmp_path: Path) -> None:
    env = cli_env(tmp_path, DATABASE_URL="postgresql+psycopg://ticketbot@127.0.0.1:1/nowhere")
    result = run(["generate", *acme_files(), "--out", str(tmp_path / "out"), "--quiet"], env)
    assert result.returncode == 3
    assert result.stderr == ("ticketbot: cannot reach the database at postgresql+psycopg://127.0.0.1:1 "
                             "(OperationalError); check DATABASE_URL\n")


def test_an_internal_error_is_one_line_and_a_log_file(tmp_path: Path) -> None:
    db = state_db(tmp_path)
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not a SQLite database, it was damaged" * 20)
    result = run(["generate", str(EXAMPLE_SPEC), "--out", str(tmp_path / "out"), "--quiet"], cli_env(tmp_path))
    assert result.returncode == 4
    log = db.parent / "last-error.log"
    assert result.stderr == f"ticketbot: internal error (DatabaseError); the details are in {log}\n"
    assert "Traceback" in log.read_text()


def test_the_exit_codes_are_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    for line in ("| 0 |", "| 1 |", "| 2 |", "| 3 |", "| 4 |", "| 130 |"):
        assert line in readme
    help_text = run(["--help"], cli_env(Path("/nonexistent"))).stdout
    assert "3 Jira, the LLM, Redis or a worker failed   4 internal error   130 interrupted" in help_text


# ---- 9: discoverability --------------------------------------------------------------------------------


def test_version_and_help_of_every_subcommand(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    version = run(["--version"], env)
    assert version.returncode == 0 and version.stdout == "ticketbot 0.1.0\n"
    for command in (["generate"], ["check"], ["worker"], ["serve"], ["doctor"], ["health"], ["db"]):
        shown = run([*command, "--help"], env)
        assert shown.returncode == 0, command
        usage, description = shown.stdout.split("\n\n")[:2]  # argparse: usage, then the description
        assert usage.startswith(f"usage: ticketbot {command[0]}") and len(description) > 20, command
        assert "\nexample" in shown.stdout and "\nenvironment" in shown.stdout, command
    assert "OPENAI_API_KEY" in run(["generate", "--help"], env).stdout
    assert not (tmp_path / "xdg").exists()  # help touches no state


def test_check_validates_without_a_database_and_json_and_quiet_are_for_scripts(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    checked = run(["check", str(EXAMPLE_SPEC), "--json", "--quiet"], env)
    assert checked.returncode == 0 and checked.stderr == ""
    summary = json.loads(checked.stdout)
    assert summary["files"] == sorted(p.name for p in EXAMPLE_SPEC.glob("*.csv"))
    assert summary["tickets"] == 38 and sum(summary["groups"].values()) == 38 and summary["exit_code"] == 0
    assert summary["problems"] == {"file_errors": 0, "row_errors": 0, "warnings": 2}
    assert not (tmp_path / "xdg").exists()  # no database
    generated = run(["generate", str(EXAMPLE_SPEC), "--out", str(tmp_path / "out"), "--json"], env)
    assert generated.returncode == 0 and generated.stderr.startswith("warning: ")
    summary = json.loads(generated.stdout)
    assert summary["tickets"] == 38 and summary["state"] == str(state_db(tmp_path))
    quiet = run(["generate", str(EXAMPLE_SPEC), "--out", str(tmp_path / "out"), "--quiet"], env)
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""


def test_the_worker_says_when_it_listens(pg_url: str, redis_url: str, tmp_path: Path) -> None:
    worker = WorkerProcess(worker_env(pg_url, redis_url, LOG_LEVEL="WARNING"), tmp_path / "worker.log")
    try:
        wait_for(lambda: "listening" in worker.output(), 60, "the worker's first line")
    finally:
        worker.stop()
    assert first_line(worker.output()) == (f"ticketbot worker ticketbot-{socket.gethostname()}-{worker.process.pid}: "
                                           f"listening on queue ticketbot-test at {display_url(redis_url)}; "
                                           "Ctrl-C stops it")


def test_generate_queue_without_a_worker_says_so(pg_url: str, redis_url: str, tmp_path: Path) -> None:
    env = worker_env(pg_url, redis_url, LOG_LEVEL="WARNING")
    result = run(["generate", str(EXAMPLE_SPEC), "--queue", "--quiet", "--out", str(tmp_path / "out")], env,
                 timeout=120)
    assert result.returncode == 3
    assert first_line(result.stderr) == (
        "ticketbot: queue ticketbot-test: 1 waiting, 0 worker(s); start `ticketbot worker`, or runs will wait; the "
        "run stays queued and starts when one does — run the same command again to follow it")


def test_health_says_what_failed(redis_url: str, tmp_path: Path) -> None:
    env = cli_env(tmp_path, REDIS_URL=redis_url, PORT="9")
    worker = run(["health", "--worker"], env)
    assert worker.returncode == 3
    assert first_line(worker.stderr).startswith("ticketbot health --worker: no `ticketbot worker` of host ")
    serve = run(["health", "--serve"], env)
    assert serve.returncode == 3
    assert first_line(serve.stderr).startswith("ticketbot health --serve: nothing answers http://127.0.0.1:9/healthz")


# ---- 10: the cost before spending, and an ETA --------------------------------------------------------------


def test_an_llm_run_is_estimated_before_it_starts(tmp_path: Path) -> None:
    with FakeOpenAIServer() as fake:
        env = cli_env(tmp_path, LLM_PROVIDER="openai", OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=fake.base_url,
                      OPENAI_MODEL="gpt-fake-mini", TICKETBOT_LLM_PRICES='{"gpt-fake-mini": [1.0, 2.0]}')
        result = run(["generate", *acme_files(), "--out", str(tmp_path / "out")], env)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    estimate = next(line for line in lines if line.startswith("LLM run: "))
    figures = re.fullmatch(r"LLM run: about 38 calls, ≈ ([\d,]+) prompt \+ ([\d,]+) completion tokens, "
                           r"≈ \$([\d.]+) with gpt-fake-mini, ~40 s", estimate)  # ⌈38 / 8⌉ rounds of 8 s
    assert figures, estimate
    prompt, completion = (int(figures[i].replace(",", "")) for i in (1, 2))
    assert completion == 38 * 700 and prompt > 38 * 100  # counted from the 38 real prompts
    assert figures[3] == f"{(prompt * 1.0 + completion * 2.0) / 1_000_000:.2f}"  # the overriding price table
    bars = [line for line in lines if line.startswith("Writing tickets ")]
    assert lines.index(estimate) < lines.index(bars[0])  # said before anything is spent
    # Before the first ticket is back the bar shows the estimate's time; then the measured rate's.
    assert re.fullmatch(r"Writing tickets ░{24}   0% 0/38 ETA 40 s .+", bars[0]), bars[0]
    assert all(re.search(r" \d+/38 ETA \d+( min \d\d)? s ", bar) for bar in bars[1:-1]), bars
    assert " ETA " not in bars[-1] and " 38/38 " in bars[-1]
    priced_badly = run(["generate", *acme_files()], dict(env, TICKETBOT_LLM_PRICES="cheap"))
    assert priced_badly.returncode == 2 and "TICKETBOT_LLM_PRICES: must be a JSON object" in priced_badly.stderr


def test_an_unpriced_model_says_its_cost_is_unknown(tmp_path: Path) -> None:
    with FakeOpenAIServer() as fake:
        env = cli_env(tmp_path, LLM_PROVIDER="openai", OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=fake.base_url,
                      OPENAI_MODEL="gpt-fake-mini", LLM_CONCURRENCY="2")
        result = run(["generate", str(EXAMPLE_SPEC / "bundles.csv"), "--out", str(tmp_path / "out")], env)
    assert result.returncode == 0, result.stderr
    estimate = next(line for line in result.stderr.splitlines() if line.startswith("LLM run: "))
    assert re.fullmatch(r"LLM run: about \d+ calls, ≈ [\d,]+ prompt \+ [\d,]+ completion tokens, cost unknown "
                        r"\(no price in TICKETBOT_LLM_PRICES\) with gpt-fake-mini, ~\d+ s", estimate), estimate


def test_the_template_writer_has_no_estimate(tmp_path: Path) -> None:
    result = run(["generate", *acme_files(), "--out", str(tmp_path / "out")], cli_env(tmp_path))
    assert result.returncode == 0 and "LLM run:" not in result.stderr and "Tokens:" not in result.stdout


def test_the_eta_comes_from_the_measured_rate() -> None:
    now = [100.0]
    stream = io.StringIO()
    progress = TerminalProgress(stream, clock=lambda: now[0])
    progress.initial_eta_s = 130
    progress.update(0, 40)
    now[0] += 10
    progress.update(4, 40)  # 4 tickets in 10 s: 36 left take 90 s
    now[0] += 10
    progress.update(10, 40)  # 10 in 20 s: 30 left take 60 s
    progress.update(40, 40)
    assert [line.rsplit("% ", 1)[1] for line in stream.getvalue().splitlines()] == [
        "0/40 ETA 2 min 10 s", "4/40 ETA 1 min 30 s", "10/40 ETA 1 min 00 s", "40/40"]


def test_a_resumed_run_measures_its_rate_from_where_it_resumed() -> None:
    now = [0.0]
    stream = io.StringIO()
    progress = TerminalProgress(stream, clock=lambda: now[0])
    progress.update(300, 400)  # 300 were written by the interrupted run: they say nothing about this one's rate
    now[0] += 50
    progress.update(350, 400)
    assert stream.getvalue().splitlines()[-1].endswith(" 350/400 ETA 50 s")


# ---- 12: state where a user expects it, bounded --------------------------------------------------------


def test_state_lives_in_the_xdg_data_folder_and_is_said(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    result = run(["generate", *acme_files(), "--out", "out"], cli_env(tmp_path), cwd=work)
    assert result.returncode == 0, result.stderr
    state = next(line for line in result.stderr.splitlines() if line.startswith("state: "))
    assert state.startswith(f"state: {state_db(tmp_path)} (run cli-")
    assert sorted(p.name for p in work.iterdir()) == ["out"]
    assert_nothing_left_behind(work / "out")
    home_default = run(["generate", *acme_files(), "--out", "out", "--quiet"],
                       {k: v for k, v in cli_env(tmp_path).items() if k != "XDG_DATA_HOME"}, cwd=work)
    assert home_default.returncode == 0
    assert (tmp_path / "home" / ".local" / "share" / "ticketbot" / "ticketbot.db").exists()


def test_old_cli_runs_are_pruned(tmp_path: Path) -> None:
    from storage.database import make_engine, make_session_factory
    from storage.migrate import upgrade
    from storage.uow import unit_of_work_factory

    engine = make_engine(f"sqlite:///{tmp_path / 'state.db'}")
    upgrade(engine)
    uow_factory = unit_of_work_factory(make_session_factory(engine))
    with uow_factory() as uow:
        ids = [uow.sessions.add(channel_id=f"cli-{i}", created_by="cli", status="review").id for i in range(25)]
        slack = uow.sessions.add(channel_id="C0123", created_by="U1", status="review").id
        running = uow.sessions.add(channel_id="cli-running", created_by="cli", status="processing").id
        uow.commit()
    with uow_factory() as uow:
        assert uow.sessions.prune("cli", 20) == 5
        uow.commit()
    with sqlite3.connect(tmp_path / "state.db") as db:
        left = {row[0] for row in db.execute("SELECT id FROM sessions")}
    assert left == {*ids[5:], slack, running}
    engine.dispose()


def test_repeated_runs_keep_the_database_bounded(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    bundles = tmp_path / "bundles.csv"
    for i in range(3):
        bundles.write_text(f"Name,Machine name,Type\nArticle {i},article_{i},Content type\n")
        assert run(["generate", str(bundles), "--out", str(tmp_path / "out"), "--quiet"], env).returncode == 0
    with sqlite3.connect(state_db(tmp_path)) as db:
        assert db.execute("SELECT count(*) FROM sessions").fetchone() == (3,)


# ---- 11: --help pays for no heavy import (its speed is measured by `make bench`, bench/cli_wall.py) -------


def test_help_and_version_import_no_database_queue_or_jira_library(tmp_path: Path) -> None:
    for args in (["--help"], ["--version"], ["generate", "--help"]):
        shown = subprocess.run([sys.executable, "-X", "importtime", "-m", "bot.cli.main", *args], cwd=ROOT,
                               env=cli_env(tmp_path), capture_output=True, text=True, timeout=60)
        assert shown.returncode == 0, shown.stderr
        imported = {line.rsplit("|", 1)[1].strip() for line in shown.stderr.splitlines() if "|" in line}
        assert "bot.wiring.settings" in imported  # the command line ran (bot.cli.main itself is __main__)
        heavy = {name for name in imported if name.split(".")[0] in ("sqlalchemy", "alembic", "jira", "rq", "redis",
                                                                     "openai", "slack_bolt", "openpyxl")}
        assert heavy == set(), (args, sorted(heavy))


# ---- 12/13: the SQLite default is the command line's; serve and workers need PostgreSQL ----------------


@pytest.mark.parametrize("command", ["worker", "serve"])
def test_serve_and_worker_refuse_the_sqlite_default(tmp_path: Path, command: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    env = cli_env(tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xapp-1")
    result = run([command], env, cwd=work, timeout=60)
    assert result.returncode == 2
    assert result.stderr == (f"ticketbot {command}: needs the PostgreSQL database that `serve` and every worker "
                             "share: set DATABASE_URL=postgresql+psycopg://USER@HOST/DB (the SQLite default is for "
                             "the command line only)\n")
    assert list(work.iterdir()) == [] and not (tmp_path / "xdg").exists()


def test_doctor_and_db_upgrade_use_the_command_lines_state(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    env = cli_env(tmp_path)
    upgraded = run(["db", "upgrade"], env, cwd=work, timeout=60)
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.startswith("database at revision 0")
    doctor = run(["doctor"], env, cwd=work, timeout=60)
    assert first_line(doctor.stdout).startswith("✓ Database: sqlite, schema 0")
    assert list(work.iterdir()) == [] and state_db(tmp_path).exists()


def test_the_readme_has_the_quick_start_the_importer_mapping_and_make_clean() -> None:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("### Run the Slack bot yourself")
    steps = readme[start:readme.index("\n### ", start + 1)]
    for n, needle in enumerate(["PostgreSQL and Redis", "Install", "Environment", "Schema", "Processes", "Check",
                                "First upload"], start=1):
        assert f"\n{n}. **{needle}" in steps, needle
    assert "`.env` is read only by `docker\n   compose`" in steps and "ticketbot doctor" in steps
    section = readme[readme.index("### Importing the CSV"):]
    section = section[:section.index("\n#", 5)]
    mapping = "\n".join(line for line in section.splitlines() if line.startswith("| "))
    header = subprocess.run([sys.executable, "-c", "import sys; from integrations.exports.jira_csv import "
                             "render_jira_csv; from integrations.tickets import SiteContext; "
                             "sys.stdout.write(render_jira_csv([], SiteContext('x')).splitlines()[0])"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for column in dict.fromkeys(header.split(",")):
        assert f"`{column}`" in mapping, column  # every column the file has is in the mapping table
    assert "`make clean`" in readme
