"""Shared test helpers: where the real spec data is, and building plans from inline CSV text."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_SPECS = ROOT.parent / "shared" / "specs"
EXAMPLE_SPEC = ROOT / "examples" / "acme"


@pytest.fixture
def shared_specs() -> Path:
    """The real spec data beside the project; tests using it skip when it is absent."""
    if not SHARED_SPECS.is_dir():
        pytest.skip(f"real spec data not found at {SHARED_SPECS} (the shared/ folder beside the project)")
    return SHARED_SPECS
