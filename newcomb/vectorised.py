"""Coupled groups of joint policies as numpy arrays: FDT's exact sums, CDT's and EDT's
ratifiability.

Within a group of coupled observations, V(σ)'s sums are Σ over the group's draws of each draw's
share, and a draw's share depends on σ only within the draw's scope. So each draw is evaluated
once per slice of its *scope* (a few exact :class:`~newcomb.world.DrawSums`), and the group's
table over all |A|^|group| joint slices is built by broadcasting those small tables into one
array per quantity and adding them. Nothing is rounded: every coefficient (of each order of ε)
is scaled by the least common multiple of all denominators in the group and kept as an integer,
in ``int64`` when a bound on every sum proves it cannot overflow and as Python integers
(``dtype=object``, slower, still exact) otherwise. The maximum, the ties and the count of
optimal slices are then exact array operations.

Symbolic values (sympy expressions) cannot be put in arrays; :func:`build` returns ``None`` and
the search enumerates slices one by one as before.

Ratifiability (:func:`ratifiable_mask`) is a boolean table per observation over the slices it
reads, broadcast over the group and ANDed: the exact decisions come from the caller.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from .series import Eps, Num
from .sums import refuses_paradox, rule_gain

if TYPE_CHECKING:
    from .world import Model, Rule

__all__ = ["GroupTable", "build", "mask_slices", "ratifiable_mask"]

_INT64_SAFE = 1 << 62


class _NotExact(Exception):
    """A value that is not a rational or a polynomial in ε with rational coefficients."""


def _coefficients(x: Num) -> tuple[Fraction, ...]:
    if isinstance(x, Eps):
        if not all(isinstance(c, Fraction | int) for c in x.c):
            raise _NotExact
        return tuple(Fraction(c) for c in x.c)
    if isinstance(x, Fraction | int):
        return (Fraction(x),) if x else ()
    raise _NotExact


@dataclass
class GroupTable:
    """Exact sums of one coupled group for every joint slice of its observations.

    ``gain[k]`` and ``den[k]`` are the coefficients of ε^k of the slice's value numerator (the
    consistent worlds' Σ w·U, plus the guessed worlds' under ``random``) and denominator
    (Σ w), times ``scale``; ``mask`` marks the slices that are feasible under the paradox rule
    and canonical (no non-first action where the policy is never consulted). Arrays have one
    axis per member observation, in order.
    """

    members: tuple[int, ...]
    n_actions: int
    gain: Any  # np.ndarray, shape (orders,) + (n_actions,) * len(members)
    den: Any
    mask: Any  # np.ndarray of bool, shape (n_actions,) * len(members)
    scale: int

    @property
    def count(self) -> int:
        return int(self.mask.sum())

    def best(self, lam: Num | None) -> Any:
        """The mask of the feasible slices of highest ``gain − lam·den`` (``lam`` None means
        the gain alone)."""
        if lam is None:
            return self._top(list(self.gain))
        return self._top(_minus_lambda(self.gain, self.den, _coefficients(lam)))

    def widest(self) -> Any:
        """The mask of the feasible slices of highest ``den``."""
        return self._top(list(self.den))

    def _top(self, rows: list[Any]) -> Any:
        """Lexicographic maximum over the orders of ε, among the feasible slices."""
        m = self.mask.copy()
        for row in rows:
            if not m.any():
                break
            top = row[m].max()
            m &= row == top
        return m

    def slices(self, mask: Any, limit: int | None) -> list[tuple[int, ...]]:
        """The slices ``mask`` marks, in lexicographic order (the first member most
        significant), at most ``limit`` of them."""
        return mask_slices(mask, limit)

    def empty(self) -> Any:
        """The mask of the slices with no consistent world (den zero at every order)."""
        import numpy as np

        return np.all(self.den == 0, axis=0)


def _minus_lambda(gain: Any, den: Any, lam: tuple[Fraction, ...]) -> list[Any]:
    """The orders of ε of (gain − λ·den)·q, q the common denominator of λ's coefficients."""
    import numpy as np

    q = 1
    for c in lam:
        q = math.lcm(q, c.denominator)
    p = [int(c * q) for c in lam]
    orders = max(len(gain), len(p) + len(den) - 1 if p else 0)
    bound = q * _max_abs(gain) + sum(abs(x) for x in p) * _max_abs(den)
    dtype = np.int64 if bound < _INT64_SAFE else object
    out = []
    for k in range(orders):
        row = gain[k].astype(dtype) * q if k < len(gain) else np.zeros(gain.shape[1:], dtype)
        for i, pi in enumerate(p):
            j = k - i
            if pi and 0 <= j < len(den):
                row = row - den[j].astype(dtype) * pi
        out.append(row)
    return out


def _max_abs(a: Any) -> int:
    if a.size == 0:
        return 0
    return max(abs(int(a.max())), abs(int(a.min())))


