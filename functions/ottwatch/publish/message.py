"""The SNS message for one status transition: a JSON body plus attributes for filter policies.

Schema (version 1), published for subscribers as docs/sns-message.schema.json (see README):
body: {schema_version, event_type, service, name, state, previous_state, severity, confidence, since,
       version, verdict, country, detail, texts: {it, en}}
attributes: service, state, previous_state, event_type, country (String); severity (Number).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ottwatch.domain.models import ServiceStatus
from ottwatch.domain.status import State
from ottwatch.domain.texts import short_texts

SCHEMA_VERSION = 1
EventType = Literal["status_changed", "status_initialised"]


class TransitionMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    schema_version: int = SCHEMA_VERSION
    event_type: EventType
    service: str
    name: str
    state: State
    previous_state: State | None
    severity: int
    confidence: float
    since: datetime
    version: int
    verdict: str
    country: str
    detail: str | None = None
    texts: dict[str, str]

    @classmethod
    def from_status(cls, status: ServiceStatus) -> TransitionMessage:
        detail = next((e.detail for e in status.evidence if e.detail and e.state == status.state), None)
        return cls(
            # The very first status of a service is not news for an IVR: subscribers can filter it out.
            event_type="status_changed" if status.previous_state is not None else "status_initialised",
            service=status.service,
            name=status.name,
            state=status.state,
            previous_state=status.previous_state,
            severity=status.state.severity,
            confidence=status.confidence,
            since=status.since,
            version=status.version,
            verdict=status.verdict,
            country=status.country,
            detail=detail,
            texts=short_texts(status.name, status.state, status.previous_state, status.since),
        )

    def body(self) -> str:
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))

    def attributes(self) -> dict[str, dict[str, Any]]:
        def string(value: str) -> dict[str, str]:
            return {"DataType": "String", "StringValue": value}

        return {
            "service": string(self.service),
            "state": string(self.state.value),
            "previous_state": string(self.previous_state.value if self.previous_state else "none"),
            "severity": {"DataType": "Number", "StringValue": str(self.severity)},
            "country": string(self.country),
            "event_type": string(self.event_type),
        }
