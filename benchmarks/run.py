"""The benchmark suite: each figure is a ratio against a baseline run in the same process.

These machines are shared and noisy, so absolute times mean little; every family is timed
against its own baseline in the same run, alternating, and the ratio of medians is reported.

    python benchmarks/run.py [--quick] [--json benchmarks/results/latest.json]

Families (see docs/performance.md):

b. coupled: K observations tied together by a ``given`` prediction (what the agent would do on
   one observation changes every world), so FDT must search the joint policy space of 2^K
   policies. Baseline: the exhaustive path (``--exhaustive``: every world of every policy).
c. self-referential: Omicron-like scenarios with N chance outcomes, a self-referential
   prediction and a ``select`` value; the fixed-point search dominates. Baseline: exhaustive.
d. sweep: 10^5 values of Newcomb's q, each theory's policy and value at every point.
   Baseline: solving points one at a time with the exact engine (timed on a sample, scaled).
e. cold start: ``newcomb check scenarios/omicron.yaml`` against ``python -c "import sympy"``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import newcomb  # noqa: E402
from newcomb import Chance, Prediction, Scenario, Select, Value  # noqa: E402
from newcomb.sweep import parse_grid, sweep  # noqa: E402
from newcomb.theories import builtin_theories  # noqa: E402
from newcomb.world import Limits, Model  # noqa: E402


def timed(fn: Callable[[], object], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def coupled(k: int) -> Scenario:
    """K observed values of x; a prediction of the act on x = v0 pays on every observation."""
    return Scenario(
        name=f"coupled {k}",
        parameters={"q": "9/10"},
        actions=["a", "b"],
        variables=[
            Chance(name="x", outcomes={f"v{i}": f"1/{k}" for i in range(k)}),
            Prediction(name="pred", accuracy="q", given={"x": "v0"}),
            Value(name="bonus", expr="10 * (pred == 'a')"),
        ],
        observes=["x"],
        utility="bonus + (action == 'b')",
    )


def self_referential(n: int) -> Scenario:
    """Omicron with n numbers (half of them prime) and Omega free to hide Omicron's."""
    outcomes = {f"n{i}": f"1/{n}" for i in range(n)}
    return Scenario(
        name=f"omicron {n}",
        actions=["one_box", "two_box"],
        variables=[
            Chance(name="number", outcomes=outcomes),
            Value(name="prime", expr=f"number in {[f'n{i}' for i in range(0, n, 2)]}"),
            Prediction(name="prediction", accuracy=1),
            Select(name="hide", options=[False, True]),
            Value(name="box_prime", expr="prediction == 'one_box'"),
            Value(name="coincide", expr="box_prime == prime and not hide"),
        ],
        observes=["coincide"],
        utility="1000000*box_prime + 2000000*(not prime) + 1000*(action == 'two_box')",
        predictor=newcomb.Predictor(prefer="2*coincide + (not hide)"),
    )


def family(
    name: str, fast: Callable[[], object], base: Callable[[], object], repeat: int
) -> dict[str, Any]:
    t_fast = timed(fast, repeat)
    t_base = timed(base, repeat)
    return {"family": name, "newcomb_s": t_fast, "baseline_s": t_base, "speedup": t_base / t_fast}


def analyse(s: Scenario, *, exhaustive: bool, only: str | None = None) -> object:
    theories = [t for t in builtin_theories() if only is None or t.name == only]
    limits = Limits(max_policies=1 << 22)
    return newcomb.analyse(s, theories, limits=limits, exhaustive=exhaustive)


def cold_start(repeat: int) -> dict[str, Any]:
    check = [sys.executable, "-m", "newcomb", "check", "scenarios/omicron.yaml"]
    base = [sys.executable, "-c", "import sympy"]
    runs: dict[str, list[float]] = {"check": [], "sympy": []}
    for _ in range(repeat):
        for key, cmd in (("check", check), ("sympy", base)):
            start = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, capture_output=True, check=False)
            runs[key].append(time.perf_counter() - start)
    c, b = statistics.median(runs["check"]), statistics.median(runs["sympy"])
    return {
        "family": "e cold start (check / import sympy)",
        "newcomb_s": c,
        "baseline_s": b,
        "ratio": c / b,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description="newcomb benchmarks (ratios in one run)")
    ap.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    r = 1 if args.quick else 3
    rows: list[dict[str, Any]] = []
    for k in (6, 8) if args.quick else (8, 10):
        s = coupled(k)
        rows.append(
            family(
                f"b coupled, 2^{k} policies, FDT",
                lambda s=s: analyse(s, exhaustive=False, only="FDT"),
                lambda s=s: analyse(s, exhaustive=True, only="FDT"),
                r,
            )
        )
    for n in (8, 32) if args.quick else (16, 64):
        s = self_referential(n)
        rows.append(
            family(
                f"c self-referential, {n} draws, all theories",
                lambda s=s: analyse(s, exhaustive=False),
                lambda s=s: analyse(s, exhaustive=True),
                r,
            )
        )
    nb = newcomb.load(ROOT / "scenarios" / "newcomb.yaml")
    points = 10_000 if args.quick else 100_000
    t_sweep = timed(lambda: sweep(nb, builtin_theories(), parse_grid(f"q=0:1:{points}")), r)
    sample = [newcomb.model.parse_number(f"{i}/37") for i in range(1, 37, 4)]
    start = time.perf_counter()
    for x in sample:
        m = Model(nb.with_parameters(q=x))
        for t in builtin_theories():
            t.decide(m)
    per_point = (time.perf_counter() - start) / len(sample)
    rows.append(
        {
            "family": f"d sweep, {points} points of q",
            "newcomb_s": t_sweep,
            "baseline_s": per_point * points,
            "speedup": per_point * points / t_sweep,
        }
    )
    rows.append(cold_start(5 if args.quick else 11))
    print(f"{'family':<46} {'newcomb (s)':>12} {'baseline (s)':>13} {'ratio':>10}")
    for row in rows:
        ratio = row.get("speedup")
        text = f"{ratio:,.1f}× faster" if ratio is not None else f"{row['ratio']:.3f}"
        print(
            f"{row['family']:<46} {row['newcomb_s']:>12.4f} {row['baseline_s']:>13.4f} {text:>10}"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
