"""Planning at a bounded cost: 'did you mean' bounded per column, and one plan per upload set."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrations.spec.decoding import ReaderLimits
from integrations.spec.problems import Level
from integrations.spec.suggest import Suggester
from jobs.planning import PlanCache, UploadedFile, plan_uploads
from storage.errors import UploadsFrozen
from tests.support.engine import EXAMPLE, add_upload, build_engine, new_session


def big_unknown_reference_spec(count: int) -> list[UploadedFile]:
    """`count` bundles, and `count` field rows each naming a bundle that is one typo away from one of them."""
    bundles = "Name,Machine name,Type\n" + "".join(f"Bundle number {i},bundle_number_{i},Content type\n"
                                                   for i in range(count))
    fields = "Bundle,Field label,Machine name,Field type\n" + "".join(
        f"Bundle nunber {i},Body,field_body,Text (plain)\n" for i in range(count))
    return [UploadedFile("bundles.csv", bundles.encode()), UploadedFile("fields.csv", fields.encode())]


def test_a_big_spec_of_unknown_references_gets_a_bounded_number_of_suggestions() -> None:
    plan = plan_uploads(big_unknown_reference_spec(4_000))
    assert len(plan.tickets) == 4_000 + 1  # and the Behat set-up
    errors = plan.errors
    assert len(errors) == 4_000  # every unknown reference is still reported, each with where and a fix
    assert all(e.file == "fields.csv" and e.row and e.column == "Bundle" and e.suggestion for e in errors)
    guessed = [e for e in errors if (e.suggestion or "").startswith("did you mean")]
    assert [e.row for e in guessed] == list(range(2, 52))  # the first 50 distinct unknown values
    assert guessed[7].suggestion == "did you mean 'Bundle number 7'?"
    assert "add it to the bundles sheet" in (errors[-1].suggestion or "")


def test_suggestions_find_typos_at_either_end_and_are_cached_per_value() -> None:
    suggester = Suggester(max_values_per_column=2)
    for label in ["Article", "Basic page", "Event", *[f"Filler {i}" for i in range(500)]]:
        suggester.add(label)
    assert suggester.suggest("Xrticle", "bundle") == "did you mean 'Article'?"  # first letter wrong
    assert suggester.suggest("Basic pagf", "bundle") == "did you mean 'Basic page'?"
    assert suggester.suggest("xrticle", "bundle") == "did you mean 'Article'?"  # cached: no budget spent
    assert suggester.suggest("Evnt", "bundle") is None  # the column's budget is spent
    assert suggester.suggest("Evnt", "ref_bundle") == "did you mean 'Event'?"  # another column has its own
    suggester.add("Evnt long gone")
    assert suggester.suggest("Xrticle", "bundle") == "did you mean 'Article'?"


def test_a_plan_is_made_once_per_set_of_names_and_contents() -> None:
    cache = PlanCache(capacity=2)
    files = big_unknown_reference_spec(5)
    first = cache.plan(files)
    assert cache.plan(list(files)) is first
    assert cache.plans_made == 1
    renamed = [UploadedFile("other.csv", files[0].data), files[1]]
    changed = [files[0], UploadedFile("fields.csv", files[1].data + b"Bundle number 1,Tags,field_tags,Text\n")]
    assert cache.plan(renamed) is not first
    assert len(cache.plan(changed).tickets) == 5 + 1  # and the Behat set-up
    assert cache.plans_made == 3
    assert cache.plan(files) is not first  # evicted: two sets are kept, least recently used first out
    assert cache.plans_made == 4


def test_the_cache_is_bounded_by_the_bytes_of_its_files_but_keeps_the_latest() -> None:
    files = big_unknown_reference_spec(5)
    size = sum(len(f.data) for f in files)
    cache = PlanCache(max_bytes=size)
    first = cache.plan(files)
    other = big_unknown_reference_spec(6)
    assert cache.plan(other) is cache.plan(other)  # over the budget alone, yet kept: it is the latest
    assert cache.plan(files) is not first  # evicted to make room for the other set
    assert cache.plans_made == 3


def test_the_limits_are_part_of_the_key() -> None:
    files = big_unknown_reference_spec(5)
    assert PlanCache(limits=ReaderLimits(max_rows=3)).plan(files).errors[0].level is Level.FILE_ERROR
    assert len(PlanCache().plan(files).tickets) == 5 + 1  # and the Behat set-up


def test_start_the_worker_run_and_errors_share_one_plan(tmp_path: Path) -> None:
    """Before, every action read and planned the session's files again."""
    engine = build_engine(f"sqlite:///{tmp_path / 'ticketbot.db'}")
    cache = engine.service.plan_cache
    session_id = new_session(engine.uow_factory)
    engine.service.generate_tickets(session_id, requested_by="U1")  # start, then the (inline) worker run
    plan = engine.service.plan_session_by_id(session_id)  # as `errors` and the upload replies ask
    with engine.uow_factory() as uow:
        ticket = uow.tickets.for_session(session_id)[0]
        ticket_id = ticket.id
    engine.service.regenerate_ticket(ticket_id, requested_by="U1")
    assert engine.service.get_processing_status(session_id).task_status == "completed"
    assert cache.plans_made == 1
    assert engine.service.plan_session_by_id(session_id) is plan
    with engine.uow_factory() as uow, pytest.raises(UploadsFrozen):  # its files no longer change
        add_upload(uow, session_id, "extra.csv", b"Name,Machine name\nEditor,editor\n")
    files = {p.name: p.read_bytes() for p in sorted(EXAMPLE.glob("*.csv"))}
    other = new_session(engine.uow_factory, {**files, "extra.csv": b"Name,Machine name\nEditor,editor\n"},
                        channel="C0OTHER")
    assert engine.service.plan_session_by_id(other) is not plan  # another set of files, another plan
    assert cache.plans_made == 2
