"""Scenario builders for the factored benchmark families (issue 10, item 8).

Every family is a graph of n rooms. The agent is in a uniformly random room and sees which
(one chance variable ``room``, observed). For every room v a predictor has predicted what the
agent would do on the observation ``room = v`` (a ``given`` prediction ``pv``, accuracy 1 by
default, so the engine computes it as 1 − ε). The payoff in room r is a seeded-random table of
small integers over the act and the predictions about the rooms r *reads* (its neighbours):

ring
    room r reads room r + 1 (mod n); with ``own=True`` also its own prediction (Newcomb's problem
    in every room, which is where CDT and EDT part).
chain
    room r reads room r + 1; the last room reads none.
torus
    an R × C grid wrapping round; room (i, j) reads its right and its down neighbour.
tree
    a complete binary tree (node v's parent is (v − 1) // 2); a room reads its parent, the root
    none.
ktree
    a random partial 2-tree: nodes 0, 1, 2 form a triangle, each later node is joined to both
    ends of a random edge of the 2-tree so far, and reads a random non-empty subset of those
    two. Every room's scope (itself and what it reads) is a clique of the 2-tree, so the
    treewidth is at most 2.

So every draw carries all n predictions and each observation reads one or two of them: the
coupling the issue asks for. Tables are resampled until the act's gain depends on what is read
(the coupling is real: the best act in r changes with the prediction about its neighbour).

The utility is written as the issue's new user wrote it, a sum of ``(room == 'rK') * (...)``
terms, where the expression language accepts it; past its bounds on length and nesting (at
commit ccd68d0: 4000 characters and 60 levels, so from about 40 rooms) as a table expression
``{lookup: [room, action], table: {rK: {a: ..., b: ...}}}`` whose leaves are the same
conditionals, which is also format v1. ``form=`` forces either.

Also :func:`newcomb_coins`: Newcomb's problem plus K independent, unobserved coins whose
seeded-random payoffs the utility adds up.

The data behind each scenario (:class:`GraphProblem`, :class:`CoinsProblem`) is what the
independent baselines in ``benchmarks/factored.py`` read; they never look at the scenario.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from newcomb import Chance, Prediction, Scenario, ScenarioError, Value
from newcomb.model import Variable

__all__ = [
    "ACTIONS",
    "CoinsProblem",
    "GraphProblem",
    "chain",
    "chain_problem",
    "coins_problem",
    "graph_scenario",
    "ktree",
    "ktree_problem",
    "newcomb_coins",
    "ring",
    "ring_problem",
    "torus",
    "torus_problem",
    "tree",
    "tree_problem",
]

ACTIONS = ("a", "b")


@dataclass(frozen=True)
class GraphProblem:
    """A family member as plain data.

    Attributes
    ----------
    name:
        The scenario's name.
    reads:
        For each room, the rooms whose predictions its payoff reads, in order.
    payoff:
        For each room r, ``payoff[r][(a, x1, ..., xk)]``: the payoff of act index a when the
        predictions about ``reads[r]`` are the act indices x1..xk.
    accuracy:
        Every predictor's accuracy; ``None`` for 1 (computed as 1 − ε, ties broken by the
        orders of ε, as the engine does).
    """

    name: str
    reads: tuple[tuple[int, ...], ...]
    payoff: tuple[dict[tuple[int, ...], int], ...]
    accuracy: Fraction | None = None

    @property
    def n(self) -> int:
        return len(self.reads)


def _coupled_table(rng: random.Random, k: int, high: int) -> dict[tuple[int, ...], int]:
    """A random table of 0..high over (act, k predictions) in which the act's gain depends on
    them."""
    keys = list(itertools.product(range(len(ACTIONS)), repeat=k + 1))
    while True:
        table = {key: rng.randint(0, high) for key in keys}
        if k == 0:
            return table
        gains = {
            table[(1, *x)] - table[(0, *x)]
            for x in itertools.product(range(len(ACTIONS)), repeat=k)
        }
        if len(gains) > 1:
            return table


def graph_problem(
    name: str,
    reads: Sequence[tuple[int, ...]],
    seed: int,
    accuracy: Fraction | None = None,
    high: int = 9,
) -> GraphProblem:
    """Draw each room's payoff table, integers 0..``high``, from a generator seeded by ``name``
    and ``seed`` (a small ``high`` makes ties, which the orders of ε then break)."""
    rng = random.Random(f"{name}/{seed}/{high}")
    payoff = tuple(_coupled_table(rng, len(r), high) for r in reads)
    return GraphProblem(name=name, reads=tuple(reads), payoff=payoff, accuracy=accuracy)


def ring_problem(
    n: int, seed: int = 0, *, own: bool = False, accuracy: Fraction | None = None
) -> GraphProblem:
    """Room r reads room r + 1 mod n (and itself first, with ``own``)."""
    if n < 2:
        raise ValueError("a ring needs at least 2 rooms")
    reads = [((r,) if own else ()) + ((r + 1) % n,) for r in range(n)]
    name = f"ring {n}" + (" (own)" if own else "")
    return graph_problem(name, reads, seed, accuracy)


def chain_problem(n: int, seed: int = 0, *, accuracy: Fraction | None = None) -> GraphProblem:
    """Room r reads room r + 1; the last reads none."""
    reads = [(r + 1,) for r in range(n - 1)] + [()]
    return graph_problem(f"chain {n}", reads, seed, accuracy)


def torus_problem(
    rows: int, cols: int, seed: int = 0, *, accuracy: Fraction | None = None
) -> GraphProblem:
    """Room (i, j), numbered i·cols + j, reads (i, j + 1) and (i + 1, j), wrapping round."""
    if rows < 2 or cols < 2:
        raise ValueError("a torus needs at least 2 rows and 2 columns")
    reads = [
        (i * cols + (j + 1) % cols, ((i + 1) % rows) * cols + j)
        for i in range(rows)
        for j in range(cols)
    ]
    return graph_problem(f"torus {rows}x{cols}", reads, seed, accuracy)


def tree_problem(n: int, seed: int = 0, *, accuracy: Fraction | None = None) -> GraphProblem:
    """A complete binary tree in heap order; each room reads its parent, the root none."""
    reads = [()] + [((v - 1) // 2,) for v in range(1, n)]
    return graph_problem(f"tree {n}", reads, seed, accuracy)


def ktree_problem(n: int, seed: int = 0, *, accuracy: Fraction | None = None) -> GraphProblem:
    """A random partial 2-tree: see the module docstring."""
    if n < 3:
        raise ValueError("a 2-tree needs at least 3 nodes")
    rng = random.Random(f"ktree-shape {n}/{seed}")
    edges = [(0, 1), (0, 2), (1, 2)]
    reads: list[tuple[int, ...]] = [(), (0,), (0, 1)]
    for v in range(3, n):
        u, w = edges[rng.randrange(len(edges))]
        edges += [(u, v), (w, v)]
        reads.append(rng.choice([(u,), (w,), (u, w)]))
    return graph_problem(f"ktree {n}", reads, seed, accuracy)


# -- the scenario ------------------------------------------------------------------------------


def _room_expr(problem: GraphProblem, r: int, act: int) -> str:
    """Room r's payoff for act index ``act``, as nested conditionals on its predictions."""

    def nest(prefix: tuple[int, ...]) -> str:
        depth = len(prefix)
        if depth == len(problem.reads[r]):
            return str(problem.payoff[r][(act, *prefix)])
        var = f"p{problem.reads[r][depth]}"
        yes, no = nest((*prefix, 0)), nest((*prefix, 1))
        return f"({yes} if {var} == '{ACTIONS[0]}' else {no})"

    return nest(())


