"""Exact search of a policy space by variable elimination over scoped factors.

The variables are observations ``0 .. n-1``, each taking one of ``k`` values (the actions). A
**factor** is a table over a few of them (its scope), built once per slice of its scope; an
objective is the sum of the factors. FDT's value V(σ) is such a sum, one factor per compiled
draw, each reading σ only at the observations that draw can show; CDT's and EDT's ratifiability
is a conjunction of such constraints, one per observation. This module maximises and counts over
every assignment without listing them, in time exponential only in the **width** of the
elimination order, not in ``n`` (Dechter 1999, *Bucket elimination*):

* :func:`maximise`: max-sum variable elimination in the (max, count) semiring. Eliminating a
  variable ``x`` turns the factors that read it into one message over its neighbours holding,
  for each slice of them, the best value of ``x``'s part and how many assignments reach it. A
  back-pass recovers every maximiser, backtrack-free, and they are counted exactly.
* :func:`ratio_maximise`: the ratio of two such sums (FDT under ``retry``), by Dinkelbach's
  method (Dinkelbach 1967) on top of :func:`maximise`, with λ kept as an exact pair.
* :func:`count_solutions`: the assignments satisfying local constraints, counted by the same
  elimination over 0/−∞ tables (a sum-product count) and listed.

Values are exact (:data:`~newcomb.series.Num`, rationals or ε-polynomials, compared with ``<``
and ``==``); ``None`` is −∞, an infeasible slice (a paradox under ``fail``), and absorbs in sums.
Listed assignments are the first ``limit`` in lexicographic order of the assignment tuple,
whatever the elimination order. Every table is bounded before it is built: :data:`MAX_TABLE`
entries and width :data:`MAX_WIDTH`, raising :class:`~newcomb.errors.LimitError` naming the bound.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Generic, Literal, TypeVar

from .errors import LimitError, UsageError
from .series import Num, ratio

__all__ = [
    "MAX_TABLE",
    "MAX_WIDTH",
    "Factor",
    "Maximised",
    "Pair",
    "Ratio",
    "Solutions",
    "Value",
    "count_solutions",
    "elimination_order",
    "maximise",
    "ratio_maximise",
    "width",
]

MAX_TABLE = 1 << 20
"""At most this many entries in one table: a factor (``k ** len(scope)``) or the work of one
elimination step (``k ** (width + 1)``)."""

MAX_WIDTH = 20
"""At most this many variables in one message (the elimination order's induced width)."""

T = TypeVar("T")
Value = Num | None
Pair = tuple[Num, Num] | None
Heuristic = Literal["min-fill", "min-degree"]
_ZERO = Fraction(0)
_Spec = tuple[list[tuple[int, int]], int, Sequence[Value], Sequence[int] | None]


@dataclass(frozen=True)
class Factor(Generic[T]):
    """A dense table over ``scope`` (strictly increasing variable indices), ``k`` values each.

    ``table[i]`` belongs to the slice whose mixed-radix index (base ``k``, the first variable of
    the scope most significant) is ``i``: the slices in lexicographic order."""

    scope: tuple[int, ...]
    k: int
    table: tuple[T, ...]

    @staticmethod
    def build(
        scope: Sequence[int],
        k: int,
        fn: Callable[[tuple[int, ...]], T],
        *,
        max_table: int = MAX_TABLE,
    ) -> Factor[T]:
        """The factor whose entry at each slice is ``fn(slice)``: ``fn`` is called once per
        slice, in lexicographic order, after the size is checked against ``max_table``."""
        scope = tuple(scope)
        if any(b <= a for a, b in itertools.pairwise(scope)) or any(v < 0 for v in scope):
            raise UsageError(f"a factor's scope must be increasing variable indices, not {scope}")
        if k < 1:
            raise UsageError(f"a factor needs at least one value per variable, not k = {k}")
        size = k ** len(scope)
        if size > max_table:
            raise LimitError(
                f"a factor over {len(scope)} observations would have {size} entries, more than "
                f"the bound of {max_table} (max_table)"
            )
        return Factor(
            scope, k, tuple(fn(s) for s in itertools.product(range(k), repeat=len(scope)))
        )

    def __call__(self, values: Sequence[int]) -> T:
        """The entry at a slice (one value per variable of the scope)."""
        i = 0
        for v in values:
            i = i * self.k + v
        return self.table[i]


@dataclass(frozen=True)
class Maximised:
    """What :func:`maximise` found.

    ``value`` is the highest sum (``None`` if every assignment is infeasible), ``count`` how
    many assignments reach it, ``assignments`` the first ``limit`` of them in lexicographic
    order, ``width`` the induced width of the elimination ``order`` used."""

    value: Value
    count: int
    assignments: tuple[tuple[int, ...], ...]
    width: int
    order: tuple[int, ...]


@dataclass(frozen=True)
class Ratio:
    """What :func:`ratio_maximise` found: the best ratio ``value`` (``ratio(num, den)``, exact
    for rationals, a truncated series for ε-polynomials), the same ratio as an exact pair
    ``num`` / ``den`` (the sums at a maximiser, or the rational ratio over 1), ``count``
    maximisers, the first ``limit`` listed, and ``steps``, the Dinkelbach iterations taken.
    ``value`` is ``None`` when no assignment has a positive denominator."""

    value: Value
    num: Value
    den: Value
    count: int
    assignments: tuple[tuple[int, ...], ...]
    width: int
    steps: int


@dataclass(frozen=True)
class Solutions:
    """What :func:`count_solutions` found: ``count`` assignments satisfy every constraint; the
    first ``limit`` of them, in lexicographic order."""

    count: int
    assignments: tuple[tuple[int, ...], ...]
    width: int


# ---------------------------------------------------------------------------------------------
# Elimination orders


def _graph(n: int, scopes: Sequence[Sequence[int]]) -> list[set[int]]:
    """The interaction graph: an edge between every two variables that share a scope."""
    adj: list[set[int]] = [set() for _ in range(n)]
    for scope in scopes:
        for v in scope:
            if not 0 <= v < n:
                raise UsageError(f"variable {v} is outside 0..{n - 1}")
            adj[v].update(scope)
    for v in range(n):
        adj[v].discard(v)
    return adj


def elimination_order(
    n: int, scopes: Sequence[Sequence[int]], heuristic: Heuristic = "min-fill"
) -> tuple[tuple[int, ...], int]:
    """A greedy elimination order of the variables ``0 .. n-1`` and its induced width.

    ``min-fill`` eliminates next the variable whose elimination adds the fewest edges among
    its neighbours (ties: fewest neighbours, then the lowest index); ``min-degree`` the one
    with fewest neighbours (ties: lowest index). The width is the largest number of neighbours
    a variable has when it is eliminated: the number of variables of the largest message."""
    if heuristic not in ("min-fill", "min-degree"):
        raise UsageError(f"unknown elimination heuristic {heuristic!r} (min-fill, min-degree)")
    adj = _graph(n, scopes)
    left = set(range(n))
    order: list[int] = []
    most = 0

    def fill(v: int) -> int:
        nb = list(adj[v])
        return sum(1 for a, b in itertools.combinations(nb, 2) if b not in adj[a])

    while left:
        if heuristic == "min-fill":
            x = min(left, key=lambda v: (fill(v), len(adj[v]), v))
        else:
            x = min(left, key=lambda v: (len(adj[v]), v))
        most = max(most, _remove(adj, x))
        left.discard(x)
        order.append(x)
    return tuple(order), most


def width(n: int, scopes: Sequence[Sequence[int]], order: Sequence[int]) -> int:
    """The induced width of eliminating ``0 .. n-1`` in ``order`` (a permutation of them)."""
    _check_order(n, order)
    adj = _graph(n, scopes)
    most = 0
    for x in order:
        most = max(most, _remove(adj, x))
    return most


def _remove(adj: list[set[int]], x: int) -> int:
    """Eliminate ``x`` from the interaction graph: its neighbours become a clique. Returns how
    many neighbours it had (the size of the message eliminating it makes)."""
    nb = adj[x]
    for a in nb:
        adj[a] |= nb
        adj[a].discard(a)
        adj[a].discard(x)
    return len(nb)


def _check_order(n: int, order: Sequence[int]) -> None:
    if sorted(order) != list(range(n)):
        raise UsageError(f"an elimination order must list each of the {n} variables once")


# ---------------------------------------------------------------------------------------------
# Max-sum elimination in the (max, count) semiring


@dataclass
class _Bucket:
    """One elimination step: ``var`` and the tables that read it, summed and maximised over
    ``var`` into ``best`` and ``count`` over ``sep`` (its later neighbours, dense, base k)."""

    var: int
    sep: tuple[int, ...]
    items: list[tuple[tuple[int, ...], Sequence[Value], Sequence[int] | None]]
    best: list[Value]
    count: list[int]
    specs: list[_Spec] = field(default_factory=list)


@dataclass
class _Pass:
    n: int
    k: int
    domains: list[tuple[int, ...]]
    buckets: list[_Bucket]
    value: Value
    count: int


def _plan(
    n: int,
    k: int,
    scopes: Sequence[tuple[int, ...]],
    order: Sequence[int],
    max_width: int,
    max_table: int,
) -> tuple[list[list[int]], list[tuple[int, ...]], int]:
    """For each step of ``order``: which factors its bucket holds, its separator; and the width.
    Every bound is checked here, before any table is built."""
    position = {x: i for i, x in enumerate(order)}
    held: list[list[int]] = [[] for _ in order]
    reads: list[set[int]] = [set() for _ in order]
    for f, scope in enumerate(scopes):
        if scope:
            step = min(position[v] for v in scope)
            held[step].append(f)
            reads[step].update(scope)
    seps: list[tuple[int, ...]] = []
    most = 0
    for step, x in enumerate(order):
        sep = tuple(sorted(reads[step] - {x}))
        seps.append(sep)
        most = max(most, len(sep))
        if len(sep) > max_width:
            raise LimitError(
                f"eliminating observation {x} would make a message over {len(sep)} observations, "
                f"more than the bound of {max_width} (max_width)"
            )
        if k ** (len(sep) + 1) > max_table:
            raise LimitError(
                f"eliminating observation {x} would fill {k ** (len(sep) + 1)} entries over "
                f"{len(sep) + 1} observations, more than the bound of {max_table} (max_table)"
            )
        if sep:
            later = min(position[v] for v in sep)
            reads[later].update(sep)
    return held, seps, most


def _eliminate(
    k: int,
    domains: list[tuple[int, ...]],
    factors: Sequence[Factor[Value]],
    order: Sequence[int],
    held: list[list[int]],
    seps: list[tuple[int, ...]],
) -> _Pass:
    """Max-sum elimination along ``order`` (the plan from :func:`_plan`), each variable
    restricted to its domain; returns every bucket for the back-pass."""
    n = len(domains)
    position = {x: i for i, x in enumerate(order)}
    constant: Value = _ZERO
    for f in factors:
        if not f.scope:
            y = f.table[0]
            constant = None if y is None or constant is None else constant + y
    waiting: list[list[tuple[tuple[int, ...], Sequence[Value], Sequence[int] | None]]] = [
        [(factors[f].scope, factors[f].table, None) for f in fs] for fs in held
    ]
    buckets: list[_Bucket] = []
    value: Value = constant
    count = 1
    for step, x in enumerate(order):
        bucket = _Bucket(x, seps[step], waiting[step], [], [])
        _fill(bucket, k, domains)
        buckets.append(bucket)
        if bucket.sep:
            later = min(position[v] for v in bucket.sep)
            waiting[later].append((bucket.sep, bucket.best, bucket.count))
        else:
            top = bucket.best[0]
            value = None if top is None or value is None else value + top
            count *= bucket.count[0]
    if value is None:
        count = 0
    return _Pass(n, k, domains, buckets, value, count)


def _specs(bucket: _Bucket, k: int) -> list[_Spec]:
    """For each table in the bucket: (separator position, stride) pairs and the stride of the
    eliminated variable, so that an entry's index is a short dot product."""
    pos = {v: i for i, v in enumerate(bucket.sep)}
    out = []
    for scope, values, counts in bucket.items:
        size = len(scope)
        strides = [k ** (size - 1 - i) for i in range(size)]
        parts = [(pos[v], s) for v, s in zip(scope, strides, strict=True) if v != bucket.var]
        out.append((parts, strides[scope.index(bucket.var)], values, counts))
    return out


def _local(
    specs: list[_Spec],
    slice_: Sequence[int],
    v: int,
) -> tuple[Value, int]:
    """The sum of the bucket's tables at a separator slice and value ``v`` of its variable, and
    the number of assignments of the variables eliminated below that reach it."""
    total: Num = _ZERO
    ways = 1
    for parts, sx, values, counts in specs:
        i = v * sx
        for p, s in parts:
            i += slice_[p] * s
        y = values[i]
        if y is None:
            return None, 0
        total = total + y
        if counts is not None:
            ways *= counts[i]
    return total, ways


def _fill(bucket: _Bucket, k: int, domains: list[tuple[int, ...]]) -> None:
    """Compute the bucket's message: per separator slice, the best local sum and its count."""
    specs = bucket.specs = _specs(bucket, k)
    m = len(bucket.sep)
    size = k**m
    best: list[Value] = [None] * size
    count = [0] * size
    strides = [k ** (m - 1 - i) for i in range(m)]
    for slice_ in itertools.product(*(domains[v] for v in bucket.sep)):
        top: Value = None
        c = 0
        for v in domains[bucket.var]:
            total, ways = _local(specs, slice_, v)
            if total is None:
                continue
            if top is None or total > top:
                top, c = total, ways
            elif total == top:
                c += ways
        at = sum(a * s for a, s in zip(slice_, strides, strict=True))
        best[at] = top
        count[at] = c
    bucket.best = best
    bucket.count = count


def _argmax(bucket: _Bucket, k: int, domains: list[tuple[int, ...]], sigma: list[int]) -> list[int]:
    """The values of the bucket's variable that reach its message's best, given the
    separator's values in ``sigma`` (set earlier in the back-pass)."""
    specs = bucket.specs
    slice_ = [sigma[v] for v in bucket.sep]
    at = 0
    for a in slice_:
        at = at * k + a
    target = bucket.best[at]
    return [v for v in domains[bucket.var] if _local(specs, slice_, v)[0] == target]


def _maximisers(p: _Pass) -> Iterator[tuple[int, ...]]:
    """Every maximiser, by a backtrack-free depth-first walk over the variables in reverse
    elimination order (values ascending): lexicographic in that order of the variables."""
    if p.value is None:
        return
    sigma = [0] * p.n
    buckets = p.buckets[::-1]
    if not buckets:
        yield ()
        return
    stack = [iter(_argmax(buckets[0], p.k, p.domains, sigma))]
    while stack:
        v = next(stack[-1], None)
        if v is None:
            stack.pop()
            continue
        depth = len(stack) - 1
        sigma[buckets[depth].var] = v
        if depth + 1 == len(buckets):
            yield tuple(sigma)
        else:
            stack.append(iter(_argmax(buckets[depth + 1], p.k, p.domains, sigma)))


# ---------------------------------------------------------------------------------------------
# Listing in lexicographic order


Probe = Callable[[list[tuple[int, ...]]], tuple[int, Callable[[], list[tuple[int, ...]]] | None]]


def _lex_search(
    n: int, domains: list[tuple[int, ...]], probe: Probe, limit: int
) -> list[tuple[int, ...]]:
    """The first ``limit`` wanted assignments in lexicographic order, by a depth-first walk
    over the variables ``0, 1, ...`` that never enters a prefix with none below it.

    ``probe(domains)`` counts the wanted assignments within the domains (the prefix clamped to
    one value each) and may offer to list them all (in any order) when that is cheap; it is
    used when they are at most as many as are still needed."""
    out: list[tuple[int, ...]] = []
    stack = [(0, domains)] if limit > 0 else []
    while stack and len(out) < limit:  # depth first, smaller values first: no recursion
        i, doms = stack.pop()
        found, everything = probe(doms)
        if found == 0:
            continue
        if everything is not None and found <= limit - len(out):
            out.extend(sorted(everything()))
        elif i == n:  # one assignment left, and no lister offered
            out.append(tuple(d[0] for d in doms))
        else:
            stack.extend((i + 1, [*doms[:i], (v,), *doms[i + 1 :]]) for v in reversed(doms[i]))
    return out


def _cost(k: int, seps: Sequence[tuple[int, ...]]) -> int:
    return sum(k ** (len(s) + 1) for s in seps)


def _backward_affordable(
    n: int, k: int, backward: Sequence[tuple[int, ...]] | None, chosen: Sequence[tuple[int, ...]]
) -> bool:
    """Whether to list by a second elimination in the order ``n-1, ..., 0`` (``backward``: its
    separators, ``None`` past a bound) rather than by clamped prefixes: when its tables cost
    no more than the up to ``n·k`` eliminations along the ``chosen`` order that the walk over
    prefixes can take."""
    return backward is not None and _cost(k, backward) <= n * k * _cost(k, chosen)


# ---------------------------------------------------------------------------------------------
# The public searches


def _checked(
    n: int, k: int, factors: Sequence[Factor[T]], fold_free: bool
) -> list[tuple[int, ...]]:
    """Each variable's domain (``(0,)`` for a variable no factor reads, under ``fold_free``),
    after checking the factors against ``n`` and ``k``."""
    if n < 0 or k < 1:
        raise UsageError(f"need n >= 0 variables and k >= 1 values, not n = {n}, k = {k}")
    read: set[int] = set()
    for f in factors:
        if f.k != k:
            raise UsageError(f"a factor over {f.scope} has {f.k} values per variable, not {k}")
        if f.scope and not 0 <= f.scope[-1] < n:
            raise UsageError(f"a factor over {f.scope} reads a variable outside 0..{n - 1}")
        read.update(f.scope)
    full = tuple(range(k))
    return [full if v in read or not fold_free else (0,) for v in range(n)]


def maximise(
    n: int,
    k: int,
    factors: Sequence[Factor[Value]],
    *,
    limit: int = 64,
    order: Sequence[int] | None = None,
    fold_free: bool = False,
    max_width: int = MAX_WIDTH,
    max_table: int = MAX_TABLE,
) -> Maximised:
    """The assignments of ``n`` variables (``k`` values each) maximising the sum of ``factors``.

    1. Order the variables (``order``, or :func:`elimination_order` by min-fill) and check
       every message against ``max_width`` and ``max_table``.
    2. Eliminate them in turn: the bucket of ``x`` holds the tables whose first eliminated
       variable is ``x``; per slice of its separator, keep the best sum over ``x`` and the
       number of assignments below reaching it (counts multiply across the tables of a bucket,
       add across tied values of ``x``).
    3. The value is the sum of the last messages; the count, their product.
    4. List the first ``limit`` maximisers in lexicographic order: all of them by the
       back-pass and sorted, when there are at most ``limit``; else by a second elimination
       in the order ``n-1, ..., 0``, whose back-pass is lexicographic, when it is affordable;
       else by a walk over prefixes, each counted by an elimination with the prefix clamped.

    ``fold_free`` counts a variable that no factor reads once (value 0), as FDT counts policies
    that differ only where they are never consulted; otherwise it multiplies the count by ``k``.
    """
    domains = _checked(n, k, factors, fold_free)
    scopes = [f.scope for f in factors]
    if order is None:
        order, _ = elimination_order(n, scopes)
    _check_order(n, order)
    held, seps, w = _plan(n, k, scopes, order, max_width, max_table)
    first = _eliminate(k, domains, factors, order, held, seps)
    found = Maximised(first.value, first.count, (), w, tuple(order))
    if limit <= 0 or first.value is None:
        return found
    if first.count <= limit:
        listed = sorted(_maximisers(first))
        return Maximised(first.value, first.count, tuple(listed), w, tuple(order))
    target = first.value

    def run(doms: list[tuple[int, ...]], by: Sequence[int] = order) -> _Pass:
        h, s, _ = _plan(n, k, scopes, by, max_width, max_table)
        return _eliminate(k, doms, factors, by, h, s)

    listed = _lex_listing(n, k, scopes, domains, run, target, limit, seps, max_width, max_table)
    return Maximised(first.value, first.count, tuple(listed), w, tuple(order))


def _lex_listing(
    n: int,
    k: int,
    scopes: Sequence[tuple[int, ...]],
    domains: list[tuple[int, ...]],
    run: Callable[..., _Pass],
    target: Num,
    limit: int,
    seps: Sequence[tuple[int, ...]],
    max_width: int,
    max_table: int,
) -> list[tuple[int, ...]]:
    """The first ``limit`` assignments of sum ``target`` (the maximum) in lexicographic order."""
    backward = tuple(range(n - 1, -1, -1))
    try:
        _, seps_b, _ = _plan(n, k, scopes, backward, max_width, max_table)
    except LimitError:
        seps_b = None
    if _backward_affordable(n, k, seps_b, seps):
        return list(itertools.islice(_maximisers(run(domains, backward)), limit))

    def probe(
        doms: list[tuple[int, ...]],
    ) -> tuple[int, Callable[[], list[tuple[int, ...]]] | None]:
        p = run(doms)
        if p.value is None or p.value != target:
            return 0, None
        return p.count, lambda: list(_maximisers(p))

    return _lex_search(n, domains, probe, limit)


def _pair_check(factors: Sequence[Factor[Pair]], base: tuple[Num, Num]) -> None:
    """Every denominator is non-negative and every numerator zero where its denominator is
    (sums over worlds of probability × utility and of probability are)."""
    for where, entries in [
        ("the base", (base,)),
        *((f"a factor over {f.scope}", f.table) for f in factors),
    ]:
        for e in entries:
            if e is None:
                continue
            num, den = e
            if den < 0 or (den == 0 and num != 0):
                raise UsageError(
                    f"{where} has the pair ({num}, {den}): a ratio's terms need a denominator "
                    "of at least 0, and a numerator of 0 where it is 0"
                )


def _at(
    factors: Sequence[Factor[Pair]], base: tuple[Num, Num], sigma: Sequence[int]
) -> tuple[Num, Num]:
    """The sums of numerators and of denominators at an assignment (feasible everywhere)."""
    num, den = base
    for f in factors:
        e = f([sigma[v] for v in f.scope])
        if e is None:
            raise UsageError("an assignment reached by the search is infeasible")  # unreachable
        num, den = num + e[0], den + e[1]
    if isinstance(num, Fraction) and isinstance(den, Fraction) and den:
        return num / den, Fraction(1)  # λ as one rational: smaller products
    return num, den


def _mapped(
    factors: Sequence[Factor[Pair]], fn: Callable[[tuple[Num, Num]], Value]
) -> list[Factor[Value]]:
    return [
        Factor(f.scope, f.k, tuple(None if e is None else fn(e) for e in f.table)) for f in factors
    ]


def _gain(num: Num, den: Num) -> Callable[[tuple[Num, Num]], Num]:
    """Dinkelbach's gain of a term at λ = num / den, scaled by ``den`` > 0 (no division)."""
    return lambda e: e[0] * den - e[1] * num


def ratio_maximise(
    n: int,
    k: int,
    factors: Sequence[Factor[Pair]],
    *,
    base: tuple[Num, Num] = (_ZERO, _ZERO),
    limit: int = 64,
    order: Sequence[int] | None = None,
    fold_free: bool = False,
    max_width: int = MAX_WIDTH,
    max_table: int = MAX_TABLE,
) -> Ratio:
    """The assignments maximising ``(base_num + Σ num) / (base_den + Σ den)`` over the
    assignments whose denominator is positive, each factor's entry a pair ``(num, den)``
    (``None``: infeasible). Each ``den`` must be at least 0 and its ``num`` 0 where it is 0;
    with ε-polynomials, a sum's ``num`` must vanish to at least the order its ``den`` does (a
    finite ratio), as sums over worlds of probability × utility and of probability do.

    Dinkelbach's method (Dinkelbach 1967), with λ = N*/D* kept as the exact pair (N*, D*):

    1. Start at an assignment of largest denominator (none positive: no value).
    2. Maximise Σ (num·D* − den·N*) by :func:`maximise`'s elimination: a positive maximum
       means its maximiser has a larger ratio; move λ there and repeat. The ratio rises at
       every step, so this ends, usually in a few steps.
    3. At the maximum 0 the maximisers are those of ratio exactly λ, with those of
       denominator 0 (sum 0 too) subtracted from the count and skipped in the listing.
    """
    domains = _checked(n, k, factors, fold_free)
    _pair_check(factors, base)
    scopes = [f.scope for f in factors]
    if order is None:
        order, _ = elimination_order(n, scopes)
    _check_order(n, order)
    held, seps, w = _plan(n, k, scopes, order, max_width, max_table)

    def run(
        tables: list[Factor[Value]],
        constant: Value,
        doms: list[tuple[int, ...]],
        by: Sequence[int] = order,
    ) -> _Pass:
        h, s = (held, seps) if by is order else _plan(n, k, scopes, by, max_width, max_table)[:2]
        return _eliminate(k, doms, [*tables, Factor((), k, (constant,))], by, h, s)

    dens = run(_mapped(factors, lambda e: e[1]), base[1], domains)
    if dens.value is None or not dens.value > 0:
        return Ratio(None, None, None, 0, (), w, 0)
    lam = _at(factors, base, next(_maximisers(dens)))
    steps = 0
    while True:
        steps += 1
        gains = _mapped(factors, _gain(*lam))
        g0 = _gain(*lam)(base)
        top = run(gains, g0, domains)
        if top.value is None or not top.value > 0:
            break
        lam = _at(factors, base, next(_maximisers(top)))
    value = ratio(*lam)
    zeros = _mapped(factors, lambda e: _ZERO if e[1] == 0 else None)
    empty = run(zeros, _ZERO if base[1] == 0 else None, domains)
    if top.count <= limit:
        listed = sorted(a for a in _maximisers(top) if _at(factors, base, a)[1] != 0)
        return Ratio(value, *lam, top.count - empty.count, tuple(listed[:limit]), w, steps)
    if empty.count == 0:
        listed = _lex_listing(
            n,
            k,
            scopes,
            domains,
            lambda doms, by=order: run(gains, g0, doms, by),
            _ZERO,
            limit,
            seps,
            max_width,
            max_table,
        )
    else:

        def probe(
            doms: list[tuple[int, ...]],
        ) -> tuple[int, Callable[[], list[tuple[int, ...]]] | None]:
            p = run(gains, g0, doms)
            z = run(zeros, _ZERO if base[1] == 0 else None, doms)
            found = (p.count if p.value == 0 else 0) - z.count
            return found, (lambda: list(_maximisers(p))) if z.count == 0 else None

        listed = _lex_search(n, domains, probe, limit)
    return Ratio(value, *lam, top.count - empty.count, tuple(listed), w, steps)


def count_solutions(
    n: int,
    k: int,
    constraints: Sequence[tuple[Sequence[int], Callable[[tuple[int, ...]], bool]]],
    *,
    limit: int = 64,
    order: Sequence[int] | None = None,
    fold_free: bool = False,
    max_width: int = MAX_WIDTH,
    max_table: int = MAX_TABLE,
) -> Solutions:
    """The assignments satisfying every constraint ``(scope, predicate)``, counted exactly and
    the first ``limit`` listed in lexicographic order.

    Each predicate is called exactly once per slice of its (increasing) scope, into a table of
    0 (satisfied) or −∞ (not); the count is :func:`maximise`'s count of assignments of sum 0,
    which on such tables is the sum-product count of a constraint network by bucket
    elimination (Dechter 1999). The listing walks prefixes, never one without a solution below.
    """

    def table(p: Callable[[tuple[int, ...]], bool]) -> Callable[[tuple[int, ...]], Value]:
        return lambda s: _ZERO if p(s) else None

    factors = [Factor.build(scope, k, table(p), max_table=max_table) for scope, p in constraints]
    found = maximise(
        n,
        k,
        factors,
        limit=limit,
        order=order,
        fold_free=fold_free,
        max_width=max_width,
        max_table=max_table,
    )
    return Solutions(found.count, found.assignments, found.width)
