"""Synthetic problem-report series for tests and the demo, shaped by public figures. Pure: no I/O, no clock;
every random draw comes from `random.Random(seed)` (no numpy), so a seed always gives the same series.

A series is a list of `(bucket start, reports in the bucket)`, UTC, 15-minute buckets by default (the bucket
Downdetector's API serves, REFERENCES.md "How Downdetector decides").

Where the numbers come from (REFERENCES.md, "Real outages, for realistic simulation", WhatsApp 25 Oct 2022):
- onset: "first spike 06:37 UTC";
- size: Italy "almost 20,000 reports in half an hour" (later >25,000), read here as 20,000 reports *over the
  baseline* in the first 30 minutes after the onset;
- plateau: "~2 h", i.e. from the end of the ramp until the fix;
- fix and decay: "recovery from ~08:45 UTC"; the excess falls by ~95 % within an hour of the fix (the
  project's working figure, the same order as India's ">25k at peak, ~1k two hours later"), modelled as an
  exponential decay with that 95 %-time, i.e. time constant 60 min / ln 20 = 20 min;
- ordinary traffic: "tens per 15 minutes" for WhatsApp Italy with a night low and an evening peak (the
  project's working figure: Downdetector does not publish its baselines, only that they are the "average
  number of reports for that time of day"). Italy was on CEST (UTC+2) until 30 Oct 2022, so local hours
  are UTC+2.
Our own assumptions, not published figures: the 10-minute ramp (the published graphs rise in one bucket),
the hourly shape below, a +-5 % day-to-day factor, and Poisson noise on every count.
The 3x 15-minute `blip` is not a real event: it stands for a spam burst or a viral post, something a
detector must show (at most POSSIBLE) but not confirm.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

BUCKET = timedelta(minutes=15)
ITALY_CEST = timedelta(hours=2)

# Usual reports per 15 minutes by local hour (0..23) for WhatsApp in Italy: "tens per 15 minutes", lowest
# around 04:00, a morning rise, a plateau in the day and the peak around 21:00. Linear between hours.
HOURLY_REPORTS_PER_15_MIN = (
    18, 11, 7, 5, 4, 5, 9, 16, 23, 27, 28, 29, 30, 30, 28, 27, 28, 30, 33, 36, 39, 40, 36, 27,
)
DAY_TO_DAY = 0.05  # sigma of the daily multiplicative factor (our assumption)


def ordinary_level(t: datetime, bucket: timedelta = BUCKET, tz_offset: timedelta = ITALY_CEST) -> float:
    """Expected ordinary reports in the bucket starting at `t` (before day-to-day variation and noise)."""
    mid = _utc(t) + bucket / 2 + tz_offset
    hour = mid.hour + mid.minute / 60 + mid.second / 3600
    lo = int(hour) % 24
    frac = hour - int(hour)
    per_15 = HOURLY_REPORTS_PER_15_MIN[lo] * (1 - frac) + HOURLY_REPORTS_PER_15_MIN[(lo + 1) % 24] * frac
    return per_15 * (bucket / timedelta(minutes=15))


def ordinary_traffic(start: datetime, days: int, bucket: timedelta = BUCKET, seed: int = 0,
                     tz_offset: timedelta = ITALY_CEST) -> list[tuple[datetime, float]]:
    """`days` days of ordinary reports from `start`: daily seasonality, a day-to-day factor, Poisson noise."""
    rng = random.Random(seed)
    start = _utc(start)
    count = int(timedelta(days=days) / bucket)
    factors: dict = {}
    series = []
    for i in range(count):
        t = start + i * bucket
        day = (t + tz_offset).date()
        if day not in factors:
            factors[day] = min(1.2, max(0.8, rng.gauss(1.0, DAY_TO_DAY)))
        series.append((t, float(poisson(ordinary_level(t, bucket, tz_offset) * factors[day], rng))))
    return series


@dataclass(frozen=True)
class OutageShape:
    """Extra reports over the baseline: a linear ramp from `onset`, a plateau at `rate` per minute until
    `fix`, then an exponential decay that removes 95 % of the excess in `decay_95`."""

    onset: datetime
    ramp: timedelta
    rate: float  # extra reports per minute on the plateau
    fix: datetime
    decay_95: timedelta

    def rate_at(self, t: datetime) -> float:
        t = _utc(t)
        if t < self.onset:
            return 0.0
        if t >= self.fix:
            tau = self.decay_95.total_seconds() / math.log(20)
            return self.rate * math.exp(-(t - self.fix).total_seconds() / tau)
        if t < self.onset + self.ramp:
            return self.rate * (t - self.onset) / self.ramp
        return self.rate

    def excess(self, start: datetime, bucket: timedelta = BUCKET) -> float:
        """Expected extra reports in [start, start + bucket) (midpoint rule over 10-second steps)."""
        start = _utc(start)
        if start + bucket <= self.onset:
            return 0.0
        step = timedelta(seconds=10)
        steps = int(bucket / step)
        per_step = step.total_seconds() / 60
        return sum(self.rate_at(start + (k + 0.5) * step) for k in range(steps)) * per_step


_ONSET_2022 = datetime(2022, 10, 25, 6, 37, tzinfo=UTC)
_RAMP_2022 = timedelta(minutes=10)
REPORTS_FIRST_30_MIN_2022 = 20_000
WHATSAPP_ITALY_2022 = OutageShape(
    onset=_ONSET_2022,
    ramp=_RAMP_2022,
    # 20,000 reports in the first 30 minutes = rate x (ramp / 2 + (30 min - ramp)): 800 per minute.
    rate=REPORTS_FIRST_30_MIN_2022 / ((timedelta(minutes=30) - _RAMP_2022 / 2) / timedelta(minutes=1)),
    fix=datetime(2022, 10, 25, 8, 45, tzinfo=UTC),
    decay_95=timedelta(hours=1),
)


def with_outage(series: list[tuple[datetime, float]], shape: OutageShape, bucket: timedelta = BUCKET,
                seed: int = 0) -> list[tuple[datetime, float]]:
    """`series` plus Poisson-drawn extra reports of `shape` (independent of the ordinary draws)."""
    rng = random.Random(f"outage-{seed}")
    return [(t, v + float(poisson(shape.excess(t, bucket), rng))) for t, v in series]


def whatsapp_italy_2022(warmup_days: int = 7, after_days: int = 1, bucket: timedelta = BUCKET,
                        seed: int = 0) -> list[tuple[datetime, float]]:
    """WhatsApp in Italy around 25 Oct 2022: `warmup_days` ordinary days before the outage day, the outage
    day (00:00-24:00 UTC), `after_days` ordinary days after it."""
    start = datetime(2022, 10, 25, tzinfo=UTC) - timedelta(days=warmup_days)
    base = ordinary_traffic(start, warmup_days + 1 + after_days, bucket, seed)
    return with_outage(base, WHATSAPP_ITALY_2022, bucket, seed)


def blip(start: datetime, days: int, at: datetime, factor: float = 3.0, duration: timedelta = BUCKET,
         bucket: timedelta = BUCKET, seed: int = 0) -> list[tuple[datetime, float]]:
    """Ordinary traffic with the buckets in [at, at + duration) at `factor` x their usual level."""
    rng = random.Random(f"blip-{seed}")
    at = _utc(at)
    out = []
    for t, v in ordinary_traffic(start, days, bucket, seed):
        if at <= t < at + duration:
            v += float(poisson((factor - 1.0) * ordinary_level(t, bucket), rng))
        out.append((t, v))
    return out


def poisson(lam: float, rng: random.Random) -> int:
    """A Poisson draw: Knuth's product method below 30, Hormann's PTRS (as numpy uses) above."""
    if lam <= 0:
        return 0
    if lam < 30:
        limit, k, p = math.exp(-lam), 0, rng.random()
        while p > limit:
            k += 1
            p *= rng.random()
        return k
    # W. Hormann, "The transformed rejection method for generating Poisson random variables" (1993).
    slam, loglam = math.sqrt(lam), math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2)
    while True:
        u = rng.random() - 0.5
        v = rng.random()
        us = 0.5 - abs(u)
        if us <= 0.0:
            continue
        k = math.floor((2 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= v_r:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        if math.log(v) + math.log(inv_alpha) - math.log(a / (us * us) + b) <= -lam + k * loglam - math.lgamma(k + 1):
            return k


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
