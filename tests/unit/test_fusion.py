from __future__ import annotations

from datetime import timedelta

from ottwatch.domain.fusion import discount_blind_probes, fuse
from ottwatch.domain.models import Observation, SignalClass
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


def probe(state, at, source="http_probe", service="whatsapp"):
    return Observation(service=service, source=source, signal_class=SignalClass.PROBE, state=state, observed_at=at)


def test_probes_speak_for_a_service_without_a_status_page(now):
    down = fuse("whatsapp", "WhatsApp", [probe(State.MAJOR_OUTAGE, now, "http"), probe(State.MAJOR_OUTAGE, now, "dns")], now)
    assert down.state is State.MAJOR_OUTAGE and down.verdict == "provider"
    assert down.confidence < fuse("github", "GitHub", [obs(State.MAJOR_OUTAGE, now)], now).confidence


def test_one_flaky_probe_out_of_two_raises_nothing(now):
    status = fuse("whatsapp", "WhatsApp", [probe(State.MAJOR_OUTAGE, now, "http"), probe(State.OPERATIONAL, now, "tcp")], now)
    assert status.state is State.OPERATIONAL
    assert status.confidence == 0.4
    three = [probe(State.MAJOR_OUTAGE, now, "a"), probe(State.MAJOR_OUTAGE, now, "b"), probe(State.OPERATIONAL, now, "c")]
    assert fuse("whatsapp", "WhatsApp", three, now).state is State.MAJOR_OUTAGE


def test_an_official_page_outranks_probes_but_disagreement_lowers_confidence(now):
    status = fuse("github", "GitHub", [obs(State.OPERATIONAL, now), probe(State.MAJOR_OUTAGE, now)], now)
    assert status.state is State.OPERATIONAL
    assert status.confidence == 0.75


def test_probes_failing_everywhere_mean_our_network_is_down_not_theirs(now):
    everything_down = {f"svc{i}": [probe(State.MAJOR_OUTAGE, now, service=f"svc{i}")] for i in range(6)}
    discounted = discount_blind_probes(everything_down)
    assert all(o.state is State.UNKNOWN and "own network" in o.error for obs_ in discounted.values() for o in obs_)
    one_down = {f"svc{i}": [probe(State.MAJOR_OUTAGE if i == 0 else State.OPERATIONAL, now, service=f"svc{i}")]
                for i in range(6)}
    assert discount_blind_probes(one_down) == one_down


def crowd(state, at, score=0.9, source="crowd_reports"):
    return Observation(service="whatsapp", source=source, signal_class=SignalClass.CROWD, state=state,
                       observed_at=at, score=score)


def test_a_crowd_alone_raises_at_most_a_probable_outage_with_lower_confidence(now):
    status = fuse("whatsapp", "WhatsApp", [crowd(State.PARTIAL_OUTAGE, now, score=0.9)], now)
    assert status.state is State.PARTIAL_OUTAGE
    assert status.confidence == 0.54
    assert status.verdict == "provider"


def test_crowd_and_probes_agreeing_make_a_major_outage(now):
    both = [crowd(State.PARTIAL_OUTAGE, now), probe(State.MAJOR_OUTAGE, now, "http"), probe(State.MAJOR_OUTAGE, now, "dns")]
    status = fuse("whatsapp", "WhatsApp", both, now)
    assert (status.state, status.confidence) == (State.MAJOR_OUTAGE, 0.85)


def test_corroborated_outage_overrides_a_lagging_official_page(now):
    lagging = [obs(State.OPERATIONAL, now), crowd(State.PARTIAL_OUTAGE, now), probe(State.MAJOR_OUTAGE, now)]
    assert fuse("github", "GitHub", lagging, now).state is State.MAJOR_OUTAGE
    # One class alone does not: the page stays authoritative.
    assert fuse("github", "GitHub", [obs(State.OPERATIONAL, now), crowd(State.PARTIAL_OUTAGE, now)], now).state \
        is State.OPERATIONAL


def test_crowd_silence_is_not_evidence_of_anything(now):
    status = fuse("whatsapp", "WhatsApp", [crowd(State.OPERATIONAL, now, score=0.0)], now)
    assert status.state is State.UNKNOWN
    assert status.evidence[0].source == "crowd_reports"
