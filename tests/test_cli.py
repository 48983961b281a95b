"""The `ticketbot` command line as a user runs it: a real process, real files, real exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from storage.migrate import head_revision
from tests.conftest import EXAMPLE_SPEC
from tests.support.workers import ROOT, WorkerProcess, worker_env


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli.main", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_generate_on_the_embedded_default(tmp_path: Path) -> None:
    env = worker_env(f"sqlite:///{tmp_path / 'ticketbot.db'}", "redis://127.0.0.1:1/0")
    result = run(["generate", *map(str, sorted(EXAMPLE_SPEC.glob("*.csv"))), "--site", "Acme Outdoors",
                  "--out", str(tmp_path / "out")], env, ROOT)
    assert result.returncode == 0, result.stderr
    assert "Acme Outdoors: 38 tickets" in result.stdout
    # A complete spec: every dependency stated, nothing left to make certain.
    assert "\nDependencies: 50 stated, 0 inferred.\n" in result.stdout
    assert "\nDependencies: 50 stated, 0 inferred.\n" in (tmp_path / "out" / "tickets.md").read_text()
    assert "100%" in result.stderr
    tickets = json.loads((tmp_path / "out" / "tickets.json").read_text())
    assert len(tickets) == 38
    assert set(tickets[0]) == {"key", "group", "title", "user_story", "analysis", "verification", "depends_on",
                               "sources", "acceptance", "estimate", "open_questions", "risks", "label", "kind",
                               "action", "modules", "change_kind", "changes", "versions", "source_rows"}
    assert {t["change_kind"] for t in tickets} == {""} and all(len(t["versions"]) == 1 for t in tickets)
    # The code-made estimate and acceptance criteria survive the database round trip.
    assert all(t["estimate"]["size"] in ("XS", "S", "M", "L", "XL") and t["estimate"]["reason"] for t in tickets)
    assert all(t["acceptance"] for t in tickets)


def test_a_behat_layout_spec_says_what_is_inferred_and_which_columns_would_help(tmp_path: Path) -> None:
    env = worker_env(f"sqlite:///{tmp_path / 'ticketbot.db'}", "redis://127.0.0.1:1/0")
    (tmp_path / "bundles.csv").write_text("Name,Machine name,Type\nArticle,article,Content type\n"
                                          "Tags,tags,Vocabulary\n")
    (tmp_path / "fields.csv").write_text("Bundle,Field label,Machine name,Field type,Form widget\n"
                                         "Article (Content type),Tags,field_tags,Entity reference,Autocomplete\n")
    text = run(["check", str(tmp_path / "bundles.csv"), str(tmp_path / "fields.csv")], env, ROOT)
    assert text.returncode == 0, text.stderr
    assert ("Dependencies: 0 stated, 1 inferred; to make the order certain add fields: Ref. bundle — 1 reference "
            "field names no target.") in text.stdout
    assert ("warning: fields.csv, Ref. bundle: 1 reference field(s) name no target bundle (field_tags)"
            in text.stderr)
    as_json = run(["check", "--json", str(tmp_path / "bundles.csv"), str(tmp_path / "fields.csv")], env, ROOT)
    assert json.loads(as_json.stdout)["dependencies"] == {
        "stated": 0, "inferred": 1, "missing_columns": ["fields: Ref. bundle — 1 reference field names no target"]}


def test_exit_codes(tmp_path: Path) -> None:
    env = worker_env(f"sqlite:///{tmp_path / 'ticketbot.db'}", "redis://127.0.0.1:1/0")
    bad = tmp_path / "bundles.csv"
    bad.write_text("Name,Machine name,Type\nArticle,article,Content type\nBad,Bad Name,Content type\n")
    errors = run(["generate", str(bad), "--out", str(tmp_path / "o1")], env, ROOT)
    assert errors.returncode == 1
    assert "error: bundles.csv row 3, Machine name: invalid machine name 'Bad Name'" in errors.stderr
    assert (tmp_path / "o1" / "tickets.json").exists()  # the valid part is still written
    junk = tmp_path / "notes.csv"
    junk.write_text("Colour,Size\nRed,M\n")
    assert run(["generate", str(junk), "--out", str(tmp_path / "o2")], env, ROOT).returncode == 2
    assert run(["generate", str(tmp_path / "missing.csv")], env, ROOT).returncode == 2
    assert run(["frobnicate"], env, ROOT).returncode == 2
    broken = dict(env, PORT="not-a-port", LLM_CONCURRENCY="0")
    misconfigured = run(["generate", str(bad)], broken, ROOT)
    assert misconfigured.returncode == 2
    assert "PORT" in misconfigured.stderr and "LLM_CONCURRENCY" in misconfigured.stderr


def test_db_upgrade_twice_is_harmless(pg_url: str, tmp_path: Path) -> None:
    env = worker_env(pg_url, "redis://127.0.0.1:1/0")
    for _ in range(2):
        result = run(["db", "upgrade"], env, ROOT)
        assert result.returncode == 0, result.stderr
        assert f"database at revision {head_revision()}" in result.stdout


def test_generate_through_the_queue_and_a_worker(pg_url: str, redis_url: str, tmp_path: Path) -> None:
    env = worker_env(pg_url, redis_url)
    worker = WorkerProcess(env, tmp_path / "worker.log")
    try:
        result = run(["generate", str(EXAMPLE_SPEC), "--queue", "--out", str(tmp_path / "out")], env, ROOT)
    finally:
        worker.stop()
    assert result.returncode == 0, result.stderr + worker.output()
    assert "Acme: 38 tickets" in result.stdout
    assert len(json.loads((tmp_path / "out" / "tickets.json").read_text())) == 38


def test_burst_worker_drains_the_queue_and_stops(pg_url: str, redis_url: str, tmp_path: Path) -> None:
    from redis import Redis

    from jobs.tasks.rq_queue import RQJobQueue
    from tests.support.engine import build_engine, new_session

    engine = build_engine(pg_url, queue=RQJobQueue(Redis.from_url(redis_url), "ticketbot-test"))
    sessions = [new_session(engine.uow_factory, channel=f"C0{i}") for i in range(2)]
    for session_id in sessions:
        engine.service.generate_tickets(session_id)
    worker = WorkerProcess(worker_env(pg_url, redis_url), tmp_path / "burst.log", burst=True)
    assert worker.process.wait(timeout=120) == 0
    worker.stop()
    for session_id in sessions:
        assert engine.service.get_processing_status(session_id).task_status == "completed"


def test_the_jira_import_file_has_one_run_label_story_points_and_the_epic_mode_of_jira_epics(tmp_path: Path) -> None:
    import csv

    files = [*map(str, sorted(EXAMPLE_SPEC.glob("*.csv")))]
    for epics, out in (("", "parent"), ("epic-link", "link")):
        env = {**worker_env(f"sqlite:///{tmp_path / 'ticketbot.db'}", "redis://127.0.0.1:1/0"), "JIRA_EPICS": epics}
        result = run(["generate", *files, "--site", "Acme Outdoors", "--out", str(tmp_path / out)], env, ROOT)
        assert result.returncode == 0, result.stderr
    tickets = json.loads((tmp_path / "parent" / "tickets.json").read_text())
    header, *rows = list(csv.reader((tmp_path / "parent" / "jira-import.csv").open(newline="", encoding="utf-8")))
    records = [dict(zip(header, row, strict=True)) for row in rows]
    assert header.count("Labels") == 1 and "Epic Link" not in header and "Epic Name" not in header
    labels = {r["Labels"] for r in records}
    assert len(labels) == 1 and labels.pop().startswith("ticketbot-cli-")
    stories = [r for r in records if r["Issue Type"] == "Story"]
    assert [int(r["Story Points"]) for r in stories] == [t["estimate"]["story_points"] for t in tickets]
    assert [r["Component"] for r in stories] == [t["group"] for t in tickets]
    linked_header = next(csv.reader((tmp_path / "link" / "jira-import.csv").open(newline="", encoding="utf-8")))
    assert "Parent" not in linked_header and {"Epic Name", "Epic Link"} <= set(linked_header)
