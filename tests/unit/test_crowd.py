"""The crowd detector on simulated report counts (domain/simulate.py), its state round trip, and `detect`."""

from __future__ import annotations

import io
import json
import math
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from ottwatch.detect_cli import OUT_HEADER, run_detect
from ottwatch.domain.crowd import CrowdDetector, Detection, DetectorConfig, Direction, Level
from ottwatch.domain.simulate import (
    BUCKET,
    WHATSAPP_ITALY_2022,
    blip,
    ordinary_level,
    ordinary_traffic,
    poisson,
    whatsapp_italy_2022,
    with_outage,
)

SEEDS = range(6)
WEEK_START = datetime(2022, 10, 18, tzinfo=UTC)  # the week before the 2022 outage


def run(series, config: DetectorConfig | None = None) -> list[Detection]:
    detector = CrowdDetector(config)
    return [detector.update(t, v) for t, v in series]


# -- ordinary traffic and blips --------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_a_week_of_ordinary_traffic_raises_nothing(seed):
    detections = run(ordinary_traffic(WEEK_START, 7, seed=seed))
    assert len(detections) == 7 * 96
    raised = [(d.timestamp, d.value, d.expected) for d in detections if d.level is not Level.NONE]
    assert raised == []
    assert max(d.anomaly_score for d in detections) < 0.5


def test_ordinary_traffic_has_the_published_shape():
    series = ordinary_traffic(WEEK_START, 7, seed=1)
    by_hour: dict[int, list[float]] = {}
    for t, v in series:
        by_hour.setdefault(t.hour, []).append(v)
    mean = {h: sum(vs) / len(vs) for h, vs in by_hour.items()}
    assert 10 <= sum(mean.values()) / 24 <= 60  # "tens per 15 minutes"
    assert min(mean, key=mean.get) in (1, 2, 3)  # night low (04:00 CEST = 02:00 UTC)
    assert max(mean, key=mean.get) in (18, 19, 20)  # evening peak (21:00 CEST)
    assert series == ordinary_traffic(WEEK_START, 7, seed=1)  # a seed always gives the same series


@pytest.mark.parametrize("seed", SEEDS)
def test_a_3x_blip_for_15_minutes_is_not_confirmed(seed):
    at = datetime(2022, 10, 25, 20, 0, tzinfo=UTC)  # after a week, at the evening peak
    detections = run(blip(WEEK_START, 8, at, factor=3.0, seed=seed))
    assert not any(d.level is Level.CONFIRMED or d.alert for d in detections)
    assert all(d.level is Level.NONE for d in detections if d.timestamp != at)


def test_a_3x_blip_is_at_least_seen():
    at = datetime(2022, 10, 25, 20, 0, tzinfo=UTC)
    seen = [next(d for d in run(blip(WEEK_START, 8, at, seed=seed)) if d.timestamp == at) for seed in SEEDS]
    assert sum(d.level is Level.POSSIBLE for d in seen) >= len(seen) // 2


# -- the WhatsApp outage of 25 Oct 2022 ----------------------------------------------------------------
def test_the_simulated_outage_matches_the_published_figures():
    shape = WHATSAPP_ITALY_2022
    first_half_hour = sum(shape.rate_at(shape.onset + timedelta(seconds=s + 0.5)) for s in range(1800)) / 60
    assert first_half_hour == pytest.approx(20_000, rel=0.01)
    assert shape.onset == datetime(2022, 10, 25, 6, 37, tzinfo=UTC)
    assert shape.fix == datetime(2022, 10, 25, 8, 45, tzinfo=UTC)
    assert shape.rate_at(shape.fix + timedelta(hours=1)) == pytest.approx(0.05 * shape.rate)
    plateau = shape.fix - (shape.onset + shape.ramp)
    assert timedelta(hours=1, minutes=45) <= plateau <= timedelta(hours=2, minutes=15)
    series = dict(whatsapp_italy_2022(seed=0))
    ordinary = dict(ordinary_traffic(datetime(2022, 10, 18, tzinfo=UTC), 9, seed=0))
    excess = sum(series[t] - ordinary[t] for t in series)
    assert excess == pytest.approx(sum(shape.excess(t) for t in series), rel=0.01)


