"""Slack Status API v2.0.0 `current` (`https://slack-status.com/api/v2.0.0/current`).

`{status: "ok" | "active", date_created, date_updated, active_incidents: [{id, title, type, status,
url, services[], notes[], date_created, date_updated}]}`. One payload gives one observation: the worst
open incident, with every affected Slack service as a component.

What Slack's own reference says (https://docs.slack.dev/reference/slack-status-api, field table):
- `type`: "The type of issue we're experiencing. The options are "incident", "notice", or "outage"."
  Slack's status site ranks them notice < incident < outage. So: "outage" -> major_outage (Slack's
  top level); "incident" -> degraded_performance (the everyday level, e.g. "some users might notice
  that their notification settings are not respected"; Slack reserves "outage" for unavailability);
  "notice" -> listed as an incident but no state change (information, not a fault).
  "maintenance" is not in the documented list but third-party clients report seeing it; an active
  one reads as under_maintenance.
- `status`: "active" (not yet resolved), "resolved"; for planned maintenance "scheduled",
  "completed" or "cancelled". Resolved/completed/cancelled never count; "scheduled" is upcoming
  maintenance: listed, no state change.
- `date_created`: "when incident response or maintenance began"; `date_updated`: last update.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ottwatch.domain.models import Component, Incident, Observation
from ottwatch.domain.status import State, worst
from ottwatch.sources.base import ParseError, UrlSource
from ottwatch.sources.payload import Loose, load_object
from ottwatch.sources.timeparse import parse_iso


class SlackSource(UrlSource):
    """`url`: `https://slack-status.com/api/v2.0.0/current`."""

    kind: Literal["slack"]


PAGE_STATUSES = {"ok", "active"}
TYPE_STATES = {
    "outage": State.MAJOR_OUTAGE,
    "incident": State.DEGRADED_PERFORMANCE,
    "notice": State.OPERATIONAL,
    "maintenance": State.UNDER_MAINTENANCE,
}
CLOSED = {"resolved", "completed", "cancelled", "canceled"}
UPCOMING = {"scheduled"}


class _Incident(Loose):
    title: str
    type: str
    status: str
    url: str | None = None
    services: list[str] | None = None
    date_created: str | None = None


class _Payload(Loose):
    status: str
    date_updated: str | None = None
    active_incidents: list[_Incident] | None = None


def parse(payload: bytes | str, observed_at: datetime, spec: SlackSource | None = None) -> list[Observation]:
    """Parse a Slack status `current` payload into one observation. Raises ParseError, nothing else."""
    page = load_object(payload, _Payload, "Slack status")
    return [_observation(page, observed_at)]


def _observation(page: _Payload, observed_at: datetime) -> Observation:
    if page.status not in PAGE_STATUSES:
        raise ParseError(f"unknown status {page.status!r:.40}")

    listed = [i for i in page.active_incidents or () if i.status not in CLOSED]
    # Upcoming maintenance is listed but changes nothing; everything else open counts by its type
    # (a type this parser does not know is UNKNOWN: listed, neither raises nor clears).
    effects = [(i, State.OPERATIONAL if i.status in UPCOMING else TYPE_STATES.get(i.type, State.UNKNOWN)) for i in listed]
    contributions = [state for _, state in effects]
    if page.status == "active" and not page.active_incidents:
        # Slack says something is active but lists nothing: the least claim that is still a fault.
        contributions.append(State.DEGRADED_PERFORMANCE)

    by_service: dict[str, list[tuple[_Incident, State]]] = {}
    for incident, state in effects:
        for service in dict.fromkeys(incident.services or ()):
            by_service.setdefault(service, []).append((incident, state))
    components = tuple(
        Component(
            name=service,
            state=_worst_known(s for _, s in hits),
            raw_status=",".join(dict.fromkeys(_raw_type(i) for i, _ in hits)),
        )
        for service, hits in by_service.items()
    )

    known = [s for s in contributions if s.is_known]
    state = worst(known) if known else State.OPERATIONAL
    # Ordering matters for readers: open issues first (worst first), upcoming maintenance last.
    ordered = sorted(effects, key=lambda e: (e[0].status in UPCOMING, -e[1].severity))
    headline = next((i.title for i, s in ordered if s.is_known and s is state and s is not State.OPERATIONAL), None)
    return Observation(
        state=state,
        raw_status=f"status={page.status}",
        description=headline,
        observed_at=observed_at,
        reported_at=parse_iso(page.date_updated) if page.date_updated is not None else None,
        components=components,
        incidents=tuple(_incident(i) for i, _ in ordered),
    )


def _incident(i: _Incident) -> Incident:
    return Incident(
        name=i.title,
        status=i.status,
        impact=i.type,
        url=i.url,
        started_at=parse_iso(i.date_created) if i.date_created is not None else None,
    )


def _raw_type(i: _Incident) -> str:
    return f"{i.type} ({i.status})" if i.status in UPCOMING else i.type


def _worst_known(states: Any) -> State:
    states = list(states)
    known = [s for s in states if s.is_known]
    return worst(known) if known else State.UNKNOWN
