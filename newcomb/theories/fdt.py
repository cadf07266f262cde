"""Functional decision theory."""

from __future__ import annotations

from ..search import optimal_policies
from ..series import Num
from ..world import Behaviour, Model, pure
from .base import Decision, Theory

__all__ = ["FDT"]


class FDT(Theory):
    """Functional decision theory, as policy selection: intervene on the policy.

    Every pure policy π is valued by V(π), the expected utility over W(π) under the scenario's
    paradox rule (under ``fail`` a policy that meets a paradox with positive probability is
    infeasible; under ``retry`` V is conditioned on consistent worlds). Predictions move with π
    because they compute it. The answer is every policy of highest value, ties broken by higher
    orders of ε when an accuracy is 1 (Yudkowsky & Soares 2017, "Functional Decision Theory",
    §5 and the updateless policy selection they prefer).

    Policies that differ only on observations the policy is never consulted on are the same
    policy; only the one taking the first action there is listed. The search is structured
    (:mod:`newcomb.search`): coupled groups of observations are optimised on their own.
    """

    name = "FDT"
    query = "policy"

    def decide(self, model: Model) -> Decision:
        if model.exhaustive:
            chosen = exhaustive_optimal(model)
            total = len(chosen)
        else:
            found = optimal_policies(model, model.rule)
            chosen, total = list(found.policies), found.total
        note = None
        if not chosen:
            note = (
                "no feasible policy: every pure policy meets a paradox the predictor cannot "
                f"resolve under on_paradox: {model.rule}"
            )
        elif total > len(chosen):
            note = f"{total} policies tie; the first {len(chosen)} are listed"
        return Decision(tuple(chosen), note=note, total=total)


def exhaustive_optimal(model: Model) -> list[Behaviour]:
    """The plain search: V(σ) for every pure policy σ, keeping the best (for checking)."""
    n = len(model.actions)
    best: Num | None = None
    chosen: list[Behaviour] = []
    for sigma in model.pure_policies():
        s = model.summary(sigma)
        if any(sigma[o] != 0 for o in range(len(sigma)) if o not in s.touched):
            continue
        v = s.value(model.rule)
        if v is None:
            continue
        if best is None or v > best:
            best, chosen = v, [pure(sigma, n)]
        elif v == best:
            chosen.append(pure(sigma, n))
    return chosen
