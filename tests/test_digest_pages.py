"""Digest pages at Slack's limits: a full page is exactly 50 blocks, a worst-case line exactly fits its
section's 3,000 characters, pages never reshuffle, and the fake Slack refuses what real Slack would."""

from __future__ import annotations

import json

import pytest

from integrations.slack.action_ids import DRAFT_MENU, GROUP_APPROVE, MENU_VERBS, parse_group_value, parse_menu_value
from integrations.slack.digest_blocks import (
    DIGEST_LINES,
    DigestLineView,
    DigestPageView,
    digest_line,
    digest_message,
)
from integrations.slack.text import MAX_BLOCKS, MAX_SECTION_CHARS
from jobs.thread.digests import assign_pages, digest_key, parse_digest_key
from tests.fakes.slack_server import _check_message

HOSTILE = "<!channel> @here <@U0ADMIN1> <https://evil.example|approve me> & `tick`"


def worst_line(ticket_id: int, status: str = "pushed") -> DigestLineView:
    """The longest line a ticket can make: a 255-character key and title of characters that escape to
    five, a long size, a Jira link, edited and template text."""
    return DigestLineView(ticket_id=ticket_id, spec_key=("&`<" * 85)[:255], title=(HOSTILE + "&" * 255)[:255],
                          size="XXL · 13 pts", status=status, decided_by="UALICE001", jira_key=f"RPL-{ticket_id}",
                          jira_url=f"https://jira.example/browse/RPL-{ticket_id}", edited=True, fallback=True)


def page(lines: list[DigestLineView], group: str = "User Roles", number: int = 1) -> DigestPageView:
    return DigestPageView(session_id=12, site=HOSTILE, group=group, page=number, lines=tuple(lines))


def sent(message: object) -> dict[str, object]:
    """What chat.postMessage carries, through JSON like the SDK sends it."""
    return json.loads(json.dumps({"text": message.text, "blocks": message.blocks}))  # type: ignore[attr-defined]


def test_a_full_page_of_worst_case_lines_is_exactly_fifty_blocks_and_slack_takes_it() -> None:
    message = digest_message(page([worst_line(i) for i in range(1, DIGEST_LINES + 1)]))
    assert len(message.blocks) == MAX_BLOCKS == 50
    assert _check_message(sent(message)) == ""
    lines = [b for b in message.blocks if b.get("accessory")]
    assert len(lines) == DIGEST_LINES
    for block in lines:
        assert len(block["text"]["text"]) <= MAX_SECTION_CHARS
        assert "<!channel>" not in block["text"]["text"] and "<@U0ADMIN1>" not in block["text"]["text"]
        assert "<https://evil" not in block["text"]["text"]
    # the Jira link is whole: only the title is ever shortened
    assert "<https://jira.example/browse/RPL-7|RPL-7>" in lines[6]["text"]["text"]


def test_one_line_more_than_a_page_holds_is_refused_before_slack_sees_it() -> None:
    with pytest.raises(ValueError):
        digest_message(page([worst_line(i) for i in range(DIGEST_LINES + 1)]))


def test_a_line_whose_title_overflows_is_cut_to_exactly_the_section_limit() -> None:
    line = DigestLineView(ticket_id=3, spec_key="content_type.page", title="A" * 5000, size="M · 3 pts",
                          status="approved", decided_by="UALICE001")
    text = digest_line(line)["text"]["text"]
    assert len(text) == MAX_SECTION_CHARS
    assert text.startswith("`content_type.page` *AAA") and text.endswith("· ✓ approved by <@UALICE001>")
    short = digest_line(DigestLineView(ticket_id=4, spec_key="k", title="Short"))["text"]["text"]
    assert short == "`k` *Short*"


