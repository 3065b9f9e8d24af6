"""Crowd-signal anomaly detector: is this count of problem reports (per service and country, per interval)
unusually high for this time of day and day of week? Pure: no I/O, no clock reads, no third-party imports.

It follows Downdetector's published method (REFERENCES.md, "How Downdetector decides"): a baseline per
time of day, an incident only when reports are significantly above it *for long enough*, and three levels
(no problems / possible problems / problems detected). Downdetector does not publish its multiplier,
minimum count or duration; ours are the `DetectorConfig` defaults below, each with its reason.

How one interval is judged (`CrowdDetector.update`):

1. **Expectation.** Three robust baselines, each a level and a spread (sigma): a *global* one (all rows,
   time-decayed over about a day), a *time-of-day* profile (48 half-hour slots) and a *week* profile
   (7 x 48 slots). A slot's estimate is trusted in proportion to how many days (weeks) fed it, up to
   `daily_trust_days` (`weekly_trust_weeks`); until then it is blended with the coarser baseline below it,
   and the blend's spread includes the two baselines' disagreement (mixture variance), so a young baseline
   is cautious, not trigger-happy. Slot levels are running means that turn into EWMAs with a memory of
   `daily_memory_days` / `weekly_memory_weeks`.
2. **Surprise.** z = (value - expected) / spread, with spread floored at `min_rel_spread` x |expected|
   and, for count data, at Poisson's sqrt(expected) (plus the level's own estimation error); for counts
   the distance is measured on Anscombe's variance-stabilised scale, so a skewed Poisson tail at small
   counts does not pass for a 4-sigma event. Everything is relative to the series' own spread, so
   measurements are judged scale-free: loads in the thousands, temperatures around 80 and latencies of
   0.1 s alike (counts are not scale-free by nature: 2 reports are noisier, relatively, than 2,000).
   Deviations that last (a warm day, a busy afternoon) are allowed for: the part of the last ordinary
   deviation that carries over (lag-1 autocorrelation phi of the standardised residuals, learned from
   ordinary intervals only) is added to the expectation, and the spread shrinks to the innovation's,
   spread x sqrt(1 - phi^2). Report counts have phi near 0, so for them this changes nothing.
3. **The bar.** z must reach `threshold` (4) and, once three days are judged, the series' own ordinary
   daily peak of return period `peak_return_days` (30 days for reports, 14 for generic metrics): the z of
   each day's largest interval is kept for four weeks (generic: two), and a Gumbel law (the law of maxima)
   fitted to those peaks by median and MAD gives the peak an ordinary day exceeds once in that many days.
   A Gaussian-quiet series keeps the bar at 4; a bursty one (tweets, news-driven reports: everyday 5-10x
   bursts) gets the bar its own bursts set, instead of an alert a day.
   Before three peaks exist, the bar is the highest complete day's peak (only a record is anomalous).
   Median and MAD ignore the few outage days among the peaks, so outages do not lift the bar.
4. **Anomalous interval** = warm-up done, z >= the bar in the watched `direction`, the value at least
   `min_volume` and at least `min_ratio` x expected. `anomaly_score` = 1 - 2^-(z/bar)^2 on those
   intervals (0.5 exactly at the bar, about 0.94 at twice it), 0 where a gate fails; so
   score >= 0.5 exactly when the interval is anomalous.
5. **Levels.** POSSIBLE while an anomalous run is shorter than `min_duration` intervals; CONFIRMED from the
   `min_duration`-th consecutive anomalous interval. A CONFIRMED anomaly is held (hysteresis) while
   z >= `clear_threshold`, and clears once it has been calm for `clear_after` (at least one interval).
   `Detection.alert` is True on CONFIRMED only: POSSIBLE is shown, never alerted.
6. **Learning without learning the outage.** Every interval updates the baselines with its value
   winsorised at expected +- `clip` spreads (a Huber-type robust update): an outage at 300x the baseline
   moves a slot's level by at most clip x spread / (samples in the slot), 0.1 to 0.2 sigma per 15-minute
   bucket once a week or two of history is in, and the expectation the next day is still the ordinary
   one. What
   recurs day after day (a nightly batch job, a daily TV show) is learned within days, instead of being
   flagged forever as it would be if anomalies were never learned. An episode raised for longer than
   `relearn_after` is taken for a new normal (a level shift): from then on its values are learned
   unclipped, so the detector re-adapts within days instead of alerting for weeks.

State is a few hundred floats (slot tables are fixed-size), so `to_state()` stays well under 64 KB of JSON
whatever the series length, and a detector restored with `from_state` continues exactly as the original.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta
from enum import StrEnum

STATE_VERSION = 1
_MAD_TO_SIGMA = math.sqrt(math.pi / 2)  # E|X - mu| = sigma * sqrt(2/pi) for a normal X
_DELTAS_KEPT = 9  # recent sampling intervals kept; their median is the series' interval
# Standard Gumbel distribution (the law of maxima): median = -ln ln 2, and MAD = 0.767049 x scale.
_GUMBEL_MEDIAN = -math.log(math.log(2.0))
_GUMBEL_MAD = 0.7670492513257081
# Persistence (AR(1)) is not carried across a gap of more than this many intervals, and its coefficient is
# capped below 1 so that the innovation spread, spread x sqrt(1 - phi^2), never collapses to zero.
_AR_MAX_GAP = 3.0
_AR_MAX_PHI = 0.95


class Level(StrEnum):
    NONE = "none"
    POSSIBLE = "possible"
    CONFIRMED = "confirmed"


class Direction(StrEnum):
    UP = "up"  # only rises are anomalies (problem reports: fewer reports than usual is good news)
    BOTH = "both"  # rises and drops (a generic metric: temperature, latency, taxi rides)


@dataclass(frozen=True)
class Detection:
    timestamp: datetime
    value: float
    expected: float  # the seasonal baseline's expectation for this slot
    anomaly_score: float  # 0..1; >= 0.5 exactly when this interval is anomalous
    level: Level

    @property
    def alert(self) -> bool:
        """The detector's own decision: only CONFIRMED alerts (POSSIBLE is a shown hint, never an alert)."""
        return self.level is Level.CONFIRMED