def _decay_end() -> datetime:
    """First bucket after the fix whose expected excess is within one Poisson sigma of ordinary traffic."""
    t = datetime(2022, 10, 25, 8, 45, tzinfo=UTC)
    while WHATSAPP_ITALY_2022.excess(t) > math.sqrt(ordinary_level(t)):
        t += BUCKET
    return t


@pytest.mark.parametrize("seed", SEEDS)
def test_whatsapp_italy_2022_is_confirmed_within_30_minutes_and_clears_after_the_decay(seed):
    detections = run(whatsapp_italy_2022(warmup_days=7, seed=seed))
    before = [d for d in detections if d.timestamp < datetime(2022, 10, 25, 6, 30, tzinfo=UTC)]
    assert all(d.level is Level.NONE for d in before), "the warm-up week raised something"

    confirmed = [d for d in detections if d.level is Level.CONFIRMED]
    first = confirmed[0]
    # The bucket is known when it closes: confirmed by 07:07 UTC at the latest (06:37 + 30 min).
    assert first.timestamp + BUCKET <= WHATSAPP_ITALY_2022.onset + timedelta(minutes=30)
    assert first.alert and first.anomaly_score > 0.99
    assert first.expected < 60  # the expectation is the ordinary one, not the outage

    # One episode, from the spike to the end of the decay; clear within an hour of the decay's end.
    episode = [d for d in detections if first.timestamp <= d.timestamp <= confirmed[-1].timestamp]
    assert all(d.level is Level.CONFIRMED for d in episode)
    assert confirmed[-1].timestamp >= WHATSAPP_ITALY_2022.fix + timedelta(minutes=30)
    cleared_by = _decay_end() + timedelta(hours=1)
    after = [d for d in detections if d.timestamp >= cleared_by]
    assert after and all(d.level is Level.NONE for d in after)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_baseline_does_not_learn_the_outage(seed):
    with_outage = run(whatsapp_italy_2022(seed=seed))
    without = run(ordinary_traffic(datetime(2022, 10, 18, tzinfo=UTC), 9, seed=seed))
    next_day = [(a, b) for a, b in zip(with_outage, without) if a.timestamp.date() == date(2022, 10, 26)]
    assert len(next_day) == 96
    assert all(a.level is Level.NONE for a, _ in next_day)
    for a, b in next_day:
        if 6 <= a.timestamp.hour < 12:  # the outage's slots, a day later
            usual = ordinary_level(a.timestamp)
            assert abs(a.expected - usual) <= 0.3 * usual, (a.timestamp, a.expected, usual)
            assert abs(a.expected - b.expected) <= 1.5 * math.sqrt(usual), (a.timestamp, a.expected, b.expected)


# -- gates, levels, scale ----------------------------------------------------------------------------------
def _quiet_then_10x() -> list[tuple[datetime, float]]:
    import random

    rng = random.Random(11)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    series = [(start + i * BUCKET, float(poisson(0.2, rng))) for i in range(8 * 96)]  # mean 0.2
    return series + [(start + (8 * 96 + i) * BUCKET, 2.0) for i in range(8)]  # 10x, for two hours


def test_min_volume_a_10x_rise_from_0_2_to_2_reports_raises_nothing():
    assert all(d.level is Level.NONE for d in run(_quiet_then_10x()))


def test_min_volume_is_the_gate_that_holds_without_the_poisson_model():
    """Without the count model and without the daily-peak yardstick, 0.2 -> 2 is many sigmas: only
    min_volume keeps it quiet."""
    series = _quiet_then_10x()
    measurement = DetectorConfig.generic(count_data=False, peak_return_days=0)
    assert run(series, measurement)[-1].level is Level.CONFIRMED
    assert all(d.level is Level.NONE for d in run(series, replace(measurement, min_volume=10.0)))


