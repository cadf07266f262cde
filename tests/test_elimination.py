"""Variable elimination (newcomb.elimination) against independent references.

Random factor graphs are checked against brute force over every assignment; large rings and a
torus against a ring dynamic programme and a transfer-matrix computation written here.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Sequence
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from newcomb import elimination
from newcomb.elimination import (
    Factor,
    Value,
    count_solutions,
    elimination_order,
    maximise,
    ratio_maximise,
    width,
)
from newcomb.errors import LimitError, UsageError
from newcomb.series import Eps, Num

# ---------------------------------------------------------------------------------------------
# Strategies and brute force

small = st.integers(-3, 3).map(Fraction)
epsilons = st.tuples(st.integers(-2, 2), st.integers(-2, 2)).map(
    lambda ab: Eps((Fraction(ab[0]), Fraction(ab[1])))
)
values: st.SearchStrategy[Value] = st.one_of(small, small, epsilons, st.none())


@st.composite
def graphs(draw: st.DrawFn, entry: st.SearchStrategy[object] = values) -> tuple[int, int, list]:
    """n ≤ 7 variables, k ∈ {2, 3}, up to 6 factors of scope 0–3 with entries from ``entry``."""
    n = draw(st.integers(1, 7))
    k = draw(st.sampled_from([2, 3]))
    factors = []
    for _ in range(draw(st.integers(0, 6))):
        size = draw(st.integers(0, min(3, n)))
        scope = tuple(sorted(draw(st.permutations(range(n)))[:size]))
        table = draw(st.lists(entry, min_size=k**size, max_size=k**size))
        factors.append(Factor(scope, k, tuple(table)))
    return n, k, factors


def total(factors: Sequence[Factor[Value]], sigma: Sequence[int]) -> Value:
    out: Value = Fraction(0)
    for f in factors:
        y = f([sigma[v] for v in f.scope])
        if y is None or out is None:
            return None
        out = out + y
    return out


def assignments(n: int, k: int, factors: Sequence[Factor[object]], fold_free: bool):
    read = {v for f in factors for v in f.scope}
    for sigma in itertools.product(range(k), repeat=n):
        if not fold_free or all(sigma[v] == 0 for v in range(n) if v not in read):
            yield sigma


def brute_max(n: int, k: int, factors, fold_free: bool) -> tuple[Value, list[tuple[int, ...]]]:
    best: Value = None
    found: list[tuple[int, ...]] = []
    for sigma in assignments(n, k, factors, fold_free):
        y = total(factors, sigma)
        if y is None:
            continue
        if best is None or y > best:
            best, found = y, [sigma]
        elif y == best:
            found.append(sigma)
    return best, found  # found is in lexicographic order


limits = st.sampled_from([0, 1, 2, 3, 5, 1000])
dens = st.sampled_from(
    [
        Fraction(0),
        Fraction(1),
        Fraction(2),
        Fraction(1, 2),
        Eps((Fraction(0), Fraction(1))),
        Eps((Fraction(1), Fraction(-1))),
    ]
)


@st.composite
def pairs(draw: st.DrawFn) -> tuple[Num, Num] | None:
    """A draw's (Σ p·u, Σ p) over two worlds of weights p ≥ 0 and rational utilities u."""
    if draw(st.integers(0, 9)) == 0:
        return None
    (p, u), (q, w) = draw(st.tuples(dens, small)), draw(st.tuples(dens, small))
    return (p * u + q * w, p + q)


# ---------------------------------------------------------------------------------------------
# maximise


@given(graphs(), limits, st.booleans(), st.randoms(use_true_random=False))
def test_maximise_matches_brute_force(graph, limit, fold_free, rnd) -> None:
    n, k, factors = graph
    order = None if rnd.random() < 0.5 else rnd.sample(range(n), n)
    got = maximise(n, k, factors, limit=limit, order=order, fold_free=fold_free)
    best, found = brute_max(n, k, factors, fold_free)
    assert got.value == best
    assert got.count == len(found)
    assert list(got.assignments) == found[:limit]
    assert got.width == width(n, [f.scope for f in factors], got.order)


@given(graphs(), graphs(pairs()), st.sampled_from([1, 2, 4]), st.booleans())
def test_listing_by_clamped_prefixes(graph, ratio_graph, limit, fold_free) -> None:
    """Without the backward elimination, the listing walks prefixes, each counted with the
    prefix clamped: the same first maximisers."""
    n, k, factors = graph
    rn, rk, rfactors = ratio_graph
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(elimination, "_backward_affordable", lambda *args: False)
        got = maximise(n, k, factors, limit=limit, fold_free=fold_free)
        ratios = ratio_maximise(rn, rk, rfactors, limit=limit, fold_free=fold_free)
    assert list(got.assignments) == brute_max(n, k, factors, fold_free)[1][:limit]
    zero = (Fraction(0), Fraction(0))
    assert list(ratios.assignments) == brute_ratio(rn, rk, rfactors, zero, fold_free)[1][:limit]