@dataclass(frozen=True)
class DetectorConfig:
    """Defaults are for problem-report counts per (service, country) in 15-minute buckets; `generic()` is
    the same detector for any metric (the `ottwatch detect` CLI and the NAB benchmark)."""

    # -- when an interval is anomalous ------------------------------------------------------------------
    # Robust z (in sigmas of the baseline's spread) at which an interval is anomalous. For Gaussian noise
    # P(z >= 4) = 3e-5: about one stray interval per year per (service, country) at 96 buckets a day,
    # and a stray one only reaches POSSIBLE because of min_duration.
    threshold: float = 4.0
    # Rises only for problem reports: fewer reports than usual is no outage.
    direction: Direction = Direction.UP
    # Absolute count per interval below which nothing is raised: a rise from 0.2 to 2 reports is 10x but
    # two people. 10 reports in 15 minutes is about a quarter of WhatsApp Italy's usual evening level
    # ("tens per 15 minutes"), so a real national outage clears it within minutes. 0 for generic series.
    min_volume: float = 10.0
    # The value must also be at least this multiple of the expectation: an outage multiplies reports
    # (WhatsApp Italy 2022: hundreds of times the baseline), while news, app updates and day-to-day
    # swings move them by tens of percent, which at high volume is statistically "significant" but is
    # not an outage. Downdetector's own multiplier is unpublished. 1 (off) for generic series.
    min_ratio: float = 2.0
    # Poisson noise: a count with mean m has sigma sqrt(m), so the spread is never taken below that, and
    # distances are measured on Anscombe's scale (see `_z`). None (the generic preset): counts while every
    # value so far is a whole number >= 0 (tweets, rides, requests), a measurement from the first that is not.
    count_data: bool | None = True
    # Spread floor relative to |expected|: a series that is nearly constant (or has been so far) must
    # not turn a 0.1 % wiggle into a 50-sigma event. 1 % is below any outage or incident we care about.
    min_rel_spread: float = 0.01

    # Return period, in days, of the ordinary daily peak the threshold must also exceed (0 = off): for
    # reports, once a month, since a false crowd outage reaches the banner and the IVR. A series'
    # own surprises are the yardstick: the z of each day's largest interval is kept, a Gumbel distribution (the
    # law of maxima) is fitted to the recent daily peaks by median and MAD, and an interval is anomalous only
    # above the peak an ordinary day reaches once in this many days. Gaussian-quiet series keep `threshold`;
    # bursty ones (tweets, news-driven reports) get the bar their own everyday bursts set, instead of a
    # false alert every day. Median and MAD ignore the few outage days among the peaks.
    peak_return_days: float = 30.0
    # Daily peaks kept (the fit's memory): four weeks for reports, so a once-a-month level is fitted from a
    # month of days; the generic preset keeps a fortnight. `peak_min_days`: the fewest days before a fit.
    peak_history_days: int = 28
    peak_min_days: int = 3

    # -- levels ---------------------------------------------------------------------------------------
    # Consecutive anomalous intervals before CONFIRMED ("for long enough"). 2 x 15 min: one stray bucket
    # (a 3x blip, a spam burst) stays POSSIBLE, and an outage is confirmed with the second bucket, i.e.
    # within 30 minutes of its start.
    min_duration: int = 2
    # Hysteresis: a CONFIRMED anomaly is held while z stays at or above this (and the value above
    # min_volume and clear_ratio x expected), so a wobbling plateau does not flap.
    clear_threshold: float = 2.0
    # ... and the ratio to the expectation that still counts as "elevated" while held.
    clear_ratio: float = 1.5
    # Calm time (consecutive calm intervals x the interval, at least one interval) before a CONFIRMED
    # anomaly clears: two 15-minute buckets. In time, not intervals, so a 5-minute series does not clear
    # after ten quiet minutes of a still-running incident (ottwatch's hold-time rule against flapping).
    clear_after: timedelta = timedelta(minutes=30)

    # -- baselines ------------------------------------------------------------------------------------
    # Slot width of the time-of-day and week profiles. 30 min keeps the morning rise and evening peak
    # apart while the tables stay small (48 + 336 slots), at any sampling interval.
    slot_minutes: int = 30
    # Memory of the time-of-day profile (EWMA over visits of a slot): two weeks of days.
    daily_memory_days: float = 14.0
    # Days of history after which a time-of-day slot is fully trusted over the global baseline.
    daily_trust_days: float = 3.0
    # Memory of the week profile: Downdetector averages over months (six, "a year in 2018").
    weekly_memory_weeks: float = 12.0
    # Weeks of history after which a week slot is fully trusted over the time-of-day profile.
    weekly_trust_weeks: float = 3.0
    # Memory of the global baseline (the fallback while the profiles learn): one day, so its spread
    # includes the daily swing and it is cautious until the time-of-day profile takes over.
    global_memory: timedelta = timedelta(days=1)
    # Ordinary values are winsorised at expected +- clip spreads before they update a baseline, so a
    # moderately odd interval moves it little.
    clip: float = 3.0
    # Nothing is raised before this much history (one full daily cycle) and this many rows.
    warmup: timedelta = timedelta(days=1)
    warmup_samples: int = 24
    # A raised episode longer than this is taken for a new normal and learned unclipped. The longest
    # OTT outage on record here (Facebook/Instagram/WhatsApp, 4 Oct 2021) lasted about 7 hours.
    relearn_after: timedelta = timedelta(days=1)

    def __post_init__(self) -> None:
        if self.threshold <= 0 or self.clear_threshold <= 0 or self.clear_threshold > self.threshold:
            raise ValueError("need 0 < clear_threshold <= threshold")
        if self.min_duration < 1 or self.warmup_samples < 1:
            raise ValueError("min_duration and warmup_samples must be >= 1")
        if self.min_volume < 0 or self.min_ratio < 0 or self.clear_ratio < 0 or self.min_rel_spread < 0:
            raise ValueError("min_volume, min_ratio, clear_ratio and min_rel_spread must be >= 0")
        if not 1 <= self.slot_minutes <= 1440 or 1440 % self.slot_minutes:
            raise ValueError("slot_minutes must divide a day")
        if min(self.daily_memory_days, self.daily_trust_days, self.weekly_memory_weeks,
               self.weekly_trust_weeks) <= 0 or self.clip <= 0:
            raise ValueError("memories, trust periods and clip must be > 0")
        if self.global_memory <= timedelta(0):
            raise ValueError("global_memory must be > 0")
        if self.peak_return_days < 0 or (0 < self.peak_return_days <= 1):
            raise ValueError("peak_return_days must be 0 (off) or more than 1 day")
        if self.peak_history_days < 1 or not 1 <= self.peak_min_days <= self.peak_history_days:
            raise ValueError("need 1 <= peak_min_days <= peak_history_days")

    @classmethod
    def generic(cls, **changes) -> DetectorConfig:
        """Any metric (not report counts): no volume or ratio gate, the count model only while the values are
        whole numbers, rises and drops, and one interval above the bar is enough (a latency spike or a burst of
        one 5-minute row is an event in a metric; for crowd reports a lone bucket can be a spam burst, so the
        report preset waits for two). The bar is the daily peak an ordinary day exceeds once a fortnight, not
        once a month: an alert a fortnight on an ordinary metric is what on-call lives with (of return periods
        7/10/14/21/30/60 days, 14 scored best on the 26 held-out NAB series). It is fitted to the daily peaks of
        the last two weeks, not four (the memory of the time-of-day profile), so it follows a metric that turns
        burstier or calmer within a fortnight (of 7/14/21/28/42 days, 14 scored best on held-out and, checked
        afterwards, on the unseen series). bench/nab_score.py lists the runs."""
        base = dict(min_volume=0.0, min_ratio=1.0, clear_ratio=1.0, count_data=None, direction=Direction.BOTH,
                    min_duration=1, peak_return_days=14.0, peak_history_days=14)
        return cls(**{**base, **changes})

    def to_dict(self) -> dict:
        out = {}
        for key, value in asdict(self).items():
            out[key] = value.total_seconds() if isinstance(value, timedelta) else str(value) if isinstance(
                value, Direction) else value
        return out

    @classmethod
    def from_dict(cls, data: dict) -> DetectorConfig:
        kinds = {f.name: f.type for f in fields(cls)}
        kwargs = {}
        for key, value in data.items():
            if key not in kinds:
                continue
            if kinds[key] == "timedelta":
                value = timedelta(seconds=value)
            elif kinds[key] == "Direction":
                value = Direction(value)
            kwargs[key] = value
        return cls(**kwargs)


