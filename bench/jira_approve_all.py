"""Approve-all of the VA.gov spec against the local fake Jira server: requests by kind and wall time.

The whole path of a Slack approve-all, in one process: the spec is planned and written (template
writer) into a fresh database, then `PublishingService.approve_all` pushes every ticket through the
real gateway and `jira` library to the fake Jira over loopback. Checked against docs/design.md §12: approve-all
of N tickets uses ≤ ⌈N/50⌉ create requests plus one per new epic, plus the links.

Run alone: python -m bench.jira_approve_all [--flavor cloud|server] [--latency 0.05]   (prints one JSON line)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

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

VA_GOV = Path(__file__).resolve().parents[2] / "shared" / "specs" / "drupal-spec-tool" / "va-gov-cms"


def generated_session(uow_factory: UnitOfWorkFactory) -> int:
    """A session holding the VA.gov files, generated in this process with the template writer."""
    import hashlib

    holder: list[ProcessingService] = []
    queue = InlineQueue({JobKind.GENERATION: lambda task_id: generation_run(
        holder[0], holder[0].session_of_task(task_id), task_id, lambda *_: None, "bench").execute()})
    processing = ProcessingService(uow_factory=uow_factory, writer=TemplateWriter(), queue=queue,
                                   config=ProcessingConfig())
    holder.append(processing)
    with uow_factory() as uow:
        session = uow.sessions.add(channel_id="C0BENCH", site_name="VA.gov", created_by="bench")
        for path in sorted(VA_GOV.glob("*.csv")):
            data = path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            uow.uploads.add(session.id, **upload_fields(path.name, data, file_id=f"F{digest[:12]}",
                                                        uploaded_by="bench"))
        uow.commit()
        session_id = session.id
    processing.generate_tickets(session_id, requested_by="bench", start_anyway=True)
    return session_id


def measure(flavor: str, latency: float, database_url: str) -> dict[str, object]:
    engine = make_engine(database_url)
    upgrade(engine)
    uow_factory = unit_of_work_factory(make_session_factory(engine))
    session_id = generated_session(uow_factory)
    with FakeJiraServer(flavor) as fake:
        fake.latency_s = latency
        holder: list[PublishingService] = []
        publishing = PublishingService(
            uow_factory=uow_factory, gateway_factory=lambda project: JiraGateway(fake.config(project=project)),
            queue=InlineQueue({JobKind.PUSH: lambda task_id: push_run(holder[0], task_id, "bench").execute()}),
            config=PublishingConfig(default_project=fake.project, jira_url=fake.url),
        )
        holder.append(publishing)
        started = time.perf_counter()
        decision = publishing.approve_all(session_id, "bench")
        wall = time.perf_counter() - started
        counts = Counter(fake.counts())
        issues = list(fake.issues.values())
    summary = publishing.summary(session_id)
    with uow_factory() as uow:
        dependencies = len(uow.tickets.dependencies(session_id))
    engine.dispose()
    n = len(decision.approved)
    epics = sum(1 for i in issues if i.fields["issuetype"]["id"] == fake.issue_types["Epic"])
    creates = counts["bulk"] + counts["create"]
    create_budget = math.ceil(n / 50) + epics
    labels = Counter(label for i in issues for label in i.fields["labels"] if label.startswith("ticketbot-t"))
    return {
        "flavor": flavor,
        "latency_s": latency,
        "tickets": n,
        "pushed": summary.issues,
        "epics_created": epics,
        "dependencies": dependencies,
        "requests_by_kind": dict(sorted(counts.items())),
        "requests_total": sum(counts.values()),
        "create_requests": creates,
        "create_budget": create_budget,
        "link_requests": counts["link"],
        "target": "≤ ⌈N/50⌉ creates + 1 per new epic + links",
        "met": creates <= create_budget and counts["link"] <= dependencies and summary.issues == n,
        "duplicates": sum(1 for v in labels.values() if v > 1),
        "wall_s": round(wall, 3),
        "summary": summary.text,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flavor", choices=("cloud", "server"), default="cloud")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds the fake Jira adds to each answer")
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file in a temporary folder")
    args = parser.parse_args()
    if not VA_GOV.is_dir():
        print(json.dumps({"skipped": f"VA.gov spec not found at {VA_GOV}"}))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        print(json.dumps(measure(args.flavor, args.latency, url), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
