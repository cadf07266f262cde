"""ε-polynomials: exact arithmetic and ordering as ε → 0⁺."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from newcomb.series import EPSILON, Eps, leading, ratio, sign


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