def test_the_generic_preset_judges_whole_numbers_as_counts_and_anything_else_as_a_measurement():
    series = _quiet_then_10x()  # whole numbers: Poisson counts of mean 0.2, then 2 for two hours
    detector = CrowdDetector(DetectorConfig.generic(peak_return_days=0))
    detections = [detector.update(t, v) for t, v in series]
    assert detector.to_state()["counts"] is True
    assert all(d.level is Level.NONE for d in detections)  # 2 reports where 0.2 are usual: Poisson says noise
    detector.update(series[-1][0] + BUCKET, 0.5)  # one fractional value: a measurement from now on
    restored = CrowdDetector.from_state(json.loads(json.dumps(detector.to_state())))
    assert restored.to_state()["counts"] is False
    restored.update(series[-1][0] + 2 * BUCKET, 1.0)
    assert restored.to_state()["counts"] is False  # and stays one


# -- the daily-peak yardstick ------------------------------------------------------------------------------
FIVE_MINUTES = timedelta(minutes=5)


def _bursty(days: int, seed: int, bursts_per_day: int = 3) -> list[tuple[datetime, float]]:
    """5-minute counts like mentions of a brand: a daily cycle around 50, Poisson noise, and a few one-row
    bursts of 4-8x every day (news, a viral post) that nobody would call an outage."""
    import random

    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(days * 288):
        level = 50.0 * (1.0 + 0.5 * math.sin(2 * math.pi * (i % 288) / 288))
        rows.append([start + i * FIVE_MINUTES, float(poisson(level, rng))])
    for day in range(days):
        for _ in range(bursts_per_day):
            row = rows[day * 288 + rng.randrange(288)]
            row[1] = float(round(row[1] * rng.uniform(4.0, 8.0)))
    return [(t, v) for t, v in rows]


def _alerts_after(detections: list[Detection], day: int) -> list[Detection]:
    first = detections[0].timestamp + timedelta(days=day)
    raised = [d for i, d in enumerate(detections) if d.alert and (i == 0 or not detections[i - 1].alert)]
    return [d for d in raised if d.timestamp >= first]


@pytest.mark.parametrize("seed", range(3))
def test_everyday_bursts_stop_alerting_once_the_daily_peaks_are_known_and_an_outage_still_alerts(seed):
    series = _bursty(21, seed)
    at = len(series) - 100
    series[at] = (series[at][0], series[at][1] * 40)  # a 40x spike on day 21: the anomaly
    fixed = run(series, DetectorConfig.generic(peak_return_days=0))
    yardstick = run(series, DetectorConfig.generic(peak_return_days=30))
    # Weeks 2 and 3: a fixed 4-sigma bar alerts on the everyday bursts; a once-a-month bar on a few at most.
    assert len(_alerts_after(fixed, 7)) >= 20
    assert len(_alerts_after(yardstick, 7)) <= 3
    assert yardstick[at].alert and fixed[at].alert


def test_a_quiet_series_keeps_the_configured_threshold():
    import random

    rng = random.Random(5)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    detector = CrowdDetector(DetectorConfig.generic())
    for i in range(14 * 288):
        detector.update(start + i * FIVE_MINUTES, 80.0 + rng.gauss(0.0, 1.0))
    assert len(detector.to_state()["peaks"]) == 12  # one per complete day judged (day 1 is the warm-up)
    assert detector.threshold < 5.0  # Gaussian daily peaks stay near 3 sigma: the 4-sigma floor rules


