"""A revised spec through the processing service on PostgreSQL: which earlier versions it is compared with,
what each kind of ticket holds (the contract with the push), and that a retry keeps the copies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jobs.errors import ProcessingError
from jobs.revision.previous import channel_versions, fix_baseline
from jobs.states import JiraState, TicketStatus, ticket_move
from storage.uow import UnitOfWorkFactory
from tests.support.engine import build_engine, new_session

REVISED = Path(__file__).resolve().parents[1] / "examples" / "acme-revised"
CHANGED = {"core.extension", "node.type.event", "foundation.provided", "user.role.gear_reviewer",
           "user.role.publisher", "views.view.gear_reviews"}
NEW = {"taxonomy.vocabulary.event_type"}
REMOVED = "block_content.type.promo_banner"
ONLY_APPROVED = "node.type.trail_guide"


def revised_files() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(REVISED.glob("*.csv"))}


def push_all(uow_factory: UnitOfWorkFactory, session_id: int, *, except_key: str = "") -> dict[str, str]:
    """Every ticket approved by U0ANN and, but `except_key`, pushed to RPL as the push would record it."""
    keys = {}
    with uow_factory() as uow:
        for number, ticket in enumerate(uow.tickets.for_session(session_id), start=1):
            ticket.status, ticket.decided_by = ticket_move(ticket.status, "approve"), "U0ANN"
            if ticket.spec_key != except_key:
                ticket.status = ticket_move(ticket.status, "mark_pushed")
                ticket.jira_key, ticket.jira_label, ticket.jira_project = f"RPL-{number}", f"label-{number}", "RPL"
                ticket.jira_state, ticket.jira_synced = JiraState.CREATED, {"updated": f"t{number}"}
                keys[ticket.spec_key] = ticket.jira_key
        uow.commit()
    return keys


def test_a_revision_writes_only_new_and_changed_tickets_and_a_retry_keeps_the_copies(pg_url: str) -> None:
    engine = build_engine(pg_url)
    first = new_session(engine.uow_factory, channel="CREVISE")
    engine.service.generate_tickets(first)
    jira = push_all(engine.uow_factory, first, except_key=ONLY_APPROVED)
    engine.writer.calls.clear()

    second = new_session(engine.uow_factory, revised_files(), channel="CREVISE", site="")
    started = engine.service.generate_tickets(second, fallback_site="crevise")
    assert started.estimated_tickets == 7 and started.site == "Acme Outdoors"  # the site its tickets went to
    assert started.revision.startswith("31 unchanged, 6 changed (") and started.revision.endswith("1 new, 1 removed")
    assert sorted(engine.writer.calls) == sorted(CHANGED | NEW)

    with engine.uow_factory() as uow:
        before = {t.spec_key: t for t in uow.tickets.for_session(first)}
        after = {t.spec_key: t for t in uow.tickets.for_session(second)}
        assert uow.sessions.get(second).status == "review"
        kinds: dict[str, Any] = {k: t.change_kind for k, t in after.items()}
        for key, ticket in after.items():
            old = before.get(key)
            if kinds[key] == "unchanged" and key != ONLY_APPROVED:
                assert (ticket.status, ticket.jira_state) == (TicketStatus.PUSHED, "created")
                assert ticket.jira_key == jira[key]
                assert (ticket.jira_label, ticket.jira_project) == (old.jira_label, "RPL")
                assert (ticket.title, ticket.decided_by, ticket.revises_ticket_id) == (old.title, "U0ANN", old.id)
            elif kinds[key] == "changed":
                assert (ticket.status, ticket.jira_state, ticket.jira_key) == (TicketStatus.DRAFT, "none", jira[key])
                assert ticket.jira_synced == old.jira_synced and ticket.revises_ticket_id == old.id
                assert ticket.changes and all(set(c) == {"what", "file", "row", "column", "old", "new"}
                                              for c in ticket.changes)
            elif kinds[key] == "new":
                assert (ticket.revises_ticket_id, ticket.jira_key, ticket.status) == (None, None, TicketStatus.DRAFT)
        approved_only = after[ONLY_APPROVED]
        assert (kinds[ONLY_APPROVED], approved_only.status, approved_only.jira_key) == ("unchanged", "approved", None)
        removed = after[REMOVED]
        assert (removed.status, removed.jira_state, removed.jira_key) == (TicketStatus.DRAFT, "none", jira[REMOVED])
        assert removed.changes == [{"what": "custom block type Promo banner marked X = d", "file": "bundles.csv",
                                    "row": 13, "column": "x", "old": "a", "new": "d"}]
        count, removed_id = len(after), removed.id

    # 🔁 on the proposal to close has nothing to rewrite: said in plain words, nothing queued.
    with pytest.raises(ProcessingError, match="proposes closing its Jira issue"):
        engine.service.regenerate_ticket(removed_id)

    # A retry rewrites the drafts it wrote (changed, new) and keeps every copy, once.
    engine.writer.calls.clear()
    engine.service.retry_processing(second)
    assert sorted(engine.writer.calls) == sorted(CHANGED | NEW)
    with engine.uow_factory() as uow:
        again = {t.spec_key: t for t in uow.tickets.for_session(second, include_withdrawn=True)}
        assert len(again) == count and {k: t.change_kind for k, t in again.items()} == kinds
        assert again[REMOVED].status == TicketStatus.DRAFT  # kept to propose closing, not withdrawn


def add_ticket(uow: Any, session_id: int, key: str, status: TicketStatus, **fields: Any) -> int:
    ticket = uow.tickets.add(session_id=session_id, spec_key=key, generation=1, position=1, group="Content",
                             kind="bundle", label=key, title=f"{key} v{session_id}", user_story="", analysis="",
                             status=status, **fields)
    return int(ticket.id)


def test_a_revision_compares_with_the_latest_accepted_version_of_the_same_site_and_project(pg_url: str) -> None:
    engine = build_engine(pg_url)
    with engine.uow_factory() as uow:
        sessions = [uow.sessions.add(channel_id="CPICK", site_name=site, created_by="U0TEST", jira_project=project,
                                     status="review")
                    for site, project in (("Acme", "RPL"), ("Acme", "RPL"), ("Other site", "RPL"), ("Acme", "ELSE"),
                                          ("Acme", None))]
        older, newer, other_site, other_project, revision = (s.id for s in sessions)
        add_ticket(uow, older, "node.type.a", TicketStatus.PUSHED, jira_key="RPL-1")
        newest_a = add_ticket(uow, newer, "node.type.a", TicketStatus.PUSHED, jira_key="RPL-9")
        only_older = add_ticket(uow, older, "node.type.b", TicketStatus.APPROVED)
        add_ticket(uow, newer, "node.type.c", TicketStatus.DRAFT)  # never accepted: not a version to compare with
        add_ticket(uow, newer, "node.type.d", TicketStatus.REJECTED)
        add_ticket(uow, other_site, "node.type.e", TicketStatus.PUSHED)
        add_ticket(uow, other_project, "node.type.f", TicketStatus.PUSHED, jira_project="ELSE")
        other_channel = uow.sessions.add(channel_id="CELSEWHERE", site_name="Acme", created_by="U0TEST",
                                         status="review")
        add_ticket(uow, other_channel.id, "node.type.g", TicketStatus.PUSHED)
        uow.commit()

        found = channel_versions(uow, revision, default_project="RPL")
        assert {k: t.id for k, t in found.items()} == {"node.type.a": newest_a, "node.type.b": only_older}
        assert fix_baseline(uow, revision, "RPL") == 2
        add_ticket(uow, newer, "node.type.h", TicketStatus.PUSHED)  # pushed after the run started
        assert fix_baseline(uow, revision, "RPL") == 2  # fixed once: a retry compares with the same versions
        assert uow.revisions.baseline(revision).ticket_ids == {"node.type.a": newest_a, "node.type.b": only_older}

        cli = uow.sessions.add(channel_id="CPICK", site_name="Acme", created_by="cli", status="review")
        assert fix_baseline(uow, cli.id, "RPL") == 0  # a CLI run revises only what --since names
        first_ever = uow.sessions.add(channel_id="CFRESH", site_name="Acme", created_by="U0TEST")
        assert fix_baseline(uow, first_ever.id, "RPL") == 0 and uow.revisions.baseline(first_ever.id) is None


def test_keys_that_left_the_spec_are_kept_as_proposals_to_close_after_the_planned_tickets(pg_url: str) -> None:
    engine = build_engine(pg_url)
    first = new_session(engine.uow_factory, channel="CLEFT")
    engine.service.generate_tickets(first)
    jira = push_all(engine.uow_factory, first)
    without_menus = {p.name: p.read_bytes() for p in sorted((REVISED.parent / "acme").glob("*.csv"))
                     if p.name != "menus.csv"}
    second = new_session(engine.uow_factory, without_menus, channel="CLEFT")
    engine.writer.calls.clear()
    started = engine.service.generate_tickets(second)
    assert started.revision == "35 unchanged, 1 changed (Modules this spec needs: module menu_ui no longer needed), " \
                               "0 new, 2 removed"
    assert engine.writer.calls == ["core.extension"]
    with engine.uow_factory() as uow:
        tickets = uow.tickets.for_session(second)
        gone = [t for t in tickets if t.change_kind == "removed"]
        assert [(t.spec_key, t.status, t.jira_key) for t in gone] == [
            ("system.menu.trails-sidebar", "draft", jira["system.menu.trails-sidebar"]),
            ("system.menu.gear-guide", "draft", jira["system.menu.gear-guide"])]
        assert all(t.changes == [{"what": "no longer in the spec", "file": "", "row": None, "column": "", "old": "",
                                  "new": ""}] for t in gone)
        assert [t.position for t in gone] == [37, 38] and tickets[-2:] == gone  # after the 36 planned ones
        gone_ids = {t.id for t in gone}
    assert set(engine.notifier.written) >= gone_ids  # their drafts are posted to propose closing
