from __future__ import annotations

from datetime import timedelta

from ottwatch.domain.fusion import fuse
from ottwatch.domain.models import Observation
from ottwatch.domain.status import State


def obs(state, at, source="page", error=None):
    return Observation(service="github", source=source, state=state, observed_at=at, error=error)


def test_worst_fresh_official_state_wins(now):
    status = fuse("github", "GitHub", [obs(State.OPERATIONAL, now, "a"), obs(State.PARTIAL_OUTAGE, now, "b")], now)
    assert status.state is State.PARTIAL_OUTAGE
    assert status.verdict == "provider"
    assert status.confidence < fuse("github", "GitHub", [obs(State.PARTIAL_OUTAGE, now)], now).confidence


def test_a_failed_source_is_unknown_never_operational(now):
    status = fuse("github", "GitHub", [obs(State.UNKNOWN, now, error="timeout after 10s")], now)
    assert status.state is State.UNKNOWN
    assert status.confidence == 0
    assert status.verdict == "unknown"
    assert status.evidence[0].error == "timeout after 10s"


def test_last_good_reading_counts_until_it_is_stale(now):
    recent = obs(State.MAJOR_OUTAGE, now - timedelta(minutes=2), error="HTTP 503")
    assert fuse("github", "GitHub", [recent], now).state is State.MAJOR_OUTAGE
    old = obs(State.OPERATIONAL, now - timedelta(minutes=10), error="HTTP 503")
    status = fuse("github", "GitHub", [old], now)
    assert status.state is State.UNKNOWN
    assert status.evidence[0].stale


def test_since_is_kept_while_the_state_holds_and_reset_on_change(now):
    first = fuse("github", "GitHub", [obs(State.MAJOR_OUTAGE, now)], now)
    later = now + timedelta(minutes=5)
    held = fuse("github", "GitHub", [obs(State.MAJOR_OUTAGE, later)], later, previous=first)
    assert held.since == now and held.updated_at == later
    cleared = fuse("github", "GitHub", [obs(State.OPERATIONAL, later)], later, previous=first)
    assert cleared.since == later
    assert cleared.verdict == "none"


def test_maintenance_is_its_own_state_and_not_a_provider_fault(now):
    status = fuse("x", "X", [obs(State.UNDER_MAINTENANCE, now)], now)
    assert status.state is State.UNDER_MAINTENANCE
    assert status.verdict == "none"
