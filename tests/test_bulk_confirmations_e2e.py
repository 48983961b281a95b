"""End to end: bulk actions ask for a confirmation, `undo` takes a push back, and the command fixes.

The real `ticketbot serve` and `ticketbot worker` on PostgreSQL and Redis, the fake Slack and the fake
Jira, driven by signed requests: reactions and slash commands as events and commands, Confirm / Cancel
as form-encoded `block_actions` payloads. One stack serves the module (approvers: Alice only); each
test works in a channel of its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from integrations.slack.action_ids import BULK_CANCEL, BULK_CONFIRM, GROUP_APPROVE, group_value
from storage.models import utcnow
from tests.fakes.jira_server import FakeJiraServer
from tests.support.confirmations import button_value, click, wait_response
from tests.support.slack import texts
from tests.support.slack_stack import (
    ALICE,
    BOB,
    Stack,
    bundles_csv,
    drafts,
    message,
    new_channel,
    running_stack,
    ticket,
    upload_and_start,
    wait_session,
)
from tests.support.workers import wait_for


@pytest.fixture(scope="module")
def jira() -> Iterator[FakeJiraServer]:
    with FakeJiraServer("cloud") as server:
        yield server


@pytest.fixture(scope="module")
def stack(pg_database: str, redis_db: int, jira: FakeJiraServer,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(pg_database, redis_db, tmp_path_factory.mktemp("bulk"), TICKETBOT_APPROVERS=ALICE,
                       TICKETBOT_QUEUE="ticketbot-test-bulk", **jira.env()) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh_jira(jira: FakeJiraServer) -> None:
    jira.refuse = None
    jira.permissions["DELETE_ISSUES"] = True


def ephemerals_to(stack: Stack, user: str, channel: str) -> list[dict[str, Any]]:
    return [e for e in stack.slack.ephemerals if e.get("user") == user and e.get("channel") == channel]


def wait_ephemeral(stack: Stack, user: str, channel: str, count: int) -> dict[str, Any]:
    wait_for(lambda: len(ephemerals_to(stack, user, channel)) >= count, 30, f"ephemeral {count} to {user}")
    found = ephemerals_to(stack, user, channel)[count - 1]
    if isinstance(found.get("blocks"), str):
        found = {**found, "blocks": json.loads(found["blocks"])}
    return found


def expected_effect(stack: Stack, sid: int, ticket_ids: set[int]) -> str:
    """The counts the confirmation must show, from the database: issues, epics (all new here), links."""
    with stack.uow_factory() as uow:
        tickets = [t.group for t in uow.tickets.for_session(sid) if t.id in ticket_ids]
        links = sum(1 for d in uow.tickets.dependencies(sid)
                    if d.ticket_id in ticket_ids and d.depends_on_id in ticket_ids)
    groups = len(set(tickets))
    plural = "s" if groups != 1 else ""
    return (f"Create {len(tickets)} issue{'s' if len(tickets) != 1 else ''} in RPL under {groups} epic{plural} "
            f"({groups} new), {links} link{'s' if links != 1 else ''}")


def jira_keys(stack: Stack, sid: int) -> set[str]:
    with stack.uow_factory() as uow:
        return {str(t.jira_key) for t in uow.tickets.for_session(sid) if t.jira_key}


# ---- ✅ on the progress message: a confirmation, acting once, for approvers ----------------------------------


def test_approve_all_asks_first_and_its_confirmation_acts_once(stack: Stack, jira: FakeJiraServer) -> None:
    channel = new_channel()
    sid, _ = upload_and_start(stack, channel, {"bundles.csv": bundles_csv(4)}, start=f"start Site {channel}")
    posted = drafts(stack, sid)
    progress = message(stack, f"progress:s{sid}")
    created_before = jira.created_count

    stack.drive.react(channel, progress["ts"], "+1")  # 👍 approves single drafts only
    note = wait_ephemeral(stack, ALICE, channel, 1)
    assert "👍 approves one draft" in texts(note)
    stack.drive.react(channel, progress["ts"], "white_check_mark")
    asked = wait_ephemeral(stack, ALICE, channel, 2)
    shown = texts(asked)
    assert asked.get("thread_ts") == progress["thread_ts"]  # in the thread, to Alice only
    assert f"Approve all {len(posted)} drafts and push them to Jira?" in shown
    assert expected_effect(stack, sid, {t.id for t, _ in posted}) in shown
    confirmation = button_value(asked, BULK_CONFIRM)
    assert button_value(asked, BULK_CANCEL) == confirmation
    assert all(ticket(stack, t.id).status == "draft" for t, _ in posted)  # nothing happened yet
    assert jira.created_count == created_before

    # Bob is not an approver: refused privately, the confirmation stays.
    assert click(stack.drive, BULK_CONFIRM, confirmation, channel=channel, user=BOB, response="aa-bob").status == 200
    refused = wait_response(stack.drive, "aa-bob")
    assert "Only the approvers" in refused["text"] and refused.get("replace_original") is False
    assert all(ticket(stack, t.id).status == "draft" for t, _ in posted)

    assert click(stack.drive, BULK_CONFIRM, confirmation, channel=channel, user=ALICE, response="aa-1").status == 200
    done = wait_response(stack.drive, "aa-1")
    assert done.get("replace_original") is True
    assert f"Confirmed by <@{ALICE}>: approved {len(posted)} drafts" in done["text"]
    wait_for(lambda: all(ticket(stack, t.id).status == "pushed" for t, _ in posted), 60, "every ticket pushed")
    wait_for(lambda: "approved all drafts" in texts(message(stack, f"progress:s{sid}")), 30, "the thread's note")
    created = jira.created_count

    # A second click (or Slack delivering it again) acts never again.
    click(stack.drive, BULK_CONFIRM, confirmation, channel=channel, user=ALICE, response="aa-2")
    again = wait_response(stack.drive, "aa-2")
    assert f"Already confirmed by <@{ALICE}>" in again["text"]
    assert jira.created_count == created == created_before + len(posted) + len(
        {ticket_group(stack, t.id) for t, _ in posted})


def ticket_group(stack: Stack, ticket_id: int) -> str:
    with stack.uow_factory() as uow:
        return uow.tickets.get(ticket_id).group


def test_an_expired_or_cancelled_confirmation_does_nothing(stack: Stack, jira: FakeJiraServer) -> None:
    channel = new_channel()
    sid, _ = upload_and_start(stack, channel, {"bundles.csv": bundles_csv(2)}, start=f"start Site {channel}")
    posted = drafts(stack, sid)
    progress = message(stack, f"progress:s{sid}")
    stack.drive.react(channel, progress["ts"], "heavy_check_mark")
    first = button_value(wait_ephemeral(stack, ALICE, channel, 1), BULK_CONFIRM)
    with stack.uow_factory() as uow:  # the confirmation's minutes pass
        uow.confirmations.get(int(first)).expires_at = utcnow() - timedelta(seconds=1)
        uow.commit()
    click(stack.drive, BULK_CONFIRM, first, channel=channel, user=ALICE, response="ex-1")
    assert "expired" in wait_response(stack.drive, "ex-1")["text"]
    stack.drive.react(channel, progress["ts"], "white_check_mark")
    second = button_value(wait_ephemeral(stack, ALICE, channel, 2), BULK_CONFIRM)
    assert second != first
    click(stack.drive, BULK_CANCEL, second, channel=channel, user=ALICE, response="ex-2")
    assert f"Cancelled by <@{ALICE}>: nothing was done." in wait_response(stack.drive, "ex-2")["text"]
    click(stack.drive, BULK_CONFIRM, second, channel=channel, user=ALICE, response="ex-3")
    assert "Cancelled" in wait_response(stack.drive, "ex-3")["text"]
    assert all(ticket(stack, t.id).status == "draft" for t, _ in posted)
    assert not jira_keys(stack, sid)
    # A single draft's ✅ still acts at once.
    (t1, m1) = posted[0]
    stack.drive.react(channel, m1["ts"], "white_check_mark")
    wait_for(lambda: ticket(stack, t1.id).status == "pushed", 60, "the single draft pushed")


def test_approve_this_group_confirms_with_the_groups_counts(stack: Stack) -> None:
    channel = new_channel()
    sid, _ = upload_and_start(stack, channel, {"bundles.csv": bundles_csv(3)}, start=f"start Site {channel}")
    posted = drafts(stack, sid)
    content = {t.id for t, _ in posted if ticket_group(stack, t.id) == "Content"}
    assert content and len(content) < len(posted)
    click(stack.drive, GROUP_APPROVE, group_value(sid, "Content"), channel=channel, user=BOB, response="g-bob",
          ephemeral=False)
    assert "Only the approvers" in wait_response(stack.drive, "g-bob")["text"]
    click(stack.drive, GROUP_APPROVE, group_value(sid, "Content"), channel=channel, user=ALICE, response="g-1",
          ephemeral=False)
    asked = wait_response(stack.drive, "g-1")
    assert f"Approve the Content group's {len(content)} drafts" in texts(asked)
    assert expected_effect(stack, sid, content) in texts(asked)
    click(stack.drive, BULK_CONFIRM, button_value(asked, BULK_CONFIRM), channel=channel, user=ALICE,
          response="g-2")
    assert f"approved {len(content)} drafts" in wait_response(stack.drive, "g-2")["text"]
    wait_for(lambda: all(ticket(stack, t).status == "pushed" for t in content), 60, "the group pushed")
    assert all(ticket(stack, t.id).status == "draft" for t, _ in posted if t.id not in content)


# ---- `push` and `undo` -----------------------------------------------------------------------------------------


def test_push_confirms_exact_counts_and_undo_takes_exactly_that_push_back(stack: Stack,
                                                                          jira: FakeJiraServer) -> None:
    channel = new_channel()
    sid, _ = upload_and_start(stack, channel, {"bundles.csv": bundles_csv(4)}, start=f"start Site {channel}")
    posted = drafts(stack, sid)
    jira.refuse = lambda fields: {"summary": "refused while Jira is being set up"}  # every create refused
    progress = message(stack, f"progress:s{sid}")
    stack.drive.react(channel, progress["ts"], "white_check_mark")
    click(stack.drive, BULK_CONFIRM, button_value(wait_ephemeral(stack, ALICE, channel, 1), BULK_CONFIRM),
          channel=channel, user=ALICE, response="p-0")
    wait_response(stack.drive, "p-0")
    wait_for(lambda: all(ticket(stack, t.id).status == "approved" for t, _ in posted), 30, "all approved")
    wait_for(lambda: "failed" in texts(message(stack, f"progress:s{sid}")), 60, "the refused push")

    # One ticket stays refused: the push is partial, and undo takes back exactly what it created.
    refused_title = posted[1][0].title
    jira.refuse = lambda fields: {"summary": "still refused"} if fields.get("summary") == refused_title else None
    stack.drive.command("push", channel=channel, user=BOB, response="p-bob")
    assert "Only the approvers" in wait_response(stack.drive, "p-bob")["text"]
    stack.drive.command("push", channel=channel, user=ALICE, response="p-1")
    asked = wait_response(stack.drive, "p-1")
    assert f"Push {len(posted)} approved tickets to Jira?" in texts(asked)
    assert expected_effect(stack, sid, {t.id for t, _ in posted}) in texts(asked)
    click(stack.drive, BULK_CONFIRM, button_value(asked, BULK_CONFIRM), channel=channel, user=ALICE,
          response="p-2")
    assert f"Confirmed by <@{ALICE}>: pushing" in wait_response(stack.drive, "p-2")["text"]
    wait_for(lambda: len(jira_keys(stack, sid)) == len(posted) - 1, 60, "all but the refused ticket pushed")
    wait_for(lambda: "in RPL" in texts(message(stack, f"progress:s{sid}")), 30, "the push summary")
    pushed = jira_keys(stack, sid)
    epics = {str(jira.issues[k].fields["parent"]["key"]) for k in pushed}
    other = set(jira.issues) - pushed - epics  # issues of other tests: untouched by this undo
    with stack.uow_factory() as uow:
        push_task = uow.tasks.latest(sid, "push")
        assert push_task is not None
        push_id = push_task.id
        links = sum(1 for d in uow.tickets.dependencies(sid) if d.jira_link_state == "created")
    label = f"-p{push_id}"
    assert all(any(x.endswith(label) for x in jira.issues[k].fields["labels"]) for k in pushed | epics)

    stack.drive.command("undo", channel=channel, user=BOB, response="u-bob")
    assert "Only the approvers" in wait_response(stack.drive, "u-bob")["text"]
    stack.drive.command("undo", channel=channel, user=ALICE, response="u-1")
    asked = wait_response(stack.drive, "u-1")
    assert "Undo the last push to Jira?" in texts(asked)
    assert (f"Remove {len(pushed)} issues, {len(epics)} epic{'s' if len(epics) != 1 else ''} and {links} link"
            in texts(asked)) and f"by <@{ALICE}>" in texts(asked)
    click(stack.drive, BULK_CONFIRM, button_value(asked, BULK_CONFIRM), channel=channel, user=ALICE,
          response="u-2")
    assert f"Confirmed by <@{ALICE}>: undoing the last push" in wait_response(stack.drive, "u-2")["text"]
    wait_for(lambda: not jira_keys(stack, sid), 60, "every ticket back to approved")
    assert not (pushed | epics) & set(jira.issues) and other <= set(jira.issues)
    assert all(ticket(stack, t.id).status == "approved" for t, _ in posted)
    wait_for(lambda: "undid the last push" in texts(message(stack, f"progress:s{sid}")), 30, "who undid what")
    assert f"<@{ALICE}>" in texts(message(stack, f"progress:s{sid}"))
    first = posted[0][0]
    wait_for(lambda: "🚀 In Jira" not in texts(message(stack, f"draft:t{first.id}")), 30, "the draft re-shown")

    stack.drive.command("undo", channel=channel, user=ALICE, response="u-3")
    assert "Nothing to undo: the last push was undone already." in wait_response(stack.drive, "u-3")["text"]


# ---- command fixes ---------------------------------------------------------------------------------------------


def test_bare_command_unknown_words_remove_and_ignored_files(stack: Stack) -> None:
    channel = new_channel()
    answer = stack.drive.command("stauts", channel=channel)
    assert answer.status == 200 and "did you mean `status`?" in answer.json()["text"]
    assert "type `start stauts" in answer.json()["text"]

    # A screenshot in the channel: one short note, no session, no reply in a thread.
    stack.drive.share_files(channel, {"screenshot.png": b"\x89PNG\r\n\x1a\n" + b"0" * 64})
    note = wait_ephemeral(stack, ALICE, channel, 1)
    assert "Ignored `screenshot.png`: not a spreadsheet" in texts(note)
    with stack.uow_factory() as uow:
        assert uow.sessions.latest_in_channel(channel) is None

    root = stack.drive.share_files(channel, {"bundles.csv": bundles_csv(2), "extra.csv": bundles_csv(1),
                                             "design.pdf": b"%PDF-1.4 fake"})
    sid = wait_session(stack, channel)
    key = f"upload:s{sid}:{root}"
    wait_for(lambda: bool(stack.slack.by_key(key)) and "tickets planned" in texts(message(stack, key)), 30,
             "the upload reply")
    assert "design.pdf" not in texts(message(stack, key))
    stack.drive.share_files(channel, {"photo.jpg": b"\xff\xd8\xff" + b"0" * 32})  # no second note
    stack.drive.command("", channel=channel, response="bare-1")
    bare = texts(wait_response(stack.drive, "bare-1"))
    assert "*Next:*" in bare and "start SITE NAME" in bare
    assert len(ephemerals_to(stack, ALICE, channel)) == 1

    stack.drive.command("remove ext", channel=channel, response="rm-1")  # an unambiguous prefix
    assert "Removed `extra.csv`" in wait_response(stack.drive, "rm-1")["text"]
    wait_for(lambda: "🗑 `extra.csv` — removed" in texts(message(stack, key)), 30, "the reply edited")
    stack.drive.command("remove nothing.csv", channel=channel, response="rm-2")
    assert "No uploaded file is called `nothing.csv`" in wait_response(stack.drive, "rm-2")["text"]
    with stack.uow_factory() as uow:
        assert [u.name for u in uow.uploads.active(sid)] == ["bundles.csv"]

    stack.drive.command("start Acme", channel=channel, response="st-1")
    assert "Writing" in wait_response(stack.drive, "st-1")["text"]  # the ignored files never block start


def test_two_clicks_at_the_same_moment_act_once(stack: Stack, jira: FakeJiraServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    channel = new_channel()
    sid, _ = upload_and_start(stack, channel, {"bundles.csv": bundles_csv(2)}, start=f"start Site {channel}")
    posted = drafts(stack, sid)
    stack.drive.react(channel, message(stack, f"progress:s{sid}")["ts"], "white_check_mark")
    confirmation = button_value(wait_ephemeral(stack, ALICE, channel, 1), BULK_CONFIRM)
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda name: click(stack.drive, BULK_CONFIRM, confirmation, channel=channel,
                                                   user=ALICE, response=name), ["twice-1", "twice-2"]))
    assert [a.status for a in answers] == [200, 200]
    said = sorted(wait_response(stack.drive, name)["text"] for name in ("twice-1", "twice-2"))
    assert said[0].startswith(f"Already confirmed by <@{ALICE}>") and said[1].startswith("✅ Confirmed by")
    wait_for(lambda: all(ticket(stack, t.id).status == "pushed" for t, _ in posted), 60, "every ticket pushed")
    with stack.uow_factory() as uow:
        assert [a.action for a in uow.audit.for_session(sid)].count("approve_all") == 1
