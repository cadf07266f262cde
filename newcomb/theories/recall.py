"""CDT, EDT and FDT on scenarios with several decision points (DESIGN.md §2b).

A behavioural policy gives each slot (an information set on one observation) a distribution
over its actions. On the worlds of :class:`~newcomb.visits.Tree`:

- **FDT** takes the ex-ante optimal policy: V(π) = E[U] under the paradox rule. V is affine
  in each slot visited at most once per world, so pure policies suffice there (Kuhn); at a slot
  visited twice it is a polynomial, maximised exactly over the simplex (:mod:`.simplex`).
- **CDT** at a slot s weighs the visits h of s by a credence B(h) and sets the act at h only:
  EU(a) = Σ_h B(h) · E[U | do(a at h), h], later variables recomputed. Ratifiable: every act
  the policy plays at s has the highest EU. With generalized thirding (GT, the default)
  B(h) ∝ P(h reached); these are the KKT points of V.
- **EDT** conditions: EU(σ) for a mixed σ at s is the expectation with σ played at every visit
  of s, beliefs recomputed; ratifiable: π(s) maximises it over σ. With generalized double
  halving (GDH, the default) a world keeps its probability given s is visited, split evenly
  among its visits: EU(σ) = E[U | s visited]; with thirding, each world counts once per visit.

Self-locating rules: ``default`` (CDT with GT, EDT with GDH: the two pairings that agree with
ex-ante optimality, Tewolde et al. 2023), ``thirding`` (both GT) or ``halving`` (both GDH).
Without a slot visited twice in a world all four pairings coincide. Expectations of CDT and EDT
are over consistent worlds (they believe the predictor is right). A prediction of accuracy 1
errs with probability ε: values are taken at ε = 0, ties broken by the higher orders
(:mod:`.simplex`). Where a slot is reached with probability 0 at every order of ε, its EU is
the limit as the other information sets tremble (:func:`trembling`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from ..errors import LimitError
from ..visits import Tree, World
from . import simplex

__all__ = [
    "CREDENCE_RULES",
    "SELF_LOCATING",
    "Interventions",
    "cdt_eu",
    "edt_eu",
    "fdt_plans",
    "ratifiable_plans",
    "trembling",
    "unit",
    "value",
]

SELF_LOCATING = ("default", "thirding", "halving")
CREDENCE_RULES = {
    "default": {"CDT": "GT", "EDT": "GDH"},
    "thirding": {"CDT": "GT", "EDT": "GT"},
    "halving": {"CDT": "GDH", "EDT": "GDH"},
}
MAX_PLANS = 1 << 12  # pure behavioural policies searched

Policy = tuple[tuple[Any, ...], ...]  # per slot, a probability per action (exact numbers)


def pure_plans(tree: Tree) -> list[Policy]:
    """Every pure behavioural policy, bounded by :data:`MAX_PLANS`."""
    sizes = [len(s.actions) for s in tree.slots]
    total = 1
    for n in sizes:
        total *= n
    if total > MAX_PLANS:
        raise LimitError(
            f"{total} pure behavioural policies ({len(sizes)} slots); at most {MAX_PLANS} "
            "are searched"
        )
    out = []
    for combo in itertools.product(*(range(n) for n in sizes)):
        out.append(tuple(unit(n, a) for n, a in zip(sizes, combo, strict=True)))
    return out


def unit(n: int, a: int) -> tuple[Fraction, ...]:
    """The distribution that plays act ``a`` of ``n`` for sure."""
    return tuple(Fraction(int(i == a)) for i in range(n))


# -- values ------------------------------------------------------------------------------------


def value(tree: Tree, pi: Policy, rule: str) -> Any:
    """V(π) under a paradox rule: ``None`` under ``fail`` when a paradox has positive
    probability, or under ``retry`` when every draw is one."""
    ok = sum((w.probability(pi) * w.utility for w in tree.worlds if w.consistent), Fraction(0))
    bad = sum((p.probability(pi) for p in tree.paradoxes), Fraction(0))
    if rule == "random":
        return ok + sum(
            (w.probability(pi) * w.utility for w in tree.worlds if not w.consistent), Fraction(0)
        )
    if simplex.sign(bad) == 0:
        return ok
    if rule == "fail":
        return None
    return ok / (1 - bad) if simplex.sign(1 - bad) > 0 else None


def paradox_probability(tree: Tree, pi: Policy) -> Any:
    return sum((p.probability(pi) for p in tree.paradoxes), Fraction(0))


def by_slot(tree: Tree, pi: Policy, rule: str) -> list[tuple[Any, Any]]:
    """(P(s visited), E[U | s visited]) per slot, each world once, under the paradox rule as
    the policy's value takes it: ``random`` counts the predictor's guesses, ``retry``
    conditions on consistent draws, ``fail`` gives no value when a paradox is possible (the
    probabilities then add up to 1 − P(paradox))."""
    bad = paradox_probability(tree, pi)
    out = []
    for s in range(len(tree.slots)):
        num: Any = Fraction(0)
        den: Any = Fraction(0)
        for w in tree.worlds:
            if (w.consistent or rule == "random") and w.visits_of(s):
                p = w.probability(pi)
                num += p * w.utility
                den += p
        if rule == "retry" and simplex.sign(bad) != 0:
            den = den / (1 - bad) if simplex.sign(1 - bad) else Fraction(0)
            num = num / (1 - bad) if simplex.sign(1 - bad) else Fraction(0)
        value = None if simplex.sign(den) == 0 else num / den
        if rule == "fail" and simplex.sign(bad) != 0:
            value = None
        out.append((den, value))
    return out


def _ratio(
    tree: Tree, pi: Policy, s: int, f: Callable[[World, Policy], Any], credence: str
) -> tuple[Any, Any]:
    num: Any = Fraction(0)
    den: Any = Fraction(0)
    for w in tree.worlds:
        if not w.consistent:
            continue
        n = w.visits_of(s)
        if not n:
            continue
        c = n if credence == "GT" else 1
        num += c * f(w, pi)
        den += c * w.probability(pi)
    return num, den


# -- the two act-by-act theories ------------------------------------------------------------------


class Interventions:
    """The worlds after setting the act at a visit, computed once per (world, point, act)."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.cache: dict[tuple[int, str, str], list[World]] = {}

    def utility(self, w: World, point: str, act: str, pi: Policy) -> Any:
        key = (id(w), point, act)
        ws = self.cache.get(key)
        if ws is None:
            ws = self.cache[key] = self.tree.intervened(w, point, act)
        z = sum((x.probability(pi) for x in ws), Fraction(0))
        if getattr(z, "free_symbols", None):  # a symbolic policy (the mixed search)
            import sympy

            if sympy.expand(z) == 0:
                return Fraction(0)
        elif simplex.sign(z) == 0:
            return Fraction(0)
        return sum((x.probability(pi) * x.utility for x in ws), Fraction(0)) / z


