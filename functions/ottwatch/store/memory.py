"""An in-process StatusRepository with the same semantics as DynamoDB's (for `poll --once` and unit tests)."""

from __future__ import annotations

import threading

from ottwatch.domain.models import ServiceStatus
from ottwatch.domain.transitions import Change, Decision
from ottwatch.store.ports import SourceState, VersionConflict


class MemoryRepository:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.statuses: dict[str, ServiceStatus] = {}
        self.transitions: dict[str, list[dict]] = {}
        self.sources: dict[tuple[str, str], SourceState] = {}

    def get_status(self, service: str) -> ServiceStatus | None:
        return self.statuses.get(service)

    def get_statuses(self, services: list[str]) -> dict[str, ServiceStatus]:
        return {s: self.statuses[s] for s in services if s in self.statuses}

    def apply(self, decision: Decision) -> None:
        if decision.change is Change.NONE:
            return
        status = decision.status
        with self._lock:
            current = self.statuses.get(status.service)
            if (current.version if current else 0) != decision.seen_version:
                raise VersionConflict(status.service)
            self.statuses[status.service] = status
            if decision.change is Change.TRANSITION:
                previous = status.previous_state.value if status.previous_state else None
                self.transitions.setdefault(status.service, []).append(
                    {"version": status.version, "state": status.state.value, "previous_state": previous,
                     "at": status.since.isoformat(), "confidence": status.confidence}
                )

    def history(self, service: str, limit: int = 50) -> list[dict]:
        return list(reversed(self.transitions.get(service, [])))[:limit]

    def get_source_states(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], SourceState]:
        return {k: self.sources[k] for k in keys if k in self.sources}

    def put_source_states(self, states: list[SourceState]) -> None:
        for state in states:
            self.sources[(state.service, state.source)] = state
