"""Structured policy search: split the observations into coupled groups, search each alone.

W(σ)'s sums are a sum over compiled draws, and each draw's share depends on σ only within its
**scope** (:meth:`~newcomb.world.Model.draw_scope`): the observations its worlds can show under
any choice of the predictor, and those its ``given`` predictions ask about. Observations that
share a scope are **coupled** (through self-referential predictions, selected values or
``given`` predictions); the connected components are the groups. Then

* **FDT** under ``fail`` or ``random``: V(σ) = Σ over groups of the group's sums, so each group
  is maximised on its own (under ``fail`` a group whose slice meets a paradox is infeasible, and
  the search backtracks as soon as a draw's scope is assigned). Under ``retry``, V is a ratio
  of sums, maximised exactly by Dinkelbach's method (Dinkelbach 1967): maximise
  Σ (num − λ·den) group by group, set λ to the value reached, repeat until it stops rising.
* **EDT / CDT**: ratifiability at observation o depends on σ within the union of the scopes of
  the draws that can show o; groups are linked through those unions, and each group's slices are
  found by backtracking, checking each observation's condition as soon as its variables are set.

The policies are the products of the groups' optimal slices. Their number can be exponential,
so at most ``limit`` are listed and the total is counted. Each group's own search is bounded by
:attr:`~newcomb.world.Limits.max_policies` (|A|^|group|), not the whole policy space.
Every draw's share is memoised per slice, so a slice is evaluated once however many policies
contain it. The plain exhaustive search stays in :mod:`newcomb.theories` for checking.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from .errors import LimitError
from .query import Query, intervention_sums, pure_expected_utilities
from .series import Num, exact_sum, is_zero, ratio, weighted_sums
from .sums import counts_guesses, divides, refuses_paradox, rule_gain
from .world import Behaviour, Model, Rule, pure

if TYPE_CHECKING:
    from .vectorised import GroupTable

__all__ = ["REPORT_LIMIT", "Found", "groups", "optimal_policies", "ratifiable_policies"]

REPORT_LIMIT = 64
"""At most this many policies are listed when ties or ratifiable policies multiply; the total
is still counted."""

ELIMINATE_FROM = 1 << 12
"""Groups with more joint slices than this (|A|^|group|) are searched by variable elimination
over their draws (:mod:`newcomb.elimination`), whose work grows with the width of the coupling
between observations, not with the number of slices: FDT by max-sum elimination, CDT and EDT
by counting the solutions of their ratifiability constraints. Past the elimination's width
bound, the slice-by-slice search (within ``max_policies``) is used instead."""

VECTOR_FROM = 256
"""Groups with at least this many joint slices (|A|^|group|) are searched with numpy arrays
(:mod:`newcomb.vectorised`): FDT's sums as exact integers, CDT's and EDT's ratifiability as
one boolean table per observation; smaller groups slice by slice. Both give the same answer
(the property tests run both on every generated scenario)."""


@dataclass(frozen=True)
class Found:
    """Policies found by a structured search: up to ``limit`` of them, and how many in all."""

    policies: tuple[Behaviour, ...]
    total: int
    groups: int


def _union_find(n: int, links: Sequence[Sequence[int]]) -> list[tuple[int, ...]]:
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for members in links:
        for a, b in itertools.pairwise(members):
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    out: dict[int, list[int]] = {}
    for x in range(n):
        out.setdefault(root(x), []).append(x)
    return [tuple(v) for _, v in sorted(out.items())]


def groups(model: Model) -> list[tuple[int, ...]]:
    """The coupled groups of observations for FDT (observation indices, each group sorted)."""
    return _union_find(len(model.observations), model.draw_scope())


def _bound(model: Model, members: tuple[int, ...], width: int | None = None) -> int:
    """|A|^|group|, checked against the bound on policies before any work. ``width`` is the
    group's elimination width when it was too wide to eliminate (named in the message)."""
    n_a = len(model.actions)
    count: int = n_a ** len(members)
    if count > model.limits.max_policies:
        wide = ""
        if width is not None:
            from .elimination import MAX_TABLE, MAX_WIDTH

            wide = (
                f"; their elimination width {width} is past what elimination allows (width "
                f"{MAX_WIDTH}, tables of {MAX_TABLE} entries)"
            )
        raise LimitError(
            f"{len(members)} coupled observations with {n_a} actions make {count} joint "
            f"policies to search, more than the bound of {model.limits.max_policies}{wide} "
            "(raise it with --max-policies)"
        )
    return count


