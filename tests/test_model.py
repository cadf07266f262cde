"""Building scenarios from Python objects (newcomb.model), and every check made on building."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

import pytest

from newcomb.errors import ScenarioError
from newcomb.expr import parse_expr
from newcomb.model import (
    PARADOX_RULES,
    Chance,
    Correlate,
    Policy,
    Prediction,
    Predictor,
    Scenario,
    Select,
    Value,
    parse_number,
)

ACTIONS = ["one_box", "two_box"]


def newcomb(**changes: Any) -> Scenario:
    """Newcomb's problem with accuracy q, with some constructor arguments replaced."""
    kwargs: dict[str, Any] = {
        "name": "Newcomb",
        "parameters": {"q": "99/100"},
        "actions": ACTIONS,
        "variables": [
            Prediction(name="prediction", accuracy="q"),
            Value(name="box", expr="1000000 * (prediction == 'one_box')"),
        ],
        "utility": "box + 1000 * (action == 'two_box')",
    }
    kwargs.update(changes)
    return Scenario(**kwargs)


def omicron() -> Scenario:
    """The Ultimate Newcomb problem, built from objects as scenarios/omicron.yaml writes it."""
    return Scenario(
        name="Ultimate Newcomb",
        parameters={"p": "1/2"},
        actions=ACTIONS,
        variables=[
            Chance(name="omicron", outcomes={"composite": "p", "prime": "1 - p"}),
            Prediction(name="prediction", accuracy=1),
            Value(name="box", expr="'prime' if prediction == 'one_box' else 'composite'"),
            Value(name="coincide", expr="box == omicron"),
        ],
        observes=["coincide"],
        utility="1000000*(box == 'prime') + 2000000*(omicron == 'composite')"
        " + 1000*(action == 'two_box')",
        predictor=Predictor(prefer="coincide", on_paradox="fail"),
    )


def lesion_table() -> dict[str, dict[str, str]]:
    return {"smoke": {"yes": "9/10", "no": "1/10"}, "abstain": {"yes": "1/10", "no": "9/10"}}


def raises(**changes: Any) -> ScenarioError:
    """The error building newcomb(**changes) raises."""
    with pytest.raises(ScenarioError) as info:
        newcomb(**changes)
    return info.value


# -- building from objects -------------------------------------------------------------------


def test_newcomb_from_objects() -> None:
    s = newcomb()
    assert s.name == "Newcomb"
    assert s.actions == ("one_box", "two_box")
    assert s.parameters == {"q": Fraction(99, 100)}
    assert [v.name for v in s.variables] == ["prediction", "box"]
    assert [v.kind for v in s.variables] == ["prediction", "value"]
    assert s.observes == ()
    assert s.utility.names == {"box", "action"}
    assert s.predictor == Predictor()
    assert s.predictor.on_paradox == "fail"
    assert s.predictor.prefer is None


def test_omicron_from_objects() -> None:
    s = omicron()
    chance = s.variable("omicron")
    assert isinstance(chance, Chance)
    assert [label for label, _ in chance.outcomes] == ["composite", "prime"]
    assert [e({"p": Fraction(1, 5)}) for _, e in chance.outcomes] == [
        Fraction(1, 5),
        Fraction(4, 5),
    ]
    prediction = s.variable("prediction")
    assert isinstance(prediction, Prediction)
    assert prediction.self_referential
    assert prediction.accuracy({}) == 1
    assert s.observes == ("coincide",)
    assert s.predictor.prefer is not None
    assert s.predictor.prefer.names == {"coincide"}
    # expressions carry the key path they would have in a file
    box = s.variable("box")
    assert isinstance(box, Value)
    assert box.expr.path == ("variables", "box", "value")
    assert chance.outcomes[1][1].path == ("variables", "omicron", "chance", "prime")
    assert s.utility.path == ("utility",)


def test_variable_lookup_by_name() -> None:
    s = omicron()
    assert s.variable("coincide").kind == "value"
    with pytest.raises(KeyError):
        s.variable("nonexistent")


def test_two_equal_builds_are_equal() -> None:
    assert omicron() == omicron()
    assert newcomb() == newcomb(parameters={"q": "0.99"})
    assert newcomb() != newcomb(parameters={"q": "0.9"})


def test_scenario_is_frozen() -> None:
    s = newcomb()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.name = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.variables[0].name = "other"  # type: ignore[misc]


