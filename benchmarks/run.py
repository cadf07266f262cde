"""The benchmark suite: each figure is a ratio against a baseline run in the same process.

These machines are shared and noisy, so absolute times mean little; every family is timed
against its own baseline in the same run, alternating, and the ratio of medians is reported.

    python benchmarks/run.py [--quick] [--json benchmarks/results/latest.json]

Families (see docs/performance.md):

a. separable: one decision observing x with K values, a hidden y with two values whose
   distribution depends on x, integer payoffs 0-9 in a table u[x, y, action] (a table
   expression). Baseline: a plain numpy solver written here (per-observation argmax of
   Σ_y P(y | x) u[x, y, a]); pycid's published times are the peer reference. Also timed: the
   same argmax in plain Python with exact Fractions, the floor for exact arithmetic without
   arrays (``exact_floor_s``).
b. coupled: K observations tied together by a ``given`` prediction (what the agent would do on
   one observation changes every world), so FDT must search the joint policy space of 2^K
   policies. Baselines: brute force over all 2^K policies with vectorised numpy, written here;
   and, for small K, the exhaustive path (``--exhaustive``: every world of every policy).
c. self-referential: Omicron-like scenarios with N chance outcomes, a self-referential
   prediction and a ``select`` value; the fixed-point search dominates. Baseline: exhaustive.
d. sweep: 10^5 values of Newcomb's q, each theory's policy and value at every point.
   Baseline: solving points one at a time with the exact engine (timed on a sample, scaled).
e. cold start: ``newcomb check scenarios/omicron.yaml`` against ``python -c "import sympy"``;
   also Python with only the chosen dependencies imported (PyYAML, typer, rich's console and
   table), the floor under the check.
f. simulate: ``newcomb simulate scenarios/newcomb.yaml --episodes 1000000`` (10^6 episodes for
   each of the three theories, the whole command) against ``python -c "import sympy"``; the
   target is a ratio under 3.
g. factored: rooms on a ring, chain, torus, tree or 2-tree coupled by ``given`` predictions,
   and Newcomb's problem plus K coins (``benchmarks/factored.py``; ``--only g`` runs it alone).
   Baselines: exact DPs, variable elimination and a closed form written there, checked
   against the engine in tests/test_benchmark_families.py. Figures: ratios to ``import sympy``.
h. several decisions: absent-minded drivers with K intersections and K coins each followed by a
   decision (``benchmarks/several.py``; ``--only h``). Baselines: the engine's plain path
   (``--exhaustive``) and a numpy grid of the driver's closed-form value.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import newcomb  # noqa: E402
from benchmarks import factored, several  # noqa: E402
from newcomb import FDT, Chance, Prediction, Scenario, Select, Value  # noqa: E402
from newcomb.query import value  # noqa: E402
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


def best_of(fn: Callable[[], object], budget: float = 0.2) -> float:
    """Median time of one call, over enough calls to fill ``budget`` seconds (for µs work)."""
    return factored.timed_best(fn, budget)


# -- a. separable --------------------------------------------------------------------------------


def separable_data(k: int, n_a: int, seed: int = 0) -> tuple[list[Fraction], list[list[list[int]]]]:
    """P(y = y0 | x) as tenths in 1..9, and integer payoffs u[x][y][a] in 0..9."""
    rng = random.Random(seed * 100_003 + k * 31 + n_a)
    p = [Fraction(rng.randint(1, 9), 10) for _ in range(k)]
    u = [[[rng.randint(0, 9) for _ in range(n_a)] for _ in range(2)] for _ in range(k)]
    return p, u


def separable(k: int, n_a: int) -> Scenario:
    p, u = separable_data(k, n_a)
    acts = [f"a{j}" for j in range(n_a)]
    xs = [f"x{i}" for i in range(k)]
    y0 = {"lookup": ["x"], "table": {x: str(p[i]) for i, x in enumerate(xs)}}
    y1 = {"lookup": ["x"], "table": {x: str(1 - p[i]) for i, x in enumerate(xs)}}
    table = {
        x: {f"y{y}": {a: u[i][y][j] for j, a in enumerate(acts)} for y in range(2)}
        for i, x in enumerate(xs)
    }
    return Scenario(
        name=f"separable K={k}, |A|={n_a}",
        actions=acts,
        variables=[
            Chance(name="x", outcomes={x: f"1/{k}" for x in xs}),
            Chance(name="y", outcomes={"y0": y0, "y1": y1}),
        ],
        observes=["x"],
        utility={"lookup": ["x", "y", "action"], "table": table},
    )


def numpy_separable(p: Any, u: Any) -> Any:
    """The baseline: per observation, argmax over a of Σ_y P(y | x) u[x, y, a]."""
    eu = p[:, 0, None] * u[:, 0, :] + p[:, 1, None] * u[:, 1, :]
    return eu.argmax(axis=1)


def exact_separable(p: list[Fraction], u: list[list[list[int]]]) -> tuple[list[int], Fraction]:
    """The same argmax in plain Python with exact Fractions, and the value: what exact
    arithmetic costs without arrays (no validation, ties or reporting)."""
    k = len(p)
    value = Fraction(0)
    policy = []
    for x in range(k):
        eu = [p[x] * a0 + (1 - p[x]) * a1 for a0, a1 in zip(u[x][0], u[x][1], strict=True)]
        best = max(eu)
        policy.append(eu.index(best))
        value += best / k
    return policy, value


def separable_rows(quick: bool) -> list[dict[str, Any]]:
    rows = []
    sizes = (
        [(2, 2), (64, 2), (256, 2), (1024, 16)]
        if quick
        else [(k, n_a) for n_a in (2, 3, 16) for k in (2, 16, 64, 256, 1024)]
    )
    for k, n_a in sizes:
        s = separable(k, n_a)
        p_list, u_list = separable_data(k, n_a)
        p = np.array([[float(x), float(1 - x)] for x in p_list])
        u = np.array(u_list, dtype=float)

        def solve(s: Scenario = s) -> object:
            return FDT().decide(Model(s))

        decision = FDT().decide(Model(s))
        mine = [row.index(1) for row in decision.policies[0]]
        want = numpy_separable(p, u)
        # the same policy wherever the numpy argmax is not a near tie (floats there)
        eu = p[:, 0, None] * u[:, 0, :] + p[:, 1, None] * u[:, 1, :]
        top2 = np.sort(eu, axis=1)[:, -2:] if n_a > 1 else None
        clear = top2[:, 1] - top2[:, 0] > 1e-9 if top2 is not None else np.ones(k, bool)
        assert all(m == w for m, w, c in zip(mine, want, clear, strict=True) if c), s.name
        floor_policy, floor_value = exact_separable(p_list, u_list)
        assert mine == floor_policy, s.name  # ties: both take the first best act
        assert value(Model(s), decision.policies[0]) == floor_value, s.name
        t_new = timed(solve, 3)
        t_base = best_of(lambda p=p, u=u: numpy_separable(p, u))
        t_exact = timed(lambda p=p_list, u=u_list: exact_separable(p, u), 3)
        row = {
            "family": f"a separable K={k}, |A|={n_a}, FDT",
            "newcomb_s": t_new,
            "baseline_s": t_base,
            "slowdown": t_new / t_base,
            "exact_floor_s": t_exact,
            "vs_exact_floor": t_new / t_exact,
        }
        if k == 256 and n_a == 2:
            row["vs_pycid_40s"] = 40.0 / t_new
        rows.append(row)
    return rows


# -- b. coupled ----------------------------------------------------------------------------------


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


def numpy_coupled(k: int, q: float) -> tuple[float, int]:
    """The baseline: V(σ) of all 2^k policies of :func:`coupled` by brute force in numpy.
    V(σ) = 10 · P(pred = a | σ(v0)) + (1/k) · #{i: σ(vi) = b}."""
    sigma = (np.arange(1 << k, dtype=np.int64)[:, None] >> np.arange(k)) & 1  # 1 is b
    pays = np.where(sigma[:, 0] == 0, q, 1 - q) * 10
    v = pays + sigma.sum(axis=1) / k
    best = int(v.argmax())
    return float(v[best]), best


