"""What a ticket is made of: the brief planning hands to a writer, and the text a writer returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from integrations.spec.reader import SpecRow


class Group(StrEnum):
    """Ticket groups, in the order they are worked on (docs/design.md §6); one Jira epic each."""

    FOUNDATION = "Foundation"  # modules, languages, shared storages, Behat set-up, what Drupal provides
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
    # Foundation tickets, derived from the spec as a whole and placed at the root of the graph.
    MODULES = "modules"  # add (composer require) and enable the modules in `modules`; key core.extension
    LANGUAGES = "languages"  # languages and content translation; key foundation.languages
    SHARED_FIELD_STORAGES = "shared_field_storages"  # storages used on 3+ bundles; key foundation.field_storages
    BEHAT_SETUP = "behat_setup"  # Behat and the Drupal Spec Tool's contexts; key foundation.behat
    # A reference field left out of its bundle's ticket to break a cycle, added once both ends exist;
    # key field.field.<entity type>.<bundle>.<field>, the field instance's config name.
    DEFERRED_FIELD = "deferred_field"
    # One field instance marked X = d on a bundle that stays: removed on its own (a bundle marked d takes its
    # fields with it). Key field.field.<entity type>.<bundle>.<field>; its action is always Remove.
    FIELD = "field"
    # A family of trivial items of one kind (menus, image styles) in one ticket; each item is a member.
    # Key merged.<member config prefix>.<family>, e.g. merged.system.menu.va_facility.
    MERGED_FAMILY = "merged_family"
    # Configuration Drupal core or a contrib module installs, to confirm and adjust; each item is a member
    # with its provider. Key foundation.provided.
    PROVIDED_CONFIG = "provided_config"


class TicketAction(StrEnum):
    """What the ticket does to its configuration."""

    CREATE = "create"  # build something new (rows with X = a, or no X column)
    UPDATE = "update"  # change something already built (X = c); the rows say what changed
    REMOVE = "remove"  # delete something built (X = d): content, references, views and config to clean up
    CONFIRM = "confirm"  # check and adjust configuration Drupal already provides (a PROVIDED_CONFIG ticket)
    EXTEND = "extend"  # add to provided configuration, e.g. displays on views.view.content


@dataclass(frozen=True)
class SourceRef:
    file: str
    row: int


@dataclass(frozen=True)
class Dependency:
    """This ticket needs `key` built first, for `reason`.

    `inferred` is empty when the spec states the edge; otherwise it says what the planner inferred it
    from ("the field name field_tags"), and the target should be confirmed by the spec's author.
    """

    key: str
    label: str
    reason: str
    inferred: str = ""

    @property
    def is_inferred(self) -> bool:
        return bool(self.inferred)


@dataclass(frozen=True)
class TicketMember:
    """One item of a merged or provided-configuration ticket: what it would have been as its own ticket."""

    key: str  # the item's own config name, e.g. system.menu.main
    kind: TicketKind  # the kind of ticket it would have had alone (MENU, IMAGE_STYLE, VIEW, ROLE, ...)
    label: str
    machine_name: str
    entity_type_label: str
    sources: tuple[SourceRef, ...]  # which of the brief's rows are this item's (each row in one member)
    action: TicketAction = TicketAction.CREATE
    provider: str = ""  # the module that ships it (provided configuration), e.g. "node", "scheduler"


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
    action: TicketAction = TicketAction.CREATE
    modules: tuple[str, ...] = ()  # Drupal module machine names the ticket needs (all of them for MODULES)
    members: tuple[TicketMember, ...] = ()  # MERGED_FAMILY and PROVIDED_CONFIG: the merged items
    provider: str = ""  # the module that ships the configuration (EXTEND/CONFIRM of one provided item)
    needed_by: tuple[str, ...] = ()  # config names of the tickets that depend on this one, in build order

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


# `TicketContent.writer` of a ticket whose LLM answer was unusable, so the template wrote it.
FALLBACK_WRITER = "template-fallback"


@dataclass(frozen=True)
class TicketContent:
    """The written ticket. `verification` always contains the brief's code-made checks, and
    `acceptance` the code-made Given/When/Then criteria; a model only ever adds to them."""

    title: str
    user_story: str
    analysis: str
    verification: tuple[str, ...]
    writer: str  # "template", "openai", or FALLBACK_WRITER when the LLM's answer was unusable
    model: str = ""
    prompt_version: str = ""
    usage: Usage = field(default_factory=Usage)
    fallback_reason: str = ""  # why the LLM's answer was replaced by the template's (a temporary error)
    acceptance: tuple[str, ...] = ()  # Given/When/Then scenarios, one multi-line string each
    estimate: Estimate | None = None
    open_questions: tuple[str, ...] = ()  # for the product owner: what the spec leaves undecided
    risks: tuple[str, ...] = ()
    # "Edited in Slack by U123 on 2026-12-04: title, estimate" when a person changed the text (Jira shows it).
    edited_note: str = ""

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
class TicketHistory:
    """How a ticket of a revised spec relates to what was pushed before, and every version it had.

    `change_kind` is "" for a first version, else new | changed | unchanged | removed; `changes` are
    `{"what", "file", "row", "column", "old", "new"}` dicts; each version says which session and upload
    made it, which writer wrote it, who approved it and where it went in Jira.
    """

    change_kind: str = ""
    changes: tuple[dict[str, object], ...] = ()
    versions: tuple[dict[str, object], ...] = ()


@dataclass(frozen=True)
class WrittenTicket:
    brief: TicketBrief
    content: TicketContent
    history: TicketHistory = field(default_factory=TicketHistory)

    def to_dict(self) -> dict[str, object]:
        """The tickets.json item (docs/design.md §4), then what a later `--since` compares with."""
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
            "label": self.brief.label,
            "kind": self.brief.kind.value,
            "action": self.brief.action.value,
            "modules": list(self.brief.modules),
            "change_kind": self.history.change_kind,
            "changes": [dict(c) for c in self.history.changes],
            "versions": [dict(v) for v in self.history.versions],
            "source_rows": [{"file": r.file, "row": r.row, "sheet": r.sheet.value, "values": dict(r.values),
                             "extras": dict(r.extras)} for r in self.brief.rows],
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
        "depends_on": [{"key": d.key, "label": d.label, "reason": d.reason, "inferred": d.inferred}
                       for d in brief.depends_on],
        "checks": list(brief.checks),
        "behat": list(brief.behat),
        "notes": list(brief.notes),
        "position": brief.position,
        "action": brief.action.value,
        "modules": list(brief.modules),
        "members": [
            {"key": m.key, "kind": m.kind.value, "label": m.label, "machine_name": m.machine_name,
             "entity_type_label": m.entity_type_label, "sources": [{"file": s.file, "row": s.row} for s in m.sources],
             "action": m.action.value, "provider": m.provider}
            for m in brief.members
        ],
        "provider": brief.provider,
        "needed_by": list(brief.needed_by),
    }


def brief_from_dict(data: dict[str, Any]) -> TicketBrief:
    """The brief back from `brief_to_dict`'s dict; briefs stored before a field existed get its default."""
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
        depends_on=tuple(Dependency(d["key"], d["label"], d["reason"], d.get("inferred", ""))
                         for d in data["depends_on"]),
        checks=tuple(data["checks"]),
        behat=tuple(data["behat"]),
        notes=tuple(data["notes"]),
        position=data["position"],
        action=TicketAction(data.get("action", TicketAction.CREATE.value)),
        modules=tuple(data.get("modules", ())),
        members=tuple(
            TicketMember(m["key"], TicketKind(m["kind"]), m["label"], m["machine_name"], m["entity_type_label"],
                         tuple(SourceRef(s["file"], s["row"]) for s in m["sources"]),
                         TicketAction(m.get("action", TicketAction.CREATE.value)), m.get("provider", ""))
            for m in data.get("members", ())
        ),
        provider=data.get("provider", ""),
        needed_by=tuple(data.get("needed_by", ())),
    )


@dataclass(frozen=True)
class PlanStats:
    """How certain the order is: edges the spec states, edges the planner inferred, and what would help."""

    stated_edges: int = 0
    inferred_edges: int = 0
    # Columns that would make the order certain, as "sheet: column — why", e.g.
    # "fields: Ref. bundle — 12 reference fields name no target bundle".
    missing_columns: tuple[str, ...] = ()
    shipped_creates: int = 0  # "Create" tickets for configuration Drupal ships (should stay 0)
    # Edges the planner makes itself: to the foundation tickets (modules, languages, shared storages) and
    # from a follow-up field to its bundle. Certain, but neither stated by the spec nor inferred.
    structural_edges: int = 0

    def summary_line(self) -> str:
        """One line for the CLI summary, tickets.md, the Slack reply and the run summary."""
        text = f"Dependencies: {self.stated_edges} stated, {self.inferred_edges} inferred"
        if self.missing_columns:
            text += "; to make the order certain add " + "; ".join(self.missing_columns)
        return text + "."
