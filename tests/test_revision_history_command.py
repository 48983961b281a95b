"""`/generate-tickets history KEY`: parsed as one spec key, usage mistakes answered in plain words."""

from __future__ import annotations

from bot.slack.slash import Command, parse_command


def test_history_takes_exactly_one_spec_key() -> None:
    assert parse_command("history node.type.event") == Command("history", key="node.type.event")
    assert parse_command("  HISTORY   views.view.events ") == Command("history", key="views.view.events")
    for text in ("history", "history node.type.a node.type.b", "history " + "k" * 300):
        command = parse_command(text)
        assert command.name == "usage" and "`history` needs one spec key" in command.problem
