"""A session's Slack thread, kept in step with the database: each message posted once, edits converging.

Posting goes through the outbox (`slack_messages`): the intent is committed before chat.postMessage
(which carries message metadata naming the outbox key), the ts after. A post whose outcome is unknown
(dropped connection, 5xx) is looked up by its metadata before anything is posted again, so a message
is never lost and never doubled. Edits render from the database and repeat while the version wanted
moved on during the edit, so two processes editing the same message always end on the newest state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from integrations.slack.blocks import Message, draft_message, progress_message
from integrations.slack.digest_blocks import digest_message
from integrations.slack.errors import SlackError, SlackPostUncertain, SlackRateLimited, SlackRejected
from integrations.slack.gateway import SlackGateway
from jobs.states import MessageState, TicketStatus
from jobs.tasks.clock import Clock, system_clock
from jobs.tasks.faults import fault_point
from jobs.thread.digests import (
    digest_mode,
    page_states,
    page_tickets,
    page_version,
    page_view,
    parse_digest_key,
    place_written,
)
from jobs.thread.views import draft_key, draft_view, progress_key, progress_view
from storage.models import SlackMessageRecord
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

NOT_POSTED = "not posted: "  # a failure that certainly posted nothing (429): no lookup needed
PERMANENT = ("msg_too_long", "invalid_blocks", "invalid_metadata_format", "too_many_attachments",
             "channel_not_found", "not_in_channel", "is_archived", "thread_not_found", "invalid_arguments")

Render = Callable[[UnitOfWork], Message]
Wanted = Callable[[UnitOfWork, SlackMessageRecord], int]
OnPosted = Callable[[UnitOfWork, str], None]
Poster = Callable[[str, str | None, str, Message], str]
Updater = Callable[[str, str, Message], None]


def _wanted_of_record(_uow: UnitOfWork, record: SlackMessageRecord) -> int:
    return record.version_wanted



def show_quietly(action: Callable[[], object]) -> None:
    """Show a stored decision in the thread; Slack being unreachable must not undo it (the sweeper shows it later)."""
    try:
        action()
    except SlackError as exc:
        log.warning("Slack: could not show a change: %s", exc.message)


@dataclass(frozen=True)
class Outgoing:
    """One bot message: what it is (outbox key), where it goes, and how to render, post and edit it."""

    key: str
    channel: str
    thread_ts: str | None
    render: Render
    post: Poster
    update: Updater
    session_id: int | None = None
    ticket_id: int | None = None
    on_posted: OnPosted | None = None
    wanted: Wanted = _wanted_of_record  # the content version it should show


@dataclass(frozen=True)
class ThreadConfig:
    stale_intent_s: float = 60.0  # an intent this old with no outcome belongs to a process that died
    max_attempts: int = 5  # posts of one message before it is left for a person to notice
    edit_rounds: int = 3  # re-edits while another process keeps changing the same message
    wait_for_post_s: float = 10.0  # how long to wait for another process's post of the same message
    max_generations: int = 3
    jira_browse_url: str = ""
    digest_threshold: int = 50  # a first run planning more tickets than this is reviewed in digests


class SlackThread:
    def __init__(self, *, uow_factory: UnitOfWorkFactory, gateway: SlackGateway, clock: Clock = system_clock,
                 config: ThreadConfig | None = None) -> None:
        self.uow_factory = uow_factory
        self.gateway = gateway
        self.clock = clock
        self.config = config or ThreadConfig()
        self.posts = 0  # messages this process posted (for fault drills)

    # ---- the progress message -------------------------------------------------------------------------

    def show_progress(self, session_id: int, *, bump: bool = False, post_only: bool = False) -> None:
        """Post the session's progress message once, or edit it to show the database's state.

        `bump` marks a change that must win over any edit in flight elsewhere (an ending, an action);
        `post_only` posts it if it is not there yet and leaves an existing one to the run's own edits.
        """
        with self.uow_factory() as uow:
            session = uow.sessions.get(session_id)
            if not session.thread_ts or uow.tasks.latest(session_id) is None:
                return  # not a Slack session (the CLI's), or nothing to show yet
            channel, thread_ts = session.channel_id, session.thread_ts

        def render(uow: UnitOfWork) -> Message:
            view = progress_view(uow, session_id, self.clock(), self.config.max_generations)
            assert view is not None
            return progress_message(view)

        def on_posted(uow: UnitOfWork, ts: str) -> None:
            uow.sessions.get(session_id).progress_ts = ts

        self.deliver(Outgoing(progress_key(session_id), channel, thread_ts, render, self.gateway.post_progress,
                              self.gateway.update_progress, session_id=session_id, on_posted=on_posted),
                     bump=bump, force=not post_only, post_only=post_only)

    # ---- drafts ---------------------------------------------------------------------------------------

    def sync_drafts(self, session_id: int, on_change: Callable[[], None] | None = None,
                    should_stop: Callable[[], bool] | None = None) -> int:
        """Post every draft not yet in the thread and edit those behind, in dependency order.

        Returns how many drafts still wait (0 when the thread shows the database).
        """
        if self.in_digests(session_id):
            return self.sync_digests(session_id, on_change, should_stop)
        with self.uow_factory() as uow:
            session = uow.sessions.get(session_id)
            if not session.thread_ts:
                return 0
            tickets = uow.tickets.for_session(session_id, include_withdrawn=True)
            rows = {m.ticket_id: m for m in uow.messages.for_tickets([t.id for t in tickets])}
            todo = []
            for ticket in tickets:
                row = rows.get(ticket.id)
                if row is None or row.state == MessageState.INTENT:
                    retry = row is None or row.attempts < self.config.max_attempts
                    # An unchanged ticket of a revised spec is in Jira as it is: nothing to review.
                    if ticket.status != TicketStatus.WITHDRAWN and ticket.change_kind != "unchanged" and retry:
                        todo.append(ticket.id)
                elif row.state == MessageState.POSTED and row.version_posted < ticket.slack_version:
                    todo.append(ticket.id)
        left = len(todo)
        for ticket_id in todo:
            if should_stop is not None and should_stop():
                break
            if not self.show_draft(ticket_id):
                break  # another process is posting it right now: later drafts wait, to keep the order
            left -= 1
            if on_change is not None:
                on_change()
        return left

    def show_draft(self, ticket_id: int, *, bump: bool = False) -> bool:
        """Post the ticket's draft once, or edit it to its newest content (`bump`: its state changed).

        False when it is not in the thread yet (another process is posting it).
        """
        with self.uow_factory() as uow:
            ticket = uow.tickets.get(ticket_id)
            if bump:
                ticket.slack_version += 1
            session = uow.sessions.get(ticket.session_id)
            channel, thread_ts, session_id = session.channel_id, session.thread_ts, session.id
            in_digest, page = digest_mode(uow, session, self.config.digest_threshold), ticket.digest_key
            uow.commit()
        if not thread_ts:
            return True
        if in_digest:  # its line on a digest page shows it; a ticket not on one yet waits for its group
            return page is None or self.show_page(page) is not None

        def render(uow: UnitOfWork) -> Message:
            return draft_message(draft_view(uow, uow.tickets.get(ticket_id), self.config.jira_browse_url))

        def wanted(uow: UnitOfWork, _record: SlackMessageRecord) -> int:
            return uow.tickets.get(ticket_id).slack_version

        def on_posted(uow: UnitOfWork, ts: str) -> None:
            ticket = uow.tickets.get(ticket_id)
            ticket.slack_ts, ticket.slack_state = ts, "posted"

        return self.deliver(Outgoing(draft_key(ticket_id), channel, thread_ts, render, self.gateway.post_draft,
                                     self.gateway.update_draft, session_id=session_id, ticket_id=ticket_id,
                                     on_posted=on_posted, wanted=wanted)) is not None

    # ---- digests (jobs/thread/digests.py): a large run's drafts, one page per group and 47 tickets -----

    def in_digests(self, session_id: int) -> bool:
        """Whether the session's drafts are shown in digests (decided and stored on first asking)."""
        with self.uow_factory() as uow:
            session = uow.sessions.get(session_id)
            if not session.thread_ts:
                return False
            digest = digest_mode(uow, session, self.config.digest_threshold)
            uow.commit()
            return digest

    def sync_digests(self, session_id: int, on_change: Callable[[], None] | None = None,
                     should_stop: Callable[[], bool] | None = None) -> int:
        """Place the tickets of every group written so far on pages; post the pages not in the thread and
        edit those behind. Returns how many tickets still wait for their line to show."""
        with self.uow_factory() as uow:
            place_written(uow, session_id)
            uow.commit()
            pages, unplaced = page_states(uow, session_id, self.config.max_attempts)
        todo = [p for p in pages if not p.shown and (p.posted or p.can_retry)]
        left = unplaced + sum(p.tickets for p in todo)
        for page in todo:
            if should_stop is not None and should_stop():
                break
            if self.show_page(page.key) is None:
                break  # another process is posting it right now: later pages wait, to keep the order
            left -= page.tickets
            if on_change is not None:
                on_change()
        return left

    def show_page(self, key: str) -> str | None:
        """Post a digest page once, or edit it to what its tickets are now; its ts, None while another
        process posts it."""
        parsed = parse_digest_key(key)
        assert parsed is not None, key
        session_id = parsed[0]
        with self.uow_factory() as uow:
            session = uow.sessions.get(session_id)
            channel, thread_ts = session.channel_id, session.thread_ts

        def render(uow: UnitOfWork) -> Message:
            return digest_message(page_view(uow, key, self.config.jira_browse_url))

        def wanted(uow: UnitOfWork, _record: SlackMessageRecord) -> int:
            return page_version(page_tickets(uow, key))

        def on_posted(uow: UnitOfWork, ts: str) -> None:
            for ticket in page_tickets(uow, key):
                ticket.slack_ts, ticket.slack_state = ts, "posted"

        return self.deliver(Outgoing(key, channel, thread_ts, render, self.gateway.post_draft,
                                     self.gateway.update_draft, session_id=session_id, on_posted=on_posted,
                                     wanted=wanted))

    # ---- the outbox -----------------------------------------------------------------------------------

    def deliver(self, out: Outgoing, *, bump: bool = False, force: bool = False,
                post_only: bool = False) -> str | None:
        """Post `out` once, or edit it: to the newest state when `bump` or `force`, else only if behind."""
        with self.uow_factory() as uow:
            record = uow.messages.get(out.key)
            posted = record is not None and record.state == MessageState.POSTED
        if posted and post_only:
            return record.ts if record is not None else None
        if not posted:
            ts, fresh = self.post_once(out)
            if fresh or post_only:
                return ts
            if ts is None and not self.wait_for_post(out.key):
                return None
        return self.refresh(out, bump=bump, force=force)

    def post_once(self, out: Outgoing) -> tuple[str | None, bool]:
        """Post unless it is (or may be) posted already: (ts, True) when this call posted the current
        content; (ts, False) when it was posted before; (None, False) while another process posts it."""
        now = self.clock()
        with self.uow_factory() as uow:
            record, mine = uow.messages.claim(out.key, channel_id=out.channel, thread_ts=out.thread_ts,
                                              session_id=out.session_id, ticket_id=out.ticket_id)
            if record.state == MessageState.POSTED:
                return record.ts, False
            if record.state == MessageState.FAILED:
                return None, False
            look_up = False
            if not mine:
                last_error = record.last_error or ""
                stale = bool(last_error) or (now - record.updated_at).total_seconds() > self.config.stale_intent_s
                if not stale or record.attempts >= self.config.max_attempts:
                    return None, False
                if not uow.messages.take_over(out.key, record.attempts):
                    return None, False
                look_up = not last_error.startswith(NOT_POSTED)
            if out.ticket_id is not None:
                uow.tickets.get(out.ticket_id).slack_state = "posting"
            version = out.wanted(uow, record)
            message = out.render(uow)
            uow.commit()
        if look_up:
            try:
                found = self.gateway.find_posted(out.channel, out.thread_ts, out.key)
            except SlackError as exc:
                self._note_failure(out.key, exc)
                raise
            if found is not None:
                log.info("message %s was posted before (found by its metadata): %s", out.key, found)
                self._mark_posted(out, found, -1)  # what it shows is unknown: the caller edits it
                return found, False
        try:
            ts = out.post(out.channel, out.thread_ts, out.key, message)
        except SlackError as exc:
            self._note_failure(out.key, exc)
            raise
        self.posts += 1
        fault_point("after_slack_post", self.posts)  # drills: posted in Slack, not yet recorded here
        self._mark_posted(out, ts, version)
        return ts, True

    def wait_for_post(self, key: str) -> bool:
        """Wait (bounded) for another process to finish posting `key`; True once it is posted."""
        deadline = time.monotonic() + self.config.wait_for_post_s
        while time.monotonic() < deadline:
            with self.uow_factory() as uow:
                record = uow.messages.get(key)
                if record is not None and record.state == MessageState.POSTED:
                    return True
                if record is None or record.state == MessageState.FAILED or record.last_error:
                    return False
            time.sleep(0.1)
        return False

    def refresh(self, out: Outgoing, *, bump: bool = False, force: bool = False) -> str | None:
        """Edit a posted message to the database's state, again while its wanted version moves on."""
        ts: str | None = None
        for _ in range(self.config.edit_rounds):
            with self.uow_factory() as uow:
                record = uow.messages.get(out.key)
                if record is None or record.state != MessageState.POSTED or not record.ts:
                    return None
                if bump:
                    uow.messages.want(out.key)
                version = out.wanted(uow, record)
                if not (bump or force) and 0 <= version <= record.version_posted:
                    return record.ts  # already shows it
                bump = force = False
                message = out.render(uow)
                channel, ts = record.channel_id, record.ts
                uow.commit()
            out.update(channel, ts, message)
            with self.uow_factory() as uow:
                uow.messages.mark_shown(out.key, version)
                record = uow.messages.get(out.key)
                assert record is not None
                newest = out.wanted(uow, record)
                uow.commit()
            if newest <= version:
                break
        return ts

    def _mark_posted(self, out: Outgoing, ts: str, version: int) -> None:
        with self.uow_factory() as uow:
            record = uow.messages.get(out.key, for_update=True)
            assert record is not None
            record.ts, record.state, record.last_error = ts, MessageState.POSTED, None
            record.version_posted = version
            if out.on_posted is not None:
                out.on_posted(uow, ts)
            uow.commit()

    def _note_failure(self, key: str, exc: SlackError) -> None:
        with self.uow_factory() as uow:
            record = uow.messages.get(key, for_update=True)
            if record is None:
                return
            if isinstance(exc, SlackRejected) and exc.code in PERMANENT:
                record.state = MessageState.FAILED
            prefix = NOT_POSTED if isinstance(exc, SlackRateLimited | SlackRejected) else ""
            if isinstance(exc, SlackPostUncertain):
                prefix = "uncertain: "
            record.last_error = (prefix + exc.message)[:2000]
            uow.commit()
        log.warning("posting %s failed: %s", key, exc.message)

