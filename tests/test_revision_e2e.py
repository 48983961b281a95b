"""End to end: a revised spec in a channel whose first session is in Jira. The real `ticketbot serve` and
`ticketbot worker`, fake Slack, fake OpenAI and fake Jira servers, driven by signed Slack requests.

The revised upload's reply shows the comparison before any work; its run sends only the new and changed
tickets to the LLM; drafts of changed tickets say what changed, the removed one proposes closing, the
unchanged ones are not posted again; `/generate-tickets history KEY` lists every version.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.fakes.jira_server import FakeJiraServer
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.confirmations import approve_everything
from tests.support.slack import texts
from tests.support.slack_stack import message, running_stack, wait_finished, wait_session
from tests.support.workers import wait_for

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CHANGED = {"core.extension", "node.type.event", "foundation.provided", "user.role.gear_reviewer",
           "user.role.publisher", "views.view.gear_reviews"}
NEW = {"taxonomy.vocabulary.event_type"}
REMOVED = "block_content.type.promo_banner"


def files(folder: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((EXAMPLES / folder).glob("*.csv"))}


def config_names(fake: FakeOpenAIServer) -> set[str]:
    """The spec key each chat request was about (the writer's data block names it)."""
    found = set()
    for body in fake.chat_requests:
        text = "\n".join(str(m.get("content") or "") for m in body.get("messages") or [])
        match = re.search(r'"config_name":\s*"([^"]+)"', text)
        found.add(match[1] if match else "?")
    return found


def test_a_revised_spec_writes_only_what_changed_and_shows_the_change(pg_database: str, redis_db: int,
                                                                      tmp_path: Path) -> None:
    with FakeOpenAIServer() as openai, FakeJiraServer("cloud") as jira, running_stack(
            pg_database, redis_db, tmp_path, TICKETBOT_QUEUE="ticketbot-test-revision", LLM_PROVIDER="openai",
            OPENAI_API_KEY="test-key", OPENAI_BASE_URL=openai.base_url, OPENAI_MODEL=openai.model,
            **jira.env()) as stack:
        channel = "CREVISION1"
        # 1. The first spec: written, approved at once (✅ on the progress message), pushed to Jira.
        first_root = stack.drive.share_files(channel, files("acme"))
        first = wait_session(stack, channel)
        wait_for(lambda: bool(stack.slack.by_key(f"upload:s{first}:{first_root}"))
                 and "tickets planned" in texts(message(stack, f"upload:s{first}:{first_root}")), 30, "the reply")
        assert "Revised spec" not in texts(message(stack, f"upload:s{first}:{first_root}"))
        assert stack.drive.command("start Acme Outdoors", channel=channel).status == 200
        wait_finished(stack, first)
        assert len(openai.chat_requests) == 38
        approve_everything(stack.drive, channel, message(stack, f"progress:s{first}")["ts"])

        def all_pushed() -> bool:
            with stack.uow_factory() as uow:
                return {t.status for t in uow.tickets.for_session(first)} == {"pushed"}

        wait_for(all_pushed, 120, "every ticket of the first session in Jira")
        with stack.uow_factory() as uow:
            first_keys = {t.spec_key: t.jira_key for t in uow.tickets.for_session(first)}
        openai.reset()

        # 2. The revised spec: the reply shows the change before any work.
        root = stack.drive.share_files(channel, files("acme-revised"))
        wait_for(lambda: wait_session(stack, channel) != first, 30, "the revision's session")
        second = wait_session(stack, channel)
        reply_key = f"upload:s{second}:{root}"
        wait_for(lambda: bool(stack.slack.by_key(reply_key)) and "Revised spec" in texts(message(stack, reply_key)),
                 30, "the revision summary in the upload reply")
        reply = texts(message(stack, reply_key))
        assert "31 unchanged, 6 changed (" in reply and "Event: field Capacity added" in reply
        assert "Gear reviews: display Feed removed" in reply and "… and " not in reply
        assert "), 1 new, 1 removed" in reply
        assert openai.chat_requests == []  # nothing written yet

        # 3. Start: only new and changed tickets reach the LLM.
        started = stack.drive.command("start", channel=channel, response="revision-start")
        assert started.status == 200
        wait_finished(stack, second)
        start_answer = stack.drive.responses("revision-start")[0]["text"]
        assert "Writing 7 tickets" in start_answer and "Only new and changed tickets are written" in start_answer
        assert config_names(openai) == CHANGED | NEW
        assert len(openai.chat_requests) == 7

        with stack.uow_factory() as uow:
            tickets = {t.spec_key: t for t in uow.tickets.for_session(second)}
            previous = {t.spec_key: t for t in uow.tickets.for_session(first)}
            kinds = {k: t.change_kind for k, t in tickets.items()}
            assert {k for k, v in kinds.items() if v == "changed"} == CHANGED
            assert {k for k, v in kinds.items() if v == "new"} == NEW
            assert {k for k, v in kinds.items() if v == "removed"} == {REMOVED}
            assert sum(1 for v in kinds.values() if v == "unchanged") == 31
            for key, record in tickets.items():
                if kinds[key] == "unchanged":  # copied, in Jira as it was: nothing to do
                    assert (record.status, record.jira_state, record.jira_key) == ("pushed", "created", first_keys[key])
                    assert record.title == previous[key].title and record.revises_ticket_id == previous[key].id
            event = tickets["node.type.event"]
            assert (event.status, event.jira_state, event.jira_key) == ("draft", "none", first_keys["node.type.event"])
            assert event.revises_ticket_id == previous["node.type.event"].id and event.writer == "openai"
            assert event.changes == [{"what": "field Capacity added", "file": "fields.csv", "row": 25, "column": "",
                                      "old": "", "new": ""}]
            removed = tickets[REMOVED]
            assert (removed.status, removed.jira_key) == ("draft", first_keys[REMOVED])
            assert tickets["taxonomy.vocabulary.event_type"].jira_key is None
            ids = {k: t.id for k, t in tickets.items()}
            # Dependencies resolve to every ticket of the session, unchanged ones included.
            edges = {(e.ticket_id, e.depends_on_id) for e in uow.tickets.dependencies(second)}
            assert (ids["views.view.trail_guides"], ids["node.type.trail_guide"]) in edges

        # 4. Drafts: what changed, the proposal to close; unchanged ones are not posted for review.
        drafts = {key: stack.slack.by_key(f"draft:t{ticket_id}") for key, ticket_id in ids.items()}
        assert {k for k, found in drafts.items() if found} == CHANGED | NEW | {REMOVED}
        event_draft = texts(drafts["node.type.event"][0])
        assert "*What changed* since" in event_draft and "• field Capacity added" in event_draft
        assert f"{jira.url}/browse/{first_keys['node.type.event']}" in event_draft
        closing = texts(drafts[REMOVED][0])
        assert "Proposes closing" in closing and "custom block type Promo banner marked X = d" in closing
        assert "React ✅ to close it in Jira as obsolete" in closing
        assert "What changed" not in texts(drafts["taxonomy.vocabulary.event_type"][0])

        # 5. History: both versions of the Event ticket, with writer, approver and Jira key.
        assert stack.drive.command("history node.type.event", channel=channel, response="history").status == 200
        wait_for(lambda: bool(stack.drive.responses("history")), 20, "the history answer")
        history = texts(stack.drive.responses("history")[0])
        assert "History of `node.type.event`" in history and "2 versions" in history
        assert f"*session {first}*" in history and f"*session {second}*" in history
        assert "approved by <@UALICE001>" in history and f"Jira `{first_keys['node.type.event']}`" in history
        assert "↳ field Capacity added" in history and "written by openai" in history
