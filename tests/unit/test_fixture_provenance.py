"""The real payloads under tests/fixtures are unedited copies of the shared fixture tree, and all of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import STATUS_PAGES

SHARED = Path(__file__).parents[3] / "shared" / "fixtures" / "status_pages"
OURS = sorted(p.relative_to(STATUS_PAGES) for p in STATUS_PAGES.rglob("*") if p.is_file() and p.suffix != ".md")


def test_our_copies_are_byte_identical_and_complete():
    if not SHARED.is_dir():
        pytest.skip("no shared fixture tree beside this checkout (CI copies it; a bare clone may not)")
    theirs = sorted(p.relative_to(SHARED) for p in SHARED.rglob("*") if p.is_file())
    assert OURS == theirs, "every real status payload is copied (and tested), nothing else is mixed in"
    for rel in OURS:
        assert (STATUS_PAGES / rel).read_bytes() == (SHARED / rel).read_bytes(), f"{rel} was edited"
