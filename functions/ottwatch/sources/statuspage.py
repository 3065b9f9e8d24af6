"""Atlassian Statuspage v2 (`/api/v2/summary.json` and its siblings) and incident.io's compatible subset.

One page gives one observation: the worst of the page indicator, every component, every unresolved
incident's impact and any maintenance in progress. incident.io's Statuspage-compatible endpoint omits
whole keys (no `incidents`, no `scheduled_maintenances`, `time_zone: null`), so every key is optional;
a payload with none of them is not a status page at all and is an error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ottwatch.domain.models import Component, Incident, Observation
from ottwatch.domain.status import State, worst
from ottwatch.sources.base import ParseError, UrlSource
from ottwatch.sources.payload import Loose, load_object


class StatuspageSource(UrlSource):
    """`url`: the page's `/api/v2/summary.json` (or `status.json`, `incidents/unresolved.json`,
    `scheduled-maintenances.json`). `incidentio` is incident.io's Statuspage-compatible endpoint."""

    kind: Literal["statuspage", "incidentio"]

INDICATOR_STATES = {
    "none": State.OPERATIONAL,
    "minor": State.DEGRADED_PERFORMANCE,
    "major": State.PARTIAL_OUTAGE,
    "critical": State.MAJOR_OUTAGE,
    "maintenance": State.UNDER_MAINTENANCE,
}
IMPACT_STATES = {
    "none": State.OPERATIONAL,
    "minor": State.DEGRADED_PERFORMANCE,
    "major": State.PARTIAL_OUTAGE,
    "critical": State.MAJOR_OUTAGE,
    "maintenance": State.UNDER_MAINTENANCE,
}
COMPONENT_STATES = {s.value: s for s in State if s is not State.UNKNOWN}
CLOSED_INCIDENT = {"resolved", "postmortem", "completed"}
ACTIVE_MAINTENANCE = {"in_progress", "verifying"}
UPCOMING_MAINTENANCE = {"scheduled"}


class _Page(Loose):
    id: str | None = None
    name: str | None = None
    url: str | None = None
    updated_at: datetime | None = None


class _Indicator(Loose):
    indicator: str
    description: str | None = None


class _Component(Loose):
    id: str | None = None
    name: str
    status: str
    group: bool | None = None
    group_id: str | None = None


class _Incident(Loose):
    name: str
    status: str
    impact: str | None = None
    shortlink: str | None = None
    started_at: datetime | None = None
    created_at: datetime | None = None
    scheduled_for: datetime | None = None
    scheduled_until: datetime | None = None


class _Payload(Loose):
    page: _Page | None = None
    status: _Indicator | None = None
    components: list[_Component] | None = None
    incidents: list[_Incident] | None = None
    scheduled_maintenances: list[_Incident] | None = None


def parse(payload: bytes | str, observed_at: datetime, spec: StatuspageSource | None = None) -> list[Observation]:
    """Parse a Statuspage v2 payload into one observation. Raises ParseError, nothing else."""
    page = load_object(payload, _Payload, "Statuspage")
    if page.status is None and page.components is None and page.incidents is None and page.scheduled_maintenances is None:
        raise ParseError("not a Statuspage payload: no status, components, incidents or scheduled_maintenances")
    return [_observation(page, observed_at)]


def _observation(page: _Payload, observed_at: datetime) -> Observation:
    contributions: list[State] = []
    raw = []
    if page.status is not None:
        indicator = page.status.indicator
        if indicator not in INDICATOR_STATES:
            raise ParseError(f"unknown status indicator {indicator!r}")
        contributions.append(INDICATOR_STATES[indicator])
        raw.append(f"indicator={indicator}")

    groups = {c.id: c.name for c in page.components or () if c.group}
    components = tuple(
        Component(
            name=c.name,
            # A status this parser does not know is kept as UNKNOWN: it neither raises nor clears.
            state=COMPONENT_STATES.get(c.status, State.UNKNOWN),
            raw_status=c.status,
            group=groups.get(c.group_id) if c.group_id else None,
        )
        for c in page.components or ()
    )
    contributions += [c.state for c in components]

    open_incidents = [i for i in page.incidents or () if i.status not in CLOSED_INCIDENT]
    for incident in open_incidents:
        impact = IMPACT_STATES.get(incident.impact or "none", State.OPERATIONAL)
        if incident.status == "monitoring":
            # A fix is in place and being watched: no longer an outage, at most degraded.
            if impact.severity > State.DEGRADED_PERFORMANCE.severity:
                impact = State.DEGRADED_PERFORMANCE
        contributions.append(impact)

    maintenances = [m for m in page.scheduled_maintenances or () if m.status in ACTIVE_MAINTENANCE | UPCOMING_MAINTENANCE]
    if any(m.status in ACTIVE_MAINTENANCE for m in maintenances):
        contributions.append(State.UNDER_MAINTENANCE)

    # Ordering matters for readers: open incidents first, then maintenances in progress, then upcoming.
    incidents = tuple(_incident(i) for i in open_incidents) + tuple(
        _incident(m) for m in sorted(maintenances, key=lambda m: m.status not in ACTIVE_MAINTENANCE)
    )
    known = [s for s in contributions if s.is_known]
    return Observation(
        state=worst(known) if known else State.OPERATIONAL,
        raw_status=" ".join(raw) or "no indicator",
        description=page.status.description if page.status else None,
        observed_at=observed_at,
        reported_at=page.page.updated_at if page.page else None,
        components=components,
        incidents=incidents,
    )


def _incident(i: _Incident) -> Incident:
    return Incident(
        name=i.name,
        status=i.status,
        impact=i.impact or "none",
        url=i.shortlink,
        started_at=i.started_at or i.scheduled_for or i.created_at,
        scheduled_until=i.scheduled_until,
    )


