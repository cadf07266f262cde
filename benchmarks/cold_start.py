"""Cold start: `newcomb check scenarios/omicron.yaml` against `python -c "import sympy"`.

Both are timed in the same run, alternating, as fresh processes; the figure reported is the
ratio of medians, because these machines are shared and noisy. Run from the repository root:

    python benchmarks/cold_start.py [--repeat N] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True)
    elapsed = time.perf_counter() - start
    if r.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed with exit code {r.returncode}: {r.stderr.decode()}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    check = [sys.executable, "-m", "newcomb", "check", "scenarios/omicron.yaml"]
    baseline = [sys.executable, "-c", "import sympy"]
    empty = [sys.executable, "-c", "pass"]
    runs: dict[str, list[float]] = {"check": [], "import sympy": [], "python": []}
    timed(check), timed(baseline)  # warm the file cache
    for _ in range(args.repeat):
        runs["check"].append(timed(check))
        runs["import sympy"].append(timed(baseline))
        runs["python"].append(timed(empty))
    med = {k: statistics.median(v) for k, v in runs.items()}
    ratio = med["check"] / med["import sympy"]
    print(f"{'command':<42} {'median (s)':>10}")
    labels = {
        "check": "newcomb check scenarios/omicron.yaml",
        "import sympy": 'python -c "import sympy"',
        "python": "python -c pass",
    }
    for key, label in labels.items():
        print(f"{label:<42} {med[key]:>10.3f}")
    print(f"ratio check / import sympy: {ratio:.3f}  (target < 0.5)")
    if args.json:
        args.json.write_text(json.dumps({"median_s": med, "ratio": ratio}, indent=2) + "\n")


if __name__ == "__main__":
    main()
