"""`make bench`: run every benchmark in its own process, print figures beside targets, save JSON."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

# (name, command, figure, target check, target text)
TARGET_PARSE_S = 1.0  # DESIGN §12: the VA.gov spec parsed, validated and planned "well under a second"


def run_json(*args: str) -> dict[str, object]:
    output = subprocess.run([sys.executable, "-m", *args], check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> int:
    results: dict[str, object] = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "python": platform.python_version()}
    rows: list[tuple[str, str, str, bool]] = []
    va = run_json("bench.parse_plan", "--copies", "1")
    big = run_json("bench.parse_plan", "--copies", "100", "--repeats", "1")
    results["parse_plan_va_gov"] = va
    results["parse_plan_va_gov_x100"] = big
    if "skipped" not in va:
        rows.append((
            f"parse+validate+plan, VA.gov ({va['rows']} rows → {va['tickets']} tickets)",
            f"{va['parse_validate_plan_s']:.3f} s", f"≤ {TARGET_PARSE_S:.1f} s (well under)",
            float(va["parse_validate_plan_s"]) <= TARGET_PARSE_S,  # type: ignore[arg-type]
        ))
        rows.append(("template writing, VA.gov", f"{va['template_write_s']:.3f} s", "—", True))
        rows.append(("peak RSS, VA.gov (whole process)", f"{va['process_peak_rss_mb']:.0f} MB", "≤ 200 MB",
                     float(va["process_peak_rss_mb"]) <= 200))  # type: ignore[arg-type]
        ratio = float(big["parse_validate_plan_s"]) / max(float(va["parse_validate_plan_s"]), 1e-9)  # type: ignore[arg-type]
        rows.append((
            f"parse+validate+plan, 100× VA.gov ({big['rows']} rows → {big['tickets']} tickets)",
            f"{big['parse_validate_plan_s']:.2f} s ({ratio:.0f}× the 1× time)", "≈ linear (≤ 150×)", ratio <= 150,
        ))
        rows.append(("template writing, 100× VA.gov", f"{big['template_write_s']:.2f} s", "—", True))
        rows.append(("peak RSS, 100× VA.gov", f"{big['process_peak_rss_mb']:.0f} MB", "grows at most linearly",
                     float(big["process_peak_rss_mb"]) <= 100 * float(va["process_peak_rss_mb"])))  # type: ignore[arg-type]
    else:
        rows.append(("parse+validate+plan", "skipped", str(va["skipped"]), True))
    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{width}}  {'figure':<28} {'target':<26} result")
    for name, figure, target, ok in rows:
        print(f"{name:<{width}}  {figure:<28} {target:<26} {'met' if ok else 'MISSED'}")
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for path in (RESULTS / f"run-{stamp}.json", RESULTS / "latest.json"):
        path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"results: {RESULTS / 'latest.json'}")
    return 0 if all(ok for *_, ok in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