def test_each_line_carries_its_menu_and_each_page_approves_its_group() -> None:
    message = digest_message(page([DigestLineView(ticket_id=41, spec_key="a", title="A"),
                                   DigestLineView(ticket_id=42, spec_key="b", title="B", status="rejected",
                                                  decided_by="U0BOB0001")], group="Content", number=3))
    menus = [b["accessory"] for b in message.blocks if b.get("accessory")]
    assert [m["action_id"] for m in menus] == [DRAFT_MENU, DRAFT_MENU]
    assert [parse_menu_value(o["value"]) for o in menus[1]["options"]] == [(v, 42) for v in MENU_VERBS]
    actions = [b for b in message.blocks if b["type"] == "actions"]
    assert len(actions) == 1
    button = actions[0]["elements"][0]
    assert button["action_id"] == GROUP_APPROVE and parse_group_value(button["value"]) == (12, "Content")
    assert message.blocks[0]["text"]["text"].startswith("Content (part 3)")
    assert "❌ rejected by <@U0BOB0001>" in message.blocks[2]["text"]["text"]
    assert "2 tickets · 0 approved · 1 rejected" in message.text


def test_pages_fill_the_last_one_first_and_never_move_a_ticket() -> None:
    first = assign_pages({}, list(range(200)))
    counts = {p: sum(1 for v in first.values() if v == p) for p in set(first.values())}
    assert counts == {1: 47, 2: 47, 3: 47, 4: 47, 5: 12}
    later = assign_pages(counts, list(range(200, 240)))
    assert set(later.values()) == {5, 6}
    assert sum(1 for v in later.values() if v == 5) == 35  # page 5 filled to 47, then page 6
    assert not set(first) & set(later)
    assert assign_pages({1: 47}, [1]) == {1: 2}
    assert assign_pages({1: 46}, [1, 2]) == {1: 1, 2: 2}


def test_digest_keys_name_session_group_and_page() -> None:
    key = digest_key(12, "User Roles", 2)
    assert key == "digest:s12:User Roles:2" and parse_digest_key(key) == (12, "User Roles", 2)
    assert parse_digest_key("draft:t5") is None and parse_digest_key("digest:sx:G:1") is None
    assert len(digest_key(2**31, "G" * 32, 999)) <= 128  # the outbox key column


@pytest.mark.parametrize("breakage", ["51 blocks", "6 options", "1 option", "76-char option", "151-char value",
                                      "256-char action_id", "repeated block_id", "76-char button"])
def test_the_fake_slack_refuses_what_slack_refuses(breakage: str) -> None:
    payload = sent(digest_message(page([worst_line(i) for i in range(1, 4)])))
    blocks: list[dict] = payload["blocks"]  # type: ignore[assignment]
    assert _check_message(payload) == ""
    menu = blocks[1]["accessory"]
    if breakage == "51 blocks":
        blocks.extend({"type": "divider"} for _ in range(51 - len(blocks)))
    elif breakage == "6 options":
        menu["options"].append(dict(menu["options"][0]))
    elif breakage == "1 option":
        menu["options"] = menu["options"][:1]
    elif breakage == "76-char option":
        menu["options"][0]["text"]["text"] = "x" * 76
    elif breakage == "151-char value":
        menu["options"][0]["value"] = "v" * 151
    elif breakage == "256-char action_id":
        menu["action_id"] = "a" * 256
    elif breakage == "repeated block_id":
        blocks[2]["block_id"] = blocks[1]["block_id"]
    else:
        blocks[-2]["elements"][0]["text"]["text"] = "b" * 76
    assert _check_message(payload) == "invalid_blocks"


def test_a_channels_digest_setting_is_read_in_plain_words() -> None:
    from jobs.conversation.channels import parse_digest_setting
    from jobs.errors import ProcessingError

    assert [parse_digest_setting(v) for v in ("50", " 007 ", "always", "ON", "off", "never")] == \
        ["50", "7", "0", "0", "off", "off"]
    for bad in ("lots", "-3", "1e3", "100001"):
        with pytest.raises(ProcessingError, match="is not a digest setting"):
            parse_digest_setting(bad)
