"""Hostile spec files through the real reader and planner: time and peak memory of each, beside its bound.

Each case is built into a temporary directory by one process, then read (and planned) by another,
both started from this small parent: Linux keeps ru_maxrss across fork and exec, so the measured
peak RSS (resource.getrusage) is the reader's own and not the builder's.

Run alone: python -m bench.hostile_inputs   (a table, then one JSON object on the last line)
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

GOAL_REFUSED_S = 1.0
GOAL_REFUSED_MB = 100.0
GOAL_PLANNED_S = 2.0
MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _workbook(sheet_xml: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal valid .xlsx with one worksheet, built part by part as Excel lays it out."""
    parts = {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
        b'+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
        b'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
        b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        "_rels/.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": b'<?xml version="1.0"?><workbook xmlns="' + MAIN_NS + b'" xmlns:r="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Bundles" sheetId="1" '
        b'r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.'
        b'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
        b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
        b'Target="sharedStrings.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet_xml,
        "xl/sharedStrings.xml": b'<?xml version="1.0"?><sst xmlns="' + MAIN_NS + b'"/>',
        **(extra or {}),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _sheet(rows: bytes, dimension: bytes = b"A1:C2") -> bytes:
    return (b'<?xml version="1.0"?><worksheet xmlns="' + MAIN_NS + b'"><dimension ref="' + dimension
            + b'"/><sheetData>' + rows + b"</sheetData></worksheet>")


def _inline_row(number: int, values: list[str]) -> bytes:
    cells = b"".join(b'<c t="inlineStr"><is><t>%s</t></is></c>' % v.encode() for v in values)
    return b'<row r="%d">%s</row>' % (number, cells)


def dimension_bomb() -> dict[str, bytes]:
    rows = _inline_row(1, ["Name", "Machine name", "Type"]) + _inline_row(2, ["Article", "article", "Content type"])
    return {"dimension-bomb.xlsx": _workbook(_sheet(rows, b"A1:XFD1048576"))}


def shared_strings_bomb() -> dict[str, bytes]:
    rows = (b'<row r="1"><c t="s"><v>0</v></c><c t="s"><v>1</v></c><c t="s"><v>2</v></c></row>'
            b'<row r="2"><c t="s"><v>3</v></c><c t="s"><v>4</v></c><c t="s"><v>5</v></c></row>')
    words = [b"Name", b"Machine name", b"Type", b"Article", b"article", b"Content type"]
    table = (b'<?xml version="1.0"?><sst xmlns="' + MAIN_NS + b'">'
             + b"".join(b"<si><t>%s</t></si>" % w for w in words)
             + b"<si><t>padding padding padding</t></si>" * 1_500_000
             + b"</sst>")
    return {"shared-strings-bomb.xlsx": _workbook(_sheet(rows), {"xl/sharedStrings.xml": table})}


def wide_header_csv() -> dict[str, bytes]:
    return {"wide-header.csv": b"Name,Machine name," + b"a," * 1_000_000 + b"\n"}


def wide_header_xlsx() -> dict[str, bytes]:
    header = ["Name", "Machine name", *[f"c{i}" for i in range(1_000_000)]]
    return {"wide-header.xlsx": _workbook(_sheet(_inline_row(1, header)))}


def unknown_references() -> dict[str, bytes]:
    """4,000 bundles, and 4,000 field rows each naming a bundle that does not exist (one typo away)."""
    bundles = "Name,Machine name,Type\n" + "".join(f"Bundle number {i},bundle_number_{i},Content type\n"
                                                   for i in range(4_000))
    fields = "Bundle,Field label,Machine name,Field type\n" + "".join(
        f"Bundle nunber {i},Body,field_body,Text (plain)\n" for i in range(4_000))
    return {"bundles.csv": bundles.encode(), "fields.csv": fields.encode()}


# name -> (builder, goal in seconds, goal in MB or None, what the outcome must be)
CASES: dict[str, tuple[Callable[[], dict[str, bytes]], float, float | None, str]] = {
    # Not refused: its one row is read (the declared dimension ignored) and planned, within the bounds.
    "dimension bomb (.xlsx declaring A1:XFD1048576)": (dimension_bomb, GOAL_REFUSED_S, GOAL_REFUSED_MB, "planned"),
    "shared-strings bomb (.xlsx, 54 MB sharedStrings.xml)": (
        shared_strings_bomb, GOAL_REFUSED_S, GOAL_REFUSED_MB, "refused"),
    "wide header, CSV (2 MB, 1,000,003 columns)": (wide_header_csv, GOAL_REFUSED_S, GOAL_REFUSED_MB, "refused"),
    "wide header, .xlsx (1,000,002 columns)": (wide_header_xlsx, GOAL_REFUSED_S, GOAL_REFUSED_MB, "refused"),
    "4,000 bundles × 4,000 unknown references, planned": (unknown_references, GOAL_PLANNED_S, None, "planned"),
}


def measure(directory: Path) -> dict[str, object]:
    """In this (fresh) process: plan the files of `directory` as one upload set, as `start` does."""
    from jobs.planning import UploadedFile, plan_uploads

    files = [UploadedFile(p.name, p.read_bytes()) for p in sorted(directory.iterdir())]
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    plan = plan_uploads(files)
    seconds = time.perf_counter() - started
    file_errors = [p for p in plan.problems if p.level.value == "file_error"]
    first = (file_errors or list(plan.problems))[:1]
    return {
        "seconds": round(seconds, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_before_mb": round(before_mb, 1),
        "bytes": sum(len(f.data) for f in files),
        "tickets": len(plan.tickets),
        "problems": len(plan.problems),
        "outcome": "refused" if file_errors else ("planned" if plan.tickets else "read"),
        "first_problem": first[0].describe()[:160] if first else "",
    }


def run_all() -> dict[str, object]:
    results: dict[str, object] = {}
    rows = []
    for name, (_build, goal_s, goal_mb, expected) in CASES.items():
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, "-m", "bench.hostile_inputs", "--build", name, tmp], check=True,
                           timeout=900)
            done = subprocess.run([sys.executable, "-m", "bench.hostile_inputs", "--measure", tmp],
                                  capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            results[name] = {"error": (done.stderr or done.stdout).strip().splitlines()[-1:]}
            rows.append((name, "failed", "", False))
            continue
        figure = json.loads(done.stdout.strip().splitlines()[-1])
        met = figure["seconds"] < goal_s and (goal_mb is None or figure["peak_rss_mb"] < goal_mb) and (
            figure["outcome"] == expected)
        figure.update(goal_s=goal_s, goal_mb=goal_mb, expected=expected, met=met)
        results[name] = figure
        goal = f"< {goal_s:g} s" + (f", < {goal_mb:g} MB" if goal_mb else "") + f", {expected}"
        rows.append((name, f"{figure['seconds']:.2f} s, {figure['peak_rss_mb']:.0f} MB peak, {figure['outcome']}",
                     goal, met))
    width = max(len(r[0]) for r in rows)
    for name, figure, goal, met in rows:
        print(f"{name:<{width}}  {figure:<36} {goal:<28} {'met' if met else 'MISSED'}")
    results["met"] = all(r[3] for r in rows)
    return results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--measure", type=Path, help="plan this directory's files in this process")
    parser.add_argument("--build", nargs=2, metavar=("CASE", "DIRECTORY"), help="write one case's files")
    args = parser.parse_args()
    if args.build:
        case, directory = args.build
        for file_name, data in CASES[case][0]().items():
            (Path(directory) / file_name).write_bytes(data)
        return 0
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0
    results = run_all()
    print(json.dumps(results))
    return 0 if results["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
