"""Crowd signals in the collector's loop, with a fake repository replaying the simulated WhatsApp outage
(Italy, 25 Oct 2022): the detector's state survives between runs, the outage is seen within minutes, a
crowd alone makes a probable outage and crowd + probes a major one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ottwatch.crowd_signal import CrowdSignals
from ottwatch.domain.fusion import fuse
from ottwatch.domain.models import Observation, SignalClass
from ottwatch.domain.reports import BUCKET, WindowCount
from ottwatch.domain.simulate import whatsapp_italy_2022
from ottwatch.domain.status import State
from ottwatch.store.ports import VersionConflict

ONSET = datetime(2022, 10, 25, 6, 37, tzinfo=UTC)


class FakeCrowdRepository:
    """Windows as the ingest handler would have counted them, up to the moment `now` reaches."""

    def __init__(self, series: list[tuple[datetime, float]]) -> None:
        self.series = dict(series)
        self.now = None
        self.detectors: dict = {}
        self.writes = 0

    def windows(self, service, country, start, end):
        return {t: WindowCount(bucket=t, reporters=int(v * self._seen(t)), raw=int(v))
                for t, v in self.series.items() if start <= t <= end and t <= self.now}

    def _seen(self, window: datetime) -> float:
        """The share of a window's reports that has arrived by `now` (the open window fills up)."""
        return min(1.0, (self.now - window) / BUCKET)

    def operator_volumes(self, service, country, start, end):
        return {}

    def get_detector(self, service, country, signal):
        return self.detectors.get((service, country, signal), (None, None, 0))

    def put_detector(self, service, country, signal, state, last_window, seen_version):
        if self.detectors.get((service, country, signal), (None, None, 0))[2] != seen_version:
            raise VersionConflict(signal)
        self.writes += 1
        self.detectors[(service, country, signal)] = (state, last_window, seen_version + 1)


def run_until(repo: FakeCrowdRepository, signals: CrowdSignals, start: datetime, end: datetime,
              every=timedelta(minutes=1)) -> list[tuple[datetime, Observation]]:
    seen, now = [], start
    while now <= end:
        repo.now = now
        seen += [(now, o) for o in signals.observe("whatsapp", now)]
        now += every
    return seen


def test_the_whatsapp_outage_is_a_probable_outage_within_minutes_and_clears():
    repo = FakeCrowdRepository(whatsapp_italy_2022(warmup_days=7, after_days=1))
    signals = CrowdSignals(repo, "IT")
    quiet = run_until(repo, signals, ONSET - timedelta(hours=3), ONSET - timedelta(minutes=1), timedelta(minutes=15))
    assert {o.state for _, o in quiet} == {State.OPERATIONAL}

    during = run_until(repo, signals, ONSET, ONSET + timedelta(hours=1))
    first = next(t for t, o in during if o.state is State.PARTIAL_OUTAGE)
    assert first - ONSET <= timedelta(minutes=30), first
    raised = next(o for t, o in during if t == first)
    assert raised.signal_class is SignalClass.CROWD and raised.score >= 0.5
    assert "problem reports per 15 min" in raised.description

    after = run_until(repo, signals, ONSET + timedelta(hours=4), ONSET + timedelta(hours=6), timedelta(minutes=15))
    assert after[-1][1].state is State.OPERATIONAL
    # Closed windows were fed once each, the state written once per new window, not once a minute.
    assert repo.writes <= (6 * 60 + 3 * 60) // 15 + 3


def test_crowd_alone_is_probable_crowd_and_probes_are_major(now=ONSET + timedelta(minutes=40)):
    repo = FakeCrowdRepository(whatsapp_italy_2022(warmup_days=7, after_days=0))
    repo.now = now
    [crowd] = [o.model_copy(update={"service": "whatsapp"}) for o in CrowdSignals(repo, "IT").observe("whatsapp", now)]
    alone = fuse("whatsapp", "WhatsApp", [crowd], now)
    assert alone.state is State.PARTIAL_OUTAGE and alone.confidence <= 0.6
    probes = [Observation(service="whatsapp", source=s, signal_class=SignalClass.PROBE, state=State.MAJOR_OUTAGE,
                          observed_at=now) for s in ("http_probe", "dns_probe")]
    both = fuse("whatsapp", "WhatsApp", [crowd, *probes], now)
    assert both.state is State.MAJOR_OUTAGE and both.confidence == 0.85


def test_no_reports_ever_means_no_crowd_evidence():
    repo = FakeCrowdRepository([])
    repo.now = ONSET
    assert CrowdSignals(repo, "IT").observe("whatsapp", ONSET) == []
