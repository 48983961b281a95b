"""`make bench`: run every benchmark in its own process, print figures beside targets, save JSON."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_PARSE_S = 1.0  # docs/design.md §12: the VA.gov spec parsed, validated and planned "well under a second"
TARGET_WORKER_MB = 200.0  # docs/design.md §12: worker peak memory for the VA.gov spec

Row = tuple[str, str, str, bool]


def run_json(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        return {"error": (done.stderr or done.stdout).strip().splitlines()[-1:] or ["failed"]}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def parse_plan(results: dict[str, Any]) -> list[Row]:
    va = results["parse_plan_va_gov"] = run_json("bench.parse_plan", "--copies", "1")
    big = results["parse_plan_va_gov_x100"] = run_json("bench.parse_plan", "--copies", "100", "--repeats", "1")
    if "skipped" in va or "error" in va:
        return [("parse+validate+plan", "not run", str(va.get("skipped") or va.get("error")), True)]
    ratio = big["parse_validate_plan_s"] / max(va["parse_validate_plan_s"], 1e-9)
    return [
        (f"parse+validate+plan, VA.gov ({va['rows']} rows → {va['tickets']} tickets)",
         f"{va['parse_validate_plan_s']:.3f} s", f"≤ {TARGET_PARSE_S:.1f} s (well under)",
         va["parse_validate_plan_s"] <= TARGET_PARSE_S),
        ("template writing, VA.gov (in process)", f"{va['template_write_s']:.3f} s", "—", True),
        (f"parse+validate+plan, 100× VA.gov ({big['rows']} rows → {big['tickets']} tickets)",
         f"{big['parse_validate_plan_s']:.2f} s ({ratio:.0f}× the 1× time)", "≈ linear (≤ 150×)", ratio <= 150),
        ("peak RSS, 100× VA.gov parse+plan+write", f"{big['process_peak_rss_mb']:.0f} MB", "grows ≈ linearly",
         big["process_peak_rss_mb"] <= 100 * va["process_peak_rss_mb"]),
    ]


def cli_wall(results: dict[str, Any]) -> list[Row]:
    data = results["cli_wall"] = run_json("bench.cli_wall", "--repeats", "5")
    if "skipped" in data or "error" in data:
        return [("CLI wall time", "not run", str(data.get("skipped") or data.get("error")), True)]
    return [
        (f"`ticketbot generate` wall time, VA.gov ({data['tickets']} tickets, template, SQLite)",
         f"{data['generate_s']:.2f} s (first run {data['generate_first_run_s']:.2f} s)",
         f"≤ {data['target_generate_s']:.1f} s", data["generate_s"] <= data["target_generate_s"]),
        ("`ticketbot --help` wall time", f"{data['help_s']:.2f} s", f"≤ {data['target_help_s']:.1f} s",
         data["help_s"] <= data["target_help_s"]),
    ]


def plan_quality(results: dict[str, Any]) -> list[Row]:
    """Issue 11: the order when the spec does not say (hidden-column test), and edges on Behat-layout specs."""
    data = results["plan_quality"] = run_json("bench.plan_quality")
    if "error" in data:
        return [("plan quality", "not run", str(data["error"]), False)]
    goals = data["goals"]
    rows: list[Row] = []
    for name, r in data["hidden_column"].items():
        rows += [
            (f"hidden columns, {name}: precision of {r['inferred']} inferred edges", f"{r['precision']:.0%}",
             f"≥ {goals['precision']:.0%}", r["precision"] >= goals["precision"]),
            (f"hidden columns, {name}: recall of {r['column_edges']} column-stated edges", f"{r['recall']:.0%}",
             f"≥ {goals['recall']:.0%}", r["recall"] >= goals["recall"]),
            (f"hidden columns, {name}: recall of all {r['hidden_edges']} hidden edges ({r['grid_edges']} from the "
             "permissions grid)", f"{r['recall_with_grid_edges']:.0%}", f"≥ {goals['recall']:.0%}",
             r["recall_with_grid_edges"] >= goals["recall"]),
            (f"hidden columns, {name}: full-plan edges the order violates", f"{r['violations']:.1%} of "
             f"{r['comparable_edges']}", f"≤ {goals['violations']:.0%}", r["violations"] <= goals["violations"]),
        ]
    for name, r in data["behat_layout"].items():
        rows.append((f"Behat layout, {name} ({r['tickets']} tickets): edges", f"{r['stated']} stated, "
                     f"{r['inferred']} inferred", "inferred > 0", r["inferred"] > 0))
    return rows


def worker_generation(results: dict[str, Any]) -> list[Row]:
    one = results["worker_generation_va_gov"] = run_json("bench.worker_generation", "--copies", "1")
    ten = results["worker_generation_va_gov_x10"] = run_json("bench.worker_generation", "--copies", "10")
    if "skipped" in one or "error" in one:
        return [("generation through a worker", "not run", str(one.get("skipped") or one.get("error")), True)]
    rows: list[Row] = [
        (f"generation through a real worker, VA.gov ({one['tickets']} tickets, template writer)",
         f"{one['wall_s']:.1f} s", "—", one["status"] == "completed"),
        ("worker peak RSS, VA.gov", f"{one['worker_peak_rss_mb']:.0f} MB", f"≤ {TARGET_WORKER_MB:.0f} MB",
         one["worker_peak_rss_mb"] <= TARGET_WORKER_MB),
    ]
    llm = results["worker_generation_va_gov_llm"] = run_json(
        "bench.worker_generation", "--llm-latency", "0.2", "--concurrency", "8")
    if "error" not in llm:
        rows.append(("generation through a real worker, VA.gov, fake LLM L = 0.2 s, C = 8",
                     f"{llm['wall_s']:.1f} s (ideal {llm['ideal_s']:.1f} s)",
                     f"≤ 1.15·⌈N/C⌉·L + 2 s = {llm['target_s']:.1f} s", llm["wall_s"] <= llm["target_s"]))
    if "error" not in ten:
        growth = ten["worker_peak_rss_mb"] / max(one["worker_peak_rss_mb"], 1e-9)
        rows.append((f"worker peak RSS, 10× VA.gov ({ten['tickets']} tickets)",
                     f"{ten['worker_peak_rss_mb']:.0f} MB ({growth:.1f}× the 1× figure)", "at most linear (≤ 10×)",
                     growth <= 10))
    return rows


def llm_writer(results: dict[str, Any]) -> list[Row]:
    data = results["llm_writer"] = run_json("bench.llm_writer", "--latency", "0.2", "--concurrency", "1,8,32")
    if "skipped" in data or "error" in data:
        return [("LLM writing", "not run", str(data.get("skipped") or data.get("error")), True)]
    return [
        (f"LLM writing, VA.gov ({data['tickets']} tickets), L = {data['latency_s']} s, C = {run['concurrency']}",
         f"{run['wall_s']:.1f} s (ideal {run['ideal_s']:.1f} s)", f"≤ {run['target_s']:.1f} s", bool(run["met"]))
        for run in data["runs"]
    ]


def slack(results: dict[str, Any]) -> list[Row]:
    data = results["slack"] = run_json("bench.slack_ack")
    if "error" in data:
        return [("Slack", "not run", str(data["error"]), True)]
    ack = data["ack"]
    rows: list[Row] = [
        (f"Slack ack, {kind}, 50 concurrent signed requests", f"p50 {ack[kind]['p50_ms']:.0f} ms, "
         f"p99 {ack[kind]['p99_ms']:.0f} ms", f"p99 ≤ {ack['target_p99_ms']} ms",
         ack[kind]["p99_ms"] <= ack["target_p99_ms"])
        for kind in ("commands", "events")
    ]
    run = data.get("va_gov_run", {})
    if "tickets" in run:
        rows.append((f"Slack, VA.gov run ({run['tickets']} drafts): progress edits", f"{run['progress_chat_updates']} "
                     f"chat.update, smallest gap {run['min_gap_between_progress_edits_s']} s", "≤ 1 per 2 s",
                     (run["min_gap_between_progress_edits_s"] or 2) >= 2))
        rows.append(("Slack, VA.gov run: draft posting rate", f"{run['draft_posts_per_s']}/s, "
                     f"{run['drafts_doubled']} doubled", "≈ 1/s, none lost or doubled",
                     run["drafts_in_thread"] == run["tickets"] and not run["drafts_doubled"]))
    limited = data.get("rate_limited_run", {})
    if "tickets" in limited:
        rows.append((f"Slack, drafts with every 10th post answered 429 ({limited['tickets']} drafts)",
                     f"{limited['draft_posts_per_s']}/s, {limited['rate_limited_posts']}× 429",
                     "none lost or doubled",
                     limited["drafts_in_thread"] == limited["tickets"] and not limited["drafts_doubled"]))
    return rows


def serve_edge(results: dict[str, Any]) -> list[Row]:
    data = results["serve_edge"] = run_json("bench.serve_edge")
    if "error" in data:
        return [("serve edge", "not run", str(data["error"]), True)]
    huge, ack = data["huge_unsigned_body"], data["ack_vs_bare_bolt"]
    return [
        ("serve, unsigned 100 MB body (Content-Length / chunked)",
         f"{huge['content_length']['median_ms']:.0f} / {huge['chunked']['median_ms']:.0f} ms, "
         f"RSS +{huge['peak_rss_growth_mb']:.0f} MB", "413 < 50 ms, RSS ± 20 MB", bool(huge["met"])),
        (f"serve ack p99 vs a bare Bolt app on waitress ({ack['concurrency']} concurrent)",
         f"{ack['p99_ratio']:.2f}× (median of {ack['rounds']} rounds, {min(ack['p99_ratios']):.2f}–"
         f"{max(ack['p99_ratios']):.2f}×; {ack['ticketbot']['all']['p99_ms']:.0f} vs "
         f"{ack['bare_bolt']['all']['p99_ms']:.0f} ms overall)", f"≤ {ack['target_ratio']:.1f}×, no non-200",
         bool(ack["met"])),
    ]


def jira(results: dict[str, Any]) -> list[Row]:
    data = results["jira_approve_all"] = run_json("bench.jira_approve_all")
    if "error" in data or "skipped" in data:
        return [("Jira approve-all", "not run", str(data.get("error") or data.get("skipped")), True)]
    return [(f"Jira approve-all, VA.gov ({data['tickets']} tickets, {data['wall_s']:.1f} s)",
             f"{data['create_requests']} creates, {data['link_requests']} links, {data['duplicates']} dup.",
             f"≤ {data['create_budget']} creates + links", bool(data["met"]) and not data["duplicates"])]


def jira_revision(results: dict[str, Any]) -> list[Row]:
    data = results["jira_revision"] = run_json("bench.jira_revision")
    if "error" in data or "skipped" in data:
        return [("Jira revision push", "not run", str(data.get("error") or data.get("skipped")), True)]
    fresh, again = data["fresh_push"]["requests"], data["revision_push"]["requests"]
    return [(f"Jira revision of VA.gov, {data['rows_changed']} of {data['rows_total']} rows changed "
             f"({data['tickets'].get('changed', 0)} tickets)",
             f"{again} requests vs {fresh} fresh ({data['ratio']:.2f}×), {data['duplicates']} dup.",
             "< fresh push, 0 duplicates", bool(data["met"]))]


def hostile_inputs(results: dict[str, Any]) -> list[Row]:
    data = results["hostile_inputs"] = run_json("bench.hostile_inputs")
    if "error" in data:
        return [("hostile spec files", "not run", str(data["error"]), False)]
    return [(name, f"{f['seconds']:.2f} s, {f['peak_rss_mb']:.0f} MB peak, {f['outcome']}",
             f"< {f['goal_s']:g} s" + (f", < {f['goal_mb']:g} MB" if f["goal_mb"] else "") + f", {f['expected']}",
             bool(f["met"])) for name, f in data.items() if isinstance(f, dict) and "met" in f]


def slow_regeneration(results: dict[str, Any]) -> list[Row]:
    data = results["slow_regeneration"] = run_json("bench.slow_regeneration")
    if "error" in data:
        return [("slow 🔁 drill", "not run", str(data["error"]), True)]
    return [(f"slow 🔁, LLM answers after {data['llm_latency_s']:.0f} s (2× the lease), 2 workers",
             f"{data['llm_calls']} LLM call(s), {data['regenerations_used']} regeneration used", "exactly 1",
             bool(data["met"]))]


def plan_kinds(results: dict[str, Any]) -> list[Row]:
    data = results["plan_kinds"] = run_json("bench.plan_kinds")
    if "skipped" in data or "error" in data:
        return [("ticket kinds on the shared specs", "not run", str(data.get("skipped") or data.get("error")), True)]
    rows: list[Row] = []
    for name, label in (("default_spec", "Drupal Spec Tool default spec"), ("va_gov", "VA.gov")):
        spec = data[name]
        rows.append((f"Create tickets for shipped config, {label}", str(spec["shipped_creates"]), "0",
                     spec["shipped_creates"] == 0))
        rows.append((f"tickets unmerged → merged (threshold {data['merge_threshold']}), {label}",
                     f"{spec['tickets_unmerged']} → {spec['tickets_merged']} (menus+styles "
                     f"{spec['menu_and_style_tickets_unmerged']} → {spec['menu_and_style_tickets_merged']})",
                     "—", True))
    return rows


def digest_review(results: dict[str, Any]) -> list[Row]:
    """Issue 14: a large run reviewed in digests (DESIGN.md §12: "the thread holds a few dozen bot messages, not
    one per ticket, and the first group is reviewable as soon as it is written")."""
    data = results["digest_review"] = run_json("bench.digest_review")
    if "skipped" in data or "error" in data:
        return [("digest review", "not run", str(data.get("skipped") or data.get("error")), "error" not in data)]
    every = data["tickets_on_exactly_one_line"] and data["digest_mode"]
    return [
        (f"digest review, VA.gov ({data['tickets']} tickets, {data['groups']} groups, LLM L = "
         f"{data['llm_latency_s']} s, C = {data['concurrency']}): bot messages in the thread",
         f"{data['bot_messages_in_thread']} ({data['digest_pages']} digest pages)",
         f"≤ {data['target_messages']}, every ticket on one line", data["bot_messages_in_thread"]
         <= data["target_messages"] and every),
        ("digest review, VA.gov: first group reviewable", f"{data['first_group_reviewable_s']} s after start, "
         f"{data['first_group_lag_after_written_s']} s after written",
         f"≤ {data['target_first_lag_s']:.0f} s after written",
         (data["first_group_lag_after_written_s"] or 0) <= data["target_first_lag_s"]),
        ("digest review, VA.gov: last group reviewable", f"{data['last_group_reviewable_s']} s after start "
         f"(written in {data['writing_s']} s), {data['last_group_lag_after_written_s']} s after written",
         f"≤ {data['target_last_lag_s']:.0f} s after written",
         (data["last_group_lag_after_written_s"] or 0) <= data["target_last_lag_s"]),
        ("digest review, VA.gov: Slack calls per ticket", f"{data['slack_calls_per_ticket']} ({data['posts']} posts, "
         f"{data['edits']} edits)", f"≤ {data['target_calls_per_ticket']} (per draft: ≥ 1)",
         data["slack_calls_per_ticket"] <= data["target_calls_per_ticket"]),
    ]


BENCHMARKS: list[Callable[[dict[str, Any]], list[Row]]] = [parse_plan, worker_generation, llm_writer, slack, jira,
                                                          hostile_inputs, slow_regeneration]
BENCHMARKS.append(serve_edge)  # issue 10: a 100 MB unsigned body; ack p99 beside a bare Bolt app
BENCHMARKS.insert(1, cli_wall)  # issue 15: the command line as a user times it, beside the in-process figure
BENCHMARKS.append(plan_kinds)  # issue 11: shipped configuration and family merging on the shared specs
BENCHMARKS.append(digest_review)  # issue 14: a large run reviewed in digests, one page per group and 47 tickets
BENCHMARKS.insert(1, plan_quality)  # issue 11: precision, recall and order with the dependency columns hidden
BENCHMARKS.insert(BENCHMARKS.index(jira) + 1, jira_revision)  # issue 16: a revision's requests beside a fresh push's


def main() -> int:
    results: dict[str, Any] = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "python": platform.python_version()}
    rows: list[Row] = []
    for benchmark in BENCHMARKS:
        rows.extend(benchmark(results))
    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{width}}  {'figure':<34} {'target':<26} result")
    for name, figure, target, ok in rows:
        print(f"{name:<{width}}  {figure:<34} {target:<26} {'met' if ok else 'MISSED'}")
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for path in (RESULTS / f"run-{stamp}.json", RESULTS / "latest.json"):
        path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"results: {RESULTS / 'latest.json'}")
    return 0 if all(ok for *_, ok in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