def test_outage_days_among_the_peaks_do_not_raise_the_bar():
    """Four 50x outages of two hours in five weeks (other weekdays and hours, so nothing recurs): each is
    alerted, and the bar after them is about what it would be without them (median and MAD of the daily
    peaks ignore the outage days)."""
    series = _bursty(35, seed=9, bursts_per_day=1)
    outage_rows = [6 * 288 + 150, 15 * 288 + 60, 24 * 288 + 220, 32 * 288 + 100]
    with_outages = list(series)
    for start in outage_rows:
        for i in range(start, start + 24):
            with_outages[i] = (with_outages[i][0], with_outages[i][1] * 50)
    detector, plain = CrowdDetector(DetectorConfig.generic()), CrowdDetector(DetectorConfig.generic())
    detections = [detector.update(t, v) for t, v in with_outages]
    for t, v in series:
        plain.update(t, v)
    assert all(any(d.alert for d in detections[start:start + 24]) for start in outage_rows)
    assert detector.threshold <= 1.5 * plain.threshold


def test_before_three_days_of_peaks_only_a_record_is_anomalous():
    import random

    rng = random.Random(3)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [(start + i * FIVE_MINUTES, 100.0 + rng.gauss(0.0, 2.0)) for i in range(3 * 288)]
    rows[288 + 100] = (rows[288 + 100][0], 160.0)  # day 2: a 30-sigma spike, the record
    detector = CrowdDetector(DetectorConfig.generic())
    detections = [detector.update(t, v) for t, v in rows[:2 * 288]]
    assert detections[288 + 100].alert  # judged against the 4-sigma floor: no day's peak is known yet
    assert detector.threshold == 4.0
    spike = detector.update(rows[2 * 288][0], 140.0)  # day 3 (day 2 filed): 20 sigma, below the record
    assert detector.threshold > 20.0 and not spike.alert
    later = detector.update(rows[2 * 288 + 1][0], 180.0)  # 40 sigma: a new record
    assert later.alert


def test_reports_announce_a_relapse_of_an_outage_even_when_it_is_smaller():
    """WhatsApp Italy 2022, then a relapse at a quarter of its rate five hours after the fix: a new flood of
    calls, so a second alert, although it is smaller than the outage the detector has just seen."""
    relapse_onset = WHATSAPP_ITALY_2022.fix + timedelta(hours=5)
    relapse = replace(WHATSAPP_ITALY_2022, onset=relapse_onset, rate=WHATSAPP_ITALY_2022.rate / 4,
                      fix=relapse_onset + timedelta(hours=1))
    series = with_outage(whatsapp_italy_2022(seed=3), relapse, seed=3)
    onsets = [d.timestamp for d in _alerts_after(run(series), 0)]
    assert len(onsets) == 2
    assert WHATSAPP_ITALY_2022.onset <= onsets[0] <= WHATSAPP_ITALY_2022.onset + timedelta(minutes=45)
    assert relapse_onset <= onsets[1] <= relapse_onset + timedelta(minutes=45)


def test_the_generic_preset_keeps_a_fortnight_of_daily_peaks():
    """Reports fit their once-a-month bar to four weeks of daily peaks; a generic metric to two, so its bar
    follows a series that turns calmer or burstier within a fortnight."""
    bursty, calm = _bursty(35, seed=2), _bursty(35, seed=2, bursts_per_day=0)
    series = bursty[:21 * 288] + calm[21 * 288:]  # three weeks of everyday bursts, then two calm weeks
    generic, month = CrowdDetector(DetectorConfig.generic()), CrowdDetector(DetectorConfig.generic(
        peak_history_days=28))
    for t, v in series:
        generic.update(t, v)
        month.update(t, v)
    assert len(generic.to_state()["peaks"]) == 14 and len(month.to_state()["peaks"]) == 28
    assert generic.threshold < month.threshold


