"""status.io public status API v1 (`https://api.status.io/1.0/status/{page_id}`): GitLab, Docker, Roblox.

One page gives one observation: the worst of the overall status code, every component (split by
container, status.io's word for a region or host, when a component's containers disagree), every
open incident's latest status code and any maintenance in progress.

status.io status codes: 100 Operational, 200 Planned Maintenance, 300 Degraded Performance,
400 Partial Service Disruption, 500 Service Disruption, 600 Security Event. Incident message
`state` codes: 100 Investigating, 200 Identified, 300 Monitoring. The public endpoint lists open
incidents only (resolving one removes it), with maintenance split into `active` and `upcoming`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ottwatch.domain.models import Component, Incident, Observation
from ottwatch.domain.status import State, worst
from ottwatch.sources.base import ParseError, UrlSource
from ottwatch.sources.payload import Loose, load_object
from ottwatch.sources.timeparse import parse_iso


class StatusioSource(UrlSource):
    """`url`: `https://api.status.io/1.0/status/{page_id}`."""

    kind: Literal["statusio"]


SECURITY_EVENT = 600
CODE_STATES = {
    100: State.OPERATIONAL,
    200: State.UNDER_MAINTENANCE,
    300: State.DEGRADED_PERFORMANCE,
    400: State.PARTIAL_OUTAGE,
    500: State.MAJOR_OUTAGE,
    # 600 "Security Event" says nothing about availability: GitLab's real one (2020-02-09) was a
    # feature switched off out of caution while everything else worked. It is still the vendor
    # flagging a live problem users must know about, so it has to count as a provider fault;
    # a full outage would overclaim and "degraded" would hide that functionality was withdrawn.
    # partial_outage is the honest middle, and raw_status says it was a security event.
    SECURITY_EVENT: State.PARTIAL_OUTAGE,
}
CODE_WORDS = {
    100: "Operational",
    200: "Planned Maintenance",
    300: "Degraded Performance",
    400: "Partial Service Disruption",
    500: "Service Disruption",
    600: "Security Event",
}
INCIDENT_STATES = {100: "investigating", 200: "identified", 300: "monitoring"}
MONITORING = 300


class _Overall(Loose):
    status: str | None = None
    status_code: int
    updated: str | None = None


class _Container(Loose):
    name: str
    status: str | None = None
    status_code: int | None = None


class _Component(Loose):
    name: str
    status: str | None = None
    status_code: int | None = None
    containers: list[_Container] | None = None


class _Message(Loose):
    details: str | None = None
    state: int | None = None
    status: int | None = None
    datetime: str | None = None


class _Incident(Loose):
    name: str
    datetime_open: str | None = None
    status_code: int | None = None
    messages: list[_Message] | None = None


class _Maintenance(Loose):
    name: str
    datetime_planned_start: str | None = None
    datetime_planned_end: str | None = None


class _Maintenances(Loose):
    active: list[_Maintenance] | None = None
    upcoming: list[_Maintenance] | None = None


class _Result(Loose):
    status_overall: _Overall
    status: list[_Component] | None = None
    incidents: list[_Incident] | None = None
    maintenance: _Maintenances | None = None


class _Payload(Loose):
    result: _Result


def parse(payload: bytes | str, observed_at: datetime, spec: StatusioSource | None = None) -> list[Observation]:
    """Parse a status.io public status payload into one observation. Raises ParseError, nothing else."""
    page = load_object(payload, _Payload, "status.io")
    return [_observation(page.result, observed_at)]


def _observation(result: _Result, observed_at: datetime) -> Observation:
    code = result.status_overall.status_code
    if code not in CODE_STATES:
        raise ParseError(f"unknown status_code {code!r:.20}")
    raw = f"status_code={code}"
    if code == SECURITY_EVENT:
        raw += " (security event, read as partial_outage)"
    contributions = [CODE_STATES[code]]

    components = tuple(c for comp in result.status or () for c in _components(comp))
    contributions += [c.state for c in components]

    incidents = []
    for incident in result.incidents or ():
        impact, record = _incident(incident)
        contributions.append(impact)
        incidents.append(record)

    maintenance = result.maintenance or _Maintenances()
    if maintenance.active:
        contributions.append(State.UNDER_MAINTENANCE)
    incidents += [_maintenance(m, "in_progress") for m in maintenance.active or ()]
    incidents += [_maintenance(m, "scheduled") for m in maintenance.upcoming or ()]

    known = [s for s in contributions if s.is_known]
    updated = result.status_overall.updated
    return Observation(
        state=worst(known),
        raw_status=raw,
        description=result.status_overall.status,
        observed_at=observed_at,
        reported_at=parse_iso(updated) if updated is not None else None,
        components=components,
        incidents=tuple(incidents),
    )


def _components(comp: _Component) -> list[Component]:
    """One component, or one per container ("Component / Container") when its containers disagree."""
    containers = comp.containers or []
    if len({c.status_code for c in containers}) > 1:
        return [
            Component(
                name=f"{comp.name} / {c.name}",
                state=_code_state(c.status_code),
                raw_status=_raw(c.status_code, c.status),
                group=comp.name,
            )
            for c in containers
        ]
    return [Component(name=comp.name, state=_code_state(comp.status_code), raw_status=_raw(comp.status_code, comp.status))]


def _incident(i: _Incident) -> tuple[State, Incident]:
    latest = i.messages[-1] if i.messages else None  # messages come oldest first
    code = latest.status if latest is not None and latest.status is not None else i.status_code
    impact = _code_state(code)
    state = latest.state if latest is not None else None
    if state == MONITORING and impact.severity > State.DEGRADED_PERFORMANCE.severity:
        # A fix is in place and being watched: at most degraded (as for Statuspage).
        impact = State.DEGRADED_PERFORMANCE
    record = Incident(
        name=i.name,
        status=INCIDENT_STATES.get(state, f"state={state}") if state is not None else "open",
        impact=_raw(code, CODE_WORDS.get(code)) if code is not None else "unknown",
        started_at=parse_iso(i.datetime_open) if i.datetime_open is not None else None,
    )
    return impact, record


def _maintenance(m: _Maintenance, status: str) -> Incident:
    return Incident(
        name=m.name,
        status=status,
        impact="maintenance",
        started_at=parse_iso(m.datetime_planned_start) if m.datetime_planned_start is not None else None,
        scheduled_until=parse_iso(m.datetime_planned_end) if m.datetime_planned_end is not None else None,
    )


def _code_state(code: int | None) -> State:
    # A code this parser does not know is kept as UNKNOWN: it neither raises nor clears.
    return CODE_STATES.get(code, State.UNKNOWN) if code is not None else State.UNKNOWN


def _raw(code: int | None, words: str | None) -> str:
    return " ".join(str(part) for part in (code, words) if part is not None) or "no status"
