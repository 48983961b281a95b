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


SIZES = ("XS", "S", "M", "L", "XL")
STORY_POINTS = {"XS": 1, "S": 2, "M": 3, "L": 5, "XL": 8}


@dataclass(frozen=True)
class Estimate:
    """A T-shirt size and its story points, with the reason; code-made, possibly adjusted by the model."""

    size: str  # one of SIZES
    reason: str
    adjusted_from: str = ""  # the code-made size when the model changed it
    adjustment_reason: str = ""

    @property
    def points(self) -> int:
        return STORY_POINTS[self.size]

    def describe(self) -> str:
        """`M (3 points): 5 fields, 2 decisions open` and the model's adjustment, if any."""
        text = f"{self.size} ({self.points} point{'' if self.points == 1 else 's'}): {self.reason}"
        if self.adjusted_from:
            text += f"; adjusted from {self.adjusted_from}: {self.adjustment_reason}"
        return text

    def to_dict(self) -> dict[str, object]:
        return {"size": self.size, "story_points": self.points, "reason": self.reason,
                "adjusted_from": self.adjusted_from, "adjustment_reason": self.adjustment_reason}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Estimate | None:
        if data.get("size") not in SIZES:
            return None
        return cls(str(data["size"]), str(data.get("reason", "")), str(data.get("adjusted_from", "")),
                   str(data.get("adjustment_reason", "")))


@dataclass(frozen=True)
class TicketContent:
    """The written ticket. `verification` always contains the brief's code-made checks, and
    `acceptance` the code-made Given/When/Then criteria; a model only ever adds to them."""

    title: str
    user_story: str
    analysis: str
    verification: tuple[str, ...]
    writer: str  # "template", "openai", or "template-fallback" when the LLM's answer was unusable
    model: str = ""
    prompt_version: str = ""
    usage: Usage = field(default_factory=Usage)
    fallback_reason: str = ""  # why the LLM's answer was replaced by the template's (a temporary error)
    acceptance: tuple[str, ...] = ()  # Given/When/Then scenarios, one multi-line string each
    estimate: Estimate | None = None
    open_questions: tuple[str, ...] = ()  # for the product owner: what the spec leaves undecided
    risks: tuple[str, ...] = ()

    def details(self) -> dict[str, object]:
        """The parts beyond title, story, analysis and checks, as stored and exported."""
        return {
            "acceptance": list(self.acceptance),
            "estimate": self.estimate.to_dict() if self.estimate else None,
            "open_questions": list(self.open_questions),
            "risks": list(self.risks),
        }


def details_from_dict(data: dict[str, Any] | None) -> dict[str, Any]:
    """TicketContent keyword arguments from a stored `details()` dict (empty for tickets stored before it)."""
    data = data or {}
    estimate = data.get("estimate")
    return {
        "acceptance": tuple(str(a) for a in data.get("acceptance") or ()),
        "estimate": Estimate.from_dict(estimate) if isinstance(estimate, dict) else None,
        "open_questions": tuple(str(q) for q in data.get("open_questions") or ()),
        "risks": tuple(str(r) for r in data.get("risks") or ()),
    }


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
            **self.content.details(),
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
