"""Compiled parameter sweeps: each theory's policy and value at many values of one parameter.

Solving every point separately repeats the whole exact analysis. A sweep instead

1. finds each theory's exact regions in the parameter (:mod:`newcomb.thresholds`),
2. takes, in each region, the policy the theory keeps there and its value V(π) as an exact
   formula in the parameter (the world model run with the parameter as a sympy symbol),
3. compiles each formula to a numpy function and evaluates it on all the region's grid points
   at once.

Grid points that fall exactly on a threshold are found exactly (rational arithmetic) and get
the policies of the point region there. Values are floats (float64; each is the exact formula
evaluated in floating point, relative error about 1e-15 for these rational functions); the
thresholds and formulas are exact. Where the theory's answer is a mixed equilibrium, its
probabilities move with the parameter: the region's policy is given with each probability as
an exact formula in the parameter, and its value is V of that moving policy. If sympy cannot
solve the equilibrium as a function of the parameter, the values there are left out (NaN).

Bounds, checked before any work: at most :data:`MAX_POINTS` grid points and
:data:`MAX_CELLS` values (points × theories); 10^6 points of three theories take about 10 s
and 270 MB and write 60 MB of CSV. The grid's ends must lie within float64's range (±1.8e308),
and every value must too: a value past it (a utility of ``1e309``) is refused with a
:class:`~newcomb.errors.LimitError` naming the theory, rather than written as ``inf``; a value
of a formula that overflows only in the floating-point arithmetic at some points is ``inf``
there, as numpy computes it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .errors import LimitError, ScenarioError, UsageError
from .model import Scenario
from .series import leading
from .theories import FixedPolicy, Theory, as_theory, run_theory, theory_name
from .thresholds import Region, Thresholds, is_mixed, thresholds
from .world import Limits, Model

__all__ = ["MAX_CELLS", "MAX_POINTS", "Grid", "Sweep", "SweepColumn", "parse_grid", "sweep"]

MAX_POINTS = 1_000_000
"""The most grid points a sweep takes (``COUNT`` in ``--param NAME=LO:HI:COUNT``). At the old
bound of 10^7 a sweep took 97 s and 2.5 GB and wrote 972 MB, or ran out of memory with
``--json``."""

MAX_CELLS = 3_000_000
"""The most values a sweep computes: grid points × theories (3 built-in theories at
:data:`MAX_POINTS`)."""

_FLOAT_MAX = Fraction(sys.float_info.max)


@dataclass(frozen=True)
class Grid:
    """``count`` evenly spaced exact points from ``lo`` to ``hi`` inclusive."""

    parameter: str
    lo: Fraction
    hi: Fraction
    count: int

    def point(self, k: int) -> Fraction:
        if self.count == 1:
            return self.lo
        return self.lo + (self.hi - self.lo) * Fraction(k, self.count - 1)


def parse_grid(spec: str) -> Grid:
    """``NAME=LO:HI:COUNT`` (exact numbers, e.g. ``q=0:1:100001``)."""
    name, sep, rest = spec.partition("=")
    parts = rest.split(":")
    if not sep or not name.strip() or len(parts) != 3:
        raise UsageError(f"--param {spec!r}: expected NAME=LO:HI:COUNT, e.g. q=0:1:100001")
    try:
        lo, hi = Fraction(parts[0].strip()), Fraction(parts[1].strip())
        count = int(parts[2])
    except (ValueError, ZeroDivisionError):
        raise UsageError(
            f"--param {spec!r}: LO and HI must be exact numbers, COUNT an integer"
        ) from None
    if count < 1 or count > 10_000_000 or hi < lo:
        raise UsageError(f"--param {spec!r}: need LO ≤ HI and 1 ≤ COUNT ≤ 10000000")
    for text, end in zip(parts, (lo, hi), strict=False):
        if abs(end) > _FLOAT_MAX:
            raise UsageError(
                f"--param {spec!r}: {text.strip()} is outside the range of float64 (±1.8e308) "
                "that a sweep computes in"
            )
    return Grid(name.strip(), lo, hi, count)


@dataclass(frozen=True)
class SweepColumn:
    """One theory across the grid: region index per point, and values (float64, NaN where
    undefined or mixed)."""

    theory: str
    thresholds: Thresholds
    region: Any  # numpy int array
    values: Any  # numpy float array
    formulas: tuple[str | None, ...]  # per region


@dataclass(frozen=True)
class Sweep:
    grid: Grid
    points: Any  # numpy float array
    columns: tuple[SweepColumn, ...]
    model: Model

    # -- display: the renderer is imported only when a sweep is shown (never at import) --
    def __repr__(self) -> str:
        g = self.grid
        parts = []
        for c in self.columns:
            n = sum(r.policies is not None for r in c.thresholds.regions)
            text = f"{c.theory}: {n} region{'s' if n != 1 else ''}"
            if c.thresholds.points:
                text += f", changes at {', '.join(map(str, c.thresholds.points))}"
            parts.append(text)
        cols = "; ".join(parts)
        return f"Sweep({g.parameter} from {g.lo} to {g.hi}, {g.count} points; {cols})"

    def __str__(self) -> str:
        """Each theory's regions, policies and value formulas, as plain text."""
        from .render import sweep_renderable, text_of

        return text_of(sweep_renderable(self))

    def __rich__(self) -> Any:
        from .render import sweep_renderable

        return sweep_renderable(self)

    def _repr_html_(self) -> str:
        from .render import html_of, sweep_renderable

        return html_of(sweep_renderable(self))


