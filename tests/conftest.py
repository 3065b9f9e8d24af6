from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
STATUS_PAGES = FIXTURES / "status_pages"
GITHUB_OK = STATUS_PAGES / "atlassian_statuspage" / "github_summary_2019-12-30_none_all-operational.json"
GITHUB_OUTAGE = STATUS_PAGES / "atlassian_statuspage" / "github_summary_2020-04-02_major_outage-investigating.json"
GITHUB_MINOR = STATUS_PAGES / "atlassian_statuspage" / "github_summary_2022-11-25_minor_active-incident-packages-pages.json"


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