def test_free_variables_multiply_the_count_or_fold() -> None:
    f = Factor.build((1,), 3, lambda s: Fraction(s[0] == 2))
    assert maximise(3, 3, [f]).count == 9
    folded = maximise(3, 3, [f], fold_free=True)
    assert folded.count == 1
    assert folded.assignments == ((0, 2, 0),)


def test_everything_infeasible() -> None:
    f = Factor.build((0, 1), 2, lambda s: None)
    got = maximise(2, 2, [f])
    assert (got.value, got.count, got.assignments) == (None, 0, ())


# ---------------------------------------------------------------------------------------------
# Rings and a torus against independent references


def ring_factors(n: int, k: int, seed: int, span: int = 5) -> list[Factor[Value]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        a, b = i, (i + 1) % n
        table = {
            (x, y): Fraction(rng.randint(-span, span), rng.randint(1, 3))
            for x in range(k)
            for y in range(k)
        }
        if a > b:
            a, b = b, a
            table = {(y, x): v for (x, y), v in table.items()}
        out.append(Factor.build((a, b), k, lambda s, t=table: t[s]))
    return out


def ring_dp(n: int, k: int, factors: Sequence[Factor[Value]]) -> tuple[Fraction, int]:
    """Max and count by fixing x0 and sweeping x1, ..., x(n-1) around the ring."""

    def edge(i: int, x: int, y: int) -> Fraction:  # factor between i and i+1 (mod n)
        f = factors[i]
        return f((x, y)) if f.scope == (i, (i + 1) % n) else f((y, x))

    best: Fraction | None = None
    count = 0
    for x0 in range(k):
        row = [(edge(0, x0, y), 1) for y in range(k)]
        for i in range(1, n - 1):
            new = []
            for y in range(k):
                cands = [(row[x][0] + edge(i, x, y), row[x][1]) for x in range(k)]
                top = max(c[0] for c in cands)
                new.append((top, sum(c[1] for c in cands if c[0] == top)))
            row = new
        for x in range(k):
            v, c = row[x][0] + edge(n - 1, x, x0), row[x][1]
            if best is None or v > best:
                best, count = v, c
            elif v == best:
                count += c
    assert best is not None
    return best, count


@pytest.mark.parametrize(("n", "k", "seed"), [(200, 2, 1), (200, 3, 2), (20, 2, 3)])
def test_ring_matches_dynamic_programme(n: int, k: int, seed: int) -> None:
    factors = ring_factors(n, k, seed, span=1)  # few distinct values: ties happen
    got = maximise(n, k, factors, limit=8)
    value, count = ring_dp(n, k, factors)
    assert (got.value, got.count) == (value, count)
    assert got.width == 2
    assert len(got.assignments) == min(count, 8)
    assert list(got.assignments) == sorted(set(got.assignments))
    assert all(total(factors, a) == value for a in got.assignments)


def test_ring_with_ties_counts_and_lists_lexicographically() -> None:
    """A ring of 200 where every odd variable is free to be 0 or 1 and every even one must be
    0: 2**100 maximisers, the first 64 running through the last six odd variables in binary."""
    n = 200
    link = [
        Factor.build(tuple(sorted((i, (i + 1) % n))), 2, lambda s: Fraction(0)) for i in range(n)
    ]
    push = [Factor.build((i,), 2, lambda s: Fraction(-s[0])) for i in range(0, n, 2)]
    got = maximise(n, 2, link + push, limit=64)
    assert got.value == 0
    assert got.count == 2**100
    expected = []
    for m in range(64):
        sigma = [0] * n
        for bit in range(6):
            sigma[n - 1 - 2 * bit] = (m >> bit) & 1
        expected.append(tuple(sigma))
    assert list(got.assignments) == expected


def torus_reference(rows: int, cols: int, h, v) -> tuple[int, int]:
    """Max and count over a rows×cols torus of binary variables by a max-plus transfer matrix
    over whole rows (numpy, integers): h[r][c][x][y] joins (r, c)–(r, c+1), v[r][c][x][y]
    joins (r, c)–(r+1, c)."""
    configs = list(itertools.product(range(2), repeat=cols))
    m = len(configs)
    inside = np.array(
        [
            [sum(h[r][c][s[c]][s[(c + 1) % cols]] for c in range(cols)) for s in configs]
            for r in range(rows)
        ]
    )
    across = np.array(
        [
            [[sum(v[r][c][s[c]][t[c]] for c in range(cols)) for t in configs] for s in configs]
            for r in range(rows)
        ]
    )
    best, count = None, 0
    for first in range(m):
        val = np.full(m, -(10**9))
        val[first] = inside[0][first]
        cnt = np.zeros(m, dtype=object)
        cnt[first] = 1
        for r in range(1, rows):
            cand = val[:, None] + across[r - 1] + inside[r][None, :]
            top = cand.max(axis=0)
            cnt = np.array(
                [sum(cnt[a] for a in range(m) if cand[a, b] == top[b]) for b in range(m)],
                dtype=object,
            )
            val = top
        closing = val + across[rows - 1][:, first]
        top = int(closing.max())
        c = sum(cnt[a] for a in range(m) if closing[a] == top)
        if best is None or top > best:
            best, count = top, c
        elif top == best:
            count += c
    assert best is not None
    return best, int(count)


def test_torus_matches_transfer_matrix() -> None:
    rows = cols = 6
    rng = random.Random(7)
    h = [
        [[[rng.randint(-2, 2) for _ in range(2)] for _ in range(2)] for _ in range(cols)]
        for _ in range(rows)
    ]
    v = [
        [[[rng.randint(-2, 2) for _ in range(2)] for _ in range(2)] for _ in range(cols)]
        for _ in range(rows)
    ]
    factors = []

    def join(a: int, b: int, t: list[list[int]]) -> None:
        if a > b:
            a, b, t = b, a, [[t[y][x] for y in range(2)] for x in range(2)]
        factors.append(Factor.build((a, b), 2, lambda s: Fraction(t[s[0]][s[1]])))

    for r in range(rows):
        for c in range(cols):
            join(r * cols + c, r * cols + (c + 1) % cols, h[r][c])
            join(r * cols + c, ((r + 1) % rows) * cols + c, v[r][c])
    got = maximise(rows * cols, 2, factors, limit=4)
    value, count = torus_reference(rows, cols, h, v)
    assert (got.value, got.count) == (value, count)
    assert got.width <= 12
    assert all(total(factors, a) == value for a in got.assignments)


# ---------------------------------------------------------------------------------------------
# ratio_maximise (Dinkelbach)


def cross(a: tuple[Num, Num], b: tuple[Num, Num]) -> int:
    """Compare a[0]/a[1] with b[0]/b[1] (positive denominators) exactly."""
    x, y = a[0] * b[1], b[0] * a[1]
    return (x > y) - (x < y)


def brute_ratio(n: int, k: int, factors, base, fold_free: bool):
    """The best (num, den) over assignments of positive den, and every assignment reaching it."""
    best: tuple[Num, Num] | None = None
    found: list[tuple[int, ...]] = []
    for sigma in assignments(n, k, factors, fold_free):
        num, den = base
        entries = [f([sigma[v] for v in f.scope]) for f in factors]
        if any(e is None for e in entries):
            continue
        for e in entries:
            num, den = num + e[0], den + e[1]
        if not den > 0:
            continue
        c = 1 if best is None else cross((num, den), best)
        if c > 0:
            best, found = (num, den), [sigma]
        elif c == 0:
            found.append(sigma)
    return best, found


@given(
    graphs(pairs()),
    st.one_of(st.none(), st.just((Fraction(1), Fraction(1)))),
    limits,
    st.booleans(),
)
def test_ratio_matches_brute_force(graph, base, limit, fold_free) -> None:
    n, k, factors = graph
    base = base or (Fraction(0), Fraction(0))
    got = ratio_maximise(n, k, factors, base=base, limit=limit, fold_free=fold_free)
    best, found = brute_ratio(n, k, factors, base, fold_free)
    if best is None:
        assert (got.value, got.count, got.assignments) == (None, 0, ())
        return
    assert got.num is not None and got.den is not None
    assert cross((got.num, got.den), best) == 0
    assert got.count == len(found)
    assert list(got.assignments) == found[:limit]


def test_ratio_on_a_ring_of_200_against_the_dynamic_programme() -> None:
    """At the ratio λ found, the ring's best Σ (num − λ·den), by the ring DP, is exactly 0,
    reached by as many assignments as were counted."""
    n, k = 200, 2
    rng = random.Random(5)
    factors = [
        Factor(f.scope, k, tuple((v, Fraction(rng.randint(1, 3))) for v in f.table))
        for f in ring_factors(n, k, 4, span=2)
    ]
    got = ratio_maximise(n, k, factors, limit=3)
    assert got.num is not None and got.den is not None
    gains = [
        Factor(f.scope, k, tuple(e[0] * got.den - e[1] * got.num for e in f.table)) for f in factors
    ]
    assert ring_dp(n, k, gains) == (0, got.count)
    for sigma in got.assignments:
        num = sum(f([sigma[v] for v in f.scope])[0] for f in factors)
        den = sum(f([sigma[v] for v in f.scope])[1] for f in factors)
        assert num / den == got.value


def test_ratio_lists_past_empty_denominators() -> None:
    """Many assignments with denominator 0 (no value) tie with the maximisers at gain 0: they
    are not counted or listed."""
    n = 6
    # variable 0 switches every draw on; the others only matter when it is on
    factors = [
        Factor.build(
            (0, v),
            2,
            lambda s: (Fraction(s[1]), Fraction(1)) if s[0] else (Fraction(0), Fraction(0)),
        )
        for v in range(1, n)
    ]
    got = ratio_maximise(n, 2, factors, limit=1)
    assert (got.value, got.count, got.assignments) == (1, 1, ((1, 1, 1, 1, 1, 1),))


def test_ratio_refuses_a_numerator_without_weight() -> None:
    f = Factor.build((0,), 2, lambda s: (Fraction(1), Fraction(0)))
    with pytest.raises(UsageError, match="a numerator of 0 where it is 0"):
        ratio_maximise(1, 2, [f])


# ---------------------------------------------------------------------------------------------
# count_solutions


@given(graphs(st.booleans()), limits)
def test_count_solutions_matches_brute_force(graph, limit) -> None:
    n, k, tables = graph
    calls: dict[tuple[int, tuple[int, ...]], int] = {}

    def predicate(i: int, f: Factor[bool]) -> Callable[[tuple[int, ...]], bool]:
        def check(s: tuple[int, ...]) -> bool:
            calls[(i, s)] = calls.get((i, s), 0) + 1
            return f(s)

        return check

    got = count_solutions(
        n, k, [(f.scope, predicate(i, f)) for i, f in enumerate(tables)], limit=limit
    )
    found = [
        s
        for s in itertools.product(range(k), repeat=n)
        if all(f([s[v] for v in f.scope]) for f in tables)
    ]
    assert got.count == len(found)
    assert list(got.assignments) == found[:limit]
    assert all(c == 1 for c in calls.values())


def test_count_solutions_on_a_ring_of_200() -> None:
    """Neighbours differ on a ring of 200 with 3 colours: 2**200 + 2 proper colourings."""
    n = 200
    cons = [(tuple(sorted((i, (i + 1) % n))), lambda s: s[0] != s[1]) for i in range(n)]
    got = count_solutions(n, 3, cons, limit=3)
    assert got.count == 2**n + 2
    assert got.assignments[0] == (0, 1) * 100
    assert list(got.assignments) == sorted(got.assignments)


# ---------------------------------------------------------------------------------------------
# Orders and bounds


def test_min_fill_on_a_ring_and_a_grid() -> None:
    ring = [(i, i + 1) for i in range(9)] + [(0, 9)]
    order, w = elimination_order(10, ring)
    assert sorted(order) == list(range(10))
    assert w == 2 == width(10, ring, order)
    assert elimination_order(10, ring, "min-degree")[1] == 2
    chain = [(i, i + 1) for i in range(9)]
    assert elimination_order(10, chain)[1] == 1


def test_limit_messages() -> None:
    with pytest.raises(LimitError) as e:
        Factor.build(tuple(range(23)), 2, lambda s: Fraction(0))
    assert str(e.value) == (
        "a factor over 23 observations would have 8388608 entries, more "
        "than the bound of 1048576 (max_table)"
    )
    ring = ring_factors(12, 2, 0)
    with pytest.raises(
        LimitError,
        match=r"over 2 observations, more than the bound of 1 "
        r"\(max_width\)",
    ):
        maximise(12, 2, ring, max_width=1)
    with pytest.raises(
        LimitError,
        match=r"fill 8 entries over 3 observations, more than the "
        r"bound of 4 \(max_table\)",
    ):
        maximise(12, 2, ring, max_table=4)


def test_bad_arguments() -> None:
    with pytest.raises(UsageError, match="increasing"):
        Factor.build((2, 1), 2, lambda s: Fraction(0))
    with pytest.raises(UsageError, match="each of the 3 variables once"):
        maximise(3, 2, [], order=[0, 0, 1])
    with pytest.raises(UsageError, match="outside"):
        maximise(2, 2, [Factor.build((0, 4), 2, lambda s: Fraction(0))])


def test_dinkelbach_climbs_from_the_heaviest_start() -> None:
    """The start (largest denominator) is not the best ratio: the method must climb."""
    f = Factor.build(
        (0,),
        3,
        lambda s: [
            (Fraction(0), Fraction(2)),
            (Fraction(1), Fraction(1)),
            (Fraction(3), Fraction(4)),
        ][s[0]],
    )
    got = ratio_maximise(1, 3, [f])
    assert (got.value, got.count, got.assignments) == (1, 1, ((1,),))
    assert got.steps >= 2
