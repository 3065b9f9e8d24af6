"""Fusion: many observations of one service become one ServiceStatus.

Official sources first: the vendor's own page is authoritative, and the fused state is the worst state among
fresh official readings. Without one, probes speak (consumer WhatsApp, Telegram, Netflix have no page): the
median probe state, with lower confidence. The crowd (problem reports, the operator's call volumes) can raise
at most a probable outage (partial) on its own; crowd and probes agreeing on an outage are two independent
classes, enough for a major outage — even over an official page that has not caught up yet.
A reading older than `max_age` is stale and ignored, so a broken page can never make a service look
operational; with nothing fresh the state is UNKNOWN.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ottwatch.domain.models import Evidence, Observation, ServiceStatus, SignalClass
from ottwatch.domain.status import State, worst

# Three missed one-minute polls before a last good reading stops counting.
DEFAULT_MAX_AGE = timedelta(minutes=3)

CONFIDENCE_OFFICIAL_AGREE = 0.95
CONFIDENCE_OFFICIAL_DISAGREE = 0.75
CONFIDENCE_PROBES_AGREE = 0.6
CONFIDENCE_PROBES_DISAGREE = 0.4
CONFIDENCE_CROWD_MAX = 0.6  # scaled by the detector's anomaly score
CONFIDENCE_CORROBORATED = 0.85  # crowd and probes, independently, see the same outage

# When this share of all probes (at least BLIND_MIN of them) finds its target down at once, the fault is
# almost surely the collector's own network, not every service on the internet.
BLIND_SHARE = 0.75
BLIND_MIN = 4
BLIND_ERROR = "probes are failing for most services at once: the collector's own network looks down"


def is_fresh(observation: Observation, now: datetime, max_age: timedelta = DEFAULT_MAX_AGE) -> bool:
    return observation.state.is_known and now - observation.observed_at <= max_age


def fuse(
    service: str,
    name: str,
    observations: list[Observation],
    now: datetime,
    previous: ServiceStatus | None = None,
    max_age: timedelta = DEFAULT_MAX_AGE,
    country: str = "*",
) -> ServiceStatus:
    """`country`: where the status applies; "*" is global, a deployment stamps its own market (e.g. IT)."""
    fresh = [o for o in observations if is_fresh(o, now, max_age)]
    official = [o for o in fresh if o.signal_class is SignalClass.OFFICIAL]
    probes = [o for o in fresh if o.signal_class is SignalClass.PROBE]
    # Crowd silence proves nothing (nobody may be looking): only raised crowd signals count as evidence.
    crowd = [o for o in fresh if o.signal_class is SignalClass.CROWD and o.state.is_provider_fault]
    evidence = tuple(_evidence(o, now, max_age) for o in observations)

    probe_state = median_state([o.state for o in probes]) if probes else None
    crowd_state = worst([o.state for o in crowd]) if crowd else None
    outage = State.PARTIAL_OUTAGE.severity
    corroborated = (probe_state is not None and crowd_state is not None
                    and probe_state.severity >= outage and crowd_state.severity >= outage)

    if official:
        state = worst([o.state for o in official])
        agree = all(o.state == state for o in official) and all(p.state == state for p in probes)
        confidence = CONFIDENCE_OFFICIAL_AGREE if agree else CONFIDENCE_OFFICIAL_DISAGREE
        if corroborated and state.severity < State.MAJOR_OUTAGE.severity:
            state, confidence = State.MAJOR_OUTAGE, CONFIDENCE_CORROBORATED
    elif corroborated:
        state, confidence = State.MAJOR_OUTAGE, CONFIDENCE_CORROBORATED
    elif probe_state is not None and (crowd_state is None or probe_state.severity >= crowd_state.severity):
        state = probe_state
        agree = all(o.state == state for o in probes)
        confidence = CONFIDENCE_PROBES_AGREE if agree else CONFIDENCE_PROBES_DISAGREE
    elif crowd_state is not None:
        state = crowd_state
        confidence = round(CONFIDENCE_CROWD_MAX * max((o.score or 0.0) for o in crowd), 3)
    else:
        state, confidence = State.UNKNOWN, 0.0

    if state is State.UNKNOWN:
        verdict = "unknown"
    elif state.is_provider_fault:
        verdict = "provider"
    else:
        verdict = "none"

    keeps_state = previous is not None and previous.state == state
    return ServiceStatus(
        service=service,
        name=name,
        state=state,
        previous_state=previous.previous_state if keeps_state else (previous.state if previous else None),
        confidence=confidence,
        since=previous.since if keeps_state else now,
        updated_at=now,
        evidence=evidence,
        verdict=verdict,
        version=previous.version if previous else 0,
        country=country,
    )


def median_state(states: list[State]) -> State:
    """The lower median by severity: with two probes disagreeing, the milder one (no alarm on one flake)."""
    ordered = sorted(states, key=lambda s: s.severity)
    return ordered[(len(ordered) - 1) // 2]


def discount_blind_probes(observations: dict[str, list[Observation]]) -> dict[str, list[Observation]]:
    """Turn probe failures into UNKNOWN when nearly every probe fails at once (our network, not theirs)."""
    probes = [o for obs in observations.values() for o in obs if o.signal_class is SignalClass.PROBE]
    down = [o for o in probes if o.state is State.MAJOR_OUTAGE]
    if len(probes) < BLIND_MIN or len(down) < BLIND_SHARE * len(probes):
        return observations
    return {
        service: [
            o.model_copy(update={"state": State.UNKNOWN, "error": BLIND_ERROR})
            if o.signal_class is SignalClass.PROBE and o.state is State.MAJOR_OUTAGE else o
            for o in obs
        ]
        for service, obs in observations.items()
    }


def _evidence(o: Observation, now: datetime, max_age: timedelta) -> Evidence:
    return Evidence(
        source=o.source,
        signal_class=o.signal_class,
        state=o.state,
        observed_at=o.observed_at,
        detail=_detail(o),
        error=o.error,
        stale=o.state.is_known and not is_fresh(o, now, max_age),
    )


def _detail(o: Observation) -> str | None:
    """One line a person can read: the first open incident's name, else the page's own words."""
    for incident in o.incidents:
        return f"{incident.name} ({incident.status})"
    return o.description
