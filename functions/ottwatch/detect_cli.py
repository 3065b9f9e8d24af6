"""`ottwatch detect FILE.csv`: run the crowd detector over a NAB-format series.

In: a CSV with the header `timestamp,value` and rows like `2015-02-26 21:42:53,104` (naive timestamps are
UTC; ISO 8601 with an offset is accepted too). Out: `timestamp,value,anomaly_score,alert`, one row per input
row, written as soon as that row is read, so each output row depends only on the rows up to it (causal:
appending rows to the input never changes earlier output rows). `alert` is 1 on the row where the
detector raises an alert, i.e. where its level becomes CONFIRMED (from NONE or POSSIBLE): one alert per
episode, the way ottwatch notifies only on a real change, and what NAB counts as a detection (NAB charges
every flagged row outside a window as a false positive, so a held state would be charged per row).
`anomaly_score` is the detector's own 0..1 score of the row. With no config, the generic preset is used (`DetectorConfig.generic()`: any metric, rises and
drops, no report-count gates).

A malformed file (no header, a bad timestamp or number, a wrong number of fields) stops the run with a
message naming the line, on `err` (stderr by default), and return code 2; the rows before it are already out.
"""

from __future__ import annotations

import csv
import math
import sys
from datetime import datetime
from typing import TextIO

from ottwatch.domain.crowd import CrowdDetector, DetectorConfig

HEADER = ["timestamp", "value"]
OUT_HEADER = "timestamp,value,anomaly_score,alert"


class DetectInputError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


def run_detect(path: str, out: TextIO, config: DetectorConfig | None = None, *, err: TextIO | None = None) -> int:
    """Stream `path` through one detector into `out`. 0 on success, 2 on a malformed or unreadable file."""
    err = err if err is not None else sys.stderr
    detector = CrowdDetector(config if config is not None else DetectorConfig.generic())
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            out.write(OUT_HEADER + "\n")
            raised = False
            for stamp, raw_value, t, value in _rows(handle):
                d = detector.update(t, value)
                alert = d.alert and not raised
                raised = d.alert
                out.write(f"{stamp},{raw_value},{d.anomaly_score:.6f},{int(alert)}\n")
    except DetectInputError as exc:
        print(f"ottwatch detect: {path}: {exc}", file=err)
        return 2
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        print(f"ottwatch detect: {path}: cannot read: {exc}", file=err)
        return 2
    return 0


def _rows(handle: TextIO):
    reader = csv.reader(handle)
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header] != HEADER:
        got = "an empty file" if header is None else repr(",".join(header))
        raise DetectInputError(1, f"expected the header 'timestamp,value', got {got}")
    for row in reader:
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue  # blank lines (a trailing newline, say) carry no row
        if len(row) != 2:
            raise DetectInputError(line, f"expected 2 fields (timestamp,value), got {len(row)}")
        stamp, raw_value = row[0].strip(), row[1].strip()
        try:
            t = datetime.fromisoformat(stamp)
        except ValueError:
            raise DetectInputError(line, f"bad timestamp {stamp!r} (expected like 2015-02-26 21:42:53)") from None
        try:
            value = float(raw_value)
        except ValueError:
            raise DetectInputError(line, f"bad value {raw_value!r} (expected a number)") from None
        if not math.isfinite(value):
            raise DetectInputError(line, f"bad value {raw_value!r} (expected a finite number)")
        yield stamp, raw_value, t, value
