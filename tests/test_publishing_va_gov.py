"""Approve-all of the VA.gov spec against the fake Jira: the request budget of docs/design.md §12.

≤ ⌈N/50⌉ create requests for N tickets, plus one per new epic, plus the links; nothing created twice.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest

from tests.fakes.jira_server import FakeJiraServer
from tests.support.engine import build_engine, new_session
from tests.support.publishing import build_publisher, is_ticket_label

VA_GOV = Path(__file__).resolve().parents[2] / "shared" / "specs" / "drupal-spec-tool" / "va-gov-cms"


@pytest.mark.realspec
def test_approve_all_of_va_gov_stays_within_the_request_budget(pg_url: str, shared_specs: Path) -> None:
    engine = build_engine(pg_url)
    files = {p.name: p.read_bytes() for p in sorted(VA_GOV.glob("*.csv"))}
    session_id = new_session(engine.uow_factory, files=files, site="VA.gov")
    engine.service.generate_tickets(session_id)
    with FakeJiraServer("cloud") as fake:
        publisher = build_publisher(engine.uow_factory, fake)
        result = publisher.service.approve_all(session_id, "U1")
        counts = fake.counts()
        issues = list(fake.issues.values())
    n = len(result.approved)
    with engine.uow_factory() as uow:
        tickets = uow.tickets.for_session(session_id)
        groups = {t.group for t in tickets}
        links = len(uow.tickets.dependencies(session_id))
        assert {t.status for t in tickets} == {"pushed"} and len(tickets) == n
    epics = [i for i in issues if i.fields["issuetype"]["id"] == fake.issue_types["Epic"]]
    assert len(epics) == len(groups)
    assert counts["bulk"] <= math.ceil(n / 50)
    assert counts["bulk"] + counts["create"] <= math.ceil(n / 50) + len(epics)
    assert counts["link"] <= links
    labels = Counter(label for i in issues for label in i.fields["labels"] if is_ticket_label(label))
    assert len(labels) == n and max(labels.values()) == 1
    assert publisher.notifier.outcomes[-1].message == f"{n} issues in RPL under {len(epics)} epics, {links} links"
