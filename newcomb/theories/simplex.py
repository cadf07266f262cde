"""Exact optimisation over products of simplices, for behavioural policies (sympy).

A behavioural policy is a point of a product of simplices, one per slot. Two searches:

- :func:`maximise_ratio` maximises a rational function num/den (V(π) of FDT, EDT's EU(σ))
  exactly: on every face (a support per simplex) the critical points of the interior are
  solved for with sympy, and the best of all faces is kept, with every maximiser;
- :func:`support_search` finds the mixed equilibria of CDT or EDT: per support profile, the
  "equal across the support" equations of the theory are solved, and each interior solution is
  checked by the theory itself.

Numbers are exact: Fractions where rational, otherwise sympy's algebraic numbers (radicals or
``CRootOf``). Signs of algebraic numbers are decided exactly when sympy can simplify the number
to zero, else by 60 significant digits (a non-zero algebraic number of these problems is far
larger than the 10^-50 below which it would be called zero). The work is bounded by
:data:`MAX_FACES` support profiles per search.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from ..errors import LimitError

__all__ = [
    "MAX_FACES",
    "at_zero",
    "exact",
    "leading",
    "maximise_ratio",
    "maximum",
    "orders",
    "sign",
    "support_search",
    "supports",
    "to_sympy",
]

MAX_FACES = 1 << 10
Rows = tuple[tuple[Any, ...], ...]


def to_sympy(x: Any) -> Any:
    """An engine number as sympy: a Fraction or int becomes a Rational, a sympy expression
    stays. Never text: ``sympify`` of a string would parse it, and nothing here may."""
    import sympy

    if isinstance(x, Fraction):
        return sympy.Rational(x.numerator, x.denominator)
    if isinstance(x, int):
        return sympy.Integer(x)
    if isinstance(x, sympy.Basic):
        return x
    raise TypeError(f"expected an exact number or a sympy expression, got {type(x).__name__}")


def supports(n: int) -> list[tuple[int, ...]]:
    """Every non-empty set of acts out of ``n``, smallest first: the supports of a mixed act."""
    return [c for k in range(1, n + 1) for c in itertools.combinations(range(n), k)]


def sign(x: Any) -> int:
    """The sign of an exact number (Fraction, int or sympy expression), or of a rational
    function of ε (:func:`newcomb.visits.epsilon`) as ε → 0+: the sign of its lowest order,
    so that exact ties at ε = 0 are broken by the higher orders (DESIGN.md §2)."""
    if isinstance(x, Fraction | int):
        return (x > 0) - (x < 0)
    import sympy

    x = to_sympy(x)  # safe: an engine number, never text
    if x.free_symbols:
        num, den = sympy.fraction(sympy.together(x))
        return _lowest_sign(num) * _lowest_sign(den)
    return _number_sign(x)


def _number_sign(x: Any) -> int:
    import sympy

    if x.is_Rational:
        return int(bool(x > 0)) - int(bool(x < 0))
    if x.is_zero is True:
        return 0
    v = sympy.N(x, 60)
    if abs(v) < sympy.Float("1e-50", 60) and (
        sympy.simplify(x) == 0 or sympy.minimal_polynomial(x).as_expr() == sympy.Symbol("x")
    ):
        return 0
    return 1 if v > 0 else -1


def orders(x: Any) -> list[tuple[int, Any]]:
    """A polynomial in ε as (order, coefficient) pairs, lowest first, zero coefficients left
    out (the coefficients may hold other symbols: a policy's probabilities)."""
    import sympy

    from ..visits import epsilon

    e = sympy.expand(to_sympy(x))  # safe: an engine number, never text
    if e == 0:
        return []
    eps = epsilon()
    if eps not in e.free_symbols:
        return [(0, e)]
    terms = sympy.Poly(e, eps).terms()
    return sorted(((k, c) for (k,), c in terms if sympy.expand(c) != 0), key=lambda t: t[0])


def _lowest_sign(p: Any) -> int:
    for _, c in orders(p):
        s = _number_sign(c)
        if s:
            return s
    return 0


def at_zero(x: Any) -> Any:
    """The value of a rational function of ε as ε → 0+ (its leading orders); a number is
    itself. ``None`` stays ``None``."""
    if x is None or isinstance(x, Fraction | int):
        return x
    import sympy

    x = to_sympy(x)  # safe: an engine number, never text
    if not x.free_symbols:
        return x
    num, den = sympy.fraction(sympy.together(x))
    n, d = orders(num), orders(den)
    if not n:
        return sympy.Integer(0)
    if not d or n[0][0] < d[0][0]:
        raise ZeroDivisionError("an expectation without a leading order")
    return n[0][1] / d[0][1] if n[0][0] == d[0][0] else sympy.Integer(0)


def leading(num: Any, den: Any) -> tuple[Any, Any]:
    """num / den at the lowest order of ε where den is not zero: both coefficients there (the
    ratio's value as ε → 0, as polynomials in any other symbols)."""
    d = orders(den)
    if not d:
        return num, den
    import sympy

    k = d[0][0]
    coefficient = dict(orders(num)).get(k, sympy.Integer(0))
    return coefficient, d[0][1]


def exact(x: Any) -> Any:
    """An exact number for a report, at ε = 0: a Fraction when rational, otherwise sympy's
    simplest radical form."""
    x = at_zero(x)
    if isinstance(x, Fraction | int) or x is None:
        return Fraction(x) if isinstance(x, int) else x
    import sympy

    x = sympy.radsimp(sympy.simplify(to_sympy(x)))  # safe: an engine number, never text
    if x.is_Rational:
        return Fraction(int(x.p), int(x.q))
    return x


def maximum(xs: Sequence[Any]) -> Any:
    best = xs[0]
    for x in xs[1:]:
        if sign(x - best) > 0:
            best = x
    return best


def _faces(sizes: Sequence[int]) -> list[tuple[tuple[int, ...], ...]]:
    per = [supports(n) for n in sizes]
    total = math.prod(len(p) for p in per)
    if total > MAX_FACES:
        raise LimitError(
            f"{total} faces of the policy simplex to search exactly; at most {MAX_FACES}"
        )
    return list(itertools.product(*per))


def _parametrised(
    sizes: Sequence[int], face: Sequence[tuple[int, ...]], tag: str
) -> tuple[list[Any], list[list[Any]]]:
    """Free symbols of a face and the rows they give (zero off the support, the last act of
    each support taking the rest)."""
    import sympy

    free: list[Any] = []
    rows: list[list[Any]] = []
    for i, (n, support) in enumerate(zip(sizes, face, strict=True)):
        row: list[Any] = [sympy.Integer(0)] * n
        xs = [sympy.Symbol(f"{tag}{i}_{a}", positive=True) for a in support[:-1]]
        free.extend(xs)
        for a, x in zip(support[:-1], xs, strict=True):
            row[a] = x
        row[support[-1]] = 1 - sum(xs)
        rows.append(row)
    return free, rows


def _solutions(equations: list[Any], free: list[Any]) -> tuple[list[dict[Any, Any]], bool]:
    """Exact solutions of a polynomial system, and whether a continuum was met."""
    import sympy

    eqs = [e for e in (sympy.numer(sympy.together(sympy.expand(q))) for q in equations) if e != 0]
    if not free:
        return ([{}] if not eqs else []), False
    if not eqs:
        return [], True
    try:
        sols = sympy.solve(eqs, free, dict=True)
    except (NotImplementedError, ValueError):
        return [], True
    out, continuum = [], False
    for sol in sols:
        if set(sol) != set(free) or any(v.free_symbols for v in sol.values()):
            continuum = True
            continue
        out.append(sol)
    return out, continuum


def _inside(
    rows: Sequence[Sequence[Any]], sol: dict[Any, Any], face: Sequence[tuple[int, ...]]
) -> Rows | None:

    out = []
    for row, support in zip(rows, face, strict=True):
        vals = []
        for a, p in enumerate(row):
            v = to_sympy(p).subs(sol)  # safe: an engine number, never text
            if not v.is_real and v.is_real is not None:
                return None
            if a in support and sign(v) <= 0:
                return None
            vals.append(exact(v))
        out.append(tuple(vals))
    return tuple(out)


def maximise_ratio(
    f: Callable[[Sequence[Sequence[Any]]], tuple[Any, Any]], sizes: Sequence[int]
) -> tuple[Any, list[Rows]]:
    """The maximum of num/den over the product of simplices of ``sizes`` (where den > 0), and
    every point attaining it."""
    import sympy

    best: Any = None
    points: list[Rows] = []
    for face in _faces(sizes):
        free, rows = _parametrised(sizes, face, "x")
        num, den = leading(*(to_sympy(t) for t in f(rows)))  # at ε = 0; safe: engine numbers
        grads = [sympy.diff(num, x) * den - num * sympy.diff(den, x) for x in free]
        sols, _ = _solutions(grads, free)
        for sol in sols:
            point = _inside(rows, sol, face)
            if point is None:
                continue
            d = den.subs(sol)
            if sign(d) <= 0:
                continue
            v = exact(num.subs(sol) / d)
            c = 1 if best is None else sign(v - best)
            if c > 0:
                best, points = v, [point]
            elif c == 0 and point not in points:
                points.append(point)
    return best, points


def support_search(
    sizes: Sequence[int],
    gradient: Callable[[Rows, int], list[Any]],
    verify: Callable[[Rows], bool],
) -> list[Rows]:
    """Policies, mixed at some slot, where the gradient is equal across each support; each
    checked by ``verify``."""
    import sympy

    found: list[Rows] = []
    for face in _faces(sizes):
        if all(len(s) == 1 for s in face):
            continue  # pure: searched before
        free, rows = _parametrised(sizes, face, "p")
        sym = tuple(tuple(r) for r in rows)
        equations: list[Any] = []
        for s, support in enumerate(face):
            if len(support) < 2:
                continue
            g = gradient(sym, s)
            for a in support[1:]:  # equal at ε = 0: the leading order of the difference
                num, den = sympy.fraction(sympy.together(g[a] - g[support[0]]))
                equations.append(leading(num, den)[0])
        sols, _ = _solutions(equations, free)
        for sol in sols:
            point = _inside(rows, sol, face)
            if point is not None and point not in found and verify(point):
                found.append(point)
    return found