def build(
    model: Model,
    members: tuple[int, ...],
    draws: Sequence[int],
    rule: Rule,
) -> GroupTable | None:
    """The group's table, or None when a value is not exact (symbolic parameters)."""
    import numpy as np

    scopes = model.draw_scope()
    n_a = len(model.actions)
    n_o = len(model.observations)
    position = {o: i for i, o in enumerate(members)}
    given = set(model.given_observations)

    # 1. Each distinct scope's exact sums over its own slices (draws of one scope added).
    per_scope: dict[tuple[int, ...], list[_Row]] = {}
    sigma = [0] * n_o
    try:
        for d in draws:
            scope = scopes[d]
            rows = per_scope.setdefault(scope, [])
            fresh = not rows
            for i, values in enumerate(itertools.product(range(n_a), repeat=len(scope))):
                for o, a in zip(scope, values, strict=True):
                    sigma[o] = a
                part = model.draw_sums(d, sigma, None)
                row = _Row(
                    _coefficients(rule_gain(rule, part.num, part.guess_num, part.den, None)),
                    _coefficients(part.den),
                    not part.paradox,
                    {position[o] for o in part.touched if o in position},
                )
                if fresh:
                    rows.append(row)
                else:
                    rows[i].add(row)
    except _NotExact:
        return None

    # 2. One scale for the group, and integer arrays if every sum fits in int64.
    scale = 1
    orders = 1
    for rows in per_scope.values():
        for r in rows:
            orders = max(orders, len(r.gain), len(r.den))
            for c in (*r.gain, *r.den):
                scale = math.lcm(scale, c.denominator)
    bound = 0
    for rows in per_scope.values():
        bound += max((int(abs(c) * scale) for r in rows for c in (*r.gain, *r.den)), default=0)
    dtype: Any = np.int64 if bound < _INT64_SAFE else object

    shape = (n_a,) * len(members)
    gain_t = np.zeros((orders, *shape), dtype=dtype)
    den_t = np.zeros((orders, *shape), dtype=dtype)
    feasible = np.ones(shape, dtype=bool)
    touched = [np.zeros(shape, dtype=bool) for _ in members]
    for o in given:
        if o in position:
            touched[position[o]][...] = True
    for scope, rows in per_scope.items():
        view = tuple(n_a if o in scope else 1 for o in members)
        g_int = np.zeros((orders, len(rows)), dtype=dtype)
        d_int = np.zeros((orders, len(rows)), dtype=dtype)
        ok = np.empty(len(rows), dtype=bool)
        seen = np.zeros((len(members), len(rows)), dtype=bool)
        for i, r in enumerate(rows):
            for k, c in enumerate(r.gain):
                g_int[k, i] = int(c * scale)
            for k, c in enumerate(r.den):
                d_int[k, i] = int(c * scale)
            ok[i] = r.feasible
            for p in r.touched:
                seen[p, i] = True
        gain_t += g_int.reshape((orders, *view))
        den_t += d_int.reshape((orders, *view))
        if refuses_paradox(rule):
            feasible &= ok.reshape(view)
        for p in range(len(members)):
            if seen[p].any():
                touched[p] |= seen[p].reshape(view)

    # 3. Canonical slices: the first action wherever the policy is never consulted.
    mask = feasible
    first = np.arange(n_a) == 0
    for p in range(len(members)):
        axis = [1] * len(members)
        axis[p] = n_a
        mask &= touched[p] | first.reshape(axis)
    return GroupTable(members, n_a, gain_t, den_t, mask, scale)


class _Row:
    """One slice of a scope: the coefficients of its gain and den, whether it is free of
    paradoxes, and the positions (in the group) of the observations it consults."""

    __slots__ = ("den", "feasible", "gain", "touched")

    def __init__(
        self,
        gain: tuple[Fraction, ...],
        den: tuple[Fraction, ...],
        feasible: bool,
        touched: set[int],
    ) -> None:
        self.gain, self.den, self.feasible, self.touched = gain, den, feasible, touched

    def add(self, other: _Row) -> None:
        """Another draw of the same scope, at the same slice."""
        self.gain = _add(self.gain, other.gain)
        self.den = _add(self.den, other.den)
        self.feasible = self.feasible and other.feasible
        self.touched = self.touched | other.touched


def _add(a: tuple[Fraction, ...], b: tuple[Fraction, ...]) -> tuple[Fraction, ...]:
    n = max(len(a), len(b))
    return tuple(
        (a[i] if i < len(a) else Fraction(0)) + (b[i] if i < len(b) else Fraction(0))
        for i in range(n)
    )


def ratifiable_mask(
    model: Model,
    members: tuple[int, ...],
    reads: Sequence[tuple[int, ...]],
    ratifiable_at: Callable[[list[int], int], bool],
) -> Any:
    """The mask over a linked group's joint slices of those ratifiable at every member.

    Ratifiability at ``o`` reads σ only on ``reads[o]`` (a subset of the group), so it is
    decided once per slice of ``reads[o]`` and broadcast over the group's other axes; the
    group's answer is the AND over its members. This costs Σ_o |A|^|reads(o)| checks instead
    of a walk over |A|^|group| slices (which, when every slice ties, visits them all).
    """
    import numpy as np

    n_a = len(model.actions)
    shape = (n_a,) * len(members)
    mask = np.ones(shape, dtype=bool)
    sigma = [0] * len(model.observations)
    for o in members:
        r = reads[o]
        ok = np.empty(n_a ** len(r), dtype=bool)
        for i, values in enumerate(itertools.product(range(n_a), repeat=len(r))):
            for x, a in zip(r, values, strict=True):
                sigma[x] = a
            ok[i] = ratifiable_at(sigma, o)
        mask &= ok.reshape(tuple(n_a if m in r else 1 for m in members))
    return mask


def mask_slices(mask: Any, limit: int | None) -> list[tuple[int, ...]]:
    """The slices ``mask`` marks, in lexicographic order, at most ``limit`` of them."""
    import numpy as np

    flat = np.flatnonzero(mask)
    if limit is not None:
        flat = flat[:limit]
    if mask.ndim == 0:
        return [()] * len(flat)
    idx = np.unravel_index(flat, mask.shape)
    return [tuple(int(v) for v in col) for col in zip(*idx, strict=True)]
