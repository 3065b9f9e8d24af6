"""Meta Status (metastatus.com): WhatsApp Business Platform, Facebook Login, Graph API, Ads… (business only).

`https://metastatus.com/data/orgs.json` is a JSON array of organisations (Meta's products),
`[{id: "whatsapp-business-api", name, rss_file_paths?, services: [{id, name, status, time?}]}]`, as read
by public clients of the page (e.g. dashboards that filter `org.id === "whatsapp-business-api"` and map
`service.status`). `status` is free text ("No known issues", "Low disruptions", "Medium disruptions",
"High disruptions", "Major disruption", "Resolved", "Under maintenance"…), mapped by word, case-insensitive:
- no known issues / resolved / operational -> OPERATIONAL
- maintenance -> UNDER_MAINTENANCE
- major / high -> MAJOR_OUTAGE; medium -> PARTIAL_OUTAGE; low -> DEGRADED_PERFORMANCE
- anything else -> UNKNOWN: the service is listed but neither raises nor clears the state (a page whose
  every service is unrecognised is UNKNOWN, not operational).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    StringConstraints,
    TypeAdapter,
)

from ottwatch.domain.models import Component, Incident, Observation
from ottwatch.domain.status import State, worst
from ottwatch.sources.base import ParseError, UrlSource
from ottwatch.sources.payload import Loose, load_array
from ottwatch.sources.text import plain_text
from ottwatch.sources.timeparse import parse_any


def _has_word(name: str) -> str:
    if not re.search(r"[^\W_]", name):
        raise ValueError("a name needs a letter or a digit")
    return name


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_has_word)]


class MetaSource(UrlSource):
    """`url`: `https://metastatus.com/data/orgs.json`. `services`: organisation ids or names
    ("whatsapp-business-api", "WhatsApp Business Platform") or service names ("Cloud API") to watch,
    case-insensitive (empty = all). A name found nowhere is an error: the source goes stale, not green."""

    kind: Literal["meta"]
    services: list[Name] = []


# Checked in this order: the first rule whose words appear decides.
RULES: tuple[tuple[re.Pattern[str], State], ...] = (
    (re.compile(r"\b(no known issues?|resolved|operational)\b"), State.OPERATIONAL),
    (re.compile(r"\bmaintenance\b"), State.UNDER_MAINTENANCE),
    (re.compile(r"\b(major|high)\b"), State.MAJOR_OUTAGE),
    (re.compile(r"\bmedium\b"), State.PARTIAL_OUTAGE),
    (re.compile(r"\blow\b"), State.DEGRADED_PERFORMANCE),
)
_ORG_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
_PUNCTUATION = re.compile(r"[\W_]+")

Scalar = str | int | float | None


class _Service(Loose):
    id: Scalar = None
    name: str
    status: str | None = None
    time: Scalar = None


class _Org(Loose):
    id: Scalar = None
    name: str | None = None
    services: list[_Service] | None = None


_ORGS = TypeAdapter(list[_Org])


def status_state(text: str | None) -> State:
    """Meta's free-text status as a state; UNKNOWN when no rule recognises it."""
    lowered = (text or "").casefold()
    for pattern, state in RULES:
        if pattern.search(lowered):
            return state
    return State.UNKNOWN


def parse(payload: bytes | str, observed_at: datetime, spec: MetaSource | None = None) -> list[Observation]:
    """Parse metastatus.com `orgs.json` into one observation. Raises ParseError, nothing else."""
    orgs = load_array(payload, _ORGS, "metastatus", "organisations")
    if not any(org.services for org in orgs):
        raise ParseError("no services on the page")

    chosen = _select(orgs, spec.services if spec else [])
    components = tuple(
        Component(
            name=plain_text(service.name, 120),
            state=status_state(service.status),
            raw_status=plain_text(service.status, 80),
            group=plain_text(org.name or org.id, 120) or None,
        )
        for org, service in chosen
    )
    incidents = tuple(
        Incident(
            name=plain_text(f"{org.name or org.id}: {service.name}"),
            status=component.raw_status,
            impact=component.state.value,
            url=_org_url(org),
            started_at=_time(service.time),
        )
        for (org, service), component in zip(chosen, components)
        if component.state.is_known and component.state is not State.OPERATIONAL
    )
    incidents = tuple(sorted(incidents, key=lambda i: -State(i.impact).severity))
    known = [c.state for c in components if c.state.is_known]
    noted = [f"{c.name}: {c.raw_status}" for c in components if c.state is not State.OPERATIONAL]
    times = [t for _, service in chosen if (t := _time(service.time)) is not None]
    return [
        Observation(
            state=worst(known) if known else State.UNKNOWN,
            raw_status=plain_text("; ".join(noted)) if noted else "no known issues",
            description=incidents[0].name if incidents else None,
            observed_at=observed_at,
            reported_at=max(times, default=None),
            components=components,
            incidents=incidents,
        )
    ]


def _select(orgs: list[_Org], wanted: list[str]) -> list[tuple[_Org, _Service]]:
    pairs = [(org, service) for org in orgs for service in org.services or ()]
    if not wanted:
        return pairs
    keys = {_key(name) for name in wanted}
    found: set[str] = set()
    chosen = []
    for org, service in pairs:
        names = {_key(org.id), _key(org.name), _key(service.name)} & keys - {""}
        if names:
            found |= names
            chosen.append((org, service))
    if missing := keys - found:
        raise ParseError(f"not on the page: {plain_text(', '.join(sorted(missing)), 120)}")
    return chosen


def _key(value: Scalar) -> str:
    """Names compared loosely (case, spaces, punctuation): "whatsapp-business-api" = "WhatsApp Business API"."""
    return _PUNCTUATION.sub(" ", str(value).casefold()).strip() if value is not None else ""


def _org_url(org: _Org) -> str | None:
    org_id = str(org.id).strip() if org.id is not None else ""
    return f"https://metastatus.com/{org_id}" if _ORG_ID.match(org_id) else None


def _time(value: Scalar) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        return parse_any(value)
    except ParseError:
        return None


