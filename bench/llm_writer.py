"""The OpenAI writer on the VA.gov spec against the local fake OpenAI server at a fixed latency (docs/design.md §12).

Each ticket is one real HTTP round trip through the `openai` client to a fake that waits `--latency`
seconds before answering; wall time of `write_tickets` is compared with the target
1.15 × ⌈N/C⌉·L + 2 s.

Run alone: python -m bench.llm_writer --latency 0.2 --concurrency 1,8,32   (prints one JSON object)
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench.synthetic import load_dir
from integrations.tickets import SiteContext, TicketBrief, Usage
from integrations.writers.openai_writer import OpenAIWriter
from jobs.generation.writing import write_tickets
from jobs.planning import UploadedFile, plan_uploads
from tests.fakes.openai_server import FakeOpenAIServer

VA_GOV = Path(__file__).resolve().parents[2] / "shared" / "specs" / "drupal-spec-tool" / "va-gov-cms"
SITE = SiteContext("VA.gov", "Veterans' information: benefits, health care facilities, news and events.")


def target_s(tickets: int, concurrency: int, latency: float) -> float:
    """docs/design.md §12: wall time ≤ 1.15 × ⌈N/C⌉·L + 2 s."""
    return 1.15 * math.ceil(tickets / concurrency) * latency + 2.0


def measure(briefs: Sequence[TicketBrief], latency: float, concurrency: int) -> dict[str, object]:
    with FakeOpenAIServer(latency=latency) as fake:
        writer = OpenAIWriter(api_key="bench-key", model=fake.model, base_url=fake.base_url, concurrency=concurrency)
        started = time.perf_counter()
        written = write_tickets(briefs, writer, SITE)
        wall = time.perf_counter() - started
        writer.close()
        in_flight = fake.max_in_flight
        requests = len(fake.chat_requests)
    usage = sum((t.content.usage for t in written), Usage())
    ideal = math.ceil(len(briefs) / concurrency) * latency
    target = target_s(len(briefs), concurrency, latency)
    return {
        "concurrency": concurrency,
        "wall_s": round(wall, 3),
        "ideal_s": round(ideal, 3),
        "target_s": round(target, 3),
        "met": wall <= target,
        "ratio_to_ideal": round(wall / ideal, 3) if ideal else None,
        "max_in_flight": in_flight,
        "requests": requests,
        "fallbacks": sum(t.content.writer != "openai" for t in written),
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "cached_tokens": usage.cached_tokens,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.2, help="seconds the fake server takes per answer")
    parser.add_argument("--concurrency", default="8", help="comma-separated, e.g. 1,8,32")
    args = parser.parse_args()
    if not VA_GOV.is_dir():
        print(json.dumps({"skipped": f"VA.gov spec not found at {VA_GOV}"}))
        return 0
    plan = plan_uploads([UploadedFile(name, data) for name, data in load_dir(VA_GOV).items()])
    runs = [measure(plan.tickets, args.latency, int(c)) for c in args.concurrency.split(",") if c.strip()]
    print(json.dumps({
        "tickets": len(plan.tickets),
        "latency_s": args.latency,
        "runs": runs,
        "process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
