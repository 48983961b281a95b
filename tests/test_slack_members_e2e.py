"""End to end, who may do what (issue 10, items 10, 12 and 18): admins, approvers and members of a channel,
through signed requests to the real `ticketbot serve` and a `ticketbot worker` on PostgreSQL."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from storage.models import AuditRecord
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
    wait_session,
)
from tests.support.workers import wait_for

ADMIN, CAROL = "U0ADMIN01", "U0CAROL01"


@pytest.fixture(scope="module")
def stack(pg_database: str, redis_db: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(pg_database, redis_db, tmp_path_factory.mktemp("slack-members"),
                       TICKETBOT_ADMINS=ADMIN) as running:
        yield running


def ask(stack: Stack, text: str, channel: str, user: str) -> str:
    """A command typed by `user`, and the text of its (one) ephemeral answer."""
    name = uuid.uuid4().hex[:8]
    answer = stack.drive.command(text, channel=channel, user=user, response=name)
    assert answer.status == 200
    if answer.body:  # answered in the acknowledgement
        return str(answer.json()["text"])
    wait_for(lambda: bool(stack.drive.responses(name)), 20, f"the answer to {text!r}")
    return str(stack.drive.responses(name)[0]["text"])


def channel_approvers(stack: Stack, channel: str) -> list[str] | None:
    with stack.uow_factory() as uow:
        record = uow.channels.get(channel)
        return None if record is None else record.approvers


def open_session(stack: Stack, channel: str) -> int | None:
    with stack.uow_factory() as uow:
        session = uow.sessions.open_in_channel(channel)
        return session.id if session is not None else None


def share(stack: Stack, channel: str, user: str) -> int:
    root = stack.drive.share_files(channel, {"bundles.csv": bundles_csv(2)}, user=user)
    wait_for(lambda: open_session(stack, channel) is not None, 30, "the session of the upload")
    sid = open_session(stack, channel)
    assert sid is not None
    key = f"upload:s{sid}:{root}"
    wait_for(lambda: bool(stack.slack.by_key(key)) and "tickets planned" in texts(message(stack, key)), 30,
             "the upload reply")
    return sid


def test_no_member_can_take_a_channel_over_only_its_first_uploader_or_an_admin_sets_approvers(stack: Stack) -> None:
    channel = new_channel()
    # Nobody has started a session here: only an admin may say who approves.
    refused = ask(stack, f"config approvers <@{BOB}>", channel, BOB)
    assert "Only an admin (TICKETBOT_ADMINS), or the person who started this channel's first session" in refused
    assert channel_approvers(stack, channel) is None

    share(stack, channel, ALICE)  # Alice starts the channel's first session
    assert "can set its approvers" in ask(stack, f"config approvers <@{BOB}>", channel, BOB)
    assert channel_approvers(stack, channel) is None
    saved = ask(stack, f"config approvers <@{CAROL}|carol>", channel, ALICE)
    assert "(saved)" in saved and f"<@{CAROL}>" in saved and f"<@{ADMIN}>" in saved  # admins are listed too
    assert channel_approvers(stack, channel) == [CAROL]

    # Once set, the list is the admins' to change: not the first uploader's, not an approver's.
    for who in (ALICE, CAROL):  # told who can, rather than "ask the approvers", who cannot either
        assert "approvers are set; only an admin (TICKETBOT_ADMINS, listed by `/generate-tickets config`) can " \
            "change them" in ask(stack, f"config approvers <@{who}> <@{BOB}>", channel, who)
    assert "Only the approvers of this channel may use `config`" in ask(stack, "config project XYZ", channel, ALICE)
    assert channel_approvers(stack, channel) == [CAROL]
    assert "(saved)" in ask(stack, "config jira_project RPL", channel, CAROL)  # other settings stay theirs

    # An admin is an approver of every channel without being on its list.
    sid = wait_session(stack, channel)
    stack.drive.command("start", channel=channel, user=ALICE)  # anyone may start
    wait_for(lambda: len(stack.slack.by_key(f"progress:s{sid}")) == 1
             and "completed 100%" in message(stack, f"progress:s{sid}")["text"], 90, "the run")
    _behat, (t1, m1), (t2, m2) = drafts(stack, sid)  # the Behat set-up ticket opens every plan
    stack.drive.react(channel, m1["ts"], "white_check_mark", user=ADMIN)
    stack.drive.react(channel, m2["ts"], "white_check_mark", user=BOB)
    wait_for(lambda: ticket(stack, t1.id).status == "approved", 20, "the admin's approval")
    assert ticket(stack, t2.id).status == "draft"

    reset = ask(stack, "config approvers -", channel, ADMIN)
    assert "(saved)" in reset and "anyone in the channel" in reset
    assert channel_approvers(stack, channel) is None
    with stack.uow_factory() as uow:
        configs = [a.actor for a in uow.db.scalars(select(AuditRecord).where(AuditRecord.action == "config")
                                                   .order_by(AuditRecord.id)) if channel in a.detail]
    assert configs == [ALICE, CAROL, ADMIN]


def test_new_is_for_approvers_and_start_after_it_answers_in_words(stack: Stack) -> None:
    channel = new_channel()
    share(stack, channel, ALICE)
    assert "(saved)" in ask(stack, f"config approvers <@{ALICE}>", channel, ALICE)
    assert "Closed the open session" in ask(stack, "new", channel, ALICE)
    answer = ask(stack, "start", channel, ALICE)  # it used to crash on a detached record
    assert "This channel's last session is cancelled" in answer
    assert "Something went wrong" not in answer
    assert "DetachedInstanceError" not in stack.serve.output()

    sid = share(stack, channel, ALICE)
    assert "Only the approvers of this channel may use `new`" in ask(stack, "new", channel, BOB)
    with stack.uow_factory() as uow:
        assert uow.sessions.get(sid).status == "collecting"


def test_usage_texts_and_error_answers_show_what_was_typed_inert(stack: Stack) -> None:
    channel = new_channel()
    # Slack sends a typed `<` as `&lt;`; the usage text quotes the command as typed, decoded for reading.
    usage = ask(stack, "status &lt;!channel&gt; &lt;@U0ADMIN01&gt;", channel, BOB)
    assert "takes nothing after it" in usage
    assert "<!channel>" not in usage and "<@U0ADMIN01>" not in usage
    assert "&lt;!channel&gt;" in usage

    refused = ask(stack, "config jira_project <https://evil.example|approve me>", channel, BOB)
    assert "is not a Jira project key" in refused
    assert "<https://evil" not in refused and "&lt;https://evil.example|approve me&gt;" in refused


def test_a_channel_sets_its_own_merge_threshold_and_its_uploads_are_planned_with_it(stack: Stack) -> None:
    """Issue 11 item 8: the merge threshold per channel, as a team sets it in Slack."""
    from tests.test_plan_kinds import FAMILY_MENUS  # 13 new menus in three name families, and core's main

    def planned(channel: str) -> int:
        root = stack.drive.share_files(channel, {"menus.csv": FAMILY_MENUS.encode()}, user=ALICE)
        wait_for(lambda: open_session(stack, channel) is not None, 30, "the session of the upload")
        key = f"upload:s{open_session(stack, channel)}:{root}"
        wait_for(lambda: bool(stack.slack.by_key(key)) and "tickets planned" in texts(message(stack, key)), 30,
                 "the upload reply")
        found = re.search(r"(\d+) tickets planned", texts(message(stack, key)))
        assert found is not None
        return int(found[1])

    default, never = new_channel(), new_channel()
    saved = ask(stack, "config merge_threshold 0", never, ALICE)
    assert "(saved)" in saved and "merge_threshold" in saved
    assert "0 (set for this channel)" in ask(stack, "config", never, ALICE)
    # Default (10): three family tickets; 0: each of the 13 menus its own; both add the foundation tickets
    # (modules, Behat, the provided main menu).
    assert planned(default) == 3 + 3
    assert planned(never) == 13 + 3
    refused = ask(stack, "config merge_threshold lots", default, ALICE)
    assert "is not a merge threshold: give a whole number" in refused and "(saved)" not in refused
