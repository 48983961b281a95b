"""How good the order is when the spec does not say: the hidden-column test, and edge counts on real specs.

Hidden-column test: plan a complete full-layout spec, then the same spec without the columns that
state dependencies (`Ref. bundle` in fields, `Bundles` in views and workflows, `Mod.` in bundles) and
without the permissions grid, the way a Behat-layout export comes. Compared with the full plan's edges:

- precision: of the edges the stripped plan infers, the share the full plan has;
- recall: of the full-plan edges the hidden columns stated, the share the stripped plan infers (edges
  that only the permissions grid made are counted apart: without the grid no role grants anything);
- violations: of all full-plan edges, the share whose dependency the stripped order puts after the ticket.

Run alone: python -m bench.plan_quality   (prints one JSON object)
"""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from pathlib import Path

from integrations.spec.reader import read_upload
from integrations.spec.sheets import SheetKind
from jobs.planning import Plan, UploadedFile, plan_uploads

ROOT = Path(__file__).resolve().parents[1]
FULL_SPECS = {"acme": ROOT / "examples" / "acme", "civic": ROOT / "bench" / "specs" / "civic"}
BEHAT_SPECS = {
    "drupal-spec-tool default": ROOT.parent / "shared" / "specs" / "drupal-spec-tool",
    "VA.gov": ROOT.parent / "shared" / "specs" / "drupal-spec-tool" / "va-gov-cms",
}
# The canonical columns that state a dependency, per sheet; the permissions sheet goes whole.
HIDDEN = {SheetKind.FIELDS: {"ref_bundle"}, SheetKind.VIEWS: {"bundles"}, SheetKind.WORKFLOWS: {"bundles"},
          SheetKind.BUNDLES: {"moderated"}}
GOALS = {"precision": 0.90, "recall": 0.70, "violations": 0.05}


def load(folder: Path) -> list[UploadedFile]:
    return [UploadedFile(p.name, p.read_bytes()) for p in sorted(folder.glob("*.csv")) if p.name != "sheet_columns.csv"]


def strip(files: list[UploadedFile]) -> list[UploadedFile]:
    """The spec as a Behat-layout export would have it: dependency columns and the permissions grid gone."""
    stripped = []
    for upload in files:
        sheets = read_upload(upload.name, upload.data).sheets
        if not sheets:
            stripped.append(upload)
            continue
        sheet = sheets[0]
        if sheet.kind is SheetKind.PERMISSIONS:
            continue
        drop = {sheet.headers[c] for c in HIDDEN.get(sheet.kind, set()) if c in sheet.headers}
        rows = list(csv.reader(io.StringIO(upload.data.decode("utf-8-sig"))))
        keep = [i for i, header in enumerate(rows[0]) if header not in drop]
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([[r[i] for i in keep if i < len(r)] for r in rows])
        stripped.append(UploadedFile(upload.name, out.getvalue().encode()))
    return stripped


def edges(plan: Plan, *, inferred: bool | None = None) -> set[tuple[str, str]]:
    return {(t.key, d.key) for t in plan.tickets for d in t.depends_on
            if inferred is None or d.is_inferred == inferred}


def grid_only(plan: Plan) -> set[tuple[str, str]]:
    """Edges the full plan has only because the permissions grid grants a permission naming the target.

    Without the grid the role grants nothing, so nothing is left to infer these from: they count
    towards violations (the stripped order must still put roles after what they will use), and are
    reported apart in recall.
    """
    return {(t.key, d.key) for t in plan.tickets for d in t.depends_on
            if all(part.startswith("permission '") for part in d.reason.split("; "))}


def hidden_column_test(files: list[UploadedFile]) -> dict[str, object]:
    full = plan_uploads(files)
    bare = plan_uploads(strip(files))
    position = {t.key: t.position for t in bare.tickets}
    full_edges = edges(full)
    # Edges between tickets both plans have (an existing role with only grid rows has no ticket without it).
    comparable = {(a, b) for a, b in full_edges if a in position and b in position}
    still_stated = edges(bare, inferred=False)
    inferred = edges(bare, inferred=True)
    hidden = comparable - still_stated
    from_grid = hidden & grid_only(full)
    from_columns = hidden - from_grid
    backwards = sorted((a, b) for a, b in comparable if position[b] > position[a])
    wrong = sorted(inferred - full_edges)
    missed = sorted(hidden - inferred)
    return {
        "full_edges": len(full_edges),
        "comparable_edges": len(comparable),
        "stated_in_stripped": len(still_stated),
        "hidden_edges": len(hidden),
        "inferred": len(inferred),
        "inferred_correct": len(inferred & full_edges),
        "precision": len(inferred & full_edges) / len(inferred) if inferred else 1.0,
        "recall": len(inferred & from_columns) / len(from_columns) if from_columns else 1.0,
        "recall_with_grid_edges": len(inferred & hidden) / len(hidden) if hidden else 1.0,
        "column_edges": len(from_columns),
        "grid_edges": len(from_grid),
        "violations": len(backwards) / len(comparable) if comparable else 0.0,
        "violated_edges": [f"{a} → {b}" for a, b in backwards],
        "wrong_edges": [f"{a} → {b}" for a, b in wrong],
        "missed_edges": [f"{a} → {b}" for a, b in missed],
        "missing_columns": list(bare.stats.missing_columns),
    }


def counts(files: list[UploadedFile]) -> dict[str, object]:
    started = time.perf_counter()
    plan = plan_uploads(files)
    seconds = time.perf_counter() - started
    return {"tickets": len(plan.tickets), "stated": plan.stats.stated_edges, "inferred": plan.stats.inferred_edges,
            "shipped_creates": plan.stats.shipped_creates, "plan_s": round(seconds, 3),
            "missing_columns": list(plan.stats.missing_columns)}


def main() -> int:
    result: dict[str, object] = {"goals": GOALS, "hidden_column": {}, "behat_layout": {}}
    for name, folder in FULL_SPECS.items():
        if folder.is_dir():
            result["hidden_column"][name] = hidden_column_test(load(folder))  # type: ignore[index]
    for name, folder in BEHAT_SPECS.items():
        if folder.is_dir():
            result["behat_layout"][name] = counts(load(folder))  # type: ignore[index]
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
