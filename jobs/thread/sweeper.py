"""The Slack sweeper: threads that fell behind the database are brought up to date.

A worker that died while posting drafts, a Slack outage during a run's end, an edit lost to a 5xx:
the database still says what the thread should show, and every worker sweeps for sessions whose
drafts are not posted or not current, or whose progress message missed its last edit, once they
have been quiet for a while (so a live process finishing its own posting is never raced).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from integrations.slack.errors import SlackError
from jobs.tasks.clock import Clock, system_clock
from jobs.thread.outbox import SlackThread
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)


class SlackSweeper:
    def __init__(self, *, uow_factory: UnitOfWorkFactory, thread: SlackThread, clock: Clock = system_clock,
                 quiet_s: float = 60.0, max_attempts: int = 5) -> None:
        self.uow_factory = uow_factory
        self.thread = thread
        self.clock = clock
        self.quiet_s = quiet_s
        self.max_attempts = max_attempts

    def sweep_once(self) -> list[int]:
        """Sync the threads behind; returns the sessions worked on."""
        now = self.clock()
        with self.uow_factory() as uow:
            sessions = uow.messages.sessions_needing_sync(now, now - timedelta(seconds=self.quiet_s),
                                                          self.max_attempts)
        for session_id in sessions:
            try:
                left = self.thread.sync_drafts(session_id)
                self.thread.show_progress(session_id)
                log.info("slack sweep: session %s brought up to date (%s drafts still waiting)", session_id, left)
            except SlackError as exc:
                log.warning("slack sweep: session %s: %s", session_id, exc.message)
        return sessions

    def run(self, stop: threading.Event, interval_s: float) -> None:
        while not stop.is_set():
            try:
                self.sweep_once()
            except Exception:
                log.exception("slack sweep failed; trying again in %s s", interval_s)
            stop.wait(interval_s)