def _persistent(days: int, phi: float, seed: int) -> list[tuple[datetime, float]]:
    """A temperature-like 5-minute series: a daily cycle plus AR(1) noise of coefficient `phi` (a warm spell
    lasts), marginal sigma 1."""
    import random

    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows, noise = [], 0.0
    for i in range(days * 288):
        noise = phi * noise + math.sqrt(1.0 - phi * phi) * rng.gauss(0.0, 1.0)
        rows.append((start + i * FIVE_MINUTES, 70.0 + 5.0 * math.sin(2 * math.pi * (i % 288) / 288) + noise))
    return rows


def test_persistence_is_learned_from_the_series_and_absent_from_report_counts():
    """A series whose deviations last (AR(1), phi 0.95) is judged against the expectation plus what carries
    over from the last interval; Poisson report counts have no persistence, so nothing carries over."""
    detector = CrowdDetector(DetectorConfig.generic())
    assert detector._phi() == 0.0
    for t, v in _persistent(10, phi=0.95, seed=4):
        detector.update(t, v)
    assert 0.8 <= detector._phi() <= 0.95
    counts = CrowdDetector()
    for t, v in ordinary_traffic(WEEK_START, 7, seed=1):
        counts.update(t, v)
    assert counts._phi() < 0.2
    restored = CrowdDetector.from_state(json.loads(json.dumps(detector.to_state())), DetectorConfig.generic())
    assert restored._phi() == detector._phi()


def test_levels_need_min_duration_consecutive_intervals():
    start = datetime(2024, 1, 1, tzinfo=UTC)
    series = [(start + i * BUCKET, 100.0 + (i % 7)) for i in range(3 * 96)]
    spikes = [(start + (3 * 96 + i) * BUCKET, 1000.0) for i in range(3)]
    levels = [d.level for d in run(series + spikes, DetectorConfig(min_duration=3))[-3:]]
    assert levels == [Level.POSSIBLE, Level.POSSIBLE, Level.CONFIRMED]


def test_direction_up_ignores_drops_and_both_sees_them():
    start = datetime(2024, 1, 1, tzinfo=UTC)
    series = [(start + i * BUCKET, 100.0 + (i % 7)) for i in range(3 * 96)]
    series += [(start + (3 * 96 + i) * BUCKET, 5.0) for i in range(4)]
    assert run(series)[-1].level is Level.NONE  # fewer reports is no outage
    assert run(series, DetectorConfig.generic())[-1].level is Level.CONFIRMED
    assert DetectorConfig.generic().direction is Direction.BOTH


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_generic_detector_is_scale_free(scale):
    """Latencies of 0.1, temperatures of 80, loads by the thousand: same decisions for measurements."""
    series = whatsapp_italy_2022(warmup_days=3, after_days=0, seed=3)
    measurement = DetectorConfig.generic(count_data=False)  # counts (whole numbers) have a scale by nature
    reference = [d.level for d in run(series, measurement)]
    scaled = [d.level for d in run([(t, v * scale) for t, v in series], measurement)]
    assert scaled == reference
    assert Level.CONFIRMED in reference


@pytest.mark.parametrize("minutes", [5, 15, 30])
def test_any_sampling_interval_is_inferred(minutes):
    bucket = timedelta(minutes=minutes)
    series = whatsapp_italy_2022(warmup_days=7, after_days=0, bucket=bucket, seed=2)
    detector = CrowdDetector()
    detections = [detector.update(t, v) for t, v in series]
    assert detector.interval == bucket
    confirmed = [d for d in detections if d.level is Level.CONFIRMED]
    assert confirmed and confirmed[0].timestamp < WHATSAPP_ITALY_2022.onset + timedelta(minutes=60)
    assert all(d.level is Level.NONE for d in detections if d.timestamp < datetime(2022, 10, 25, tzinfo=UTC))


