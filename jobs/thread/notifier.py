"""The worker's notifier: a run's progress message and its drafts, in the session's Slack thread.

Progress goes through the throttled publisher (at most one edit per interval, the final state always)
to an editor thread that keeps the interval between the end of one edit and the start of the next.
Drafts are posted by a background thread in dependency order while the run keeps writing, so posting
at Slack's pace (about one message a second per channel) never slows the writing down; the run's end
waits for the drafts, then shows the final state: 100 % only once the last draft is in the thread.
A Slack failure never fails a run: what is not posted now is posted later by the Slack sweeper.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from integrations.slack.errors import SlackError, SlackRateLimited, SlackRejected
from jobs.generation.notify import ProgressUpdate, RunOutcome
from jobs.publishing.service import NeedsPerson, PushOutcome, PushProgress
from jobs.thread.outbox import SlackThread
from jobs.thread.throttle import ThrottledPublisher

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NotifierConfig:
    interval_s: float = 2.0  # progress edits at most this often
    drain_timeout_s: float = 600.0  # how long a run's end waits for its drafts
    backoff_s: float = 2.0  # after a Slack failure, before trying again


class DraftPoster:
    """A thread posting a session's drafts as they are written; `drain` waits for the last one."""

    def __init__(self, thread: SlackThread, session_id: int, on_change: Callable[[], None], backoff_s: float) -> None:
        self.thread = thread
        self.session_id = session_id
        self.on_change = on_change
        self.backoff_s = backoff_s
        self.wake = threading.Event()
        self.finishing = threading.Event()
        self.abandon = threading.Event()
        self.left = 0
        self.worker = threading.Thread(target=self._run, name=f"drafts-s{session_id}", daemon=True)
        self.worker.start()

    def _run(self) -> None:
        while not self.abandon.is_set():
            self.wake.wait(timeout=1.0)
            self.wake.clear()
            finishing = self.finishing.is_set()  # a pass begun after the run ended sees every ticket
            try:
                self.left = self.thread.sync_drafts(self.session_id, self.on_change, self.abandon.is_set)
            except SlackRejected as exc:
                if exc.not_in_channel:
                    log.warning("session %s: cannot post in its channel (%s); drafts wait", self.session_id, exc.code)
                    return
                self._pause(self.backoff_s, exc)
                continue
            except SlackRateLimited as exc:
                self._pause(exc.retry_after_s, exc)
                continue
            except SlackError as exc:
                self._pause(self.backoff_s, exc)
                continue
            except Exception:
                log.exception("session %s: posting drafts failed", self.session_id)
                self._pause(self.backoff_s, None)
                continue
            if finishing and self.left == 0:
                return

    def _pause(self, seconds: float, exc: SlackError | None) -> None:
        if exc is not None:
            log.warning("session %s: Slack failed while posting drafts (%s); again in %.0f s",
                        self.session_id, exc.message, seconds)
        self.left = max(self.left, 1)
        self.abandon.wait(seconds)

    def drain(self, timeout_s: float) -> bool:
        """Post what is left and stop; True when every draft made it into the thread."""
        self.finishing.set()
        self.wake.set()
        self.worker.join(timeout_s)
        if self.worker.is_alive():
            self.abandon.set()
            self.worker.join(5)
            return False
        return self.left == 0


class ProgressEditor:
    """Edits a session's progress message on a thread of its own, each edit at least `interval_s` after
    the previous one ended, so a slow or rate-limited chat.update never holds up the run that asked."""

    def __init__(self, thread: SlackThread, session_id: int, interval_s: float) -> None:
        self.thread = thread
        self.session_id = session_id
        self.interval_s = interval_s
        self.wanted = threading.Event()
        self.stopping = threading.Event()
        self.last_done = float("-inf")
        self.worker = threading.Thread(target=self._run, name=f"progress-s{session_id}", daemon=True)
        self.worker.start()

    def request(self) -> None:
        self.wanted.set()

    def finish(self, timeout_s: float = 60.0) -> None:
        """Stop editing; then show the final state (an edit that wins over any other in flight)."""
        self.stopping.set()
        self.wanted.set()
        self.worker.join(timeout_s)
        self._edit(bump=True)

    def _run(self) -> None:
        while True:
            self.wanted.wait()
            if self.stopping.is_set():
                return
            self.wanted.clear()
            self._edit(bump=False)

    def _edit(self, *, bump: bool) -> None:
        wait = self.last_done + self.interval_s - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            self.thread.show_progress(self.session_id, bump=bump)
        except SlackError as exc:
            log.warning("Slack: could not update the progress of session %s: %s", self.session_id, exc.message)
        except Exception:
            log.exception("Slack: could not update the progress of session %s", self.session_id)
        finally:
            self.last_done = time.monotonic()


