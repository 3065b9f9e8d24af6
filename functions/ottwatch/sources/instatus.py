"""Instatus public `summary.json` (https://instatus.com/help/api/public-data).

One page gives one observation: the page status, every unresolved incident's impact, maintenance in
progress, and the components when the payload carries them (`summary.json` itself has none; the
component list is kept optional for pages that serve it). Dates are JavaScript `Date.toString()`
strings. Vocabulary (Instatus docs and webhooks page): page UP / HASISSUES / UNDERMAINTENANCE;
components OPERATIONAL, UNDERMAINTENANCE, DEGRADEDPERFORMANCE, PARTIALOUTAGE, MINOROUTAGE,
MAJOROUTAGE; incidents INVESTIGATING / IDENTIFIED / MONITORING / RESOLVED; maintenances
NOTSTARTEDYET / INPROGRESS / COMPLETED.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field

from ottwatch.domain.models import Component, Incident, Observation
from ottwatch.domain.status import State, worst
from ottwatch.sources.base import ParseError, UrlSource
from ottwatch.sources.payload import Loose, load_object
from ottwatch.sources.timeparse import parse_iso, parse_js_date


class InstatusSource(UrlSource):
    """`url`: the page's `https://{page}/summary.json`."""

    kind: Literal["instatus"]


PAGE_STATES = {
    "UP": State.OPERATIONAL,
    # HASISSUES says only "something is wrong": the open incidents say how badly (see _observation).
    "HASISSUES": State.DEGRADED_PERFORMANCE,
    "UNDERMAINTENANCE": State.UNDER_MAINTENANCE,
}
# Used for components and for incident impacts (an impact is a component status name).
STATUS_STATES = {
    "OPERATIONAL": State.OPERATIONAL,
    "UNDERMAINTENANCE": State.UNDER_MAINTENANCE,
    "DEGRADEDPERFORMANCE": State.DEGRADED_PERFORMANCE,
    # Instatus ranks MINOROUTAGE between degraded and partial; our vocabulary has no such step,
    # and a "minor" outage is the mildest kind: read it as degraded, not as a partial outage.
    "MINOROUTAGE": State.DEGRADED_PERFORMANCE,
    "PARTIALOUTAGE": State.PARTIAL_OUTAGE,
    "MAJOROUTAGE": State.MAJOR_OUTAGE,
}
CLOSED_INCIDENT = {"RESOLVED"}
ACTIVE_MAINTENANCE = {"INPROGRESS"}
CLOSED_MAINTENANCE = {"COMPLETED"}
# A duration beyond this is not a maintenance window (and would overflow a timedelta).
MAX_MAINTENANCE_MINUTES = 366 * 24 * 60


class _Page(Loose):
    name: str | None = None
    url: str | None = None
    status: str


class _Incident(Loose):
    name: str
    status: str
    impact: str | None = None
    url: str | None = None
    started: str | None = None


class _Maintenance(Loose):
    name: str
    status: str
    start: str | None = None
    # Minutes; the docs example serves it as a string ("60").
    duration: int | float | str | None = None
    url: str | None = None


class _Component(Loose):
    name: str
    status: str
    group: Any = None


class _Payload(Loose):
    page: _Page
    active_incidents: list[_Incident] | None = Field(None, alias="activeIncidents")
    active_maintenances: list[_Maintenance] | None = Field(None, alias="activeMaintenances")
    components: list[_Component] | None = None


def parse(payload: bytes | str, observed_at: datetime, spec: InstatusSource | None = None) -> list[Observation]:
    """Parse an Instatus `summary.json` into one observation. Raises ParseError, nothing else."""
    page = load_object(payload, _Payload, "Instatus")
    return [_observation(page, observed_at)]


def _observation(page: _Payload, observed_at: datetime) -> Observation:
    status = page.page.status
    if status not in PAGE_STATES:
        raise ParseError(f"unknown page status {status!r:.40}")

    components = tuple(
        Component(
            name=c.name,
            # A status this parser does not know is kept as UNKNOWN: it neither raises nor clears.
            state=STATUS_STATES.get(c.status, State.UNKNOWN),
            raw_status=c.status,
            group=_group_name(c.group),
        )
        for c in page.components or ()
    )
    contributions = [c.state for c in components]

    open_incidents = [i for i in page.active_incidents or () if i.status not in CLOSED_INCIDENT]
    for incident in open_incidents:
        impact = STATUS_STATES.get(incident.impact or "", State.UNKNOWN)
        if incident.status == "MONITORING" and impact.severity > State.DEGRADED_PERFORMANCE.severity:
            # A fix is in place and being watched: at most degraded (as for Statuspage).
            impact = State.DEGRADED_PERFORMANCE
        contributions.append(impact)

    if status == "HASISSUES":
        # The page says something is wrong; when no incident or component says what, the least
        # claim that still counts as a fault is "degraded".
        if not any(s.severity >= State.DEGRADED_PERFORMANCE.severity for s in contributions):
            contributions.append(State.DEGRADED_PERFORMANCE)
    else:
        contributions.append(PAGE_STATES[status])

    maintenances = [m for m in page.active_maintenances or () if m.status not in CLOSED_MAINTENANCE]
    if any(m.status in ACTIVE_MAINTENANCE for m in maintenances):
        contributions.append(State.UNDER_MAINTENANCE)

    incidents = tuple(_incident(i) for i in open_incidents) + tuple(
        _maintenance(m) for m in sorted(maintenances, key=lambda m: m.status not in ACTIVE_MAINTENANCE)
    )
    known = [s for s in contributions if s.is_known]
    return Observation(
        state=worst(known) if known else State.OPERATIONAL,
        raw_status=f"page.status={status}",
        description=None,
        observed_at=observed_at,
        reported_at=None,  # summary.json carries no update time of its own
        components=components,
        incidents=incidents,
    )


def _incident(i: _Incident) -> Incident:
    return Incident(
        name=i.name,
        status=i.status,
        impact=i.impact or "none",
        url=i.url,
        started_at=_date(i.started) if i.started is not None else None,
    )


def _maintenance(m: _Maintenance) -> Incident:
    start = _date(m.start) if m.start is not None else None
    minutes = _minutes(m.duration)
    until = None
    if start is not None and minutes is not None:
        try:
            until = start + timedelta(minutes=minutes)
        except OverflowError:  # a start near year 9999
            until = None
    return Incident(name=m.name, status=m.status, impact="maintenance", url=m.url, started_at=start, scheduled_until=until)


def _date(value: str) -> datetime:
    """Instatus serves JavaScript Date.toString(); ISO 8601 is accepted too, in case a page serves it."""
    try:
        return parse_js_date(value)
    except ParseError:
        pass
    except OverflowError:
        raise ParseError(f"date out of range: {value!r:.60}") from None
    try:
        return parse_iso(value)
    except ParseError:
        raise ParseError(f"not a JavaScript or ISO date: {value!r:.60}") from None
    except OverflowError:
        raise ParseError(f"date out of range: {value!r:.60}") from None


def _minutes(duration: int | float | str | None) -> float | None:
    """The maintenance length in minutes, or None when it is missing or not a sensible number."""
    if duration is None or isinstance(duration, bool):
        return None
    try:
        minutes = float(duration)
    except ValueError:
        return None
    return minutes if 0 <= minutes <= MAX_MAINTENANCE_MINUTES else None


def _group_name(group: Any) -> str | None:
    if isinstance(group, str):
        return group
    if isinstance(group, dict) and isinstance(group.get("name"), str):
        return group["name"]
    return None
