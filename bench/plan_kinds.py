"""Ticket kinds on the two Behat-layout specs of ../shared/specs (issue 11 items 4 and 8).

For the Drupal Spec Tool's default spec and VA.gov: how many "Create" tickets name configuration Drupal
ships (goal 0), how many tickets there are with merging off and at the default threshold, and how many
menu and image-style tickets each leaves. Counts, not timings: the same spec gives the same figures.

Run alone: python -m bench.plan_kinds   (prints one JSON object)
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from integrations.spec.provided import provided
from integrations.tickets import TicketAction, TicketKind
from jobs.planning import Plan, PlanOptions, UploadedFile, plan_uploads
from jobs.planning.families import DEFAULT_MERGE_THRESHOLD

SPECS = Path(__file__).resolve().parents[2] / "shared" / "specs" / "drupal-spec-tool"
FAMILY_KINDS = (TicketKind.MENU, TicketKind.IMAGE_STYLE)


def _plan(folder: Path, threshold: int) -> Plan:
    files = sorted(p for p in folder.glob("*.csv") if p.name != "sheet_columns.csv")  # a column list, not a sheet
    return plan_uploads([UploadedFile(p.name, p.read_bytes()) for p in files],
                        options=PlanOptions(merge_threshold=threshold))


def _family_tickets(plan: Plan) -> int:
    return sum(1 for t in plan.tickets if t.kind in FAMILY_KINDS
               or (t.kind is TicketKind.MERGED_FAMILY and t.members and t.members[0].kind in FAMILY_KINDS))


def measure(folder: Path) -> dict[str, object]:
    unmerged, merged = _plan(folder, 0), _plan(folder, DEFAULT_MERGE_THRESHOLD)
    shipped = next((t for t in merged.tickets if t.kind is TicketKind.PROVIDED_CONFIG), None)
    return {
        "shipped_creates": sum(1 for t in merged.tickets if t.action is TicketAction.CREATE and provided(t.key)),
        "confirmed_items": len(shipped.members) if shipped else 0,
        "extended": sum(1 for t in merged.tickets if t.action is TicketAction.EXTEND),
        "tickets_unmerged": len(unmerged.tickets),
        "tickets_merged": len(merged.tickets),
        "menu_and_style_tickets_unmerged": _family_tickets(unmerged),
        "menu_and_style_tickets_merged": _family_tickets(merged),
        "kinds": dict(Counter(t.kind.value for t in merged.tickets)),
    }


def main() -> None:
    if not SPECS.is_dir():
        print(json.dumps({"skipped": f"{SPECS} not found"}))
        return
    print(json.dumps({"default_spec": measure(SPECS), "va_gov": measure(SPECS / "va-gov-cms"),
                      "merge_threshold": DEFAULT_MERGE_THRESHOLD}))


if __name__ == "__main__":
    main()