def test_selects_correlates_and_hypothetical_predictions() -> None:
    s = Scenario(
        name="kinds",
        actions=["smoke", "abstain"],
        variables=[
            Correlate(name="lesion", table=lesion_table(), prior={"yes": "1/2", "no": "1/2"}),
            Chance(name="seen", outcomes={"full": "1/2", "empty": "1/2"}),
            Select(name="show", options=[True, False]),
            Prediction(name="would", given={"seen": "full"}, accuracy="0.9"),
        ],
        observes=["seen"],
        utility="(show == true) + (lesion == 'yes') + (would == 'smoke')",
    )
    lesion = s.variable("lesion")
    assert isinstance(lesion, Correlate)
    assert lesion.labels() == ("yes", "no")
    assert dict(lesion.table)["smoke"][0][1]({}) == Fraction(9, 10)
    show = s.variable("show")
    assert isinstance(show, Select)
    assert show.options == (True, False)
    would = s.variable("would")
    assert isinstance(would, Prediction)
    assert not would.self_referential
    assert would.given == (("seen", "full"),)
    assert would.accuracy({}) == Fraction(9, 10)


def test_chance_accepts_pairs_and_integer_and_boolean_labels() -> None:
    c = Chance(name="die", outcomes=[(1, "1/2"), (2, "1/2")])
    assert [label for label, _ in c.outcomes] == [1, 2]
    b = Chance(name="coin", outcomes={True: "1/2", False: "1/2"})
    assert [label for label, _ in b.outcomes] == [True, False]
    assert b.outcomes[0][1].path == ("variables", "coin", "chance", "true")
    # 1 and "1" are different labels; 1 and true are not (they are equal in expressions)
    both = Chance(name="mixed", outcomes=[(1, "1/2"), ("1", "1/2")])
    assert [label for label, _ in both.outcomes] == [1, "1"]


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ([(1, "1/2"), (True, "1/2")], "duplicate outcome True (equal to 1 in expressions)"),
        ([(False, "1/2"), (0, "1/2")], "duplicate outcome 0 (equal to False in expressions)"),
        ([("a", "1/2"), ("a", "1/2")], "duplicate outcome 'a'"),
    ],
)
def test_labels_equal_in_expressions_are_duplicates(outcomes: Any, expected: str) -> None:
    with pytest.raises(ScenarioError) as info:
        Chance(name="c", outcomes=outcomes)
    assert info.value.path == ("variables", "c", "chance")
    assert info.value.message == expected


def test_expression_objects_are_accepted_and_given_a_path() -> None:
    e = parse_expr("p")
    c = Chance(name="x", outcomes={"a": e, "b": "1 - p"})
    assert c.outcomes[0][1].path == ("variables", "x", "chance", "a")


# -- parameters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("1/2", Fraction(1, 2)),
        ("0.99", Fraction(99, 100)),
        (" 1/3 ", Fraction(1, 3)),
        ("1e-2", Fraction(1, 100)),
        ("-3/4", Fraction(-3, 4)),
        ("1_000", Fraction(1000)),
        (0.99, Fraction(99, 100)),  # a float's shortest repr, not its binary value
        (0.1, Fraction(1, 10)),
        (3, Fraction(3)),
        (Fraction(2, 7), Fraction(2, 7)),
    ],
)
def test_parameter_values_are_exact(given: object, expected: Fraction) -> None:
    s = newcomb(parameters={"q": given})
    assert s.parameters["q"] == expected
    assert isinstance(s.parameters["q"], Fraction)


def test_parameters_may_be_expressions_of_earlier_parameters() -> None:
    s = newcomb(parameters={"q": "0.99", "r": "1 - q", "s": "2 * r"})
    assert s.parameters == {"q": Fraction(99, 100), "r": Fraction(1, 100), "s": Fraction(1, 50)}