class SlackRunNotifier:
    """RunNotifier for workers: the ONE progress message, edited; one draft per ticket, posted once."""

    def __init__(self, thread: SlackThread, config: NotifierConfig | None = None) -> None:
        self.thread = thread
        self.config = config or NotifierConfig()
        self._lock = threading.Lock()
        self._publishers: dict[int, ThrottledPublisher[int]] = {}
        self._posters: dict[int, DraftPoster] = {}
        self._editors: dict[int, ProgressEditor] = {}

    # ---- RunNotifier ----------------------------------------------------------------------------------

    def progress(self, update: ProgressUpdate) -> None:
        self._publisher(update.session_id).update(update.session_id)
        self._poster(update.session_id)

    def ticket_written(self, session_id: int, ticket_id: int) -> None:
        with self._lock:
            poster = self._posters.get(session_id)
        if poster is not None:
            poster.wake.set()
            return
        # A regeneration (no run around it): edit the draft now, before the job ends.
        self._safely(lambda: self.thread.show_draft(ticket_id), f"draft of ticket {ticket_id}")

    def run_finished(self, outcome: RunOutcome) -> None:
        session_id = outcome.session_id
        poster = self._poster(session_id)
        poster.drain(self.config.drain_timeout_s)
        with self._lock:
            self._posters.pop(session_id, None)
            publisher = self._publishers.pop(session_id, None)
        if publisher is not None:
            publisher.cancel()  # nothing pending is published after this; the final edit follows
        self._finish_editing(session_id)

    # ---- PublishNotifier (jobs/publishing/service.py): what a push to Jira shows in the thread --------

    def ticket_pushed(self, session_id: int, ticket_id: int, key: str, url: str) -> None:
        """The draft shows its issue: one edit per push, not one per state."""
        self._safely(lambda: self.thread.show_draft(ticket_id, bump=True), f"draft of ticket {ticket_id}")

    def push_progress(self, progress: PushProgress) -> None:
        self._publisher(progress.session_id).update(progress.session_id)

    def push_finished(self, outcome: PushOutcome) -> None:
        with self._lock:
            publisher = self._publishers.pop(outcome.session_id, None)
        if publisher is not None:
            publisher.cancel()
        self._finish_editing(outcome.session_id)

    def needs_person(self, notice: NeedsPerson) -> None:
        """An undecided create: the draft says which label to search Jira for."""
        if notice.ticket_id is not None:
            ticket_id = notice.ticket_id
            self._safely(lambda: self.thread.show_draft(ticket_id, bump=True), f"draft of ticket {ticket_id}")
        else:
            self._safely(lambda: self.thread.show_progress(notice.session_id, bump=True),
                         f"progress of session {notice.session_id}")

    def push_undone(self, session_id: int, ticket_ids: list[int]) -> None:
        """`undo` took a push back: each draft loses its issue link, the progress message says who undid what."""
        for ticket_id in ticket_ids:
            self._safely(functools.partial(self.thread.show_draft, ticket_id, bump=True),
                         f"draft of ticket {ticket_id}")
        self._safely(lambda: self.thread.show_progress(session_id, bump=True), f"progress of session {session_id}")

    # ---- helpers --------------------------------------------------------------------------------------

    def _publisher(self, session_id: int) -> ThrottledPublisher[int]:
        with self._lock:
            publisher = self._publishers.get(session_id)
            if publisher is None:
                publisher = ThrottledPublisher(self._publish, self.config.interval_s)
                self._publishers[session_id] = publisher
            return publisher

    def _poster(self, session_id: int) -> DraftPoster:
        with self._lock:
            poster = self._posters.get(session_id)
            if poster is None:
                poster = DraftPoster(self.thread, session_id,
                                     lambda: self._publisher(session_id).update(session_id), self.config.backoff_s)
                self._posters[session_id] = poster
            return poster

    def _publish(self, session_id: int) -> None:
        """The throttled publisher's output: hand the edit to the session's editor (never blocks)."""
        self._editor(session_id).request()

    def _editor(self, session_id: int) -> ProgressEditor:
        with self._lock:
            editor = self._editors.get(session_id)
            if editor is None:
                editor = ProgressEditor(self.thread, session_id, self.config.interval_s)
                self._editors[session_id] = editor
            return editor

    def _finish_editing(self, session_id: int) -> None:
        """The final state, still at most one edit per interval."""
        editor = self._editor(session_id)
        with self._lock:
            self._editors.pop(session_id, None)
        editor.finish()

    @staticmethod
    def _safely(action: Callable[[], object], what: str) -> None:
        try:
            action()
        except SlackError as exc:
            log.warning("Slack: could not update the %s: %s", what, exc.message)
        except Exception:
            log.exception("Slack: could not update the %s", what)
