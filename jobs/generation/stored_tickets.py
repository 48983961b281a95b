"""A stored ticket as the renderers and exports take it (brief + content), rebuilt from its record."""

from __future__ import annotations

from integrations.tickets import (
    Group,
    TicketBrief,
    TicketContent,
    TicketKind,
    Usage,
    WrittenTicket,
    brief_from_dict,
    details_from_dict,
)
from jobs.generation.person_edit import PersonEdit
from storage.models import TicketRecord


def written_ticket(record: TicketRecord) -> WrittenTicket:
    """The stored ticket as the renderers take it."""
    try:
        brief = brief_from_dict(record.brief)
    except (KeyError, TypeError, ValueError):  # written before briefs were stored: the text is still there
        brief = TicketBrief(record.spec_key, Group(record.group), TicketKind(record.kind), record.label, "", "", ())
    content = TicketContent(record.title, record.user_story, record.analysis, tuple(record.verification),
                            record.writer, record.model, record.prompt_version,
                            Usage(record.prompt_tokens, record.completion_tokens, record.cached_tokens),
                            **details_from_dict(record.details), edited_note=edited_note(record))
    return WrittenTicket(brief, content)


def edited_note(record: TicketRecord) -> str:
    """What Jira is told of a person's edit made in Slack: who, when, which fields."""
    edit = PersonEdit.of(record.person_edit)
    if edit is None:
        return ""
    return f"Edited in Slack by {edit.by} on {edit.at[:10]}: {', '.join(edit.names())}."
