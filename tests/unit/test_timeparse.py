from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ottwatch.sources.errors import ParseError
from ottwatch.sources.timeparse import (
    parse_any,
    parse_apple,
    parse_epoch,
    parse_iso,
    parse_js_date,
)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("value, expected", [
    ("2020-04-02T20:37:08.838Z", utc(2020, 4, 2, 20, 37, 8, 838000)),   # Statuspage
    ("2022-02-15T13:37:37.407-08:00", utc(2022, 2, 15, 21, 37, 37, 407000)),  # Discord, America/Tijuana
    ("2020-07-30T15:12:34-07:00", utc(2020, 7, 30, 22, 12, 34)),  # Slack
    ("2026-07-09T19:25:56Z", utc(2026, 7, 9, 19, 25, 56)),  # incident.io
])
def test_iso_with_z_and_offsets(value, expected):
    assert parse_iso(value) == expected


def test_dates_at_the_edge_of_the_calendar_are_a_parse_error():
    for value in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        with pytest.raises(ParseError, match="out of range"):
            parse_iso(value)
    with pytest.raises(ParseError):
        parse_js_date("Mon Jan 01 0001 00:30:00 GMT+0100")


def test_naive_iso_is_refused():
    with pytest.raises(ParseError, match="without a time zone"):
        parse_iso("2020-04-02T20:37:08")


def test_instatus_javascript_dates():
    assert parse_js_date("Sat Jun 11 2022 18:55:50 GMT+0000 (Coordinated Universal Time)") == utc(2022, 6, 11, 18, 55, 50)
    assert parse_js_date("Mon Oct 24 2022 23:37:00 GMT-0700 (Pacific Daylight Time)") == utc(2022, 10, 25, 6, 37)
    assert parse_js_date("Tue Oct 25 2022 08:37:00 GMT+0200") == utc(2022, 10, 25, 6, 37)


def test_apple_dates_in_cupertino_time():
    # The TestFlight event in the real developer capture: epochStartDate 1581363900000.
    assert parse_apple("02/10/2020 11:45 PST") == parse_epoch(1581363900000) == utc(2020, 2, 10, 19, 45)
    assert parse_apple("07/01/2022 09:00 PDT") == utc(2022, 7, 1, 16, 0)
    with pytest.raises(ParseError):
        parse_apple("13/45/2020 11:45 PST")
    with pytest.raises(ParseError):
        parse_apple("02/10/2020 11:45 XYZ")


def test_epoch_seconds_and_milliseconds():
    assert parse_epoch(1581363900) == parse_epoch("1581363900000")
    for bad in (None, True, "soon", -5, float("nan"), 1e30):
        with pytest.raises(ParseError):
            parse_epoch(bad)


@given(st.one_of(st.text(max_size=80), st.integers(), st.floats(), st.none(), st.binary(max_size=20),
                 st.lists(st.integers(), max_size=3)))
def test_any_value_either_parses_to_utc_or_raises_parse_error(value):
    try:
        parsed = parse_any(value)
    except ParseError:
        return
    assert parsed.tzinfo is not None and parsed.utcoffset().total_seconds() == 0
