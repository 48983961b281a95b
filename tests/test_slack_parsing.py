"""Pure parsing: `/generate-tickets` text, approver lists, reaction names."""

from __future__ import annotations

import pytest

from bot.slack.slash import Command, parse_command, plain_text
from jobs.conversation.channels import parse_approvers
from jobs.conversation.reactions import DRAFT_ACTIONS, RUN_ACTIONS, normalise
from jobs.errors import ProcessingError


@pytest.mark.parametrize(("text", "expected"), [
    ("", Command("status")),  # a bare command: where the session stands, and what to do next
    ("start", Command("start")),
    ("start Acme Outdoors", Command("start", site="Acme Outdoors")),
    ("start Acme Outdoors | An outdoor-gear site", Command("start", site="Acme Outdoors",
                                                           description="An outdoor-gear site")),
    ("START anyway Acme", Command("start", site="Acme", anyway=True)),
    ("start anyway", Command("start", anyway=True)),
    ("start anyway", Command("start", anyway=True)),
    ("start Status page redesign", Command("start", site="Status page redesign")),
    ("status", Command("status")),
    ("errors", Command("errors")),
    ("cancel", Command("cancel")),
    ("retry", Command("retry")),
    ("push", Command("push")),
    ("undo", Command("undo")),
    ("remove fields.csv", Command("remove", value="fields.csv")),
    ("remove  <https://x.example/f|my fields.csv> ", Command("remove", value="my fields.csv")),
    ("new", Command("new")),
    ("health", Command("health")),
    ("help", Command("help")),
    ("help me", Command("help")),
    ("config", Command("config")),
    ("config jira_project RPL", Command("config", key="jira_project", value="RPL")),
    ("config approvers <@U0ANN0001|ann> <@U0BOB0001>", Command("config", key="approvers",
                                                              value="<@U0ANN0001|ann> <@U0BOB0001>")),
    ("start Acme &amp; Co | For &lt;everyone&gt;", Command("start", site="Acme & Co",
                                                           description="For <everyone>")),
])
def test_parse_command(text: str, expected: Command) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize("text", ["status now", "Status page redesign", "retry please", "config jira_project",
                                  "start " + "x" * 300, "Acme Outdoors", "anyway", "undo it", "remove"])
def test_usage_mistakes(text: str) -> None:
    command = parse_command(text)
    assert command.name == "usage" and command.problem


@pytest.mark.parametrize(("text", "suggested"), [("stauts", "status"), ("pussh", "push"), ("retyr", "retry"),
                                                ("undoo", "undo"), ("remvoe x.csv", "remove")])
def test_an_unknown_first_word_gets_the_closest_subcommand(text: str, suggested: str) -> None:
    command = parse_command(text)
    assert command.name == "usage"
    assert f"did you mean `{suggested}`?" in command.problem and "`start " in command.problem


def test_a_word_like_no_subcommand_gets_no_guess_but_the_list() -> None:
    problem = parse_command("Acme Outdoors").problem
    assert "did you mean" not in problem and "type `start Acme …`" in problem
    assert "`status`, `cancel`" in problem


def test_plain_text_reads_slack_markup() -> None:
    assert plain_text("<@U1|ann> in <#C1|general> see <https://x.example|docs> &amp;") == "@ann in #general see docs &"


def test_parse_approvers() -> None:
    assert parse_approvers("<@U0ANN0001|ann>, <@U0BOB0001> U0CAT0001") == ["U0ANN0001", "U0BOB0001", "U0CAT0001"]
    assert parse_approvers("-") is None
    with pytest.raises(ProcessingError, match="not a Slack user"):
        parse_approvers("@ann")


@pytest.mark.parametrize(("name", "draft", "run"), [
    ("white_check_mark", "approve", "approve_all"),
    ("heavy_check_mark", "approve", "approve_all"),
    ("+1::skin-tone-4", "approve", "approve_all"),
    ("thumbsup::skin-tone-2", "approve", "approve_all"),
    ("repeat", "regenerate", "retry"),
    ("arrows_counterclockwise", "regenerate", "retry"),
    ("x", "reject", "cancel"),
])
def test_reactions_and_skin_tones(name: str, draft: str, run: str) -> None:
    assert DRAFT_ACTIONS[normalise(name)] == draft
    assert RUN_ACTIONS[normalise(name)] == run


def test_other_reactions_mean_nothing() -> None:
    assert normalise("tada") not in DRAFT_ACTIONS


def test_push_confirm_names_the_ticket_or_epic_a_person_found_missing() -> None:
    from bot.slack.slash import parse_command

    assert parse_command("push") == Command("push")
    assert parse_command("push confirm node.type.article") == Command("push", key="confirm",
                                                                      value="node.type.article")
    assert parse_command("push confirm epic Views") == Command("push", key="confirm", value="epic Views")
    assert parse_command("push everything").name == "usage"
    assert parse_command("push confirm").name == "usage"


def test_every_subcommand_has_its_handler_in_the_table() -> None:
    from bot.slack.command_handlers import SlashCommands
    from bot.slack.slash import SUBCOMMANDS

    table = SlashCommands.__new__(SlashCommands)._handlers()  # the table needs no services to be built
    assert set(table) == {*SUBCOMMANDS, "usage"}
    assert all(callable(handler) for handler in table.values())