class _Profile:
    """Seasonal slots: running mean, then EWMA, of level and spread per slot. Fixed size."""

    __slots__ = ("level", "spread", "weight")

    def __init__(self, size: int) -> None:
        self.level = [0.0] * size
        self.spread = [0.0] * size
        self.weight = [0.0] * size  # samples that fed the slot (capped at the memory)

    def update(self, i: int, value: float, prior_spread: float, cap: float) -> None:
        n = self.weight[i]
        if n <= 0.0:
            self.level[i] = value
            self.spread[i] = prior_spread  # a one-sample prior, washed out as samples come
            self.weight[i] = 1.0
            return
        n1 = min(n + 1.0, max(cap, 1.0))
        a = 1.0 / n1
        resid = abs(value - self.level[i]) * _MAD_TO_SIGMA
        self.level[i] += a * (value - self.level[i])
        self.spread[i] += a * (resid - self.spread[i])
        self.weight[i] = n1

    def to_state(self) -> list[list[float]]:
        return [self.level, self.spread, self.weight]

    @classmethod
    def from_state(cls, data: list, size: int) -> _Profile:
        profile = cls(size)
        level, spread, weight = data
        if not len(level) == len(spread) == len(weight) == size:
            raise ValueError("detector state: profile size does not match the configuration")
        profile.level, profile.spread, profile.weight = (
            [float(x) for x in level], [float(x) for x in spread], [float(x) for x in weight])
        return profile


