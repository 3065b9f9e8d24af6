"""The SNS message a subscriber receives: body, attributes, texts, and its published schema."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from ottwatch.domain.fusion import fuse
from ottwatch.domain.models import Incident, Observation
from ottwatch.domain.status import State
from ottwatch.publish.message import TransitionMessage

SCHEMA = Path(__file__).parents[2] / "docs" / "sns-message.schema.json"


def transition(now, state, previous_state):
    obs = Observation(service="github", source="statuspage", state=state, observed_at=now,
                      incidents=(Incident(name="Incident with Git <b>Operations</b>", status="investigating",
                                          impact="critical"),))
    previous = None
    if previous_state:
        previous = fuse("github", "GitHub", [Observation(state=previous_state, observed_at=now - timedelta(hours=1))],
                        now - timedelta(hours=1), country="IT").model_copy(update={"version": 4})
    status = fuse("github", "GitHub", [obs], now, previous=previous, country="IT")
    return status.model_copy(update={"version": 5})


def test_outage_message(now):
    msg = TransitionMessage.from_status(transition(now, State.MAJOR_OUTAGE, State.OPERATIONAL))
    body = json.loads(msg.body())
    assert body["event_type"] == "status_changed" and body["severity"] == 4 and body["version"] == 5
    # Vendor text travels as plain data; rendering it safely is the subscriber's job (banner: textContent).
    assert body["detail"] == "Incident with Git <b>Operations</b> (investigating)"
    assert body["texts"] == {
        "it": "GitHub non è disponibile dalle 10:00 UTC. Il problema è di GitHub, non della nostra rete.",
        "en": "GitHub has been down since 10:00 UTC. The problem is on GitHub's side, not our network.",
    }
    assert msg.attributes()["severity"] == {"DataType": "Number", "StringValue": "4"}


def test_recovery_and_first_status_texts(now):
    recovered = TransitionMessage.from_status(transition(now, State.OPERATIONAL, State.PARTIAL_OUTAGE))
    assert recovered.texts["en"] == "GitHub is working normally again."
    assert recovered.texts["it"] == "GitHub funziona di nuovo regolarmente."
    first = TransitionMessage.from_status(transition(now, State.OPERATIONAL, None))
    assert first.event_type == "status_initialised"
    assert first.attributes()["previous_state"]["StringValue"] == "none"
    maintenance = TransitionMessage.from_status(transition(now, State.UNDER_MAINTENANCE, State.OPERATIONAL))
    assert "non della nostra rete" not in maintenance.texts["it"]  # planned work is not a fault
    unknown = TransitionMessage.from_status(transition(now, State.UNKNOWN, State.OPERATIONAL))
    assert unknown.severity == -1


def test_every_attribute_fits_sns_limits(now):
    attrs = TransitionMessage.from_status(transition(now, State.PARTIAL_OUTAGE, State.OPERATIONAL)).attributes()
    assert set(attrs) == {"service", "state", "previous_state", "severity", "country", "event_type"}
    assert all(a["StringValue"] for a in attrs.values())


def test_published_schema_matches_the_code():
    assert json.loads(SCHEMA.read_text()) == TransitionMessage.model_json_schema(), (
        "docs/sns-message.schema.json is out of date: regenerate it from TransitionMessage.model_json_schema()")
