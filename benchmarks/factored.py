"""Family g, factored: graphs of rooms coupled by ``given`` predictions (issue 10, item 8).

The scenarios are built in ``benchmarks/graphs.py``: a ring, a chain, a 2-D torus, a binary
tree and a random partial 2-tree of rooms, each room paying by the act and the predictions about
its neighbours, and Newcomb's problem plus K independent coins. Today's engine treats every
draw as reading every prediction, so it meets the world bound or runs for minutes where the
answer is a dynamic programme of microseconds. This file holds those programmes, written
independently of newcomb's engine (they read the problem's plain data, never the scenario), and
a runner that times the engine against them.

    python benchmarks/factored.py [--quick] [--family ring ...] [--theory FDT ...]
                                  [--timeout 60] [--memory 4] [--engine CHECKOUT] [--json PATH]
    python benchmarks/run.py --only g [--quick] [--json PATH]

The baselines, all exact (integers and Fractions; accuracy 1 as 1 − ε, values as polynomials in
ε compared by their first differing coefficient, as the engine compares them):

- FDT: V(σ) = (1/n) Σ_r E[U_r | σ], a sum of one factor per room over the room and the rooms it
  reads, maximised over the 2^n pure policies in the max-sum semiring, counting the maximisers
  (an element is (value, count)). Three algorithms: the transfer DP round a ring or along a
  chain (fix the first room's act, sweep, close the cycle), message passing up a tree, and
  variable elimination with a min-degree order for anything else (torus, 2-trees), in plain
  Python over Fractions and again over numpy arrays of exact integers (the torus's).
- CDT and EDT: a pure σ is ratifiable when at every room r its act is among the best acts
  against σ. Room r's expected utilities read σ only on r and the rooms r reads: CDT holds every
  prediction at σ's act (the prediction about r itself too), EDT moves the prediction about r
  with the act it weighs (it conditions on the act; P(room = r) does not depend on it). So
  ratifiability is a 0/1 factor per room, and the count of ratifiable policies is the same three
  algorithms in the sum-product semiring (the ring's is the trace of a product of transfer
  matrices). When no room reads its own prediction, CDT and EDT agree.
- Newcomb plus coins: the closed form. Each coin adds its own expectation to every policy's
  value; FDT and EDT take the better of one-boxing and two-boxing, CDT two-boxes (dominance).

``tests/test_benchmark_families.py`` checks every baseline against brute force over all
policies and against newcomb's engine on the sizes it finishes.

Each engine attempt is ``python -m newcomb check FILE --only THEORY --json`` in a subprocess
with a timeout and a memory cap, so that a hang or a MemoryError does not stop the suite;
refusals (exit code 2) are recorded with their message. Figures are ratios against
``python -c "import sympy"`` timed in the same run (issue 10's targets are in those units), and
engine / baseline.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import newcomb  # noqa: E402
from benchmarks import graphs  # noqa: E402
from benchmarks.graphs import CoinsProblem, GraphProblem  # noqa: E402

T = TypeVar("T")
Poly = tuple[Fraction | int, ...]  # c0 + c1·ε + ..., all of one length per problem
Best = tuple[Poly, int]  # the max-sum semiring's element: (value, how many policies reach it)
Scope = tuple[int, ...]
Factor = tuple[Scope, dict[tuple[int, ...], Any]]

ACTS = range(len(graphs.ACTIONS))


@dataclass(frozen=True)
class Semiring:
    """``times`` combines factors, ``plus`` sums a variable out."""

    times: Callable[[Any, Any], Any]
    plus: Callable[[Any, Any], Any]
    one: Any


def _add(p: Poly, q: Poly) -> Poly:
    return tuple(a + b for a, b in zip(p, q, strict=True))


def _best_plus(x: Best, y: Best) -> Best:
    """The better of two (value, count) pairs; on a tie both counts."""
    if x[0] > y[0]:
        return x
    if y[0] > x[0]:
        return y
    return (x[0], x[1] + y[1])


def max_sum(length: int) -> Semiring:
    """(value, count) pairs: values add, the best is kept and its maximisers counted."""
    zero: Poly = (0,) * length
    return Semiring(lambda x, y: (_add(x[0], y[0]), x[1] * y[1]), _best_plus, (zero, 1))


COUNT = Semiring(lambda x, y: x * y, lambda x, y: x + y, 1)


# -- each room's factors -----------------------------------------------------------------------


def poly_length(problem: GraphProblem) -> int:
    """Coefficients kept: one per order of ε up to the most predictions one room reads."""
    return 1 if problem.accuracy is not None else 1 + max(len(r) for r in problem.reads)


def weight(problem: GraphProblem, x: int, y: int) -> Poly:
    """P(prediction = x | the policy's act there is y); with accuracy 1, 1 − ε or ε."""
    length = poly_length(problem)
    if problem.accuracy is not None:
        q = problem.accuracy
        return ((q if x == y else (1 - q) / (len(ACTS) - 1)),)
    w: list[Fraction | int] = [0] * length
    if x == y:
        w[0], w[1] = 1, -1
    else:
        w[1] = 1  # with two acts the error is the other one (ε / (|A| − 1) in general)
    return tuple(w)


def _mul(p: Poly, q: Poly) -> Poly:
    out: list[Fraction | int] = [0] * len(p)
    for i, a in enumerate(p):
        if a:
            for j in range(len(p) - i):
                out[i + j] += a * q[j]
    return tuple(out)


def room_eu(problem: GraphProblem, r: int, act: int, ys: Sequence[int]) -> Poly:
    """E[U_r] for act index ``act`` when the predictions about ``reads[r]`` are of acts ``ys``
    (each right, or wrong with the error probability)."""
    length = poly_length(problem)
    total: Poly = (0,) * length
    for xs in itertools.product(ACTS, repeat=len(ys)):
        w: Poly = (1,) + (0,) * (length - 1)
        for x, y in zip(xs, ys, strict=True):
            w = _mul(w, weight(problem, x, y))
        u = problem.payoff[r][(act, *xs)]
        total = _add(total, tuple(c * u for c in w))
    return total


def scope(problem: GraphProblem, r: int) -> Scope:
    """The rooms whose acts room r's factors read: itself and the rooms it reads."""
    return tuple(sorted({r, *problem.reads[r]}))


def room_factor(problem: GraphProblem, r: int, kind: str) -> Factor:
    """Room r's factor over :func:`scope`.

    ``"fdt"``: (E[U_r] under σ, 1). ``"cdt"`` / ``"edt"``: 1 if σ(r) is among the best acts at
    r against σ, else 0. CDT keeps every prediction at σ's acts; EDT moves the prediction about
    r (if r reads it) with the act weighed.
    """
    sc = scope(problem, r)
    reads = problem.reads[r]
    table: dict[tuple[int, ...], Any] = {}
    for assign in itertools.product(ACTS, repeat=len(sc)):
        env = dict(zip(sc, assign, strict=True))
        if kind == "fdt":
            table[assign] = (room_eu(problem, r, env[r], [env[u] for u in reads]), 1)
            continue
        if kind not in ("cdt", "edt"):
            raise ValueError(f"kind must be fdt, cdt or edt, not {kind!r}")
        eus = [
            room_eu(problem, r, a, [a if (u == r and kind == "edt") else env[u] for u in reads])
            for a in ACTS
        ]
        table[assign] = int(eus[env[r]] == max(eus))
    return sc, table


def factors(problem: GraphProblem, kind: str) -> list[Factor]:
    return [room_factor(problem, r, kind) for r in range(problem.n)]


def semiring(problem: GraphProblem, kind: str) -> Semiring:
    return max_sum(poly_length(problem)) if kind == "fdt" else COUNT


# -- three algorithms over any semiring ---------------------------------------------------------


def brute_force(problem: GraphProblem, kind: str) -> Any:
    """Every one of the 2^n pure policies (small n only): the reference for the others."""
    fs, sr = factors(problem, kind), semiring(problem, kind)
    total = None
    for sigma in itertools.product(ACTS, repeat=problem.n):
        x = sr.one
        for sc, table in fs:
            x = sr.times(x, table[tuple(sigma[u] for u in sc)])
        total = x if total is None else sr.plus(total, x)
    return total


def ring_dp(problem: GraphProblem, kind: str) -> Any:
    """Transfer DP round a ring (or along a chain: a ring whose last room reads nothing).

    Needs every room r to read only r and r + 1 mod n. Fix room 0's act, sweep r = 0..n-2
    keeping the best (or the count) per act of room r + 1, close with room n − 1's factor.
    """
    n, sr = problem.n, semiring(problem, kind)
    fs = factors(problem, kind)
    for r, (sc, _) in enumerate(fs):
        if not set(sc) <= {r, (r + 1) % n}:
            raise ValueError(f"room {r} reads beyond its successor: not a ring or chain")

    def f(r: int, a: int, b: int) -> Any:
        sc, table = fs[r]
        return table[tuple(a if u == r else b for u in sc)]

    total = None
    for a0 in ACTS:
        dp = {a0: sr.one}
        for r in range(n - 1):
            dp = {b: _fold(sr.plus, (sr.times(x, f(r, a, b)) for a, x in dp.items())) for b in ACTS}
        closed = _fold(sr.plus, (sr.times(x, f(n - 1, a, a0)) for a, x in dp.items()))
        total = closed if total is None else sr.plus(total, closed)
    return total


def tree_dp(problem: GraphProblem, kind: str) -> Any:
    """Message passing from the leaves up, rooted at room 0.

    Needs the rooms and the pairs (r, u) with r reading u to form a forest (each factor then
    has one room or one edge as its scope). A room's message to its parent is, for each act of
    the parent, the best (or the count) over its own act of its factors and its children's
    messages.
    """
    n, sr = problem.n, semiring(problem, kind)
    fs = factors(problem, kind)
    adj: dict[int, set[int]] = {v: set() for v in range(n)}
    for sc, _ in fs:
        if len(sc) > 2:
            raise ValueError("a room reads two others: not a tree")
        if len(sc) == 2:
            adj[sc[0]].add(sc[1])
            adj[sc[1]].add(sc[0])
    parent: dict[int, int | None] = {}
    order: list[int] = []
    for root in range(n):
        if root in parent:
            continue
        parent[root], stack = None, [root]
        while stack:
            v = stack.pop()
            order.append(v)
            for w in adj[v]:
                if w not in parent:
                    parent[w] = v
                    stack.append(w)
                elif w != parent[v]:
                    raise ValueError("the rooms' reads form a cycle: not a tree")
    on = {
        v: [f for f in fs if v in f[0] and all(u == v or u == parent[v] for u in f[0])]
        for v in range(n)
    }
    msg: dict[int, dict[int, Any]] = {}
    total = sr.one
    for v in reversed(order):
        children = [c for c in adj[v] if parent.get(c) == v]

        def local(a: int, b: int | None, v: int = v, children: list[int] = children) -> Any:
            x = sr.one
            for sc, table in on[v]:
                x = sr.times(x, table[tuple(a if u == v else b for u in sc)])
            for c in children:
                x = sr.times(x, msg[c][a])
            return x

        p = parent[v]
        if p is None:
            total = sr.times(total, _fold(sr.plus, (local(a, None) for a in ACTS)))
        else:
            msg[v] = {b: _fold(sr.plus, (local(a, b) for a in ACTS)) for b in ACTS}
    return total


def min_degree_order(scopes: Iterable[Scope], n: int) -> list[int]:
    """An elimination order: repeatedly the room with fewest neighbours (ties: lowest index) in
    the interaction graph, its neighbours then joined (the fill-in)."""
    adj: dict[int, set[int]] = {v: set() for v in range(n)}
    for sc in scopes:
        for u in sc:
            adj[u] |= set(sc) - {u}
    order = []
    while adj:
        v = min(adj, key=lambda u: (len(adj[u]), u))
        for u in adj[v]:
            adj[u] |= adj[v] - {u}
            adj[u].discard(v)
        del adj[v]
        order.append(v)
    return order


def variable_elimination(problem: GraphProblem, kind: str, order: list[int] | None = None) -> Any:
    """Sum (or max) out one room at a time (Dechter 1999, bucket elimination): the factors
    that read it are combined over the union of their scopes and the room summed out."""
    fs, sr = factors(problem, kind), semiring(problem, kind)
    if order is None:
        order = min_degree_order((sc for sc, _ in fs), problem.n)
    for v in order:
        touching = [f for f in fs if v in f[0]]
        fs = [f for f in fs if v not in f[0]]
        new_scope = tuple(sorted({u for sc, _ in touching for u in sc} - {v}))
        table = {}
        for assign in itertools.product(ACTS, repeat=len(new_scope)):
            env = dict(zip(new_scope, assign, strict=True))
            parts = []
            for a in ACTS:
                env[v] = a
                x = sr.one
                for sc, t in touching:
                    x = sr.times(x, t[tuple(env[u] for u in sc)])
                parts.append(x)
            table[assign] = _fold(sr.plus, parts)
        fs.append((new_scope, table))
    total = sr.one
    for _, t in fs:
        total = sr.times(total, t[()])
    return total


def numpy_elimination(problem: GraphProblem, kind: str) -> Any:
    """:func:`variable_elimination` with each factor a numpy array of exact Python integers.

    FDT's polynomial values are scaled to integers (by the accuracy's denominator to the
    power of the degree) and packed into one integer each in balanced base B, with B more than
    twice any coefficient a sum of room factors can reach, so that adding packed values adds
    the polynomials and comparing them compares the polynomials lexicographically (the order
    in ε). The counts ride along in a second array. CDT and EDT count in the first array alone.
    """
    import numpy as np

    fdt = kind == "fdt"
    raw = factors(problem, kind)
    length = poly_length(problem)
    depth = max(len(r) for r in problem.reads)  # weights multiplied into one room's value
    scale = 1 if problem.accuracy is None else problem.accuracy.denominator**depth
    bound = sum(max(abs(c) * scale for v in t.values() for c in v[0]) for _, t in raw) if fdt else 0
    base = 2 * bound + 1

    def pack(poly: Poly) -> int:
        out = 0
        for c in poly:
            scaled = Fraction(c) * scale
            if scaled.denominator != 1:
                raise ValueError("a room's value is not a multiple of 1/scale")
            out = out * base + scaled.numerator
        return out

    fs: list[tuple[Scope, Any, Any]] = []
    for sc, table in raw:
        val = np.empty((2,) * len(sc), dtype=object)
        cnt = np.ones((2,) * len(sc), dtype=object)
        for assign, x in table.items():
            val[assign] = pack(x[0]) if fdt else x
        fs.append((sc, val, cnt))
    for v in min_degree_order((sc for sc, _, _ in fs), problem.n):
        touching = [f for f in fs if v in f[0]]
        fs = [f for f in fs if v not in f[0]]
        full = (*sorted({u for sc, _, _ in touching for u in sc} - {v}), v)
        val: Any = 0 if fdt else 1
        cnt: Any = 1
        for sc, a, c in touching:
            order = sorted(range(len(sc)), key=lambda i, sc=sc: full.index(sc[i]))
            shape = [2 if u in sc else 1 for u in full]
            a = np.transpose(a, order).reshape(shape)
            if fdt:
                val, cnt = val + a, cnt * np.transpose(c, order).reshape(shape)
            else:
                val = val * a
        if fdt:  # (a 1-D object array reduces to a bare int: keep arrays)
            best = np.asarray(val.max(axis=-1), dtype=object)
            cnt = np.asarray((cnt * (val == best[..., None])).sum(axis=-1), dtype=object)
            val = best
        else:
            val = cnt = np.asarray(val.sum(axis=-1), dtype=object)
        fs.append((full[:-1], val, cnt))
    val_total: Any = 0 if fdt else 1
    cnt_total: Any = 1
    for _, a, c in fs:
        val_total, cnt_total = (
            (val_total + a[()], cnt_total * c[()]) if fdt else (val_total * a[()], 1)
        )
    if not fdt:
        return val_total
    digits = []
    for _ in range(length):
        d = val_total % base
        d = d - base if d > base // 2 else d
        digits.append(Fraction(d, scale))
        val_total = (val_total - d) // base
    return tuple(reversed(digits)), cnt_total


def _fold(op: Callable[[T, T], T], xs: Iterable[T]) -> T:
    it = iter(xs)
    acc = next(it)
    for x in it:
        acc = op(acc, x)
    return acc


# -- the answers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """FDT's optimal value (a polynomial in ε; ``value`` at ε = 0), how many pure policies
    reach it, and the CDT and EDT ratifiable pure-policy counts."""

    fdt_value: tuple[Fraction, ...]
    fdt_count: int
    cdt_count: int
    edt_count: int

    @property
    def value(self) -> Fraction:
        return self.fdt_value[0]


def solve(problem: GraphProblem, algorithm: Callable[[GraphProblem, str], Any]) -> Answer:
    """FDT's value and count and the ratifiable counts, with ``algorithm``."""
    poly, count = algorithm(problem, "fdt")
    value = tuple(Fraction(c) / problem.n for c in poly)
    return Answer(value, count, algorithm(problem, "cdt"), algorithm(problem, "edt"))


def fdt_value(problem: GraphProblem, algorithm: Callable[[GraphProblem, str], Any]) -> Fraction:
    """FDT's optimal value at ε = 0 alone."""
    poly, _ = algorithm(problem, "fdt")
    return Fraction(poly[0]) / problem.n


def optimal_policies(problem: GraphProblem) -> set[tuple[int, ...]]:
    """FDT's optimal pure policies by brute force (small n)."""
    fs = factors(problem, "fdt")
    values = {
        sigma: _fold(_add, (t[tuple(sigma[u] for u in sc)][0] for sc, t in fs))
        for sigma in itertools.product(ACTS, repeat=problem.n)
    }
    best = max(values.values())
    return {s for s, v in values.items() if v == best}


def ratifiable_policies(problem: GraphProblem, kind: str) -> set[tuple[int, ...]]:
    """CDT's (``"cdt"``) or EDT's ratifiable pure policies by brute force (small n)."""
    fs = factors(problem, kind)
    return {
        sigma
        for sigma in itertools.product(ACTS, repeat=problem.n)
        if all(t[tuple(sigma[u] for u in sc)] for sc, t in fs)
    }


def coins_answer(problem: CoinsProblem) -> dict[str, tuple[Fraction, int]]:
    """Each theory's value and policy count on Newcomb plus coins, in closed form.

    V(one-box) = q·10^6, V(two-box) = (1 − q)·10^6 + 1000, each plus Σ P(heads)·pay. EDT's
    expected utility of an act at the one observation is V of that act, so its ratifiable
    policies are FDT's; CDT's two-boxing gains 1000 whatever the prediction.
    """
    coins = sum((p * w for p, w in zip(problem.heads, problem.pays, strict=True)), Fraction(0))
    one = problem.q * 1_000_000 + coins
    two = (1 - problem.q) * 1_000_000 + 1000 + coins
    best = max(one, two)
    count = (one == best) + (two == best)
    return {"FDT": (best, count), "EDT": (best, count), "CDT": (two, 1)}


# -- the runner ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One family member: how to build it, and its baseline for each theory."""

    family: str
    label: str
    build: Callable[[], Any]  # the data: GraphProblem or CoinsProblem
    algorithm: Callable[[GraphProblem, str], Any] | None  # None: the coins' closed form


FAMILIES = ["ring", "chain", "torus", "tree", "ktree", "coins"]


def cases(quick: bool, families: Sequence[str] | None = None) -> list[Case]:
    """The sizes of issue 10 (``quick``: small ones only)."""
    sizes: dict[str, list[Case]] = {
        "ring": [
            Case("ring", f"ring {n}", lambda n=n: graphs.ring_problem(n), ring_dp)
            for n in ((4, 5) if quick else (4, 6, 8, 20, 200))
        ],
        "chain": [
            Case("chain", f"chain {n}", lambda n=n: graphs.chain_problem(n), ring_dp)
            for n in ((4, 5) if quick else (4, 6, 8, 20, 200))
        ],
        "torus": [
            Case(
                "torus", f"torus {k}x{k}", lambda k=k: graphs.torus_problem(k, k), numpy_elimination
            )
            for k in ((2,) if quick else (3, 4, 6))
        ],
        "tree": [
            Case("tree", f"tree {n}", lambda n=n: graphs.tree_problem(n), tree_dp)
            for n in ((5,) if quick else (15, 63))
        ],
        "ktree": [
            Case("ktree", f"2-tree {n}", lambda n=n: graphs.ktree_problem(n), variable_elimination)
            for n in ((5,) if quick else (20,))
        ],
        "coins": [
            Case("coins", f"newcomb + {k} coins", lambda k=k: graphs.coins_problem(k), None)
            for k in ((4, 8) if quick else (8, 16, 24))
        ],
    }
    chosen = families or list(sizes)
    return [c for f in chosen for c in sizes[f]]


def scenario_of(data: GraphProblem | CoinsProblem) -> newcomb.Scenario:
    if isinstance(data, CoinsProblem):
        return graphs.coins_scenario(data)
    return graphs.graph_scenario(data)


def baseline(case: Case, data: Any, theory: str) -> tuple[Fraction | None, int]:
    """The baseline's FDT value (``None`` for CDT and EDT) and policy count for one theory."""
    if case.algorithm is None:
        return coins_answer(data)[theory]
    if theory == "FDT":
        poly, count = case.algorithm(data, "fdt")
        return Fraction(poly[0]) / data.n, count
    return None, case.algorithm(data, theory.lower())


# The child runs the CLI and prints its peak memory (KiB) last on stderr (see run.py's _PEAK).
_CHILD = """
import runpy, sys
sys.argv = ['newcomb', *sys.argv[1:]]
try:
    runpy.run_module('newcomb', run_name='__main__')
finally:
    with open('/proc/self/status') as f:
        print(next(int(l.split()[1]) for l in f if l.startswith('VmHWM:')), file=sys.stderr)
"""


def _cap_memory(limit: int) -> Callable[[], None]:
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return cap


@dataclass(frozen=True)
class EngineRun:
    """One ``newcomb check --only THEORY --json`` run: ``outcome`` is ``"ok"``, ``"timeout"``,
    ``"refused: <message>"`` or ``"failed: <last line of stderr>"``."""

    outcome: str
    seconds: float
    peak_kib: int | None = None
    value: Fraction | None = None
    count: int | None = None
    pure_none: bool = False


def run_engine(
    path: Path, theory: str, timeout: float, memory: int, engine: Path = ROOT
) -> EngineRun:
    """Run the CLI of the checkout at ``engine`` (this one by default) on ``path``."""
    cmd = [sys.executable, "-c", _CHILD, "check", str(path), "--only", theory, "--json"]
    start = time.perf_counter()
    try:
        r = subprocess.run(
            cmd,
            cwd=engine,
            capture_output=True,
            timeout=timeout,
            preexec_fn=_cap_memory(memory),
            env={**os.environ, "PYTHONPATH": str(engine)},
        )
    except subprocess.TimeoutExpired:
        return EngineRun("timeout", time.perf_counter() - start)
    elapsed = time.perf_counter() - start
    err = r.stderr.decode(errors="replace").strip().splitlines()
    peak = int(err[-1]) if err and err[-1].isdigit() else None
    err = err[:-1] if peak is not None else err
    if r.returncode == 2:  # one line on stderr: "error: FILE: message"
        message = re.sub(rf"^error: {re.escape(str(path))}[:0-9]*: ", "", err[0]) if err else "?"
        return EngineRun("refused: " + message, elapsed, peak)
    if r.returncode not in (0, 1):
        last = next((line for line in reversed(err) if line.strip()), f"exit {r.returncode}")
        return EngineRun("failed: " + last.strip(), elapsed, peak)
    t = json.loads(r.stdout)["theories"][0]
    note = t["note"] or ""
    return EngineRun(
        "ok",
        elapsed,
        peak,
        Fraction(t["value"]) if t["value"] is not None else None,
        t["count"],
        pure_none=note.startswith("no ratifiable"),
    )


def timed_best(fn: Callable[[], object], budget: float = 0.5) -> float:
    """The median of five timings of ``fn`` (each the mean of enough calls to fill about
    ``budget`` seconds in all; µs work needs many calls)."""
    start = time.perf_counter()
    fn()
    once = time.perf_counter() - start
    loops = max(1, int(budget / 5 / max(once, 1e-7)))
    if once > budget:
        return once
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        runs.append((time.perf_counter() - start) / loops)
    return statistics.median(runs)


def sympy_seconds(repeat: int) -> float:
    """The median wall time of ``python -c "import sympy"``."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import sympy"], cwd=ROOT, capture_output=True)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def agreement(run: EngineRun, want: tuple[Fraction | None, int]) -> str:
    """``"agree"`` or what differs between the engine's answer and the baseline's."""
    if run.outcome != "ok":
        return "-"
    value, count = want
    if count == 0:
        return "agree (no pure)" if run.pure_none else f"DIFFER: engine count {run.count}, want 0"
    if run.count != count:
        return f"DIFFER: engine count {run.count}, want {count}"
    if value is not None and run.value != value:
        return f"DIFFER: engine value {run.value}, want {value}"
    return "agree"


def measure(
    case: Case, theories: Sequence[str], timeout: float, memory: int, engine: Path = ROOT
) -> list[dict[str, Any]]:
    """One family member: each theory's engine run and baseline, as rows."""
    data = case.build()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.yaml"
        path.write_text(newcomb.dumps(scenario_of(data)))
        for theory in theories:
            want = baseline(case, data, theory)
            t_base = timed_best(lambda theory=theory: baseline(case, data, theory))
            run = run_engine(path, theory, timeout, memory, engine)
            rows.append(
                {
                    "family": f"g {case.label}",
                    "theory": theory,
                    "outcome": run.outcome,
                    "engine_s": run.seconds,
                    "peak_kib": run.peak_kib,
                    "baseline_s": t_base,
                    "value": None if want[0] is None else str(want[0]),
                    "count": want[1],
                    "check": agreement(run, want),
                }
            )
    return rows


def rows(
    quick: bool,
    families: Sequence[str] | None = None,
    timeout: float = 60.0,
    memory: int = 4 << 30,
    progress: Callable[[dict[str, Any]], None] | None = None,
    theories: Sequence[str] = ("FDT", "CDT", "EDT"),
    engine: Path = ROOT,
) -> list[dict[str, Any]]:
    """Every row of family g. ``import sympy`` is timed (median of three) just before each
    family member's engine runs, so each ratio compares timings taken minutes apart at most
    on a machine whose load drifts."""
    out = []
    for case in cases(quick, families):
        sympy = sympy_seconds(3)
        for row in measure(case, theories, timeout, memory, engine):
            ok = row["outcome"] == "ok"
            row["sympy_s"] = sympy
            row["engine_vs_sympy"] = row["engine_s"] / sympy if ok else None
            row["baseline_vs_sympy"] = row["baseline_s"] / sympy
            row["engine_vs_baseline"] = row["engine_s"] / row["baseline_s"] if ok else None
            if progress is not None:
                progress(row)
            out.append(row)
    return out


HEADER = (
    f"{'family':<24} {'theory':<6} {'engine':>9} {'peak MiB':>8} {'engine/sympy':>12} "
    f"{'baseline (s)':>12} {'base/sympy':>10} {'engine/base':>12}  check"
)


def line(row: dict[str, Any]) -> str:
    """One row as text; a refusal or failure adds its message on a second line."""
    ok = row["outcome"] == "ok"
    engine = f"{row['engine_s']:.2f} s" if ok else row["outcome"].split(":")[0]
    peak = f"{row['peak_kib'] / 1024:.0f}" if row["peak_kib"] else "-"
    vs = f"{row['engine_vs_sympy']:.2f}" if ok else "-"
    ratio = f"{row['engine_vs_baseline']:,.0f}×" if ok else "-"
    text = (
        f"{row['family']:<24} {row['theory']:<6} {engine:>9} {peak:>8} {vs:>12} "
        f"{row['baseline_s']:>12.6f} {row['baseline_vs_sympy']:>10.5f} {ratio:>12}  "
        f"{row['check']}"
    )
    if not ok and row["outcome"] != "timeout":
        text += f"\n{'':<8}{row['outcome']}"
    return text


def main(argv: Sequence[str] | None = None) -> int:
    """Run family g and print one line per family member and theory; exit 1 if the engine and
    a baseline disagree anywhere."""
    ap = argparse.ArgumentParser(description="family g: factored problems against today's engine")
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--family", action="append", choices=FAMILIES, help="repeatable; default all")
    ap.add_argument("--theory", action="append", choices=["FDT", "CDT", "EDT"], help="repeatable")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per engine run")
    ap.add_argument("--memory", type=float, default=4.0, help="GiB of address space per run")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument(
        "--engine",
        type=Path,
        default=ROOT,
        help="the checkout whose `python -m newcomb` to time (default: this one)",
    )
    args = ap.parse_args(argv)
    print(HEADER, flush=True)
    out = rows(
        args.quick,
        args.family,
        args.timeout,
        int(args.memory * (1 << 30)),
        progress=lambda row: print(line(row), flush=True),
        theories=args.theory or ("FDT", "CDT", "EDT"),
        engine=args.engine.resolve(),
    )
    sympy = sorted(r["sympy_s"] for r in out)
    if sympy:
        print(f"import sympy took {sympy[0]:.3f} s to {sympy[-1]:.3f} s in this run")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 1 if any(r["check"].startswith("DIFFER") for r in out) else 0


if __name__ == "__main__":
    sys.exit(main())
