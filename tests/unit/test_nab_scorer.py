"""bench/nab.py, the NAB scorer: the null detector scores 0, a perfect one 100, and the weights are NAB's."""

from __future__ import annotations

import importlib.util
import math
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
_spec = importlib.util.spec_from_file_location("ottwatch_bench_nab", BENCH / "nab.py")
nab = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = nab  # dataclasses look their module up while the class is built
_spec.loader.exec_module(nab)

START = datetime(2015, 2, 26, 21, 42, 53)
STEP = timedelta(minutes=5)


def stamps(n: int) -> list[datetime]:
    return [START + i * STEP for i in range(n)]


def windows_at(times: list[datetime], spans: list[tuple[int, int]]) -> list[tuple[datetime, datetime]]:
    return [(times[a], times[b]) for a, b in spans]


def alerts_at(n: int, rows) -> list[bool]:
    marked = set(rows)
    return [i in marked for i in range(n)]


N = 2000  # probation: floor(0.15 x 2000) = 300 rows
SPANS = [(500, 599), (1200, 1299), (1700, 1749)]
TIMES = stamps(N)
WINDOWS = windows_at(TIMES, SPANS)


def score(rows) -> float:
    return nab.score_file(TIMES, alerts_at(N, rows), WINDOWS)


def test_scaled_sigmoid_matches_nabs_documented_values():
    assert nab.scaled_sigmoid(-1.0) == pytest.approx(0.98661, abs=1e-5)
    assert nab.scaled_sigmoid(-0.5) == pytest.approx(0.84828, abs=1e-5)
    assert nab.scaled_sigmoid(0.0) == 0.0
    assert nab.scaled_sigmoid(1.0) == pytest.approx(-0.98661, abs=1e-5)
    assert nab.scaled_sigmoid(3.0) == -1.0


def test_probation_is_15_percent_capped_at_750_rows():
    assert nab.probation_length(2000) == 300
    assert nab.probation_length(4032) == 604
    assert nab.probation_length(15902) == 750


def test_null_detector_scores_0_and_perfect_100():
    null = score([])
    assert null.score == -3.0 and nab.normalized([null]) == 0.0
    perfect = score([a for a, _ in SPANS])
    assert perfect.score == pytest.approx(3.0)
    assert nab.normalized([perfect]) == pytest.approx(100.0)


def test_corpus_is_summed_then_normalised():
    other_times = stamps(1000)
    other_windows = windows_at(other_times, [(400, 449)])
    a = score([a for a, _ in SPANS])  # perfect on 3 windows: +3
    b = nab.score_file(other_times, [False] * 1000, other_windows)  # null on 1 window: -1
    assert nab.normalized([a, b]) == pytest.approx(100 * (2 - (-4)) / (4 - (-4)))  # 75, not (100 + 0) / 2


def test_a_late_detection_scores_less_than_an_early_one():
    early, middle, late = (score([row]).score for row in (500, 550, 599))
    assert early > middle > late
    assert early == pytest.approx(1.0 - 2.0)  # one window found at its edge, two missed
    # The last row of a window is worth scaledSigmoid(-1/width) / scaledSigmoid(-1), just above 0.
    assert late == pytest.approx(nab.scaled_sigmoid(-1 / 100) / nab.scaled_sigmoid(-1.0) - 2.0)


def test_only_the_first_detection_in_a_window_counts():
    assert score([500, 510, 520, 599]).score == pytest.approx(score([500]).score)
    assert score([550, 599]).score == pytest.approx(score([550]).score)


def test_a_false_positive_costs_a_fp_weighted_by_distance_past_the_previous_window():
    null = score([]).score
    # Before any window: the full -A_FP.
    assert score([400]).score - null == pytest.approx(-0.11)
    # Just after a window: almost free; far after it (relative position >= 3): -A_FP.
    just_after = score([600]).score - null
    assert -0.11 < just_after < 0
    assert just_after == pytest.approx(0.11 * nab.scaled_sigmoid(1 / 99))
    assert score([900]).score - null == pytest.approx(-0.11)  # 301 rows past a 100-row window
    assert score([400, 1000]).fp_rows == 2


def test_probationary_rows_are_not_scored():
    assert score([10, 100, 299]).score == score([]).score
    assert score([300]).score == pytest.approx(score([]).score - 0.11)


def test_windows_entirely_in_probation_do_not_count():
    spans = [(50, 99), (500, 599)]
    s = nab.score_file(TIMES, [False] * N, windows_at(TIMES, spans))
    assert s.windows == 1 and s.score == -1.0


def test_the_standard_profile_is_nabs():
    assert (nab.STANDARD.tp, nab.STANDARD.fp, nab.STANDARD.fn) == (1.0, 0.11, 1.0)


@pytest.mark.skipif(not (BENCH / "data" / "nab").is_dir(), reason="bench data not present")
def test_on_the_bench_corpus_perfect_is_100_and_null_is_0():
    data = BENCH / "data" / "nab"
    windows = nab.read_windows(data / "labels" / "combined_windows.json")
    perfect, null = [], []
    for name, spans in sorted(windows.items()):
        times, _ = nab.read_series(data / name)
        starts = {start for start, _ in spans}
        perfect.append(nab.score_file(times, [t in starts for t in times], spans))
        null.append(nab.score_file(times, [False] * len(times), spans))
    assert sum(s.windows for s in perfect) == sum(len(v) for v in windows.values()) == 25
    assert nab.normalized(perfect) == pytest.approx(100.0)
    assert nab.normalized(null) == 0.0
    assert all(math.isclose(s.score, s.windows) for s in perfect)
