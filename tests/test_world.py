"""The world model W(π): stages, fixed points, paradox rules, ε, mixed policies, bounds."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

import newcomb
from newcomb import (
    Chance,
    Correlate,
    LimitError,
    Model,
    Prediction,
    Predictor,
    Scenario,
    ScenarioError,
    Select,
    Value,
)
from newcomb.check import check
from newcomb.query import expected_utility, value
from newcomb.series import leading
from newcomb.world import pure


def newcomb_problem(q: object = "99/100", **kw: object) -> Scenario:
    return Scenario(
        name="Newcomb",
        parameters={"q": q},
        actions=["one_box", "two_box"],
        variables=[
            Prediction(name="prediction", accuracy="q"),
            Value(name="box", expr="1000000 * (prediction == 'one_box')"),
        ],
        utility="box + 1000 * (action == 'two_box')",
        **kw,  # type: ignore[arg-type]
    )


def test_stages_follow_the_names_each_expression_uses() -> None:
    m = Model(newcomb.load("scenarios/omicron_consistent.yaml"))
    stages = {n.var.name: n.stage for n in m.nodes}
    assert stages == {"omicron": 1, "prediction": 2, "hide": 2, "box": 2, "coincide": 2}
    assert m.unknown_names == ("prediction", "hide")
    assert m.self_names == frozenset({"prediction"})


def test_accuracy_below_one_spreads_errors_uniformly_over_other_actions() -> None:
    s = Scenario(
        name="three",
        actions=["a", "b", "c"],
        variables=[Prediction(name="pred", accuracy="3/4")],
        utility="10 * (pred == 'a') + (action == 'b')",
    )
    m = Model(s)
    ws = m.worlds((1,))  # always b
    probs = {w.env["pred"]: w.weight for w in ws.worlds}
    assert probs == {"b": F(3, 4), "a": F(1, 8), "c": F(1, 8)}
    assert ws.value("fail") == F(3, 4) * 1 + F(1, 8) * 11 + F(1, 8) * 1


def test_perfect_accuracy_is_a_limit_not_a_zero() -> None:
    m = Model(newcomb.load("scenarios/transparent_newcomb.yaml").with_parameters(q=1))
    empty, full = 0, 1
    assert m.observations == (("empty",), ("full",))  # computed labels sort canonically
    one_one = value(m, pure((0, 0), 2))
    one_two = value(m, pure((1, 0), 2))  # two-box on empty, one-box on full
    assert leading(one_one) == leading(one_two) == 1000000
    assert one_two > one_one  # the tremble: two-boxing on the empty box it never sees
    # EDT conditions on the empty box, which has probability ε under the one-boxing policy.
    eu = expected_utility(m, pure((0, 0), 2), empty, 1, how="condition")
    assert eu is not None and leading(eu) == 1000
    eu_full = expected_utility(m, pure((1, 1), 2), full, 1, how="condition")
    assert eu_full is not None and leading(eu_full) == 1001000


def test_ties_without_preference_are_split_and_reported_ambiguous() -> None:
    s = Scenario(
        name="self-fulfilling",
        actions=["left", "right"],
        variables=[
            Prediction(name="pred", accuracy=1),
            Value(name="sign", expr="pred"),
        ],
        observes=["sign"],
        utility="3 * (action == 'left') + (action == 'right')",
    )
    m = Model(s)
    follow = pure((0, 1), 2)  # observations in order: left, right
    assert m.observations == (("left",), ("right",))
    c = check(m, follow)
    (d,) = c.draws
    assert d.consistent == 2 and d.ambiguous and not d.paradox
    assert leading(value(m, follow)) == 2  # (3 + 1) / 2
    preferring = s._copy(predictor=Predictor(prefer="pred == 'left'"))
    m2 = Model(preferring)
    (d2,) = check(m2, follow).draws
    assert d2.chosen == ({"pred": "left"},) and not d2.ambiguous
    assert leading(value(m2, follow)) == 3


def test_paradox_rules() -> None:
    s = Scenario(
        name="liar",
        actions=["a", "b"],
        variables=[
            Chance(name="coin", outcomes={"h": "1/4", "t": "3/4"}),
            Prediction(name="pred", accuracy=1),
            Value(name="said", expr="pred if coin == 'h' else 'a'"),
        ],
        observes=["said"],
        utility="10 * (coin == 't') + (action == 'a')",
    )
    m = Model(s)
    contrary = pure((1, 0), 2)  # on 'a' take b, on 'b' take a
    assert m.observations == (("a",), ("b",))
    ws = m.worlds((1, 0))
    c = check(m, contrary, ws)
    rows = {d.chance["coin"]: d for d in c.draws}
    assert rows["h"].paradox and not rows["t"].paradox
    assert c.paradox_probability == F(1, 4)
    assert ws.value("fail") is None
    # retry: only tails days: 10 + (b on 'a' → 0)
    assert leading(ws.value("retry")) == 10
    # random: heads days guess a or b: said=a → b (0), said=b → a (1): 1/2
    assert leading(ws.value("random")) == F(3, 4) * 10 + F(1, 4) * F(1, 2)
    assert (
        "coin = h" in rows["h"].reason
        and "pred = a, then said = a and the agent takes b" in rows["h"].reason
    )
    assert rows["h"].best_accuracy == 0


def test_chance_that_depends_on_the_prediction_must_be_consistent_in_every_draw() -> None:
    s = Scenario(
        name="noisy box",
        actions=["a", "b"],
        variables=[
            Prediction(name="pred", accuracy=1),
            Chance(
                name="flip",
                outcomes={"keep": "1/2 if pred == 'a' else 1", "swap": "1/2 if pred == 'a' else 0"},
            ),
            Value(name="seen", expr="pred if flip == 'keep' else ('b' if pred == 'a' else 'a')"),
        ],
        observes=["seen"],
        utility="action == 'b'",
    )
    m = Model(s)
    follow = (0, 1)  # do what is seen
    (d,) = m.worlds(follow).draws
    # pred = a: seen is a or b with positive probability, so the act varies: inconsistent.
    # pred = b: flip is 'keep' for sure, seen = b, act b: consistent.
    assert d.consistent == 1 and d.chosen == (1,)
    att_a = d.attempts[0]
    assert not att_a.consistent and {(o, a) for o, a, _ in att_a.branches} == {(0, 0), (1, 1)}
    assert check(m, pure(follow, 2)).draws[0].best_accuracy == 1


def test_correlates_follow_the_query() -> None:
    lesion = Scenario(
        name="smoking lesion",
        actions=["smoke", "abstain"],
        variables=[
            Correlate(
                name="lesion",
                table={
                    "smoke": {"yes": "9/10", "no": "1/10"},
                    "abstain": {"yes": "1/10", "no": "9/10"},
                },
                prior={"yes": "1/2", "no": "1/2"},
            ),
            Value(name="cancer", expr="lesion == 'yes'"),
        ],
        utility="1000 * (action == 'smoke') - 100000 * cancer",
    )
    m = Model(lesion)
    smoke, abstain = pure((0,), 2), pure((1,), 2)
    assert value(m, smoke) == 1000 - 50000  # the prior: smoking changes nothing
    assert expected_utility(m, smoke, 0, 0, how="condition") == 1000 - 90000
    assert expected_utility(m, smoke, 0, 1, how="condition") == -10000
    # CDT's credence in its own act: when it smokes, the lesion is likely; acts do not move it.
    assert expected_utility(m, smoke, 0, 0, how="intervene") == 1000 - 90000
    assert expected_utility(m, smoke, 0, 1, how="intervene") == -90000
    assert expected_utility(m, abstain, 0, 0, how="intervene") == 1000 - 10000
    verdicts = {t.theory: t.policies[0].policy.act(()) for t in newcomb.analyse(lesion).theories}
    assert verdicts == {"CDT": {"smoke": 1}, "EDT": {"abstain": 1}, "FDT": {"smoke": 1}}


def test_an_observed_correlate_value_only_an_act_makes_is_observable() -> None:
    """With prior 0 the lesion is never present in the world, but EDT's worlds follow
    P(lesion | smoke) = 1: the observation exists (it used to be refused as unexpected)."""
    lesion = Scenario(
        name="smoking lesion, no lesion in the world",
        actions=["smoke", "refrain"],
        variables=[
            Correlate(
                name="lesion",
                table={
                    "smoke": {"present": 1, "absent": 0},
                    "refrain": {"present": 0, "absent": 1},
                },
                prior={"present": 0, "absent": 1},
            ),
        ],
        observes=["lesion"],
        utility="1000 * (action == 'smoke') - 100000 * (lesion == 'present')",
    )
    for exhaustive in (False, True):
        m = Model(lesion, exhaustive=exhaustive)
        assert m.observations == (("present",), ("absent",))
        smoke = pure((0, 0), 2)
        assert value(m, smoke) == 1000  # the prior: the lesion is absent
        assert expected_utility(m, smoke, 0, 0, how="condition") == 1000 - 100000
    verdicts = {t.theory: t.policies[0].policy for t in newcomb.analyse(lesion).theories}
    assert verdicts["FDT"].act(("absent",)) == {"smoke": 1}
    assert verdicts["EDT"].act(("absent",)) == {"refrain": 1}


def test_mixed_policy_is_seen_through_by_the_predictor() -> None:
    death = Scenario(
        name="Death in Damascus",
        actions=["stay", "flee"],
        variables=[
            Prediction(name="death", accuracy=1),
        ],
        utility="1000000 * (death != action) - 1000 * (action == 'flee')",
    )
    m = Model(death)
    s = F(1001, 2000)
    pi = ((s, 1 - s),)
    ws = m.mixed_worlds(pi)
    assert leading(ws.value("fail")) == F(-999, 2)  # Death always finds the agent
    eu_stay = expected_utility(m, pi, 0, 0, how="intervene")
    eu_flee = expected_utility(m, pi, 0, 1, how="intervene")
    assert leading(eu_stay) == leading(eu_flee) == F(999000, 2) + 0 * 1  # indifferent
    r = newcomb.analyse(death)
    cdt = next(t for t in r.theories if t.theory == "CDT")
    assert "no ratifiable pure policy; one mixed equilibrium" in (cdt.note or "")
    (eq,) = cdt.policies
    assert eq.behaviour == ((F(1001, 2000), F(999, 2000)),)  # (M + K) / 2M
    assert leading(eq.value) == F(-999, 2)
    assert [d.agent for d in eq.consistency.draws] == [(({}, "stay"),), (({}, "flee"),)]
    edt = next(t for t in r.theories if t.theory == "EDT")
    assert [p.policy.act(()) for p in edt.policies] == [{"stay": 1}]  # 0 either way; ties listed
    assert edt.total == 1


def test_bounds_are_checked_before_work() -> None:
    def wide(n: int, coupled: bool) -> Scenario:
        variables: list[object] = [
            Chance(name=f"x{i}", outcomes={"0": "1/2", "1": "1/2"}) for i in range(n)
        ]
        utility = "action == 'a'"
        if coupled:  # a prediction of the act on one observation couples them all
            variables.append(
                Prediction(name="pred", accuracy="9/10", given={f"x{i}": "0" for i in range(n)})
            )
            utility = "(action == 'a') + 10 * (pred == 'b')"
        return Scenario(
            name="wide",
            actions=["a", "b"],
            variables=variables,  # type: ignore[arg-type]
            observes=[f"x{i}" for i in range(n)],
            utility=utility,
        )

    # 2^10 observations, independent: each is its own group, searched alone.
    r = newcomb.analyse(wide(10, coupled=False))
    fdt = next(t for t in r.theories if t.theory == "FDT")
    assert fdt.total == 1 and fdt.policies[0].policy.act(("0",) * 10) == {"a": 1}
    # Coupled through the prediction: 2^(2^5) joint policies, one star-shaped group (every draw
    # reads its own observation and the predicted one): solved by elimination, width 1.
    r = newcomb.analyse(wide(5, coupled=True))
    fdt = next(t for t in r.theories if t.theory == "FDT")
    assert fdt.total == 1
    act = fdt.policies[0].policy.act
    assert act(("0",) * 5) == {"b": 1}  # the predicted observation: b, which pays 10 everywhere
    assert act(("1",) * 5) == {"a": 1} and act(("0", "1", "0", "0", "0")) == {"a": 1}


def test_a_group_too_wide_to_eliminate_falls_back_and_is_bounded() -> None:
    """One draw whose worlds can show any of 22 observations (the predictor's selected value
    is observed): one factor over all 22 (width 21, past elimination.MAX_WIDTH), so the group
    is searched slice by slice, within max_policies, which 2^22 passes."""
    n = 22
    s = Scenario(
        name="wide select",
        actions=["a", "b"],
        variables=[
            Select(name="s", options=[f"o{i}" for i in range(n)]),
            Value(name="x", expr="s"),
        ],
        observes=["x"],
        utility="(action == 'a')",
    )
    with pytest.raises(
        LimitError,
        match=r"22 coupled observations with 2 actions make 4194304 .* width 21 is past",
    ):
        newcomb.analyse(s, [newcomb.FDT()])


def test_select_values_are_part_of_the_fixed_point() -> None:
    m = Model(newcomb.load("scenarios/omicron_consistent.yaml"))
    edt = pure((0, 1), 2)  # coincide=false → one_box, coincide=true → two_box
    rows = {d.chance["omicron"]: d for d in check(m, edt).draws}
    assert rows["prime"].chosen == ({"prediction": "one_box", "hide": True},)
    assert rows["composite"].chosen == ({"prediction": "two_box", "hide": False},)
    assert rows["composite"].consistent == 3


def test_evaluation_errors_name_the_key() -> None:
    s = Scenario(
        name="bad",
        parameters={"k": 0},
        actions=["a", "b"],
        variables=[Value(name="v", expr="1 / k")],
        utility="v",
    )
    with pytest.raises(ScenarioError, match="division by zero") as e:
        Model(s)
    assert e.value.path == ("variables", "v", "value")
    s2 = Scenario(
        name="bad accuracy",
        parameters={"q": "3/2"},
        actions=["a", "b"],
        variables=[Prediction(name="p", accuracy="q")],
        utility="0",
    )
    with pytest.raises(ScenarioError, match=r"accuracy in \[0, 1\]"):
        Model(s2)


def test_symbolic_value_of_a_fixed_policy() -> None:
    s = newcomb_problem()
    m = Model(s, symbols=["q"])
    v = value(m, pure((0,), 2))
    import sympy

    q = sympy.Symbol("q", real=True)
    assert sympy.simplify(v - 1000000 * q) == 0
    _ = Select  # imported for the API surface test below


def test_public_api_surface() -> None:
    for name in newcomb.__all__:
        assert hasattr(newcomb, name)


def _same(a: object, b: object) -> bool:
    return a == b


@pytest.mark.parametrize(
    "path",
    [
        "scenarios/omicron.yaml",
        "scenarios/omicron_consistent.yaml",
        "scenarios/newcomb.yaml",
        "scenarios/transparent_newcomb.yaml",
    ],
)
def test_compiled_sums_equal_the_enumerated_worlds(path: str) -> None:
    s = newcomb.load(path)
    fast, slow = Model(s), Model(s, exhaustive=True)
    n = len(fast.actions)
    for sigma in fast.pure_policies():
        for corr in (None, *[tuple(F(int(i == a)) for i in range(n)) for a in range(n)]):
            a, b = fast.summary(sigma, corr), slow.summary(sigma, corr)
            for field in (
                "paradox",
                "num",
                "den",
                "guess_num",
                "guess_den",
                "obs_den",
                "obs_num",
                "obs_act",
                "touched",
            ):
                assert _same(getattr(a, field), getattr(b, field)), (sigma, corr, field)
            for rule in ("fail", "random", "retry"):
                assert a.value(rule) == slow.worlds(sigma, corr).value(rule)  # type: ignore[arg-type]
