"""Values given an observation: E[U | O = o] and P(O = o) for each reported policy.

The expected numbers are derived here from each problem's story, not read off the engine:
transparent Newcomb at an accuracy below 1 and at the limit 1 (a tremble), an observation the
policy never meets, the Ultimate Newcomb problem's paradox under each rule, and the identity
Σ_o P(o)·E[U | o] = V(π) for every reported policy of every bundled scenario.
"""

from __future__ import annotations

import json
from fractions import Fraction as F
from pathlib import Path

import pytest

import newcomb
from newcomb.model import Label
from newcomb.report import ObservationValue, PolicyReport
from newcomb.series import leading

SCENARIOS = sorted(Path("scenarios").glob("*.yaml"))
RULES = ("fail", "random", "retry")

BIG, SMALL = F(1_000_000), F(1_000)  # transparent Newcomb's boxes


def given(p: PolicyReport) -> dict[tuple[Label, ...], ObservationValue]:
    """The policy's values given each observation, keyed by the observed values."""
    return {tuple(g.observation.values()): g for g in p.by_observation}


def two_box(observation: dict[str, Label]) -> str:
    return "two_box"


def one_box(observation: dict[str, Label]) -> str:
    return "one_box"


def one_box_on_full(observation: dict[str, Label]) -> str:
    return "one_box" if observation["box"] == "full" else "two_box"


def edt_policy(observation: dict[str, Label]) -> str:
    """EDT's policy on the Ultimate Newcomb problem: two-box iff the numbers coincide."""
    return "two_box" if observation["coincide"] else "one_box"


# -- transparent Newcomb ------------------------------------------------------------------------


@pytest.mark.parametrize("q", [F(99, 100), F(3, 5)])
def test_transparent_newcomb_values_given_the_box(q: F) -> None:
    # The box is full iff the predictor (right with probability q) says the agent one-boxes on
    # a full box. Two-boxing everywhere: predicted right, the box is empty (q), and the agent
    # gets the small box; predicted wrong, it is full (1 - q), and the agent gets both.
    # One-boxing on full: full with probability q, worth the big box; else empty, two-boxed.
    s = newcomb.load("scenarios/transparent_newcomb.yaml").with_parameters(q=q)
    r = newcomb.analyse(s, [two_box, one_box_on_full])
    tb, ob = (given(t.policies[0]) for t in r.theories)
    assert (tb[("empty",)].probability, tb[("empty",)].value) == (q, SMALL)
    assert (tb[("full",)].probability, tb[("full",)].value) == (1 - q, BIG + SMALL)
    assert (ob[("empty",)].probability, ob[("empty",)].value) == (1 - q, SMALL)
    assert (ob[("full",)].probability, ob[("full",)].value) == (q, BIG)
    for t in r.theories:
        assert all(g.observed for g in t.policies[0].by_observation)


def test_a_mixed_policy_mixes_the_worlds_of_the_pure_policies_it_draws() -> None:
    # On a full box, one-box or two-box with probability 1/2 each; two-box on an empty box. The
    # predictor sees the draw: half the time the agent is the one-boxer on full above (full
    # with probability q), half the time the two-boxer (full with probability 1 - q).
    q = F(9, 10)
    s = newcomb.load("scenarios/transparent_newcomb.yaml").with_parameters(q=q)
    policy = newcomb.Policy.of(
        ["box"], {("full",): {"one_box": "1/2", "two_box": "1/2"}, ("empty",): "two_box"}
    )
    (t,) = newcomb.analyse(s, [policy]).theories
    g = given(t.policies[0])
    half = F(1, 2)
    full = half * q + half * (1 - q)
    assert g[("full",)].probability == full
    assert g[("full",)].value == (half * q * BIG + half * (1 - q) * (BIG + SMALL)) / full
    assert (g[("empty",)].probability, g[("empty",)].value) == (1 - full, SMALL)