def cdt_numerators(
    tree: Tree, pi: Policy, s: int, credence: str, cache: Interventions
) -> tuple[list[Any], Any]:
    """N_a per act and the common denominator D: CDT's EU(a) at slot s is N_a / D."""
    acts = tree.slots[s].actions
    nums: list[Any] = [Fraction(0)] * len(acts)
    den: Any = Fraction(0)
    for w in tree.worlds:
        if not w.consistent:
            continue
        here = [v for v in w.visits if v.slot == s]
        if not here:
            continue
        c = Fraction(1) if credence == "GT" else Fraction(1, len(here))
        p = w.probability(pi)
        for v in here:
            den += c * p
            for a, act in enumerate(acts):
                nums[a] += c * p * cache.utility(w, v.point, act, pi)
    return nums, den


def cdt_eu(tree: Tree, pi: Policy, s: int, credence: str, cache: Interventions) -> list[Any]:
    """CDT's expected utility of each act at slot s (None where s is unreachable even under
    trembles)."""
    nums, den = cdt_numerators(tree, pi, s, credence, cache)
    if simplex.sign(den) != 0:
        return [n / den for n in nums]
    return _trembled(tree, pi, s, lambda q: cdt_numerators(tree, q, s, credence, cache))


def edt_function(tree: Tree, pi: Policy, s: int, credence: str, sigma: Sequence[Any]) -> Any:
    """(numerator, denominator) of EDT's EU(σ) at slot s: σ at every visit of s."""
    q = tuple(tuple(sigma) if i == s else row for i, row in enumerate(pi))
    return _ratio(tree, q, s, lambda w, q: w.probability(q) * w.utility, credence)


def edt_eu(tree: Tree, pi: Policy, s: int, credence: str) -> list[Any]:
    """EDT's expected utility of each pure act at slot s (σ a vertex)."""
    n = len(tree.slots[s].actions)
    out = []
    for a in range(n):
        num, den = edt_function(tree, pi, s, credence, unit(n, a))
        if simplex.sign(den) != 0:
            out.append(num / den)
            continue

        def parts(q: Policy, a: int = a) -> tuple[list[Any], Any]:
            nn, dd = edt_function(tree, q, s, credence, unit(n, a))
            return [nn], dd

        out.append(_trembled(tree, pi, s, parts)[0])
    return out