@pytest.mark.parametrize(
    ("params", "path", "expected"),
    [
        ({"q": "half"}, ("parameters", "q"), "unknown name 'half'"),
        ({"q": "r", "r": "1/2"}, ("parameters", "q"), "unknown name 'r'"),  # later parameter
        ({"q": True}, ("parameters", "q"), "expected a number, got a boolean"),
        ({"q": None}, ("parameters", "q"), "expected an exact number such as 1/2 or 0.99"),
        ({"q": [1]}, ("parameters", "q"), "expected an exact number such as 1/2 or 0.99"),
        ({"q": float("nan")}, ("parameters", "q"), "expected an exact number"),
        ({"q": float("inf")}, ("parameters", "q"), "expected an exact number"),
        ({"q": "1/0"}, ("parameters", "q"), "expected an exact number"),
        ({"q": "1e999999999"}, ("parameters", "q"), "expected an exact number"),
        ({"q": "1/(1 - 1)"}, ("parameters", "q"), "division by zero"),
        ({"q": "1 < 2"}, ("parameters", "q"), "expected a number, got True"),
        ({"q": "'text'"}, ("parameters", "q"), "expected a number, got 'text'"),
        ({"q": "2**100000"}, ("parameters", "q"), "exponent 100000 is larger than 256"),
        ({"1q": 1}, ("parameters", "1q"), "must be an identifier"),
        ({"action": 1}, ("parameters", "action"), "parameter name 'action' is reserved"),
        ({"min": 1}, ("parameters", "min"), "is reserved"),
    ],
)
def test_bad_parameters(params: dict[str, object], path: tuple[str, ...], expected: str) -> None:
    err = raises(parameters=params)
    assert err.path == path
    assert expected in err.message


def test_parameters_cannot_grow_without_bound() -> None:
    # each parameter multiplies the previous one sixteen times: 4 lines, 80 million bits
    params = {"a": "1e4000"}
    for prev, name in zip("abc", "bcd", strict=True):
        params[name] = "*".join([prev] * 16)
    err = raises(parameters=params)
    assert err.path == ("parameters", "b")
    assert "the result is too large" in err.message


def test_parameters_must_be_a_mapping() -> None:
    err = raises(parameters=[("q", 1)])
    assert err.path == ("parameters",)
    assert "expected a mapping" in err.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1/2", Fraction(1, 2)),
        ("0.99", Fraction(99, 100)),
        (5, Fraction(5)),
        (0.25, Fraction(1, 4)),
    ],
)
def test_parse_number(value: object, expected: Fraction) -> None:
    assert parse_number(value) == expected


@pytest.mark.parametrize("value", [True, None, "p", "1/0", "1e999999999", float("nan"), "", [1]])
def test_parse_number_refuses(value: object) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_number(value, ("parameters", "x"))
    assert info.value.path == ("parameters", "x")
    assert "expected" in info.value.message


def test_with_parameters_returns_a_changed_copy() -> None:
    s = newcomb()
    t = s.with_parameters(q="1/2")
    assert t.parameters == {"q": Fraction(1, 2)}
    assert s.parameters == {"q": Fraction(99, 100)}  # the original is unchanged
    assert t.variables == s.variables
    assert t.utility == s.utility
    assert s.with_parameters(q=0.9).parameters["q"] == Fraction(9, 10)
    assert s.with_parameters(q=Fraction(1, 3)).parameters["q"] == Fraction(1, 3)
    assert s.with_parameters() == s


def test_with_parameters_refuses_unknown_names_and_bad_values() -> None:
    s = newcomb()
    with pytest.raises(ScenarioError) as info:
        s.with_parameters(z="1/2")
    assert info.value.path == ("parameters",)
    assert "no parameter named 'z'" in info.value.message
    assert "(parameters: q)" in info.value.message
    with pytest.raises(ScenarioError) as info:
        s.with_parameters(q="lots")
    assert info.value.path == ("parameters", "q")
    assert "expected an exact number" in info.value.message


def test_with_paradox_returns_a_changed_copy() -> None:
    s = omicron()
    for rule in PARADOX_RULES:
        t = s.with_paradox(rule)
        assert t.predictor.on_paradox == rule
        assert t.predictor.prefer == s.predictor.prefer  # the preference is kept
        assert t.variables == s.variables
    assert s.predictor.on_paradox == "fail"
    assert s.with_paradox("retry") != s
    assert s.with_paradox("fail") == s


def test_with_paradox_refuses_unknown_rules() -> None:
    with pytest.raises(ScenarioError) as info:
        omicron().with_paradox("explode")
    assert info.value.path == ("predictor", "on_paradox")
    assert "expected one of fail, random, retry, got 'explode'" in info.value.message


# -- predictor -------------------------------------------------------------------------------


@pytest.mark.parametrize("rule", ["fail", "random", "retry"])
def test_paradox_rules(rule: str) -> None:
    assert Predictor(on_paradox=rule).on_paradox == rule


@pytest.mark.parametrize("rule", ["explode", "Fail", "", "yes", None, 1])
def test_unknown_paradox_rule(rule: Any) -> None:
    with pytest.raises(ScenarioError) as info:
        Predictor(on_paradox=rule)
    assert info.value.path == ("predictor", "on_paradox")
    assert "expected one of fail, random, retry" in info.value.message


