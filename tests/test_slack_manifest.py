"""app-manifest.yml: least-privilege scopes, and every subscribed event has a listener (never a 404)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = (ROOT / "app-manifest.yml").read_text(encoding="utf-8")


def listed(section: str) -> list[str]:
    """The `- item` lines right under `section:` (comments dropped)."""
    lines = MANIFEST.split(f"{section}:\n", 1)[1].splitlines()
    items = []
    for line in lines:
        stripped = line.split("#", 1)[0].strip()
        if not stripped:
            continue
        if not stripped.startswith("- "):
            break
        items.append(stripped[2:].strip())
    return items


def test_scopes_are_the_least_the_bot_needs() -> None:
    assert listed("    bot") == ["commands", "chat:write", "files:read", "reactions:read", "channels:history",
                                   "groups:history"]


def test_every_subscribed_event_has_a_listener() -> None:
    events = listed("    bot_events")
    assert events == ["file_shared", "message.channels", "message.groups", "reaction_added"]
    listeners = "".join((ROOT / "bot" / "slack" / "listeners" / name).read_text() for name in
                        ("uploads.py", "reactions.py", "events.py"))
    for event in events:
        assert re.search(rf'app\.event\(\{{?"?(type": )?"{event.split(".")[0]}"', listeners), event


def test_the_command_and_socket_mode() -> None:
    assert "command: /generate-tickets" in MANIFEST
    assert "socket_mode_enabled: true" in MANIFEST
    assert "# HTTP mode: request_url: https://HOST/slack/events" in MANIFEST


def test_interactivity_is_on_and_every_click_has_a_listener() -> None:
    """Buttons, overflow menus and modals reach the bot at the same endpoint; each id has its listener."""
    assert "  interactivity:\n" in MANIFEST and "    is_enabled: true" in MANIFEST.split("  interactivity:", 1)[1]
    from integrations.slack import action_ids

    listener = (ROOT / "bot" / "slack" / "listeners" / "actions.py").read_text()
    for name in ("DRAFT_MENU", "EDIT_MODAL", "REGENERATE_MODAL", "VIEW_MODAL"):
        assert f"action_ids.{name}" in listener, name
    assert set(action_ids.DRAFT_BUTTONS) <= {
        getattr(action_ids, n) for n in re.findall(r"action_ids\.(DRAFT_[A-Z]+)", listener)}
