"""Evidential decision theory."""

from __future__ import annotations

from ..world import Model
from .base import Decision, Theory
from .ratify import ratifiable

__all__ = ["EDT"]


class EDT(Theory):
    """Evidential decision theory: condition on the act.

    At each observation, an act's value is the expected utility given that the agent observes
    it and takes that act, with the policy changed there (so predictions that compute the policy
    move with it). Correlates follow P(value | act). The answer is every ratifiable policy
    (Jeffrey 1965/1983; Ahmed 2014).
    """

    name = "EDT"
    query = "condition"

    def decide(self, model: Model) -> Decision:
        return ratifiable(model, "condition")