def test_prefer_must_name_known_things() -> None:
    err = raises(predictor=Predictor(prefer="happiness"))
    assert err.path == ("predictor", "prefer")
    assert "unknown name 'happiness'" in err.message


# -- scenario-level validation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("actions", "path", "expected"),
    [
        ([], ("actions",), "expected at least two actions, got 0"),
        (["one_box"], ("actions",), "expected at least two actions, got 1"),
        (["a", "b", "a"], ("actions",), "duplicate action 'a'"),
        (["a", ""], ("actions", 1), "expected an action name (a string)"),
        (["a", 2], ("actions", 1), "expected an action name (a string), got 2"),
        (["a", None], ("actions", 1), "expected an action name"),
        ("one_box", ("actions",), "expected a list of action names"),
        (5, ("actions",), "expected a list of action names"),
    ],
)
def test_bad_actions(actions: Any, path: tuple[str | int, ...], expected: str) -> None:
    err = raises(actions=actions, utility="1")
    assert err.path == path
    assert expected in err.message


def test_three_actions_are_fine() -> None:
    s = newcomb(actions=["one_box", "two_box", "no_box"])
    assert s.actions == ("one_box", "two_box", "no_box")


@pytest.mark.parametrize("name", ["", "   ", None, 3])
def test_bad_scenario_name(name: Any) -> None:
    err = raises(name=name)
    assert err.path == ("name",)
    assert "expected a non-empty string" in err.message


def test_duplicate_variable_names() -> None:
    err = raises(variables=[Value(name="x", expr="1"), Value(name="x", expr="2")], utility="x")
    assert err.path == ("variables", "x")
    assert "duplicate variable 'x'" in err.message


def test_variable_named_like_a_parameter() -> None:
    err = raises(variables=[Value(name="q", expr="1")], utility="q")
    assert err.path == ("variables", "q")
    assert "'q' is already a parameter name" in err.message


def test_forward_reference_is_an_unknown_name() -> None:
    err = raises(
        variables=[Value(name="early", expr="late + 1"), Value(name="late", expr="1")],
        utility="early",
    )
    assert err.path == ("variables", "early", "value")
    assert "unknown name 'late'" in err.message
    assert "earlier variables only" in err.message


def test_self_reference_is_an_unknown_name() -> None:
    err = raises(variables=[Value(name="loop", expr="loop + 1")], utility="loop")
    assert err.path == ("variables", "loop", "value")
    assert "unknown name 'loop'" in err.message


def test_chance_forward_reference() -> None:
    err = raises(
        variables=[
            Chance(name="c", outcomes={"a": "d", "b": "1 - d"}),
            Value(name="d", expr="1/2"),
        ],
        utility="1",
    )
    assert err.path == ("variables", "c", "chance", "a")
    assert "unknown name 'd'" in err.message


@pytest.mark.parametrize(
    ("utility", "expected"),
    [
        ("boxes", "unknown name 'boxes'"),
        ("box + tip", "unknown name 'tip'"),
    ],
)
def test_undefined_name_in_utility(utility: str, expected: str) -> None:
    err = raises(utility=utility)
    assert err.path == ("utility",)
    assert expected in err.message
    assert "known here: action, box, prediction, q" in err.message


def test_undefined_name_in_accuracy() -> None:
    err = raises(variables=[Prediction(name="prediction", accuracy="skill")], utility="1")
    assert err.path == ("variables", "prediction", "accuracy")
    assert "unknown name 'skill'" in err.message


@pytest.mark.parametrize(
    "variable",
    [
        Prediction(name="prediction", accuracy="1 if action == 'one_box' else 0"),
        Prediction(name="prediction", accuracy="action"),
    ],
)
def test_action_in_a_prediction_accuracy(variable: Prediction) -> None:
    err = raises(variables=[variable], utility="1")
    assert err.path == ("variables", "prediction", "accuracy")
    assert "'action' cannot be used here" in err.message


def test_action_in_a_correlate_or_prior() -> None:
    err = raises(
        actions=["smoke", "abstain"],
        variables=[
            Correlate(
                name="lesion",
                table=lesion_table(),
                prior={"yes": "1 if action == 'smoke' else 0", "no": "0"},
            )
        ],
        utility="1",
    )
    assert err.path == ("variables", "lesion", "prior", "yes")
    assert "'action' cannot be used here" in err.message


