"""A revised spec pushed to the issues that exist (jobs/publishing/revision.py), against the fake Jira.

The first acme session is pushed; a revision of it (tests/support/revision.py: one field added, one view display
removed, one bundle marked d, one new vocabulary, one role's permissions changed) is approved and pushed. Jira
ends up holding exactly the revised graph: changed issues updated once with one comment, one new issue, the
removed one commented and closed, links added and removed, no second issue for anything.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest

from integrations.jira.gateway import Transition
from jobs.publishing.revision import change_lines, closing_transition
from storage.uow import UnitOfWorkFactory
from tests.fakes.jira_server import FakeJiraServer, Reply
from tests.support.engine import build_engine, new_session
from tests.support.publishing import FAST, build_publisher, is_ticket_label
from tests.support.revision import RevisionSession, revised_acme_files, revision_of


@dataclass
class Pushed:
    uow_factory: UnitOfWorkFactory
    fake: FakeJiraServer
    first: int
    revision: RevisionSession
    keys: dict[str, str]  # spec key → the issue its first push created
    labels_before: dict[str, list[str]]


def pushed_then_revised(database_url: str, fake: FakeJiraServer) -> Pushed:
    engine = build_engine(database_url)
    first = new_session(engine.uow_factory)
    engine.service.generate_tickets(first)
    build_publisher(engine.uow_factory, fake).service.approve_all(first, "U1")
    revised = new_session(engine.uow_factory, revised_acme_files())
    engine.service.generate_tickets(revised, start_anyway=True)
    revision = revision_of(engine.uow_factory, first, revised)
    with engine.uow_factory() as uow:
        keys = {t.spec_key: str(t.jira_key) for t in uow.tickets.for_session(first)}
    fake.reset()
    return Pushed(engine.uow_factory, fake, first, revision, keys,
                  {k: list(i.fields["labels"]) for k, i in fake.issues.items()})


@pytest.fixture(params=["cloud", "server"])
def fake_jira(request: pytest.FixtureRequest) -> Iterator[FakeJiraServer]:
    with FakeJiraServer(request.param) as server:
        yield server


def blocks(fake: FakeJiraServer) -> set[tuple[str, str]]:
    return {(link.inward, link.outward) for link in fake.links if link.type == "Blocks"}


def revised_graph(p: Pushed) -> set[tuple[str, str]]:
    """The revision's dependencies as (blocker, blocked) issue keys: what Jira must end up holding."""
    with p.uow_factory() as uow:
        keys = {t.id: t.jira_key for t in uow.tickets.for_session(p.revision.session_id)}
        return {(str(keys[d.depends_on_id]), str(keys[d.ticket_id]))
                for d in uow.tickets.dependencies(p.revision.session_id)}


def paths(fake: FakeJiraServer, method: str, suffix: str = "") -> Counter[str]:
    return Counter(r.path for r in fake.requests if r.method == method and r.path.startswith("issue/")
                   and r.path.endswith(suffix) and r.path.count("/") == (2 if suffix else 1))


