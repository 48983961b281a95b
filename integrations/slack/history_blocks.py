"""`/generate-tickets history KEY`: every version of one ticket, as a pure Block Kit answer."""

from __future__ import annotations

from dataclasses import dataclass

from integrations.slack.blocks import COMMAND, SECTION_BUDGET, Block, Message, context, message, section
from integrations.slack.text import code, escape, mention, split

CHANGES_PER_VERSION = 3  # what changed, per version line; `tickets.json` has every one


@dataclass(frozen=True)
class VersionLine:
    """One version of a ticket: which session and upload made it, which writer, who approved, where in Jira."""

    session_id: int
    generation: int
    created_at: str  # "2026-12-04 15:02"
    uploads: tuple[str, ...]
    uploaded_by: tuple[str, ...]
    writer: str
    status: str
    approved_by: str
    change_kind: str  # "" for a first version
    changes: tuple[str, ...]
    jira_key: str


@dataclass(frozen=True)
class KeyHistoryView:
    spec_key: str
    versions: tuple[VersionLine, ...]
    more: int = 0  # older versions not shown


KIND_WORDS = {"": "first version", "new": "new", "changed": "changed", "unchanged": "unchanged (copied)",
              "removed": "proposed for closing"}


def history_message(view: KeyHistoryView) -> Message:
    """One line per version, oldest first, in the table style of the other answers."""
    if not view.versions:
        text = (f"No ticket for {code(view.spec_key)} in this channel yet. The key is the Drupal config name "
                f"shown on each draft, e.g. `{COMMAND} history node.type.article`.")
        return message(text, [section(text)])
    lines = [version_line(v) for v in view.versions]
    if view.more:
        lines.insert(0, f"_… {view.more} older version{'s' * (view.more != 1)} not shown_")
    heading = f"*History of {code(view.spec_key)}* — {len(view.versions) + view.more} version" \
              f"{'s' * (len(view.versions) + view.more != 1)}"
    blocks: list[Block] = [section(heading)]
    blocks.extend(section(piece) for piece in split("\n".join(lines), SECTION_BUDGET)[:8])
    blocks.append(context("Versions of later uploads revise the latest pushed or approved one; "
                          "`tickets.json` carries the same history."))
    return message(f"History of {escape(view.spec_key)}", blocks)


def version_line(version: VersionLine) -> str:
    uploads = ", ".join(code(u) for u in version.uploads[:3])
    if len(version.uploads) > 3:
        uploads += f" +{len(version.uploads) - 3}"
    by = ", ".join(mention(u) for u in version.uploaded_by[:2])
    approved = f" · approved by {mention(version.approved_by)}" if version.approved_by else ""
    jira = f" · Jira {code(version.jira_key)}" if version.jira_key else ""
    line = (f"• *session {version.session_id}* ({escape(version.created_at)}) · "
            f"{KIND_WORDS.get(version.change_kind, escape(version.change_kind))} · {escape(version.status)}"
            f"{approved}{jira} · written by {escape(version.writer)} · from {uploads or 'no files'}"
            + (f" uploaded by {by}" if by else ""))
    if version.changes:
        shown = "; ".join(escape(c) for c in version.changes[:CHANGES_PER_VERSION])
        more = len(version.changes) - CHANGES_PER_VERSION
        line += f"\n    ↳ {shown}" + (f" … and {more} more" if more > 0 else "")
    return line