def _width(n: int, scopes: Sequence[Sequence[int]]) -> int:
    from .elimination import elimination_order

    return elimination_order(n, scopes)[1]


def _slices(
    model: Model,
    members: tuple[int, ...],
    checks: Sequence[tuple[tuple[int, ...], Callable[[list[int]], bool]]],
    sigma: list[int],
) -> Iterator[list[int]]:
    """Assignments of the group's observations, written into ``sigma`` (a full-length policy,
    zeros outside the group, shared between groups and left as zeros) that pass every check; a
    check runs as soon as all observations it reads are assigned."""
    n_a = len(model.actions)
    count = _bound(model, members)
    position = {o: i for i, o in enumerate(members)}
    at_depth: list[list[Callable[[list[int]], bool]]] = [[] for _ in members]
    for reads, fn in checks:
        depth = max((position[o] for o in reads if o in position), default=0)
        at_depth[depth].append(fn)

    report = model.progress if count >= 64 else None
    step = max(1, count // 200)
    seen = [0]

    def walk(depth: int) -> Iterator[list[int]]:
        if depth == len(members):
            seen[0] += 1
            if report is not None and seen[0] % step == 0:
                report(seen[0], count)
            yield sigma
            return
        o = members[depth]
        for a in range(n_a):
            sigma[o] = a
            if all(fn(sigma) for fn in at_depth[depth]):
                yield from walk(depth + 1)
        sigma[o] = 0

    if not members:
        if all(fn(sigma) for fns in at_depth for fn in fns):
            yield sigma
        return
    yield from walk(0)
    if report is not None:
        report(count, count)


def _product(
    model: Model,
    per_group: Sequence[tuple[tuple[int, ...], list[tuple[int, ...]], int]],
    limit: int,
    exclude: Sequence[set[tuple[int, ...]]] | None = None,
) -> Found:
    """The policies made of one slice per group (at most ``limit`` listed, all counted).

    Each group gives its options and how many there are: the first ``limit`` options are
    enough to list the first ``limit`` combinations, since a group's i-th option first appears
    in combination i or later. ``exclude`` (which needs every option) drops the combinations
    whose every slice is in its group's excluded set."""
    total = 1
    for _, _, count in per_group:
        total *= count
    groups = len(per_group)
    base = [0] * len(model.observations)
    if exclude is None:  # groups with one option are the same in every policy: set them once
        for members, options, _ in per_group:
            if len(options) == 1:
                for o, a in zip(members, options[0], strict=True):
                    base[o] = a
        per_group = [g for g in per_group if len(g[1]) != 1]
    combos: Iterator[tuple[tuple[int, ...], ...]] = itertools.product(
        *[opts for _, opts, _ in per_group]
    )
    if exclude is not None:
        dropped = 1
        for (_, options, _), bad in zip(per_group, exclude, strict=True):
            dropped *= sum(1 for o in options if o in bad)
        total -= dropped
        combos = (c for c in combos if not all(x in bad for x, bad in zip(c, exclude, strict=True)))
    n_a = len(model.actions)
    listed: list[list[int]] = []
    if total:
        for combo in itertools.islice(combos, limit):
            sigma = list(base)
            for (members, _, _), values in zip(per_group, combo, strict=True):
                for o, a in zip(members, values, strict=True):
                    sigma[o] = a
            listed.append(sigma)
    listed.sort()
    return Found(tuple(pure(sigma, n_a) for sigma in listed), total, groups)


@dataclass
class _GroupSums:
    slice_: tuple[int, ...]
    paradox: Num
    num: Num
    den: Num
    guess_num: Num
    guess_den: Num


def optimal_policies(model: Model, rule: Rule, limit: int = REPORT_LIMIT) -> Found:
    """FDT's policies: every pure policy of highest V(σ) under ``rule`` (none if none is
    feasible), with policies that differ only where they are never consulted counted once."""
    scopes = model.draw_scope()
    draw_groups = groups(model)
    given = set(model.given_observations)
    group_of = {o: g for g, members in enumerate(draw_groups) for o in members}
    draws_in: list[list[int]] = [[] for _ in draw_groups]
    constant: list[int] = []
    for d, scope in enumerate(scopes):
        if scope:
            draws_in[group_of[scope[0]]].append(d)
        else:
            constant.append(d)

    def sums_of(ds: Sequence[int], sigma: Sequence[int]) -> tuple[_GroupSums, set[int]]:
        g = _GroupSums((), Fraction(0), Fraction(0), Fraction(0), Fraction(0), Fraction(0))
        touched: set[int] = set()
        for d in ds:
            part = model.draw_sums(d, sigma, None)
            g.num = g.num + part.num
            g.den = g.den + part.den
            if part.paradox:  # (most draws have none: skip the exact additions of zeros)
                g.paradox = g.paradox + part.paradox
                g.guess_num = g.guess_num + part.guess_num
                g.guess_den = g.guess_den + part.guess_den
            touched |= part.touched
        return g, touched

    base, _ = sums_of(constant, [0] * len(model.observations))
    if refuses_paradox(rule) and not is_zero(base.paradox):
        return Found((), 0, len(draw_groups))
    n_a = len(model.actions)
    full = divides(rule) and is_zero(base.den)  # every optimal slice is needed (see below)
    tables: list[list[_GroupSums] | GroupTable | _Eliminated] = []
    buffer = [0] * len(model.observations)
    for members, ds in zip(draw_groups, draws_in, strict=True):
        width = None
        if n_a ** len(members) > ELIMINATE_FROM:
            eliminated = _Eliminated.build(model, members, ds, rule)
            if eliminated is not None:
                tables.append(eliminated)
                continue
            where = {o: i for i, o in enumerate(members)}
            width = _width(len(members), [[where[o] for o in scopes[d]] for d in ds])
        if n_a ** len(members) >= VECTOR_FROM:
            from . import vectorised  # numpy, imported only for large groups

            _bound(model, members, width)
            table = vectorised.build(model, members, ds, rule)
            if table is not None:
                if not table.mask.any():
                    return Found((), 0, len(draw_groups))
                tables.append(table)
                continue
        if len(members) == 1 and all(model.is_static(d) for d in ds):
            tables.append(_static_rows(model, members[0], ds, members[0] in given))
            continue
        checks = []
        if refuses_paradox(rule):
            for d in ds:
                if model.is_static(d):
                    continue  # no policy can make it meet a paradox
                checks.append(
                    (scopes[d], lambda s, d=d: is_zero(model.draw_sums(d, s, None).paradox))
                )
        rows = []
        for sigma in _slices(model, members, checks, buffer):
            g, touched = sums_of(ds, sigma)
            touched |= given & set(members)
            if any(sigma[o] != 0 for o in members if o not in touched):
                continue  # the same policy as the one taking the first action there
            g.slice_ = tuple(sigma[o] for o in members)
            rows.append(g)
        if not rows:
            return Found((), 0, len(draw_groups))
        tables.append(rows)

    def gain(g: _GroupSums, lam: Num | None) -> Num:
        return rule_gain(rule, g.num, g.guess_num, g.den, lam)

    def exact_sums(members: tuple[int, ...], ds: list[int], slice_: tuple[int, ...]) -> _GroupSums:
        sigma = [0] * len(model.observations)
        for o, a in zip(members, slice_, strict=True):
            sigma[o] = a
        g, _ = sums_of(ds, sigma)
        g.slice_ = slice_
        return g

    def start(widest: bool) -> list[_GroupSums]:
        """A first slice of each group for Dinkelbach: the first feasible one, or one with
        the most weight on consistent worlds."""
        out = []
        for members, ds, table in zip(draw_groups, draws_in, tables, strict=True):
            if isinstance(table, _Eliminated):
                out.append(exact_sums(members, ds, table.start(widest)))
            elif not isinstance(table, list):
                where = table.widest() if widest else table.mask
                out.append(exact_sums(members, ds, table.slices(where, 1)[0]))
            else:
                out.append(max(table, key=lambda r: r.den) if widest else table[0])
        return out

    def best(lam: Num | None) -> list[_Choice]:
        """Each group's slices of highest gain, with one of them summed exactly."""
        out = []
        for members, ds, table in zip(draw_groups, draws_in, tables, strict=True):
            if isinstance(table, _Eliminated):
                found = table.best(None if counts_guesses(rule) else lam, limit)
                if not found.assignments:
                    raise _Infeasible
                options = list(found.assignments)
                first = exact_sums(members, ds, options[0])
                empty = (
                    {o for o in options if is_zero(exact_sums(members, ds, o).den)}
                    if full
                    else set()
                )
                out.append(_Choice(options, found.count, first, empty))
            elif not isinstance(table, list):
                top = table.best(None if counts_guesses(rule) else lam)
                options = table.slices(top, None if full else limit)
                first = exact_sums(members, ds, options[0])
                empty = set(table.slices(top & table.empty(), None)) if full else set()
                out.append(_Choice(options, int(top.sum()), first, empty))
            else:
                high = max(gain(r, lam) for r in table)
                rows = [r for r in table if gain(r, lam) == high]
                empty = {r.slice_ for r in rows if is_zero(r.den)}
                out.append(_Choice([r.slice_ for r in rows], len(rows), rows[0], empty))
        return out

    try:
        if divides(rule):
            # Dinkelbach: start from any slice of each group, climb until the ratio stops rising.
            lam = _ratio(base, start(widest=False))
            if lam is None:
                lam = _ratio(base, start(widest=True))
                if lam is None:
                    return Found((), 0, len(draw_groups))
            for _ in range(10_000):
                nxt = _ratio(base, [c.first for c in best(lam)])
                if nxt is None or not nxt > lam:
                    break
                lam = nxt
            chosen = best(lam)
        else:
            chosen = best(None)
    except _Infeasible:  # an eliminated group has no feasible slice
        return Found((), 0, len(draw_groups))
    per_group = [
        (members, c.options, c.count) for members, c in zip(draw_groups, chosen, strict=True)
    ]
    if full:
        # A policy all of whose draws are paradoxes has no value under retry: drop the
        # combinations in which every group's slice has no consistent world.
        return _product(model, per_group, limit, exclude=[c.empty for c in chosen])
    return _product(model, per_group, limit)


class _Infeasible(Exception):
    """No slice of a group is feasible (every one meets a paradox under ``fail``)."""


class _Eliminated:
    """A group searched by max-sum variable elimination (:func:`newcomb.elimination.maximise`):
    one factor per distinct scope of its draws (their gains added), and one per observation
    that a slice may leave unconsulted, which keeps only the first action there, so that
    policies differing only where they are never consulted are counted once."""

    def __init__(
        self,
        model: Model,
        members: tuple[int, ...],
        rows: dict[tuple[int, ...], list[_GroupSums]],
        canonical: list[Any],
        rule: Rule,
        order: tuple[tuple[int, ...], int],
    ) -> None:
        self.model = model
        self.members = members
        self.rows = rows
        self.canonical = canonical
        self.rule = rule
        self.order, self.width = order

    @staticmethod
    def build(
        model: Model, members: tuple[int, ...], ds: Sequence[int], rule: Rule
    ) -> _Eliminated | None:
        """The group's factors, or None when its elimination width is past the bound (the
        caller falls back to the slice-by-slice search)."""
        from itertools import product

        from .elimination import MAX_TABLE, MAX_WIDTH, Factor, elimination_order

        n_a = len(model.actions)
        where = {o: i for i, o in enumerate(members)}
        scopes = model.draw_scope()
        local: dict[tuple[int, ...], list[int]] = {}
        for d in ds:
            local.setdefault(tuple(where[o] for o in scopes[d]), []).append(d)
        order, width = elimination_order(len(members), list(local))
        if width > MAX_WIDTH or n_a ** (width + 1) > MAX_TABLE:
            return None
        given = model.given_observations
        sigma = [0] * len(model.observations)
        rows: dict[tuple[int, ...], list[_GroupSums]] = {}
        touches: dict[tuple[int, ...], list[set[int]]] = {}
        for scope, group in local.items():
            rows[scope], touches[scope] = [], []
            for values in product(range(n_a), repeat=len(scope)):
                for i, a in zip(scope, values, strict=True):
                    sigma[members[i]] = a
                g = _GroupSums(
                    values, Fraction(0), Fraction(0), Fraction(0), Fraction(0), Fraction(0)
                )
                seen: set[int] = set()
                for d in group:
                    part = model.draw_sums(d, sigma, None)
                    g.num, g.den = g.num + part.num, g.den + part.den
                    g.paradox = g.paradox + part.paradox
                    g.guess_num, g.guess_den = (
                        g.guess_num + part.guess_num,
                        g.guess_den + part.guess_den,
                    )
                    seen |= {where[o] for o in part.touched if o in where}
                rows[scope].append(g)
                touches[scope].append(seen)
        canonical = []
        for i, o in enumerate(members):
            if o in given:
                continue
            mine = [s for s in local if i in s]
            if not mine or any(all(i in t for t in touches[s]) for s in mine):
                continue  # read by no draw (fold_free keeps its first action), or always read
            union = tuple(sorted({x for s in mine for x in s}))
            canonical.append(Factor.build(union, n_a, _consulted(i, union, mine, touches, n_a)))
        return _Eliminated(model, members, rows, canonical, rule, (tuple(order), width))

    def _factors(self, lam: Num | None) -> list[Any]:
        from .elimination import Factor

        out: list[Any] = []
        n_a = len(self.model.actions)
        for scope, rows in self.rows.items():
            table = tuple(
                None
                if refuses_paradox(self.rule) and not is_zero(g.paradox)
                else rule_gain(self.rule, g.num, g.guess_num, g.den, lam)
                for g in rows
            )
            out.append(Factor(scope, n_a, table))
        return _as_integers(out + self.canonical)

    def best(self, lam: Num | None, limit: int) -> Any:
        """The group's slices of highest gain (the first ``limit``, and how many)."""
        from .elimination import maximise

        return maximise(
            len(self.members),
            len(self.model.actions),
            self._factors(lam),
            limit=limit,
            order=self.order,
            fold_free=True,
        )

    def start(self, widest: bool) -> tuple[int, ...]:
        """A first slice for Dinkelbach: a feasible one, or one of most consistent weight."""
        from .elimination import Factor, maximise

        if not widest:
            return self.best(None, 1).assignments[0]  # type: ignore[no-any-return]
        n_a = len(self.model.actions)
        dens: list[Factor[Num | None]] = [
            Factor(s, n_a, tuple(g.den for g in rows)) for s, rows in self.rows.items()
        ]
        found = maximise(len(self.members), n_a, dens, limit=1, order=self.order, fold_free=True)
        return found.assignments[0]


def _as_integers(factors: list[Any]) -> list[Any]:
    """The same factors with every value an exact integer, when they are all rationals or
    ε-polynomials with rational coefficients: c0 + c1·ε + ... becomes Σ c_i·scale·B^(m-1-i),
    with ``scale`` a common denominator and B larger than twice any sum of one order's
    coefficients over all factors, so that sums and comparisons (first at ε = 0, then order by
    order) are those of the polynomials, and integer additions replace Fraction ones (a 6×6
    torus: 24 s -> about 2 s). Symbolic values are left as they are."""
    import math

    from .elimination import Factor
    from .series import Eps

    coefficients: list[list[tuple[Any, ...] | None]] = []
    scale, orders = 1, 1
    for f in factors:
        row: list[tuple[Any, ...] | None] = []
        for x in f.table:
            if x is None:
                row.append(None)
                continue
            parts: tuple[Any, ...] = x.c if isinstance(x, Eps) else (x,)
            if not all(isinstance(y, Fraction | int) for y in parts):
                return factors  # symbolic: exact as it is
            row.append(parts)
            orders = max(orders, len(parts))
            for y in parts:
                scale = math.lcm(scale, Fraction(y).denominator)
        coefficients.append(row)
    bound = [0] * orders
    for row in coefficients:
        for i in range(orders):
            top = max(
                (abs(int(Fraction(c[i]) * scale)) for c in row if c is not None and i < len(c)),
                default=0,
            )
            bound[i] += top
    base = 2 * max(bound) + 1
    out = []
    for f, row in zip(factors, coefficients, strict=True):
        table: list[int | None] = []
        for c in row:
            if c is None:
                table.append(None)
                continue
            v = 0
            for i in range(orders):
                v = v * base + (int(Fraction(c[i]) * scale) if i < len(c) else 0)
            table.append(v)
        out.append(Factor(f.scope, f.k, tuple(table)))
    return out


def _consulted(
    i: int,
    union: tuple[int, ...],
    mine: list[tuple[int, ...]],
    touches: dict[tuple[int, ...], list[set[int]]],
    n_a: int,
) -> Callable[[tuple[int, ...]], Num | None]:
    """The table of observation ``i``'s canonical factor over ``union``: 0 where ``i`` takes
    the first action or some draw consults it, else infeasible (a slice that never consults
    ``i`` keeps only its first action there)."""

    def entry(values: tuple[int, ...]) -> Num | None:
        at = dict(zip(union, values, strict=True))
        if at[i] == 0:
            return Fraction(0)
        for s in mine:
            k = 0
            for x in s:
                k = k * n_a + at[x]
            if i in touches[s][k]:
                return Fraction(0)
        return None

    return entry


def _static_rows(model: Model, o: int, ds: Sequence[int], asked: bool) -> list[_GroupSums]:
    """The slices of a one-observation group all of whose draws are static: each act's sums
    are read off the draws' per-act sums, with no slice run (separable problems)."""
    n_a = len(model.actions)
    dens: list[Num] = []
    parts: list[tuple[Num, tuple[Num, ...]]] = []
    consulted = asked
    for d in ds:
        base = model.static_sums(d)
        dens.append(base.den)
        row = base.obs.get(o)
        if row is not None:
            parts.extend(row.parts)
        consulted = consulted or o in base.touched
    den = exact_sum(dens)
    acts = weighted_sums(parts, n_a)
    zero = Fraction(0)
    # where the policy is never consulted only the first action is kept (one policy)
    return [
        _GroupSums((a,), zero, acts[a], den, zero, zero) for a in range(n_a if consulted else 1)
    ]


@dataclass
class _Choice:
    """A group's optimal slices (all of them, or the first ``limit``), how many there are,
    the first one's exact sums, and those among them with no consistent world."""

    options: list[tuple[int, ...]]
    count: int
    first: _GroupSums
    empty: set[tuple[int, ...]]


def _ratio(base: _GroupSums, pick: Sequence[_GroupSums]) -> Num | None:
    num: Num = base.num
    den: Num = base.den
    for g in pick:
        num = num + g.num
        den = den + g.den
    return None if is_zero(den) else ratio(num, den)


def _ratifiable_at(
    model: Model,
    sigma: list[int],
    o: int,
    how: Query,
    around: Sequence[int] = (),
    memo: dict[tuple[int, ...], frozenset[int]] | None = None,
    steady: bool = False,
) -> bool:
    """Whether the act ``sigma`` takes at ``o`` is among the best there; ``around`` lists the
    other observations EDT's expected utilities at ``o`` can read (for ``memo``). ``steady``
    says that only static draws show ``o`` and no correlate follows CDT's credence, so that
    CDT's sums there are the same under every policy."""
    if how == "intervene":  # one denominator for every act: compare the sums
        steady = steady and memo is not None
        if steady:
            best = memo.get((o,))  # type: ignore[union-attr]
            if best is not None:
                return sigma[o] in best
        den, acts = intervention_sums(model, sigma, o)
        if is_zero(den):
            best = frozenset((0,))
        else:
            top = max(acts)
            best = frozenset(b for b, x in enumerate(acts) if x == top)
        if steady:
            memo[(o,)] = best  # type: ignore[index]
        return sigma[o] in best
    if memo is None or model.scenario.physical is not None:
        return sigma[o] in _best_acts(pure_expected_utilities(model, sigma, o, how=how))
    # EDT's EU(b | o) sets the act at o to b, so it reads σ only away from o: one set of best
    # acts serves every act the search tries at o.
    key = (o, *(sigma[x] for x in around))
    best = memo.get(key)
    if best is None:
        best = memo[key] = _best_acts(pure_expected_utilities(model, sigma, o, how=how))
    return sigma[o] in best


def _best_acts(eus: Sequence[Num | None]) -> frozenset[int]:
    """The acts of highest expected utility (the first act when none is defined)."""
    defined = [e for e in eus if e is not None]
    if not defined:
        return frozenset((0,))
    top = max(defined)
    return frozenset(b for b, e in enumerate(eus) if e is not None and e == top)


def ratifiable_policies(model: Model, how: Query, limit: int = REPORT_LIMIT) -> Found:
    """Every ratifiable pure policy for EDT (``condition``) or CDT (``intervene``)."""
    scopes = model.draw_scope()
    n_o = len(model.observations)
    # ratifiability at o reads σ wherever the draws that can show o read it
    reads: list[tuple[int, ...]] = []
    for o in range(n_o):
        r = {o}
        for d in model.draws_showing(o):
            r |= set(scopes[d])
        reads.append(tuple(sorted(r)))
    linked = _union_find(n_o, reads)
    per_group = []
    buffer = [0] * n_o
    memo: dict[tuple[int, ...], frozenset[int]] = {}
    around = [tuple(x for x in reads[o] if x != o) for o in range(n_o)]
    steady = [
        how == "intervene"
        and not model.has_correlates
        and all(model.is_static(d) for d in model.draws_showing(o))
        for o in range(n_o)
    ]

    def ratifiable_at(s: list[int], o: int) -> bool:
        return _ratifiable_at(model, s, o, how, around[o], memo, steady[o])

    for members in linked:
        width = None
        if len(model.actions) ** len(members) > ELIMINATE_FROM:
            solved = _constraint_network(model, members, reads, ratifiable_at, buffer, limit)
            if solved is not None:
                per_group.append(solved)
                continue
            where = {o: i for i, o in enumerate(members)}
            width = _width(len(members), [[where[x] for x in reads[o]] for o in members])
        if len(model.actions) ** len(members) >= VECTOR_FROM:
            from . import vectorised  # numpy, imported only for large groups

            _bound(model, members, width)
            mask = vectorised.ratifiable_mask(model, members, reads, ratifiable_at)
            options = vectorised.mask_slices(mask, limit)
            per_group.append((members, options, int(mask.sum())))
            continue
        checks = [(reads[o], lambda s, o=o: ratifiable_at(s, o)) for o in members]
        slices = [tuple(s[o] for o in members) for s in _slices(model, members, checks, buffer)]
        per_group.append((members, slices, len(slices)))
    return _product(model, per_group, limit)


def _constraint_network(
    model: Model,
    members: tuple[int, ...],
    reads: Sequence[tuple[int, ...]],
    ratifiable_at: Callable[[list[int], int], bool],
    sigma: list[int],
    limit: int,
) -> tuple[tuple[int, ...], list[tuple[int, ...]], int] | None:
    """A linked group's ratifiable slices as the solutions of a constraint network: each
    observation's best-act condition over the observations its expected utility reads,
    counted by elimination and listed up to ``limit`` (:func:`newcomb.elimination.count_solutions`);
    None when the network is too wide (the caller falls back to the slice-by-slice search)."""
    from .elimination import MAX_TABLE, MAX_WIDTH, count_solutions, elimination_order

    where = {o: i for i, o in enumerate(members)}
    scopes = [tuple(sorted(where[x] for x in reads[o])) for o in members]
    _, width = elimination_order(len(members), scopes)
    if width > MAX_WIDTH or len(model.actions) ** (width + 1) > MAX_TABLE:
        return None

    def condition(o: int, scope: tuple[int, ...]) -> Callable[[tuple[int, ...]], bool]:
        def holds(values: tuple[int, ...]) -> bool:
            for i, a in zip(scope, values, strict=True):
                sigma[members[i]] = a
            return ratifiable_at(sigma, o)

        return holds

    found = count_solutions(
        len(members),
        len(model.actions),
        [(scope, condition(o, scope)) for o, scope in zip(members, scopes, strict=True)],
        limit=limit,
    )
    for o in members:
        sigma[o] = 0
    return members, list(found.assignments), found.count
