"""Mixed ratifiable policies: deliberational equilibria when no pure policy is ratifiable.

A mixed policy π is ratifiable when, at every observation o, every act it plays with positive
probability has the highest expected utility against π itself (Jeffrey 1983; Skyrms 1990;
Joyce 2012; Arntzenius 2008). The search enumerates **supports** (a non-empty set of acts per
observation), as support enumeration does for Nash equilibria:

1. For a support profile, give each mixed observation's probabilities unknowns x (the last
   act's probability is 1 − Σ x).
2. Compute every act's expected utility against π(x) with the theory's query, exactly, as a
   rational function of x (the world model runs unchanged with symbolic weights; at accuracy 1
   the value at ε = 0 is taken).
3. Solve "equal expected utility across each support" with sympy; keep the solutions strictly
   inside the simplex.
4. Keep a solution only if it is ratifiable at ε = 0: no act outside a support does better.

Solutions are exact: rationals where the equations allow (Death in Damascus: P(stay) =
1001/2000), otherwise algebraic numbers in sympy's exact form. Profiles with a continuum of
solutions are skipped and counted. The number of profiles is (2^|A| − 1)^|O|; it is bounded by
:attr:`~newcomb.world.Limits.max_policies`, and the work, about 0.1 to 0.2 s of sympy a profile,
by :attr:`~newcomb.world.Limits.max_equations`: the indifference equations of all the profiles
together (one per unknown probability), counted before any is built.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from ..errors import LimitError
from ..query import Query, expected_utility
from ..series import leading
from ..world import Behaviour, Model
from .simplex import supports

__all__ = ["MixedSearch", "Profile", "mixed_equilibria", "profile_system", "support_profiles"]


class MixedSearch:
    """The result of a mixed search: equilibria and what was skipped."""

    def __init__(self) -> None:
        self.equilibria: list[Behaviour] = []
        self.continua = 0
        self.unsolved = 0


def _exact(x: Any) -> Any:
    """A sympy number as a Fraction when rational; otherwise left exact in sympy."""
    import sympy

    # (never nsimplify: sympy 1.14 turns some rationals, 463/2000 among them, into products
    # of powers)
    x = sympy.simplify(sympy.sympify(x))  # safe: engine numbers
    if x.is_Rational:
        return Fraction(int(x.p), int(x.q))
    return x


def _eu_table(model: Model, pi: Behaviour, how: Query) -> list[list[Any]]:
    return [
        [
            None if (e := expected_utility(model, pi, o, a, how=how)) is None else leading(e)
            for a in range(len(model.actions))
        ]
        for o in range(len(model.observations))
    ]


def ratifiable_in_the_limit(model: Model, pi: Behaviour, how: Query) -> bool:
    """Whether ``pi`` is ratifiable comparing expected utilities at ε = 0."""
    import sympy

    table = _eu_table(model, pi, how)
    for row, probs in zip(table, pi, strict=True):
        support = [a for a, p in enumerate(probs) if p != 0]
        defined = [(a, e) for a, e in enumerate(row) if e is not None]
        if not defined:
            if support != [0]:
                return False
            continue
        for a in support:
            if row[a] is None:
                return False
            for _, e in defined:
                d = sympy.simplify(e - row[a]) if not _rational(e, row[a]) else e - row[a]
                if d > 0:
                    return False
    return True


def _rational(*xs: Any) -> bool:
    return all(isinstance(x, Fraction | int) for x in xs)


Support = tuple[int, ...]


class Profile:
    """One support profile's indifference system: the policy π(x) with unknown probabilities
    ``xs`` on each mixed observation's support, every act's expected utility against it at
    ε = 0 (``table``, rational functions of ``xs`` and of any symbolic parameter), and the
    equations "equal expected utility across each support" (``None`` when some act of a
    support has no expected utility, so that the profile cannot be an equilibrium)."""

    def __init__(
        self,
        profile: tuple[Support, ...],
        pi: Behaviour,
        xs: list[Any],
        table: list[list[Any]],
        equations: list[Any] | None,
    ) -> None:
        self.profile = profile
        self.pi = pi
        self.xs = xs
        self.table = table
        self.equations = equations

    def solve(self) -> list[dict[Any, Any]]:
        """sympy's solutions of the equations for ``xs`` (other symbols stay free in them).
        Raises ``NotImplementedError`` or ``ValueError`` when sympy cannot solve the system."""
        import sympy

        return list(sympy.solve(self.equations, self.xs, dict=True))


def support_profiles(model: Model) -> list[tuple[Support, ...]]:
    """Every support profile with at least one mixed observation, after checking the bound."""
    n_a, n_o = len(model.actions), len(model.observations)
    subsets = supports(n_a)
    count = len(subsets) ** n_o
    if count > model.limits.max_policies:
        raise LimitError(
            f"{count} support profiles to search for mixed equilibria, more than the bound of "
            f"{model.limits.max_policies} (raise it with --max-policies)"
        )
    # Σ over profiles of Σ_o (|support_o| − 1): each observation's supports contribute
    # Σ_s (|s| − 1) once for every choice of the other observations' supports.
    per_observation = sum(len(s) - 1 for s in subsets)
    equations = n_o * per_observation * len(subsets) ** max(n_o - 1, 0)
    if equations > model.limits.max_equations:
        raise LimitError(
            f"{count - n_a**n_o} support profiles ({len(subsets)} supports of {n_a} actions on "
            f"each of {n_o} observations) to solve for mixed equilibria, {equations} "
            f"indifference equations in all, more than the bound of "
            f"{model.limits.max_equations} (raise it with --max-equations)"
        )
    return [
        p
        for p in itertools.product(subsets, repeat=n_o)
        if not all(len(support) == 1 for support in p)
    ]


def profile_system(model: Model, how: Query, profile: tuple[Support, ...]) -> Profile:
    """The indifference system of one support profile (see :class:`Profile`)."""
    import sympy

    n_a = len(model.actions)
    xs: list[Any] = []
    rows: list[tuple[Any, ...]] = []
    for o, support in enumerate(profile):
        row: list[Any] = [Fraction(0)] * n_a
        if len(support) == 1:
            row[support[0]] = Fraction(1)
        else:
            own = [sympy.Symbol(f"x_{o}_{a}", positive=True) for a in support[:-1]]
            xs.extend(own)
            for a, x in zip(support[:-1], own, strict=True):
                row[a] = x
            row[support[-1]] = 1 - sum(own)
        rows.append(tuple(row))
    pi = tuple(rows)
    table = _eu_table(model, pi, how)
    equations: list[Any] = []
    for o, support in enumerate(profile):
        if len(support) == 1:
            continue
        base = table[o][support[0]]
        for a in support[1:]:
            if base is None or table[o][a] is None:
                return Profile(profile, pi, xs, table, None)
            equations.append(_numerator_of_difference(table[o][a], base))
    return Profile(profile, pi, xs, table, [e for e in equations if e != 0])


def _numerator_of_difference(a: Any, b: Any) -> Any:
    """The expanded numerator of ``a - b``. Two expected utilities at one observation are
    usually ratios over the same denominator (its probability), so it is the difference of
    their numerators; otherwise sympy brings them over a common denominator."""
    import sympy

    a, b = sympy.sympify(a), sympy.sympify(b)  # safe: engine numbers, not file text
    (na, da), (nb, db) = sympy.fraction(a), sympy.fraction(b)
    if da == db and na.is_polynomial() and nb.is_polynomial():
        return sympy.expand(na - nb)
    num, _den = sympy.together(a - b).as_numer_denom()
    return sympy.expand(num)


def mixed_equilibria(model: Model, how: Query) -> MixedSearch:
    """Every isolated mixed ratifiable policy with at least one mixed observation."""
    result = MixedSearch()
    seen: set[tuple[tuple[str, ...], ...]] = set()
    for profile in support_profiles(model):
        system = profile_system(model, how, profile)
        if system.equations is None:
            continue
        if not system.equations:
            result.continua += 1  # indifferent everywhere on the support: not isolated
            continue
        xs, pi = system.xs, system.pi
        try:
            solutions = system.solve()
        except (NotImplementedError, ValueError):  # sympy cannot solve this system: counted
            result.unsolved += 1
            continue
        for sol in solutions:
            if len(sol) < len(xs) or any(
                (v.free_symbols if hasattr(v, "free_symbols") else set()) for v in sol.values()
            ):
                result.continua += 1
                continue
            candidate = _substitute(pi, sol)
            if candidate is None:
                continue
            key = tuple(tuple(str(p) for p in row) for row in candidate)
            if key in seen:
                continue
            if ratifiable_in_the_limit(model, candidate, how):
                seen.add(key)
                result.equilibria.append(candidate)
    return result


def _substitute(pi: Sequence[Sequence[Any]], sol: dict[Any, Any]) -> Behaviour | None:
    """π with the solution substituted; ``None`` unless every probability is real, > 0 where
    the support says so, and the rows are distributions."""
    import sympy

    rows = []
    for row in pi:
        out = []
        for p in row:
            if isinstance(p, Fraction):
                out.append(p)
                continue
            v = sympy.simplify(sympy.sympify(p).subs(sol))  # safe: engine numbers
            if not v.is_real or not (v > 0):
                return None
            out.append(_exact(v))
        rows.append(tuple(out))
    return tuple(rows)
