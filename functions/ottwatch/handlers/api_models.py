"""HTTP response models: what /v1/status serves (also the source of the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from ottwatch.domain.models import Evidence, ServiceStatus
from ottwatch.domain.status import State


class StatusOut(BaseModel):
    service: str = Field(description="catalog id, e.g. 'github'")
    name: str
    state: State
    previous_state: State | None = None
    severity: int = Field(description="-1 unknown, 0 operational … 4 major_outage")
    confidence: float
    since: datetime | None = Field(None, description="when the current state began; null if never checked")
    updated_at: datetime | None = Field(None, description="when a collector last confirmed it")
    verdict: str = Field(description="'provider' when the fault is the service's, not the network's")
    version: int
    country: str
    evidence: list[Evidence] = []

    @classmethod
    def from_status(cls, s: ServiceStatus) -> StatusOut:
        return cls(service=s.service, name=s.name, state=s.state, previous_state=s.previous_state,
                   severity=s.state.severity, confidence=s.confidence, since=s.since, updated_at=s.updated_at,
                   verdict=s.verdict, version=s.version, country=s.country, evidence=list(s.evidence))

    @classmethod
    def never_checked(cls, service: str, name: str, country: str) -> StatusOut:
        return cls(service=service, name=name, state=State.UNKNOWN, severity=-1, confidence=0.0,
                   verdict="unknown", version=0, country=country)


class StatusList(BaseModel):
    services: list[StatusOut]
