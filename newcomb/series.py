"""Exact numbers for the limit of perfect accuracy.

A predictor with accuracy 1 is treated as accuracy ``1 - ε`` with ``ε`` infinitesimal
(DESIGN.md §2): probabilities become polynomials in ``ε`` with rational coefficients, expectations
become ratios of such polynomials, and comparing them lexicographically by order of ``ε`` is
"compare at ε = 0, break exact ties by higher orders". Conditioning on an observation that has
probability zero at ε = 0 then uses its leading non-zero order (a tremble).

:class:`Eps` is a small exact polynomial type; :func:`ratio` divides two of them as power series
truncated at a fixed order, which is all the comparisons need.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from math import lcm
from typing import Any, TypeGuard, Union, cast

__all__ = [
    "EPSILON",
    "Eps",
    "Num",
    "exact_sum",
    "is_zero",
    "leading",
    "ratio",
    "sign",
    "weighted_sums",
]

Num = Union[Fraction, "Eps"]

# Orders kept when a ratio of polynomials is expanded as a power series in ε. Each accuracy-1
# prediction in a world contributes one factor of ε, so this bounds the depth of tie-breaking.
SERIES_ORDER = 8

# Sums of many rationals are taken over one common denominator while it stays this small (in
# bits); past it, or with ε-polynomials or formulas among the terms, term by term.
COMMON_DENOMINATOR_BITS = 1024


def _zero(x: object) -> bool:
    """Exact zero test for rationals, and for sympy expressions (mixed-equilibrium solving)."""
    if isinstance(x, Fraction | int):
        return x == 0
    import sympy

    if x == 0:
        return True
    e: Any = None
    if isinstance(x, sympy.Basic):
        # A product is identically zero only if a factor is, a power only if its base is (a
        # negative power's base is not zero), a symbol or a non-zero number never: most
        # weights are products, and bringing them over a common denominator is slow.
        if x.is_Symbol or x.is_Number:
            return False
        if x.is_Mul:
            return any(_zero(f) for f in x.args)
        if x.is_Pow:
            return _zero(x.base)
        if x.is_polynomial():
            e = sympy.expand(x)  # no symbol in a denominator: no common denominator needed
    if e is None:
        num, _den = sympy.together(x).as_numer_denom()
        e = sympy.expand(num)
    if e == 0:
        return True
    if not e.has(sympy.Pow) or all(p.exp.is_Integer for p in e.atoms(sympy.Pow)):
        return False  # a non-zero polynomial in the symbols with rational coefficients
    z = e.is_zero
    if z is None:
        z = sympy.simplify(e) == 0
    return bool(z)


class Eps:
    """A polynomial ``c0 + c1·ε + c2·ε² + ...`` with exact rational coefficients.

    Compares as ε → 0⁺: by the first coefficient that differs.
    """

    __slots__ = ("c",)

    def __init__(self, coefficients: tuple[Fraction, ...]) -> None:
        c = list(coefficients)
        while c and _zero(c[-1]):
            c.pop()
        self.c: tuple[Fraction, ...] = tuple(c)

    @staticmethod
    def _of(c: list[Fraction]) -> Eps:
        """An Eps from a list it may keep, trailing zeros dropped (the arithmetic's fast
        constructor: a Fraction is tested for zero directly, anything else by ``_zero``)."""
        while c:
            x = c[-1]
            if x.__class__ is Fraction:
                if x:
                    break
            elif not _zero(x):
                break
            c.pop()
        e = object.__new__(Eps)
        e.c = tuple(c)
        return e

    @staticmethod
    def lift(x: Num | int) -> Eps:
        if isinstance(x, Eps):
            return x
        return Eps((Fraction(x) if isinstance(x, int) else x,))

    def __add__(self, other: Num | int) -> Eps:
        if other.__class__ is Eps:
            o = other.c
        elif other.__class__ is Fraction:
            if not other:
                return self
            o = (other,)
        else:
            o = Eps.lift(other).c
        a = self.c
        if len(a) < len(o):
            a, o = o, a
        c = list(a)
        for i, x in enumerate(o):
            c[i] = c[i] + x
        return Eps._of(c)

    __radd__ = __add__

    def __neg__(self) -> Eps:
        return Eps._of([-x for x in self.c])

    def __sub__(self, other: Num | int) -> Eps:
        return self + (-Eps.lift(other))

    def __rsub__(self, other: Num | int) -> Eps:
        return Eps.lift(other) - self

    def __mul__(self, other: Num | int) -> Eps:
        if other.__class__ is not Eps:
            if other.__class__ is Fraction and not other:
                return Eps._of([])
            return Eps._of([x * other for x in self.c])  # type: ignore[misc]
        a, b = self.c, other.c
        if not a or not b:
            return Eps._of([])
        out = [Fraction(0)] * (len(a) + len(b) - 1)
        for i, x in enumerate(a):
            if not _zero(x):
                for j, y in enumerate(b):
                    out[i + j] += x * y
        return Eps._of(out)

    __rmul__ = __mul__

    def __truediv__(self, other: Num | int) -> Eps:
        if isinstance(other, Eps):
            return ratio(self, other)  # type: ignore[return-value]
        f = Fraction(other) if isinstance(other, int) else other
        return Eps(tuple(x / f for x in self.c))

    def _cmp(self, other: Num | int) -> int:
        d = (self - other).c
        for x in d:
            if not _zero(x):
                return 1 if x > 0 else -1
        return 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Eps | Fraction | int):
            return NotImplemented
        return self._cmp(other) == 0

    def __hash__(self) -> int:
        if len(self.c) <= 1:
            return hash(self.c[0] if self.c else Fraction(0))
        return hash(self.c)

    def __lt__(self, other: Num | int) -> bool:
        return self._cmp(other) < 0

    def __le__(self, other: Num | int) -> bool:
        return self._cmp(other) <= 0

    def __gt__(self, other: Num | int) -> bool:
        return self._cmp(other) > 0

    def __ge__(self, other: Num | int) -> bool:
        return self._cmp(other) >= 0

    def __bool__(self) -> bool:
        return bool(self.c)

    def at0(self) -> Fraction:
        """The value at ε = 0."""
        return self.c[0] if self.c else Fraction(0)

    def order(self) -> int:
        """Index of the first non-zero coefficient (-1 for the zero polynomial)."""
        for i, x in enumerate(self.c):
            if not _zero(x):
                return i
        return -1

    def __str__(self) -> str:
        """The polynomial as a reader writes it: ``-1000 + 1000·ε``, ``1/2 - ε²``, ``0``."""
        out = ""
        for i, x in enumerate(self.c):
            if _zero(x):
                continue
            text = str(x)
            negative = text.startswith("-") and (isinstance(x, Fraction) or " " not in text)
            if negative:
                text = text[1:]
            if i and " " in text:
                text = f"({text})"  # a formula (sympy) as a coefficient
            power = "" if i == 0 else "ε" if i == 1 else "ε" + str(i).translate(_SUPERSCRIPT)
            term = text if i == 0 else power if text == "1" else f"{text}·{power}"
            if not out:
                out = f"-{term}" if negative else term
            else:
                out += f" - {term}" if negative else f" + {term}"
        return out or "0"

    def __repr__(self) -> str:
        return f"Eps({self})"


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
EPSILON = Eps((Fraction(0), Fraction(1)))


def is_zero(x: Num) -> bool:
    """True when ``x`` is exactly zero (every order of ε)."""
    if isinstance(x, Eps):
        return not x.c
    return _zero(x)


def sign(x: Num) -> int:
    """Sign of ``x`` as ε → 0⁺."""
    if isinstance(x, Eps):
        return x._cmp(0)
    if _zero(x):
        return 0
    return 1 if x > 0 else -1


def leading(x: Num) -> Fraction:
    """The value of ``x`` at ε = 0 (``x`` itself for a plain rational)."""
    return x.at0() if isinstance(x, Eps) else x


def ratio(num: Num, den: Num) -> Num:
    """``num / den`` where ``den`` is non-zero at some order.

    For plain rationals this is exact division. For polynomials in ε the quotient is expanded as
    a power series up to :data:`SERIES_ORDER` orders beyond the leading one, after cancelling the
    common power of ε; the result's value at ε = 0 is the limit of the ratio.
    """
    if not isinstance(num, Eps) and not isinstance(den, Eps):
        return num / den
    n = Eps.lift(num).c
    d = Eps.lift(den).c
    k = Eps(d).order()
    if k < 0:
        raise ZeroDivisionError("division by an ε-polynomial that is zero")
    n_shift = list(n[k:]) if len(n) > k else []
    if not all(_zero(x) for x in n[:k]):
        raise ZeroDivisionError("ratio diverges as ε → 0")
    d_shift = list(d[k:])
    out: list[Fraction] = []
    # Symbolic coefficients (formulas, mixed-equilibrium solving) only ever need the limit.
    orders = SERIES_ORDER if all(isinstance(x, Fraction | int) for x in (*n, *d)) else 0
    rem = n_shift + [Fraction(0)] * (orders + len(d_shift))
    for i in range(orders + 1):
        q = rem[i] / d_shift[0] if i < len(rem) else Fraction(0)
        out.append(q)
        if not _zero(q):
            for j, y in enumerate(d_shift):
                if i + j < len(rem):
                    rem[i + j] -= q * y
    return Eps(tuple(out))


def _rationals(xs: Sequence[object]) -> TypeGuard[Sequence[Fraction]]:
    return all(type(x) is Fraction for x in xs)


def _orders(xs: Sequence[Num]) -> list[tuple[Fraction, ...]] | None:
    """Each value's coefficients by order of ε, when every one is rational (else None)."""
    out: list[tuple[Fraction, ...]] = []
    for x in xs:
        if type(x) is Fraction:
            out.append((x,))
        elif type(x) is Eps and _rationals(x.c):
            out.append(x.c)
        else:
            return None
    return out


