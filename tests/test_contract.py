"""The theory contract of :mod:`newcomb.testing`, applied to the built-in theories and to
small theories written the way a user would write them."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newcomb import CDT, EDT, FDT, Model, Policy, Scenario, Theory
from newcomb.testing import TheoryContract, decision_problems, policies_of, scenarios
from newcomb.theories.ratify import ratifiable_pure

# The engine searches mixed equilibria (one sympy system per support profile, about a second
# each) when CDT or EDT has no ratifiable pure policy. The contract runs a theory up to four
# times per example, so for CDT and EDT it keeps to scenarios where that search is small.
MIXED_BUDGET = 3


def _cheap_for(how: str) -> Callable[[Scenario], bool]:
    def ok(s: Scenario) -> bool:
        model = Model(s)
        small = (2 ** len(model.actions) - 1) ** len(model.observations) <= MIXED_BUDGET
        return small or bool(ratifiable_pure(model, how).policies)  # type: ignore[arg-type]

    return ok


class TestCDTContract(TheoryContract):
    theory = CDT
    strategy = scenarios().filter(_cheap_for("intervene"))


class TestEDTContract(TheoryContract):
    theory = EDT
    strategy = scenarios().filter(_cheap_for("condition"))


class TestFDTContract(TheoryContract):
    theory = FDT


class Maximin(Theory):
    """Maximin: at each observation, the act whose worst outcome is best.

    The worst case is taken over the consistent worlds of W(π₀) that show the observation, where
    π₀ takes the first action everywhere, with the act set by intervention (Wald 1945). A user's
    theory written against the public API: it returns a :class:`~newcomb.model.Policy`.
    """

    name = "Maximin"

    def decide(self, model: Model) -> Policy:
        first = tuple(0 for _ in model.observations)
        worlds = list(model.worlds(first).consistent())
        table: dict[Any, str] = {}
        for o, obs in enumerate(model.observations):
            here = [w for w in worlds if w.obs == o]

            def worst(a: int, here: list[Any] = here) -> Any:
                if not here:
                    return 0
                return min(model.utility(w.env, a) for w in here)

            best = max(range(len(model.actions)), key=lambda a: (worst(a), -a))
            table[obs] = model.actions[best]
        return Policy.of(model.observes, table)


class TestMaximinContract(TheoryContract):
    theory = Maximin


class UniformTwo(Theory):
    """A mixed policy: equal chances of the first two actions at every observation."""

    name = "UniformTwo"

    def decide(self, model: Model) -> list[Policy]:
        a, b = model.actions[0], model.actions[1]
        half = Fraction(1, 2)
        return [Policy.of(model.observes, {o: {a: half, b: half} for o in model.observations})]


class TestUniformContract(TheoryContract):
    theory = UniformTwo
    strategy = decision_problems()


def always_first(observation: dict[str, Any]) -> str:
    """Whatever it sees, the agent one-boxes."""
    return "one_box"


class TestPolicyFunctionContract(TheoryContract):
    """A plain function of the observation stands in for a theory, as ``--theory`` allows."""

    theory = staticmethod(always_first)
    strategy = scenarios(actions=st.just(("one_box", "two_box")))


class TestPlainFunctionContract(TheoryContract):
    """``theory = a_function`` works as written, without ``staticmethod`` (issue 9)."""

    theory = always_first
    strategy = scenarios(actions=st.just(("one_box", "two_box")))

    def test_the_function_is_not_bound(self) -> None:
        assert self.make_theory().label == "always_first"  # type: ignore[attr-defined]


# -- the contract catches theories that break it --------------------------------------------------


class Forgetful(Theory):
    """Returns a policy with one row too few."""

    name = "Forgetful"

    def decide(self, model: Model) -> Any:
        return CDT().decide(model).policies[0][:-1]


class Moody(Theory):
    """Alternates between its first and second action on every call."""

    name = "Moody"
    calls = 0

    def decide(self, model: Model) -> Policy:
        Moody.calls += 1
        act = model.actions[Moody.calls % 2]
        return Policy.of(model.observes, {o: act for o in model.observations})


class Meddler(Theory):
    """Edits the scenario's parameters in place."""

    name = "Meddler"

    def decide(self, model: Model) -> Policy:
        params = model.scenario.parameters
        if isinstance(params, dict):
            params["meddled"] = Fraction(1)
        return Policy.of(model.observes, {o: model.actions[0] for o in model.observations})


class _Contract(TheoryContract):
    """Not collected (no Test prefix): runs single checks on a theory set per call."""


@pytest.mark.parametrize(
    ("theory", "check"),
    [
        (Forgetful, "check_returns_valid_policies"),
        (Moody, "check_deterministic"),
        (Meddler, "check_does_not_mutate"),
    ],
)
@given(s=decision_problems(max_observed=0))
def test_the_contract_catches_a_broken_theory(
    theory: type[Theory], check: str, s: Scenario
) -> None:
    contract = _Contract()
    contract.theory = theory  # type: ignore[misc]
    with pytest.raises(AssertionError):
        getattr(contract, check)(s)


def test_policies_of_rejects_what_is_not_a_policy() -> None:
    s = Scenario(name="two acts", actions=["a", "b"], variables=[], utility="action == 'a'")
    model = Model(s)
    bads: list[object] = [None, "a", [], ((Fraction(1, 2), Fraction(1, 3)),), ((Fraction(2), -1),)]
    for bad in bads:
        with pytest.raises(AssertionError):
            policies_of(model, bad)
