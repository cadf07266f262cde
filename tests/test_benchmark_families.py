"""The factored benchmark families (benchmarks/graphs.py) and their baselines
(benchmarks/factored.py), checked so that the next session can trust them.

Three layers: each dynamic programme and the variable elimination equal brute force over every
pure policy; the baselines equal newcomb's engine (FDT's value as a polynomial in ε, its count
and its set of optimal policies; CDT's and EDT's ratifiable pure policies, or their absence) on
the sizes the engine of commit ccd68d0 (before issue 10's work) finishes, 2 to 6 rooms (there
about 45 s in all; 3 s on main at d389e15); the coins' closed form equals the engine.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

import newcomb
from benchmarks import factored as F
from benchmarks import graphs as G
from newcomb.series import Eps


def _ties(reads: tuple[tuple[int, ...], ...], seed: int) -> G.GraphProblem:
    """Payoffs 0 or 1: many ties at ε = 0, broken (or not) by the orders of ε."""
    return G.graph_problem("ties", reads, seed, high=1)


SMALL = [
    *(G.ring_problem(n) for n in (2, 3, 4, 5, 7)),
    *(G.ring_problem(n, own=True) for n in (2, 3, 5, 6)),
    *(G.chain_problem(n) for n in (2, 3, 6)),
    *(G.tree_problem(n) for n in (3, 7, 10)),
    G.torus_problem(2, 2),
    G.torus_problem(2, 3),
    G.torus_problem(3, 3),
    *(G.ktree_problem(n, seed) for n in (3, 6, 9) for seed in (0, 1)),
    G.ring_problem(5, accuracy=Fraction(9, 10)),
    G.torus_problem(2, 3, accuracy=Fraction(2, 3)),
    *(_ties(G.ring_problem(n, own=o).reads, s) for n in (3, 5) for s in range(4) for o in (0, 1)),
    *(_ties(G.torus_problem(2, 3).reads, s) for s in range(3)),
    *(_ties(G.tree_problem(6).reads, s) for s in range(3)),
]


def _fits_ring(p: G.GraphProblem) -> bool:
    return all(set(F.scope(p, r)) <= {r, (r + 1) % p.n} for r in range(p.n))


def _fits_tree(p: G.GraphProblem) -> bool:
    try:
        F.tree_dp(p, "cdt")
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("problem", SMALL, ids=lambda p: p.name)
def test_every_algorithm_equals_brute_force(problem: G.GraphProblem) -> None:
    want = F.solve(problem, F.brute_force)
    algorithms = [F.variable_elimination, F.numpy_elimination]
    algorithms += [F.ring_dp] if _fits_ring(problem) else []
    algorithms += [F.tree_dp] if _fits_tree(problem) else []
    for algorithm in algorithms:
        assert F.solve(problem, algorithm) == want, algorithm.__name__
    # and the counts are the sizes of the brute-force sets
    assert want.fdt_count == len(F.optimal_policies(problem))
    assert want.cdt_count == len(F.ratifiable_policies(problem, "cdt"))
    assert want.edt_count == len(F.ratifiable_policies(problem, "edt"))


def test_the_families_fit_their_algorithms() -> None:
    assert _fits_ring(G.ring_problem(200)) and _fits_ring(G.chain_problem(200))
    assert _fits_tree(G.tree_problem(63)) and _fits_tree(G.chain_problem(20))
    assert not _fits_tree(G.ring_problem(5)) and not _fits_ring(G.torus_problem(3, 3))


def test_the_sets_differ_somewhere() -> None:
    """The families are not trivial: ties, several ratifiable policies, none, and CDT and EDT
    parting where a room reads its own prediction all occur among the small problems."""
    answers = [F.solve(p, F.brute_force) for p in SMALL]
    assert any(a.fdt_count > 1 for a in answers)
    assert any(a.cdt_count > 1 for a in answers)
    assert any(a.cdt_count == 0 for a in answers)
    assert any(a.cdt_count != a.edt_count for a in answers)
    own = [p for p in SMALL if p.name.endswith("(own)")]
    assert all(
        a.cdt_count == a.edt_count
        for p, a in zip(SMALL, answers, strict=True)
        if p not in own and "ties" not in p.name
    )


def test_the_coupling_is_real_and_the_ktree_narrow() -> None:
    for p in (G.ring_problem(20), G.torus_problem(4, 4), G.tree_problem(15), G.ktree_problem(20)):
        for r, reads in enumerate(p.reads):
            if reads:
                gains = {p.payoff[r][(1, *x)] - p.payoff[r][(0, *x)] for x in _xs(len(reads))}
                assert len(gains) > 1, (p.name, r)
    for seed in range(5):
        p = G.ktree_problem(40, seed)
        assert _width(p) <= 2
    assert _width(G.torus_problem(6, 6)) > 2


def _xs(k: int) -> list[tuple[int, ...]]:
    import itertools

    return list(itertools.product((0, 1), repeat=k))


def _width(p: G.GraphProblem) -> int:
    """The largest scope the min-degree elimination creates, less one."""
    scopes = [set(F.scope(p, r)) for r in range(p.n)]
    width = 0
    for v in F.min_degree_order([tuple(s) for s in scopes], p.n):
        touching = [s for s in scopes if v in s]
        merged = set().union(*touching)
        width = max(width, len(merged) - 1)
        scopes = [s for s in scopes if v not in s] + [merged - {v}]
    return width


# -- against newcomb's engine -------------------------------------------------------------------


def _engine(scenario: newcomb.Scenario) -> dict[str, Any]:
    report = newcomb.analyse(scenario)
    m = report.model
    rooms = [int(str(m.observation_dict(o)["room"])[1:]) for o in range(len(m.observations))]
    out = {}
    for t in report.theories:
        pure = set()
        for p in t.policies:
            if all(sum(1 for x in row if x) == 1 for row in p.behaviour):
                acts = {rooms[o]: row.index(1) for o, row in enumerate(p.behaviour)}
                pure.add(tuple(acts[r] for r in range(len(rooms))))
        out[t.theory] = (t.total, pure, t.policies[0].value if t.policies else None, t.note)
    return out


def _poly(x: Any) -> tuple[Fraction, ...]:
    c = list(x.c if isinstance(x, Eps) else x if isinstance(x, tuple) else (x,))
    while c and c[-1] == 0:
        c.pop()
    return tuple(c)


ENGINE = [
    *(G.ring_problem(n) for n in (3, 4)),
    *(G.ring_problem(n, own=True) for n in (3, 4)),
    *(G.chain_problem(n) for n in (3, 4)),
    *(G.tree_problem(n) for n in (3, 4)),
    G.torus_problem(2, 2),
    G.ktree_problem(4),
    G.ring_problem(4, accuracy=Fraction(3, 4)),
    *(_ties(G.ring_problem(3, own=own).reads, s) for s in range(4) for own in (0, 1)),
    *(_ties(G.torus_problem(2, 2).reads, s) for s in range(2)),
]
ENGINE_LARGER = [
    *(G.ring_problem(n) for n in (5, 6)),
    G.ring_problem(4, own=True, accuracy=Fraction(4, 5)),
    *(G.chain_problem(n) for n in (5, 6)),
    G.tree_problem(6),
    G.torus_problem(2, 3),
    G.ktree_problem(6),
    *(_ties(G.ring_problem(5).reads, s) for s in range(3)),
]


def _check_against_engine(problem: G.GraphProblem) -> None:
    engine = _engine(G.graph_scenario(problem))
    poly, count = (
        F.ring_dp(problem, "fdt") if _fits_ring(problem) else F.variable_elimination(problem, "fdt")
    )
    total, policies, value, _ = engine["FDT"]
    assert total == count
    assert policies == F.optimal_policies(problem)
    assert _poly(value) == _poly(tuple(Fraction(c) / problem.n for c in poly))
    for theory in ("CDT", "EDT"):
        want = F.ratifiable_policies(problem, theory.lower())
        assert len(want) == F.variable_elimination(problem, theory.lower())
        total, policies, _, note = engine[theory]
        if want:
            assert (total, policies) == (len(want), want), theory
        else:
            assert note is not None and note.startswith("no ratifiable"), theory


@pytest.mark.parametrize("problem", ENGINE, ids=lambda p: p.name)
def test_baselines_equal_the_engine(problem: G.GraphProblem) -> None:
    _check_against_engine(problem)


@pytest.mark.parametrize("problem", ENGINE_LARGER, ids=lambda p: p.name)
def test_baselines_equal_the_engine_at_five_and_six_rooms(problem: G.GraphProblem) -> None:
    _check_against_engine(problem)


@pytest.mark.parametrize(("k", "seed"), [(0, 0), (1, 0), (2, 1), (3, 2)])
def test_coins_closed_form_equals_the_engine(k: int, seed: int) -> None:
    problem = G.coins_problem(k, seed)
    report = newcomb.analyse(G.coins_scenario(problem))
    want = F.coins_answer(problem)
    for t in report.theories:
        value, count = want[t.theory]
        assert (t.total, t.policies[0].value) == (count, value), t.theory


def test_coins_where_two_boxing_wins() -> None:
    problem = G.coins_problem(2, 0, q=Fraction(1, 2))
    report = newcomb.analyse(G.coins_scenario(problem))
    want = F.coins_answer(problem)
    assert want["FDT"] == want["CDT"]
    assert {t.theory: (t.policies[0].value, t.total) for t in report.theories} == want


def test_both_forms_are_format_v1_and_mean_the_same() -> None:
    problem = G.torus_problem(2, 2, seed=3)
    answers = []
    for form in ("sum", "table"):
        s = G.graph_scenario(problem, form)
        assert newcomb.loads(newcomb.dumps(s)) == s
        answers.append({k: (v[0], v[1], v[2]) for k, v in _engine(s).items()})
    assert answers[0] == answers[1]
    assert "(room == 'r19')" in G.ring(20).utility.source  # the form
    big = G.ring(200)  # a table where the language refuses the sum (its bounds on length, nesting)
    assert big.utility.table is not None or "(room == 'r199')" in big.utility.source
    with pytest.raises(ValueError):
        G.graph_scenario(problem, "matrix")


# -- the runner ----------------------------------------------------------------------------------


def test_runner_records_answers_refusals_and_timeouts(tmp_path: Any) -> None:
    small, bad = tmp_path / "small.yaml", tmp_path / "bad.yaml"
    small.write_text(newcomb.dumps(G.ring(3)))
    bad.write_text("newcomb: 1\nname: no actions\n")
    ok = F.run_engine(small, "FDT", timeout=60, memory=4 << 30)
    case = F.Case("ring", "ring 3", lambda: G.ring_problem(3), F.ring_dp)
    assert ok.outcome == "ok"
    assert F.agreement(ok, F.baseline(case, G.ring_problem(3), "FDT")) == "agree"
    assert F.agreement(ok, (Fraction(-1), 1)).startswith("DIFFER")
    refused = F.run_engine(bad, "CDT", timeout=60, memory=4 << 30)
    assert refused.outcome.startswith("refused: ") and str(bad) not in refused.outcome
    assert F.run_engine(small, "EDT", timeout=0.01, memory=4 << 30).outcome == "timeout"


@pytest.mark.parametrize("k", [2, 3])
def test_several_family_driver_baseline_agrees_with_the_exact_optimum(k: int) -> None:
    """Family h: the numpy grid of the closed-form V(p) never beats the engine's exact
    optimum and comes within the grid's resolution of it."""
    from benchmarks import several as H
    from newcomb.several import analyse_several, as_float

    report = analyse_several(H.driver(k))
    grid = H.numpy_driver(H.driver_payoffs(k))
    assert grid <= as_float(report.optimum) + 1e-9
    assert as_float(report.optimum) - grid < 1e-6 * max(1.0, abs(grid)) + 1e-4


def test_several_family_coins_fast_and_plain_paths_agree() -> None:
    from benchmarks import several as H
    from newcomb.several import analyse_several

    s = H.coins(2)
    assert analyse_several(s).to_json() == analyse_several(s, exhaustive=True).to_json()
