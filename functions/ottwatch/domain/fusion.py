"""Fusion: many observations of one service become one ServiceStatus.

First rule, for official sources only: the vendor's own page is authoritative. The fused state is the
worst state among fresh official readings; a reading older than `max_age` is stale and ignored, so a
broken page can never make a service look operational. With no fresh reading the state is UNKNOWN.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ottwatch.domain.models import Evidence, Observation, ServiceStatus, SignalClass
from ottwatch.domain.status import State, worst

# Three missed one-minute polls before a last good reading stops counting.
DEFAULT_MAX_AGE = timedelta(minutes=3)

CONFIDENCE_OFFICIAL_AGREE = 0.95
CONFIDENCE_OFFICIAL_DISAGREE = 0.75


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
    official = [o for o in observations if o.signal_class is SignalClass.OFFICIAL]
    fresh = [o for o in official if is_fresh(o, now, max_age)]
    evidence = tuple(_evidence(o, now, max_age) for o in observations)

    if fresh:
        state = worst([o.state for o in fresh])
        agree = all(o.state == state for o in fresh)
        confidence = CONFIDENCE_OFFICIAL_AGREE if agree else CONFIDENCE_OFFICIAL_DISAGREE
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
