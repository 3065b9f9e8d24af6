"""Cold-start import cost of each handler module, against importing boto3 alone (DESIGN.md budget:
"importing a handler module costs little more than importing boto3 itself").

Each figure is the median wall time of N fresh interpreters running one import, measured side by side
in one run; the ratio column is handler / boto3. Usage: .venv/bin/python bench/cold_start.py [N]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

TARGETS = {
    "python (nothing)": "pass",
    "boto3": "import boto3",
    "ottwatch.handlers.collect": "import ottwatch.handlers.collect",
    "ottwatch.handlers.publish": "import ottwatch.handlers.publish",
    "ottwatch.handlers.api": "import ottwatch.handlers.api",
}


def measure(statement: str, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    # Interleave rounds so drift on a shared machine hits every target alike.
    results = {name: [] for name in TARGETS}
    for _ in range(runs):
        for name, statement in TARGETS.items():
            results[name].append(measure(statement, 1))
    base = statistics.median(results["python (nothing)"])
    boto = statistics.median(results["boto3"]) - base
    print(f"median of {runs} fresh interpreters each; import cost = wall time minus a bare interpreter ({base*1000:.0f} ms)")
    print(f"{'module':<28}{'import ms':>10}{'x boto3':>9}")
    for name in TARGETS:
        if name == "python (nothing)":
            continue
        cost = statistics.median(results[name]) - base
        print(f"{name:<28}{cost*1000:>10.0f}{cost/boto:>9.2f}")


if __name__ == "__main__":
    main()
