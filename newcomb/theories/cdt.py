"""Causal decision theory."""

from __future__ import annotations

from ..world import Model
from .base import Decision, Theory
from .ratify import ratifiable

__all__ = ["CDT"]


class CDT(Theory):
    """Causal decision theory: intervene on the act.

    At each observation, an act's value is the expected utility of the worlds the agent may be
    in, with the act set by intervention and everything downstream of it recomputed; predictions,
    made earlier, stay put. Correlates follow the agent's credence in its own act. The answer is
    every ratifiable policy (Gibbard & Harper 1978; Lewis 1981; Joyce 1999; Arntzenius 2008).
    """

    name = "CDT"
    query = "intervene"

    def decide(self, model: Model) -> Decision:
        return ratifiable(model, "intervene")
