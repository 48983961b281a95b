"""A revision of VA.gov changing 5 % of its rows, pushed to the fake Jira: its requests beside a fresh push's.

The VA.gov spec is generated (template writer) and pushed with approve-all, as bench/jira_approve_all.py does;
every Jira request is counted by method and path. Then a copy of the spec with 5 % of its rows changed (a
text cell — Description, Help text, Notes — gets a sentence more; the rows picked by a fixed seed) is
generated in the same channel, made a revision of the first (tests/support/revision.py until the comparison
branch merges), approved and pushed. The revision should cost a fraction of the fresh push: one read, one
update, one comment and one read-back per changed issue, nothing for the unchanged ones.

Run alone: python -m bench.jira_revision [--flavor cloud|server] [--share 0.05]   (prints one JSON line)
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.jira_approve_all import VA_GOV
from integrations.jira.gateway import JiraGateway
from integrations.writers.template import TemplateWriter
from jobs.conversation.uploads import upload_fields
from jobs.generation.service import ProcessingConfig, ProcessingService
from jobs.publishing.service import PublishingConfig, PublishingService
from jobs.tasks.job_kinds import JobKind
from jobs.tasks.job_queue import InlineQueue
from jobs.worker.runs import generation_run, push_run
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory, unit_of_work_factory
from tests.fakes.jira_server import FakeJiraServer
from tests.support.revision import revision_of

TEXT_COLUMNS = ("description", "help text", "notes", "settings/notes")
SEED = 16


def revised(files: dict[str, bytes], share: float) -> tuple[dict[str, bytes], int, int]:
    """The files with `share` of their data rows changed in a text cell; (files, rows changed, rows in all)."""
    tables: dict[str, tuple[list[str], list[list[str]], int | None]] = {}
    candidates: list[tuple[str, int]] = []
    total = 0
    for name, data in files.items():
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        if not rows:
            continue
        header, body = rows[0], rows[1:]
        total += len(body)
        column = next((i for i, h in enumerate(header) if h.strip().lower() in TEXT_COLUMNS), None)
        tables[name] = (header, body, column)
        if column is not None:
            candidates += [(name, i) for i, row in enumerate(body) if len(row) > column and any(c.strip() for c in row)]
    picked = random.Random(SEED).sample(candidates, min(len(candidates), round(total * share)))
    for name, index in picked:
        _, body, column = tables[name]
        assert column is not None
        cell = body[index][column]
        body[index][column] = (cell + " " if cell else "") + "Revised for the benchmark."
    out = {}
    for name, (header, body, _) in tables.items():
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows([header, *body])
        out[name] = buffer.getvalue().encode()
    return out, len(picked), total


def generated_session(uow_factory: UnitOfWorkFactory, files: dict[str, bytes]) -> int:
    holder: list[ProcessingService] = []
    queue = InlineQueue({JobKind.GENERATION: lambda task_id: generation_run(
        holder[0], holder[0].session_of_task(task_id), task_id, lambda *_: None, "bench").execute()})
    processing = ProcessingService(uow_factory=uow_factory, writer=TemplateWriter(), queue=queue,
                                   config=ProcessingConfig())
    holder.append(processing)
    with uow_factory() as uow:
        session = uow.sessions.add(channel_id="C0BENCH", site_name="VA.gov", created_by="bench")
        for name, data in sorted(files.items()):
            digest = hashlib.sha256(data).hexdigest()
            uow.uploads.add(session.id, **upload_fields(name, data, file_id=f"F{digest[:12]}", uploaded_by="bench"))
        uow.commit()
        session_id = session.id
    processing.generate_tickets(session_id, requested_by="bench", start_anyway=True)
    return session_id


def push(uow_factory: UnitOfWorkFactory, fake: FakeJiraServer, session_id: int) -> tuple[Counter[str], float, str]:
    holder: list[PublishingService] = []
    publishing = PublishingService(
        uow_factory=uow_factory, gateway_factory=lambda project: JiraGateway(fake.config(project=project)),
        queue=InlineQueue({JobKind.PUSH: lambda task_id: push_run(holder[0], task_id, "bench").execute()}),
        config=PublishingConfig(default_project=fake.project, jira_url=fake.url))
    holder.append(publishing)
    fake.reset()
    started = time.perf_counter()
    publishing.approve_all(session_id, "bench")
    wall = time.perf_counter() - started
    return fake.endpoints(), wall, publishing.summary(session_id).text


def measure(flavor: str, share: float, database_url: str) -> dict[str, object]:
    engine = make_engine(database_url)
    upgrade(engine)
    uow_factory = unit_of_work_factory(make_session_factory(engine))
    files = {p.name: p.read_bytes() for p in sorted(VA_GOV.glob("*.csv"))}
    first = generated_session(uow_factory, files)
    with FakeJiraServer(flavor) as fake:
        fresh, fresh_wall, fresh_summary = push(uow_factory, fake, first)
        issues_after_fresh = len(fake.issues)
        changed_files, rows_changed, rows_total = revised(files, share)
        second = generated_session(uow_factory, changed_files)
        revision = revision_of(uow_factory, first, second)
        again, again_wall, again_summary = push(uow_factory, fake, second)
        duplicates = len(fake.issues) - issues_after_fresh - revision.counts()["new"]
    engine.dispose()
    fresh_total, again_total = sum(fresh.values()), sum(again.values())
    kinds = dict(revision.counts())
    per_changed = again_total / max(1, kinds.get("changed", 0) + kinds.get("removed", 0) + kinds.get("new", 0))
    return {
        "flavor": flavor,
        "rows_total": rows_total,
        "rows_changed": rows_changed,
        "tickets": kinds,
        "fresh_push": {"requests": fresh_total, "by_endpoint": dict(sorted(fresh.items())),
                       "wall_s": round(fresh_wall, 3), "summary": fresh_summary},
        "revision_push": {"requests": again_total, "by_endpoint": dict(sorted(again.items())),
                          "wall_s": round(again_wall, 3), "summary": again_summary},
        "ratio": round(again_total / max(1, fresh_total), 3),
        "requests_per_ticket_touched": round(per_changed, 2),
        "duplicates": duplicates,
        "target": "revision < fresh push, 0 duplicates, no write to an unchanged issue",
        "met": again_total < fresh_total and duplicates == 0,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flavor", choices=("cloud", "server"), default="cloud")
    parser.add_argument("--share", type=float, default=0.05, help="share of the spec's rows the revision changes")
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file in a temporary folder")
    args = parser.parse_args()
    if not VA_GOV.is_dir():
        print(json.dumps({"skipped": f"VA.gov spec not found at {VA_GOV}"}))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        print(json.dumps(measure(args.flavor, args.share, url), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