def test_repeated_and_backward_timestamps_are_tolerated():
    start = datetime(2024, 1, 1)
    detector = CrowdDetector(DetectorConfig.generic())
    for i in range(300):
        detector.update(start + i * BUCKET, 10.0 + i % 3)
    detector.update(start + 299 * BUCKET, 11.0)  # a repeated row (clock change in a real export)
    detector.update(start + 290 * BUCKET, 11.0)  # and a backward one
    assert detector.interval == BUCKET
    assert detector.last_timestamp == (start + 299 * BUCKET).replace(tzinfo=UTC)
    with pytest.raises(ValueError):
        detector.update(start + 300 * BUCKET, math.nan)


def test_config_validation():
    with pytest.raises(ValueError):
        DetectorConfig(clear_threshold=5.0, threshold=4.0)
    with pytest.raises(ValueError):
        DetectorConfig(slot_minutes=7)
    with pytest.raises(ValueError):
        DetectorConfig(min_duration=0)
    with pytest.raises(ValueError):
        DetectorConfig(peak_return_days=0.5)  # a day's peak is exceeded every day: no yardstick
    with pytest.raises(ValueError):
        DetectorConfig(peak_min_days=40, peak_history_days=28)
    assert DetectorConfig(peak_return_days=0).peak_return_days == 0  # off
    assert DetectorConfig.from_dict(DetectorConfig.generic().to_dict()) == DetectorConfig.generic()


# -- state ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cut", [
    datetime(2022, 10, 24, 12, 0, tzinfo=UTC),  # ordinary traffic
    datetime(2022, 10, 25, 7, 0, tzinfo=UTC),  # mid-outage: CONFIRMED, baselines winsorised
    datetime(2022, 10, 25, 10, 30, tzinfo=UTC),  # in the decay, held by hysteresis
])
def test_state_round_trip_reproduces_the_remaining_detections_exactly(cut):
    series = whatsapp_italy_2022(warmup_days=7, after_days=2, seed=4)
    head = [row for row in series if row[0] < cut]
    tail = [row for row in series if row[0] >= cut]
    original = CrowdDetector()
    for t, v in head:
        original.update(t, v)
    restored = CrowdDetector.from_state(json.loads(json.dumps(original.to_state())))
    assert restored.to_state() == original.to_state()
    assert [restored.update(t, v) for t, v in tail] == [original.update(t, v) for t, v in tail]


def test_state_is_bounded_after_60_days_of_15_minute_buckets():
    detector = CrowdDetector()
    for t, v in ordinary_traffic(datetime(2024, 1, 1, tzinfo=UTC), 60, seed=5):
        detector.update(t, v)
    size = len(json.dumps(detector.to_state()))
    assert size < 64 * 1024, size
    for t, v in ordinary_traffic(datetime(2024, 3, 1, tzinfo=UTC), 30, seed=6):
        detector.update(t, v)
    assert len(json.dumps(detector.to_state())) <= size + 1024  # does not grow with the series


def test_a_state_from_before_the_daily_peaks_loads_and_starts_collecting_them():
    detector = CrowdDetector()
    for t, v in ordinary_traffic(WEEK_START, 3, seed=1):
        detector.update(t, v)
    old = {k: v for k, v in detector.to_state().items() if k not in ("peaks", "day", "day_peak")}
    restored = CrowdDetector.from_state(json.loads(json.dumps(old)))
    assert restored.to_state()["peaks"] == [] and restored.threshold == DetectorConfig().threshold
    for t, v in ordinary_traffic(WEEK_START + timedelta(days=3), 2, seed=2):
        restored.update(t, v)
    assert len(restored.to_state()["peaks"]) == 1  # day 4's (day 5 is under way)


def test_state_from_another_version_or_shape_is_refused():
    state = CrowdDetector().to_state()
    with pytest.raises(ValueError):
        CrowdDetector.from_state({**state, "v": 99})
    with pytest.raises(ValueError):
        CrowdDetector.from_state(state, DetectorConfig(slot_minutes=60))
    with pytest.raises(ValueError):
        CrowdDetector.from_state({"v": 1})