# Runs the CLI in this child and prints its own peak memory (KiB) last on stderr: VmHWM from
# /proc on Linux (ru_maxrss would carry over the parent's peak across exec), ru_maxrss elsewhere.
_PEAK = """
import resource, runpy, sys
sys.argv = ['newcomb', *sys.argv[1:]]
try:
    runpy.run_module('newcomb', run_name='__main__')
finally:
    try:
        with open('/proc/self/status') as f:
            peak = next(int(line.split()[1]) for line in f if line.startswith('VmHWM:'))
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(peak, file=sys.stderr)
"""


def coupled_cli(k: int, theory: str) -> tuple[float, int]:
    """Wall time and peak memory (KiB) of ``newcomb check FILE --only THEORY``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"coupled{k}.yaml"
        path.write_text(newcomb.dumps(coupled(k)))
        cmd = [sys.executable, "-c", _PEAK, "check", str(path), "--only", theory]
        start = time.perf_counter()
        r = subprocess.run(cmd, cwd=ROOT, capture_output=True, check=False)
        elapsed = time.perf_counter() - start
        if r.returncode not in (0, 1):
            sys.exit(f"newcomb check --only {theory} failed: {r.stderr.decode()}")
    return elapsed, int(r.stderr.decode().split()[-1])


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
    deps = [sys.executable, "-c", "import yaml, typer, rich.console, rich.table"]
    runs: dict[str, list[float]] = {"check": [], "sympy": [], "deps": []}
    for _ in range(repeat):
        for key, cmd in (("check", check), ("sympy", base), ("deps", deps)):
            start = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, capture_output=True, check=False)
            runs[key].append(time.perf_counter() - start)
    c, b = statistics.median(runs["check"]), statistics.median(runs["sympy"])
    d = statistics.median(runs["deps"])
    return {
        "family": "e cold start (check / import sympy)",
        "newcomb_s": c,
        "baseline_s": b,
        "ratio": c / b,
        "deps_s": d,
        "deps_ratio": d / b,
    }


def simulate_start(repeat: int) -> dict[str, Any]:
    """Family f: the whole ``newcomb simulate`` command against importing sympy, alternating."""
    command = [
        sys.executable,
        "-m",
        "newcomb",
        "simulate",
        "scenarios/newcomb.yaml",
        "--episodes",
        "1000000",
        "--json",
    ]
    base = [sys.executable, "-c", "import sympy"]
    runs: dict[str, list[float]] = {"simulate": [], "sympy": []}
    for _ in range(repeat):
        for key, cmd in (("simulate", command), ("sympy", base)):
            start = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True)
            runs[key].append(time.perf_counter() - start)
    c, b = statistics.median(runs["simulate"]), statistics.median(runs["sympy"])
    return {
        "family": "f simulate, 10^6 episodes x 3 theories (/ import sympy)",
        "newcomb_s": c,
        "baseline_s": b,
        "ratio": c / b,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description="newcomb benchmarks (ratios in one run)")
    ap.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--only", choices=["g", "h"], default=None, help="run only this family")
    args = ap.parse_args()
    g_args = ["--quick"] * args.quick
    g_args += ["--json", str(args.json)] if args.only and args.json else []
    if args.only == "g":
        sys.exit(factored.main(g_args))
    if args.only == "h":
        sys.exit(several.main(g_args))
    r = 1 if args.quick else 3
    rows: list[dict[str, Any]] = separable_rows(args.quick)
    for k in (6, 8) if args.quick else (8, 10):
        s = coupled(k)
        rows.append(
            family(
                f"b coupled, 2^{k} policies, FDT (vs exhaustive)",
                lambda s=s: analyse(s, exhaustive=False, only="FDT"),
                lambda s=s: analyse(s, exhaustive=True, only="FDT"),
                r,
            )
        )
    for k in (16, 20) if args.quick else (16, 20, 22):
        s = coupled(k)
        big = Limits(max_policies=1 << 22)
        decision = FDT().decide(Model(s, limits=big))
        _, best = numpy_coupled(k, 0.9)
        mine = [row.index(1) for row in decision.policies[0]]
        assert mine == [(best >> i) & 1 for i in range(k)], "newcomb and numpy disagree"
        rows.append(
            family(
                f"b coupled, 2^{k} policies, FDT (vs numpy brute force)",
                lambda s=s, big=big: FDT().decide(Model(s, limits=big)),
                lambda k=k: numpy_coupled(k, 0.9),
                r,
            )
        )
    for theory in ("FDT", "CDT", "EDT"):
        elapsed, peak = coupled_cli(20, theory)
        rows.append(
            {
                "family": f"b `newcomb check` 2^20 policies --only {theory}",
                "newcomb_s": elapsed,
                "baseline_s": None,
                "peak_kib": peak,
            }
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
    rows.append(simulate_start(5 if args.quick else 11))
    print(f"{'family':<58} {'newcomb (s)':>12} {'baseline (s)':>13} {'ratio':>16}")
    for row in rows:
        if row.get("speedup") is not None and row["speedup"] >= 1:
            text = f"{row['speedup']:,.1f}× faster"
        elif row.get("speedup") is not None:
            text = f"{1 / row['speedup']:,.1f}× slower"
        elif row.get("slowdown") is not None:
            text = f"{row['slowdown']:,.1f}× slower"
        elif row.get("ratio") is not None:
            text = f"{row['ratio']:.3f}"
        else:
            text = f"peak {row['peak_kib'] / 1024:.0f} MiB"
        base = row["baseline_s"]
        base_text = f"{base:>13.6f}" if base is not None else f"{'-':>13}"
        print(f"{row['family']:<58} {row['newcomb_s']:>12.6f} {base_text} {text:>16}")
        if "vs_exact_floor" in row:
            print(
                f"{'   (the argmax in plain Python with Fractions)':<58} {'':>12} "
                f"{row['exact_floor_s']:>13.6f} {row['vs_exact_floor']:>10,.1f}× slower"
            )
        if "vs_pycid_40s" in row:
            print(
                f"{'   (pycid, measured 40 s at K=256)':<58} {'':>12} {'':>13} "
                f"{row['vs_pycid_40s']:>10,.0f}× faster"
            )
        if "deps_ratio" in row:
            print(
                f"{'   (Python importing only PyYAML, typer, rich)':<58} {row['deps_s']:>12.6f} "
                f"{'':>13} {row['deps_ratio']:>16.3f}"
            )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    factored.main(g_args)  # g: its own table


if __name__ == "__main__":
    main()
