"""Vendor timestamps to aware UTC datetimes. Every function raises ParseError (never anything else).

Formats seen in real payloads: ISO 8601 with `Z` or offsets (Statuspage, Google, Slack `-07:00`);
JavaScript `Date.toString()` (Instatus: `Sat Jun 11 2022 18:55:50 GMT+0000 (Coordinated Universal Time)`);
Apple's `MM/DD/YYYY HH:MM PST`; epoch seconds or milliseconds (Apple, AWS).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from ottwatch.sources.errors import ParseError

# US zone abbreviations vendors print. Apple prints "PST" for Cupertino time; in summer it may say PDT.
ZONE_OFFSETS_HOURS = {
    "UTC": 0, "GMT": 0, "Z": 0,
    "PST": -8, "PDT": -7, "MST": -7, "MDT": -6, "CST": -6, "CDT": -5, "EST": -5, "EDT": -4,
}
_JS_DATE = re.compile(
    r"^[A-Z][a-z]{2} (?P<mon>[A-Z][a-z]{2}) (?P<day>\d{1,2}) (?P<year>\d{4}) "
    r"(?P<time>\d{2}:\d{2}:\d{2}) GMT(?P<sign>[+-])(?P<hh>\d{2})(?P<mm>\d{2})(?: \(.*\))?$"
)
_APPLE_DATE = re.compile(r"^(?P<date>\d{2}/\d{2}/\d{4} \d{2}:\d{2})(?: (?P<zone>[A-Z]{1,4}))?$")


def parse_iso(value: object) -> datetime:
    """ISO 8601; a naive timestamp is refused (its zone would be a guess)."""
    if not isinstance(value, str):
        raise ParseError(f"timestamp is not a string: {value!r:.40}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ParseError(f"not an ISO 8601 timestamp: {value!r:.40}") from None
    if parsed.tzinfo is None:
        raise ParseError(f"timestamp without a time zone: {value!r:.40}")
    return _to_utc(parsed, value)


def parse_js_date(value: object) -> datetime:
    """JavaScript's Date.toString(), as Instatus serves it."""
    match = _JS_DATE.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ParseError(f"not a JavaScript date string: {value!r:.60}")
    try:
        naive = datetime.strptime(f"{match['mon']} {match['day']} {match['year']} {match['time']}", "%b %d %Y %H:%M:%S")
    except ValueError:
        raise ParseError(f"not a JavaScript date string: {value!r:.60}") from None
    offset = timedelta(hours=int(match["hh"]), minutes=int(match["mm"]))
    if offset >= timedelta(hours=24):
        raise ParseError(f"not a JavaScript date string: {value!r:.60}")
    zone = timezone(offset if match["sign"] == "+" else -offset)
    return _to_utc(naive.replace(tzinfo=zone), value)


def parse_apple(value: object) -> datetime:
    """Apple's `MM/DD/YYYY HH:MM PST` (a missing zone means Cupertino's PST, as Apple's page shows)."""
    match = _APPLE_DATE.match(value.strip()) if isinstance(value, str) else None
    zone = (match["zone"] or "PST") if match else None
    if not match or zone not in ZONE_OFFSETS_HOURS:
        raise ParseError(f"not an Apple date: {value!r:.40}")
    try:
        naive = datetime.strptime(match["date"], "%m/%d/%Y %H:%M")
    except ValueError:
        raise ParseError(f"not an Apple date: {value!r:.40}") from None
    return _to_utc(naive.replace(tzinfo=timezone(timedelta(hours=ZONE_OFFSETS_HOURS[zone]))), value)


def parse_epoch(value: object) -> datetime:
    """Epoch seconds or milliseconds (numbers or digit strings); milliseconds are told apart by size."""
    try:
        number = float(value) if not isinstance(value, bool) else float("nan")
    except (TypeError, ValueError):
        raise ParseError(f"not an epoch timestamp: {value!r:.40}") from None
    if number != number or number < 0:
        raise ParseError(f"not an epoch timestamp: {value!r:.40}")
    if number > 1e11:  # after year 5138 in seconds: must be milliseconds
        number /= 1000
    try:
        return datetime.fromtimestamp(number, UTC)
    except (OverflowError, OSError, ValueError):
        raise ParseError(f"epoch timestamp out of range: {value!r:.40}") from None


def _to_utc(parsed: datetime, value: object) -> datetime:
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 or 9999 pushed past the calendar by its offset
        raise ParseError(f"timestamp out of range: {value!r:.40}") from None


def parse_any(value: object) -> datetime:
    """Try every known format (for feeds that mix them)."""
    for parser in (parse_iso, parse_js_date, parse_apple, parse_epoch):
        try:
            return parser(value)
        except ParseError:
            continue
    raise ParseError(f"unrecognised timestamp: {value!r:.60}")
