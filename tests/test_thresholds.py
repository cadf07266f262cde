"""Exact thresholds in one parameter, cross-checked against solving at points."""

from __future__ import annotations

from fractions import Fraction as F
from typing import Any

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

import newcomb
from newcomb.testing import scenarios
from newcomb.theories import CDT, EDT, FDT, Theory
from newcomb.thresholds import _translate, policies_at, thresholds, verdict_key
from newcomb.world import Model


def test_newcomb_thresholds() -> None:
    s = newcomb.load("scenarios/newcomb.yaml")
    assert thresholds(s, CDT(), "q").points == ()
    for theory in (EDT(), FDT()):
        th = thresholds(s, theory, "q")
        assert th.points == (F(1001, 2000),)
        valid = [r for r in th.regions if r.policies is not None]
        assert (valid[0].lo, valid[0].lo_closed) == (0, True)
        assert (valid[-1].hi, valid[-1].hi_closed) == (1, True)
        invalid = [r for r in th.regions if r.policies is None]
        assert [(r.lo, r.hi) for r in invalid] == [(None, 0), (1, None)]


def test_transparent_newcomb_fdt_threshold() -> None:
    th = thresholds(newcomb.load("scenarios/transparent_newcomb.yaml"), FDT(), "q")
    assert F(1000, 1999) in th.points  # q·1e6 + (1−q)·1e3 = q·1e3 + (1−q)·1001000


@pytest.mark.parametrize("theory", [CDT(), EDT(), FDT()], ids=lambda t: t.name)
@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("scenarios/newcomb.yaml", "q"),
        ("scenarios/transparent_newcomb.yaml", "q"),
        ("scenarios/omicron.yaml", "p"),
    ],
)
def test_regions_agree_with_solving_at_points(path: str, param: str, theory: Theory) -> None:
    s = newcomb.load(path)
    th = thresholds(s, theory, param)
    for r in th.regions:
        if r.policies is None or r.lo is None or r.hi is None:
            continue
        probes = [r.lo + (r.hi - r.lo) * F(k, 7) for k in range(1, 7)] if not r.point else [r.lo]
        for x in probes:
            m = Model(s.with_parameters(**{param: x}))
            got = tuple(theory.decide(m).policies)  # type: ignore[union-attr]
            assert verdict_key(got) == verdict_key(r.policies), (x, r)


# Transparent Newcomb with the parameter in the payoff too: FDT's two candidate policies are
# V1 = 10^6 q + 1000 q (1 - q) (one-box on full, two-box on empty) and V2 = 1000 q + 10^6 (1 - q)
# (always two-box); V1 - V2 = 2·10^6 q - 10^6 - 1000 q², zero at q = 1000 - 30·sqrt(1110).
TRANSPARENT_Q_PAYOFF = """
newcomb: 1
name: Transparent Newcomb, the bonus scaled by q
parameters: {q: 0.99}
actions: [one_box, two_box]
variables:
  prediction: {predicts: action, given: {box: full}, accuracy: q}
  box: {value: "'full' if prediction == 'one_box' else 'empty'"}
observes: [box]
utility: 1000000*(box == 'full') + 1000*q*(action == 'two_box')
"""


def test_an_irrational_threshold_is_found_and_named() -> None:
    import sympy

    s = newcomb.loads(TRANSPARENT_Q_PAYOFF)
    th = thresholds(s, FDT(), "q")
    root = 1000 - 30 * sympy.sqrt(1110)
    assert th.points[-1] == root  # exact, not a float
    below = [r for r in th.regions if r.policies is not None and r.hi is not None and r.hi == root]
    above = [r for r in th.regions if r.policies is not None and r.lo is not None and r.lo == root]
    assert below and above
    for region in (below[0], above[0]):  # (below is a sliver: another pair of policies ties
        probe = region.sample  # at q = (sqrt(4000001) - 1999) / 2, just under the root)
        assert isinstance(probe, F)
        m = Model(s.with_parameters(q=probe))
        got = tuple(FDT().decide(m).policies)
        assert verdict_key(got) == verdict_key(region.policies)
    assert verdict_key(below[0].policies) != verdict_key(above[0].policies)


def test_exact_comparisons_with_algebraic_thresholds() -> None:
    import sympy

    from newcomb.thresholds import _between, _less

    r = 1000 - 30 * sympy.sqrt(1110)  # 0.5001250...
    assert _less(F(1, 2), r) and not _less(r, F(1, 2))
    assert _less(r, F(5002, 10000)) and not _less(F(5002, 10000), r)
    x = _between(r, F(1))
    assert isinstance(x, F) and _less(r, x) and x < 1


