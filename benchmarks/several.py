"""Family h: several decision points (``python benchmarks/run.py --only h``).

h1. Absent-minded drivers with K intersections of one information set and payoffs drawn from
    a seed: the exact ex-ante optimum of a polynomial of degree K, and CDT's and EDT's
    equilibria. Baselines in the same process: the engine's own plain path (``--exhaustive``:
    every combination of draws listed), and a numpy grid of 10^5 continue-probabilities
    valued by the closed form V(p) = Σ_i p^(i-1)(1 - p)·a_i + p^K·c (floats; the engine's
    exact optimum must be at least the grid's best).
h2. Perfect recall: K coins, each followed by a decision that sees it (K information sets on
    two observations each, 2^(2K) pure policies): the pure search's figure against the plain
    path.

Every figure is a ratio of medians against its baseline, timed alternately in this process.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newcomb.io import loads  # noqa: E402
from newcomb.model import Scenario  # noqa: E402
from newcomb.several import analyse_several, as_float  # noqa: E402


def driver_payoffs(k: int, seed: int = 0) -> list[int]:
    """a_1 .. a_K (exit at intersection i) and c (drive past all): integers 0-9."""
    rng = random.Random(seed * 1000 + k)
    return [rng.randint(0, 9) for _ in range(k + 1)]


def driver_text(pays: list[int]) -> str:
    """The file of a driver with len(pays) - 1 intersections of one information set: exiting
    at intersection i pays pays[i - 1], driving past all of them pays pays[-1]."""
    k = len(pays) - 1
    lines = ["  x1: {decide: road}"]
    for i in range(2, k + 1):
        lines.append(f"  x{i}: {{decide: road, when: \"x{i - 1} == 'continue'\"}}")
    expr = str(pays[k])
    for i in range(k, 0, -1):
        expr = f"({pays[i - 1]} if x{i} == 'exit' else {expr})"
    text = "newcomb: 1\nname: driver\nactions: [exit, continue]\nvariables:\n"
    return text + "\n".join(lines) + f'\nutility: "{expr}"\n'


def driver(k: int, seed: int = 0) -> Scenario:
    return loads(driver_text(driver_payoffs(k, seed)))


def numpy_driver(pays: list[int], points: int = 100_000) -> float:
    """The best V(p) on a grid of continue-probabilities, by the closed form."""
    import numpy as np

    p = np.linspace(0.0, 1.0, points)
    k = len(pays) - 1
    v = sum(p ** (i - 1) * (1 - p) * pays[i - 1] for i in range(1, k + 1)) + p**k * pays[k]
    return float(v.max())


def coins(k: int) -> Scenario:
    lines = []
    terms = []
    for i in range(1, k + 1):
        lines.append(f"  c{i}: {{chance: {{h: 1/3, t: 2/3}}}}")
        lines.append(f"  d{i}: {{decide: I{i}, observes: [c{i}]}}")
        terms.append(f"{i} * (d{i} == 'a') * (c{i} == 'h') + (d{i} == 'b') * (c{i} == 't')")
    text = "newcomb: 1\nname: coins\nactions: [a, b]\nvariables:\n" + "\n".join(lines)
    return loads(text + f'\nutility: "{" + ".join(terms)}"\n')


def pair(
    name: str, mine: Callable[[], object], base: Callable[[], object], r: int
) -> dict[str, Any]:
    """Median times of ``mine`` and ``base`` over ``r`` alternating runs (the machine's drift
    hits both), and their ratio."""
    times: list[list[float]] = [[], []]
    for _ in range(r):
        for i, fn in enumerate((mine, base)):
            t = time.perf_counter()
            fn()
            times[i].append(time.perf_counter() - t)
    ma, mb = statistics.median(times[0]), statistics.median(times[1])
    return {"family": name, "newcomb_s": ma, "baseline_s": mb, "ratio": ma / mb}


def rows(quick: bool) -> list[dict[str, Any]]:
    r = 3 if quick else 5
    out = []
    for k in (2, 3) if quick else (2, 3, 4):
        s = driver(k)
        report = analyse_several(s)
        best = numpy_driver(driver_payoffs(k))
        assert as_float(report.optimum) >= best - 1e-9, "the exact optimum is below a grid point"
        out.append(
            pair(
                f"h1 driver, {k} intersections, all theories (vs --exhaustive)",
                lambda s=s: analyse_several(s),
                lambda s=s: analyse_several(s, exhaustive=True),
                r,
            )
        )
        out.append(
            pair(
                f"h1 driver, {k} intersections, FDT exact (vs numpy grid of 10^5 floats)",
                lambda s=s: analyse_several(s, ["FDT"]),
                lambda k=k: numpy_driver(driver_payoffs(k)),
                r,
            )
        )
    for k in (2, 3) if quick else (3, 4):
        s = coins(k)
        out.append(
            pair(
                f"h2 {k} coins, {k} information sets, all theories (vs --exhaustive)",
                lambda s=s: analyse_several(s),
                lambda s=s: analyse_several(s, exhaustive=True),
                r,
            )
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="newcomb benchmarks, family h (several decisions)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    found = rows(args.quick)
    for row in found:
        print(f"{row['family']:<78} {row['newcomb_s']:.4f} s  ratio {row['ratio']:.3g}")
    if args.json is not None:
        args.json.write_text(json.dumps(found, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