def _sum_form(problem: GraphProblem) -> str:
    terms = []
    for r in range(problem.n):
        a, b = (_room_expr(problem, r, i) for i in range(2))
        terms.append(f"(room == 'r{r}') * ({a} if action == '{ACTIONS[0]}' else {b})")
    return " + ".join(terms)


def _table_form(problem: GraphProblem) -> dict[str, object]:
    table = {
        f"r{r}": {act: _room_expr(problem, r, i) for i, act in enumerate(ACTIONS)}
        for r in range(problem.n)
    }
    return {"lookup": ["room", "action"], "table": table}


def graph_scenario(problem: GraphProblem, form: str = "auto") -> Scenario:
    """The scenario of ``problem`` in format v1.

    ``form`` is ``"sum"`` (a sum of ``(room == 'rK') * (...)`` terms), ``"table"`` (a table
    expression on room and action) or ``"auto"``: the sum where the expression language of the
    newcomb imported accepts it (its bounds on length and nesting), else the table.
    """
    n = problem.n
    accuracy: object = 1 if problem.accuracy is None else str(problem.accuracy)
    variables: list[Variable] = [
        Chance(name="room", outcomes={f"r{r}": f"1/{n}" for r in range(n)})
    ]
    variables += [
        Prediction(name=f"p{v}", accuracy=accuracy, given={"room": f"r{v}"}) for v in range(n)
    ]
    if form not in ("sum", "table", "auto"):
        raise ValueError(f"form must be sum, table or auto, not {form!r}")
    if form != "table":
        try:
            return _scenario(problem, variables, _sum_form(problem))
        except ScenarioError:
            if form == "sum":
                raise
    return _scenario(problem, variables, _table_form(problem))


