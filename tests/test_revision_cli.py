"""`ticketbot generate … --since PREVIOUS/tickets.json`: a real CLI process, the OpenAI writer against the local
fake server. The change is printed before any work, only new and changed tickets reach the LLM, unchanged
ones are copies, and tickets.json carries each ticket's change kind, changes and versions."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.workers import ROOT, worker_env

EXAMPLES = ROOT / "examples"
CHANGED = {"core.extension", "node.type.event", "foundation.provided", "user.role.gear_reviewer",
           "user.role.publisher", "views.view.gear_reviews"}
NEW = {"taxonomy.vocabulary.event_type"}
REMOVED = "block_content.type.promo_banner"


def generate(folder: str, out: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    files = [str(p) for p in sorted((EXAMPLES / folder).glob("*.csv"))]
    return subprocess.run([sys.executable, "-m", "bot.cli.main", "generate", *files, "--site", "Acme Outdoors",
                           "--out", str(out), "--yes", *extra], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def config_names(fake: FakeOpenAIServer) -> list[str]:
    found = []
    for body in fake.chat_requests:
        text = "\n".join(str(m.get("content") or "") for m in body.get("messages") or [])
        match = re.search(r'"config_name":\s*"([^"]+)"', text)
        found.append(match[1] if match else "?")
    return found


def test_since_writes_only_new_and_changed_tickets_and_keeps_the_history(tmp_path: Path) -> None:
    with FakeOpenAIServer() as fake:
        env = worker_env(f"sqlite:///{tmp_path / 'ticketbot.db'}", "redis://127.0.0.1:1/0", LLM_PROVIDER="openai",
                         OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=fake.base_url, OPENAI_MODEL=fake.model)
        first = generate("acme", tmp_path / "out", env)
        assert first.returncode == 0, first.stderr
        assert len(fake.chat_requests) == 38
        fake.reset()

        since = tmp_path / "out" / "tickets.json"
        revised = generate("acme-revised", tmp_path / "revised", env, "--since", str(since))
        assert revised.returncode == 0, revised.stderr
        assert f"Compared with {since}: 31 unchanged, 6 changed (" in revised.stderr
        assert "Event: field Capacity added" in revised.stderr and "), 1 new, 1 removed" in revised.stderr
        assert f"Revision of {since}: 31 unchanged" in revised.stdout
        assert "about 7 calls" in revised.stderr  # the estimate counts only what is written
        assert sorted(config_names(fake)) == sorted(CHANGED | NEW)  # unchanged ones: no writer call

    before = {t["key"]: t for t in json.loads(since.read_text())}
    after = {t["key"]: t for t in json.loads((tmp_path / "revised" / "tickets.json").read_text())}
    kinds = {k: t["change_kind"] for k, t in after.items()}
    assert {k for k, v in kinds.items() if v == "changed"} == CHANGED
    assert {k for k, v in kinds.items() if v == "new"} == NEW
    assert {k for k, v in kinds.items() if v == "removed"} == {REMOVED}
    unchanged = [k for k, v in kinds.items() if v == "unchanged"]
    assert len(unchanged) == 31
    for key in unchanged:  # copied as they were, with both versions
        assert (after[key]["title"], after[key]["analysis"]) == (before[key]["title"], before[key]["analysis"])
        assert [v["change_kind"] for v in after[key]["versions"]] == ["", "unchanged"]
        # The rows are the revised sheets' (a row inserted above moves them down), their cells the same.
        assert [r["values"] for r in after[key]["source_rows"]] == [r["values"] for r in before[key]["source_rows"]]
    event = after["node.type.event"]
    assert event["changes"] == [{"what": "field Capacity added", "file": "fields.csv", "row": 25, "column": "",
                                 "old": "", "new": ""}]
    assert [v["writer"] for v in event["versions"]] == [f"openai/{fake.model}"] * 2
    assert any(r["values"].get("machine_name") == "field_capacity" for r in event["source_rows"])
    assert after[REMOVED]["changes"][0]["what"] == "custom block type Promo banner marked X = d"
    assert after[REMOVED]["title"] == before[REMOVED]["title"]  # proposed for closing: the old ticket's text
    assert [v["change_kind"] for v in after["taxonomy.vocabulary.event_type"]["versions"]] == ["new"]

    # The revision of the revision: the file it wrote is compared with in turn; nothing changed now.
    with FakeOpenAIServer() as fake:
        env = {**env, "OPENAI_BASE_URL": fake.base_url}
        again = generate("acme-revised", tmp_path / "again", env, "--since", str(tmp_path / "revised" / "tickets.json"))
        assert again.returncode == 0, again.stderr
        assert "39 unchanged, 0 changed, 0 new, 0 removed" in again.stderr, again.stderr
        assert fake.chat_requests == []
    third = {t["key"]: t for t in json.loads((tmp_path / "again" / "tickets.json").read_text())}
    assert [v["change_kind"] for v in third["node.type.event"]["versions"]] == ["", "changed", "unchanged"]


def test_since_refuses_a_file_it_cannot_compare_with_before_any_work(tmp_path: Path) -> None:
    env = worker_env(f"sqlite:///{tmp_path / 'ticketbot.db'}", "redis://127.0.0.1:1/0")
    cases = {"missing.json": None, "notjson.json": b"<html>", "old.json": json.dumps([{"key": "node.type.event",
                                                                                        "title": "Event"}]).encode()}
    answers = {}
    for name, data in cases.items():
        if data is not None:
            (tmp_path / name).write_bytes(data)
        result = generate("acme", tmp_path / "out", env, "--since", str(tmp_path / name))
        assert result.returncode == 2 and "Traceback" not in result.stderr
        answers[name] = result.stderr
    assert "cannot read it" in answers["missing.json"]
    assert "it is not a JSON file" in answers["notjson.json"]
    assert "ticket node.type.event has no source_rows: it was written by an older ticketbot" in answers["old.json"]
    assert not (tmp_path / "out" / "tickets.json").exists()
