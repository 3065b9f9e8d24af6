"""Any RSS/Atom incident feed: Statuspage `history.atom`/`history.rss`, incident.io `feed.rss`, Azure status RSS.

A feed has no "current state" field, so the rule is deliberately simple:
- only entries updated within `window_minutes` before the observation count (older entries are history);
  an entry without a date never counts;
- an entry is OPEN unless its latest update says it is over. Statuspage writes each update as a
  `<strong>Status</strong> - text` block, newest first: the FIRST block's status word decides
  (Resolved / Completed / Postmortem close it; In progress / Verifying is maintenance under way;
  Scheduled is an upcoming maintenance; Investigating / Identified / Update / Monitoring are incidents).
  Feeds without such blocks are closed when their title or text says resolved, completed or operational
  (but not "not resolved", "not yet resolved", "non-operational");
- an open entry's severity comes from words in its title and latest update:
  maintenance -> UNDER_MAINTENANCE ("scheduled"/"upcoming" maintenance is listed but changes no state);
  outage / down / unavailable -> MAJOR_OUTAGE, or PARTIAL_OUTAGE when "partial"/"partially" is said too;
  partial -> PARTIAL_OUTAGE; anything else (degraded, elevated errors, latency, slow, delays, or no
  keyword at all: something is reported, its extent unknown) -> DEGRADED_PERFORMANCE. An entry whose
  latest status is Monitoring (a fix is in place) is at most DEGRADED_PERFORMANCE.
A valid feed with no entry (or none open) is OPERATIONAL; a document that is not RSS/Atom is an error.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import Field

from ottwatch.domain.models import Incident, Observation
from ottwatch.domain.status import State, worst
from ottwatch.sources.base import UrlSource
from ottwatch.sources.payload import feed_time, http_link, load_feed
from ottwatch.sources.text import plain_text

DEFAULT_WINDOW_MINUTES = 180


class FeedSource(UrlSource):
    """`url`: the feed. `window_minutes`: how recent an entry's last update must be to count."""

    kind: Literal["feed"]
    window_minutes: int = Field(DEFAULT_WINDOW_MINUTES, ge=1, le=7 * 24 * 60)


CLOSED_WORDS = {"resolved", "completed", "postmortem"}
UPCOMING_WORDS = {"scheduled"}
MAINTENANCE_WORDS = {"in progress", "verifying"}
MONITORING_WORDS = {"monitoring"}

# `<strong>Resolved</strong> - This incident has been resolved.` (Statuspage's update blocks, newest first)
_BLOCK = re.compile(r"<strong>\s*([^<]{1,40}?)\s*</strong>\s*(?:-|&#8211;|–|—)", re.IGNORECASE)
_CLOSED_TEXT = re.compile(r"(?<!not )(?<!not yet )(?<!non-)\b(resolved|completed|operational)\b", re.IGNORECASE)
_MAINTENANCE = re.compile(r"\bmaintenance\b", re.IGNORECASE)
_UPCOMING = re.compile(r"\b(scheduled|upcoming|planned)\b", re.IGNORECASE)
_OUTAGE = re.compile(r"\b(outages?|down|unavailable|not available|inaccessible)\b", re.IGNORECASE)
_PARTIAL = re.compile(r"\bpartial(ly)?\b", re.IGNORECASE)


def parse(payload: bytes | str, observed_at: datetime, spec: FeedSource | None = None) -> list[Observation]:
    """Parse an RSS/Atom incident feed into one observation. Raises ParseError, nothing else."""
    feed = load_feed(payload)
    now = observed_at if observed_at.tzinfo else observed_at.replace(tzinfo=UTC)
    since = now - timedelta(minutes=spec.window_minutes if spec else DEFAULT_WINDOW_MINUTES)

    open_entries: list[tuple[State, Incident]] = []
    upcoming: list[Incident] = []
    latest: datetime | None = None
    for entry in feed.entries:
        updated = _entry_time(entry)
        if updated is not None and (latest is None or updated > latest):
            latest = updated
        if updated is None or updated < since:
            continue
        verdict = _judge(entry)
        if verdict is None:
            continue
        state, status, incident = verdict
        if status == "upcoming":
            upcoming.append(incident)
        else:
            open_entries.append((state, incident))

    open_entries.sort(key=lambda pair: -pair[0].severity)
    incidents = tuple(i for _, i in open_entries) + tuple(upcoming)
    if open_entries:
        raw = "; ".join(f"{i.status}: {i.name}" for _, i in open_entries)
    else:
        minutes = int((now - since).total_seconds() // 60)
        raw = f"no open entries in the last {minutes} min" + (f" ({len(upcoming)} upcoming)" if upcoming else "")
    return [
        Observation(
            state=worst([s for s, _ in open_entries]) if open_entries else State.OPERATIONAL,
            raw_status=plain_text(raw),
            description=open_entries[0][1].name if open_entries else None,
            observed_at=observed_at,
            reported_at=feed_time(dict.get(feed.feed, "updated_parsed")) or latest,
            incidents=incidents,
        )
    ]


def _judge(entry: Any) -> tuple[State, str, Incident] | None:
    """(state, open/upcoming, incident) for an entry still open or upcoming; None when it is over."""
    title = plain_text(entry.get("title"))
    body = _body(entry)
    blocks = list(_BLOCK.finditer(body))
    if blocks:
        word = plain_text(blocks[0].group(1), 40)
        status = word.casefold()
        end = blocks[1].start() if len(blocks) > 1 else len(body)
        latest_text = plain_text(body[blocks[0].end():end], 1000)
        if status in CLOSED_WORDS:
            return None
    else:
        word, status = "open", "open"
        latest_text = plain_text(body, 1000)
        if _CLOSED_TEXT.search(title) or _CLOSED_TEXT.search(latest_text):
            return None
    text = f"{title} {latest_text}"

    # Statuspage's incident words (Investigating, Identified, Update, Monitoring) say it is no maintenance,
    # whatever the text mentions; without status words, the text decides.
    if status in UPCOMING_WORDS:
        state, kind = State.OPERATIONAL, "upcoming"
    elif status in MAINTENANCE_WORDS:
        state, kind = State.UNDER_MAINTENANCE, "open"
    elif status == "open" and _MAINTENANCE.search(text):
        state, kind = (State.OPERATIONAL, "upcoming") if _UPCOMING.search(text) else (State.UNDER_MAINTENANCE, "open")
    elif _OUTAGE.search(text):
        state, kind = (State.PARTIAL_OUTAGE if _PARTIAL.search(text) else State.MAJOR_OUTAGE), "open"
    elif _PARTIAL.search(text):
        state, kind = State.PARTIAL_OUTAGE, "open"
    else:
        state, kind = State.DEGRADED_PERFORMANCE, "open"
    if status in MONITORING_WORDS and state.severity > State.DEGRADED_PERFORMANCE.severity:
        state = State.DEGRADED_PERFORMANCE

    incident = Incident(
        name=title or plain_text(latest_text) or "untitled entry",
        status=word.lower(),
        impact="maintenance" if state is State.UNDER_MAINTENANCE or kind == "upcoming" else state.value,
        url=http_link(entry.get("link")),
        started_at=feed_time(entry.get("published_parsed")),
    )
    return state, kind, incident


def _body(entry: Any) -> str:
    for content in entry.get("content") or ():
        value = content.get("value") if isinstance(content, dict) else None
        if value:
            return str(value)
    return str(entry.get("summary") or entry.get("description") or "")


def _entry_time(entry: Any) -> datetime | None:
    return feed_time(dict.get(entry, "updated_parsed")) or feed_time(entry.get("published_parsed"))
