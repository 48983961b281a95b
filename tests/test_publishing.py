"""The publishing service on a real database against the fake Jira server, pushes run in this process.

Approvals in any order, approve-all in bulk, epics reused across sessions, and the fault rows J1–J5
of ../shared/reference/reliability-security.md §3 end to end: never a duplicate issue, never a lost one.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from jobs.errors import ProcessingError
from tests.fakes.jira_server import FakeField, FakeJiraServer, Reply
from tests.support.engine import Engine, build_engine, new_session
from tests.support.publishing import FAST, build_publisher, is_ticket_label


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    if request.param == "sqlite":
        return build_engine(f"sqlite:///{tmp_path / 'ticketbot.db'}")
    return build_engine(request.getfixturevalue("pg_url"))


@pytest.fixture
def pg_engine(pg_url: str) -> Engine:
    return build_engine(pg_url)


@pytest.fixture
def cloud() -> Iterator[FakeJiraServer]:
    with FakeJiraServer("cloud") as server:
        yield server


def generated(engine: Engine, channel: str = "C0TEST", site: str = "Acme Outdoors") -> int:
    session_id = new_session(engine.uow_factory, channel=channel, site=site)
    engine.service.generate_tickets(session_id)
    return session_id


def tickets(engine: Engine, session_id: int) -> dict[str, dict[str, Any]]:
    with engine.uow_factory() as uow:
        return {t.spec_key: {"id": t.id, "status": t.status, "key": t.jira_key, "state": t.jira_state,
                             "label": t.jira_label} for t in uow.tickets.for_session(session_id)}


def dependency_pairs(engine: Engine, session_id: int) -> set[tuple[str, str]]:
    """(blocker key, blocked key) for every dependency of the session, by Jira key."""
    with engine.uow_factory() as uow:
        keys = {t.id: t.jira_key for t in uow.tickets.for_session(session_id)}
        return {(str(keys[d.depends_on_id]), str(keys[d.ticket_id])) for d in uow.tickets.dependencies(session_id)}


def one_issue_per_label(fake: FakeJiraServer) -> None:
    labels = Counter(label for issue in fake.issues.values() for label in issue.fields["labels"]
                     if is_ticket_label(label) or label.startswith("ticketbot-epic-"))
    assert labels and max(labels.values()) == 1, [k for k, v in labels.items() if v > 1]


def assert_each_create_sent_once(fake: FakeJiraServer) -> None:
    sent = Counter(label for body in fake.bodies("create") for label in body["fields"]["labels"])
    sent.update(label for body in fake.bodies("bulk") for item in body["issueUpdates"]
                for label in item["fields"]["labels"])
    repeated = [label for label, n in sent.items()
                if (is_ticket_label(label) or label.startswith("ticketbot-epic-")) and n > 1]
    assert not repeated


def assert_all_pushed_once(engine: Engine, session_id: int, fake: FakeJiraServer) -> None:
    found = tickets(engine, session_id)
    assert all(t["status"] == "pushed" and t["state"] == "created" for t in found.values()), found
    one_issue_per_label(fake)
    for ticket in found.values():
        assert fake.issues[str(ticket["key"])].fields["labels"][-1] == ticket["label"]
        assert is_ticket_label(str(ticket["label"])) and f"-t{ticket['id']}-" in str(ticket["label"])


# ---- approving --------------------------------------------------------------------------------------------


def test_a_pushed_tickets_link_never_carries_the_userinfo_of_jira_url(pg_engine: Engine,
                                                                     cloud: FakeJiraServer) -> None:
    session_id = generated(pg_engine)
    publisher = build_publisher(pg_engine.uow_factory, cloud, url=cloud.url.replace("://", "://bot:url-pw@"))
    first = next(iter(tickets(pg_engine, session_id).values()))
    publisher.service.approve(int(first["id"]), "U1")
    key = str(next(iter(tickets(pg_engine, session_id).values()))["key"])
    assert publisher.notifier.pushed == [(first["id"], key, f"{cloud.url}/browse/{key}")]


def test_approving_a_draft_pushes_it_under_its_epic(engine: Engine, cloud: FakeJiraServer) -> None:
    session_id = generated(engine)
    publisher = build_publisher(engine.uow_factory, cloud)
    first = next(iter(tickets(engine, session_id).values()))
    decision = publisher.service.approve(int(first["id"]), "U1")
    assert decision.changed and decision.task_id is not None
    after = tickets(engine, session_id)[next(iter(tickets(engine, session_id)))]
    key = str(after["key"])
    assert (after["status"], after["state"]) == ("pushed", "created")
    issue = cloud.issues[key]
    with engine.uow_factory() as uow:
        instance = uow.instance.instance_id()
    # … and the push's own label, by which `undo` knows exactly what this push created.
    assert issue.fields["labels"] == ["ticketbot", f"ticketbot-{instance}-s{session_id}",
                                      f"ticketbot-{instance}-p{decision.task_id}", after["label"]]
    epic = cloud.issues[issue.fields["parent"]["key"]]
    assert epic.fields["summary"] == "Acme Outdoors — Foundation"  # the first ticket in build order: the modules
    assert publisher.notifier.pushed == [(first["id"], key, f"{cloud.url}/browse/{key}")]
    assert publisher.notifier.outcomes[-1].message == "1 issue in RPL under 1 epic, 0 links"
    with engine.uow_factory() as uow:
        assert uow.sessions.get(session_id).jira_project == "RPL"  # fixed at the first push
        assert [a.action for a in uow.audit.for_session(session_id)][-1] == "approve"
    # Approving again changes nothing and asks Jira nothing.
    before = len(cloud.requests)
    again = publisher.service.approve(int(first["id"]), "U2")
    assert not again.changed and again.jira_key == key and again.note == f"Already in Jira as {key}."
    assert len(cloud.requests) == before


def test_links_are_made_as_soon_as_both_ends_exist_whatever_the_approval_order(engine: Engine,
                                                                                 cloud: FakeJiraServer) -> None:
    session_id = generated(engine)
    publisher = build_publisher(engine.uow_factory, cloud)
    found = tickets(engine, session_id)
    # node.type.trail_guide depends on four tickets: approve it first, then its blockers one by one.
    guide = found["node.type.trail_guide"]
    publisher.service.approve(int(guide["id"]), "U1")
    assert cloud.links == []
    for blocker in ("taxonomy.vocabulary.trail_region", "paragraphs.paragraphs_type.trail_stage", "media.type.image",
                    "media.type.document"):
        publisher.service.approve(int(found[blocker]["id"]), "U1")
    guide_key = str(tickets(engine, session_id)["node.type.trail_guide"]["key"])
    shown = {cloud.shown(link) for link in cloud.links}
    for blocker in ("taxonomy.vocabulary.trail_region", "paragraphs.paragraphs_type.trail_stage", "media.type.image",
                    "media.type.document"):
        assert f"{tickets(engine, session_id)[blocker]['key']} blocks {guide_key}" in shown
    assert cloud.count("link") == 0  # each went in the blocker's create payload, the guide existing already


def test_approve_all_pushes_in_bulk_with_every_link_in_the_right_direction(engine: Engine,
                                                                            cloud: FakeJiraServer) -> None:
    session_id = generated(engine)
    publisher = build_publisher(engine.uow_factory, cloud)
    result = publisher.service.approve_all(session_id, "U1")
    n = len(result.approved)
    assert n == result.to_push == len(tickets(engine, session_id))
    assert_all_pushed_once(engine, session_id, cloud)
    pairs = dependency_pairs(engine, session_id)
    assert {(link.inward, link.outward) for link in cloud.links} == pairs  # blocker → blocked, each once
    epics = {i.key for i in cloud.issues.values() if i.fields["issuetype"]["id"] == cloud.issue_types["Epic"]}
    counts = cloud.counts()
    assert counts["bulk"] + counts["create"] <= math.ceil(n / 50) + len(epics)
    assert counts["link"] <= len(pairs)
    summary = publisher.service.summary(session_id)
    assert publisher.notifier.outcomes[-1].message == summary.text == \
        f"{n} issues in RPL under {len(epics)} epics, {len(pairs)} links"
    with engine.uow_factory() as uow:
        assert uow.sessions.get(session_id).status == "done"


def test_a_later_session_of_the_same_site_reuses_the_epics(engine: Engine, cloud: FakeJiraServer) -> None:
    publisher = build_publisher(engine.uow_factory, cloud)
    first = generated(engine, channel="C0ONE")
    publisher.service.approve_all(first, "U1")
    epics_before = len([i for i in cloud.issues.values() if i.fields["issuetype"]["id"] == "10000"])
    second = generated(engine, channel="C0TWO")
    publisher.service.approve_all(second, "U1")
    epics_after = len([i for i in cloud.issues.values() if i.fields["issuetype"]["id"] == "10000"])
    assert epics_after == epics_before
    other_site = generated(engine, channel="C0THREE", site="Other Site")
    publisher.service.approve_all(other_site, "U1")
    assert len([i for i in cloud.issues.values() if i.fields["issuetype"]["id"] == "10000"]) == 2 * epics_before


def test_an_epic_deleted_in_jira_since_is_made_again(pg_engine: Engine, cloud: FakeJiraServer) -> None:
    publisher = build_publisher(pg_engine.uow_factory, cloud, epics="parent")
    first = generated(pg_engine, channel="C0ONE")
    publisher.service.approve_all(first, "U1")
    content_epic = cloud.issues[str(tickets(pg_engine, first)["node.type.page"]["key"])].fields["parent"]["key"]
    del cloud.issues[content_epic]
    second = generated(pg_engine, channel="C0TWO")
    publisher.service.approve_all(second, "U1")
    assert_all_pushed_once(pg_engine, second, cloud)
    parent = cloud.issues[str(tickets(pg_engine, second)["node.type.page"]["key"])].fields["parent"]["key"]
    assert parent != content_epic and cloud.issues[parent].fields["summary"] == "Acme Outdoors — Content"


def test_reject_and_the_decisions_that_are_refused(engine: Engine, cloud: FakeJiraServer) -> None:
    session_id = generated(engine)
    publisher = build_publisher(engine.uow_factory, cloud)
    first, second = list(tickets(engine, session_id).values())[:2]
    assert publisher.service.reject(int(first["id"]), "U1").status == "rejected"
    assert not publisher.service.reject(int(first["id"]), "U1").changed
    publisher.service.approve(int(second["id"]), "U1")
    with pytest.raises(ProcessingError, match="in Jira already"):
        publisher.service.reject(int(second["id"]), "U1")
    assert publisher.service.approve(int(first["id"]), "U1").changed  # ✅ re-approves a rejected draft
    assert tickets(engine, session_id)[next(iter(tickets(engine, session_id)))]["status"] == "pushed"


def test_without_jira_approvals_are_recorded_and_push_says_so(engine: Engine) -> None:
    session_id = generated(engine)
    publisher = build_publisher(engine.uow_factory, None)
    first = next(iter(tickets(engine, session_id).values()))
    decision = publisher.service.approve(int(first["id"]), "U1")
    assert decision.status == "approved" and decision.task_id is None
    assert decision.note.startswith("Jira is not configured")
    assert publisher.service.approve_all(session_id, "U1").note.startswith("Jira is not configured")
    with pytest.raises(ProcessingError, match="Jira is not configured") as refused:
        publisher.service.push_pending(session_id, "U1")
    assert refused.value.category.value == "admin_required"
    assert "Jira is not configured" in publisher.service.preflight().describe()


def test_a_server_site_gets_wiki_descriptions_epic_links_and_epic_names(engine: Engine) -> None:
    session_id = generated(engine)
    with FakeJiraServer("server") as server:
        publisher = build_publisher(engine.uow_factory, server)
        publisher.service.approve_all(session_id, "U1")
        assert_all_pushed_once(engine, session_id, server)
        creates = [r for r in server.requests if r.kind in ("create", "bulk")]
        assert {r.version for r in creates} == {"2"}
        issues = [i for i in server.issues.values() if i.fields["issuetype"]["id"] == "10001"]
        assert all(isinstance(i.fields["description"], str) and i.fields["customfield_10014"] for i in issues)
        epics = [i for i in server.issues.values() if i.fields["issuetype"]["id"] == "10000"]
        assert all(e.fields["customfield_10011"] == e.fields["summary"] for e in epics)
        assert {(link.inward, link.outward) for link in server.links} == dependency_pairs(engine, session_id)


def test_epics_can_be_turned_off(engine: Engine, cloud: FakeJiraServer) -> None:
    session_id = generated(engine)
    publisher = build_publisher(engine.uow_factory, cloud, epics="none")
    publisher.service.approve_all(session_id, "U1")
    assert_all_pushed_once(engine, session_id, cloud)
    assert all("parent" not in i.fields for i in cloud.issues.values())
    assert cloud.count("create") == 0 and publisher.service.summary(session_id).epics == 0


# ---- the preflight before a session's first push ------------------------------------------------------------


def test_a_project_that_needs_a_field_we_do_not_fill_stops_the_first_push(pg_engine: Engine,
                                                                          cloud: FakeJiraServer) -> None:
    session_id = generated(pg_engine)
    cloud.screens["Story"]["customfield_10100"] = FakeField("customfield_10100", "Team", required=True)
    publisher = build_publisher(pg_engine.uow_factory, cloud)
    publisher.service.approve_all(session_id, "U1")
    outcome = publisher.notifier.outcomes[-1]
    assert outcome.status == "failed" and outcome.category == "user_fixable"
    assert "Jira project RPL requires the field *Team*, which ticketbot does not fill — set JIRA_FIELD_DEFAULTS" \
        in outcome.message
    assert cloud.count("create") + cloud.count("bulk") == 0
    assert {t["status"] for t in tickets(pg_engine, session_id).values()} == {"approved"}
    # Fixed by an admin: push tries again.
    fixed = build_publisher(pg_engine.uow_factory, cloud, field_defaults={"Team": {"id": "7"}})
    fixed.service.push_pending(session_id, "U1")
    assert_all_pushed_once(pg_engine, session_id, cloud)


# ---- J1: 429/503 with Retry-After ----------------------------------------------------------------------------


def test_rate_limits_are_waited_out_and_nothing_is_duplicated(pg_engine: Engine, cloud: FakeJiraServer) -> None:
    session_id = generated(pg_engine)
    publisher = build_publisher(pg_engine.uow_factory, cloud)
    cloud.enqueue("bulk", Reply.error(429, retry_after="1"), Reply.error(429, retry_after="0"))
    cloud.enqueue("create", Reply.error(429, retry_after="0"))
    publisher.service.approve_all(session_id, "U1")
    assert_all_pushed_once(pg_engine, session_id, cloud)
    assert 1.0 in publisher.sleeps and cloud.count("bulk") == 3


def test_a_rate_limit_that_outlasts_the_retries_waits_and_resumes(pg_engine: Engine, cloud: FakeJiraServer) -> None:
    session_id = generated(pg_engine)
    publisher = build_publisher(pg_engine.uow_factory, cloud, max_attempts=2)
    cloud.enqueue("bulk", *[Reply.error(429, retry_after="0")] * 4)
    publisher.service.approve_all(session_id, "U1")
    assert_all_pushed_once(pg_engine, session_id, cloud)
    with pg_engine.uow_factory() as uow:
        temporary = [e.message for e in uow.errors.find(session_id, category="temporary")]
    assert len(temporary) == 2 and "rate limiting ticketbot (HTTP 429)" in temporary[0]


def test_a_503_after_the_create_happened_is_reconciled_by_label_never_resent(pg_engine: Engine,
                                                                             cloud: FakeJiraServer) -> None:
    """A proxy in front of Jira answers 503 although the issues exist: they are found, not created twice."""
    session_id = generated(pg_engine)
    publisher = build_publisher(pg_engine.uow_factory, cloud)
    cloud.enqueue("bulk", Reply.error_after_work(503))
    cloud.enqueue("create", Reply.error_after_work(503))  # the first epic, too
    publisher.service.approve_all(session_id, "U1")
    assert_all_pushed_once(pg_engine, session_id, cloud)
    assert_each_create_sent_once(cloud)
    assert not publisher.notifier.people


# ---- J2: the answer to a create is lost ----------------------------------------------------------------------


def test_a_reset_after_the_bulk_create_leaves_exactly_one_issue_per_ticket(pg_engine: Engine,
                                                                          cloud: FakeJiraServer) -> None:
    session_id = generated(pg_engine)
    publisher = build_publisher(pg_engine.uow_factory, cloud)
    cloud.enqueue("bulk", Reply.reset_after_work())
    cloud.enqueue("create", Reply.reset_after_work())  # the first epic, too
    publisher.service.approve_all(session_id, "U1")
    assert_all_pushed_once(pg_engine, session_id, cloud)
    assert_each_create_sent_once(cloud)  # the lost ones were found again by label, never sent again
    assert cloud.count("bulk") == 2  # the Content tickets waited for their epic to be found
    assert {(link.inward, link.outward) for link in cloud.links} == dependency_pairs(pg_engine, session_id)


# ---- J3: partial bulk failures -------------------------------------------------------------------------------


def test_a_bulk_create_refused_whole_for_one_reason_is_not_sent_again_one_by_one(pg_engine: Engine,
                                                                                  cloud: FakeJiraServer) -> None:
    session_id = generated(pg_engine)
    publisher = build_publisher(pg_engine.uow_factory, cloud, epics="none")
    cloud.refuse = lambda fields: {"customfield_10100": "Team is required."}
    publisher.service.approve_all(session_id, "U1")
    assert cloud.count("bulk") == 1 and cloud.count("create") == 0
    assert {t["state"] for t in tickets(pg_engine, session_id).values()} == {"failed"}
    assert publisher.service.summary(session_id).failed == len(tickets(pg_engine, session_id))


def test_issues_a_bulk_create_refused_are_retried_one_by_one(pg_engine: Engine, cloud: FakeJiraServer) -> None:
    session_id = generated(pg_engine)
    publisher = build_publisher(pg_engine.uow_factory, cloud, epics="none")
    cloud.enqueue("bulk", Reply.partial(1, 4))
    publisher.service.approve_all(session_id, "U1")
    assert_all_pushed_once(pg_engine, session_id, cloud)
    assert cloud.count("bulk") == 1 and cloud.count("create") == 2


def test_an_issue_jira_keeps_refusing_is_reported_and_the_rest_is_pushed(pg_engine: Engine,
                                                                         cloud: FakeJiraServer) -> None:
    session_id = generated(pg_engine)
    publisher = build_publisher(pg_engine.uow_factory, cloud)
    bad = tickets(pg_engine, session_id)["media.type.image"]
    label = f"-t{bad['id']}-"
    cloud.refuse = lambda fields: ({"components": "Component 'Web' is archived."}
                                   if any(label in x for x in fields["labels"]) else None)
    publisher.service.approve_all(session_id, "U1")
    found = tickets(pg_engine, session_id)
    assert found["media.type.image"]["state"] == "failed"
    assert sum(1 for t in found.values() if t["status"] == "pushed") == len(found) - 1
    summary = publisher.service.summary(session_id)
    assert summary.failed == 1 and "1 refused by Jira" in summary.text
    with pg_engine.uow_factory() as uow:
        [error] = uow.errors.find(session_id, category="user_fixable")
        assert error.entity == "media.type.image" and "Component 'Web' is archived." in error.message
    # The links waiting for it are made once it is in; `push` retries it.
    cloud.refuse = None
    publisher.service.push_pending(session_id, "U1")
    assert_all_pushed_once(pg_engine, session_id, cloud)
    assert {(link.inward, link.outward) for link in cloud.links} == dependency_pairs(pg_engine, session_id)


# ---- J4: Jira's search lags ------------------------------------------------------------------------------------


def test_search_lag_makes_a_lost_create_wait_then_it_is_found_never_duplicated(pg_engine: Engine,
                                                                              cloud: FakeJiraServer) -> None:
    session_id = generated(pg_engine)
    publisher = build_publisher(pg_engine.uow_factory, cloud, epics="none")
    cloud.search_misses = 2  # Jira's index lag, by a count of searches: no machine's speed changes it
    cloud.enqueue("bulk", Reply.reset_after_work())
    publisher.service.approve_all(session_id, "U1")
    assert_all_pushed_once(pg_engine, session_id, cloud)
    assert cloud.count("bulk") == 1 and cloud.count("search") == 3  # missed twice, found the third time
    stages = [p.stage for p in publisher.notifier.progress]
    assert any("waiting for Jira's search" in s for s in stages)


def test_a_create_search_never_confirms_is_raised_for_a_person_not_created_blind(pg_engine: Engine,
                                                                                cloud: FakeJiraServer) -> None:
    session_id = generated(pg_engine)
    publisher = build_publisher(pg_engine.uow_factory, cloud, epics="none")
    first = next(iter(tickets(pg_engine, session_id).values()))
    cloud.enqueue("create", Reply.reset_connection())  # lost on the way: Jira never saw it, nobody can tell
    publisher.service.approve(int(first["id"]), "U1")
    assert cloud.issues == {} and cloud.count("create") == 1
    assert cloud.count("search") == 6  # at 0, 0.1, 0.3, 0.7, 1.1 and 1.5 s: the window is 1.5 s
    [notice] = publisher.notifier.people
    after = tickets(pg_engine, session_id)[next(iter(tickets(pg_engine, session_id)))]
    assert notice.ticket_id == first["id"] and notice.label == after["label"]
    assert "cannot tell whether" in notice.message and "Nothing was created twice" in notice.message
    after = tickets(pg_engine, session_id)[next(iter(tickets(pg_engine, session_id)))]
    assert (after["status"], after["state"]) == ("approved", "needs_reconcile")
    assert publisher.notifier.outcomes[-1].summary.needs_person == 1
    # `push` searches once more, and still never creates it.
    publisher.service.push_pending(session_id, "U1")
    assert cloud.issues == {} and cloud.count("search") == 7
    # A person looked in Jira and confirms it is not there (`push confirm KEY`): now it is created, once.
    assert not publisher.service.confirm_ticket_not_in_jira(session_id, "no.such.key", "U2")
    first_key = next(k for k, t in tickets(pg_engine, session_id).items() if t["id"] == first["id"])
    assert publisher.service.confirm_ticket_not_in_jira(session_id, first_key, "U2")
    assert len(cloud.issues) == 1 and tickets(pg_engine, session_id)[next(iter(tickets(pg_engine, session_id)))][
        "status"] == "pushed"


def test_an_epic_search_never_confirms_holds_its_group_back_until_a_person_decides(pg_engine: Engine,
                                                                                   cloud: FakeJiraServer) -> None:
    session_id = generated(pg_engine)
    publisher = build_publisher(pg_engine.uow_factory, cloud)
    cloud.enqueue("create", Reply.reset_connection())  # the first (Foundation) epic: lost, never done
    publisher.service.approve_all(session_id, "U1")
    [notice] = publisher.notifier.people
    assert notice.ticket_id is None and notice.spec_key == "the Foundation epic"
    found = tickets(pg_engine, session_id)
    with pg_engine.uow_factory() as uow:
        foundation = {t.spec_key for t in uow.tickets.for_session(session_id) if t.group == "Foundation"}
    assert foundation  # the group whose epic was lost
    assert {k for k, t in found.items() if t["status"] != "pushed"} == foundation  # the other groups went ahead
    assert publisher.notifier.outcomes[-1].summary.waiting == len(foundation)
    assert publisher.service.confirm_epic_not_in_jira(session_id, "Foundation", "U2")
    assert_all_pushed_once(pg_engine, session_id, cloud)


def test_the_reconcile_window_searches_with_doubling_delays() -> None:
    from jobs.publishing.service import PublishingConfig, PublishingService

    service = PublishingService(uow_factory=None, gateway_factory=None, queue=None,  # type: ignore[arg-type]
                                config=PublishingConfig())
    delays = []
    for searches in range(1, 20):
        delay = service.reconcile_delay_s(searches)
        if delay is None:
            break
        delays.append(delay)
    assert delays == [5, 10, 20, 40, 80, 120, 120, 120, 85]
    assert sum(delays) == 600  # ten searches over ten minutes, then a person decides
    fast = PublishingService(uow_factory=None, gateway_factory=None, queue=None,  # type: ignore[arg-type]
                             config=replace(FAST))
    assert [fast.reconcile_delay_s(n) for n in range(1, 7)] == [0.1, 0.2, 0.4, 0.4, pytest.approx(0.4), None]


# ---- J5: credentials refused ------------------------------------------------------------------------------------


def test_refused_credentials_fail_the_push_at_once_with_what_to_check(pg_engine: Engine, cloud: FakeJiraServer,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    session_id = generated(pg_engine)
    cloud.auth = "reject"
    publisher = build_publisher(pg_engine.uow_factory, cloud)
    publisher.service.approve_all(session_id, "U1")
    outcome = publisher.notifier.outcomes[-1]
    assert (outcome.status, outcome.category) == ("failed", "admin_required")
    assert "check JIRA_EMAIL and JIRA_API_TOKEN" in outcome.message
    assert cloud.counts() == {"serverInfo": 1, "myself": 1}
    assert {t["state"] for t in tickets(pg_engine, session_id).values()} == {"none"}
    with pg_engine.uow_factory() as uow:  # X1: no secret in what is stored, logged or shown
        stored = str([(e.message, e.technical_details) for e in uow.errors.find(session_id)])
    assert cloud.api_token not in stored + caplog.text + outcome.message


def test_a_jira_that_is_briefly_unavailable_at_the_first_push_is_waited_for(pg_engine: Engine,
                                                                            cloud: FakeJiraServer) -> None:
    session_id = generated(pg_engine)
    publisher = build_publisher(pg_engine.uow_factory, cloud, max_attempts=2)
    cloud.enqueue("myself", Reply.error(503, retry_after="0"), Reply.error(503, retry_after="0"))
    publisher.service.approve_all(session_id, "U1")
    assert_all_pushed_once(pg_engine, session_id, cloud)
    assert cloud.count("myself") == 3  # two refused, then the preflight ran again after a backoff


def test_a_project_that_disappeared_mid_push_asks_an_admin(pg_engine: Engine, cloud: FakeJiraServer) -> None:
    session_id = generated(pg_engine)
    publisher = build_publisher(pg_engine.uow_factory, cloud)
    first, second = list(tickets(pg_engine, session_id).values())[:2]
    publisher.service.approve(int(first["id"]), "U1")
    cloud.auth = "forbid"
    publisher.service.approve(int(second["id"]), "U1")
    outcome = publisher.notifier.outcomes[-1]
    assert (outcome.status, outcome.category) == ("failed", "admin_required") and "403" in outcome.message
    assert tickets(pg_engine, session_id)[list(tickets(pg_engine, session_id))[1]]["state"] == "none"


def test_preflight_for_health_never_raises(engine: Engine, cloud: FakeJiraServer) -> None:
    publisher = build_publisher(engine.uow_factory, cloud)
    assert publisher.service.preflight().ok
    cloud.auth = "reject"
    result = publisher.service.preflight()
    assert not result.ok and "401" in result.describe()
    assert publisher.service.preflight("NOPE").problems  # a bad project is named, not raised
