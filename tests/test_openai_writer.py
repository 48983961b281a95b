"""The OpenAI writer against a local fake OpenAI server, through the real `openai` client (no mocks of our code)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from integrations.tickets import SiteContext, TicketBrief
from integrations.writers.errors import WriterMisconfigured, WriterUnavailable
from integrations.writers.openai_writer import ANSWER_ATTEMPTS, OpenAIWriter
from integrations.writers.prompt import PROMPT_VERSION, RESPONSE_SCHEMA, SYSTEM_PROMPT
from integrations.writers.template import TemplateWriter
from tests.factories import realistic_tickets
from tests.fakes.openai_server import FakeOpenAIServer, Reply

KEY = "test-key-not-secret"
SITE = SiteContext("Example Site", "The demo site: articles, tags and editors.")


def article() -> TicketBrief:
    return realistic_tickets()[1].brief  # two code-made checks, one dependency


def make_writer(fake: FakeOpenAIServer, **options: float) -> OpenAIWriter:
    settings: dict[str, float] = {"timeout_s": 5.0, "connect_timeout_s": 1.0, "max_attempts": 3,
                                  "max_retry_wait_s": 2.0, **options}
    return OpenAIWriter(api_key=KEY, model=fake.model, base_url=fake.base_url, concurrency=4,
                        **settings)  # type: ignore[arg-type]


@pytest.fixture
def writer(fake_openai: FakeOpenAIServer) -> Iterator[OpenAIWriter]:
    writer = make_writer(fake_openai)
    yield writer
    writer.close()


# --- a good answer ------------------------------------------------------------------------------------


def test_a_good_answer_becomes_the_ticket_with_model_prompt_version_and_usage(
    writer: OpenAIWriter, fake_openai: FakeOpenAIServer
) -> None:
    brief = article()
    content = writer.write(brief, SITE)
    template = TemplateWriter().write(brief, SITE)
    assert content.writer == "openai"
    assert content.title == template.title  # code-made: the model does not write it
    assert content.user_story == "As a site builder, I want Article, so that the site has it."
    assert content.analysis.startswith(template.analysis + "\n\nApproach (by the language model)\nBuild Article")
    assert "Gotchas (by the language model)\n- Clear the caches after changing Article" in content.analysis
    assert content.model == fake_openai.model
    assert content.prompt_version == PROMPT_VERSION
    assert content.fallback_reason == ""
    assert content.usage.prompt_tokens > 0 and content.usage.completion_tokens > 0
    assert len(fake_openai.chat_requests) == 1


def test_the_request_asks_for_a_strict_json_schema_with_static_instructions_first(
    writer: OpenAIWriter, fake_openai: FakeOpenAIServer
) -> None:
    writer.write(article(), SITE)
    body = fake_openai.chat_requests[0]
    assert body["model"] == fake_openai.model
    assert body["max_completion_tokens"] > 0
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert schema == RESPONSE_SCHEMA
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(schema["properties"]) == {
        "user_story", "approach", "gotchas", "extra_acceptance_criteria", "extra_checks", "risks", "open_questions",
        "estimate", "estimate_reason"}
    scenario = schema["properties"]["extra_acceptance_criteria"]["items"]
    assert scenario["additionalProperties"] is False and set(scenario["required"]) == {"given", "when", "then"}
    system, user = body["messages"]
    assert system == {"role": "system", "content": SYSTEM_PROMPT}
    assert user["role"] == "user"
    for text in ("Example Site", "node.type.article", "field_tags", "depends_on",
                 "exactly the following fields should exist for Article: Body, Tags, Image"):
        assert text in user["content"]
    fake_sent = fake_openai.requests[0]
    assert fake_sent.headers["authorization"] == f"Bearer {KEY}"


def test_the_code_made_checks_come_first_unchanged_and_in_order_and_repeats_are_dropped(
    writer: OpenAIWriter, fake_openai: FakeOpenAIServer
) -> None:
    brief = article()
    code_made = TemplateWriter().write(brief, SITE).verification
    fake_openai.enqueue(Reply.ticket(extra_checks=[
        "Exactly the following FIELDS should exist for Article: body, tags, image.",  # a repeat, reworded
        "An article with two tags can be saved",
        "An article with two tags can be saved",
        "  ",
    ]))
    content = writer.write(brief, SITE)
    assert content.verification[: len(brief.checks)] == brief.checks
    assert content.verification == (*code_made, "An article with two tags can be saved")


def test_checks_stay_when_the_model_adds_none(writer: OpenAIWriter, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.enqueue(Reply.ticket(extra_checks=[], gotchas=[], extra_acceptance_criteria=[], risks=[],
                                     open_questions=[]))
    content = writer.write(article(), SITE)
    template = TemplateWriter().write(article(), SITE)
    assert content.writer == "openai"
    assert (content.verification, content.acceptance, content.open_questions, content.risks) == (
        template.verification, template.acceptance, template.open_questions, ())
    assert "Gotchas" not in content.analysis


def test_the_static_system_prompt_is_shared_so_cached_tokens_are_recorded(
    writer: OpenAIWriter, fake_openai: FakeOpenAIServer
) -> None:
    tickets = realistic_tickets()
    first = writer.write(tickets[0].brief, SITE)
    second = writer.write(tickets[3].brief, SITE)
    systems = [body["messages"][0] for body in fake_openai.chat_requests]
    assert systems[0] == systems[1]
    assert first.usage.cached_tokens == 0
    assert second.usage.cached_tokens > 0


# --- bad answers: retried once with the reason, then the template's text ----------------------------------


@pytest.mark.parametrize(("reply", "reason"), [
    (Reply.content("this is not JSON {"), "not valid JSON"),
    (Reply.content("[1, 2]"), "not a JSON object"),
    (Reply.ticket(user_story=None), "field user_story is missing"),
    (Reply.ticket(approach="   "), "field approach is empty"),
    (Reply.ticket(approach=["a list"]), "field approach must be a string"),
    (Reply.ticket(extra_checks="check it"), "extra_checks must be a list of strings"),
    (Reply.ticket(risks=[1, 2]), "risks must be a list of strings"),
    (Reply.ticket(extra_acceptance_criteria=[{"given": "an editor", "when": "they save"}]),
     "extra_acceptance_criteria must be a list of objects with given, when and then"),
    (Reply.refusal("I can't help with that."), "refused"),
    (Reply.finish("length"), "cut off"),
    (Reply.finish("content_filter"), "content filter"),
])
def test_a_bad_answer_is_retried_once_with_the_reason(
    writer: OpenAIWriter, fake_openai: FakeOpenAIServer, reply: Reply, reason: str
) -> None:
    fake_openai.enqueue(reply)
    content = writer.write(article(), SITE)
    assert content.writer == "openai"
    first, retry = fake_openai.chat_requests
    assert retry["messages"][: len(first["messages"])] == first["messages"]
    assert reason in retry["messages"][-1]["content"]
    assert content.usage.prompt_tokens > first_prompt_tokens(first)  # both calls are paid for


def first_prompt_tokens(body: dict[str, object]) -> int:
    return sum(len(str(m["content"])) for m in body["messages"]) // 4  # type: ignore[attr-defined,index]


@pytest.mark.parametrize(("replies", "reason"), [
    ((Reply.content("nope"), Reply.content("still nope")), "not valid JSON"),
    ((Reply.refusal("No."), Reply.refusal("Still no.")), "the model refused to write the ticket (Still no.)"),
    ((Reply.finish("length"), Reply.finish("length")), "cut off at the token limit"),
    ((Reply.finish("content_filter"), Reply.finish("content_filter")), "content filter"),
    ((Reply.ticket(user_story=None), Reply.ticket(approach="")), "the field approach is empty"),
])
def test_a_second_bad_answer_falls_back_to_the_template_with_the_reason(
    writer: OpenAIWriter, fake_openai: FakeOpenAIServer, replies: tuple[Reply, ...], reason: str
) -> None:
    fake_openai.enqueue(*replies)
    brief = article()
    content = writer.write(brief, SITE)
    template = TemplateWriter().write(brief, SITE)
    assert content.writer == "template-fallback"
    assert (content.title, content.analysis, content.verification) == (
        template.title, template.analysis, template.verification)
    assert content.verification[: len(brief.checks)] == brief.checks
    assert reason in content.fallback_reason
    assert content.fallback_reason.startswith("the LLM's answer could not be used")
    assert content.model == fake_openai.model and content.prompt_version == PROMPT_VERSION
    assert len(fake_openai.chat_requests) == ANSWER_ATTEMPTS


def test_a_request_the_server_refuses_falls_back_without_a_pointless_retry(
    writer: OpenAIWriter, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.enqueue(Reply.status(400, "This model's maximum context length is 128000 tokens.",
                                     code="context_length_exceeded"))
    content = writer.write(article(), SITE)
    assert content.writer == "template-fallback"
    assert "refused the request (400: This model's maximum context length" in content.fallback_reason
    assert len(fake_openai.chat_requests) == 1


def test_a_reply_that_is_no_chat_completion_is_a_bad_answer(
    writer: OpenAIWriter, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.enqueue(Reply.raw(200, b"<html>proxy login</html>", "text/html"))
    assert writer.write(article(), SITE).writer == "openai"
    assert len(fake_openai.chat_requests) == 2


def test_a_json_object_in_a_code_fence_is_accepted(writer: OpenAIWriter, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.enqueue(Reply.content('```json\n{"user_story": "As a reader", "approach": "Build it."}\n```'))
    content = writer.write(article(), SITE)  # JSON mode has no schema: the lists may be absent
    assert (content.writer, content.user_story) == ("openai", "As a reader")
    assert content.verification == TemplateWriter().write(article(), SITE).verification


# --- servers without json_schema ----------------------------------------------------------------------------


def test_a_server_without_json_schema_gets_json_mode_and_the_writer_remembers(
    writer: OpenAIWriter, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.reject_json_schema = True
    first = writer.write(article(), SITE)
    second = writer.write(realistic_tickets()[0].brief, SITE)
    assert (first.writer, second.writer) == ("openai", "openai")
    assert writer.json_mode
    formats = [body["response_format"]["type"] for body in fake_openai.chat_requests]
    assert formats == ["json_schema", "json_object", "json_object"]


# --- the service itself failing -------------------------------------------------------------------------------


@pytest.mark.parametrize(("reply", "words"), [
    (Reply.status(401, "Incorrect API key provided"), "OpenAI rejected the API key (401) — check OPENAI_API_KEY"),
    (Reply.status(403, "Project does not have access"), "(403) — check OPENAI_API_KEY"),
    (Reply.status(404, "The model does not exist", code="model_not_found"), "model 'gpt-fake-mini' is not available"),
    (Reply.status(429, "You exceeded your current quota", code="insufficient_quota"), "no quota left"),
])
def test_a_set_up_problem_raises_admin_required_at_once(
    writer: OpenAIWriter, fake_openai: FakeOpenAIServer, reply: Reply, words: str
) -> None:
    fake_openai.enqueue(reply)
    with pytest.raises(WriterMisconfigured) as caught:
        writer.write(article(), SITE)
    assert caught.value.category == "admin_required"
    assert words in caught.value.message
    assert len(fake_openai.chat_requests) == 1


def test_an_unknown_model_is_admin_required(fake_openai: FakeOpenAIServer) -> None:
    writer = OpenAIWriter(api_key=KEY, model="gpt-nonexistent", base_url=fake_openai.base_url)
    with pytest.raises(WriterMisconfigured, match="model 'gpt-nonexistent' is not available"):
        writer.write(article(), SITE)


def test_429_is_retried_after_the_retry_after_wait(writer: OpenAIWriter, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.enqueue(Reply.status(429, "Rate limit reached", retry_after="1"))
    started = time.monotonic()
    content = writer.write(article(), SITE)
    assert time.monotonic() - started >= 1.0
    assert content.writer == "openai"
    assert len(fake_openai.chat_requests) == 2


def test_429_and_5xx_attempts_are_bounded_then_temporary(writer: OpenAIWriter, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.enqueue(Reply.status(429, retry_after="0"), Reply.status(500, retry_after="0"),
                        Reply.status(503, retry_after="0"), Reply.ticket())
    with pytest.raises(WriterUnavailable) as caught:
        writer.write(article(), SITE)
    assert caught.value.category == "temporary"
    assert "failed (503), after 3 attempt(s)" in caught.value.message
    assert len(fake_openai.chat_requests) == writer.max_attempts == 3


def test_5xx_without_retry_after_backs_off_and_recovers(writer: OpenAIWriter, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.enqueue(Reply.status(500), Reply.status(502))
    assert writer.write(article(), SITE).writer == "openai"
    assert len(fake_openai.chat_requests) == 3


def test_a_retry_after_beyond_the_budget_gives_up_at_once(
    writer: OpenAIWriter, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.enqueue(Reply.status(429, "Rate limit reached", retry_after="3600"))
    started = time.monotonic()
    with pytest.raises(WriterUnavailable, match="rate-limiting us \\(asked to wait 3600 s\\)"):
        writer.write(article(), SITE)
    assert time.monotonic() - started < 3
    assert len(fake_openai.chat_requests) == 1


def test_a_hung_server_times_out_within_the_budget(fake_openai: FakeOpenAIServer) -> None:
    writer = make_writer(fake_openai, timeout_s=0.3, max_attempts=2, max_retry_wait_s=0.5)
    fake_openai.enqueue(Reply.hang(30), Reply.hang(30))
    started = time.monotonic()
    with pytest.raises(WriterUnavailable) as caught:
        writer.write(article(), SITE)
    elapsed = time.monotonic() - started
    assert "did not answer in time, after 2 attempt(s)" in caught.value.message
    assert caught.value.category == "temporary"
    assert elapsed < writer.max_seconds_per_ticket
    assert len(fake_openai.chat_requests) == 2


def test_an_unreachable_server_is_temporary() -> None:
    with FakeOpenAIServer() as fake:
        base_url = fake.base_url
    writer = OpenAIWriter(api_key=KEY, model="m", base_url=base_url, connect_timeout_s=1, max_retry_wait_s=1)
    with pytest.raises(WriterUnavailable, match=f"cannot reach the LLM server at {base_url.removesuffix('/v1')},"):
        writer.write(article(), SITE)


def test_the_time_budget_covers_every_attempt_of_both_answers() -> None:
    writer = OpenAIWriter(api_key=KEY, model="m", timeout_s=30, connect_timeout_s=5, max_attempts=3,
                          max_retry_wait_s=10)
    assert writer.max_seconds_per_ticket == 2 * (3 * (30 + 5) + 2 * 10)
    assert writer.name == "openai"


def test_an_empty_key_or_model_fails_at_construction() -> None:
    with pytest.raises(WriterMisconfigured, match="OPENAI_API_KEY is empty"):
        OpenAIWriter(api_key="", model="m")
    with pytest.raises(WriterMisconfigured, match="OPENAI_MODEL is empty"):
        OpenAIWriter(api_key=KEY, model="")


def test_bootstrap_builds_the_openai_writer_from_settings(fake_openai: FakeOpenAIServer) -> None:
    from bot.wiring.bootstrap import build_writer
    from bot.wiring.settings import Settings

    settings = Settings.from_env({"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": fake_openai.base_url,
                                  "OPENAI_MODEL": fake_openai.model, "LLM_CONCURRENCY": "3"})
    writer = build_writer(settings)
    assert isinstance(writer, OpenAIWriter)
    assert (writer.concurrency, writer.model, writer.base_url) == (3, fake_openai.model, fake_openai.base_url)
    assert writer.write(article(), SITE).writer == "openai"
    assert KEY not in repr(writer)


def test_the_code_made_acceptance_questions_and_estimate_stay_and_the_model_may_adjust_the_size(
    writer: OpenAIWriter, fake_openai: FakeOpenAIServer
) -> None:
    brief = article()
    template = TemplateWriter().write(brief, SITE)
    assert template.acceptance and template.estimate is not None
    other = "XL" if template.estimate.size != "XL" else "XS"
    fake_openai.enqueue(Reply.ticket(estimate=other, estimate_reason="The image field needs a crop type first.",
                                     extra_acceptance_criteria=[
                                         {"given": "Given an editor", "when": "they upload a 10 MB image",
                                          "then": "then the upload is refused with a size message"}]))
    content = writer.write(brief, SITE)
    assert content.acceptance == (*template.acceptance, "Given an editor\nWhen they upload a 10 MB image\n"
                                                        "Then the upload is refused with a size message")
    assert content.open_questions == (*template.open_questions, "Who owns Article after launch?")
    assert content.risks == ("Existing content may need a review after Article changes",)
    assert content.estimate is not None
    assert (content.estimate.size, content.estimate.adjusted_from) == (other, template.estimate.size)
    assert content.estimate.reason == template.estimate.reason
    assert content.estimate.adjustment_reason == "The image field needs a crop type first."
    fake_openai.enqueue(Reply.ticket(estimate=template.estimate.size))
    assert writer.write(brief, SITE).estimate == template.estimate


def test_the_prompt_tells_the_model_the_drupal_version(fake_openai: FakeOpenAIServer) -> None:
    import json

    for version, expected in ((None, 11), (10, 10)):
        options = {} if version is None else {"drupal_version": version}
        writer = OpenAIWriter(api_key=KEY, model=fake_openai.model, base_url=fake_openai.base_url,
                              timeout_s=5.0, connect_timeout_s=1.0, **options)  # type: ignore[arg-type]
        writer.write(article(), SITE)
        writer.close()
        user = fake_openai.chat_requests[-1]["messages"][1]["content"]
        block = user.split("<spec_data>\n", 1)[1].rsplit("\n</spec_data>", 1)[0]
        assert json.loads(block)["drupal_version"] == expected
    assert "drupal_version" in SYSTEM_PROMPT


def test_the_prompt_gives_what_a_lead_would_have_the_code_made_parts_and_both_directions_of_the_graph(
    writer: OpenAIWriter, fake_openai: FakeOpenAIServer
) -> None:
    import dataclasses
    import json

    brief = dataclasses.replace(article(), needed_by=tuple(f"views.view.v{i}" for i in range(35)))
    writer.write(brief, SITE)
    user = fake_openai.chat_requests[-1]["messages"][1]["content"]
    data = json.loads(user.split("<spec_data>\n", 1)[1].rsplit("\n</spec_data>", 1)[0])
    template = TemplateWriter().write(brief, SITE)
    assert data["code_made"]["title"] == template.title
    assert data["code_made"]["analysis"] == template.analysis
    assert data["code_made"]["acceptance_criteria"] == list(template.acceptance)
    assert template.estimate is not None and data["code_made"]["estimate"]["size"] == template.estimate.size
    assert data["code_made_checks"] == list(template.verification)
    assert data["depends_on"] and data["needed_by"] == [f"views.view.v{i}" for i in range(30)]
    assert data["needed_by_more"] == 5
    for said in ('"c" changed since it was built', '"d" to be deleted', '"needed_by" those that build on it',
                 "never repeat, rephrase or contradict a code-made part"):
        assert said in SYSTEM_PROMPT
