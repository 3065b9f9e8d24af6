"""Crowd signals for fusion: problem reports (and the operator's own call volumes) per (service, country),
run through the detector each collection, its state kept in DynamoDB between runs.

Closed 15-minute windows update the detector; the window still open is only peeked at, scaled to a full
window once 5 minutes have passed, so an outage shows within minutes, not at the end of the window.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from ottwatch.domain.crowd import CrowdDetector, Detection, DetectorConfig, Level
from ottwatch.domain.models import Observation, SignalClass
from ottwatch.domain.reports import BUCKET, bucket_start
from ottwatch.domain.status import State
from ottwatch.store.crowd import CrowdRepository
from ottwatch.store.ports import VersionConflict

logger = logging.getLogger("ottwatch.crowd")

LEVEL_STATES = {
    Level.NONE: State.OPERATIONAL,
    Level.POSSIBLE: State.DEGRADED_PERFORMANCE,
    # A crowd alone makes at most a probable (partial) outage; fusion needs a second class for more.
    Level.CONFIRMED: State.PARTIAL_OUTAGE,
}
PEEK_AFTER = timedelta(minutes=5)
# A detector seen for the first time starts with this much history (the rest it learns as it goes).
FIRST_LOOK_BACK = timedelta(days=7)
# After a gap (the collector was down), windows older than this are not replayed one by one.
MAX_CATCH_UP = timedelta(days=2)


class CrowdSignals:
    def __init__(self, repo: CrowdRepository, country: str, config: DetectorConfig | None = None) -> None:
        self.repo = repo
        self.country = country
        self.config = config

    def observe(self, service: str, now: datetime) -> list[Observation]:
        observations = []
        for signal in ("reports", "operator"):
            observation = self._observe(service, signal, now)
            if observation is not None:
                observations.append(observation)
        return observations

    def _observe(self, service: str, signal: str, now: datetime) -> Observation | None:
        state, last, version = self.repo.get_detector(service, self.country, signal)
        current = bucket_start(now)
        start = (last + BUCKET) if last else current - FIRST_LOOK_BACK
        start = max(start, current - MAX_CATCH_UP)
        values = self._values(service, signal, start, current)
        if state is None and not any(values.values()):
            return None  # nobody ever reported this service here: no crowd evidence either way
        detector = CrowdDetector.from_state(state, self.config) if state else CrowdDetector(self.config)

        latest: Detection | None = None
        window = start
        while window < current:  # closed windows, in order, missing ones as zero reports
            latest = detector.update(window, float(values.get(window, 0)))
            window += BUCKET
        if window > start:
            try:
                self.repo.put_detector(service, self.country, signal, detector.to_state(), window - BUCKET, version)
            except VersionConflict:
                logger.info("detector advanced by another collector: %s/%s", service, signal)
        if now - current >= PEEK_AFTER:
            elapsed = (now - current) / BUCKET
            projected = values.get(current, 0) / elapsed
            latest = CrowdDetector.from_state(detector.to_state(), self.config).update(current, projected)
        if latest is None:
            return None
        return self._observation(signal, latest, now)

    def _values(self, service: str, signal: str, start: datetime, end: datetime) -> dict[datetime, float]:
        if signal == "reports":
            return {w: c.reporters for w, c in self.repo.windows(service, self.country, start, end).items()}
        volumes = self.repo.operator_volumes(service, self.country, start, end)
        return {bucket_start(t): float(v) for t, v in volumes.items()}

    @staticmethod
    def _observation(signal: str, detection: Detection, now: datetime) -> Observation:
        what = "problem reports" if signal == "reports" else "operator calls/tickets"
        return Observation(
            source=f"crowd_{signal}",
            signal_class=SignalClass.CROWD,
            state=LEVEL_STATES[detection.level],
            raw_status=f"{detection.level.value} score={detection.anomaly_score:.2f}",
            description=f"{detection.value:.0f} {what} per 15 min (usual {detection.expected:.0f})",
            observed_at=now,
            score=detection.anomaly_score,
        )
