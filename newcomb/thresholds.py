"""Exact thresholds: where a theory's policy changes as one parameter moves.

A theory's choice depends on the sign of differences of expected utilities: V(σ) − V(σ') for
FDT, EU(a | o; σ) − EU(b | o; σ) for EDT and CDT. With the parameter left as a symbol, each
difference is a rational function of it (the fixed points themselves depend only on labels), so
its numerator's real roots are the only places the choice can change. :func:`thresholds`

1. computes every such difference symbolically, over every pure policy,
2. collects the real roots of their numerators (exact: rationals or algebraic numbers),
3. solves the scenario exactly at each root and at a rational point inside each interval
   between them (the choice is constant on each open interval), and
4. merges neighbouring intervals with the same verdict; the boundaries left are the thresholds.

CDT and EDT answer with mixed equilibria where no pure policy is ratifiable, and those move
inside such an interval: an equilibrium's probabilities are functions of the parameter, and it
leaves the verdict where one of them reaches 0 or where an act outside its support starts to
do better. So where a region's verdict is mixed, every support profile's indifference system
is also solved with the parameter left as a symbol (:func:`mixed_equilibrium_formula`), the
roots of those functions are added, and steps 3 and 4 are redone.

Points where the scenario is invalid (say an accuracy outside [0, 1]) are reported as such, so
the regions also show the parameter's valid range.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from .errors import LimitError, ScenarioError
from .model import Scenario
from .query import expected_utility, value
from .series import leading
from .theories import FixedPolicy, Theory, run_theory
from .world import Behaviour, Limits, Model, pure

__all__ = [
    "Region",
    "Thresholds",
    "is_mixed",
    "mixed_equilibrium_formula",
    "policies_at",
    "thresholds",
    "verdict_key",
]

Solver = Callable[[Model], Sequence[Behaviour]]


@dataclass(frozen=True)
class Region:
    """An interval of the parameter (or a single point) with the theory's policies there.

    ``lo``/``hi`` are exact (``None`` for ±∞), each end closed or open. ``policies`` is
    ``None`` where the scenario is invalid at these values; ``sample`` is the value the
    policies were computed at. A mixed equilibrium's probabilities move with the parameter:
    ``formulas`` holds the policies with each probability as an exact function of it (sympy
    expressions; pure rows unchanged), or ``None`` when there is nothing to add.
    """

    lo: Any
    hi: Any
    lo_closed: bool
    hi_closed: bool
    policies: tuple[Behaviour, ...] | None
    sample: Any
    formulas: tuple[Behaviour, ...] | None = None

    @property
    def shown(self) -> tuple[Behaviour, ...] | None:
        """The policies to show: as functions of the parameter where they have formulas."""
        return self.formulas if self.formulas is not None else self.policies

    @property
    def point(self) -> bool:
        return self.lo is not None and self.lo_closed and self.hi_closed and self.lo == self.hi


@dataclass(frozen=True)
class Thresholds:
    """Regions of one parameter, in increasing order, and the values where the verdict flips."""

    parameter: str
    regions: tuple[Region, ...]

    @property
    def points(self) -> tuple[Any, ...]:
        """Values where the verdict changes, between valid regions (the valid range's own ends
        are not counted). An irrational threshold is a point whose own verdict is left open
        (the model is exact at rationals only); the verdict changes there when the regions on
        either side of it differ."""
        out: list[Any] = []
        prev: Region | None = None  # the last region with a verdict, within the valid range
        for r in self.regions:
            if r.policies is None:
                if not (r.point and prev is not None and not isinstance(r.lo, Fraction)):
                    prev = None  # outside the valid range (or a rational point with no answer)
                continue
            if prev is not None and verdict_key(prev.policies) != verdict_key(r.policies):
                x = prev.hi
                if not out or out[-1] != x:
                    out.append(x)
            prev = r
        return tuple(out)


def policies_at(
    policies: Sequence[Behaviour], parameter: str, x: Fraction
) -> tuple[Behaviour, ...]:
    """``policies`` (as :attr:`Region.shown` gives them: probabilities may be formulas in
    ``parameter``) at the rational value ``x``, exactly."""
    import sympy

    symbol = sympy.Symbol(parameter, real=True)  # as Model(symbols=[parameter]) makes it
    at = sympy.Rational(x.numerator, x.denominator)

    def value(p: Any) -> Any:
        if isinstance(p, Fraction):
            return p
        v = sympy.simplify(sympy.sympify(p).subs(symbol, at))  # safe: engine numbers
        return _as_number(v)

    return tuple(tuple(tuple(value(p) for p in row) for row in pi) for pi in policies)


def verdict_key(policies: tuple[Behaviour, ...] | None) -> Any:
    """What counts as "the same verdict": pure policies exactly, mixed ones by their support."""
    if policies is None:
        return None
    return tuple(
        tuple(
            tuple(p != 0 for p in row) if any(0 < p < 1 for p in row) else tuple(row) for row in pi
        )
        for pi in policies
    )


def _translate(source: Model, target: Model, pi: Behaviour) -> Behaviour:
    """``pi`` (indexed by ``source``'s observations) indexed by ``target``'s. The observations
    a scenario can show may depend on the parameters; those ``source`` lacks get the first
    action, as irrelevant observations do."""
    by_label = {
        tuple((type(x), x) for x in obs): row
        for obs, row in zip(source.observations, pi, strict=True)
    }
    first = tuple(Fraction(int(i == 0)) for i in range(len(target.actions)))
    return tuple(
        by_label.get(tuple((type(x), x) for x in obs), first) for obs in target.observations
    )


def _differences(model: Model, query: str) -> list[Any]:
    n_a = len(model.actions)
    out = []
    if query == "policy":
        values = []
        for sigma in model.pure_policies():
            v = value(model, pure(sigma, n_a))
            if v is not None:
                values.append(leading(v))
        out = [a - b for a, b in itertools.combinations(values, 2)]
    else:
        for sigma in model.pure_policies():
            pi = pure(sigma, n_a)
            for o in range(len(model.observations)):
                eus = [expected_utility(model, pi, o, a, how=query) for a in range(n_a)]  # type: ignore[arg-type]
                vals = [leading(e) for e in eus if e is not None]
                out.extend(a - b for a, b in itertools.combinations(vals, 2))
    return out


def _roots(diffs: Sequence[Any], symbol: Any, *, poles: bool = False) -> list[Any]:
    """The real roots of the numerators of ``diffs`` (and of their denominators with
    ``poles``), sorted, each once."""
    import sympy

    parts = []
    for d in diffs:
        num, den = sympy.together(sympy.sympify(d)).as_numer_denom()  # safe: engine numbers
        parts.append(num)
        if poles:
            parts.append(den)
    roots: set[Any] = set()
    for part in parts:
        part = sympy.expand(part)
        if part == 0 or symbol not in part.free_symbols:
            continue
        if part.free_symbols - {symbol}:
            continue
        poly = sympy.Poly(part, symbol)
        for r in poly.real_roots():
            # (rational roots come back as sympy Rationals; sympy 1.14's nsimplify, once
            # used here, turns some of them, 463/2000 among them, into products of powers)
            roots.add(r)
    out: list[Any] = []
    for r in sorted(roots, key=_order):
        if not out or _less(out[-1], r):  # (two forms of one algebraic number count once)
            out.append(r)
    return out


# Up to this many support profiles, every one is solved symbolically when a region's answer is
# mixed; past it, only the profiles of the equilibria found at the regions' sample points.
FULL_PROFILES = 16

Solutions = dict[Any, list[tuple[Any, Any]]]


def _profile_solutions(
    symbolic: Model, query: str, profile: Any, cache: Solutions | None = None
) -> list[tuple[Any, Any]]:
    """A support profile's equilibria as functions of the symbolic parameters: pairs of the
    indifference system and one isolated solution of it (sympy's); memoised in ``cache``."""
    from .theories.mixed import profile_system

    if cache is not None and profile in cache:
        return cache[profile]
    out: list[tuple[Any, Any]] = []
    system = profile_system(symbolic, query, profile)  # type: ignore[arg-type]
    if system.equations:  # (none: an act of a support has no expected utility, or a continuum)
        try:
            solutions = system.solve()
        except (NotImplementedError, ValueError):  # sympy cannot solve it: no candidates
            solutions = []
        out = [(system, sol) for sol in solutions if len(sol) == len(system.xs)]
    if cache is not None:
        cache[profile] = out
    return out


def _support(pi: Behaviour) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(a for a, p in enumerate(row) if p != 0) for row in pi)


def _on(sol: dict[Any, Any], p: Any) -> Any:
    """``p`` with a solution substituted, simplified."""
    import sympy

    if isinstance(p, Fraction):
        return p
    return sympy.cancel(sympy.sympify(p).subs(sol))  # safe: engine numbers, not file text


def _mixed_changes(
    symbolic: Model, query: str, symbol: Any, profiles: Sequence[Any], cache: Solutions
) -> list[Any]:
    """Where a mixed equilibrium of one of ``profiles`` can start or stop being one: the roots
    (and poles) of the profile's solution probabilities, and of each act's expected utility
    outside a support minus the support's, along the solution."""
    exprs: list[Any] = []
    for profile in profiles:
        for system, sol in _profile_solutions(symbolic, query, profile, cache):
            if any(getattr(v, "free_symbols", set()) - {symbol} for v in sol.values()):
                continue
            for row, support in zip(system.pi, profile, strict=True):
                exprs.extend(_on(sol, row[a]) for a in support if len(support) > 1)
            for o, support in enumerate(profile):
                base = system.table[o][support[0]]
                if base is None:
                    continue
                for b, eu in enumerate(system.table[o]):
                    if b not in support and eu is not None:
                        exprs.append(_on(sol, eu - base))
    return _roots(exprs, symbol, poles=True)


def mixed_equilibrium_formula(
    symbolic: Model, query: str, pi: Behaviour, at: Fraction, cache: Solutions | None = None
) -> Behaviour | None:
    """The mixed equilibrium ``pi`` (found at the parameter value ``at``) as a function of
    the symbolic model's parameter: the solution of its support profile's indifference system
    that equals ``pi`` at ``at``. ``None`` if there is none (a continuum, or sympy cannot
    solve the system)."""
    import sympy

    (name,) = symbolic.symbols
    symbol = symbolic.params[name]
    for system, sol in _profile_solutions(symbolic, query, _support(pi), cache):
        rows = tuple(tuple(_on(sol, p) for p in row) for row in system.pi)
        x = sympy.Rational(at.numerator, at.denominator)
        here = [sympy.sympify(p).subs(symbol, x) for row in rows for p in row]  # safe: engine
        want = [sympy.sympify(p) for row in pi for p in row]  # safe: engine numbers
        if all(sympy.simplify(a - b) == 0 for a, b in zip(here, want, strict=True)):
            return tuple(
                tuple(p if isinstance(p, Fraction) or p.free_symbols else _as_number(p) for p in r)
                for r in rows
            )
    return None


def _between(lo: Any, hi: Any) -> Fraction:
    """A simple rational strictly between two exact reals (either may be None for ±∞)."""
    if lo is None and hi is None:
        return Fraction(0)
    if lo is None:
        return Fraction(int(_floor(hi)) - 1)
    if hi is None:
        return Fraction(int(_floor(lo)) + 1)
    if max(abs(_order(lo)), abs(_order(hi))) > 2**1000:  # past float64: no screening
        f = Fraction(_floor(lo) + 1)
        return f if _less(f, hi) else (_order(lo) + _order(hi)) / 2
    a, b = float(lo), float(hi)
    # The simplest fraction in (lo, hi): screened in floating point, then checked exactly.
    for den in range(1, 10_000):
        num = int(a * den) + 1
        if not a <= num / den <= b:
            continue
        f = Fraction(num, den)
        if _less(lo, f) and _less(f, hi):
            return f
    return Fraction((a + b) / 2).limit_denominator(10**12)


def _floor(x: Any) -> int:
    """⌊x⌋ exactly (a threshold may lie past float64's range: a utility of ``1e309``)."""
    import math

    if _rational(x):
        floor: int = math.floor(_as_number(x))
        return floor
    import sympy

    return int(sympy.floor(x))


def _order(x: Any) -> Fraction:
    """A sort key for exact reals: rationals themselves, algebraic numbers to 30 digits (two
    forms of one number are merged afterwards by :func:`_less`); never a float, which
    overflows past 1.8e308."""
    if _rational(x):
        return Fraction(_as_number(x))
    import sympy

    return Fraction(str(sympy.N(x, 30)))


def _less(a: Any, b: Any) -> bool:
    """``a < b`` exactly, for rationals and the real algebraic numbers thresholds can be (sympy
    decides the sign of their difference; nsimplify, which hunts for a closed form with PSLQ,
    took seconds per comparison)."""
    if _rational(a, b):
        return _as_number(a) < _as_number(b)  # type: ignore[no-any-return]
    import sympy

    d = _sym(b) - _sym(a)
    positive = d.is_positive
    if positive is None:  # undecided symbolically: refine numerically, far past float
        positive = bool(sympy.N(d, 60) > 0)
    return bool(positive)


def _sym(x: Any) -> Any:
    import sympy

    if isinstance(x, Fraction | int):
        return sympy.Rational(int(Fraction(x).numerator), int(Fraction(x).denominator))
    return x


def _rational(*xs: Any) -> bool:
    return all(isinstance(x, Fraction | int) or getattr(x, "is_Rational", False) for x in xs)


def _as_number(x: Any) -> Any:
    if getattr(x, "is_Rational", False):
        return Fraction(int(x.p), int(x.q))
    return x


def thresholds(
    scenario: Scenario,
    theory: Theory,
    parameter: str,
    *,
    limits: Limits | None = None,
) -> Thresholds:
    """The regions of ``parameter`` where ``theory`` keeps a verdict. It must have a query, or
    be a fixed policy (whose regions are then those where the scenario is valid).

    Raises
    ------
    ScenarioError
        If ``parameter`` is not a parameter of the scenario.
    """
    if parameter not in scenario.parameters:
        known = ", ".join(scenario.parameters) or "none"
        raise ScenarioError(
            f"no parameter named {parameter!r} (parameters: {known})", ("parameters",)
        )
    query = theory.query
    if query is None and not isinstance(theory, FixedPolicy):
        raise ScenarioError(f"theory {theory.name} has no query to find thresholds with")
    symbolic = Model(scenario, limits=limits, symbols=[parameter])
    symbol = symbolic.params[parameter]
    # A fixed policy (FixedPolicy: a Policy or a function of the observation) chooses nothing:
    # its regions change only where the scenario's probabilities reach 0 or 1 (the edges).
    diffs = _differences(symbolic, query) if query is not None else []
    edges = [p for p in symbolic.symbolic_probabilities] + [
        p - 1 for p in symbolic.symbolic_probabilities
    ]
    roots = _roots([*diffs, *edges], symbol)

    def solve_at(x: Any) -> tuple[Behaviour, ...] | None:
        if not isinstance(x, Fraction):
            # An irrational threshold: the model is exact only at rationals, so the verdict
            # at the point itself is left open (it lies between its neighbours').
            return None
        try:
            m = Model(scenario.with_parameters(**{parameter: x}), limits=limits)
            found = run_theory(m, theory).policies
        except (ScenarioError, LimitError):
            return None
        return tuple(_translate(m, symbolic, pi) for pi in found)

    def regions_at(roots: Sequence[Any], formulas: bool) -> list[Region]:
        regions: list[Region] = []
        bounds = [None, *[_as_number(r) for r in roots], None]
        for i in range(len(bounds) - 1):
            lo, hi = bounds[i], bounds[i + 1]
            x = _between(lo, hi)
            interval = Region(lo, hi, False, False, solve_at(x), x)
            regions.append(
                _with_formulas(symbolic, query, interval, cache)
                if formulas and query is not None
                else interval
            )
            if hi is not None:
                regions.append(Region(hi, hi, True, True, solve_at(hi), hi))
        # Merge runs with the same verdict (a root that changes nothing disappears). A fixed
        # policy's verdict never changes, but its value may stop being defined at a root (a
        # paradox draw whose probability reaches 0 there): its roots stay, save between
        # invalid regions.
        out: list[Region] = []
        for r in regions:
            valid = r.policies is not None or (bool(out) and out[-1].policies is not None)
            if out and not (query is None and valid) and _same(out[-1], r, symbol):
                prev = out[-1]
                # the policies, the sample they were found at and their formulas stay
                # together (a mixed equilibrium's probabilities differ from point to point):
                # an interval's rather than a single point's
                keep = r if prev.point else prev
                out[-1] = replace(
                    keep, lo=prev.lo, hi=r.hi, lo_closed=prev.lo_closed, hi_closed=r.hi_closed
                )
            else:
                out.append(r)
        return out

    cache: Solutions = {}
    out = regions_at(roots, formulas=False)
    mixed = [r for r in out if r.policies and any(is_mixed(pi) for pi in r.policies)]
    if mixed and query in ("condition", "intervene"):
        from .theories.mixed import support_profiles

        try:
            profiles = support_profiles(symbolic)
        except LimitError:
            profiles = []
        if not profiles or len(profiles) > FULL_PROFILES:
            found = {_support(pi) for r in mixed for pi in r.policies or () if is_mixed(pi)}
            profiles = sorted(found)
        inside = [
            x
            for x in _mixed_changes(symbolic, query, symbol, profiles, cache)
            if any(
                (r.lo is None or _less(r.lo, x)) and (r.hi is None or _less(x, r.hi)) for r in mixed
            )
        ]
        every = sorted([*roots, *inside], key=_order)
        out = regions_at(
            [r for i, r in enumerate(every) if i == 0 or _less(every[i - 1], r)], formulas=True
        )
    return Thresholds(parameter, tuple(out))


def _with_formulas(symbolic: Model, query: str, r: Region, cache: Solutions) -> Region:
    if r.point or not r.policies or not isinstance(r.sample, Fraction):
        return r
    if not any(is_mixed(pi) for pi in r.policies):
        return r
    formulas = []
    for pi in r.policies:
        f = (
            mixed_equilibrium_formula(symbolic, query, pi, r.sample, cache)
            if is_mixed(pi)
            else None
        )
        formulas.append(pi if f is None else f)
    return replace(r, formulas=tuple(formulas))


def is_mixed(pi: Behaviour) -> bool:
    """Whether some observation's row of ``pi`` plays more than one act."""
    return any(0 < p < 1 for row in pi for p in row)


def _same(a: Region, b: Region, symbol: Any) -> bool:
    """Whether two neighbouring regions hold the same verdict: the same policies, or mixed
    equilibria with the same support and the same formulas (a single point's equilibrium
    counts as its neighbour's when that formula gives it there)."""
    if verdict_key(a.policies) != verdict_key(b.policies):
        return False
    if a.formulas is None and b.formulas is None:
        return True
    if a.formulas is not None and b.formulas is not None:
        return bool(_formula_key(a.formulas) == _formula_key(b.formulas))
    point, interval = (a, b) if a.formulas is None else (b, a)
    if not point.point or not isinstance(point.lo, Fraction):
        return False
    import sympy

    at = sympy.Rational(point.lo.numerator, point.lo.denominator)

    def gap(f: Any, p: Any) -> Any:
        return sympy.sympify(f).subs(symbol, at) - sympy.sympify(p)  # safe: engine numbers

    return all(
        bool(sympy.simplify(gap(f, p)) == 0)
        for fs, ps in zip(interval.formulas or (), point.policies or (), strict=True)
        for f_row, p_row in zip(fs, ps, strict=True)
        for f, p in zip(f_row, p_row, strict=True)
    )


def _formula_key(policies: tuple[Behaviour, ...]) -> Any:
    return tuple(tuple(tuple(str(p) for p in row) for row in pi) for pi in policies)