def _region_of(grid: Grid, th: Thresholds) -> Any:
    """Index of the region holding each grid point, decided exactly for rational bounds."""
    import numpy as np

    n = grid.count
    k = np.arange(n)
    out = np.full(n, -1, dtype=np.int64)
    step = (grid.hi - grid.lo) / (n - 1) if n > 1 else Fraction(1)
    for i, r in enumerate(th.regions):
        inside = np.ones(n, dtype=bool)
        if r.lo is not None:
            first = _first_index(r.lo, grid.lo, step, closed=r.lo_closed)
            inside &= k >= first
        if r.hi is not None:
            last = _last_index(r.hi, grid.lo, step, closed=r.hi_closed)
            inside &= k <= last
        out[inside & (out < 0)] = i
    return out


def _first_index(x: Any, lo: Fraction, step: Fraction, *, closed: bool) -> float:
    """The first grid index k with point(k) > x (≥ x when closed)."""
    import math

    if step == 0:
        return 0 if (lo > x or (closed and lo == x)) else math.inf
    if isinstance(x, Fraction):
        pos = (x - lo) / step
        fl = math.floor(pos)
        if pos == fl:
            return fl if closed else fl + 1
        return fl + 1
    return math.floor((_approx(x) - lo) / step) + 1


def _last_index(x: Any, lo: Fraction, step: Fraction, *, closed: bool) -> float:
    """The last grid index k with point(k) < x (≤ x when closed)."""
    import math

    if step == 0:
        return 0 if (lo < x or (closed and lo == x)) else -math.inf
    if isinstance(x, Fraction):
        pos = (x - lo) / step
        ce = math.ceil(pos)
        if pos == ce:
            return ce if closed else ce - 1
        return ce - 1
    return math.ceil((_approx(x) - lo) / step) - 1


def _approx(x: Any) -> Fraction:
    """A threshold that is not a ``Fraction`` (an algebraic number) to 30 significant digits,
    as a rational: finer than a float's 16, and no overflow past 1.8e308."""
    import sympy

    return Fraction(str(sympy.N(x, 30)))


def sweep(
    scenario: Scenario,
    theories: Sequence[Theory | Any],
    grid: Grid | str,
    *,
    limits: Limits | None = None,
) -> Sweep:
    """Each theory's policy and value at every grid point (see the module docstring).

    ``theories`` holds what :func:`newcomb.analyse` accepts (Theory classes or instances,
    Policies, policy functions; a Theory subclass without a query is left out), ``grid`` a
    :class:`Grid` or its text, ``"q=0:1:101"``. A fixed policy (a Policy or a policy
    function) gets one column like a theory's: its regions are where the scenario is valid and
    where it meets a paradox or not, its value there V(π) as one formula in the parameter.
    """
    import numpy as np
    import sympy

    if isinstance(grid, str):
        grid = parse_grid(grid)
    if isinstance(theories, str) or not isinstance(theories, Sequence):
        raise UsageError(
            f"theories: expected a list of theories, got {type(theories).__name__} "
            "(e.g. [newcomb.CDT()])"
        )
    theories = [t if isinstance(t, Theory) else as_theory(t, _label(t)) for t in theories]

    if grid.parameter not in scenario.parameters:
        known = ", ".join(scenario.parameters) or "none"
        raise ScenarioError(
            f"no parameter named {grid.parameter!r} (parameters: {known})", ("parameters",)
        )
    if grid.count > MAX_POINTS:
        raise LimitError(
            f"{grid.count} grid points, more than the bound of {MAX_POINTS} (sweep.MAX_POINTS)"
        )
    queried = [t for t in theories if _sweepable(t)]
    if grid.count * len(queried) > MAX_CELLS:
        raise LimitError(
            f"{grid.count} points × {len(queried)} theories make {grid.count * len(queried)} "
            f"values, more than the bound of {MAX_CELLS} (sweep.MAX_CELLS; fewer points, or "
            "--only)"
        )
    points = _points(grid, np)
    symbolic = Model(scenario, limits=limits, symbols=[grid.parameter])
    symbol = symbolic.params[grid.parameter]
    columns = []
    for theory in queried:
        name = theory_name(theory)
        th = thresholds(scenario, theory, grid.parameter, limits=limits)
        region = _region_of(grid, th)
        values = np.full(grid.count, np.nan)
        formulas: list[str | None] = []
        for i, r in enumerate(th.regions):
            if r.point and isinstance(r.lo, Fraction):
                # A single rational point: solve it exactly there (the observations a scenario
                # can show may differ at such a point, so the generic formula may not apply).
                v = _value_at(scenario, theory, grid.parameter, r.lo, limits)
                formulas.append(None if v is None else str(v))
                if v is not None:
                    values[region == i] = _float(v, name, grid.parameter, r)
                continue
            formula = _formula(symbolic, r, sympy, moving=theory.query is not None)
            formulas.append(None if formula is None else str(formula))
            mask = region == i
            if formula is None or not mask.any():
                continue
            fn = sympy.lambdify(symbol, formula, "numpy")
            with np.errstate(all="ignore"):
                try:
                    found = np.asarray(fn(points[mask]), dtype=float)
                except OverflowError:  # an exact coefficient past float64's range
                    raise _out_of_range(name, grid.parameter, r) from None
                values[mask] = np.broadcast_to(found, mask.sum())
        columns.append(SweepColumn(name, th, region, values, tuple(formulas)))
    return Sweep(grid, points, tuple(columns), symbolic)


