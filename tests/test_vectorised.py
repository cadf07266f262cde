"""The array fast paths of newcomb.vectorised agree with the slice-by-slice searches and with
the plain exhaustive search, on generated scenarios: FDT's exact integer tables per coupled
group, and CDT's and EDT's ratifiability decided per observation on the slices it reads.

The search picks the array paths for groups of at least ``search.VECTOR_FROM`` joint slices;
here they are forced on for every group (and off) so that both paths meet every generated
scenario, whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newcomb import FDT, Model, Scenario
from newcomb import search as search_module
from newcomb.model import Chance, Prediction, Value
from newcomb.search import optimal_policies, ratifiable_policies
from newcomb.series import EPSILON, Eps
from newcomb.testing import predictor_problems, scenarios
from newcomb.theories.ratify import ratifiable_pure
from newcomb.vectorised import _coefficients, _minus_lambda, build
from newcomb.world import Limits, as_pure


@contextmanager
def vector_from(n: int) -> Iterator[None]:
    old = search_module.VECTOR_FROM
    search_module.VECTOR_FROM = n
    try:
        yield
    finally:
        search_module.VECTOR_FROM = old


def found(s: Scenario, rule: str, n: int) -> tuple[tuple[tuple[int, ...], ...], int]:
    model = Model(s)
    with vector_from(n):
        f = optimal_policies(model, rule)  # type: ignore[arg-type]
    return tuple(as_pure(pi) for pi in f.policies), f.total


RULES = ("fail", "random", "retry")
generated = st.one_of(
    scenarios(paradox_rules=list(RULES)),
    predictor_problems(paradox_rules=list(RULES)),
    scenarios(min_observed=2),
)


@given(s=generated, rule=st.sampled_from(RULES))
def test_arrays_agree_with_slice_by_slice(s: Scenario, rule: str) -> None:
    assert found(s, rule, 0) == found(s, rule, 1 << 62)


@given(s=generated)
def test_arrays_agree_with_the_exhaustive_search(s: Scenario) -> None:
    fast = Model(s)
    with vector_from(0):
        got = FDT().decide(fast)
    want = FDT().decide(Model(s, exhaustive=True))
    assert got.policies == want.policies
    assert got.total == want.total


def ratifiable(s: Scenario, how: str, n: int) -> tuple[tuple[tuple[int, ...], ...], int]:
    model = Model(s)
    with vector_from(n):
        f = ratifiable_policies(model, how)  # type: ignore[arg-type]
    return tuple(as_pure(pi) for pi in f.policies), f.total


@given(s=generated, how=st.sampled_from(["intervene", "condition"]))
def test_ratifiability_tables_agree_with_backtracking(s: Scenario, how: str) -> None:
    assert ratifiable(s, how, 0) == ratifiable(s, how, 1 << 62)


@given(s=generated, how=st.sampled_from(["intervene", "condition"]))
def test_ratifiability_tables_agree_with_the_exhaustive_search(s: Scenario, how: str) -> None:
    # the pure search only: the mixed equilibria that follow when it finds none do not
    # depend on how it searched
    with vector_from(0):
        got = ratifiable_pure(Model(s), how)  # type: ignore[arg-type]
    want = ratifiable_pure(Model(s, exhaustive=True), how)  # type: ignore[arg-type]
    assert got.policies == want.policies
    assert got.total == want.total


def test_every_policy_ratifiable_is_counted_without_visiting_each() -> None:
    # the act itself pays nothing: CDT finds all 2^16 policies of the coupled group ratifiable
    # (EDT all 2^15 that take a at v0, where taking a is evidence of a prediction of a). The
    # tables decide each observation on 4 slices instead of walking 65536.
    s = star(16, "9/10")
    flat = Scenario(
        name="indifferent",
        parameters=s.parameters,
        actions=s.actions,
        variables=s.variables,
        observes=s.observes,
        utility="bonus",
    )
    for how, count in (("intervene", 2**16), ("condition", 2**15)):
        policies, total = ratifiable(flat, how, 0)
        assert total == count
        assert len(policies) == 64
        assert policies[0] == (0,) * 16
        assert all(p[0] == 0 for p in policies) or how == "intervene"


def star(k: int, accuracy: str) -> Scenario:
    """k observed values of x, one group: a prediction of the act on x = v0 pays on every one."""
    return Scenario(
        name=f"star {k}",
        parameters={"q": accuracy},
        actions=["a", "b"],
        variables=[
            Chance(name="x", outcomes={f"v{i}": f"1/{k}" for i in range(k)}),
            Prediction(name="pred", accuracy="q", given={"x": "v0"}),
            Value(name="bonus", expr="10 * (pred == 'a')"),
        ],
        observes=["x"],
        utility="bonus + (action == 'b')",
    )


@pytest.mark.parametrize("accuracy", ["9/10", "1"])
def test_a_group_of_2_to_the_12_policies_has_one_optimum(accuracy: str) -> None:
    s = star(12, accuracy)
    model = Model(s)
    with vector_from(0):
        f = optimal_policies(model, "fail")
    assert f.total == 1 and f.groups == 1
    # a on v0 (the prediction pays 10 there), b everywhere else (1 more)
    assert as_pure(f.policies[0]) == (0,) + (1,) * 11


def test_ties_are_counted_and_the_first_listed() -> None:
    # the utility ignores the act: every canonical policy ties, 2^8 of them
    s = Scenario(
        name="ties",
        actions=["a", "b"],
        variables=[Chance(name="x", outcomes={f"v{i}": "1/8" for i in range(8)})],
        observes=["x"],
        utility="1",
    )
    fast, slow = found(s, "fail", 0), found(s, "fail", 1 << 62)
    assert fast == slow
    assert fast[1] == 256
    assert len(fast[0]) == 64  # REPORT_LIMIT


def test_symbolic_values_fall_back_to_slices() -> None:
    model = Model(star(3, "9/10"), symbols=["q"])
    scopes = model.draw_scope()
    assert build(model, (0, 1, 2), list(range(len(scopes))), "fail") is None


def test_coefficients_of_eps_and_rationals() -> None:
    assert _coefficients(Fraction(3, 4)) == (Fraction(3, 4),)
    assert _coefficients(Fraction(0)) == ()
    assert _coefficients(Eps((Fraction(1), Fraction(-2)))) == (Fraction(1), Fraction(-2))


def test_gain_minus_lambda_den_is_exact_by_order() -> None:
    import numpy as np

    gain = np.array([[3, 5], [1, 0]], dtype=np.int64)  # orders × slices
    den = np.array([[2, 2], [0, 4]], dtype=np.int64)
    lam = Fraction(1, 2) + Fraction(1, 3) * EPSILON  # 1/2 + ε/3; common denominator 6
    rows = _minus_lambda(gain, den, _coefficients(lam))
    # order 0: 6·gain0 − 3·den0; order 1: 6·gain1 − 3·den1 − 2·den0; order 2: −2·den1
    assert [list(r) for r in rows] == [[12, 24], [2, -16], [0, -8]]


def test_overflowing_sums_use_python_integers() -> None:
    big = 2**70
    s = Scenario(
        name="big",
        actions=["a", "b"],
        variables=[Chance(name="x", outcomes={f"v{i}": "1/9" for i in range(9)})],
        observes=["x"],
        utility=f"{big} * (action == 'b') + (x == 'v3') * (action == 'a') * {2 * big}",
    )
    model = Model(s, limits=Limits())
    with vector_from(0):
        f = optimal_policies(model, "fail")
    assert f.total == 1
    assert as_pure(f.policies[0]) == (1, 1, 1, 0, 1, 1, 1, 1, 1)