def test_a_perfect_predictor_leaves_the_unseen_box_to_its_leading_order() -> None:
    # At q = 1 a two-boxer sees a full box only after the predictor's infinitesimal error:
    # probability 0 at ε = 0, but the value there is still that of taking both boxes.
    s = newcomb.load("scenarios/transparent_newcomb.yaml").with_parameters(q=1)
    r = newcomb.analyse(s, [two_box, one_box_on_full])
    tb, ob = (given(t.policies[0]) for t in r.theories)
    assert tb[("full",)] == ObservationValue({"box": "full"}, F(0), BIG + SMALL, True)
    assert tb[("empty",)] == ObservationValue({"box": "empty"}, F(1), SMALL, True)
    assert ob[("empty",)] == ObservationValue({"box": "empty"}, F(0), SMALL, True)
    assert ob[("full",)] == ObservationValue({"box": "full"}, F(1), BIG, True)


def test_an_observation_the_policy_never_meets_has_no_value() -> None:
    # Accuracy 0: the predictor is always wrong, so against a one-boxer it says two-box and the
    # box is always empty, at every order. A full box exists for other policies (a two-boxer
    # on full fills it), so it is an observation of the model, but this policy never sees it.
    s = newcomb.load("scenarios/transparent_newcomb.yaml").with_parameters(q=0)
    r = newcomb.analyse(s, [one_box, two_box])
    ob, tb = (given(t.policies[0]) for t in r.theories)
    assert ob[("full",)] == ObservationValue({"box": "full"}, F(0), None, False)
    assert ob[("empty",)] == ObservationValue({"box": "empty"}, F(1), F(0), True)
    assert tb[("full",)] == ObservationValue({"box": "full"}, F(1), BIG + SMALL, True)
    assert not tb[("empty",)].observed and tb[("empty",)].value is None
    entry = r.to_json()["theories"][0]["details"][0]["by_observation"]
    assert entry[1] == {
        "observation": {"box": "full"},
        "probability": "0",
        "value": None,
        "observed": False,
    }
    assert "never observed" in str(r)


# -- the Ultimate Newcomb problem: a paradox under each rule ----------------------------------


def _omicron(p: F, rule: str) -> dict[tuple[Label, ...], ObservationValue]:
    s = newcomb.load("scenarios/omicron.yaml").with_parameters(p=p).with_paradox(rule)
    (t,) = newcomb.analyse(s, [edt_policy]).theories
    return given(t.policies[0])


# EDT's policy, by hand. Composite day (p): Omega predicts two-boxing and shows Omicron's
# composite; the numbers coincide and the agent two-boxes: 1000 + 2000000. Prime day (1 - p):
# a paradox. Guessing one-boxing (half the prime days) it shows Omicron's prime: they coincide,
# the agent two-boxes, 1000000 + 1000. Guessing two-boxing it shows a composite: they differ, the
# agent one-boxes, 0. The numbers differ on a consistent day only after Omega errs on a
# composite day (order ε): it predicts one-boxing, shows a prime, the agent one-boxes and gets
# 1000000 + 2000000.
COMPOSITE_DAY, GUESS_ONE, GUESS_TWO, ERRED = F(2_001_000), F(1_001_000), F(0), F(3_000_000)


@pytest.mark.parametrize("p", [F(1, 2), F(1, 5)])
def test_a_paradox_under_fail_leaves_every_value_given_an_observation_undefined(p: F) -> None:
    g = _omicron(p, "fail")
    # probabilities of a consistent world showing o: the paradox draws (1 - p) are the rest
    assert (g[(False,)].probability, g[(True,)].probability) == (F(0), p)
    assert g[(False,)].value is None and g[(True,)].value is None
    assert g[(False,)].observed and g[(True,)].observed


