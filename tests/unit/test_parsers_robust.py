"""Every registered parser, fed anything at all: it returns one serialisable observation or raises
ParseError (which makes the source stale) — never any other exception."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ottwatch.sources.base import ParseError
from ottwatch.sources.registry import KINDS

# The least each kind's catalog entry needs.
EXTRA = {"google": {"products": ["Gmail"]}, "html": {"down_phrases": ["is down"], "ok_phrases": ["is up"]}}
FETCHED = sorted(name for name, kind in KINDS.items() if kind.parse)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=25,
)
# Objects that reuse the keys real payloads have, so the parsers get past their first check.
REAL_KEYS = ["status", "components", "incidents", "scheduled_maintenances", "page", "result", "status_overall",
             "active_incidents", "services", "events", "current", "activeIncidents", "affected_products", "end",
             "indicator", "impact", "name", "statusType", "eventStatus", "status_code", "containers"]
shaped = st.recursive(
    json_values,
    lambda inner: st.dictionaries(st.sampled_from(REAL_KEYS), inner, max_size=6) | st.lists(inner, max_size=3),
    max_leaves=30,
)


def spec_for(name: str):
    return KINDS[name].spec.model_validate({"kind": name, "url": "https://status.example/x", **EXTRA.get(name, {})})


def check(name: str, payload: bytes, now) -> None:
    try:
        observations = KINDS[name].parse(payload, now, spec_for(name))
    except ParseError:
        return
    assert len(observations) == 1
    observations[0].model_dump_json()  # storable and publishable as it stands


@pytest.mark.parametrize("name", FETCHED)
@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=300))
def test_any_bytes(name, payload, now):
    check(name, payload, now)


@pytest.mark.parametrize("name", FETCHED)
@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=shaped)
def test_any_json_shaped_like_a_status_page(name, doc, now):
    check(name, json.dumps(doc).encode(), now)
