"""Digest review for large runs: a session's drafts as one digest per group, pages that stay put.

Above a threshold (TICKETBOT_DIGEST_THRESHOLD, or the channel's `config digest`), decided once by the
planned tickets of the session's first run, the thread holds one digest page per `DIGEST_LINES` tickets
of a group instead of one message per draft. A group's tickets are placed on pages as soon as the group
is written (every ticket of it the run planned is stored), so its digest is reviewable while later
groups are still being written. A ticket keeps its page (`tickets.digest_key`): later tickets of the
group fill the last page, then open a new one, and no posted page changes what it holds.

This module reads and places; the outbox (jobs/thread/outbox.py) posts and edits the pages like any
other message, through the same intent-first rows and the shared rate limiter. A page's content version
is the sum of its tickets' `slack_version + 1`: any change to a ticket on it (a decision, a rewrite, a
push) or a ticket added to it moves the version, so an edit is owed until Slack shows it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from integrations.slack.digest_blocks import DIGEST_LINES, DigestLineView, DigestPageView
from integrations.tickets import FALLBACK_WRITER, details_from_dict
from integrations.urls import jira_browse_url as browse_url
from jobs.conversation.channels import channel_digest_threshold
from jobs.generation.person_edit import PersonEdit
from jobs.states import ACCEPTED, MessageState, TaskStatus, TicketStatus
from storage.models import SessionRecord, TaskRecord, TicketRecord
from storage.uow import UnitOfWork

DIGEST_PREFIX = "digest:"


def digest_key(session_id: int, group: str, page: int) -> str:
    return f"{DIGEST_PREFIX}s{session_id}:{group}:{page}"


def parse_digest_key(key: str) -> tuple[int, str, int] | None:
    """(session, group, page) of a digest page's outbox key; None for any other key."""
    if not key.startswith(DIGEST_PREFIX + "s"):
        return None
    session, _, rest = key[len(DIGEST_PREFIX) + 1:].partition(":")
    group, _, page = rest.rpartition(":")
    if not session.isdigit() or not page.isdigit() or not group:
        return None
    return int(session), group, int(page)


def digest_mode(uow: UnitOfWork, session: SessionRecord, default_threshold: int) -> bool:
    """Whether the session's thread shows digests, decided (and stored) once its first run has a plan."""
    if session.digest_mode is not None:
        return session.digest_mode
    task = uow.tasks.latest(session.id)
    if task is None or task.total <= 0:
        return False  # nothing planned yet: nothing to show either way, nothing decided
    threshold = channel_digest_threshold(uow, session.channel_id, default_threshold)
    session.digest_mode = threshold is not None and task.total > threshold
    return session.digest_mode


def written_groups(task: TaskRecord | None, tickets: Sequence[TicketRecord]) -> set[str] | None:
    """Groups whose planned tickets are all stored (None: every group, the run being over)."""
    if task is None or not TaskStatus(task.status).is_open:
        return None
    sizes = task.details.get("group_sizes") or {}
    written = Counter(t.group for t in tickets if t.generation == task.generation or t.status in ACCEPTED)
    return {group for group, planned in sizes.items() if isinstance(planned, int) and written[group] >= planned}


def assign_pages(page_counts: dict[int, int], new: Sequence[int], per_page: int = DIGEST_LINES) -> dict[int, int]:
    """Pages (1-based) for `new` tickets of one group, given how many lines each existing page holds:
    the last page is filled first, then new pages open; existing lines never move."""
    assigned: dict[int, int] = {}
    page = max(page_counts, default=0)
    room = per_page - page_counts.get(page, per_page) if page else 0
    for ticket_id in new:
        if room <= 0:
            page, room = page + 1, per_page
        assigned[ticket_id] = page
        room -= 1
    return assigned


def place_written(uow: UnitOfWork, session_id: int) -> int:
    """Put the tickets of every written group on digest pages; returns how many were placed.

    The session's ticket rows are locked first (the lock order of storage/repositories.py), so two
    processes placing at once place each ticket once, on the same page."""
    tickets = uow.tickets.for_session(session_id, include_withdrawn=True)
    groups = written_groups(uow.tasks.latest(session_id), tickets)
    if not _unplaced(tickets, groups):
        return 0
    tickets = uow.tickets.for_session(session_id, include_withdrawn=True, for_update=True)
    todo = _unplaced(tickets, groups)
    placed = 0
    for group in dict.fromkeys(t.group for t in sorted(tickets, key=_order)):
        new = [t for t in sorted(todo, key=_order) if t.group == group]
        if not new:
            continue
        counts: Counter[int] = Counter()
        for ticket in tickets:
            parsed = parse_digest_key(ticket.digest_key or "")
            if parsed is not None and parsed[1] == group:
                counts[parsed[2]] += 1
        pages = assign_pages(dict(counts), [t.id for t in new])
        for ticket in new:
            key = digest_key(session_id, group, pages[ticket.id])
            ticket.digest_key = key
            record = uow.messages.get(key)
            if record is not None and record.state == MessageState.POSTED and record.ts:
                ticket.slack_ts, ticket.slack_state = record.ts, "posted"  # joins a page already in Slack
            placed += 1
    return placed


