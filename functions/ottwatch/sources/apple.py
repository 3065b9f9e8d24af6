"""Apple System Status: consumer (iCloud, iMessage, FaceTime, App Store…) and developer pages.

`https://www.apple.com/support/systemstatus/data/system_status_en_US.js` and
`…/data/developer/system_status_en_US.js` serve JSONP: `jsonCallback({...});`. The wrapper is stripped
when present (plain JSON is accepted too). The payload is
`{services: [{serviceName, redirectUrl?, events: [{statusType, eventStatus, epochStartDate, epochEndDate,
startDate, endDate, datePosted, usersAffected, message, messageId, affectedServices}]}]}`; a service with
no event is available.

Only ONGOING events count. Their `statusType` maps as follows (Apple's legend shows a green "Available",
a yellow "Issue", a red "Outage" and "Maintenance"):
- Outage -> MAJOR_OUTAGE: Apple's red symbol, which it almost never uses (9to5Mac, 2019-06-04: "the red
  triangle … indicates a very serious problem"); in real payloads it goes with "All users were affected".
- Issue -> PARTIAL_OUTAGE: the yellow symbol, which Apple uses even for large incidents affecting many
  users; its wording is "Some users are affected" / "intermittent issues" — part of the service is failing.
- Performance -> DEGRADED_PERFORMANCE: "slow", working.
- Maintenance -> UNDER_MAINTENANCE (planned; not an outage).
- Available -> OPERATIONAL.
- missing or unknown statusType on an ongoing event -> DEGRADED_PERFORMANCE: Apple says something is
  ongoing without saying how bad; the floor of "something is wrong" (some real captures omit the type).
`upcoming`/`scheduled` events (maintenance announced ahead) are listed as incidents but change no state;
`resolved`/`completed` events never count. Times come from the epoch milliseconds, falling back to
`MM/DD/YYYY HH:MM PST|PDT`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import StringConstraints

from ottwatch.domain.models import Component, Incident, Observation
from ottwatch.domain.status import State, worst
from ottwatch.sources.base import ParseError, UrlSource
from ottwatch.sources.payload import Loose, load_object
from ottwatch.sources.text import plain_text
from ottwatch.sources.timeparse import parse_apple, parse_epoch

ServiceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class AppleSource(UrlSource):
    """`url`: Apple's consumer or developer `system_status_en_US.js`. `services`: the serviceName values to
    watch (case-insensitive; empty = every service on the page). A named service missing from the page is
    an error, so a renamed service makes the source stale rather than silently operational."""

    kind: Literal["apple"]
    services: list[ServiceName] = []


TYPE_STATES = {
    "outage": State.MAJOR_OUTAGE,
    "issue": State.PARTIAL_OUTAGE,
    "performance": State.DEGRADED_PERFORMANCE,
    "maintenance": State.UNDER_MAINTENANCE,
    "available": State.OPERATIONAL,
}
UNSTATED_TYPE_STATE = State.DEGRADED_PERFORMANCE
ACTIVE = {"ongoing"}
UPCOMING = {"upcoming", "scheduled"}

# `callback({...});` — any JavaScript identifier (dotted too), optional trailing semicolon.
Epoch = int | float | str | None


class _Event(Loose):
    statusType: str | None = None
    eventStatus: str | None = None
    epochStartDate: Epoch = None
    epochEndDate: Epoch = None
    startDate: str | None = None
    endDate: str | None = None
    datePosted: str | None = None
    usersAffected: str | None = None
    message: str | None = None
    messageId: str | int | None = None


class _Service(Loose):
    serviceName: str
    events: list[_Event] | None = None


class _Payload(Loose):
    services: list[_Service]


def parse(payload: bytes | str, observed_at: datetime, spec: AppleSource | None = None) -> list[Observation]:
    """Parse an Apple system status payload (JSONP or JSON) into one observation. Raises ParseError only."""
    page = _load(payload)
    services = _select(page.services, spec.services if spec else [])

    components: list[Component] = []
    active: list[tuple[_Service, _Event]] = []
    upcoming: list[tuple[_Service, _Event]] = []
    posted: list[datetime] = []
    for service in services:
        states: list[State] = []
        words: list[str] = []
        for event in service.events or ():
            if (when := _time(None, event.datePosted)) is not None:
                posted.append(when)
            status = (event.eventStatus or "").strip().casefold()
            if status in ACTIVE:
                states.append(_event_state(event))
                active.append((service, event))
            elif status in UPCOMING:
                upcoming.append((service, event))
            else:
                continue  # resolved / completed (or a status Apple never documented): closed
            words.append(f"{event.eventStatus.strip()} {(event.statusType or 'unstated').strip()}")
        components.append(
            Component(
                name=plain_text(service.serviceName.strip()),
                state=worst(states) if states else State.OPERATIONAL,
                raw_status=plain_text(", ".join(words)) if words else "available",
            )
        )

    # Worst open events first, then announced maintenance; one incident per Apple message.
    active.sort(key=lambda pair: -_event_state(pair[1]).severity)
    incidents: list[Incident] = []
    seen: set[tuple] = set()
    for service, event in active + upcoming:
        key = (event.messageId, event.eventStatus) if event.messageId is not None else (service.serviceName, id(event))
        if key in seen:
            continue
        seen.add(key)
        incidents.append(_incident(service, event))

    not_available = [f"{c.name}: {c.raw_status}" for c in components if c.raw_status != "available"]
    return [
        Observation(
            state=worst([c.state for c in components]),
            raw_status=plain_text("; ".join(not_available)) if not_available else "all available",
            description=incidents[0].name if active else None,
            observed_at=observed_at,
            reported_at=max(posted) if posted else None,
            components=tuple(components),
            incidents=tuple(incidents),
        )
    ]


def _load(payload: bytes | str) -> _Payload:
    if isinstance(payload, bytes):
        try:
            payload = payload.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ParseError("not UTF-8 text") from None
    page = load_object(payload, _Payload, "Apple status", jsonp=True)
    if not page.services:
        raise ParseError("no services on the page")
    return page


def _select(services: list[_Service], wanted: list[str]) -> list[_Service]:
    if not wanted:
        return services
    keys = {name.strip().casefold() for name in wanted}
    chosen = [s for s in services if s.serviceName.strip().casefold() in keys]
    missing = keys - {s.serviceName.strip().casefold() for s in chosen}
    if missing:
        raise ParseError(f"service(s) not on the page: {plain_text(', '.join(sorted(missing)), 120)}")
    return chosen


def _event_state(event: _Event) -> State:
    return TYPE_STATES.get((event.statusType or "").strip().casefold(), UNSTATED_TYPE_STATE)


def _incident(service: _Service, event: _Event) -> Incident:
    kind = (event.statusType or "").strip()
    maintenance = kind.casefold() == "maintenance"
    return Incident(
        name=plain_text(f"{service.serviceName.strip()}: {event.message or kind or 'event'}"),
        status=plain_text(event.eventStatus, 40),
        impact=plain_text(kind, 40) or "unstated",
        url=None,
        started_at=_time(event.epochStartDate, event.startDate),
        scheduled_until=_time(event.epochEndDate, event.endDate) if maintenance else None,
    )


def _time(epoch: Epoch, text: str | None) -> datetime | None:
    """Epoch milliseconds first, else Apple's `MM/DD/YYYY HH:MM PST`; an unreadable time is dropped."""
    if epoch is not None:
        try:
            return parse_epoch(epoch)
        except ParseError:
            pass
    if text:
        try:
            return parse_apple(text)
        except ParseError:
            pass
    return None