def _rational_sum(xs: Sequence[Fraction]) -> Fraction | None:
    den = lcm(*{x.denominator for x in xs})
    if den.bit_length() > COMMON_DENOMINATOR_BITS:
        return None
    return Fraction(sum(x.numerator * (den // x.denominator) for x in xs), den)


def exact_sum(values: Iterable[Num]) -> Num:
    """The exact sum of ``values``. Rationals are added as integers over their common
    denominator, with one reduction at the end (``Fraction`` reduces after every addition);
    ε-polynomials with rational coefficients are summed so, order by order."""
    xs = list(values)
    if not xs:
        return Fraction(0)
    if _rationals(xs):
        total = _rational_sum(xs)
        if total is not None:
            return total
    else:
        coefficients = _orders(xs)
        if coefficients is not None:
            sums = [
                _rational_sum([c[k] for c in coefficients if len(c) > k])
                for k in range(max(len(c) for c in coefficients))
            ]
            if all(x is not None for x in sums):
                return Eps._of(cast(list[Fraction], sums))
    out: Num = xs[0]
    for x in xs[1:]:
        out = out + x
    return out


def _rational_weighted(
    parts: Sequence[tuple[Fraction, Sequence[Fraction]]], n: int
) -> list[Fraction] | None:
    """``weighted_sums`` of rationals over one common denominator (None if it is too big)."""
    if not parts:
        return [Fraction(0)] * n
    dw = lcm(*{w.denominator for w, _ in parts})
    du = lcm(*{x.denominator for _, u in parts for x in u})
    if (dw * du).bit_length() > COMMON_DENOMINATOR_BITS:
        return None
    totals = [0] * n
    for w, u in parts:
        k = w.numerator * (dw // w.denominator)
        if du == 1:
            totals = [t + k * x.numerator for t, x in zip(totals, u, strict=True)]
        else:
            totals = [
                t + k * x.numerator * (du // x.denominator) for t, x in zip(totals, u, strict=True)
            ]
    den = dw * du
    return [Fraction(t, den) for t in totals]


def weighted_sums(parts: Sequence[tuple[Num, Sequence[Num]]], n: int) -> list[Num]:
    """``[Σ w·u[b] for (w, u) in parts]`` for ``b`` in ``range(n)``, exactly.

    When every ``u[b]`` is a plain rational and every weight a rational or an ε-polynomial
    with rational coefficients, the products are integers over one common denominator (the
    least common multiple of the weights' times that of the values'), summed as integers and
    reduced once per ``b`` (and per order of ε)."""
    if not parts:
        return [Fraction(0)] * n
    if all(_rationals(u) for _, u in parts):
        weights = [w for w, _ in parts]
        if _rationals(weights):
            plain = _rational_weighted(
                cast(Sequence[tuple[Fraction, Sequence[Fraction]]], parts), n
            )
            if plain is not None:
                return cast(list[Num], plain)
        else:
            coefficients = _orders(weights)
            if coefficients is not None:
                by_order = [
                    _rational_weighted(
                        [
                            (c[k], cast(Sequence[Fraction], u))
                            for c, (_, u) in zip(coefficients, parts, strict=True)
                            if len(c) > k and c[k]
                        ],
                        n,
                    )
                    for k in range(max(len(c) for c in coefficients))
                ]
                if all(x is not None for x in by_order):
                    rows = cast(list[list[Fraction]], by_order)
                    return [Eps._of([row[b] for row in rows]) for b in range(n)]
    out: list[Num] = [Fraction(0)] * n
    for weight, values in parts:
        out = [t + weight * x for t, x in zip(out, values, strict=True)]
    return out