def test_a_rational_threshold_stays_a_rational() -> None:
    """Newcomb with a two-boxing cost of 537000: EDT and FDT switch at q = 463/2000, which
    sympy 1.14's nsimplify (once applied to every rational root) turned into a product of
    powers, leaving the point's own verdict open."""
    s = newcomb.load("scenarios/newcomb.yaml")
    text = newcomb.dumps(s).replace("1000*(action == 'two_box')", "-537000*(action == 'two_box')")
    s = newcomb.loads(text)
    th = thresholds(s, EDT(), "q")
    assert th.points == (F(463, 2000),)
    assert all(isinstance(x, F) for x in th.points)
    (point,) = [r for r in th.regions if r.point and r.lo == F(463, 2000)]
    assert point.policies is not None and len(point.policies) == 2  # both acts: a tie


def test_unknown_parameter() -> None:
    with pytest.raises(newcomb.ScenarioError, match="no parameter named 'z'"):
        thresholds(newcomb.load("scenarios/newcomb.yaml"), EDT(), "z")


# -- generated scenarios ---------------------------------------------------------------------


def _probes(r: Any) -> list[F]:
    """Rational points of a region: the point itself, or a few inside the interval."""
    if r.point:
        return [r.lo] if isinstance(r.lo, F) else []
    if not isinstance(r.sample, F):
        return []
    if isinstance(r.lo, F) and isinstance(r.hi, F):
        return [r.lo + (r.hi - r.lo) * F(k, 5) for k in range(1, 5)]
    return [r.sample]


@settings(max_examples=min(settings.default.max_examples, 40))
@given(
    s=scenarios(max_variables=3, max_unknowns=1, max_observed=1, max_policies=9, max_branches=12),
    data=st.data(),
)
def test_regions_agree_with_solving_at_points_on_generated_scenarios(
    s: newcomb.Scenario, data: st.DataObject
) -> None:
    """CDT's and EDT's regions, mixed equilibria included, hold at rational points inside them:
    the same verdict, and the policies shown (probabilities as formulas in the parameter)
    equal the exact ones there."""
    assume(s.parameters)
    name = data.draw(st.sampled_from(sorted(s.parameters)), label="parameter")
    symbolic = Model(s, symbols=[name])
    for theory in (CDT(), EDT()):
        th = thresholds(s, theory, name)
        for r in th.regions:
            if r.policies is None:
                continue
            for x in _probes(r):
                m = Model(s.with_parameters(**{name: x}))
                got = tuple(
                    _translate(m, symbolic, pi)
                    for pi in theory.decide(m).policies  # type: ignore[union-attr]
                )
                assert verdict_key(got) == verdict_key(r.policies), (theory.name, x, r)
                if r.formulas is not None:
                    event("a mixed region with formulas")
                    assert policies_at(r.shown, name, x) == got, (theory.name, x)


@st.composite
def predicted_games(draw: st.DrawFn) -> newcomb.Scenario:
    """Death in Damascus's shape: a prediction of the act with accuracy q, payoffs that depend
    on the act and the prediction, nothing observed (CDT often mixes here)."""
    n = draw(st.integers(min_value=2, max_value=3), label="actions")
    acts = ["a", "b", "c"][:n]
    terms = []
    for act in acts:
        for pred in acts:
            k = draw(st.integers(min_value=-9, max_value=9), label="payoff")
            terms.append(f"{k}*(action == '{act}' and guess == '{pred}')")
    return newcomb.Scenario(
        name="game",
        actions=acts,
        parameters={"q": draw(st.sampled_from(["1/2", "2/3", "9/10"]), label="q")},
        variables=[newcomb.Prediction(name="guess", accuracy="q")],
        utility=" + ".join(terms),
    )


@settings(max_examples=min(settings.default.max_examples, 40))
@given(s=predicted_games())
def test_mixed_regions_agree_with_solving_at_points(s: newcomb.Scenario) -> None:
    """In games against a predictor CDT's answer is often a mixed equilibrium whose
    probabilities move with the accuracy: the formulas shown hold at points inside each
    region, and the regions' verdicts are the exact ones."""
    th = thresholds(s, CDT(), "q")
    for r in th.regions:
        if r.policies is None:
            continue
        for x in _probes(r):
            m = Model(s.with_parameters(q=x))
            got = tuple(CDT().decide(m).policies)  # type: ignore[union-attr]
            assert verdict_key(got) == verdict_key(r.policies), (x, r)
            if r.formulas is not None:
                event("a mixed region with formulas")
                assert policies_at(r.shown, "q", x) == got, x