def _trembled(
    tree: Tree, pi: Policy, s: int, parts: Callable[[Policy], tuple[list[Any], Any]]
) -> list[Any]:
    """N/D in the limit where the other information sets tremble (None where D stays 0)."""
    nums, den = parts(trembling(tree, pi, s))
    return tremble_limit(nums, den)


def trembling(tree: Tree, pi: Policy, s: int) -> Policy:
    """π with every slot of another information set than s's playing every act with
    probability δ / |A| more (δ a sympy symbol). A slot the policy never reaches because of
    its own acts at other decisions (no pledge bought) is reached so; a slot of a decision
    whose every draw is a paradox stays unreached, as an observation of probability 0 at
    every order of ε is with one decision (DESIGN.md §2)."""
    import sympy

    delta = sympy.Symbol("delta", positive=True)
    here = tree.slots[s].infoset
    return tuple(
        row
        if tree.slots[i].infoset == here
        else tuple((1 - delta) * simplex.to_sympy(p) + delta / len(row) for p in row)
        for i, row in enumerate(pi)
    )


def tremble_limit(nums: Sequence[Any], den: Any) -> list[Any]:
    """Each n / den as δ → 0 (the coefficients at den's lowest order in δ), then at ε = 0;
    None for all when den is 0 at every order."""
    import sympy

    delta = sympy.Symbol("delta", positive=True)
    d = sympy.Poly(sympy.expand(den), delta)
    if d.is_zero:
        return [None] * len(nums)
    k = min(m[0] for m in d.monoms())
    lead = d.coeff_monomial(delta**k)
    if simplex.sign(lead) == 0:
        return [None] * len(nums)
    return [
        simplex.exact(sympy.Poly(sympy.expand(n), delta).coeff_monomial(delta**k) / lead)
        for n in nums
    ]


# -- ratifiability ---------------------------------------------------------------------------------


def is_ratifiable(tree: Tree, pi: Policy, theory: str, credence: str, cache: Interventions) -> bool:
    for s in range(len(tree.slots)):
        support = [a for a, p in enumerate(pi[s]) if simplex.sign(p) > 0]
        if theory == "CDT":
            eus = cdt_eu(tree, pi, s, credence, cache)
        elif s in tree.repeated:  # a mixed σ can beat every act: compare with the best σ
            if not _edt_global(tree, pi, s, credence):
                return False
            continue
        else:
            eus = edt_eu(tree, pi, s, credence)
        defined = [e for e in eus if e is not None]
        if not defined:
            if support != [0]:
                return False
            continue
        best = simplex.maximum(defined)
        if any(eus[a] is None or simplex.sign(eus[a] - best) < 0 for a in support):
            return False
    return True


def _edt_global(tree: Tree, pi: Policy, s: int, credence: str) -> bool:
    """Whether π(s) maximises EDT's EU(σ) over every mixed σ at s (exactly)."""
    n = len(tree.slots[s].actions)
    mine_num, mine_den = edt_function(tree, pi, s, credence, pi[s])
    if simplex.sign(mine_den) == 0:
        return True  # unreached: the vertex check of is_ratifiable's tremble rule applies
    mine = simplex.at_zero(mine_num / mine_den)

    def f(rows: Sequence[Sequence[Any]]) -> tuple[Any, Any]:
        num, den = edt_function(tree, pi, s, credence, rows[0])
        return num, den

    best, _ = simplex.maximise_ratio(f, [n])  # at ε = 0
    return best is None or simplex.sign(best - mine) <= 0


def ratifiable_plans(tree: Tree, theory: str, credence: str) -> tuple[list[Policy], str | None]:
    """Ratifiable pure policies; when there is none, the mixed equilibria (support search)."""
    cache = Interventions(tree)
    # every slot is reached under trembles (each comes from a world of positive weight), so
    # the act at a slot the policy never reaches still matters: no policy is collapsed here
    found = [pi for pi in pure_plans(tree) if is_ratifiable(tree, pi, theory, credence, cache)]
    if found:
        return found, None
    mixed = simplex.support_search(
        [len(s.actions) for s in tree.slots],
        lambda pi, s: _gradient(tree, pi, s, theory, credence, cache),
        lambda pi: is_ratifiable(tree, pi, theory, credence, cache),
    )
    note = "no ratifiable pure policy; " + (
        f"{len(mixed)} mixed equilibria" if len(mixed) != 1 else "one mixed equilibrium"
    )
    if not mixed:
        note = "no ratifiable policy, pure or mixed (isolated)"
    return mixed, note