def test_poisson_sampler_has_the_right_mean_and_variance():
    import random

    rng = random.Random(7)
    for lam in (0.3, 4.0, 29.0, 45.0, 12_000.0):
        xs = [poisson(lam, rng) for _ in range(4000)]
        mean = sum(xs) / len(xs)
        var = sum((x - mean) ** 2 for x in xs) / (len(xs) - 1)
        assert mean == pytest.approx(lam, rel=0.06, abs=0.05)
        assert var == pytest.approx(lam, rel=0.15, abs=0.05)


# -- ottwatch detect -----------------------------------------------------------------------------------
def _write_csv(path, rows) -> None:
    path.write_text("timestamp,value\n" + "".join(f"{t:%Y-%m-%d %H:%M:%S},{v:g}\n" for t, v in rows))


def _nab_like_rows(days: int = 3) -> list[tuple[datetime, float]]:
    start = datetime(2015, 2, 26, 21, 42, 53)
    rows = [(start + timedelta(minutes=5 * i), 50.0 + 10 * math.sin(i / 288 * 2 * math.pi) + (i * 7919) % 5)
            for i in range(days * 288)]
    for i in range(600, 610):  # a surge
        rows[i] = (rows[i][0], 500.0)
    return rows


def test_detect_cli_writes_one_row_per_input_row(tmp_path):
    rows = _nab_like_rows()
    path = tmp_path / "series.csv"
    _write_csv(path, rows)
    out = io.StringIO()
    assert run_detect(str(path), out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == OUT_HEADER == "timestamp,value,anomaly_score,alert"
    assert len(lines) == len(rows) + 1
    parsed = [line.split(",") for line in lines[1:]]
    assert all(len(p) == 4 for p in parsed)
    assert [p[0] for p in parsed] == [f"{t:%Y-%m-%d %H:%M:%S}" for t, _ in rows]
    assert all(0.0 <= float(p[2]) <= 1.0 and p[3] in ("0", "1") for p in parsed)
    alerts = [i for i, p in enumerate(parsed) if p[3] == "1"]
    assert alerts == [600]  # one alert, on the surge's first row (generic: min_duration 1)


def test_detect_cli_is_causal(tmp_path):
    rows = _nab_like_rows()
    short, full = tmp_path / "short.csv", tmp_path / "full.csv"
    _write_csv(short, rows[:605])
    _write_csv(full, rows)
    out_short, out_full = io.StringIO(), io.StringIO()
    assert run_detect(str(short), out_short) == 0 and run_detect(str(full), out_full) == 0
    head = out_short.getvalue().splitlines()
    assert out_full.getvalue().splitlines()[: len(head)] == head


@pytest.mark.parametrize("text, line, words", [
    ("", 1, "header"),
    ("time,val\n2015-02-26 21:42:53,1\n", 1, "header"),
    ("timestamp,value\n2015-02-26 21:42:53,1\n2015-02-26 21:47:53,abc\n", 3, "bad value 'abc'"),
    ("timestamp,value\n2015-02-26 21:42:53,1\n2015-02-26 21:47:53,nan\n", 3, "finite"),
    ("timestamp,value\n2015-02-26 21:42:53,1\nyesterday,2\n", 3, "bad timestamp 'yesterday'"),
    ("timestamp,value\n2015-02-26 21:42:53,1\n2015-02-26 21:47:53,2,3\n", 3, "2 fields"),
])
def test_detect_cli_rejects_a_bad_file_naming_the_line(tmp_path, text, line, words):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    err = io.StringIO()
    assert run_detect(str(path), io.StringIO(), err=err) == 2
    assert f"line {line}:" in err.getvalue() and words in err.getvalue()


def test_detect_cli_missing_file(tmp_path):
    err = io.StringIO()
    assert run_detect(str(tmp_path / "nope.csv"), io.StringIO(), err=err) == 2
    assert "cannot read" in err.getvalue()