def test_values_and_chances_may_use_the_action() -> None:
    s = newcomb(
        variables=[
            Value(name="paid", expr="action == 'two_box'"),
            Chance(name="luck", outcomes={"win": "1/2 if paid else 1", "lose": "1/2 * paid"}),
        ],
        utility="paid + (luck == 'win')",
    )
    assert s.variable("paid").kind == "value"


def test_observing_an_undefined_variable() -> None:
    err = raises(observes=["bx"])
    assert err.path == ("observes", 0)
    assert "observes an undefined variable 'bx'" in err.message
    assert "(variables: prediction, box)" in err.message


def test_observing_a_variable_twice() -> None:
    err = raises(observes=["box", "box"])
    assert err.path == ("observes", 1)
    assert "'box' is listed twice" in err.message


@pytest.mark.parametrize(
    "variables",
    [
        [Value(name="paid", expr="action == 'two_box'")],
        # depends on the action through another variable
        [Value(name="paid", expr="action == 'two_box'"), Value(name="seen", expr="not paid")],
        [
            Chance(
                name="seen",
                outcomes={
                    "a": "1 if action == 'one_box' else 0",
                    "b": "0 if action == 'one_box' else 1",
                },
            )
        ],
    ],
)
def test_observing_a_variable_that_depends_on_the_action(variables: list[Any]) -> None:
    name = variables[-1].name
    err = raises(variables=variables, observes=[name], utility="1")
    assert err.path == ("observes", 0)
    assert f"cannot observe {name!r} before acting: it depends on the action" in err.message


def test_observing_a_prediction_is_fine() -> None:
    s = newcomb(observes=["box"])
    assert s.observes == ("box",)


def transparent(given: dict[str, Any], observes: list[str] | None = None) -> Scenario:
    return Scenario(
        name="Transparent Newcomb",
        actions=ACTIONS,
        variables=[
            Prediction(name="prediction", given=given),
            Value(name="box", expr="'full' if prediction == 'one_box' else 'empty'"),
        ],
        observes=["box"] if observes is None else observes,
        utility="1000000 * (box == 'full') + 1000 * (action == 'two_box')",
    )


def test_hypothetical_prediction_covers_the_observation() -> None:
    s = transparent({"box": "full"})
    prediction = s.variable("prediction")
    assert isinstance(prediction, Prediction)
    assert prediction.given == (("box", "full"),)


@pytest.mark.parametrize(
    ("given", "observes", "got"),
    [
        ({}, ["box"], "got none"),
        ({"bx": "full"}, ["box"], "got bx"),
        ({"box": "full", "prediction": "one_box"}, ["box"], "got box, prediction"),
        ({"box": "full"}, [], "got box"),
    ],
)
def test_hypothetical_prediction_must_cover_exactly_the_observed(
    given: dict[str, Any], observes: list[str], got: str
) -> None:
    with pytest.raises(ScenarioError) as info:
        transparent(given, observes)
    err = info.value
    assert err.path == ("variables", "prediction", "given")
    assert "must give a value for exactly the observed variables" in err.message
    assert got in err.message


def test_given_values_must_be_labels() -> None:
    with pytest.raises(ScenarioError) as info:
        Prediction(name="p", given={"box": 1.5})
    assert info.value.path == ("variables", "p", "given", "box")
    assert "expected a label" in info.value.message


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            {"smoke": {"yes": "9/10", "no": "1/10"}},
            "expected one row per action (missing: abstain)",
        ),
        (
            {**lesion_table(), "vape": {"yes": "1/2", "no": "1/2"}},
            "expected one row per action (unknown: vape)",
        ),
    ],
)
def test_correlate_table_must_have_one_row_per_action(
    table: dict[str, dict[str, str]], expected: str
) -> None:
    err = raises(
        actions=["smoke", "abstain"],
        variables=[Correlate(name="lesion", table=table, prior={"yes": "1/2", "no": "1/2"})],
        utility="1",
    )
    assert err.path == ("variables", "lesion", "correlate")
    assert expected in err.message


def test_correlate_rows_must_have_the_labels_of_the_prior() -> None:
    table = {"smoke": {"yes": "1"}, "abstain": {"yes": "1/2", "no": "1/2"}}
    err = raises(
        actions=["smoke", "abstain"],
        variables=[Correlate(name="lesion", table=table, prior={"yes": "1/2", "no": "1/2"})],
        utility="1",
    )
    assert err.path == ("variables", "lesion", "correlate", "smoke")
    assert "exactly the labels of the prior" in err.message


