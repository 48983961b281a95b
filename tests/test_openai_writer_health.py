"""The OpenAI writer's health check: one cheap real call, and what is wrong in plain words."""

from __future__ import annotations

import pytest

from integrations.writers.openai_writer import OpenAIWriter
from tests.fakes.openai_server import CHAT, MODELS, FakeOpenAIServer, Reply


def writer_for(fake: FakeOpenAIServer, model: str = "", key: str = "k") -> OpenAIWriter:
    return OpenAIWriter(api_key=key, model=model or fake.model, base_url=fake.base_url, health_timeout_s=0.5,
                        connect_timeout_s=0.5)


def test_a_working_server_is_healthy_with_one_model_list_call(fake_openai: FakeOpenAIServer) -> None:
    health = writer_for(fake_openai).health()
    assert health.ok and health.category == ""
    assert health.message == (f"the LLM server at http://127.0.0.1:{fake_openai.port} answers and model "
                              "'gpt-fake-mini' is available")
    assert [(r.method, r.path) for r in fake_openai.requests] == [("GET", MODELS)]


def test_a_rejected_key(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.api_key = "another-key"
    health = writer_for(fake_openai).health()
    assert (health.ok, health.category) == (False, "admin_required")
    assert health.message == "OpenAI rejected the API key (401) — check OPENAI_API_KEY"


def test_a_model_the_server_does_not_have(fake_openai: FakeOpenAIServer) -> None:
    health = writer_for(fake_openai, model="gpt-missing").health()
    assert (health.ok, health.category) == (False, "admin_required")
    assert health.message.startswith("model 'gpt-missing' is not available on this server")
    assert [r.path for r in fake_openai.requests] == [MODELS, CHAT]  # not listed, then confirmed missing


def test_a_gateway_that_does_not_list_the_model_but_serves_it_is_healthy(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.models.append("deployment-7")
    fake_openai.enqueue(Reply.raw(200, b'{"object": "list", "data": []}'), path=MODELS)
    health = writer_for(fake_openai, model="deployment-7").health()
    assert health.ok
    assert fake_openai.chat_requests[0]["max_completion_tokens"] == 1


def test_a_server_without_a_model_list_is_checked_with_one_token(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.enqueue(Reply.status(404, "Not Found"), path=MODELS)
    assert writer_for(fake_openai).health().ok
    assert len(fake_openai.chat_requests) == 1


def test_an_unreachable_server() -> None:
    with FakeOpenAIServer() as fake:
        base_url = fake.base_url
    health = OpenAIWriter(api_key="k", model="m", base_url=base_url, connect_timeout_s=0.5).health()
    assert (health.ok, health.category) == (False, "temporary")
    assert health.message == f"cannot reach the LLM server at {base_url.removesuffix('/v1')}"


def test_a_server_that_does_not_answer(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.enqueue(Reply.hang(30), path=MODELS)
    health = writer_for(fake_openai).health()
    assert (health.ok, health.category) == (False, "temporary")
    assert health.message == (f"cannot reach the LLM server at http://127.0.0.1:{fake_openai.port} "
                              "(no answer within 0.5 s)")


@pytest.mark.parametrize(("reply", "category", "message"), [
    (Reply.status(429, "slow down", retry_after="20"), "temporary",
     "the LLM server is rate-limiting us; try again in a minute"),
    (Reply.status(429, "quota", code="insufficient_quota"), "admin_required",
     "the OpenAI account has no quota left (429 insufficient_quota) — check the plan and billing"),
    (Reply.status(403, "forbidden"), "admin_required",
     "OpenAI refused the API key (403) — check OPENAI_API_KEY and what the key may access"),
    (Reply.status(503, "overloaded"), "temporary", "is failing (503); try again later"),
])
def test_failures_in_plain_words(fake_openai: FakeOpenAIServer, reply: Reply, category: str, message: str) -> None:
    fake_openai.enqueue(reply, path=MODELS)
    health = writer_for(fake_openai).health()
    assert (health.ok, health.category) == (False, category)
    assert message in health.message
