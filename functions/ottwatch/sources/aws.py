"""AWS Health Dashboard: the public current-events JSON (kind `aws`) and the legacy per-service RSS (`aws_rss`).

`aws` reads `https://health.aws.amazon.com/public/currentevents`: a JSON array of the events open now,
`[]` when all is well, served as **UTF-16 with a BOM** (decoded by its BOM; UTF-8 is accepted too). The
legacy `status.aws.amazon.com/data.json` (`{current: [...], archive: [...]}`, same event fields) is read
the same way: its `current` events count, its `archive` (closed events) never does. Event fields, as
parsed by public clients of the endpoint: `arn`, `date` (epoch seconds, a string), `region_name`,
`service` (`ec2-us-east-1`), `service_name`, `status`, `summary`, `event_log[{summary, message, status,
timestamp}]`, `impacted_services{key: {service_name, current, max}}`.

`status` is the severity tier of AWS's dashboard legend (the same codes in data.json, where the archive's
86 closed events carry only 1, 2 and 3 — so the code is a severity, not an open/closed flag):
- "0" service operating normally -> the event is over (never counts);
- "1" informational message -> DEGRADED_PERFORMANCE: AWS's lowest tier, yet used for real customer impact
  ("Increased Error Rates", "Connectivity Issues"), and the first stage of the 2019 Tokyo AZ event;
- "2" service degradation (the old legend's "performance issues") -> PARTIAL_OUTAGE: the tier of the
  2019-08-23 Tokyo single-AZ shutdown and of the 2021-12-07 us-east-1 event — part of the service down;
- "3" service disruption -> MAJOR_OUTAGE;
- any other code: the event is listed with state UNKNOWN (it neither raises nor clears).
A summary marked `[RESOLVED]` is over too. `regions` keeps events whose region (from `region_name`, the
`service` key's suffix or the ARN) is listed; events with no region (IAM, CloudFront, Route 53…) affect
every region and are kept unless `include_global` is false.

`aws_rss` reads `status.aws.amazon.com/rss/{service}-{region}.rss`: the LATEST item's title prefix is the
current state ("Service is operating normally:", "Informational message:", "Service degradation:" or the
older "Performance issues:", "Service disruption:"), mapped like the codes above; a title marked
`[RESOLVED]` is operational; an empty feed is operational; an unknown prefix is an error.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from ottwatch.domain.models import Component, Incident, Observation
from ottwatch.domain.status import State, worst
from ottwatch.sources.base import ParseError, UrlSource
from ottwatch.sources.payload import Loose, feed_time, http_link, load_feed, load_json, where
from ottwatch.sources.text import plain_text
from ottwatch.sources.timeparse import parse_epoch

Region = Annotated[
    str,
    BeforeValidator(lambda v: v.strip().lower() if isinstance(v, str) else v),
    StringConstraints(pattern=r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$"),
]


class AwsSource(UrlSource):
    """`url`: `https://health.aws.amazon.com/public/currentevents` (or a legacy `data.json`). `regions`: the
    region codes to watch (`eu-south-1`; empty = all). `include_global`: keep region-less events."""

    kind: Literal["aws"]
    regions: list[Region] = []
    include_global: bool = True


class AwsRssSource(UrlSource):
    """`url`: a legacy per-service feed, `https://status.aws.amazon.com/rss/ec2-eu-south-1.rss`."""

    kind: Literal["aws_rss"]


CODE_STATES = {
    "1": State.DEGRADED_PERFORMANCE,
    "2": State.PARTIAL_OUTAGE,
    "3": State.MAJOR_OUTAGE,
}
CODE_WORDS = {
    "0": "operating normally",
    "1": "informational message",
    "2": "service degradation",
    "3": "service disruption",
}
CLOSED_CODE = "0"
TITLE_STATES = {
    "service is operating normally": State.OPERATIONAL,
    "informational message": State.DEGRADED_PERFORMANCE,
    "performance issues": State.PARTIAL_OUTAGE,
    "service degradation": State.PARTIAL_OUTAGE,
    "service disruption": State.MAJOR_OUTAGE,
}
_RESOLVED = re.compile(r"\[\s*resolved\s*\]", re.IGNORECASE)
_REGION_CODE = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$")
_REGION_SUFFIX = re.compile(r"(?:^|-)([a-z]{2}(?:-[a-z]+)+-\d{1,2})$")
# Legacy service keys whose region has no code (S3's "US Standard" is us-east-1).
_REGION_ALIASES = {"us-standard": "us-east-1"}

Scalar = str | int | float | None


class _LogEntry(Loose):
    summary: str | None = None
    message: str | None = None
    status: Scalar = None
    timestamp: Scalar = None


class _Impacted(Loose):
    service_name: str | None = None
    current: Scalar = None


class _Event(Loose):
    arn: str | None = None
    date: Scalar = None
    region_name: str | None = None
    service: str | None = None
    service_name: str | None = None
    status: Scalar = None
    summary: str | None = None
    event_log: list[_LogEntry] | None = None
    impacted_services: dict[str, _Impacted] | None = None


class _Legacy(Loose):
    current: list[_Event]


_EVENTS = TypeAdapter(list[_Event])


def parse(payload: bytes | str, observed_at: datetime, spec: AwsSource | None = None) -> list[Observation]:
    """Parse AWS Health current events (or legacy data.json) into one observation. Raises ParseError only."""
    doc = load_json(payload)
    try:
        if isinstance(doc, list):
            events = _EVENTS.validate_python(doc)
        elif isinstance(doc, dict) and "current" in doc:
            events = _Legacy.model_validate(doc).current
        else:
            raise ParseError("expected a JSON array of events (or a data.json object with `current`)")
    except (ValidationError, RecursionError) as exc:
        raise ParseError(f"unexpected AWS Health payload at {where(exc)}") from None

    wanted = set(spec.regions) if spec else set()
    include_global = spec.include_global if spec else True
    open_events = [e for e in events if not _closed(e)]
    kept = [e for e in open_events if _wanted(e, wanted, include_global)]

    kept.sort(key=lambda e: -_state(e).severity)
    components: dict[tuple[str, str], Component] = {}
    for event in kept:
        group = ", ".join(sorted(_regions(event))) or "global"
        name = plain_text(event.service_name or event.service or "AWS", 120)
        raw_status = f"status={_code(event.status)}"
        _merge(components, Component(name=name, state=_state(event), raw_status=raw_status, group=group))
        for impacted in (event.impacted_services or {}).values():
            if impacted.service_name:
                code = _code(impacted.current)
                state = State.OPERATIONAL if code == CLOSED_CODE else CODE_STATES.get(code, State.UNKNOWN)
                _merge(components, Component(name=plain_text(impacted.service_name, 120), state=state,
                                             raw_status=f"current={code}", group=group))

    incidents = tuple(_incident(e) for e in kept)
    known = [_state(e) for e in kept if _state(e).is_known]
    elsewhere = len(open_events) - len(kept)
    if kept:
        raw = "current events: " + ", ".join(
            f"{e.service or e.service_name or 'AWS'} status={_code(e.status)}" for e in kept
        )
    else:
        raw = "no current events" + (f" in the watched regions ({elsewhere} elsewhere)" if elsewhere else "")
    return [
        Observation(
            state=worst(known) if known else (State.UNKNOWN if kept else State.OPERATIONAL),
            raw_status=plain_text(raw),
            description=incidents[0].name if incidents else None,
            observed_at=observed_at,
            reported_at=max((t for e in kept for t in _times(e)), default=None),
            components=tuple(components.values()),
            incidents=incidents,
        )
    ]


def parse_rss(payload: bytes | str, observed_at: datetime, spec: AwsRssSource | None = None) -> list[Observation]:
    """Parse a legacy AWS Service Health Dashboard RSS feed: its latest item is the state. ParseError only."""
    feed = load_feed(payload)
    reported = feed_time(dict.get(feed.feed, "updated_parsed"))
    if not feed.entries:
        return [
            Observation(state=State.OPERATIONAL, raw_status="no items", observed_at=observed_at, reported_at=reported)
        ]
    dated = [(t, e) for e in feed.entries if (t := _entry_time(e)) is not None]
    latest_at, latest = max(dated, key=lambda pair: pair[0]) if dated else (None, feed.entries[0])

    title = str(latest.get("title") or "")
    prefix, _, rest = title.partition(":")
    state = TITLE_STATES.get(prefix.strip().casefold())
    if state is None:
        raise ParseError(f"unrecognised AWS status title: {plain_text(prefix, 60)!r}")
    if _RESOLVED.search(title):
        state = State.OPERATIONAL
    name = plain_text(rest or title)
    incidents: tuple[Incident, ...] = ()
    if state is not State.OPERATIONAL:
        incidents = (
            Incident(
                name=name,
                status=plain_text(prefix, 60),
                impact=state.value,
                url=http_link(latest.get("link")),
                started_at=latest_at,
            ),
        )
    return [
        Observation(
            state=state,
            raw_status=plain_text(prefix, 60),
            description=(name or None) if incidents else None,
            observed_at=observed_at,
            reported_at=reported or latest_at,
            incidents=incidents,
        )
    ]


def _code(value: Scalar) -> str:
    return str(value).strip() if value is not None else "?"


def _state(event: _Event) -> State:
    return CODE_STATES.get(_code(event.status), State.UNKNOWN)


def _closed(event: _Event) -> bool:
    return _code(event.status) == CLOSED_CODE or bool(_RESOLVED.search(event.summary or ""))


def _regions(event: _Event) -> set[str]:
    found: set[str] = set()
    name = (event.region_name or "").strip().lower()
    if _REGION_CODE.match(name):
        found.add(name)
    service = (event.service or "").strip().lower()
    for alias, region in _REGION_ALIASES.items():
        if service.endswith(alias):
            found.add(region)
    if match := _REGION_SUFFIX.search(service):
        found.add(match.group(1))
    arn = (event.arn or "").split(":")
    if len(arn) > 3 and _REGION_CODE.match(arn[3].strip().lower()):
        found.add(arn[3].strip().lower())
    return found


def _wanted(event: _Event, regions: set[str], include_global: bool) -> bool:
    if not regions:
        return True
    found = _regions(event)
    return bool(found & regions) if found else include_global


def _merge(components: dict[tuple[str, str], Component], component: Component) -> None:
    key = (component.name, component.group or "")
    known = components.get(key)
    if known is None or component.state.severity > known.state.severity:
        components[key] = component


def _incident(event: _Event) -> Incident:
    service = event.service_name or event.service or "AWS"
    code = _code(event.status)
    return Incident(
        name=plain_text(f"{service}: {event.summary or CODE_WORDS.get(code, 'event')}"),
        status=CODE_WORDS.get(code, f"status {plain_text(code, 20)}"),
        impact=_state(event).value,
        url=None,
        started_at=_epoch(event.date),
    )


def _times(event: _Event) -> list[datetime]:
    times = [_epoch(event.date)] + [_epoch(entry.timestamp) for entry in event.event_log or ()]
    return [t for t in times if t is not None]


def _epoch(value: Scalar) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_epoch(value)
    except ParseError:
        return None


def _entry_time(entry: Any) -> datetime | None:
    return feed_time(entry.get("published_parsed")) or feed_time(dict.get(entry, "updated_parsed"))