def _scenario(problem: GraphProblem, variables: list[Variable], utility: object) -> Scenario:
    return Scenario(
        name=problem.name,
        summary=(
            "The agent is in a uniformly random room and sees which; a predictor has predicted "
            "its act in every room, and each room pays by the act and a few of the predictions."
        ),
        actions=ACTIONS,
        variables=variables,
        observes=["room"],
        utility=utility,
    )


def ring(n: int, seed: int = 0, *, own: bool = False, form: str = "auto") -> Scenario:
    """A ring of n rooms (:func:`ring_problem`)."""
    return graph_scenario(ring_problem(n, seed, own=own), form)


def chain(n: int, seed: int = 0, *, form: str = "auto") -> Scenario:
    """A chain of n rooms (:func:`chain_problem`)."""
    return graph_scenario(chain_problem(n, seed), form)


def torus(rows: int, cols: int, seed: int = 0, *, form: str = "auto") -> Scenario:
    """A rows × cols torus of rooms (:func:`torus_problem`)."""
    return graph_scenario(torus_problem(rows, cols, seed), form)


def tree(n: int, seed: int = 0, *, form: str = "auto") -> Scenario:
    """A complete binary tree of n rooms (:func:`tree_problem`)."""
    return graph_scenario(tree_problem(n, seed), form)


def ktree(n: int, seed: int = 0, *, form: str = "auto") -> Scenario:
    """A random partial 2-tree of n rooms (:func:`ktree_problem`)."""
    return graph_scenario(ktree_problem(n, seed), form)


# -- Newcomb's problem plus K coins ------------------------------------------------------------


@dataclass(frozen=True)
class CoinsProblem:
    """Newcomb's problem (accuracy q) plus coins: coin k pays ``pays[k]`` with probability
    ``heads[k]``; nobody observes them."""

    q: Fraction
    heads: tuple[Fraction, ...]
    pays: tuple[int, ...]

    @property
    def k(self) -> int:
        return len(self.heads)


def coins_problem(k: int, seed: int = 0, q: Fraction = Fraction(99, 100)) -> CoinsProblem:
    """K coins with seeded-random P(heads) in tenths 1..9 and payoffs 1..9."""
    rng = random.Random(f"coins {k}/{seed}")
    heads = tuple(Fraction(rng.randint(1, 9), 10) for _ in range(k))
    pays = tuple(rng.randint(1, 9) for _ in range(k))
    return CoinsProblem(q=q, heads=heads, pays=pays)


def coins_scenario(problem: CoinsProblem) -> Scenario:
    """The scenario of ``problem``: scenarios/newcomb.yaml with the coins added to the utility."""
    coins = [
        Chance(name=f"c{i}", outcomes={"h": str(p), "t": str(1 - p)})
        for i, p in enumerate(problem.heads)
    ]
    terms = "".join(f" + {w}*(c{i} == 'h')" for i, w in enumerate(problem.pays))
    return Scenario(
        name=f"newcomb + {problem.k} coins",
        parameters={"q": str(problem.q)},
        actions=["one_box", "two_box"],
        variables=[
            Prediction(name="prediction", accuracy="q"),
            Value(name="box", expr="'full' if prediction == 'one_box' else 'empty'"),
            *coins,
        ],
        utility="1000000*(box == 'full') + 1000*(action == 'two_box')" + terms,
    )


def newcomb_coins(k: int, seed: int = 0) -> Scenario:
    """Newcomb's problem plus k independent coins (:func:`coins_problem`)."""
    return coins_scenario(coins_problem(k, seed))