def test_the_acme_revision_is_written_to_the_issues_that_exist_exactly_once(pg_url: str,
                                                                            fake_jira: FakeJiraServer) -> None:
    p = pushed_then_revised(pg_url, fake_jira)
    changed, removed = p.revision.keys("changed"), p.revision.keys("removed")
    assert p.revision.keys("new") == ["taxonomy.vocabulary.skill_level"]
    assert removed == ["block_content.type.promo_banner"]
    assert {"node.type.event", "views.view.gear_reviews", "user.role.trail_editor"} <= set(changed)
    issues_before, links_before = len(fake_jira.issues), blocks(fake_jira)
    promo = p.keys["block_content.type.promo_banner"]
    assert any(promo in pair for pair in links_before)

    publisher = build_publisher(p.uow_factory, fake_jira)
    decision = publisher.service.approve_all(p.revision.session_id, "U1")
    assert decision.to_push == len(changed) + len(removed) + 1

    # Exactly one update and one comment per changed issue; the removed one commented and closed; one create.
    assert paths(fake_jira, "PUT") == Counter({f"issue/{p.keys[k]}": 1 for k in changed})
    assert paths(fake_jira, "POST", "/comment") == Counter({f"issue/{p.keys[k]}/comment": 1
                                                            for k in [*changed, *removed]})
    assert paths(fake_jira, "POST", "/transitions") == Counter({f"issue/{promo}/transitions": 1})
    assert fake_jira.issues[promo].fields["status"]["name"] == "Won't Do"  # preferred over Done
    assert fake_jira.count("create") == 1 and fake_jira.count("bulk") == 0
    assert len(fake_jira.issues) == issues_before + 1  # zero duplicates
    ticket_labels = Counter(label for i in fake_jira.issues.values() for label in i.fields["labels"]
                            if is_ticket_label(label))
    assert max(ticket_labels.values()) == 1
    # Labels kept on every updated issue; the description is the revised one; the comment says what and where.
    for key in changed:
        assert fake_jira.issues[p.keys[key]].fields["labels"] == p.labels_before[p.keys[key]]
    event = fake_jira.issues[p.keys["node.type.event"]]
    comment = str(event.comments[0]["body"])
    assert "field Capacity added" in comment and "fields.csv" in comment
    assert "Capacity" in str(event.fields["description"])
    assert "Removed from the spec" in str(fake_jira.issues[promo].comments[0]["body"])
    # Links: Jira holds exactly the revised graph; the removed bundle's links are gone.
    assert blocks(fake_jira) == revised_graph(p)
    assert not any(promo in pair for pair in blocks(fake_jira))
    assert fake_jira.endpoints()["DELETE issueLink/{id}"] == len(links_before - blocks(fake_jira))
    assert fake_jira.count("link") == len(blocks(fake_jira) - links_before) - sum(
        1 for b in fake_jira.bodies("create") for _ in ((b.get("update") or {}).get("issuelinks") or []))
    # Unchanged tickets: not one write.
    unchanged = {p.keys[k] for k in p.revision.keys("unchanged")}
    writes = [r.path for r in fake_jira.requests if r.method != "GET" and r.path.split("/")[1:2]
              and r.path.split("/")[1] in unchanged]
    assert writes == []
    with p.uow_factory() as uow:
        tickets = uow.tickets.for_session(p.revision.session_id)
        assert {t.status for t in tickets} == {"pushed"}
        assert {t.spec_key: t.jira_state for t in tickets if t.change_kind == "removed"} == {
            "block_content.type.promo_banner": "closed"}
        synced = {t.spec_key: t.jira_synced for t in tickets if t.change_kind == "changed"}
        assert all(s["updated"] and s["description_hash"] for s in synced.values())
    summary = publisher.service.summary(p.revision.session_id).text
    assert f"{len(changed)} updated from the revised spec" in summary and "1 closed as removed" in summary

    fake_jira.reset()  # pushing again sends nothing: everything is recorded
    assert publisher.service.push_pending(p.revision.session_id, "U1").to_push == 0
    assert fake_jira.requests == []


