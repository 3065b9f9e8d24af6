"""Heroku status API v4 `current-status` (`https://status.heroku.com/api/v4/current-status`).

`{status: [{system, status}], incidents: [...], scheduled: [...]}`: a colour per system (Apps, Data,
Tools), then the unresolved incidents and the scheduled maintenances, each with `resolved`,
`upcoming`, `status_prod`/`status_dev` colours and `updates[]` (newest first). One payload gives
one observation: the worst of every system colour, every unresolved incident's colours and any
maintenance in progress.

Colours, from Heroku's own description of its status site (blog.heroku.com/new_heroku_status_site):
"green (all systems go), yellow (intermittent errors or partial impact), or red (major outage of
specified component)"; blue is scheduled maintenance (Heroku's maintenance notices are blue, as
the captured payload shows: the Data system turns blue during a "Data Service Update").
Yellow spans "intermittent errors" and "partial impact"; with red reserved for a major outage, it
is read as the milder of the two, degraded_performance (as Statuspage's "minor" is).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ottwatch.domain.models import Component, Incident, Observation
from ottwatch.domain.status import State, worst
from ottwatch.sources.base import ParseError, UrlSource
from ottwatch.sources.payload import Loose, load_object
from ottwatch.sources.timeparse import parse_iso


class HerokuSource(UrlSource):
    """`url`: `https://status.heroku.com/api/v4/current-status`."""

    kind: Literal["heroku"]


COLOR_STATES = {
    "green": State.OPERATIONAL,
    "blue": State.UNDER_MAINTENANCE,
    "yellow": State.DEGRADED_PERFORMANCE,
    "red": State.MAJOR_OUTAGE,
}


class _System(Loose):
    system: str
    status: str


class _Update(Loose):
    update_type: str | None = None


class _Issue(Loose):
    title: str
    resolved: bool | None = None
    upcoming: bool | None = None
    status_prod: str | None = None
    status_dev: str | None = None
    full_url: str | None = None
    created_at: str | None = None
    updates: list[_Update] | None = None


class _Payload(Loose):
    status: list[_System]
    incidents: list[_Issue] | None = None
    scheduled: list[_Issue] | None = None


def parse(payload: bytes | str, observed_at: datetime, spec: HerokuSource | None = None) -> list[Observation]:
    """Parse a Heroku `current-status` payload into one observation. Raises ParseError, nothing else."""
    page = load_object(payload, _Payload, "Heroku status")
    return [_observation(page, observed_at)]


def _observation(page: _Payload, observed_at: datetime) -> Observation:
    components = tuple(
        # A colour this parser does not know is kept as UNKNOWN: it neither raises nor clears.
        Component(name=s.system, state=COLOR_STATES.get(s.status, State.UNKNOWN), raw_status=s.status)
        for s in page.status
    )
    if not any(c.state.is_known for c in components):
        # The system colours are the page's own verdict; without one known colour there is none.
        raise ParseError(f"no known system colour in {[s.status for s in page.status]!r:.80}")
    contributions = [c.state for c in components]

    open_incidents = [i for i in page.incidents or () if not i.resolved]
    impacts = [_colours_state(i) for i in open_incidents]
    contributions += impacts

    maintenances = [m for m in page.scheduled or () if not m.resolved]
    active = [m for m in maintenances if not m.upcoming]
    if active:
        contributions.append(State.UNDER_MAINTENANCE)

    known = [s for s in contributions if s.is_known]
    state = worst(known)
    headline = next((i.title for i, s in zip(open_incidents, impacts) if s is state and s.is_provider_fault), None)
    incidents = tuple(_incident(i, _latest(i) or "open") for i in open_incidents)
    incidents += tuple(_incident(m, "in_progress") for m in active)
    incidents += tuple(_incident(m, "scheduled") for m in maintenances if m.upcoming)
    return Observation(
        state=state,
        raw_status=" ".join(f"{s.system}={s.status}" for s in page.status),
        description=headline,
        observed_at=observed_at,
        reported_at=None,  # current-status carries no update time of its own
        components=components,
        incidents=incidents,
    )


def _colours_state(i: _Issue) -> State:
    states = [COLOR_STATES.get(c, State.UNKNOWN) for c in (i.status_prod, i.status_dev) if c is not None]
    known = [s for s in states if s.is_known]
    return worst(known) if known else State.UNKNOWN


def _latest(i: _Issue) -> str | None:
    return i.updates[0].update_type if i.updates else None  # updates come newest first


def _incident(i: _Issue, status: str) -> Incident:
    colours = (("prod", i.status_prod), ("dev", i.status_dev))
    return Incident(
        name=i.title,
        status=status,
        impact=" ".join(f"{env}={c}" for env, c in colours if c is not None) or "none",
        url=i.full_url,
        started_at=parse_iso(i.created_at) if i.created_at is not None else None,
    )
