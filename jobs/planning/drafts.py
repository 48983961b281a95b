"""The planner's working tickets: what each stage (shipped configuration, families, foundation,
follow-ups) reads and rewrites before the order is fixed and the briefs are made."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from integrations.spec.reader import SpecRow
from integrations.tickets import Group, SourceRef, TicketAction, TicketKind, TicketMember


@dataclass(frozen=True)
class Need:
    """Why a draft needs another ticket built first."""

    reason: str
    field: str = ""  # the reference field that makes the edge, if one does
    inferred: str = ""  # what the edge was inferred from; empty when the spec states it
    # Made by the planner itself (to the modules ticket, from a follow-up to its bundle): certain, but
    # neither stated by the spec nor inferred, so counted apart.
    structural: bool = False


@dataclass(eq=False)
class Draft:
    key: str
    group: Group
    kind: TicketKind
    label: str
    machine_name: str
    entity_type_label: str
    rows: list[SpecRow]
    needs: dict[str, list[Need]] = field(default_factory=dict)  # key of the ticket needed -> why
    notes: list[str] = field(default_factory=list)
    entity_type: str = ""  # bundles: node, taxonomy_term …
    action: TicketAction = TicketAction.CREATE
    provider: str = ""  # the module shipping it, when Drupal provides it
    members: list[TicketMember] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    # Checked as another kind of ticket would be: a follow-up field is checked as fields of its bundle.
    # (kind, label, machine name, entity type label)
    checked_as: tuple[TicketKind, str, str, str] | None = None

    def need(self, key: str, need: Need) -> None:
        if key != self.key:
            self.needs.setdefault(key, []).append(need)

    def as_member(self, action: TicketAction = TicketAction.CREATE, provider: str = "") -> TicketMember:
        return TicketMember(self.key, self.kind, self.label, self.machine_name, self.entity_type_label,
                            tuple(SourceRef(r.file, r.row) for r in self.rows), action, provider)


class Drafts:
    """The drafts in spec order, and where the ones merged into another ticket went."""

    def __init__(self, drafts: list[Draft]) -> None:
        self.items = drafts
        self.moved: dict[str, str] = {}  # key of a draft merged into another -> the other's key

    def __iter__(self) -> Iterator[Draft]:
        return iter(list(self.items))

    def absorb(self, into: Draft, parts: list[Draft]) -> None:
        """`into` replaces `parts` where the first of them stood: their rows and needs move to it, and
        edges into them point at it once `redirect_needs` runs."""
        gone = {id(d) for d in parts}
        present = {id(r) for r in into.rows}
        for part in parts:
            for row in part.rows:
                if id(row) not in present:
                    present.add(id(row))
                    into.rows.append(row)
            for key, needs in part.needs.items():
                for need in needs:
                    into.need(key, need)
            self.moved[part.key] = into.key
        first = min(i for i, d in enumerate(self.items) if id(d) in gone)
        kept = [d for d in self.items if id(d) not in gone]
        kept.insert(min(first, len(kept)), into)
        self.items = kept

    def redirect_needs(self) -> None:
        """Edges into a merged draft now point at the ticket that absorbed it; none points at itself."""
        keys = {d.key for d in self.items}
        for draft in self.items:
            redirected: dict[str, list[Need]] = {}
            for key, needs in draft.needs.items():
                seen = set()
                while key not in keys and key in self.moved and key not in seen:
                    seen.add(key)
                    key = self.moved[key]
                if key != draft.key and key in keys:
                    redirected.setdefault(key, []).extend(needs)
            draft.needs = redirected
