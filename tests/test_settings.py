from __future__ import annotations

import pytest

from bot.wiring.settings import Settings, SettingsError


def test_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///ticketbot.db"
    assert settings.llm_provider == "template"
    assert settings.slack_file_hosts == ("files.slack.com",)
    assert settings.port == 3000 and settings.llm_concurrency == 8


def test_openai_is_the_default_provider_when_a_key_is_set() -> None:
    assert Settings.from_env({"OPENAI_API_KEY": "sk-test"}).llm_provider == "openai"


def test_every_problem_is_named_at_once() -> None:
    env = {
        "PORT": "http",
        "LLM_CONCURRENCY": "0",
        "LLM_PROVIDER": "gpt",
        "TICKETBOT_CHANNELS": "general",
        "TICKETBOT_APPROVERS": "U123ABC,alice",
        "JIRA_FIELD_DEFAULTS": "[1]",
        "JIRA_URL": "https://acme.atlassian.net",
        "DATABASE_URL": "mysql://x",
        "SLACK_FILE_HOSTS": "files.slack.com,bad host",
    }
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    names = " ".join(caught.value.problems)
    for name in ("PORT", "LLM_CONCURRENCY", "LLM_PROVIDER", "TICKETBOT_CHANNELS", "alice", "JIRA_FIELD_DEFAULTS",
                 "JIRA_EMAIL", "JIRA_PROJECT", "DATABASE_URL", "bad host"):
        assert name in names
    assert len(caught.value.problems) >= 9


def test_secrets_never_show_in_repr_or_errors() -> None:
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-secret-1", "OPENAI_API_KEY": "sk-secret-2",
                                  "JIRA_URL": "https://j.example", "JIRA_PAT": "pat-secret-3",
                                  "JIRA_PROJECT": "RPL"})
    text = repr(settings) + str(settings)
    assert "secret" not in text
    assert repr(settings.slack_bot_token) == "Secret('***')"
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"OPENAI_API_KEY": "sk-secret-4", "PORT": "x"})
    assert "sk-secret-4" not in str(caught.value)


def test_lists_and_hosts_are_parsed() -> None:
    settings = Settings.from_env({"TICKETBOT_CHANNELS": "C01ABC, G02DEF", "SLACK_FILE_HOSTS": "127.0.0.1:8123"})
    assert settings.channels == ("C01ABC", "G02DEF")
    assert settings.slack_file_hosts == ("127.0.0.1:8123",)


def test_the_drupal_version_defaults_to_11_and_is_checked() -> None:
    assert Settings.from_env({}).drupal_version == 11
    assert Settings.from_env({"TICKETBOT_DRUPAL_VERSION": "10"}).drupal_version == 10
    with pytest.raises(SettingsError, match="TICKETBOT_DRUPAL_VERSION='eleven'"):
        Settings.from_env({"TICKETBOT_DRUPAL_VERSION": "eleven"})


def test_serve_reads_its_tuning_through_settings_like_everything_else() -> None:
    settings = Settings.from_env({"TICKETBOT_HOST": "127.0.0.1", "TICKETBOT_HTTP_THREADS": "4",
                                  "TICKETBOT_LISTENER_PROCESSES": "3", "TICKETBOT_LISTENER_QUEUE_LIMIT": "50"})
    assert (settings.host, settings.http_threads, settings.listener_processes, settings.listener_queue_limit) == (
        "127.0.0.1", 4, 3, 50)
    assert (Settings().host, Settings().http_threads, Settings().listener_processes) == ("0.0.0.0", 8, 2)
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"TICKETBOT_HTTP_THREADS": "0", "TICKETBOT_LISTENER_PROCESSES": "many"})
    assert "TICKETBOT_HTTP_THREADS='0'" in str(refused.value) and "TICKETBOT_LISTENER_PROCESSES='many'" in str(
        refused.value)
