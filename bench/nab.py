"""The NAB score (Numenta Anomaly Benchmark), written from NAB's published rules. Pure Python, no pandas.

What it follows, checked against numenta/NAB's source (MIT since 2024-12-03, ea702d75):
- `nab/sweeper.py` (`Sweeper.calcSweepScore`, `calcScoreByThreshold`, `scaledSigmoid`, NAB v1.1):
  * probationary period = min(floor(0.15 x rows), 0.15 x 5000 = 750) rows from the start of each file; its
    rows are not scored at all (`_getProbationaryLength`; points named 'probationary' are filtered out);
  * a detection in a window at row i scores scaledSigmoid(-(right - i + 1) / width) x A_TP / scaledSigmoid(-1),
    so the window's left edge is worth exactly A_TP and the right edge close to 0;
    scaledSigmoid(y) = 2 / (1 + e^{5y}) - 1, and -1 for y >= 3;
  * only the best (= earliest) detection in a window counts; a window with no detection costs -A_FN
    (every window with at least one scored row starts at -A_FN);
  * every detection outside the windows is a false positive weighted by its distance past the previous
    window: scaledSigmoid(|prev_right - i| / (prev_width - 1)) x A_FP, and -A_FP (y = 3) before any window;
- `nab/runner.py` (`Runner.normalize`): the corpus score is the raw scores summed over all files, then
  100 x (S - S_null) / (S_perfect - S_null), with S_perfect = (number of windows) x A_TP and S_null the null
  detector's summed score (= -A_FN per window);
- `config/profiles.json`, standard profile: A_TP = 1, A_FP = 0.11, A_FN = 1 (the whitepaper's Table:
  Lavin & Ahmad, "Evaluating Real-time Anomaly Detection Algorithms - the Numenta Anomaly Benchmark", 2015).
A detection here is a row whose `alert` is 1: the detector's own decision, so NAB's per-detector threshold
optimisation (`nab/optimizer.py`) does not apply (it would be the threshold 0.5 on a 0/1 score).
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class Profile:
    tp: float = 1.0
    fp: float = 0.11
    fn: float = 1.0


STANDARD = Profile()
PROBATION_PERCENT = 0.15


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def scaled_sigmoid(position: float) -> float:
    """nab/sweeper.py scaledSigmoid: -1 at y >= 3 (far past a window), else 2 sigmoid(-5y) - 1."""
    if position >= 3.0:
        return -1.0
    return 2.0 * sigmoid(-5.0 * position) - 1.0


def probation_length(rows: int, percent: float = PROBATION_PERCENT) -> float:
    """nab/sweeper.py _getProbationaryLength: min(floor(percent x rows), percent x 5000)."""
    return min(math.floor(percent * rows), percent * 5000)


@dataclass
class FileScore:
    score: float  # raw NAB score of the file
    windows: int  # windows with at least one scored row
    detected: list = field(default_factory=list)  # per window: index of its first detection, or None
    bounds: list = field(default_factory=list)  # per window: (left, right) row indices
    fp_rows: int = 0  # alerts outside every window (after the probation)
    fp_score: float = 0.0  # their weighted (negative) contribution
    tp_score: float = 0.0  # the windows' contribution (detections positive, misses -A_FN)

    @property
    def null(self) -> float:
        return -self.windows * STANDARD.fn

    @property
    def perfect(self) -> float:
        return self.windows * STANDARD.tp


def window_bounds(timestamps: list[datetime], windows: list[tuple[datetime, datetime]]) -> list[tuple[int, int]]:
    """Row indices [left, right] of each window (rows with start <= t <= end; NAB's windows start and end
    on row timestamps, so this equals its exact-match lookup). Windows holding no row are dropped."""
    bounds = []
    for start, end in sorted(windows):
        inside = [i for i, t in enumerate(timestamps) if start <= t <= end]
        if inside:
            bounds.append((inside[0], inside[-1]))
    return bounds


def score_file(timestamps: list[datetime], alerts: list[bool], windows: list[tuple[datetime, datetime]],
               profile: Profile = STANDARD, probation_percent: float = PROBATION_PERCENT) -> FileScore:
    if len(timestamps) != len(alerts):
        raise ValueError("timestamps and alerts differ in length")
    bounds = window_bounds(timestamps, windows)
    probation = probation_length(len(timestamps), probation_percent)
    max_tp = scaled_sigmoid(-1.0)

    window_of = [None] * len(timestamps)
    for w, (left, right) in enumerate(bounds):
        for i in range(left, right + 1):
            window_of[i] = w
    # Windows with a scored row start as misses (sweeper._prepareScoreByThresholdParts).
    scored_windows = sorted({window_of[i] for i in range(len(timestamps))
                             if i >= probation and window_of[i] is not None})
    best: dict[int, float] = {w: -profile.fn for w in scored_windows}
    first: dict[int, int | None] = {w: None for w in scored_windows}
    fp_rows, fp_score = 0, 0.0
    prev = None  # (right, width) of the last window passed
    for i, alert in enumerate(alerts):
        w = window_of[i]
        if w is not None:
            left, right = bounds[w]
            width = right - left + 1
            weighted = scaled_sigmoid(-(right - i + 1) / width) * profile.tp / max_tp
        elif prev is None:
            weighted = scaled_sigmoid(3.0) * profile.fp
        else:
            prev_right, prev_width = prev
            # A one-row window would divide by zero in NAB too; treat it as 'far past'.
            position = abs(prev_right - i) / (prev_width - 1) if prev_width > 1 else 3.0
            weighted = scaled_sigmoid(position) * profile.fp
        if w is not None and i == bounds[w][1]:
            prev = (bounds[w][1], bounds[w][1] - bounds[w][0] + 1)
        if not alert or i < probation:
            continue
        if w is None:
            fp_rows += 1
            fp_score += weighted
        else:
            if weighted > best[w]:
                best[w] = weighted
            if first[w] is None:
                first[w] = i
    tp_score = sum(best.values())
    return FileScore(score=tp_score + fp_score, windows=len(scored_windows),
                     detected=[first[w] for w in scored_windows], bounds=[bounds[w] for w in scored_windows],
                     fp_rows=fp_rows, fp_score=fp_score,
                     tp_score=tp_score)


def normalized(scores: list[FileScore]) -> float:
    """nab/runner.py normalize: sum the raw scores over the corpus, then 100 (S - null) / (perfect - null)."""
    total = sum(s.score for s in scores)
    null = sum(s.null for s in scores)
    perfect = sum(s.perfect for s in scores)
    return 100.0 * (total - null) / (perfect - null)


# -- data ------------------------------------------------------------------------------------------------
def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.strip())


def read_series(path: Path) -> tuple[list[datetime], list[float]]:
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [parse_time(r["timestamp"]) for r in rows], [float(r["value"]) for r in rows]


def read_windows(path: Path) -> dict[str, list[tuple[datetime, datetime]]]:
    data = json.loads(Path(path).read_text())
    return {name: [(parse_time(a), parse_time(b)) for a, b in spans] for name, spans in data.items()}