def _median(ordered: list[float]) -> float:
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


class CrowdDetector:
    """One detector per series (per (service, country) in production). Feed it rows in time order."""

    def __init__(self, config: DetectorConfig | None = None) -> None:
        self.config = config or DetectorConfig()
        slots = 1440 // self.config.slot_minutes
        self._slots_per_day = slots
        self._daily = _Profile(slots)
        self._weekly = _Profile(7 * slots)
        self._first: datetime | None = None
        self._last: datetime | None = None
        self._deltas: list[float] = []
        self._n = 0
        self._g_level = 0.0
        self._g_spread = 0.0
        self._g_weight = 0.0
        self._level = Level.NONE
        self._run = 0  # consecutive anomalous intervals
        self._calm = 0  # consecutive calm intervals while CONFIRMED
        self._raised_seconds = 0.0  # how long the current raised episode has lasted
        self._prev_u = 0.0  # last ordinary standardised residual (clipped), 0 after a raised interval
        self._ac_num = 0.0  # EWMA of u_t x u_t-1 (memory global_memory)
        self._ac_den = 0.0  # EWMA of u_t^2
        self._counts = self.config.count_data is not False  # see DetectorConfig.count_data
        self._peaks: list[float] = []  # surprise (z) of each complete day's largest interval, oldest first
        self._day: int | None = None  # ordinal of the UTC day being watched
        self._day_peak: float | None = None  # its largest z so far
        self._bar: float | None = None  # `threshold` fitted to `_peaks`; None until needed after a change

    # -- public -----------------------------------------------------------------------------------------
    @property
    def last_timestamp(self) -> datetime | None:
        return self._last

    @property
    def interval(self) -> timedelta | None:
        """The inferred sampling interval (median of the recent ones), None before the second row."""
        return timedelta(seconds=self._interval()) if self._deltas else None

    @property
    def threshold(self) -> float:
        """The z an interval must reach now: `config.threshold`, or the ordinary daily peak of return period
        `peak_return_days` (Gumbel fitted by median and MAD to the recent daily peaks) when that is higher.
        The peaks change once a day, so the fit is kept until the next day's peak is filed."""
        if self._bar is None:
            self._bar = self._fit_bar()
        return self._bar

    def _fit_bar(self) -> float:
        cfg = self.config
        if cfg.peak_return_days <= 0:
            return cfg.threshold
        if len(self._peaks) < cfg.peak_min_days:
            # Too few days to fit: until then an interval must beat every complete day's peak (a record).
            return max([cfg.threshold, *self._peaks])
        ordered = sorted(self._peaks)
        median = _median(ordered)
        mad = _median(sorted(abs(p - median) for p in ordered))
        scale = mad / _GUMBEL_MAD
        location = median - _GUMBEL_MEDIAN * scale
        return_level = location - scale * math.log(-math.log(1.0 - 1.0 / cfg.peak_return_days))
        return max(cfg.threshold, return_level)

    def update(self, timestamp: datetime, value: float) -> Detection:
        """Judge one row, then learn from it. Causal: uses only this row and earlier ones.

        Naive timestamps are UTC. Rows should come in time order; a repeated or backward timestamp (clock
        changes in real exports: NAB's ec2 and machine-temperature files have both) is judged and learned as
        if no time had passed since the latest row. A non-finite value is a ValueError.
        """
        cfg = self.config
        t = _utc(timestamp)
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"value must be a finite number, got {value!r}")
        if cfg.count_data is None and self._counts and (value < 0.0 or value != math.floor(value)):
            self._counts = False
        delta = 0.0
        if self._last is not None:
            delta = (t - self._last).total_seconds()
            if delta > 0:
                self._deltas.append(delta)
                if len(self._deltas) > _DELTAS_KEPT:
                    del self._deltas[0]
            else:
                delta = 0.0  # a repeated or backward timestamp: judged as if no time had passed
        else:
            self._first = t

        d_slot, w_slot = self._slot_indices(t)
        expected, spread = self._predict(d_slot, w_slot)
        # Short-term persistence: an ordinary deviation from the seasonal expectation tends to last (a warm
        # day, a busy afternoon), so the surprise is measured against the expectation plus the part of the
        # last deviation that carries over (AR(1) on the standardised residuals, prewhitening).
        prev_u = 0.0 if self._deltas and delta > _AR_MAX_GAP * self._interval() else self._prev_u
        phi = self._phi()
        z = self._z(value, expected + phi * prev_u * spread, spread * math.sqrt(1.0 - phi * phi))
        z_dir = z if cfg.direction is Direction.UP else abs(z)
        rising = value >= expected
        ready = self._n >= cfg.warmup_samples and (t - self._first).total_seconds() >= cfg.warmup.total_seconds()

        self._roll_day(t)
        threshold = self.threshold
        gates = ready and self._volume_ok(value, expected) and self._ratio_ok(value, expected, rising,
                                                                                cfg.min_ratio)
        anomalous = gates and z_dir >= threshold
        score = 1.0 - 0.5 ** ((z_dir / threshold) ** 2) if gates and z_dir > 0 else 0.0
        if ready:
            self._day_peak = z_dir if self._day_peak is None else max(self._day_peak, z_dir)

        # Levels.
        if self._level is Level.CONFIRMED:
            held = (ready and z_dir >= cfg.clear_threshold and self._volume_ok(value, expected)
                    and self._ratio_ok(value, expected, rising, cfg.clear_ratio))
            self._run = self._run + 1 if anomalous else 0
            if held:
                self._calm = 0
            else:
                self._calm += 1
                if self._calm * self._interval() >= cfg.clear_after.total_seconds():
                    self._level, self._calm = Level.NONE, 0
        elif anomalous:
            self._run += 1
            self._level = Level.CONFIRMED if self._run >= cfg.min_duration else Level.POSSIBLE
        else:
            self._run = 0
            self._level = Level.NONE

        # Learning: winsorised, so an anomaly moves the baseline little; unclipped once an episode has
        # lasted so long it is the new normal, or during warm-up (no trustworthy spread to clip with).
        raised = anomalous or self._level is not Level.NONE
        self._raised_seconds = self._raised_seconds + delta if raised else 0.0
        if ready and self._raised_seconds < cfg.relearn_after.total_seconds():
            learned = min(max(value, expected - cfg.clip * spread), expected + cfg.clip * spread)
        else:
            learned = value
        self._learn(delta, d_slot, w_slot, learned, spread)
        self._learn_persistence(delta, prev_u, (learned - expected) / spread, raised)

        self._last = t if self._last is None or t > self._last else self._last
        self._n += 1
        return Detection(timestamp=timestamp, value=value, expected=expected, anomaly_score=score,
                         level=self._level)

    def to_state(self) -> dict:
        """JSON-serialisable and bounded (fixed-size slot tables): about 25 KB whatever the series length."""
        return {
            "v": STATE_VERSION,
            "config": self.config.to_dict(),
            "first": self._first.isoformat() if self._first else None,
            "last": self._last.isoformat() if self._last else None,
            "deltas": list(self._deltas),
            "n": self._n,
            "global": [self._g_level, self._g_spread, self._g_weight],
            "daily": self._daily.to_state(),
            "weekly": self._weekly.to_state(),
            "level": self._level.value,
            "run": self._run,
            "calm": self._calm,
            "raised_seconds": self._raised_seconds,
            "counts": self._counts,
            "persistence": [self._prev_u, self._ac_num, self._ac_den],
            "peaks": list(self._peaks),
            "day": self._day,
            "day_peak": self._day_peak,
        }

    @classmethod
    def from_state(cls, state: dict, config: DetectorConfig | None = None) -> CrowdDetector:
        """Restore a detector. `config` None means the current defaults (not the stored ones), so a new
        release's defaults apply to old states; only the slot width must match the stored tables."""
        if not isinstance(state, dict) or state.get("v") != STATE_VERSION:
            raise ValueError(f"detector state: unsupported version {state.get('v') if isinstance(state, dict) else None!r}")
        det = cls(config)
        try:
            det._first = datetime.fromisoformat(state["first"]) if state["first"] else None
            det._last = datetime.fromisoformat(state["last"]) if state["last"] else None
            det._deltas = [float(x) for x in state["deltas"]][-_DELTAS_KEPT:]
            det._n = int(state["n"])
            det._g_level, det._g_spread, det._g_weight = (float(x) for x in state["global"])
            det._daily = _Profile.from_state(state["daily"], det._slots_per_day)
            det._weekly = _Profile.from_state(state["weekly"], 7 * det._slots_per_day)
            det._level = Level(state["level"])
            det._run = int(state["run"])
            det._calm = int(state["calm"])
            det._raised_seconds = float(state["raised_seconds"])
            det._counts = bool(state.get("counts", det._counts))
            det._prev_u, det._ac_num, det._ac_den = (float(x) for x in state.get("persistence", (0.0, 0.0, 0.0)))
            # States written before the daily-peak threshold have no peaks: they start collecting them.
            det._peaks = [float(x) for x in state.get("peaks", [])][-det.config.peak_history_days:]
            det._day = int(state["day"]) if state.get("day") is not None else None
            det._day_peak = float(state["day_peak"]) if state.get("day_peak") is not None else None
        except (KeyError, TypeError) as exc:
            raise ValueError(f"detector state: malformed ({exc})") from None
        return det

    # -- internals --------------------------------------------------------------------------------------
    def _interval(self) -> float:
        return _median(sorted(self._deltas)) if self._deltas else 0.0

    def _phi(self) -> float:
        """Lag-1 autocorrelation of the ordinary standardised residuals, in [0, _AR_MAX_PHI]."""
        if self._ac_den <= 0.0:
            return 0.0
        return min(max(self._ac_num / self._ac_den, 0.0), _AR_MAX_PHI)

    def _learn_persistence(self, delta: float, prev_u: float, u: float, raised: bool) -> None:
        """Update the autocorrelation from ordinary intervals only: a raised episode is not ordinary
        persistence, and carrying it over would let an outage's plateau explain itself away."""
        if raised:
            self._prev_u = 0.0
            return
        u = min(max(u, -self.config.clip), self.config.clip)
        a = max(1.0 / (self._n + 1.0), 1.0 - math.exp(-delta / self.config.global_memory.total_seconds()))
        self._ac_num += a * (u * prev_u - self._ac_num)
        self._ac_den += a * (u * u - self._ac_den)
        self._prev_u = u

    def _roll_day(self, t: datetime) -> None:
        """On the first row of a new UTC day, file the finished day's peak (days with no judged row: none)."""
        day = t.toordinal()
        if self._day is None or day > self._day:
            if self._day_peak is not None:
                self._peaks.append(self._day_peak)
                del self._peaks[:-self.config.peak_history_days]
                self._bar = None
            self._day, self._day_peak = day, None

    def _samples_per_visit(self) -> float:
        """How many rows land in one slot on one day (1 when rows are as coarse as slots, or coarser)."""
        if not self._deltas:
            return 1.0
        return max(1.0, self.config.slot_minutes * 60.0 / self._interval())

    def _slot_indices(self, t: datetime) -> tuple[int, int]:
        minute = t.hour * 60 + t.minute
        d = minute // self.config.slot_minutes
        return d, t.weekday() * self._slots_per_day + d

    def _z(self, value: float, expected: float, spread: float) -> float:
        if spread <= 0.0:
            return 0.0
        if not self._counts or value < 0.0 or expected < 0.0:
            return (value - expected) / spread
        # Counts are right-skewed (Poisson): at 4 expected reports, 13 is a 1-in-3,000 event, not the
        # 1-in-100,000 a Gaussian z of 4.4 claims. Measure the distance on Anscombe's variance-stabilised
        # scale 2 sqrt(x + 3/8) and convert it back to sigmas of `spread` (delta method), so small
        # deviations read as (x - m) / spread and large ones are not overstated.
        root_m = math.sqrt(expected + 0.375)
        return 2.0 * (math.sqrt(value + 0.375) - root_m) * root_m / spread

    def _volume_ok(self, value: float, expected: float) -> bool:
        return self.config.min_volume <= 0 or max(value, expected) >= self.config.min_volume

    def _ratio_ok(self, value: float, expected: float, rising: bool, ratio: float) -> bool:
        if ratio <= 1.0:
            return True
        if rising:
            return value >= ratio * expected
        return value * ratio <= expected  # a drop to 1/ratio of the expectation (BOTH direction only)

    def _predict(self, d_slot: int, w_slot: int) -> tuple[float, float]:
        cfg = self.config
        level = self._g_level
        var = self._noise_var(self._g_spread, level)
        if self._g_weight > 0:
            var *= 1.0 + 1.0 / self._g_weight
        per_visit = self._samples_per_visit()
        for profile, i, trust in ((self._daily, d_slot, cfg.daily_trust_days),
                                  (self._weekly, w_slot, cfg.weekly_trust_weeks)):
            n = profile.weight[i]
            if n <= 0.0:
                continue
            w = min(1.0, (n / per_visit) / trust)
            slot_level = profile.level[i]
            # The spread of a new value around a level estimated from n values: sigma^2 (1 + 1/n).
            slot_var = self._noise_var(profile.spread[i], slot_level) * (1.0 + 1.0 / n)
            var = w * slot_var + (1.0 - w) * var + w * (1.0 - w) * (slot_level - level) ** 2
            level = w * slot_level + (1.0 - w) * level
        spread = math.sqrt(var)
        if self._counts:
            spread = max(spread, math.sqrt(max(level, 1.0)))
        spread = max(spread, cfg.min_rel_spread * abs(level))
        if spread <= 0.0:
            spread = 1e-12 * max(1.0, abs(level))  # a constant series so far: any change is a surprise
        return level, spread

    def _noise_var(self, spread: float, level: float) -> float:
        """A baseline's variance, never below Poisson's (variance = mean) for count data."""
        var = spread * spread
        return max(var, level) if self._counts else var

    def _learn(self, delta: float, d_slot: int, w_slot: int, value: float, spread: float) -> None:
        cfg = self.config
        # Global: running mean for the first rows, then a time-decayed EWMA (memory cfg.global_memory).
        if self._g_weight <= 0.0:
            self._g_level, self._g_spread, self._g_weight = value, 0.0, 1.0
        else:
            a = max(1.0 / (self._g_weight + 1.0), 1.0 - math.exp(-delta / cfg.global_memory.total_seconds()))
            resid = abs(value - self._g_level) * _MAD_TO_SIGMA
            self._g_level += a * (value - self._g_level)
            self._g_spread += a * (resid - self._g_spread)
            self._g_weight = min(self._g_weight + 1.0, 1.0 / a)
        per_visit = self._samples_per_visit()
        self._daily.update(d_slot, value, spread, cfg.daily_memory_days * per_visit)
        self._weekly.update(w_slot, value, spread, cfg.weekly_memory_weeks * per_visit)


__all__ = ["CrowdDetector", "Detection", "DetectorConfig", "Direction", "Level"]
