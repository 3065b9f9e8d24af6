"""Domain models. Pure: no I/O, no clock reads (callers pass `now`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ottwatch.domain.status import State


class SignalClass(StrEnum):
    OFFICIAL = "official"
    CROWD = "crowd"
    PROBE = "probe"
    OPERATOR = "operator"


class Component(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    state: State
    raw_status: str
    group: str | None = None


class Incident(BaseModel):
    """An unresolved incident or an active/upcoming maintenance, as the vendor words it (untrusted text)."""

    model_config = ConfigDict(frozen=True)

    name: str
    status: str
    impact: str
    url: str | None = None
    started_at: datetime | None = None
    scheduled_until: datetime | None = None


class Observation(BaseModel):
    """What one source said about one service, at one time.

    A source that could not be read yields state UNKNOWN with `error` set. A source that failed after
    earlier successes may carry its last good reading with `error` set: `observed_at` is then the time
    of that reading, so fusion can tell fresh evidence from stale.
    """

    model_config = ConfigDict(frozen=True)

    service: str = ""
    source: str = ""
    signal_class: SignalClass = SignalClass.OFFICIAL
    state: State
    raw_status: str = ""
    description: str | None = None
    observed_at: datetime
    reported_at: datetime | None = None
    components: tuple[Component, ...] = ()
    incidents: tuple[Incident, ...] = ()
    error: str | None = None
    # Crowd signals: the detector's 0-1 anomaly score (how far reports are above the usual for the hour).
    score: float | None = None


class Evidence(BaseModel):
    """The short form of an observation kept with a status (stored, published, served)."""

    model_config = ConfigDict(frozen=True)

    source: str
    signal_class: SignalClass
    state: State
    observed_at: datetime
    detail: str | None = None
    error: str | None = None
    stale: bool = False


Verdict = Literal["provider", "none", "unknown"]


class ServiceStatus(BaseModel):
    """The fused status of one service: what the API serves and what SNS announces."""

    model_config = ConfigDict(frozen=True)

    service: str
    name: str
    state: State
    # The state before the last transition (None before the first one).
    previous_state: State | None = None
    confidence: float = Field(ge=0.0, le=1.0)
    since: datetime
    updated_at: datetime
    evidence: tuple[Evidence, ...] = ()
    # "provider": the fault is the OTT's, not the operator's network; "none": nothing wrong;
    # "unknown": no fresh evidence either way.
    verdict: Verdict
    version: int = 0
    country: str = "*"

    def same_assessment(self, other: ServiceStatus | None) -> bool:
        """True when nothing a reader would notice differs (timestamps aside)."""
        if other is None:
            return False
        return (
            self.state == other.state
            and abs(self.confidence - other.confidence) < 1e-9
            and self.verdict == other.verdict
            and _evidence_key(self.evidence) == _evidence_key(other.evidence)
        )


def _evidence_key(evidence: tuple[Evidence, ...]) -> tuple:
    return tuple((e.source, e.state, e.detail, e.error, e.stale) for e in evidence)