@pytest.mark.parametrize("p", [F(1, 2), F(1, 5)])
def test_retry_conditions_the_paradox_days_away(p: F) -> None:
    g = _omicron(p, "retry")
    assert (g[(True,)].probability, g[(True,)].value) == (F(1), COMPOSITE_DAY)
    assert (g[(False,)].probability, g[(False,)].value) == (F(0), ERRED)  # a tremble
    assert g[(False,)].observed


@pytest.mark.parametrize("p", [F(1, 2), F(1, 5)])
def test_random_counts_the_guesses_under_what_they_show(p: F) -> None:
    g = _omicron(p, "random")
    half_prime = (1 - p) / 2
    assert (g[(False,)].probability, g[(False,)].value) == (half_prime, GUESS_TWO)
    coincide = p + half_prime
    assert g[(True,)].probability == coincide
    assert g[(True,)].value == (p * COMPOSITE_DAY + half_prime * GUESS_ONE) / coincide


def test_the_compiled_and_listed_worlds_give_the_same_values_given_an_observation() -> None:
    for path in ("scenarios/omicron.yaml", "scenarios/transparent_newcomb.yaml"):
        for rule in RULES:
            s = newcomb.load(path).with_paradox(rule)
            fast, slow = newcomb.analyse(s), newcomb.analyse(s, exhaustive=True)
            for a, b in zip(fast.theories, slow.theories, strict=True):
                assert [p.by_observation for p in a.policies] == [
                    p.by_observation for p in b.policies
                ], (path, rule, a.theory)


# -- the identity, on every bundled scenario ---------------------------------------------------


def _check_identity(p: PolicyReport, rule: str) -> None:
    gs = p.by_observation
    assert len(gs) >= 1
    if p.value is None:
        # undefined V: under fail, a paradox (then nothing given an observation is defined)
        assert rule == "fail" and all(g.value is None for g in gs)
        return
    total, mass = F(0), F(0)
    for g in gs:
        assert g.probability is not None
        assert (g.value is None) == (not g.observed)
        assert g.observed or g.probability == 0
        mass += g.probability
        if g.value is not None:
            total += g.probability * g.value
    assert total == leading(p.value)
    assert mass == 1


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda x: x.stem)
def test_values_given_observations_average_to_the_value(path: Path) -> None:
    scenario = newcomb.load(path)
    for rule in RULES:
        report = newcomb.analyse(scenario.with_paradox(rule))
        assert report.model.rule == rule
        for t in report.theories:
            for p in t.policies:
                assert len(p.by_observation) == len(report.model.observations)
                _check_identity(p, rule)


def test_under_fail_the_probabilities_leave_out_the_paradox_draws() -> None:
    s = newcomb.load("scenarios/omicron.yaml")
    for t in newcomb.analyse(s).theories:
        for p in t.policies:
            total = sum((g.probability or F(0) for g in p.by_observation), F(0))
            assert total == 1 - p.consistency.paradox_probability


# -- output ----------------------------------------------------------------------------------


def test_json_gives_exact_strings_in_each_policy_detail() -> None:
    s = newcomb.load("scenarios/omicron.yaml").with_paradox("random")
    doc = json.loads(json.dumps(newcomb.analyse(s, [edt_policy]).to_json()))
    rows = doc["theories"][0]["details"][0]["by_observation"]
    assert rows == [
        {"observation": {"coincide": False}, "probability": "1/4", "value": "0", "observed": True},
        {
            "observation": {"coincide": True},
            "probability": "3/4",
            "value": str((F(1, 2) * COMPOSITE_DAY + F(1, 4) * GUESS_ONE) / F(3, 4)),
            "observed": True,
        },
    ]


def test_the_table_shows_values_given_observations_only_when_there_are_several() -> None:
    several = str(newcomb.analyse(newcomb.load("scenarios/transparent_newcomb.yaml")))
    assert "value given each observation (fail)" in several
    assert "1001000 (P 1/100)" in several  # CDT's full box
    one = str(newcomb.analyse(newcomb.load("scenarios/newcomb.yaml")))
    assert "value given each observation" not in one
