"""The OpenAI writer shared by many threads: the concurrency limit is reached and kept, and time scales with it."""

from __future__ import annotations

import math
import time
from typing import Any

import pytest

from integrations.tickets import SiteContext, TicketBrief
from integrations.writers.openai_writer import OpenAIWriter
from jobs.generation.writing import write_tickets
from jobs.planning import PlanOptions, UploadedFile, plan_uploads
from tests.fakes.openai_server import FakeOpenAIServer, default_answer

LATENCY = 0.2


def menu_briefs(count: int) -> tuple[TicketBrief, ...]:
    spec = "Name,Machine name,Description\n" + "".join(f"Menu {i},menu-{i},\n" for i in range(count))
    plan = plan_uploads([UploadedFile("menus.csv", spec.encode())], options=PlanOptions(merge_threshold=0))
    return tuple(t for t in plan.tickets if t.key.startswith("system.menu."))  # unmerged, without the foundation


@pytest.mark.parametrize("concurrency", [1, 8])
def test_calls_in_flight_reach_and_never_pass_the_concurrency(
    fake_openai: FakeOpenAIServer, concurrency: int
) -> None:
    count = 24 if concurrency > 1 else 6
    fake_openai.latency = LATENCY
    writer = OpenAIWriter(api_key="k", model=fake_openai.model, base_url=fake_openai.base_url,
                          concurrency=concurrency)
    briefs = menu_briefs(count)
    started = time.monotonic()
    written = write_tickets(briefs, writer, SiteContext("Acme"))
    elapsed = time.monotonic() - started
    assert [t.brief.key for t in written] == [b.key for b in briefs]
    assert all(t.content.writer == "openai" for t in written)
    assert [t.content.user_story for t in written] == [f"As a site builder, I want Menu {i}, so that the site has it."
                                                       for i in range(count)]
    assert fake_openai.max_in_flight == concurrency
    assert len(fake_openai.chat_requests) == count
    # Never faster than ⌈N/C⌉ rounds of the server's latency (a lower bound no slow machine breaks); how close
    # to it a run comes is measured by `python -m bench.llm_writer`, not asserted here.
    assert math.ceil(count / concurrency) * LATENCY <= elapsed + 0.05


def test_fallbacks_and_usage_add_up_over_a_concurrent_run(fake_openai: FakeOpenAIServer) -> None:
    def answer(body: dict[str, Any]) -> dict[str, Any]:
        ticket = default_answer(body)
        data = body["messages"][1]["content"]
        if '"label": "Menu 3"' in data or '"label": "Menu 7"' in data:
            del ticket["user_story"]  # these two tickets always get an unusable answer
        return ticket

    fake_openai.answer = answer
    writer = OpenAIWriter(api_key="k", model=fake_openai.model, base_url=fake_openai.base_url, concurrency=4)
    written = write_tickets(menu_briefs(12), writer, SiteContext("Acme"))
    fallbacks = [t.brief.label for t in written if t.content.writer == "template-fallback"]
    assert fallbacks == ["Menu 3", "Menu 7"]
    assert all(t.content.fallback_reason == "the LLM's answer could not be used: the field user_story is missing"
               for t in written if t.brief.label in fallbacks)
    assert len(fake_openai.chat_requests) == 12 + 2
    assert sum(t.content.usage.cached_tokens for t in written) > 0
    assert all(t.content.usage.prompt_tokens > 0 for t in written)
