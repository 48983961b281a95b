"""What a ticket is made of: the brief planning hands to a writer, and the text a writer returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from integrations.spec.reader import SpecRow


class Group(StrEnum):
    """Ticket groups, in the order they are worked on (DESIGN §6); one Jira epic each."""

    CONTENT = "Content"
    MEDIA = "Media"
    VIEWS = "Views"
    MIGRATION = "Migration"
    WORKFLOW = "Workflow"
    USER_ROLES = "User Roles"
    CUSTOM = "Custom"

    @property
    def rank(self) -> int:
        return list(Group).index(self)


class TicketKind(StrEnum):
    BUNDLE = "bundle"  # a new bundle with its fields
    EXISTING_BUNDLE_FIELDS = "existing_bundle_fields"  # fields added to a bundle that already exists
    VIEW = "view"  # with its displays
    IMAGE_STYLE = "image_style"  # with its effects
    ROLE = "role"  # with the permissions the grid grants it
    WORKFLOW = "workflow"  # with its states and transitions
    MENU = "menu"
    CUSTOM_ENTITY = "custom_entity"
    MIGRATION = "migration"  # with its field mappings


@dataclass(frozen=True)
class SourceRef:
    file: str
    row: int


@dataclass(frozen=True)
class Dependency:
    """This ticket needs `key` built first, for `reason`."""

    key: str
    label: str
    reason: str


@dataclass(frozen=True)
class SiteContext:
    name: str
    description: str = ""


@dataclass(frozen=True)
class TicketBrief:
    """Everything known about one ticket before it is written: the entity, its rows, its place."""

    key: str  # Drupal config name of what the ticket builds, e.g. node.type.article
    group: Group
    kind: TicketKind
    label: str  # human label of the entity, e.g. "Article"
    machine_name: str
    entity_type_label: str  # e.g. "Content type", "Vocabulary", "View", "Image style"
    rows: tuple[SpecRow, ...]  # the entity's own row first (absent for an existing bundle), then child rows
    depends_on: tuple[Dependency, ...] = ()
    checks: tuple[str, ...] = ()  # code-made verification checks, in the Drupal Spec Tool's phrasing
    behat: tuple[str, ...] = ()  # Gherkin steps with their tables, for the analysis and the exports
    notes: tuple[str, ...] = ()  # planner notes: broken cycles, assumptions made
    position: int = 0  # place in dependency order, from 1

    @property
    def sources(self) -> tuple[SourceRef, ...]:
        return tuple(SourceRef(r.file, r.row) for r in self.rows)


@dataclass(frozen=True)
class Usage:
    """Tokens one ticket cost (zero for the template writer)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens,
                     self.cached_tokens + other.cached_tokens)


@dataclass(frozen=True)
class TicketContent:
    """The written ticket. `verification` always contains the brief's code-made checks."""

    title: str
    user_story: str
    analysis: str
    verification: tuple[str, ...]
    writer: str  # "template", "openai", or "template-fallback" when the LLM's answer was unusable
    model: str = ""
    prompt_version: str = ""
    usage: Usage = field(default_factory=Usage)
    fallback_reason: str = ""  # why the LLM's answer was replaced by the template's (a temporary error)


@dataclass(frozen=True)
class WrittenTicket:
    brief: TicketBrief
    content: TicketContent

    def to_dict(self) -> dict[str, object]:
        """The tickets.json item (DESIGN §4)."""
        return {
            "key": self.brief.key,
            "group": self.brief.group.value,
            "title": self.content.title,
            "user_story": self.content.user_story,
            "analysis": self.content.analysis,
            "verification": list(self.content.verification),
            "depends_on": [d.key for d in self.brief.depends_on],
            "sources": [{"file": s.file, "row": s.row} for s in self.brief.sources],
        }


def brief_to_dict(brief: TicketBrief) -> dict[str, object]:
    """A JSON-safe copy of a brief, so a stored ticket can be rewritten or exported later."""
    return {
        "key": brief.key,
        "group": brief.group.value,
        "kind": brief.kind.value,
        "label": brief.label,
        "machine_name": brief.machine_name,
        "entity_type_label": brief.entity_type_label,
        "rows": [
            {"file": r.file, "row": r.row, "sheet": r.sheet.value, "values": r.values, "extras": r.extras}
            for r in brief.rows
        ],
        "depends_on": [{"key": d.key, "label": d.label, "reason": d.reason} for d in brief.depends_on],
        "checks": list(brief.checks),
        "behat": list(brief.behat),
        "notes": list(brief.notes),
        "position": brief.position,
    }


def brief_from_dict(data: dict[str, Any]) -> TicketBrief:
    from integrations.spec.sheets import SheetKind

    return TicketBrief(
        key=data["key"],
        group=Group(data["group"]),
        kind=TicketKind(data["kind"]),
        label=data["label"],
        machine_name=data["machine_name"],
        entity_type_label=data["entity_type_label"],
        rows=tuple(
            SpecRow(r["file"], r["row"], SheetKind(r["sheet"]), dict(r["values"]), dict(r.get("extras", {})))
            for r in data["rows"]
        ),
        depends_on=tuple(Dependency(d["key"], d["label"], d["reason"]) for d in data["depends_on"]),
        checks=tuple(data["checks"]),
        behat=tuple(data["behat"]),
        notes=tuple(data["notes"]),
        position=data["position"],
    )