def test_correlate_needs_a_table() -> None:
    with pytest.raises(ScenarioError) as info:
        Correlate(name="lesion", table={}, prior={"yes": 1})
    assert info.value.path == ("variables", "lesion")
    assert "expected a table of P(value | act) for every action" in info.value.message


# -- variable-level validation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("1box", "must be an identifier"),
        ("my box", "must be an identifier"),
        ("_box", "must be an identifier"),
        ("if", "must be an identifier"),
        ("", "must be an identifier"),
        ("action", "variable name 'action' is reserved"),
        ("true", "is reserved"),
        ("min", "is reserved"),
    ],
)
def test_bad_variable_names(name: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as info:
        Value(name=name, expr="1")
    assert info.value.path == ("variables", name)
    assert expected in info.value.message


def test_non_string_variable_name() -> None:
    with pytest.raises(ScenarioError) as info:
        Value(name=3, expr="1")  # type: ignore[arg-type]
    assert info.value.path == ("variables",)
    assert "must be an identifier" in info.value.message


def test_not_a_variable() -> None:
    err = raises(variables=[Value(name="box", expr="1"), "prediction"], utility="box")
    assert err.path == ("variables", 1)
    assert (
        "expected a variable (Chance, Value, Prediction, Select, Correlate, Decide)" in err.message
    )


@pytest.mark.parametrize(
    ("make", "path", "expected"),
    [
        (
            lambda: Chance(name="c", outcomes={}),
            ("variables", "c", "chance"),
            "at least one outcome",
        ),
        (
            lambda: Chance(name="c", outcomes=[("a", "1/2"), ("a", "1/2")]),
            ("variables", "c", "chance"),
            "duplicate outcome 'a'",
        ),
        (
            lambda: Chance(name="c", outcomes={1.5: "1"}),
            ("variables", "c", "chance"),
            "expected a label (a string, true/false or an integer), got 1.5",
        ),
        (
            lambda: Chance(name="c", outcomes={"a": "p.real"}),
            ("variables", "c", "chance", "a"),
            "attribute access is not allowed",
        ),
        (lambda: Select(name="s", options=[]), ("variables", "s", "select"), "at least one option"),
        (
            lambda: Select(name="s", options=["a", "a"]),
            ("variables", "s", "select"),
            "duplicate option 'a'",
        ),
        (
            lambda: Select(name="s", options=[None]),
            ("variables", "s", "select"),
            "expected a label",
        ),
        (
            lambda: Value(name="v", expr="__import__('os')"),
            ("variables", "v", "value"),
            "calling '__import__' is not allowed",
        ),
        (
            lambda: Prediction(name="p", accuracy="lambda: 1"),
            ("variables", "p", "accuracy"),
            "lambda is not allowed",
        ),
        (
            lambda: Correlate(name="k", table={"a": {"x": 1}}, prior={}),
            ("variables", "k", "prior"),
            "at least one outcome",
        ),
    ],
)
def test_bad_variables(make: Any, path: tuple[str, ...], expected: str) -> None:
    with pytest.raises(ScenarioError) as info:
        make()
    assert info.value.path == path
    assert expected in info.value.message


def test_select_options_of_different_types() -> None:
    assert Select(name="s", options=[1, "1", False]).options == (1, "1", False)
    with pytest.raises(ScenarioError) as info:
        Select(name="s", options=[1, "1", True])
    assert info.value.message == "duplicate option True (equal to 1 in expressions)"


def test_error_str_names_the_key_path() -> None:
    err = raises(utility="box.real")
    assert str(err).startswith("<scenario>: utility: attribute access is not allowed")


# -- policies --------------------------------------------------------------------------------


def test_policy_of_pure_and_mixed_rules() -> None:
    policy = Policy.of(
        ["coincide"],
        {(True,): "two_box", (False,): {"one_box": "1/2", "two_box": "0.5"}},
    )
    assert policy.act({"coincide": True}) == {"two_box": Fraction(1)}
    assert policy.act((False,)) == {"one_box": Fraction(1, 2), "two_box": Fraction(1, 2)}
    assert not policy.is_pure
    assert Policy.of(["coincide"], {(True,): "two_box"}).is_pure


def test_policy_distinguishes_true_from_one() -> None:
    policy = Policy.of(["x"], {(1,): "a"})
    assert policy.act((1,)) == {"a": 1}
    with pytest.raises(KeyError):
        policy.act((True,))


def test_policy_drops_zero_probabilities() -> None:
    policy = Policy.of([], {(): {"a": 1, "b": 0}})
    assert policy.act(()) == {"a": Fraction(1)}
    assert policy.is_pure
