"""The test tiers of tests/conftest.py: each test is unit, integration or e2e by what it uses."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def collected(marker: str, *paths: str) -> set[str]:
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "-m", marker, *paths], cwd=ROOT, capture_output=True, text=True, timeout=120)
    return {line.split("[")[0] for line in done.stdout.splitlines() if "::" in line}


def test_each_test_lands_in_the_tier_of_what_it_uses() -> None:
    files = ("tests/test_workers_e2e.py", "tests/test_publishing.py", "tests/test_states.py",
             "tests/test_cli_first_minutes.py")
    unit, integration, e2e = (collected(m, *files) for m in ("unit", "integration", "e2e"))
    assert "tests/test_states.py::test_a_ticket_moves_only_by_its_named_transitions" in unit
    assert "tests/test_publishing.py::test_the_reconcile_window_searches_with_doubling_delays" in unit
    # PostgreSQL in this process, no process of its own; and a helper that runs the CLI makes a test e2e.
    assert "tests/test_workers_e2e.py::test_enqueue_while_redis_is_down_starts_when_it_is_back" in integration
    assert "tests/test_publishing.py::test_search_lag_makes_a_lost_create_wait_then_it_is_found_never_duplicated" \
        in integration
    assert "tests/test_cli_first_minutes.py::test_the_same_file_twice_is_read_once_and_said_so" in e2e
    assert not unit & integration and not unit & e2e and not integration & e2e
    everything = collected("unit or integration or e2e", *files)
    assert everything == unit | integration | e2e and len(everything) > 40
