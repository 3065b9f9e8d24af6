"""Google Workspace / Google Cloud `incidents.json` (one schema for both dashboards).

`https://www.google.com/appsstatus/dashboard/incidents.json` (Gmail, Meet, Drive, ...) and
`https://status.cloud.google.com/incidents.json`: a JSON array holding the dashboard's whole history
(a year of incidents, ~1.4 MB). Each incident has `begin`, `end` (absent while open), `modified`,
`external_desc`, `status_impact`, `severity`, `most_recent_update{status, ...}`, `updates[]`,
`affected_products[{title, id}]` and a relative `uri`. One payload gives one observation for the
configured products: only open incidents that affect one of them count.

Reading the impact codes. Google's dashboards show them as "Service information" (blue i),
"Service disruption" (orange) and "Service outage" (red), and every real incident pairs them with
`severity` low / medium / high (157 of 157 in the captured Cloud feed). `status_impact` is the worst
status any update gave (157 of 157), so the latest update's status is the current one and wins when
it is an impact code; `AVAILABLE` means the incident has recovered (the end is still to be written).
- SERVICE_INFORMATION (low) -> degraded_performance: in the real feed it labels live but limited
  faults ("Elevated packet loss in europe-north1", "GKE API seeing high latency and errors"),
  not announcements.
- SERVICE_DISRUPTION (medium) -> partial_outage.
- SERVICE_OUTAGE (high) -> major_outage.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urljoin

from pydantic import (
    Field,
    StringConstraints,
    TypeAdapter,
    field_validator,
)

from ottwatch.domain.models import Component, Incident, Observation
from ottwatch.domain.status import State, worst
from ottwatch.sources.base import UrlSource
from ottwatch.sources.payload import Loose, load_array
from ottwatch.sources.timeparse import parse_iso


class GoogleSource(UrlSource):
    """`url`: a dashboard's `incidents.json`; `products`: the product titles or ids to watch
    (matched case-insensitively against `affected_products[].title` and `.id`)."""

    kind: Literal["google"]
    products: Annotated[list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]], Field(min_length=1)]

    @field_validator("products")
    @classmethod
    def _distinct(cls, products: list[str]) -> list[str]:
        folded = [p.casefold() for p in products]
        if len(set(folded)) != len(folded):
            raise ValueError("products must be distinct (compared case-insensitively)")
        return products


IMPACT_STATES = {
    "SERVICE_INFORMATION": State.DEGRADED_PERFORMANCE,
    "SERVICE_DISRUPTION": State.PARTIAL_OUTAGE,
    "SERVICE_OUTAGE": State.MAJOR_OUTAGE,
}
SEVERITY_STATES = {"low": State.DEGRADED_PERFORMANCE, "medium": State.PARTIAL_OUTAGE, "high": State.MAJOR_OUTAGE}
RECOVERED = "AVAILABLE"


class _Product(Loose):
    title: str | None = None
    id: str | None = None


class _Update(Loose):
    status: str | None = None


class _Incident(Loose):
    id: str | None = None
    external_desc: str | None = None
    begin: str | None = None
    end: str | None = None
    modified: str | None = None
    status_impact: str | None = None
    severity: str | None = None
    most_recent_update: _Update | None = None
    affected_products: list[_Product] | None = None
    uri: str | None = None


_FEED = TypeAdapter(list[_Incident])


def parse(payload: bytes | str, observed_at: datetime, spec: GoogleSource | None = None) -> list[Observation]:
    """Parse a Google dashboard `incidents.json` into one observation. Raises ParseError, nothing else.

    Without a spec every product counts (one component per product with an open incident).
    """
    feed = load_array(payload, _FEED, "Google incidents", "incidents")
    return [_observation(feed, observed_at, spec)]


def _observation(feed: list[_Incident], observed_at: datetime, spec: GoogleSource | None) -> Observation:
    watched = {p.casefold(): p for p in spec.products} if spec is not None else None
    hits: dict[str, list[State]] = {p: [] for p in spec.products} if spec is not None else {}
    codes: dict[str, list[str]] = {p: [] for p in hits}
    open_incidents: list[tuple[_Incident, State]] = []
    for incident in feed:
        products = _affected(incident, watched)
        if not products or not _is_open(incident, observed_at):
            continue
        code = _current_code(incident)
        state = IMPACT_STATES.get(code or "") or SEVERITY_STATES.get(incident.severity or "", State.UNKNOWN)
        open_incidents.append((incident, state))
        for product in products:
            hits.setdefault(product, []).append(state)
            codes.setdefault(product, []).append(code or "unknown")

    components = tuple(
        Component(
            name=product,
            state=_worst_known(states, default=State.OPERATIONAL if not states else State.UNKNOWN),
            raw_status=",".join(dict.fromkeys(codes[product])) or "no open incident",
        )
        for product, states in hits.items()
    )
    known = [c.state for c in components if c.state.is_known] + [s for _, s in open_incidents if s.is_known]
    state = worst(known) if known else State.OPERATIONAL
    open_incidents.sort(key=lambda pair: -pair[1].severity)
    open_codes = dict.fromkeys(_current_code(i) or "unknown" for i, _ in open_incidents)
    modified = [parse_iso(i.modified) for i in feed if i.modified is not None]
    return Observation(
        state=state,
        raw_status=f"open: {', '.join(open_codes)}" if open_codes else "no open incident",
        description=open_incidents[0][0].external_desc if open_incidents else None,
        observed_at=observed_at,
        reported_at=max(modified) if modified else None,
        components=components,
        incidents=tuple(_incident(i, observed_at, spec) for i, _ in open_incidents),
    )


def _affected(incident: _Incident, watched: dict[str, str] | None) -> list[str]:
    """The configured products this incident names (every named product when nothing is configured)."""
    products = incident.affected_products or ()
    if watched is None:
        return list(dict.fromkeys(p.title or p.id for p in products if p.title or p.id))
    named = {name.casefold() for p in products for name in (p.title, p.id) if name}
    return [original for folded, original in watched.items() if folded in named]


def _is_open(incident: _Incident, observed_at: datetime) -> bool:
    if incident.most_recent_update is not None and incident.most_recent_update.status == RECOVERED:
        return False
    return incident.end is None or parse_iso(incident.end) > observed_at


def _current_code(incident: _Incident) -> str | None:
    latest = incident.most_recent_update.status if incident.most_recent_update is not None else None
    return latest if latest in IMPACT_STATES else incident.status_impact


def _incident(i: _Incident, observed_at: datetime, spec: GoogleSource | None) -> Incident:
    end = parse_iso(i.end) if i.end is not None else None
    return Incident(
        name=i.external_desc or i.id or "incident",
        status=(i.most_recent_update.status if i.most_recent_update is not None else None) or "open",
        impact=i.status_impact or i.severity or "unknown",
        url=_url(i.uri, spec),
        started_at=parse_iso(i.begin) if i.begin is not None else None,
        scheduled_until=end if end is not None and end > observed_at else None,
    )


def _url(uri: str | None, spec: GoogleSource | None) -> str | None:
    if uri is None or spec is None:
        return uri
    try:
        return urljoin(spec.url, uri)  # the feed's uri is relative ("incidents/<id>")
    except ValueError:
        return None


def _worst_known(states: list[State], default: State) -> State:
    known = [s for s in states if s.is_known]
    return worst(known) if known else default
