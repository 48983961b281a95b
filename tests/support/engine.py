"""Processing services wired for tests: a real database, the in-process queue, and test writers."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from integrations.tickets import SiteContext, TicketBrief, TicketContent, Usage
from integrations.writers.base import WriterHealth
from integrations.writers.errors import WriterUnavailable
from integrations.writers.template import TemplateWriter
from jobs.conversation.uploads import upload_fields
from jobs.generation.notify import ProgressUpdate, RunOutcome
from jobs.generation.service import ProcessingConfig, ProcessingService
from jobs.tasks.job_kinds import JobKind
from jobs.tasks.job_queue import InlineQueue, JobQueue
from jobs.worker.runs import generation_run, regeneration_run
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory, unit_of_work_factory

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme"


class ScriptedWriter:
    """The template writer's text, with knobs a test can turn: delay, failures, fallbacks, health."""

    name = "scripted"
    max_seconds_per_ticket = 5.0

    def __init__(self, concurrency: int = 1) -> None:
        self.concurrency = concurrency
        self.template = TemplateWriter()
        self.delay_s = 0.0
        self.fail_keys: set[str] = set()  # raise a temporary WriterError for these
        self.fallback_keys: set[str] = set()  # answer with a template fallback for these
        self.healthy = WriterHealth(True, "ok")
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def write(self, brief: TicketBrief, site: SiteContext) -> TicketContent:
        with self.lock:
            self.calls.append(brief.key)
        if self.delay_s:
            time.sleep(self.delay_s)
        if brief.key in self.fail_keys:
            raise WriterUnavailable("the LLM server answered 503 three times")
        content = self.template.write(brief, site)
        usage = Usage(100, 50, 10)
        if brief.key in self.fallback_keys:
            return TicketContent(content.title, content.user_story, content.analysis, content.verification,
                                 "template-fallback", usage=usage, fallback_reason="the answer had no title")
        return TicketContent(content.title, content.user_story, content.analysis, content.verification,
                             self.name, model="scripted-1", prompt_version="t1", usage=usage)

    def health(self) -> WriterHealth:
        return self.healthy


@dataclass
class RecordingNotifier:
    progress_updates: list[ProgressUpdate] = field(default_factory=list)
    written: list[int] = field(default_factory=list)
    outcomes: list[RunOutcome] = field(default_factory=list)

    def progress(self, update: ProgressUpdate) -> None:
        self.progress_updates.append(update)

    def ticket_written(self, session_id: int, ticket_id: int) -> None:
        self.written.append(ticket_id)

    def run_finished(self, outcome: RunOutcome) -> None:
        self.outcomes.append(outcome)


@dataclass
class Engine:
    service: ProcessingService
    uow_factory: UnitOfWorkFactory
    writer: ScriptedWriter
    notifier: RecordingNotifier
    progress: list[tuple[float, str]]


def build_engine(database_url: str, writer: ScriptedWriter | None = None, queue: JobQueue | None = None,
                 config: ProcessingConfig | None = None) -> Engine:
    engine = make_engine(database_url)
    upgrade(engine)
    uow_factory = unit_of_work_factory(make_session_factory(engine))
    writer = writer or ScriptedWriter()
    notifier = RecordingNotifier()
    progress: list[tuple[float, str]] = []
    holder: list[ProcessingService] = []

    def generate(task_id: int) -> None:
        service = holder[0]
        generation_run(service, service.session_of_task(task_id), task_id,
                       lambda pct, stage, details: progress.append((pct, stage)), "test").execute()

    def regenerate(task_id: int) -> None:
        regeneration_run(holder[0], task_id, "test").execute()

    inline = InlineQueue({JobKind.GENERATION: generate, JobKind.REGENERATION: regenerate})
    service = ProcessingService(uow_factory=uow_factory, writer=writer, queue=queue or inline,
                                notifier=notifier, config=config or ProcessingConfig(lease_s=3))
    holder.append(service)
    return Engine(service, uow_factory, writer, notifier, progress)


def new_session(uow_factory: UnitOfWorkFactory, files: dict[str, bytes] | None = None,
                channel: str = "C0TEST", site: str = "Acme Outdoors") -> int:
    """A collecting session holding `files` (default: the example spec) as uploads."""
    if files is None:
        files = {p.name: p.read_bytes() for p in sorted(EXAMPLE.glob("*.csv"))}
    with uow_factory() as uow:
        session = uow.sessions.add(channel_id=channel, site_name=site, created_by="U0TEST")
        for name, data in files.items():
            add_upload(uow, session.id, name, data)
        uow.commit()
        return session.id


def add_upload(uow, session_id: int, name: str, data: bytes) -> None:  # type: ignore[no-untyped-def]
    """Stored as Slack uploads and the CLI store them (jobs/conversation/uploads.py: upload_fields)."""
    digest = hashlib.sha256(data).hexdigest()
    uow.uploads.add(session_id, **upload_fields(name, data, file_id=f"F{digest[:10]}{name}", uploaded_by="U0TEST"))
