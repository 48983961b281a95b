"""The Jira gateway with the real `jira` library against the fake Jira server (Cloud and Server/DC).

Covers the link direction (docs/design.md §10), the payloads of both flavours, and the gateway's share of fault
rows J1–J5 and X1 of ../shared/reference/reliability-security.md §3.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Iterator

import pytest

from integrations.jira.errors import (
    JiraAdminRequired,
    JiraOutcomeUnknown,
    JiraTemporary,
    JiraUserFixable,
)
from integrations.jira.gateway import IssueDraft, JiraGateway, blocks_link, link_in_issue, one_line
from integrations.tickets import Estimate
from tests.factories import realistic_tickets
from tests.fakes.jira_server import FakeField, FakeIssue, FakeJiraServer, Reply, story_points_field


@pytest.fixture(params=["cloud", "server"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeJiraServer]:
    with FakeJiraServer(request.param) as server:
        yield server


@pytest.fixture
def cloud() -> Iterator[FakeJiraServer]:
    with FakeJiraServer("cloud") as server:
        yield server


def recording_gateway(fake: FakeJiraServer, **config: object) -> tuple[JiraGateway, list[float]]:
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    return JiraGateway(fake.config(**config), sleep=sleep), sleeps


def story(n: int = 1, **fields: object) -> IssueDraft:
    ticket = realistic_tickets()[n % 4]
    values: dict[str, object] = {"summary": ticket.content.title, "labels": ("ticketbot", f"ticketbot-t{n}"),
                                 "ticket": ticket, **fields}
    return IssueDraft(**values)  # type: ignore[arg-type]


# ---- the link direction: blocker in inwardIssue ----------------------------------------------------------


def test_the_blocker_goes_in_inward_issue_and_the_blocked_in_outward_issue() -> None:
    assert blocks_link("RPL-1", "RPL-2") == {"inwardIssue": {"key": "RPL-1"}, "outwardIssue": {"key": "RPL-2"}}
    assert blocks_link("RPL-1", None) == {"inwardIssue": {"key": "RPL-1"}}  # the new issue is the blocked one
    assert blocks_link(None, "RPL-2") == {"outwardIssue": {"key": "RPL-2"}}  # the new issue is the blocker
    # Read back from an issue's own links the same way.
    assert link_in_issue("RPL-1", {"outwardIssue": {"key": "RPL-2"}}) == ("RPL-1", "RPL-2")
    assert link_in_issue("RPL-2", {"inwardIssue": {"key": "RPL-1"}}) == ("RPL-1", "RPL-2")


def test_a_link_request_shows_as_blocker_blocks_blocked(fake: FakeJiraServer) -> None:
    gateway = JiraGateway(fake.config())
    blocker = gateway.create_issue(story(1)).key
    blocked = gateway.create_issue(story(2)).key
    gateway.link(blocker, blocked)
    assert fake.bodies("link") == [{"type": {"name": "Blocks"}, "inwardIssue": {"key": blocker},
                                    "outwardIssue": {"key": blocked}}]
    assert [fake.shown(link) for link in fake.links] == [f"{blocker} blocks {blocked}"]
    assert gateway.linked(blocker, blocked) and not gateway.linked(blocked, blocker)


def test_links_to_existing_issues_travel_in_the_create_payload(fake: FakeJiraServer) -> None:
    gateway = JiraGateway(fake.config())
    tags = gateway.create_issue(story(1)).key
    view = gateway.create_issue(story(3)).key
    article = gateway.create_issue(story(2, blocked_by=(tags,), blocks=(view,))).key
    assert fake.bodies("create")[-1]["update"] == {"issuelinks": [
        {"add": {"type": {"name": "Blocks"}, "inwardIssue": {"key": tags}}},
        {"add": {"type": {"name": "Blocks"}, "outwardIssue": {"key": view}}},
    ]}
    assert {fake.shown(link) for link in fake.links} == {f"{article} blocks {view}", f"{tags} blocks {article}"}
    assert fake.count("link") == 0


# ---- payloads of each flavour ------------------------------------------------------------------------------


def test_cloud_creates_in_v3_with_adf_and_parent(cloud: FakeJiraServer) -> None:
    gateway = JiraGateway(cloud.config())
    epic = gateway.create_issue(IssueDraft("Acme — Content", ("ticketbot", "ticketbot-epic-1"), is_epic=True,
                                           text="The Content tickets of Acme."))
    gateway.create_issue(story(2, epic_key=epic.key))
    created = [r for r in cloud.requests if r.kind == "create"]
    assert {r.version for r in created} == {"3"}
    fields = created[1].body["fields"]
    assert fields["parent"] == {"key": epic.key}
    assert fields["description"]["type"] == "doc"
    assert fields["labels"] == ["ticketbot", "ticketbot-t2"]
    assert fields["issuetype"] == {"id": cloud.issue_types["Story"]}
    assert created[0].body["fields"]["issuetype"] == {"id": cloud.issue_types["Epic"]}


def test_server_creates_in_v2_with_wiki_epic_link_and_epic_name() -> None:
    with FakeJiraServer("server") as server:
        gateway = JiraGateway(server.config())
        epic = gateway.create_issue(IssueDraft("Acme — Content", ("ticketbot", "ticketbot-epic-1"), is_epic=True,
                                               text="The [~admin] tickets."))
        gateway.create_issue(story(2, epic_key=epic.key))
        created = [r for r in server.requests if r.kind == "create"]
        assert {r.version for r in created} == {"2"}
        assert created[0].body["fields"]["customfield_10011"] == "Acme — Content"  # Epic Name
        assert created[0].body["fields"]["description"] == "The \\[\\~admin\\] tickets."
        fields = created[1].body["fields"]
        assert fields["customfield_10014"] == epic.key  # Epic Link, found through /field
        assert "parent" not in fields
        assert fields["description"].startswith("h3. User story\n")
        assert server.count("field") == 1


def test_summaries_are_one_line_and_at_most_255_characters() -> None:
    assert one_line("@here\n<!channel>\t x") == "@here <!channel> x"
    assert len(one_line("x" * 300)) == 255 and one_line("x" * 300).endswith("…")
    assert one_line(" \n ") == "(untitled)"


def test_timeouts_are_explicit_and_the_library_never_retries(cloud: FakeJiraServer) -> None:
    gateway = JiraGateway(cloud.config(timeout_s=(5.0, 30.0)))
    session = gateway.transport.client._session
    assert session.timeout == (5.0, 30.0)
    assert session.max_retries == 0


# ---- J1: 429 and 503 with Retry-After ------------------------------------------------------------------------


def test_retry_after_is_honoured_then_the_request_succeeds(cloud: FakeJiraServer) -> None:
    gateway, sleeps = recording_gateway(cloud)
    gateway.setup()
    cloud.enqueue("create", Reply.error(429, "slow down", retry_after="1"))
    started = time.monotonic()
    gateway.create_issue(story(1))
    assert time.monotonic() - started >= 1.0
    assert sleeps == [1.0]
    assert cloud.count("create") == 2 and len(cloud.issues) == 1


@pytest.mark.parametrize("kind", ["create", "bulk"])
def test_a_503_to_a_create_is_an_unknown_outcome_and_never_resent(cloud: FakeJiraServer, kind: str) -> None:
    """A proxy may answer 503 after Jira created the issue: resending would make a second one."""
    gateway, sleeps = recording_gateway(cloud)
    gateway.setup()
    cloud.enqueue(kind, Reply.error_after_work(503))
    with pytest.raises(JiraOutcomeUnknown, match="HTTP 503"):
        if kind == "create":
            gateway.create_issue(story(1))
        else:
            gateway.create_issues([story(1), story(2)])
    assert cloud.count(kind) == 1 and sleeps == []
    assert len(cloud.issues) == (1 if kind == "create" else 2)  # Jira did act: reconciling finds them


def test_a_503_to_a_read_is_still_retried(cloud: FakeJiraServer) -> None:
    gateway, sleeps = recording_gateway(cloud)
    gateway.create_issue(story(1))
    cloud.enqueue("search", Reply.error(503, retry_after="0"))
    assert set(gateway.find_by_labels(["ticketbot-t1"])) == {"ticketbot-t1"}
    assert cloud.count("search") == 2 and sleeps == [0.0]


def test_retries_are_bounded(cloud: FakeJiraServer) -> None:
    gateway, sleeps = recording_gateway(cloud, max_attempts=3)
    gateway.setup()
    cloud.enqueue("bulk", *[Reply.error(429, retry_after="0") for _ in range(5)])
    with pytest.raises(JiraTemporary, match="rate limiting") as failed:
        gateway.create_issues([story(1), story(2)])
    assert cloud.count("bulk") == 3 and sleeps == [0.0, 0.0]
    assert failed.value.category == "temporary" and not cloud.issues


def test_a_retry_after_longer_than_we_wait_in_a_job_is_handed_to_the_caller(cloud: FakeJiraServer) -> None:
    gateway, sleeps = recording_gateway(cloud)
    gateway.setup()
    cloud.enqueue("create", Reply.error(429, retry_after="120"))
    with pytest.raises(JiraTemporary) as failed:
        gateway.create_issue(story(1))
    assert failed.value.retry_after_s == 120.0 and sleeps == [] and cloud.count("create") == 1


def test_reads_are_retried_after_a_lost_answer(cloud: FakeJiraServer) -> None:
    gateway, sleeps = recording_gateway(cloud)
    gateway.create_issue(story(1))
    cloud.enqueue("search", Reply.reset_connection())
    assert set(gateway.find_by_labels(["ticketbot-t1"])) == {"ticketbot-t1"}
    assert cloud.count("search") == 2 and sleeps == [1.0]


# ---- J2: the answer to a create is lost ------------------------------------------------------------------------


def test_a_create_whose_answer_is_lost_is_never_sent_again(fake: FakeJiraServer) -> None:
    gateway = JiraGateway(fake.config())
    gateway.setup()
    fake.enqueue("create", Reply.reset_after_work())
    with pytest.raises(JiraOutcomeUnknown):
        gateway.create_issue(story(7))
    assert fake.count("create") == 1 and len(fake.issues) == 1
    found = gateway.find_by_labels(["ticketbot-t7"])
    assert found["ticketbot-t7"].key == next(iter(fake.issues))


def test_a_bulk_create_whose_answer_is_lost_is_never_sent_again(fake: FakeJiraServer) -> None:
    gateway = JiraGateway(fake.config())
    gateway.setup()
    fake.enqueue("bulk", Reply.reset_after_work())
    with pytest.raises(JiraOutcomeUnknown):
        gateway.create_issues([story(1), story(2), story(3)])
    assert fake.count("bulk") == 1 and len(fake.issues) == 3
    assert set(gateway.find_by_labels(["ticketbot-t1", "ticketbot-t2", "ticketbot-t3", "ticketbot-t4"])) == {
        "ticketbot-t1", "ticketbot-t2", "ticketbot-t3"}


def test_a_5xx_after_a_create_was_sent_is_an_unknown_outcome(cloud: FakeJiraServer) -> None:
    gateway = JiraGateway(cloud.config())
    gateway.setup()
    cloud.enqueue("create", Reply.error(500, "oops"))
    with pytest.raises(JiraOutcomeUnknown):
        gateway.create_issue(story(1))
    assert cloud.count("create") == 1


# ---- J3: partial bulk failures -------------------------------------------------------------------------------


def test_a_partial_bulk_failure_says_which_issues_were_refused(fake: FakeJiraServer) -> None:
    gateway = JiraGateway(fake.config())
    gateway.setup()
    fake.refuse = lambda fields: {"summary": "You may not use this summary."} if "ticketbot-t3" in fields["labels"] \
        else None
    items = gateway.create_issues([story(n) for n in range(1, 5)])
    assert [i.issue is not None for i in items] == [True, True, False, True]
    error = items[2].error
    assert isinstance(error, JiraUserFixable) and "You may not use this summary." in error.message
    assert len(fake.issues) == 3 and fake.count("bulk") == 1


def test_a_bulk_create_where_everything_fails_is_a_list_of_refusals(cloud: FakeJiraServer) -> None:
    gateway = JiraGateway(cloud.config())
    gateway.setup()
    cloud.refuse = lambda fields: {"customfield_10100": "Team is required."}
    items = gateway.create_issues([story(1), story(2)])
    assert all(i.issue is None and i.error is not None and "Team is required." in i.error.message for i in items)


def test_a_bulk_create_takes_at_most_50(cloud: FakeJiraServer) -> None:
    gateway = JiraGateway(cloud.config())
    with pytest.raises(ValueError, match="1 to 50"):
        gateway.create_issues([story(n) for n in range(51)])


def test_a_field_error_is_user_fixable_with_jiras_words(cloud: FakeJiraServer) -> None:
    gateway = JiraGateway(cloud.config())
    gateway.setup()
    cloud.enqueue("create", Reply.error(400, errors={"summary": "Summary must be less than 255 characters."}))
    with pytest.raises(JiraUserFixable, match="Summary must be less than 255") as refused:
        gateway.create_issue(story(1))
    assert refused.value.field_errors == {"summary": "Summary must be less than 255 characters."}


# ---- J5: 401/403 and 410: no retry, clear message --------------------------------------------------------------


def test_401_is_not_retried_and_names_the_settings_to_check(fake: FakeJiraServer) -> None:
    fake.auth = "reject"
    gateway = JiraGateway(fake.config())
    with pytest.raises(JiraAdminRequired, match="401") as denied:
        gateway.preflight()
    which = "JIRA_EMAIL and JIRA_API_TOKEN" if fake.flavor == "cloud" else "JIRA_PAT"
    assert which in denied.value.message and denied.value.category == "admin_required"
    assert fake.counts() == {"serverInfo": 1, "myself": 1}


def test_403_is_not_retried(cloud: FakeJiraServer) -> None:
    cloud.auth = "forbid"
    gateway = JiraGateway(cloud.config())
    with pytest.raises(JiraAdminRequired, match="403"):
        gateway.create_issues([story(1)])
    assert cloud.count("createmeta") == 1 and cloud.count("bulk") == 0


def test_cloud_search_uses_search_jql_with_explicit_fields(cloud: FakeJiraServer) -> None:
    gateway = JiraGateway(cloud.config())
    gateway.create_issue(story(1))
    gateway.find_by_labels(["ticketbot-t1"])
    searches = [r for r in cloud.requests if r.kind == "search"]
    assert [r.path for r in searches] == ["search/jql"]
    assert searches[0].query["fields"] == ["labels,issuelinks,project"]
    assert searches[0].query["jql"] == ['project = "RPL" AND labels in ("ticketbot-t1") ORDER BY created ASC']


def test_a_label_found_in_another_project_is_not_taken_for_ours(cloud: FakeJiraServer) -> None:
    """The JQL is scoped to the project, and each answer is checked to be in it."""
    gateway = JiraGateway(cloud.config())
    gateway.create_issue(story(1))
    [ours] = cloud.issues.values()
    cloud.issues["OPS-1"] = FakeIssue("99999", "OPS-1", {**ours.fields, "project": {"key": "OPS"}}, ours.created_at)
    assert {label: issue.key for label, issue in gateway.find_by_labels(["ticketbot-t1"]).items()} == {
        "ticketbot-t1": ours.key}
    cloud.issues.pop(ours.key)
    assert gateway.find_by_labels(["ticketbot-t1"]) == {}


def test_410_gone_is_not_retried_and_says_so() -> None:
    with FakeJiraServer("server") as server:
        gateway = JiraGateway(server.config())
        server.enqueue("search", Reply.error(410, "The requested API has been removed."))
        with pytest.raises(JiraAdminRequired, match="410 Gone"):
            gateway.find_by_labels(["ticketbot-t1"])
        assert server.count("search") == 1


def test_an_unreachable_jira_is_temporary() -> None:
    with FakeJiraServer("cloud") as server:
        config = server.config(max_attempts=2)
    sleeps: list[float] = []
    gateway = JiraGateway(config, sleep=sleeps.append)  # the server is stopped now
    with pytest.raises(JiraTemporary, match="could not be reached"):
        gateway.preflight()
    assert sleeps == [1.0]


# ---- X1: no secret anywhere ------------------------------------------------------------------------------------


def test_secrets_appear_in_no_message_log_or_body(fake: FakeJiraServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = fake.api_token if fake.flavor == "cloud" else fake.pat
    gateway = JiraGateway(fake.config())
    gateway.preflight()
    fake.enqueue("create", Reply.error(429, retry_after="0"), Reply.error(400, f"echo {secret}"))
    with pytest.raises(JiraUserFixable) as refused:
        gateway.create_issue(story(1))
    fake.auth = "reject"
    with pytest.raises(JiraAdminRequired) as denied:
        gateway.create_issue(story(2))
    for text in (refused.value.message, str(refused.value.details), denied.value.message, caplog.text,
                 str([r.body for r in fake.requests])):
        assert secret not in text
    assert "***" in refused.value.message


# ---- preflight in plain words ----------------------------------------------------------------------------------


def test_preflight_passes_on_a_well_set_up_project(fake: FakeJiraServer) -> None:
    result = JiraGateway(fake.config()).preflight()
    assert result.ok and result.problems == () and result.setup is not None
    assert result.describe() == f"Jira project RPL is ready ({'Cloud' if fake.flavor == 'cloud' else 'Server'})."


def test_a_required_field_we_do_not_fill_is_named(cloud: FakeJiraServer) -> None:
    cloud.screens["Story"]["customfield_10100"] = FakeField("customfield_10100", "Team", required=True)
    result = JiraGateway(cloud.config()).preflight()
    assert not result.ok
    assert result.problems[0].message.startswith(
        "Jira project RPL requires the field *Team*, which ticketbot does not fill — set JIRA_FIELD_DEFAULTS")
    # Given a default (by id or by the field's name), it passes and every issue carries it.
    for key in ("customfield_10100", "Team"):
        gateway = JiraGateway(cloud.config(field_defaults={key: {"id": "42"}}))
        assert gateway.preflight().ok
        gateway.create_issue(story(1))
        assert cloud.bodies("create")[-1]["fields"]["customfield_10100"] == {"id": "42"}


def test_missing_project_issue_type_link_type_and_labels_are_each_named(cloud: FakeJiraServer) -> None:
    assert "Jira project NOPE does not exist" in JiraGateway(cloud.config(project="NOPE")).preflight().describe()
    del cloud.screens["Story"]["labels"]
    cloud.link_types = [t for t in cloud.link_types if t[1] != "Blocks"]
    cloud.permissions["LINK_ISSUES"] = False
    text = JiraGateway(cloud.config(issue_type="Feature")).preflight().describe()
    assert "Jira project RPL has no issue type *Feature* (it has: Story, Epic, Task, Bug) — set JIRA_ISSUE_TYPE" in text
    assert "This Jira has no issue link type *Blocks* (it has: Relates, Duplicate) — set JIRA_LINK_TYPE" in text
    assert "may not link issues in project RPL" in text
    text = JiraGateway(cloud.config()).preflight().describe()
    assert "The create screen of *Story* in RPL has no *Labels* field" in text


def test_epic_settings_are_checked(cloud: FakeJiraServer) -> None:
    text = JiraGateway(cloud.config(epics="epic-link")).preflight().describe()
    assert "JIRA_EPICS=epic-link, but this Jira has no Epic Link field" in text
    text = JiraGateway(cloud.config(epic_type="Initiative")).preflight().describe()
    assert "no issue type *Initiative* for the epics" in text
    assert JiraGateway(cloud.config(epic_type="Initiative", epics="none")).preflight().ok


def test_a_long_create_screen_is_read_page_by_page() -> None:
    with FakeJiraServer("server") as server:
        for n in range(120):
            server.screens["Story"][f"customfield_2{n:04d}"] = FakeField(f"customfield_2{n:04d}", f"Extra {n}")
        server.screens["Story"]["customfield_20119"] = FakeField("customfield_20119", "Last one", required=True)
        text = JiraGateway(server.config()).preflight().describe()
        assert "requires the field *Last one*" in text
        assert server.count("createmeta") == 1 + 3 + 1  # issue types; story fields in 3 pages; epic fields


# ---- estimates: the story-points field, or the description -------------------------------------------------


def sized_story(size: str = "L") -> IssueDraft:
    ticket = realistic_tickets()[1]
    content = dataclasses.replace(ticket.content, estimate=Estimate(size, "3 fields, 1 contributed module"))
    return IssueDraft(ticket.content.title, ("ticketbot", "ticketbot-sized"), ticket=dataclasses.replace(
        ticket, content=content))


def test_the_estimate_goes_in_the_story_points_field_preflight_finds(fake: FakeJiraServer) -> None:
    points = story_points_field(fake.flavor)
    gateway = JiraGateway(fake.config())
    assert gateway.preflight().setup.story_points_field == points.id  # type: ignore[union-attr]
    gateway.create_issue(sized_story("L"))
    fields = fake.bodies("create")[-1]["fields"]
    assert fields[points.id] == 5
    description = fields["description"]
    shown = description if isinstance(description, str) else json.dumps(description)
    assert "Estimate:" not in shown  # the field holds it; the description does not repeat it
    epic = gateway.create_issue(IssueDraft("Acme — Content", ("ticketbot", "ticketbot-epic"), is_epic=True,
                                           text="The Content tickets."))
    assert points.id not in fake.issues[epic.key].fields


def test_without_a_story_points_field_the_estimate_is_in_the_description_and_preflight_says_so(
        fake: FakeJiraServer) -> None:
    points = story_points_field(fake.flavor)
    del fake.screens["Story"][points.id]
    gateway = JiraGateway(fake.config())
    result = gateway.preflight()
    assert result.ok and result.setup is not None and result.setup.story_points_field is None
    assert "has no *Story Points* field, so each estimate goes in the description" in result.describe()
    gateway.create_issue(sized_story("M"))
    fields = fake.bodies("create")[-1]["fields"]
    assert points.id not in fields
    description = fields["description"]
    shown = description if isinstance(description, str) else json.dumps(description, ensure_ascii=False)
    assert "M (3 points): 3 fields, 1 contributed module" in shown


def test_a_text_field_named_story_points_is_not_taken_for_one(cloud: FakeJiraServer) -> None:
    del cloud.screens["Story"]["customfield_10016"]
    cloud.screens["Story"]["customfield_10500"] = FakeField("customfield_10500", "Story Points", type="string")
    assert JiraGateway(cloud.config()).preflight().setup.story_points_field is None  # type: ignore[union-attr]
