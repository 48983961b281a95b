"""End to end: a run above the digest threshold through the real `serve`, RQ worker and fake Slack.

The thread holds the upload reply, the progress message and one digest page per group and 47 tickets;
every ticket is on exactly one line; a state change edits the page holding the ticket in place
(chat.update), never a new post; the threshold is per channel (`config digest`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.slack.wiring import build_slack
from bot.wiring.settings import Settings
from integrations.slack.digest_blocks import DIGEST_LINES, DIGEST_REVIEW_HINT
from jobs.states import ticket_move
from tests.fakes.slack_server import BOT_ID
from tests.support.confirmations import approve_everything
from tests.support.slack import texts
from tests.support.slack_stack import (
    BOB,
    Stack,
    bundles_csv,
    example_files,
    message,
    new_channel,
    running_stack,
    upload_and_start,
)
from tests.support.workers import wait_for


@pytest.fixture(scope="module")
def stack(pg_database: str, redis_db: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(pg_database, redis_db, tmp_path_factory.mktemp("digests")) as running:
        yield running


@dataclass(frozen=True)
class Row:
    id: int
    group: str
    digest_key: str | None


def key_of(m: dict[str, Any]) -> str:
    return str(((m.get("metadata") or {}).get("event_payload") or {}).get("key", ""))


def bot_messages(stack: Stack, channel: str, root: str) -> list[dict[str, Any]]:
    return [m for m in stack.slack.thread(channel, root) if m.get("bot_id") == BOT_ID]


def lines_on(m: dict[str, Any]) -> list[int]:
    """The ticket ids of a digest page's lines (each line's block_id is `t<ticket id>`)."""
    return [int(b["block_id"][1:]) for b in m["blocks"] if b.get("accessory", {}).get("type") == "overflow"]


def posts_and_updates(stack: Stack, channel: str) -> tuple[int, list[str]]:
    posts = sum(1 for c in stack.slack.calls_to("chat.postMessage") if c.params.get("channel") == channel)
    updates = [str(c.params.get("ts")) for c in stack.slack.calls_to("chat.update")
               if c.params.get("channel") == channel]
    return posts, updates


def test_a_large_run_is_reviewed_in_digest_pages_kept_in_step_in_place(stack: Stack) -> None:
    channel = new_channel()
    sid, root = upload_and_start(stack, channel, {"bundles.csv": bundles_csv(100, "A <!channel> & type")})
    with stack.uow_factory() as uow:
        tickets = [Row(t.id, t.group, t.digest_key) for t in uow.tickets.for_session(sid)]
        assert uow.sessions.get(sid).digest_mode is True  # 100+ planned > the default threshold of 50
        placed = {t.id: t.digest_key for t in tickets}
    groups = Counter(t.group for t in tickets)
    assert len(tickets) > 100 and groups["Content"] >= 100
    expected_pages = sum(math.ceil(n / DIGEST_LINES) for n in groups.values())

    # A few bot messages, not one per ticket: the upload reply, the progress message, the digest pages.
    messages = bot_messages(stack, channel, root)
    pages = [m for m in messages if key_of(m).startswith("digest:")]
    assert len(pages) == expected_pages and len(messages) == 2 + expected_pages
    assert not [m for m in messages if key_of(m).startswith("draft:")]
    # Every ticket on exactly one line, on the page its row names; no page over 47 lines.
    seen = Counter(tid for m in pages for tid in lines_on(m))
    assert set(seen) == {t.id for t in tickets} and set(seen.values()) == {1}
    for m in pages:
        assert 1 <= len(lines_on(m)) <= DIGEST_LINES and len(m["blocks"]) <= 50
        assert all(placed[tid] == key_of(m) for tid in lines_on(m))
    content = sorted((m for m in pages if ":Content:" in key_of(m)), key=lambda m: int(key_of(m).rsplit(":", 1)[1]))
    assert [len(lines_on(m)) for m in content][:2] == [DIGEST_LINES, DIGEST_LINES]  # pages fill in order
    body = texts(content[0])
    assert "<!channel>" not in body
    progress = texts(message(stack, f"progress:s{sid}"))
    assert DIGEST_REVIEW_HINT in progress and "completed 100%" in message(stack, f"progress:s{sid}")["text"]

    # One ticket's decision (what every handler calls: a named transition, then show_draft(bump=True))
    # edits the one page holding it, in place.
    target = next(t for t in tickets if placed[t.id] == key_of(content[1]))
    with stack.uow_factory() as uow:
        record = uow.tickets.get(target.id)
        record.status, record.decided_by = ticket_move(record.status, "reject"), BOB
        uow.commit()
    posts_before, updates_before = posts_and_updates(stack, channel)
    thread = build_slack(Settings.from_env(stack.serve_env), stack.uow_factory, None).thread
    assert thread.show_draft(target.id, bump=True)
    posts_after, updates_after = posts_and_updates(stack, channel)
    assert posts_after == posts_before
    assert updates_after[len(updates_before):] == [content[1]["ts"]]
    line = next(b for b in message(stack, key_of(content[1]))["blocks"] if b.get("block_id") == f"t{target.id}")
    assert "❌ rejected by <@U0BOB0001>" in line["text"]["text"]

    # ✅ on the progress message approves the rest: every page is edited in place, nothing is posted.
    approve_everything(stack.drive, channel, message(stack, f"progress:s{sid}")["ts"])
    wait_for(lambda: all("✓ approved by <@UALICE001>" in texts(message(stack, key_of(m))) for m in pages), 60,
             "every digest page to show the approvals")
    assert len(bot_messages(stack, channel, root)) == 2 + expected_pages
    assert posts_and_updates(stack, channel)[0] == posts_before
    assert {m["ts"] for m in pages} <= set(posts_and_updates(stack, channel)[1])
    assert "❌ rejected by <@U0BOB0001>" in texts(message(stack, key_of(content[1])))  # left as decided

    # A process that changed a ticket and died before its edit: the workers' Slack sweeper finds the page
    # behind its tickets and edits it in place; then the session is no longer behind.
    last_page = content[-1]
    edited = len([ts for ts in posts_and_updates(stack, channel)[1] if ts == last_page["ts"]])
    with stack.uow_factory() as uow:
        record = uow.tickets.get(lines_on(last_page)[0])
        record.status, record.decided_by = ticket_move(record.status, "reject"), BOB
        record.slack_version += 1
        uow.commit()
    wait_for(lambda: len([ts for ts in posts_and_updates(stack, channel)[1] if ts == last_page["ts"]]) > edited,
             60, "the sweeper to edit the page behind")
    assert "❌ rejected by <@U0BOB0001>" in texts(message(stack, key_of(last_page)))
    assert posts_and_updates(stack, channel)[0] == posts_before
    with stack.uow_factory() as uow:
        now = datetime.now(UTC)
        assert sid not in uow.messages.sessions_needing_sync(now, now + timedelta(seconds=1), 5)


def test_the_threshold_is_per_channel(stack: Stack) -> None:
    # `config digest off`: one message per draft even above the default threshold (the example plans 38,
    # so lower the default first for this channel's sibling to compare).
    off = new_channel()
    stack.drive.command("config digest off", channel=off, response="digest-off")
    wait_for(lambda: bool(stack.drive.responses("digest-off")), 20, "the answer to config digest off")
    assert "off (one message per draft)" in stack.drive.responses("digest-off")[0]["text"]
    sid_off, root_off = upload_and_start(stack, off, {"bundles.csv": bundles_csv(60)})
    keys = [key_of(m) for m in bot_messages(stack, off, root_off)]
    with stack.uow_factory() as uow:
        planned = len(uow.tickets.for_session(sid_off))
        assert uow.sessions.get(sid_off).digest_mode is False
    assert planned > 50 and sum(1 for k in keys if k.startswith("draft:")) == planned
    assert not any(k.startswith("digest:") for k in keys)

    # `config digest always`: a run of a handful of tickets is reviewed in a digest.
    always = new_channel()
    stack.drive.command("config digest always", channel=always, response="digest-always")
    wait_for(lambda: bool(stack.drive.responses("digest-always")), 20, "the answer to config digest always")
    sid, root = upload_and_start(stack, always, example_files())
    with stack.uow_factory() as uow:
        groups = Counter(t.group for t in uow.tickets.for_session(sid))
        assert uow.sessions.get(sid).digest_mode is True
    keys = [key_of(m) for m in bot_messages(stack, always, root)]
    assert sum(1 for k in keys if k.startswith("digest:")) == len(groups)  # 38 tickets: one page per group
    assert not any(k.startswith("draft:") for k in keys)

    # A bad value is refused in plain words.
    stack.drive.command("config digest lots", channel=always, response="digest-bad")
    wait_for(lambda: bool(stack.drive.responses("digest-bad")), 20, "the answer to a bad value")
    assert "is not a digest setting" in stack.drive.responses("digest-bad")[0]["text"]