def _unplaced(tickets: Iterable[TicketRecord], groups: set[str] | None) -> list[TicketRecord]:
    return [t for t in tickets if _belongs_on_a_page(t) and t.digest_key is None
            and (groups is None or t.group in groups)]


def _belongs_on_a_page(ticket: TicketRecord) -> bool:
    """Withdrawn tickets are off the spec; a revised spec's unchanged ones are in Jira as they were:
    neither is for review, on a page or as a draft."""
    return ticket.status != TicketStatus.WITHDRAWN and ticket.change_kind != "unchanged"


def _order(ticket: TicketRecord) -> tuple[int, int]:
    return ticket.position, ticket.id


@dataclass(frozen=True)
class PageState:
    key: str
    tickets: int
    wanted: int  # the content version the page should show
    posted: bool
    shown: bool  # Slack shows `wanted`
    can_retry: bool  # an unposted page that has not used up its attempts


def page_states(uow: UnitOfWork, session_id: int, max_attempts: int) -> tuple[list[PageState], int]:
    """Every digest page of the session in thread order (group, then page), and the tickets not on one yet."""
    tickets = uow.tickets.for_session(session_id, include_withdrawn=True)
    by_key: dict[str, list[TicketRecord]] = {}
    for ticket in sorted(tickets, key=_order):
        if ticket.digest_key:
            by_key.setdefault(ticket.digest_key, []).append(ticket)
    group_rank = {g: i for i, g in enumerate(dict.fromkeys(t.group for t in sorted(tickets, key=_order)))}

    def rank(key: str) -> tuple[int, int]:
        parsed = parse_digest_key(key)
        return (group_rank.get(parsed[1], len(group_rank)), parsed[2]) if parsed else (len(group_rank), 0)

    states = []
    for key in sorted(by_key, key=rank):
        on_page = by_key[key]
        record = uow.messages.get(key)
        wanted = page_version(on_page)
        posted = record is not None and record.state == MessageState.POSTED
        states.append(PageState(key, len(on_page), wanted, posted,
                                posted and record is not None and record.version_posted >= wanted,
                                record is None or (record.state == MessageState.INTENT
                                                   and record.attempts < max_attempts)))
    unplaced = sum(1 for t in tickets if t.digest_key is None and _belongs_on_a_page(t))
    return states, unplaced


def page_version(tickets: Iterable[TicketRecord]) -> int:
    return sum(t.slack_version + 1 for t in tickets)


def page_tickets(uow: UnitOfWork, key: str) -> list[TicketRecord]:
    parsed = parse_digest_key(key)
    if parsed is None:
        return []
    tickets = uow.tickets.for_session(parsed[0], include_withdrawn=True)
    return sorted((t for t in tickets if t.digest_key == key), key=_order)


def tickets_shown(uow: UnitOfWork, tickets: Sequence[TicketRecord]) -> int:
    """Tickets whose digest page is in the thread showing their newest content (the progress's "posted")."""
    pages: dict[str, list[TicketRecord]] = {}
    for ticket in tickets:
        if ticket.digest_key:
            pages.setdefault(ticket.digest_key, []).append(ticket)
    if not pages:
        return 0
    everyone: dict[str, list[TicketRecord]] = {}  # a page's version counts its withdrawn lines too
    for ticket in uow.tickets.for_session(tickets[0].session_id, include_withdrawn=True):
        if ticket.digest_key in pages:
            everyone.setdefault(ticket.digest_key, []).append(ticket)
    shown = 0
    for key, on_page in pages.items():
        record = uow.messages.get(key)
        if record is not None and record.state == MessageState.POSTED \
                and record.version_posted >= page_version(everyone[key]):
            shown += len(on_page)
    return shown


def page_view(uow: UnitOfWork, key: str, jira_browse_url: str = "") -> DigestPageView:
    parsed = parse_digest_key(key)
    assert parsed is not None, key
    session_id, group, page = parsed
    session = uow.sessions.get(session_id)
    on_page = page_tickets(uow, key)
    return DigestPageView(session_id=session_id, site=session.site_name or "", group=group, page=page,
                          lines=tuple(line_view(t, jira_browse_url, PersonEdit.of(t.person_edit) is not None)
                                      for t in on_page))


def line_view(ticket: TicketRecord, jira_browse_url: str, edited: bool) -> DigestLineView:
    estimate = details_from_dict(ticket.details)["estimate"]
    size = f"{estimate.size} · {estimate.points} pt{'s' * (estimate.points != 1)}" if estimate else ""
    url = browse_url(jira_browse_url, ticket.jira_key) if jira_browse_url and ticket.jira_key else ""
    return DigestLineView(
        ticket_id=ticket.id, spec_key=ticket.spec_key, title=ticket.title, size=size, status=ticket.status,
        decided_by=ticket.decided_by, jira_key=ticket.jira_key or "", jira_url=url, jira_state=ticket.jira_state,
        edited=edited, fallback=ticket.writer == FALLBACK_WRITER,
    )