def _gradient(
    tree: Tree, pi: Policy, s: int, theory: str, credence: str, cache: Interventions
) -> list[Any]:
    """What must be equal across the acts a policy plays at s (and no larger elsewhere):
    CDT's expected utilities, or the partial derivatives of EDT's EU(σ) at σ = π(s); where
    the policy never reaches s, their leading order as the other information sets tremble
    (all zero, no condition, where s stays unreached: the check of the solutions decides)."""
    import sympy

    n = len(tree.slots[s].actions)
    for q in (pi, trembling(tree, pi, s)):
        if theory == "CDT":
            nums, den = cdt_numerators(tree, q, s, credence, cache)
        else:
            sig = sympy.symbols(f"sigma0:{n}")
            num, den = edt_function(tree, q, s, credence, sig)
            at = dict(zip(sig, pi[s], strict=True))
            nums = [
                ((sympy.diff(num, x) * den - num * sympy.diff(den, x)) / den).subs(at) for x in sig
            ]
            den = simplex.to_sympy(den).subs(at)
        den = sympy.expand(simplex.to_sympy(den))  # safe: an engine number, never text
        if den != 0:
            return [_lowest_in_delta(simplex.to_sympy(x) / den) for x in nums]
    return [sympy.Integer(0)] * n


def _lowest_in_delta(x: Any) -> Any:
    """A rational function of the tremble δ at δ → 0: the ratio of the lowest-order
    coefficients of its numerator and denominator (δ absent: itself)."""
    import sympy

    delta = sympy.Symbol("delta", positive=True)
    if delta not in x.free_symbols:
        return x
    num, den = sympy.fraction(sympy.together(x))
    pn, pd = sympy.Poly(sympy.expand(num), delta), sympy.Poly(sympy.expand(den), delta)
    if pn.is_zero:
        return sympy.Integer(0)
    k = min(m[0] for m in pd.monoms())
    return pn.coeff_monomial(delta**k) / pd.coeff_monomial(delta**k)


def _canonical(tree: Tree, pi: Policy) -> bool:
    """Only the first act at a slot the policy never consults (policies differing only there
    are the same policy)."""
    used = {s for w in tree.worlds if simplex.sign(w.probability(pi)) > 0 for s, _ in w.draws}
    return all(row[0] == 1 for s, row in enumerate(pi) if s not in used)


# -- FDT -----------------------------------------------------------------------------------------


def fdt_plans(tree: Tree, rule: str) -> tuple[list[Policy], Any, str | None]:
    """Every ex-ante optimal behavioural policy, its value, and a note."""
    if not tree.repeated:
        best: Any = None
        chosen: list[Policy] = []
        for pi in pure_plans(tree):
            if not _canonical(tree, pi):
                continue
            v = value(tree, pi, rule)
            if v is None:
                continue
            c = 1 if best is None else simplex.sign(v - best)
            if c > 0:
                best, chosen = v, [pi]
            elif c == 0:
                chosen.append(pi)
        note = None if chosen else "no feasible policy: every policy meets a paradox"
        return chosen, best, note
    return _fdt_polynomial(tree, rule)


def _fdt_polynomial(tree: Tree, rule: str) -> tuple[list[Policy], Any, str | None]:
    """Pure choices at slots visited at most once per world, and an exact maximisation of the
    polynomial V over the simplices of the repeated slots."""
    if tree.paradoxes and rule != "random":
        raise LimitError(
            "a repeated information set together with a paradoxical predictor is not "
            "supported yet: V would be a rational function"
        )
    repeated = sorted(tree.repeated)
    others = [s for s in range(len(tree.slots)) if s not in tree.repeated]
    sizes = [len(tree.slots[s].actions) for s in repeated]
    best: Any = None
    chosen: list[Policy] = []
    for combo in itertools.product(*(range(len(tree.slots[s].actions)) for s in others)):
        fixed = {s: unit(len(tree.slots[s].actions), a) for s, a in zip(others, combo, strict=True)}

        def f(rows: Sequence[Sequence[Any]], fixed: dict[int, Any] = fixed) -> tuple[Any, Any]:
            mine = dict(zip(repeated, rows, strict=True))
            pi = tuple(fixed[s] if s in fixed else tuple(mine[s]) for s in range(len(tree.slots)))
            return value(tree, pi, "random"), Fraction(1)

        v, points = simplex.maximise_ratio(f, sizes)
        if v is None:
            continue
        c = 1 if best is None else simplex.sign(v - best)
        if c < 0:
            continue
        found = []
        for rows in points:
            mine = dict(zip(repeated, rows, strict=True))
            pi = tuple(fixed[s] if s in fixed else tuple(mine[s]) for s in range(len(tree.slots)))
            if _canonical(tree, pi):
                found.append(pi)
        if c > 0:
            best, chosen = v, found
        else:
            chosen.extend(found)
    return chosen, best, None