def test_a_person_s_edit_in_jira_is_not_overwritten_until_someone_confirms(pg_url: str) -> None:
    with FakeJiraServer("cloud") as fake:
        p = pushed_then_revised(pg_url, fake)
        event = p.keys["node.type.event"]
        edited = {"type": "doc", "version": 1, "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "Our PM rewrote this by hand."}]}]}
        fake.edit_in_jira(event, edited)
        publisher = build_publisher(p.uow_factory, fake)
        publisher.service.approve_all(p.revision.session_id, "U1")
        assert f"issue/{event}" not in paths(fake, "PUT")
        assert fake.issues[event].fields["description"] == edited and fake.issues[event].comments == []
        with p.uow_factory() as uow:
            ticket = uow.tickets.by_key(p.revision.session_id, "node.type.event")
            assert ticket is not None and ticket.jira_state == "edited_in_jira"
            assert "was changed in Jira since ticketbot last wrote it" in str(ticket.jira_error)
        assert [n.spec_key for n in publisher.notifier.people] == ["node.type.event"]
        assert "1 need a person" in publisher.service.summary(p.revision.session_id).text
        # The other changed tickets went ahead.
        assert len(paths(fake, "PUT")) == len(p.revision.keys("changed")) - 1

        assert publisher.service.confirm_overwrite(p.revision.session_id, "node.type.event", "U2")
        assert paths(fake, "PUT")[f"issue/{event}"] == 1
        assert "Capacity" in str(fake.issues[event].fields["description"])
        assert len(fake.issues[event].comments) == 1
        assert not publisher.service.confirm_overwrite(p.revision.session_id, "node.type.event", "U2")


def test_a_later_edit_after_a_confirmed_overwrite_is_caught_again(pg_url: str) -> None:
    with FakeJiraServer("server") as fake:
        p = pushed_then_revised(pg_url, fake)
        event = p.keys["node.type.event"]
        fake.edit_in_jira(event, "first edit by hand")
        publisher = build_publisher(p.uow_factory, fake)
        publisher.service.approve_all(p.revision.session_id, "U1")
        fake.edit_in_jira(event, "second edit by hand, after the conflict was raised")
        assert publisher.service.confirm_overwrite(p.revision.session_id, "node.type.event", "U2")
        assert f"issue/{event}" not in paths(fake, "PUT")  # the confirmed edit is not this one
        assert fake.issues[event].fields["description"] == "second edit by hand, after the conflict was raised"


@pytest.mark.parametrize("how", ["label setting", "no done transition"])
def test_a_removed_ticket_s_issue_is_labelled_obsolete_instead(pg_url: str, how: str) -> None:
    with FakeJiraServer("cloud") as fake:
        p = pushed_then_revised(pg_url, fake)
        config = FAST
        if how == "label setting":
            config = replace(FAST, removed_issues="label")
        else:
            fake.transitions = [t for t in fake.transitions if t[3] != "done"]
        publisher = build_publisher(p.uow_factory, fake, config=config)
        publisher.service.approve_all(p.revision.session_id, "U1")
        promo = fake.issues[p.keys["block_content.type.promo_banner"]]
        assert "ticketbot-obsolete" in promo.fields["labels"]
        assert p.labels_before[promo.key][0] in promo.fields["labels"]  # the others kept
        assert promo.fields["status"]["name"] == "To Do" and fake.count("transition") == 0
        assert len(promo.comments) == 1


def test_an_update_or_comment_whose_answer_was_lost_is_looked_up_not_sent_again(pg_url: str) -> None:
    with FakeJiraServer("cloud") as fake:
        p = pushed_then_revised(pg_url, fake)
        fake.enqueue("update", Reply.reset_after_work())  # the first PUT happens; its answer never comes
        fake.enqueue("comment", Reply.error_after_work(503), Reply.reset_after_work())  # two comments, answers lost
        publisher = build_publisher(p.uow_factory, fake)
        publisher.service.approve_all(p.revision.session_id, "U1")
        changed, removed = p.revision.keys("changed"), p.revision.keys("removed")
        for key in [*changed, *removed]:
            assert len(fake.issues[p.keys[key]].comments) == 1, key  # never twice
        assert sum(paths(fake, "PUT").values()) == len(changed)  # the lost PUT was seen written: not resent
        assert fake.count("comments") >= 2  # the resumed ones looked for their marker first
        with p.uow_factory() as uow:
            assert {t.status for t in uow.tickets.for_session(p.revision.session_id)} == {"pushed"}


def test_change_lines_and_the_closing_transition() -> None:
    lines = change_lines([{"what": "field Capacity added", "file": "fields.csv", "row": 24, "column": "",
                           "old": "", "new": ""},
                          {"what": "bundle Event: Description changed", "file": "bundles.csv", "row": 4,
                           "column": "Description", "old": "A hike", "new": "A guided hike"}, "not a dict"])
    assert lines == ["- field Capacity added (fields.csv 24)",
                     "- bundle Event: Description changed (bundles.csv 4, Description: “A hike” → “A guided hike”)"]
    assert change_lines([{"what": str(i)} for i in range(45)])[-1] == "- and 5 more changes"
    options = [Transition("21", "In Progress", "indeterminate"), Transition("31", "Done", "done"),
               Transition("51", "Obsolete", "done")]
    assert closing_transition(options) == options[2]
    assert closing_transition(options[:1]) is None
    assert closing_transition([Transition("9", "Shipped", "done")]) == Transition("9", "Shipped", "done")


def test_the_removed_setting_is_checked() -> None:
    from bot.wiring.settings import Settings, SettingsError

    base = {"DATABASE_URL": "sqlite:///x.db"}
    assert Settings.from_env(base).jira_removed == "close"
    assert Settings.from_env({**base, "JIRA_REMOVED": "Label"}).jira_removed == "label"
    with pytest.raises(SettingsError, match="JIRA_REMOVED='delete': must be close or label"):
        Settings.from_env({**base, "JIRA_REMOVED": "delete"})





def test_a_closing_whose_answer_was_lost_is_neither_commented_nor_transitioned_twice(pg_url: str) -> None:
    with FakeJiraServer("server") as fake:
        p = pushed_then_revised(pg_url, fake)
        fake.enqueue("transition", Reply.reset_after_work())  # Jira moved it to Won't Do; the answer is lost
        build_publisher(p.uow_factory, fake).service.approve_all(p.revision.session_id, "U1")
        promo = fake.issues[p.keys["block_content.type.promo_banner"]]
        assert len(promo.comments) == 1 and fake.count("transition") == 1
        assert promo.fields["status"]["name"] == "Won't Do"
        assert "Removed from the spec" in promo.comments[0]["body"]  # wiki markup on Server/DC
        with p.uow_factory() as uow:
            ticket = uow.tickets.by_key(p.revision.session_id, "block_content.type.promo_banner")
            assert ticket is not None and ticket.jira_state == "closed"
            assert ticket.jira_synced["closed"] == "found closed"  # the resumed round saw it done


def test_a_link_removal_whose_answer_was_lost_is_read_back_not_sent_again(pg_url: str) -> None:
    with FakeJiraServer("cloud") as fake:
        p = pushed_then_revised(pg_url, fake)
        fake.enqueue("unlink", Reply.reset_after_work())
        build_publisher(p.uow_factory, fake).service.approve_all(p.revision.session_id, "U1")
        assert blocks(fake) == revised_graph(p)
        deletes = [r.path for r in fake.requests if r.method == "DELETE"]
        assert len(deletes) == len(set(deletes))  # the lost one was seen gone, not deleted again
        with p.uow_factory() as uow:
            states = Counter(d.jira_link_state for d in uow.tickets.dependencies(p.first))
        assert states["removed"] == len(deletes) and states["removing"] == 0


def test_overwrite_is_a_push_confirm_command_and_the_draft_says_what_to_do() -> None:
    from bot.slack.slash import parse_command
    from integrations.slack.blocks import draft_status
    from integrations.slack.views import DraftView

    command = parse_command("push confirm overwrite node.type.event")
    assert (command.name, command.key, command.value) == ("push", "confirm", "overwrite node.type.event")
    view = DraftView(1, 1, "Event", "Content", "node.type.event", "", "", (), status="approved",
                     decided_by="U1", jira_key="RPL-7", jira_state="edited_in_jira")
    shown = draft_status(view)
    assert "RPL-7 was changed in Jira since ticketbot last wrote it" in shown
    assert "`/generate-tickets push confirm overwrite node.type.event`" in shown
