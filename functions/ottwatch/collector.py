"""One collection: fetch every source, parse, fuse per service, store what changed.

Uses ports only (a fetcher, a repository, a clock), so the same code runs in Lambda, in `ottwatch serve`,
in `ottwatch poll --once` (memory repository) and in tests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from ottwatch.catalog import Catalog, ServiceSpec, SourceSpec
from ottwatch.domain.fusion import fuse
from ottwatch.domain.models import Observation, ServiceStatus
from ottwatch.domain.status import State
from ottwatch.domain.transitions import Change, decide
from ottwatch.sources.errors import ParseError
from ottwatch.sources.fetch import FetchRequest, FetchResult
from ottwatch.sources.registry import PARSERS
from ottwatch.store.ports import SourceState, StatusRepository, VersionConflict

logger = logging.getLogger("ottwatch.collector")

MAX_WRITE_ATTEMPTS = 3


class FetchPort(Protocol):
    def fetch_all(self, reqs: list[FetchRequest]) -> list[FetchResult]: ...


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class CollectionReport:
    statuses: list[ServiceStatus] = field(default_factory=list)
    transitions: list[ServiceStatus] = field(default_factory=list)
    source_errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Slot:
    service: ServiceSpec
    spec: SourceSpec
    source: str


class Collector:
    def __init__(self, catalog: Catalog, fetcher: FetchPort, repo: StatusRepository,
                 clock: Callable[[], datetime] = utcnow, country: str = "*") -> None:
        self.catalog = catalog
        self.fetcher = fetcher
        self.repo = repo
        self.clock = clock
        self.country = country

    def run_once(self) -> CollectionReport:
        now = self.clock()
        slots = [
            _Slot(service, spec, source)
            for service in self.catalog.services
            for spec, source in zip(service.sources, service.source_ids(), strict=True)
        ]
        remembered = self.repo.get_source_states([(s.service.id, s.source) for s in slots])
        requests = []
        for slot in slots:
            prior = remembered.get((slot.service.id, slot.source))
            # Validators only help when we still hold the reading they validate.
            usable = prior is not None and prior.url == slot.spec.url and prior.last_good is not None
            requests.append(FetchRequest(slot.spec.url, prior.etag if usable else None,
                                         prior.last_modified if usable else None))
        results = self.fetcher.fetch_all(requests)

        report = CollectionReport()
        observations: dict[str, list[Observation]] = {s.id: [] for s in self.catalog.services}
        new_states = []
        for slot, result in zip(slots, results, strict=True):
            state, obs = self._read(slot, result, remembered.get((slot.service.id, slot.source)), now)
            new_states.append(state)
            observations[slot.service.id].append(obs)
            if state.last_error:
                report.source_errors[f"{slot.service.id}/{slot.source}"] = state.last_error
        self.repo.put_source_states(new_states)

        previous = self.repo.get_statuses(self.catalog.ids)
        for service in self.catalog.services:
            status, changed = self._store(service, observations[service.id], previous.get(service.id), now)
            report.statuses.append(status)
            if changed:
                report.transitions.append(status)
        return report

    def _read(self, slot: _Slot, result: FetchResult, prior: SourceState | None,
              now: datetime) -> tuple[SourceState, Observation]:
        ids = {"service": slot.service.id, "source": slot.source, "signal_class": slot.spec.signal_class}
        last_good = prior.last_good if prior and prior.url == slot.spec.url else None
        error = result.error
        observation = None
        if result.not_modified and last_good is not None:
            observation = last_good.model_copy(update={"observed_at": now})
        elif result.not_modified:
            error = "304 Not Modified without a cached copy"
        elif error is None:
            try:
                [observation, *_] = PARSERS[slot.spec.kind](result.body or b"", now)
                observation = observation.model_copy(update=ids)
            except ParseError as exc:
                error = f"unreadable {slot.spec.kind} payload: {exc}"
            except ValueError:
                error = f"unreadable {slot.spec.kind} payload: no observation"

        if observation is not None:
            last_good = observation
        elif last_good is not None:
            # Keep the last good reading, marked with the failure: fusion drops it once it is stale.
            observation = last_good.model_copy(update={"error": error})
        else:
            observation = Observation(**ids, state=State.UNKNOWN, observed_at=now, error=error)

        prior_error = prior.last_error if prior else None
        if error and error != prior_error:
            logger.warning("source failing: %s/%s %s: %s", slot.service.id, slot.source, slot.spec.url, error)
        elif prior_error and not error:
            logger.info("source recovered: %s/%s", slot.service.id, slot.source)

        # Validators must always describe `last_good`: a fresh readable response brings new ones; after a
        # failure (or an unreadable 200, whose ETag would make its garbage look unchanged) keep the old ones.
        if not error:
            validators = (result.etag, result.last_modified)
        else:
            validators = (prior.etag, prior.last_modified) if prior and last_good else (None, None)
        state = SourceState(
            service=slot.service.id, source=slot.source, url=slot.spec.url,
            etag=validators[0], last_modified=validators[1],
            last_good=last_good, last_error=error, fetched_at=now,
        )
        return state, observation

    def _store(self, service: ServiceSpec, observations: list[Observation], previous: ServiceStatus | None,
               now: datetime) -> tuple[ServiceStatus, bool]:
        for _ in range(MAX_WRITE_ATTEMPTS):
            fused = fuse(service.id, service.name, observations, now, previous=previous, country=self.country)
            decision = decide(fused, previous)
            try:
                self.repo.apply(decision)
            except VersionConflict:
                # Another collector wrote first: decide again against what it stored.
                previous = self.repo.get_status(service.id)
                continue
            if decision.change is Change.TRANSITION:
                logger.info("transition: %s %s -> %s (v%d)", service.id,
                            decision.previous.state if decision.previous else "none",
                            decision.status.state, decision.status.version)
            return decision.status, decision.change is Change.TRANSITION
        raise RuntimeError(f"{service.id}: lost {MAX_WRITE_ATTEMPTS} write races in a row")
