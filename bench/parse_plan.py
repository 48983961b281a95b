"""Parse + validate + plan (+ template-write) a spec, in a fresh process: wall time and peak memory.

Run alone: python -m bench.parse_plan --copies 1   (prints one JSON object)
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

from bench.synthetic import load_dir, multiply
from integrations.tickets import SiteContext
from integrations.writers.template import TemplateWriter
from jobs.generation.writing import write_tickets
from jobs.planning import UploadedFile, plan_uploads

VA_GOV = Path(__file__).resolve().parents[2] / "shared" / "specs" / "drupal-spec-tool" / "va-gov-cms"


def measure(copies: int, repeats: int) -> dict[str, object]:
    files = load_dir(VA_GOV)
    if copies > 1:
        files = multiply(files, copies)
    uploads = [UploadedFile(name, data) for name, data in files.items()]
    rows = sum(data.count(b"\n") - 1 for data in files.values())
    plan_times, write_times = [], []
    tickets = problems = 0
    for _ in range(repeats):
        started = time.perf_counter()
        plan = plan_uploads(uploads)
        planned = time.perf_counter()
        write_tickets(plan.tickets, TemplateWriter(), SiteContext("VA.gov", "Veterans' information"))
        plan_times.append(planned - started)
        write_times.append(time.perf_counter() - planned)
        tickets, problems = len(plan.tickets), len(plan.problems)
    tracemalloc.start()
    plan = plan_uploads(uploads)
    write_tickets(plan.tickets, TemplateWriter(), SiteContext("VA.gov"))
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "copies": copies,
        "rows": rows,
        "tickets": tickets,
        "problems": problems,
        "parse_validate_plan_s": statistics.median(plan_times),
        "template_write_s": statistics.median(write_times),
        "python_peak_mb": traced_peak / 2**20,
        "process_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if not VA_GOV.is_dir():
        print(json.dumps({"skipped": f"VA.gov spec not found at {VA_GOV}"}))
        return 0
    print(json.dumps(measure(args.copies, args.repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