def _label(obj: object) -> str:
    return str(getattr(obj, "__name__", None) or type(obj).__name__)


def _points(grid: Grid, np: Any) -> Any:
    """The grid as float64 (its ends must lie within float64's range)."""
    try:
        lo, hi = float(grid.lo), float(grid.hi)
    except OverflowError:
        raise UsageError(
            f"the grid {_short(grid.lo)}..{_short(grid.hi)} of {grid.parameter} is outside the "
            "range of float64 (±1.8e308) that a sweep computes in"
        ) from None
    if grid.count == 1:
        return np.array([lo])
    span = hi - lo
    if span == float("inf"):  # both ends near the range's edges: interpolate instead
        t = np.arange(grid.count) / (grid.count - 1)
        return lo * (1 - t) + hi * t
    return lo + span * np.arange(grid.count) / (grid.count - 1)


def _float(v: Fraction, theory: str, name: str, r: Region) -> float:
    """An exact value as float64, or a :class:`LimitError` when it is past float64's range."""
    try:
        return float(v)
    except OverflowError:
        raise _out_of_range(theory, name, r) from None


def _out_of_range(theory: str, name: str, r: Region) -> LimitError:
    where = f"{name} = {_short(r.lo)}" if r.point else f"the region {_interval(r)}"
    return LimitError(
        f"{theory}'s value at {where} is outside the range of float64 (±1.8e308) that a sweep "
        f"computes in (newcomb check --symbolic {name} gives it exactly)"
    )


def _interval(r: Region) -> str:
    lo = "-∞" if r.lo is None else _short(r.lo)
    hi = "∞" if r.hi is None else _short(r.hi)
    return f"{'[' if r.lo_closed else '('}{lo}, {hi}{']' if r.hi_closed else ')'}"


def _short(x: Any) -> str:
    """An exact bound as text, to 6 significant digits when it is long (1e309 has 310)."""
    text = str(x)
    if len(text) <= 24:
        return text
    import sympy

    if isinstance(x, Fraction):
        x = sympy.Rational(x.numerator, x.denominator)
    return str(sympy.N(x, 6))


def _value_at(
    scenario: Scenario, theory: Theory, name: str, x: Fraction, limits: Limits | None
) -> Fraction | None:
    from .query import value

    try:
        m = Model(scenario.with_parameters(**{name: x}), limits=limits)
        found = run_theory(m, theory).policies
    except ScenarioError:
        return None
    if not found:
        return None
    v = value(m, found[0])
    return None if v is None else leading(v)


def _sweepable(t: Theory) -> bool:
    """A theory with a query (its thresholds are searched), or a fixed policy: a Policy or a
    function of the observation, which cannot depend on the parameter, so that its value is
    one formula wherever the scenario's probabilities keep their signs. A Theory subclass
    without a query is left out: its decide() might read the parameter anywhere."""
    return t.query is not None or isinstance(t, FixedPolicy)


def _formula(symbolic: Model, r: Region, sympy: Any, *, moving: bool = True) -> Any:
    """V(π) in the region as a formula in the parameter: for a mixed equilibrium (``moving``),
    of its probabilities as functions of the parameter (``Region.formulas``); a fixed policy's
    probabilities are constants."""
    if not r.policies:
        return None
    pi = r.policies[0]
    if moving and is_mixed(pi):
        if r.formulas is None or r.formulas[0] is pi:
            return None  # the mixture could not be solved as a function of the parameter
        pi = r.formulas[0]
    v = symbolic.mixed_summary(pi).value(symbolic.rule)
    if v is None:
        return None
    return sympy.cancel(leading(v))
