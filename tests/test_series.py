"""ε-polynomials: exact arithmetic and ordering as ε → 0⁺."""

from __future__ import annotations

from fractions import Fraction as F

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newcomb import series
from newcomb.series import EPSILON, Eps, exact_sum, leading, ratio, sign, weighted_sums


def test_arithmetic_and_limit() -> None:
    q = 1 - EPSILON
    assert (q * q).c == (F(1), F(-2), F(1))
    assert leading(q * 1000 + EPSILON * 5) == 1000
    assert q + F(1, 2) == Eps((F(3, 2), F(-1)))
    assert 2 * EPSILON - EPSILON == EPSILON


def test_order_breaks_ties_by_higher_orders() -> None:
    a = 1000000 * (1 - EPSILON)
    b = 1000000 * (1 - EPSILON) + 1000 * EPSILON
    assert leading(a) == leading(b)
    assert a < b and b > a and a != b
    assert sign(EPSILON) == 1 and sign(-EPSILON) == -1 and sign(Eps(())) == 0
    assert Eps((F(2),)) == F(2) and hash(Eps((F(2),))) == hash(F(2))


def test_ratio_is_the_limit_of_a_tremble() -> None:
    # P(full) = ε, E[U · 1(full)] = 1001000 ε: conditioning on the tremble gives its value.
    r = ratio(1001000 * EPSILON, EPSILON)
    assert leading(r) == 1001000
    mixed = ratio(3 * EPSILON + 5 * EPSILON * EPSILON, EPSILON + EPSILON * EPSILON)
    assert leading(mixed) == 3
    assert isinstance(mixed, Eps) and mixed.c[1] == 2  # (3 + 5ε)/(1 + ε) = 3 + 2ε - ...
    with pytest.raises(ZeroDivisionError):
        ratio(F(1), Eps(()))
    with pytest.raises(ZeroDivisionError):
        ratio(F(1), EPSILON)  # diverges


def test_plain_rationals_stay_rationals() -> None:
    assert ratio(F(1), F(3)) == F(1, 3) and isinstance(ratio(F(1), F(3)), F)


# -- sums over a common denominator ----------------------------------------------------------

rationals = st.fractions(max_denominator=10**6)
numbers = st.one_of(
    rationals,
    st.tuples(rationals, rationals).map(lambda c: Eps(c)),  # ε-polynomials too
)


def naive_weighted(parts: list[tuple[object, tuple[object, ...]]], n: int) -> list[object]:
    out: list[object] = [F(0)] * n
    for w, u in parts:
        out = [t + w * x for t, x in zip(out, u, strict=True)]  # type: ignore[operator]
    return out


@given(st.lists(numbers, max_size=12))
def test_exact_sum_is_the_sum(xs: list[object]) -> None:
    total: object = F(0)
    for x in xs:
        total = total + x  # type: ignore[operator]
    got = exact_sum(xs)
    assert got == total
    assert type(got) is type(total) or not xs


@given(
    st.integers(min_value=0, max_value=4).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.tuples(numbers, st.tuples(*[rationals] * n)), max_size=8),
        )
    )
)
def test_weighted_sums_are_the_sums(case: tuple[int, list[tuple[object, tuple[F, ...]]]]) -> None:
    n, parts = case
    assert weighted_sums(parts, n) == naive_weighted(parts, n)


def test_a_huge_common_denominator_falls_back_to_term_by_term(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    primes = [F(1, p) for p in (101, 103, 107, 109, 113)]
    parts = [(x, (F(1), F(1, 7))) for x in primes]
    want = naive_weighted(parts, 2)  # type: ignore[arg-type]
    monkeypatch.setattr(series, "COMMON_DENOMINATOR_BITS", 8)  # lcm 101·103·... needs 34 bits
    assert weighted_sums(parts, 2) == want  # type: ignore[arg-type]
    assert exact_sum(primes) == sum(primes, F(0))


def test_zero_tests_of_formulas() -> None:
    """is_zero on sympy formulas (mixed-equilibrium solving): identically zero or not, through
    the shortcuts for products, powers and polynomials and the general common denominator."""
    import sympy

    x, y = sympy.symbols("x y", positive=True)
    q = sympy.Symbol("q", real=True)
    zero = [
        x * (y + 1 - y - 1),
        (x + 1) ** 2 - x**2 - 2 * x - 1,
        q * (1 - x) - q + q * x,
        1 / (x + 1) - 1 / (1 + x),
        x / (x + y) + y / (x + y) - 1,
        (sympy.sqrt(2) * x + 1) ** 2 - 2 * x**2 - 2 * sympy.sqrt(2) * x - 1,
    ]
    nonzero = [
        x * (1 - x) * 2,
        x**2,
        1 / (x - y),
        2**q,
        x / (x + y),
        sympy.sqrt(2) * x - sympy.sqrt(3) * x,
        (x + 1) ** 2 - x**2 - 1,
    ]
    for e in zero:
        assert series.is_zero(e), e
    for e in nonzero:
        assert not series.is_zero(e), e
