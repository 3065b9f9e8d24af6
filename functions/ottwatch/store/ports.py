"""What the application needs from storage. DynamoDB implements it; tests and `poll --once` use memory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ottwatch.domain.models import Observation, ServiceStatus
from ottwatch.domain.transitions import Decision


class VersionConflict(Exception):
    """Another writer stored a newer version first; re-read and decide again."""


@dataclass(frozen=True)
class SourceState:
    """What the collector remembers about one source between runs (conditional GET, last good reading)."""

    service: str
    source: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    last_good: Observation | None = None
    last_error: str | None = None
    fetched_at: datetime | None = None


class StatusRepository(Protocol):
    def get_status(self, service: str) -> ServiceStatus | None: ...

    def get_statuses(self, services: list[str]) -> dict[str, ServiceStatus]: ...

    def apply(self, decision: Decision) -> None:
        """Store a transition (status + history) or refresh; raise VersionConflict if it lost a race."""

    def history(self, service: str, limit: int = 50) -> list[dict]: ...

    def get_source_states(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], SourceState]: ...

    def put_source_states(self, states: list[SourceState]) -> None: ...
