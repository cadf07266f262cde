"""Ratifiable policies: the fixed points of act-by-act expected-utility maximisation.

EDT and CDT evaluate each act against the agent's own policy elsewhere, so their answer is a
policy π with π(o) among the best acts at every observation o (DESIGN.md §2; Jeffrey 1983 on
ratifiability; Joyce 2012 and Arntzenius 2008 on deliberational equilibria). Pure policies are
searched exhaustively within :class:`~newcomb.world.Limits`.

An observation where no act has a defined expected utility (it has probability zero at every
order of ε, whatever the agent does there) is irrelevant to the policy: only the first action is
accepted there, so that policies differing only where nothing can happen are not reported twice.
"""

from __future__ import annotations

from ..query import Query, expected_utility
from ..search import ratifiable_policies
from ..world import Behaviour, Model, pure
from .base import Decision

__all__ = ["is_ratifiable", "ratifiable_pure"]


def is_ratifiable(model: Model, pi: Behaviour, how: Query) -> bool:
    """Whether ``pi`` puts weight only on best acts, at every observation."""
    n = len(model.actions)
    for o, row in enumerate(pi):
        eus = [expected_utility(model, pi, o, a, how=how) for a in range(n)]
        defined = [e for e in eus if e is not None]
        support = [a for a, p in enumerate(row) if p]
        if not defined:
            if support != [0]:
                return False
            continue
        best = max(defined)
        for a in support:
            e = eus[a]
            if e is None or e < best:
                return False
    return True


def ratifiable_pure(model: Model, how: Query) -> Decision:
    """Every ratifiable pure policy (structured search; exhaustive when the model says so)."""
    n = len(model.actions)
    if model.exhaustive:
        found = tuple(
            pi for sigma in model.pure_policies() if is_ratifiable(model, pi := pure(sigma, n), how)
        )
        total = len(found)
    else:
        result = ratifiable_policies(model, how)
        found, total = result.policies, result.total
    note = None if found else "no ratifiable pure policy: every pure policy regrets some act"
    if total > len(found):
        note = f"{total} ratifiable pure policies; the first {len(found)} are listed"
    return Decision(found, note=note, total=total)


def ratifiable(model: Model, how: Query) -> Decision:
    """Ratifiable pure policies; when there is none, the mixed equilibria (DESIGN.md §2)."""
    pure_decision = ratifiable_pure(model, how)
    if pure_decision.policies:
        return pure_decision
    from .mixed import mixed_equilibria  # sympy is imported only when this search runs

    search = mixed_equilibria(model, how)
    found = tuple(search.equilibria)
    if found:
        note = (
            "no ratifiable pure policy; "
            + ("one mixed equilibrium" if len(found) == 1 else f"{len(found)} mixed equilibria")
            + " (deliberational: every act played is among the best against the policy itself)"
        )
    else:
        note = "no ratifiable policy, pure or mixed (isolated)"
    skipped = []
    if search.continua:
        skipped.append(f"{search.continua} support profiles with a continuum of solutions")
    if search.unsolved:
        skipped.append(f"{search.unsolved} profiles sympy could not solve")
    if skipped:
        note += "; skipped " + " and ".join(skipped)
    return Decision(found, note=note, total=len(found))
