"""One collection: read every source, fuse per service, store what changed.

Uses ports only (a fetcher, a repository, a clock), so the same code runs in Lambda, in `ottwatch serve`,
in `ottwatch poll --once` (memory repository) and in tests. Fetched kinds are GET concurrently by the
fetcher (conditional GET from what the repository remembers); probes run concurrently beside them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from ottwatch.catalog import Catalog, ServiceSpec
from ottwatch.domain.fusion import discount_blind_probes, fuse
from ottwatch.domain.models import Observation, ServiceStatus
from ottwatch.domain.status import State
from ottwatch.domain.transitions import Change, decide
from ottwatch.sources.base import ParseError, SourceBase
from ottwatch.sources.fetch import FetchRequest, FetchResult
from ottwatch.sources.registry import KINDS, ProbeContext
from ottwatch.store.ports import SourceState, StatusRepository, VersionConflict

logger = logging.getLogger("ottwatch.collector")

MAX_WRITE_ATTEMPTS = 3
PROBE_WORKERS = 32
# Google's incidents.json carries every incident of the past year (1.35 MB for Cloud in 2022).
MAX_BODY_BYTES = 8 * 1024 * 1024


class FetchPort(Protocol):
    def fetch_all(self, reqs: list[FetchRequest]) -> list[FetchResult]: ...


class CrowdPort(Protocol):
    def observe(self, service: str, now: datetime) -> list[Observation]: ...


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
    spec: SourceBase
    source: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.service.id, self.source)


@dataclass(frozen=True)
class _Reading:
    """What one source gave this run: observations, or an error; and the validators to keep."""

    observations: tuple[Observation, ...] = ()
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None


class Collector:
    def __init__(self, catalog: Catalog, fetcher: FetchPort, repo: StatusRepository,
                 clock: Callable[[], datetime] = utcnow, country: str = "*", allow_private: bool = False,
                 crowd: CrowdPort | None = None) -> None:
        self.catalog = catalog
        self.crowd = crowd
        self.fetcher = fetcher
        self.repo = repo
        self.clock = clock
        self.country = country
        self.probe_context = ProbeContext(fetcher=fetcher, allow_private=allow_private)

    def run_once(self) -> CollectionReport:
        now = self.clock()
        slots = [
            _Slot(service, spec, source)
            for service in self.catalog.services
            for spec, source in zip(service.sources, service.source_ids(), strict=True)
        ]
        remembered = self.repo.get_source_states([s.key for s in slots])
        fetched = [s for s in slots if KINDS[s.spec.kind].parse]
        probed = [s for s in slots if KINDS[s.spec.kind].probe]
        with ThreadPoolExecutor(max_workers=PROBE_WORKERS, thread_name_prefix="ottwatch-probe") as pool:
            pending = [pool.submit(self._probe, s, now) for s in probed]
            results = self.fetcher.fetch_all([self._request(s, remembered.get(s.key)) for s in fetched])
            readings = {s.key: self._interpret(s, r, remembered.get(s.key), now) for s, r in zip(fetched, results)}
            readings |= {s.key: f.result() for s, f in zip(probed, pending)}

        report = CollectionReport()
        observations: dict[str, list[Observation]] = {s.id: [] for s in self.catalog.services}
        new_states = []
        for slot in slots:
            state, observed = self._remember(slot, readings[slot.key], remembered.get(slot.key), now)
            new_states.append(state)
            observations[slot.service.id] += observed
            if state.last_error:
                report.source_errors[f"{slot.service.id}/{slot.source}"] = state.last_error
        self.repo.put_source_states(new_states)
        observations = discount_blind_probes(observations)
        if self.crowd is not None:
            for service in self.catalog.services:
                observations[service.id] += self._crowd(service.id, now)

        previous = self.repo.get_statuses(self.catalog.ids)
        for service in self.catalog.services:
            status, changed = self._store(service, observations[service.id], previous.get(service.id), now)
            report.statuses.append(status)
            if changed:
                report.transitions.append(status)
        return report

    # -- reading sources ------------------------------------------------------------------------
    @staticmethod
    def _request(slot: _Slot, prior: SourceState | None) -> FetchRequest:
        # Validators only help when we still hold the reading they validate.
        usable = prior is not None and prior.url == slot.spec.target and prior.last_good is not None
        return FetchRequest(slot.spec.target, prior.etag if usable else None, prior.last_modified if usable else None)

    def _interpret(self, slot: _Slot, result: FetchResult, prior: SourceState | None, now: datetime) -> _Reading:
        if result.error:
            return _Reading(error=result.error)
        if result.not_modified:
            last_good = prior.last_good if prior else None
            if last_good is None:
                return _Reading(error="304 Not Modified without a cached copy")
            return _Reading((last_good.model_copy(update={"observed_at": now}),), None, result.etag,
                            result.last_modified)
        try:
            observations = KINDS[slot.spec.kind].parse(result.body or b"", now, slot.spec)
        except ParseError as exc:
            return _Reading(error=f"unreadable {slot.spec.kind} payload: {exc}")
        if not observations:
            return _Reading(error=f"unreadable {slot.spec.kind} payload: no observation")
        # One observation per source (parsers aggregate); it is what a 304 will later stand for.
        return _Reading((observations[0],), None, result.etag, result.last_modified)

    def _probe(self, slot: _Slot, now: datetime) -> _Reading:
        try:
            observations = KINDS[slot.spec.kind].probe(slot.spec, now, self.probe_context)
        except Exception as exc:  # noqa: BLE001 - a probe's bug must not stop the collection
            logger.exception("probe crashed: %s/%s", slot.service.id, slot.source)
            return _Reading(error=f"probe failed: {type(exc).__name__}")
        if not observations or (observations[0].error and not observations[0].state.is_known):
            return _Reading(error=observations[0].error if observations else "probe gave no observation")
        return _Reading((observations[0],))

    def _remember(self, slot: _Slot, reading: _Reading, prior: SourceState | None,
                  now: datetime) -> tuple[SourceState, list[Observation]]:
        ids = {"service": slot.service.id, "source": slot.source,
               "signal_class": KINDS[slot.spec.kind].signal_class}
        error = reading.error
        last_good = prior.last_good if prior and prior.url == slot.spec.target else None
        if reading.observations:
            observed = [reading.observations[0].model_copy(update=ids)]
            last_good = observed[0]
        elif last_good is not None:
            # Keep the last good reading, marked with the failure: fusion drops it once it is stale.
            observed = [last_good.model_copy(update={"error": error})]
        else:
            observed = [Observation(**ids, state=State.UNKNOWN, observed_at=now, error=error)]

        prior_error = prior.last_error if prior else None
        if error and error != prior_error:
            logger.warning("source failing: %s/%s %s: %s", slot.service.id, slot.source, slot.spec.target, error)
        elif prior_error and not error:
            logger.info("source recovered: %s/%s", slot.service.id, slot.source)

        # Validators must always describe `last_good`: a fresh readable response brings new ones; after a
        # failure (or an unreadable 200, whose ETag would make its garbage look unchanged) keep the old ones.
        if not error:
            validators = (reading.etag, reading.last_modified)
        else:
            validators = (prior.etag, prior.last_modified) if prior and last_good else (None, None)
        state = SourceState(service=slot.service.id, source=slot.source, url=slot.spec.target,
                            etag=validators[0], last_modified=validators[1], last_good=last_good,
                            last_error=error, fetched_at=now)
        return state, observed

    def _crowd(self, service: str, now: datetime) -> list[Observation]:
        try:
            return [o.model_copy(update={"service": service}) for o in self.crowd.observe(service, now)]
        except Exception as exc:  # noqa: BLE001 - missing crowd evidence must not stop the official evidence
            logger.warning("crowd signal unavailable for %s: %s: %s", service, type(exc).__name__, exc)
            return []

    # -- storing ---------------------------------------------------------------------------------
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
