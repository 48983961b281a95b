"""Concurrent writing keeps plan order, bounds calls in flight, and stops on cancellation."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from integrations.tickets import SiteContext, TicketBrief, TicketContent
from integrations.writers.base import WriterHealth
from jobs.generation.writing import GenerationCancelled, write_tickets
from jobs.planning import PlanOptions, UploadedFile, plan_uploads

SPEC = "Name,Machine name,Description\n" + "".join(f"Menu {i},menu-{i},\n" for i in range(12))


class SlowWriter:
    """Answers after a delay that shrinks with the position, so later tickets finish first."""

    name = "slow"
    max_seconds_per_ticket = 1.0

    def __init__(self, concurrency: int) -> None:
        self.concurrency = concurrency
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()

    def write(self, brief: TicketBrief, site: SiteContext) -> TicketContent:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        time.sleep(0.002 * (13 - brief.position))
        with self.lock:
            self.in_flight -= 1
        return TicketContent(brief.label, "story", "analysis", brief.checks, self.name)

    def health(self) -> WriterHealth:
        return WriterHealth(True, "ok")


def briefs() -> tuple[TicketBrief, ...]:
    """12 menu tickets: the menus unmerged, without the foundation tickets."""
    plan = plan_uploads([UploadedFile("menus.csv", SPEC.encode())], options=PlanOptions(merge_threshold=0))
    return tuple(replace(t, position=n) for n, t in enumerate((t for t in plan.tickets if t.key.startswith(
        "system.menu.")), start=1))


@pytest.mark.parametrize("concurrency", [1, 4])
def test_results_come_in_plan_order_with_bounded_concurrency(concurrency: int) -> None:
    writer = SlowWriter(concurrency)
    seen: list[int] = []
    progress: list[int] = []
    written = write_tickets(briefs(), writer, SiteContext("Acme"), progress=lambda d, t, b: progress.append(d),
                            on_written=lambda t: seen.append(t.brief.position))
    assert [t.brief.position for t in written] == list(range(1, 13))
    assert seen == list(range(1, 13))
    assert progress == list(range(1, 13))
    assert writer.most_in_flight <= concurrency
    if concurrency > 1:
        assert writer.most_in_flight > 1


def test_cancellation_stops_new_calls() -> None:
    writer = SlowWriter(2)
    done: list[int] = []
    with pytest.raises(GenerationCancelled):
        write_tickets(briefs(), writer, SiteContext("Acme"), is_cancelled=lambda: len(done) >= 3,
                      on_written=lambda t: done.append(t.brief.position))
    assert 3 <= len(done) < 12
