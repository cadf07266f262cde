"""Functional decision theory."""

from __future__ import annotations

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
    policy; only the one taking the first action there is listed.
    """

    name = "FDT"
    query = "policy"

    def decide(self, model: Model) -> Decision:
        n = len(model.actions)
        best: Num | None = None
        chosen: list[Behaviour] = []
        feasible = 0
        for sigma in model.pure_policies():
            s = model.summary(sigma)
            if any(sigma[o] != 0 for o in range(len(sigma)) if o not in s.touched):
                continue
            v = s.value(model.rule)
            if v is None:
                continue
            feasible += 1
            if best is None or v > best:
                best, chosen = v, [pure(sigma, n)]
            elif v == best:
                chosen.append(pure(sigma, n))
        note = None
        if not chosen:
            note = (
                "no feasible policy: every pure policy meets a paradox the predictor cannot "
                f"resolve under on_paradox: {model.rule}"
            )
        return Decision(tuple(chosen), note=note, total=len(chosen), extra={"feasible": feasible})
