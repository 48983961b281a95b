"""The state machines of jobs/states.py: named transitions, and members that equal what the database stores."""

from __future__ import annotations

import pytest

from jobs.states import (
    ACCEPTED,
    TICKET_TRANSITIONS,
    IllegalTransition,
    JiraState,
    SessionStatus,
    TaskStatus,
    TicketStatus,
    may,
    ticket_move,
)
from storage.models import SessionRecord, TaskRecord, TicketRecord


def test_a_ticket_moves_only_by_its_named_transitions() -> None:
    assert ticket_move("draft", "approve") is TicketStatus.APPROVED
    assert ticket_move("rejected", "approve") is TicketStatus.APPROVED  # ✅ re-approves a rejected draft
    assert ticket_move("approved", "mark_pushed") is TicketStatus.PUSHED
    assert ticket_move("regenerating", "rewritten") is TicketStatus.DRAFT
    assert ticket_move("withdrawn", "restore") is TicketStatus.DRAFT
    for status, name in (("pushed", "approve"), ("pushed", "reject"), ("draft", "mark_pushed"),
                         ("approved", "withdraw"), ("pushed", "regenerate"), ("draft", "rewritten")):
        assert not may(status, name)
        with pytest.raises(IllegalTransition, match=f"cannot {name} a ticket that is {status}"):
            ticket_move(status, name)


def test_every_transition_leads_somewhere_reachable_and_only_undo_leaves_pushed() -> None:
    targets = {target for _, target in TICKET_TRANSITIONS.values()}
    assert targets | {TicketStatus.DRAFT} == set(TicketStatus)
    # `undo` of a push takes its issues back out of Jira: the one way out of pushed, back to approved.
    assert [name for name, (sources, _) in TICKET_TRANSITIONS.items() if TicketStatus.PUSHED in sources] == ["unpush"]
    assert ticket_move("pushed", "unpush") is TicketStatus.APPROVED
    assert {TicketStatus.APPROVED, TicketStatus.PUSHED} == ACCEPTED


def test_members_are_the_strings_the_database_holds() -> None:
    assert TicketStatus.APPROVED == "approved" and f"{JiraState.NEEDS_RECONCILE}" == "needs_reconcile"
    assert TaskStatus.QUEUED.is_open and TaskStatus.RUNNING.is_open and not TaskStatus.FAILED.is_open
    defaults = {SessionRecord.__table__.c.status.default.arg, TaskRecord.__table__.c.status.default.arg,
                TicketRecord.__table__.c.status.default.arg, TicketRecord.__table__.c.jira_state.default.arg}
    assert defaults == {SessionStatus.COLLECTING, TaskStatus.QUEUED, TicketStatus.DRAFT, JiraState.NONE}


def test_no_state_is_written_as_a_bare_string() -> None:
    """Every write of a status or Jira/link state goes through jobs/states.py's enums and transitions."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    fields = {"status", "jira_state", "jira_link_state", "state"}
    found = []
    for path in [*root.glob("jobs/**/*.py"), *root.glob("bot/**/*.py")]:
        if path.name == "states.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Assign):
                continue
            for target in node.targets:
                both = isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
                pairs = list(zip(target.elts, node.value.elts, strict=False)) if both else [(target, node.value)]
                for left, right in pairs:
                    if isinstance(left, ast.Attribute) and left.attr in fields and isinstance(right, ast.Constant) \
                            and isinstance(right.value, str):
                        found.append(f"{path.relative_to(root)}:{node.lineno} {left.attr} = {right.value!r}")
    assert not found, "\n".join(found)
