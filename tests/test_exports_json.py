"""tickets.json and problems.json: the docs/design.md §4 contract, and text that round-trips."""

from __future__ import annotations

import dataclasses
import json

from integrations.exports.json_file import TICKET_KEYS, render_json, render_problems_json
from tests.factories import assert_golden, hostile_tickets, problems, realistic_tickets

# Written out again here, not imported: the contract changes only when both places change.
CONTRACT_KEYS = ["key", "group", "title", "user_story", "analysis", "verification", "depends_on", "sources"]
ADDED_KEYS = ["acceptance", "estimate", "open_questions", "risks",
              "label", "kind", "action", "modules", "change_kind", "changes", "versions", "source_rows"]


def test_tickets_json_matches_the_golden_file() -> None:
    assert_golden("tickets.json", render_json(realistic_tickets()))


def test_problems_json_matches_the_golden_file() -> None:
    assert_golden("problems.json", render_problems_json(problems()))


def test_every_item_has_exactly_the_contract_keys_in_order() -> None:
    assert list(TICKET_KEYS) == CONTRACT_KEYS + ADDED_KEYS
    for item in json.loads(render_json(realistic_tickets() + hostile_tickets())):
        assert list(item) == CONTRACT_KEYS + ADDED_KEYS
        assert isinstance(item["verification"], list) and isinstance(item["depends_on"], list)
        assert all(set(source) == {"file", "row"} and isinstance(source["row"], int) for source in item["sources"])


def test_the_list_keeps_the_given_order_and_round_trips_to_dict() -> None:
    tickets = realistic_tickets() + hostile_tickets()
    assert json.loads(render_json(tickets)) == [t.to_dict() for t in tickets]


def test_depends_on_names_only_tickets_in_the_same_list() -> None:
    _tags, article, view, _role = realistic_tickets()
    items = json.loads(render_json([article, view]))
    assert [i["depends_on"] for i in items] == [[], ["node.type.article"]]


def test_values_are_as_written() -> None:
    items = json.loads(render_json(realistic_tickets()))
    article = items[1]
    assert article["key"] == "node.type.article" and article["group"] == "Content"
    assert article["depends_on"] == ["taxonomy.vocabulary.tags"]
    assert article["sources"] == [
        {"file": "bundles.csv", "row": 2}, {"file": "fields.csv", "row": 2},
        {"file": "fields.csv", "row": 3}, {"file": "fields.csv", "row": 4},
    ]


def test_text_is_utf8_indented_and_ends_with_a_newline() -> None:
    tags = realistic_tickets()[0]
    cafe = dataclasses.replace(tags, content=dataclasses.replace(tags.content, title="Café — “Tags” ✓"))
    text = render_json([cafe])
    assert "Café — “Tags” ✓" in text and "\\u" not in text
    assert text.startswith('[\n  {\n    "key": ') and text.endswith("]\n")


def test_an_empty_run_is_an_empty_list() -> None:
    assert render_json([]) == "[]\n"
    assert render_problems_json([]) == "[]\n"


def test_problems_round_trip() -> None:
    assert json.loads(render_problems_json(problems())) == [p.to_dict() for p in problems()]
