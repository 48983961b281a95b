"""Compare a revised spec's plan with what was pushed before, per spec key (pure: no I/O).

A key is *new* when no earlier version was pushed or approved, *removed* when it left the spec or its
rows are now marked X = d, *changed* when one of its rows, cells or dependencies differs, and
*unchanged* otherwise. Rows are matched by what they name (a field's machine name, a display's id, a
permission's title), not by row number: inserting a row above must not change every ticket below it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from integrations.spec.reader import STATUS_MEANING, SpecRow
from integrations.spec.sheets import SheetKind
from integrations.tickets import TicketAction, TicketBrief

# Bookkeeping cells that say who built or checked a row, not what to build: never a change. X is the
# row's status, compared on its own (a row newly marked c is a change; a → blank is not).
IGNORED_COLUMNS = frozenset({"id", "x", "dev", "qa"})
VALUE_CHARS = 60  # an old or new cell value in a change's description is cut to this
SUMMARY_CHANGES = 8  # changes named in a one-line summary before "… and N more"

# What a child row of a sheet is called in a change ("field Capacity added") and the columns naming it.
ROW_NOUNS = {
    SheetKind.FIELDS: "field",
    SheetKind.VIEW_DISPLAYS: "display",
    SheetKind.IMAGE_EFFECTS: "effect",
    SheetKind.PERMISSIONS: "permission",
    SheetKind.WORKFLOW_STATES: "state",
    SheetKind.WORKFLOW_TRANSITIONS: "transition",
    SheetKind.MIGRATION_MAPPINGS: "mapping",
}
IDENTITY_COLUMNS = {
    SheetKind.FIELDS: ("bundle", "machine_name"),
    SheetKind.PERMISSIONS: ("permission",),
    SheetKind.WORKFLOW_TRANSITIONS: ("machine_name", "from_state"),
    SheetKind.IMAGE_EFFECTS: ("effect", "summary"),
    SheetKind.MIGRATION_MAPPINGS: ("destination_field",),
}
LABEL_COLUMNS = ("field_label", "title", "name", "label", "permission", "effect", "destination_field", "machine_name")


class ChangeKind(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    REMOVED = "removed"


@dataclass(frozen=True)
class Change:
    """One difference: `what` in words; where it is (file, row, column) and old → new when a cell changed."""

    what: str
    file: str = ""
    row: int | None = None
    column: str = ""
    old: str = ""
    new: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"what": self.what, "file": self.file, "row": self.row, "column": self.column, "old": self.old,
                "new": self.new}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Change:
        row = data.get("row")
        return cls(str(data.get("what", "")), str(data.get("file") or ""), row if isinstance(row, int) else None,
                   str(data.get("column") or ""), str(data.get("old") or ""), str(data.get("new") or ""))


@dataclass(frozen=True)
class PreviousVersion:
    """What an earlier session pushed (or approved) for one spec key: enough to compare with."""

    key: str
    label: str
    action: TicketAction
    rows: tuple[SpecRow, ...]
    depends_on: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    # A version that was itself the proposal to close (change kind "removed"): gone already.
    was_removal: bool = False


@dataclass(frozen=True)
class KeyComparison:
    key: str
    label: str
    kind: ChangeKind
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class Comparison:
    """Every key of the revised plan and of the previous versions, in plan order, removed keys last."""

    items: tuple[KeyComparison, ...] = ()
    compared_with: str = ""  # where the previous versions came from, in words

    def of(self, kind: ChangeKind) -> list[KeyComparison]:
        return [i for i in self.items if i.kind is kind]

    def by_key(self) -> dict[str, KeyComparison]:
        return {i.key: i for i in self.items}

    @property
    def is_revision(self) -> bool:
        return bool(self.items) and any(i.kind is not ChangeKind.NEW for i in self.items)

    def counts(self) -> dict[ChangeKind, int]:
        return {kind: len(self.of(kind)) for kind in ChangeKind}

    def summary(self, limit: int = SUMMARY_CHANGES) -> str:
        """'12 unchanged, 3 changed (Event: field Capacity added; …), 2 new, 1 removed', at most `limit` changes."""
        counts = self.counts()
        named: list[str] = []
        for item in self.of(ChangeKind.CHANGED):
            named.extend(f"{item.label}: {c.what}" for c in item.changes)
        changed = f"{counts[ChangeKind.CHANGED]} changed"
        if named:
            shown = "; ".join(named[:limit])
            more = f" … and {len(named) - limit} more" if len(named) > limit else ""
            changed += f" ({shown}{more})"
        parts = [f"{counts[ChangeKind.UNCHANGED]} unchanged", changed, f"{counts[ChangeKind.NEW]} new",
                 f"{counts[ChangeKind.REMOVED]} removed"]
        return ", ".join(parts)


def compare(briefs: Sequence[TicketBrief], previous: Mapping[str, PreviousVersion],
            compared_with: str = "") -> Comparison:
    """Each planned ticket against the previous version of its key; previous keys left out are removed."""
    items: list[KeyComparison] = []
    for brief in briefs:
        before = previous.get(brief.key)
        if before is not None and before.was_removal and brief.action is TicketAction.REMOVE:
            items.append(KeyComparison(brief.key, brief.label, ChangeKind.UNCHANGED))  # still to be closed
        elif before is None or before.was_removal:  # never pushed, or back after it was proposed for closing
            items.append(KeyComparison(brief.key, brief.label, ChangeKind.NEW))
        elif brief.action is TicketAction.REMOVE and before.action is not TicketAction.REMOVE:
            own = brief.rows[0] if brief.rows else None
            was = next((r.status for r in before.rows if own is not None and r.sheet is own.sheet
                        and r.get("machine_name") == own.get("machine_name")), "")
            items.append(KeyComparison(brief.key, brief.label, ChangeKind.REMOVED, (Change(
                f"{brief.entity_type_label.lower() or 'item'} {brief.label} marked X = d",
                own.file if own else "", own.row if own else None, "x" if own else "", was, "d"),)))
        else:
            changes = tuple(ticket_changes(brief, before))
            items.append(KeyComparison(brief.key, brief.label,
                                       ChangeKind.CHANGED if changes else ChangeKind.UNCHANGED, changes))
    planned = {b.key for b in briefs}
    for key, before in previous.items():
        # A version that removed something, or proposed closing it, has nothing left to remove.
        if key in planned or before.was_removal or before.action is TicketAction.REMOVE:
            continue
        items.append(KeyComparison(key, before.label, ChangeKind.REMOVED, (Change("no longer in the spec"),)))
    return Comparison(tuple(items), compared_with)


def ticket_changes(brief: TicketBrief, before: PreviousVersion) -> list[Change]:
    """What differs between a planned ticket and its previous version: rows, cells, dependencies, modules."""
    changes = row_changes(before.rows, brief.rows, brief.label)
    old_deps, new_deps = set(before.depends_on), [d.key for d in brief.depends_on]
    changes += [Change(f"now depends on {key}") for key in new_deps if key not in old_deps]
    changes += [Change(f"no longer depends on {key}") for key in before.depends_on if key not in set(new_deps)]
    old_modules, new_modules = set(before.modules), set(brief.modules)
    changes += [Change(f"module {m} added") for m in brief.modules if m not in old_modules]
    changes += [Change(f"module {m} no longer needed") for m in before.modules if m not in new_modules]
    return changes


def row_changes(old_rows: Iterable[SpecRow], new_rows: Iterable[SpecRow], ticket_label: str = "") -> list[Change]:
    """Rows added, removed, re-marked, and cells changed, matched by the row's identity within its sheet.

    The ticket's own row is not named again in its changes ("Description …", not "Event: Description …").
    """
    old = _by_identity(old_rows)
    new = _by_identity(new_rows)
    changes: list[Change] = []
    for ident, row in new.items():
        before = old.get(ident)
        if before is None:
            changes.append(Change(f"{_name(row, '')} added", row.file, row.row))
            continue
        if row.status != before.status and row.status in ("c", "d"):
            marked = f"marked X = {row.status} ({STATUS_MEANING[row.status]})"
            name = _name(row, ticket_label)
            changes.append(Change(f"{name} {marked}" if name else marked,
                                  row.file, row.row, "x", before.status, row.status))
        if row.sheet is SheetKind.PERMISSIONS:
            continue  # the grid's cells are other roles' grants: the row being there is what counts
        for column in _columns(before, row):
            was, now = _cell(before, column), _cell(row, column)
            if was != now:
                changes.append(Change(_join(_name(row, ticket_label),
                                            f"{_column_label(column)} {_quote(was)} → {_quote(now)}"),
                                      row.file, row.row, column, was, now))
    for ident, row in old.items():
        if ident not in new:
            changes.append(Change(f"{_name(row, '')} removed", row.file, row.row))
    return changes


def _by_identity(rows: Iterable[SpecRow]) -> dict[tuple[str, ...], SpecRow]:
    found: dict[tuple[str, ...], SpecRow] = {}
    for row in rows:
        columns = IDENTITY_COLUMNS.get(row.sheet, ("machine_name",))
        ident = tuple(_cell(row, c).lower() for c in columns)
        if not any(ident):  # nothing names it: the whole row is its identity
            ident = tuple(f"{k}={v}" for k, v in sorted(row.values.items()) if k not in IGNORED_COLUMNS)
        key = (row.sheet.value, *ident)
        while key in found:  # the same name twice in one ticket (a merged family): keep both, in order
            key = (*key, "+")
        found[key] = row
    return found


def _columns(before: SpecRow, row: SpecRow) -> list[str]:
    names = list(dict.fromkeys([*before.values, *row.values]))
    return [c for c in names if c not in IGNORED_COLUMNS]


def _cell(row: SpecRow, column: str) -> str:
    return " ".join(row.get(column).split())  # re-wrapped text is not a change


def _name(row: SpecRow, ticket_label: str) -> str:
    """'field Capacity'; '' for the ticket's own row (its label leads the summary line already)."""
    label = next((row.get(c) for c in LABEL_COLUMNS if row.get(c)), f"row {row.row}")
    noun = ROW_NOUNS.get(row.sheet)
    if noun:
        return f"{noun} {label}"
    return "" if label == ticket_label else label


def _join(name: str, what: str) -> str:
    return f"{name}: {what}" if name else what


def _column_label(column: str) -> str:
    return column.replace("_", " ").capitalize()


def _quote(value: str) -> str:
    if not value:
        return "(empty)"
    return f"“{value if len(value) <= VALUE_CHARS else value[:VALUE_CHARS - 1] + '…'}”"

