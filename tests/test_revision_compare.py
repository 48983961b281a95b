"""The pure comparison of a revised spec's plan with the versions pushed before (jobs/revision/compare.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from integrations.spec.reader import SpecRow
from integrations.spec.sheets import SheetKind
from integrations.tickets import Dependency, Group, TicketAction, TicketBrief, TicketKind
from jobs.planning import UploadedFile
from jobs.planning.pipeline import plan_uploads
from jobs.revision.compare import Change, ChangeKind, Comparison, KeyComparison, PreviousVersion, compare

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def plan_of(folder: str) -> tuple[TicketBrief, ...]:
    files = [UploadedFile(p.name, p.read_bytes()) for p in sorted((EXAMPLES / folder).glob("*.csv"))]
    return plan_uploads(files).tickets


def as_previous(briefs: tuple[TicketBrief, ...]) -> dict[str, PreviousVersion]:
    return {b.key: PreviousVersion(b.key, b.label, b.action, b.rows, tuple(d.key for d in b.depends_on), b.modules)
            for b in briefs}


def row(sheet: SheetKind, number: int, **values: str) -> SpecRow:
    return SpecRow("fields.csv" if sheet is SheetKind.FIELDS else f"{sheet.value}.csv", number, sheet, values)


EVENT = row(SheetKind.BUNDLES, 4, name="Event", machine_name="event", x="a", type="Content type",
            description="A guided hike")
DATE = row(SheetKind.FIELDS, 20, bundle="Event (Content type)", field_label="Date", machine_name="field_event_date",
           x="a", field_type="Date", req="y")


def bundle(*rows: SpecRow, depends: tuple[str, ...] = (), action: TicketAction = TicketAction.CREATE) -> TicketBrief:
    return TicketBrief("node.type.event", Group.CONTENT, TicketKind.BUNDLE, "Event", "event", "Content type", rows,
                       depends_on=tuple(Dependency(k, k, "because") for k in depends), action=action)


def previous(*rows: SpecRow, depends: tuple[str, ...] = ()) -> dict[str, PreviousVersion]:
    return {"node.type.event": PreviousVersion("node.type.event", "Event", TicketAction.CREATE, rows, depends)}


def test_acme_revised_compares_exactly_with_acme() -> None:
    comparison = compare(plan_of("acme-revised"), as_previous(plan_of("acme")))
    found = {i.key: (i.kind, [c.what for c in i.changes])
             for i in comparison.items if i.kind is not ChangeKind.UNCHANGED}
    assert found == {
        "core.extension": (ChangeKind.CHANGED, ["module block_content no longer needed"]),
        "taxonomy.vocabulary.event_type": (ChangeKind.NEW, []),
        "node.type.event": (ChangeKind.CHANGED, ["field Capacity added"]),
        "foundation.provided": (ChangeKind.CHANGED, ["permission Promo banner: Create new block content removed",
                                                     "no longer depends on block_content.type.promo_banner"]),
        "user.role.gear_reviewer": (ChangeKind.CHANGED, ["permission Gear review: Edit any content added"]),
        "user.role.publisher": (ChangeKind.CHANGED, ["permission Promo banner: Create new block content removed",
                                                     "no longer depends on block_content.type.promo_banner"]),
        "views.view.gear_reviews": (ChangeKind.CHANGED, ["display Feed removed"]),
        "block_content.type.promo_banner": (ChangeKind.REMOVED, ["custom block type Promo banner marked X = d"]),
    }
    assert comparison.counts() == {ChangeKind.NEW: 1, ChangeKind.CHANGED: 6, ChangeKind.UNCHANGED: 31,
                                   ChangeKind.REMOVED: 1}
    capacity = comparison.by_key()["node.type.event"].changes[0]
    assert (capacity.file, capacity.row) == ("fields.csv", 25)  # where the new row is in the revised sheet
    display = comparison.by_key()["views.view.gear_reviews"].changes[0]
    assert (display.file, display.row) == ("view_displays.csv", 7)  # where it was


def test_the_same_spec_again_is_all_unchanged() -> None:
    briefs = plan_of("acme")
    comparison = compare(briefs, as_previous(briefs))
    assert comparison.counts()[ChangeKind.UNCHANGED] == len(briefs)
    assert comparison.summary() == f"{len(briefs)} unchanged, 0 changed, 0 new, 0 removed"


def test_a_cell_change_names_the_column_and_old_and_new_values() -> None:
    optional = replace(DATE, values={**DATE.values, "req": "n"}, row=21)
    [item] = compare([bundle(EVENT, optional)], previous(EVENT, DATE)).items
    assert item.kind is ChangeKind.CHANGED
    assert item.changes == (Change("field Date: Req “y” → “n”", "fields.csv", 21, "req", "y", "n"),)


def test_the_tickets_own_row_is_not_named_again_and_rewrapped_text_is_no_change() -> None:
    rewrapped = replace(EVENT, values={**EVENT.values, "description": "A guided\n  hike"})
    described = replace(EVENT, values={**EVENT.values, "description": "A store event"})
    assert compare([bundle(rewrapped, DATE)], previous(EVENT, DATE)).items[0].kind is ChangeKind.UNCHANGED
    [change] = compare([bundle(described, DATE)], previous(EVENT, DATE)).items[0].changes
    assert change.what == "Description “A guided hike” → “A store event”"


def test_rows_are_matched_by_name_not_row_number_and_bookkeeping_is_ignored() -> None:
    moved = replace(DATE, row=40, values={**DATE.values, "dev": "JD", "qa": "MK", "id": "F9"})
    assert compare([bundle(EVENT, moved)], previous(EVENT, DATE)).items[0].kind is ChangeKind.UNCHANGED


def test_a_row_newly_marked_changed_is_a_change_but_approved_is_not() -> None:
    marked = replace(DATE, values={**DATE.values, "x": "c"})
    [change] = compare([bundle(EVENT, marked)], previous(EVENT, DATE)).items[0].changes
    assert change.what == "field Date marked X = c (changed since implemented)"
    assert (change.column, change.old, change.new) == ("x", "a", "c")
    blank = replace(DATE, values={**DATE.values, "x": ""})
    assert compare([bundle(EVENT, blank)], previous(EVENT, DATE)).items[0].kind is ChangeKind.UNCHANGED


def test_dependency_changes_are_changes() -> None:
    [item] = compare([bundle(EVENT, DATE, depends=("taxonomy.vocabulary.event_type",))],
                     previous(EVENT, DATE, depends=("media.type.image",))).items
    assert [c.what for c in item.changes] == ["now depends on taxonomy.vocabulary.event_type",
                                              "no longer depends on media.type.image"]


def test_removed_when_marked_d_or_gone_and_a_removal_already_done_is_not_removed_again() -> None:
    gone = replace(EVENT, values={**EVENT.values, "x": "d"})
    [marked] = compare([bundle(gone, action=TicketAction.REMOVE)], previous(EVENT, DATE)).items
    assert (marked.kind, marked.changes[0].what) == (ChangeKind.REMOVED, "content type Event marked X = d")
    [vanished] = compare([], previous(EVENT, DATE)).items
    assert (vanished.kind, vanished.changes) == (ChangeKind.REMOVED, (Change("no longer in the spec"),))
    removal = {"node.type.event": PreviousVersion("node.type.event", "Event", TicketAction.REMOVE, (gone,))}
    assert compare([], removal).items == ()
    closed = {"node.type.event": replace(previous(EVENT)["node.type.event"], was_removal=True)}
    assert compare([], closed).items == ()
    assert compare([bundle(EVENT)], closed).items[0].kind is ChangeKind.NEW  # it came back
    still_marked = compare([bundle(gone, action=TicketAction.REMOVE)], closed).items[0]
    assert still_marked.kind is ChangeKind.UNCHANGED  # proposed for closing already: nothing new to propose


def test_the_summary_is_bounded() -> None:
    changes = tuple(Change(f"field F{i} added") for i in range(100))
    comparison = Comparison((KeyComparison("node.type.event", "Event", ChangeKind.CHANGED, changes),
                             KeyComparison("node.type.page", "Page", ChangeKind.UNCHANGED)))
    summary = comparison.summary()
    assert summary.startswith("1 unchanged, 1 changed (Event: field F0 added; Event: field F1 added;")
    assert "… and 92 more), 0 new, 0 removed" in summary
    assert len(summary) < 400
