"""The collector with fakes: a scripted fetcher, the memory repository and a hand-driven clock."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from ottwatch.catalog import parse_catalog
from ottwatch.collector import Collector
from ottwatch.domain.status import State
from ottwatch.sources.fetch import FetchResult
from ottwatch.store.memory import MemoryRepository

from tests.conftest import GITHUB_OK, GITHUB_OUTAGE

URL = "https://www.githubstatus.com/api/v2/summary.json"
CATALOG = parse_catalog({"services": [{"id": "github", "name": "GitHub", "sources": [{"kind": "statuspage", "url": URL}]}]})


class ScriptedFetcher:
    """Answers each fetch with the next scripted outcome and remembers the requests."""

    def __init__(self) -> None:
        self.outcomes: list = []
        self.requests: list = []

    def fetch_all(self, reqs):
        self.requests += reqs
        return [self._result(r, self.outcomes.pop(0)) for r in reqs]

    @staticmethod
    def _result(req, outcome):
        if outcome == 304:
            return FetchResult(req.url, 304, None, req.etag, req.last_modified, True, None, 1.0, 0)
        if isinstance(outcome, str):
            return FetchResult(req.url, None, None, req.etag, req.last_modified, False, outcome, 1.0, 0)
        return FetchResult(req.url, 200, outcome, f'"{len(outcome)}"', None, False, None, 1.0, len(outcome))


class Clock:
    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, minutes=1):
        self.now += timedelta(minutes=minutes)


@pytest.fixture
def rig(now):
    fetcher, repo, clock = ScriptedFetcher(), MemoryRepository(), Clock(now)
    return fetcher, repo, clock, Collector(CATALOG, fetcher, repo, clock=clock, country="IT")


def run(rig, outcome):
    fetcher, _repo, clock, collector = rig
    fetcher.outcomes.append(outcome)
    report = collector.run_once()
    clock.advance()
    return report


def test_an_outage_and_its_recovery_are_two_transitions(rig):
    assert [s.state for s in run(rig, GITHUB_OK.read_bytes()).transitions] == [State.OPERATIONAL]
    outage = run(rig, GITHUB_OUTAGE.read_bytes())
    assert [(s.state, s.previous_state, s.version) for s in outage.transitions] == [
        (State.MAJOR_OUTAGE, State.OPERATIONAL, 2)]
    assert outage.statuses[0].evidence[0].detail == "Incident on 2020-04-02 20:20 UTC (investigating)"
    assert run(rig, GITHUB_OUTAGE.read_bytes()).transitions == []
    assert [s.state for s in run(rig, GITHUB_OK.read_bytes()).transitions] == [State.OPERATIONAL]
    assert [h["state"] for h in rig[1].history("github")] == ["operational", "major_outage", "operational"]
    assert rig[1].get_status("github").country == "IT"


def test_conditional_get_reuses_the_last_reading(rig):
    fetcher = rig[0]
    run(rig, GITHUB_OUTAGE.read_bytes())
    report = run(rig, 304)
    assert fetcher.requests[0].etag is None
    assert fetcher.requests[1].etag == f'"{len(GITHUB_OUTAGE.read_bytes())}"'
    assert report.statuses[0].state is State.MAJOR_OUTAGE
    assert report.source_errors == {}


def test_a_broken_page_goes_stale_then_unknown_never_operational(rig):
    run(rig, GITHUB_OUTAGE.read_bytes())
    for minute in range(3):  # the last good reading still counts for three minutes
        report = run(rig, "HTTP 503")
        assert report.statuses[0].state is State.MAJOR_OUTAGE, minute
        assert report.source_errors == {"github/statuspage": "HTTP 503"}
    report = run(rig, "HTTP 503")
    assert report.statuses[0].state is State.UNKNOWN
    assert report.statuses[0].evidence[0].stale and report.statuses[0].evidence[0].error == "HTTP 503"
    assert rig[0].requests[-1].etag is not None  # still asks conditionally: it holds the last reading


def test_garbage_is_an_error_with_a_reason(rig):
    report = run(rig, b"<html>We'll be right back</html>")
    assert report.statuses[0].state is State.UNKNOWN
    assert report.source_errors["github/statuspage"].startswith("unreadable statuspage payload: not JSON")


def test_a_failing_source_is_logged_once_not_every_minute(rig, caplog):
    caplog.set_level(logging.INFO, logger="ottwatch.collector")
    for _ in range(5):
        run(rig, "connection refused")
    run(rig, GITHUB_OK.read_bytes())
    failing = [r for r in caplog.records if "source failing" in r.getMessage()]
    recovered = [r for r in caplog.records if "source recovered" in r.getMessage()]
    assert len(failing) == 1 and "connection refused" in failing[0].getMessage()
    assert len(recovered) == 1
