"""A predictor's accuracy per predicted act (issue 11, item 10).

``accuracy: {one_box: 99/100, two_box: 4/5}``: when the predictor's settled prediction is act a,
it is right with probability accuracy[a], and otherwise names each other action with probability
(1 − accuracy[a]) / (|actions| − 1). The expected numbers below are derived from that rule by
hand, never read off the engine; the metamorphic tests check that a mapping of equal values
means exactly what the plain accuracy means.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import newcomb
from newcomb import FDT, Model, Prediction, Scenario, ScenarioError, analyse, dumps, loads
from newcomb.check import check
from newcomb.cli import app
from newcomb.io import from_dict, to_dict
from newcomb.query import Query, expected_utility, value
from newcomb.schema import scenario_schema
from newcomb.series import Eps
from newcomb.testing import policies_of, rename, scenarios
from newcomb.theories.ratify import ratifiable_pure
from newcomb.world import Rule, pure
from tests.test_properties import Brute, all_pure, close, sigma_map

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
PREDICTING = [
    p for p in SCENARIOS if any(isinstance(v, Prediction) for v in newcomb.load(p).variables)
]
runner = CliRunner()

RULES: tuple[Rule, ...] = ("fail", "random", "retry")
HOWS: tuple[Query, ...] = ("intervene", "condition")
M, K = 1_000_000, 1_000  # the big box and the small one in Newcomb's problem

NEWCOMB = """
newcomb: 1
name: Newcomb's problem, a predictor with errors per act
actions: [one_box, two_box]
variables:
  prediction:
    predicts: action
    accuracy: ACCURACY
  box: {value: "'full' if prediction == 'one_box' else 'empty'"}
utility: 1000000*(box == 'full') + 1000*(action == 'two_box')
"""

TRANSPARENT = """
newcomb: 1
name: Transparent Newcomb, a predictor with errors per act
actions: [one_box, two_box]
variables:
  prediction:
    predicts: action
    given: {box: full}
    accuracy: ACCURACY
  box: {value: "'full' if prediction == 'one_box' else 'empty'"}
observes: [box]
utility: 1000000*(box == 'full') + 1000*(action == 'two_box')
"""


def with_accuracy(text: str, one: object, two: object, parameters: str = "") -> Scenario:
    text = text.replace("ACCURACY", f"{{one_box: {one}, two_box: {two}}}")
    return loads(text + (f"parameters: {parameters}\n" if parameters else ""), file="t.yaml")


def per_act(s: Scenario) -> Scenario:
    """``s`` with every prediction's accuracy written per act, the same value for each act."""
    data = to_dict(s)
    for spec in data["variables"].values():
        if "predicts" in spec:
            spec["accuracy"] = {a: spec["accuracy"] for a in data["actions"]}
    return from_dict(data)


def fdt_policies(model: Model) -> list[tuple[int, ...]]:
    return [tuple(row.index(1) for row in pi) for pi in policies_of(model, FDT().decide(model))]


# -- the model ------------------------------------------------------------------------------------


def test_accuracy_for_each_act() -> None:
    s = with_accuracy(NEWCOMB, "99/100", "4/5")
    p = s.variable("prediction")
    assert isinstance(p, Prediction)
    assert p.per_act
    assert p.accuracy_for("one_box")({}) == Fraction(99, 100)
    assert p.accuracy_for("two_box")({}) == Fraction(4, 5)
    assert [e.source for e in p.expressions()] == ["99/100", "4/5"]
    plain = Prediction(name="prediction", accuracy="q")
    assert not plain.per_act
    assert plain.accuracy_for("one_box") is plain.accuracy_for("two_box") is plain.accuracy


def test_the_python_constructor_takes_a_mapping() -> None:
    p = Prediction(name="guess", accuracy={"stay": 1, "flee": "3/4"})
    assert p.per_act and p.accuracy_for("flee")({}) == Fraction(3, 4)
    assert p.accuracy_for("flee").path == ("variables", "guess", "accuracy", "flee")
    # a mapping with the key lookup is a table expression, as before
    t = Prediction(name="guess", accuracy={"lookup": ["x"], "table": {"a": 1}, "default": 0})
    assert not t.per_act


def test_round_trip_keeps_the_mapping() -> None:
    s = with_accuracy(NEWCOMB, "99/100", "4/5")
    text = dumps(s)
    assert "one_box: 99/100" in text and "two_box: 4/5" in text
    assert loads(text) == s


def test_the_schema_accepts_the_mapping() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    data = to_dict(with_accuracy(NEWCOMB, "99/100", "4/5"))
    jsonschema.validate(data, scenario_schema())
    data["variables"]["prediction"]["accuracy"] = {"one_box": [1], "two_box": 1}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, scenario_schema())


# -- equal values mean the plain accuracy ---------------------------------------------------------


@pytest.mark.parametrize("path", PREDICTING, ids=[p.stem for p in PREDICTING])
def test_equal_values_give_the_same_report(path: Path) -> None:
    """Values, policies, consistency, everything in the JSON report, on both paths."""
    s = newcomb.load(path)
    mapped = per_act(s)
    assert any(isinstance(v, Prediction) and v.per_act for v in mapped.variables)
    assert analyse(mapped).to_json() == analyse(s).to_json()
    assert analyse(mapped, exhaustive=True).to_json() == analyse(s, exhaustive=True).to_json()


@pytest.mark.parametrize(
    "name", ["newcomb", "transparent_newcomb", "parfits_hitchhiker", "twin_prisoners_dilemma"]
)
def test_equal_values_give_the_same_formulas_and_thresholds(name: str) -> None:
    s = newcomb.load(ROOT / "scenarios" / f"{name}.yaml")
    got = analyse(per_act(s), symbols=["q"]).to_json()
    assert got == analyse(s, symbols=["q"]).to_json()
    assert any(t.get("thresholds") for t in got["theories"])


# -- exact values, derived by hand ----------------------------------------------------------------


def test_newcomb_with_errors_per_act() -> None:
    """Right 99/100 on one-boxers, 4/5 on two-boxers. One-boxing: predicted one_box, right with
    99/100 (full box), else empty. Two-boxing: predicted two_box, right with 4/5 (empty box,
    K), else full (M + K)."""
    q1, q2 = Fraction(99, 100), Fraction(4, 5)
    v_one = q1 * M + (1 - q1) * 0
    v_two = q2 * K + (1 - q2) * (M + K)
    for exhaustive in (False, True):
        model = Model(with_accuracy(NEWCOMB, q1, q2), exhaustive=exhaustive)
        one, two = model.actions.index("one_box"), model.actions.index("two_box")
        assert value(model, pure((one,), 2)) == v_one
        assert value(model, pure((two,), 2)) == v_two
        # EDT conditions on the act: the same two numbers
        for act, want in ((one, v_one), (two, v_two)):
            for pi in (pure((one,), 2), pure((two,), 2)):
                assert expected_utility(model, pi, 0, act, how="condition") == want
        # CDT keeps the prediction of its own policy: against two-boxing, P(full) = 1 − q2
        against_two = pure((two,), 2)
        assert expected_utility(model, against_two, 0, one, how="intervene") == (1 - q2) * M
        assert expected_utility(model, against_two, 0, two, how="intervene") == (1 - q2) * M + K
        against_one = pure((one,), 2)
        assert expected_utility(model, against_one, 0, two, how="intervene") == q1 * M + K
    report = analyse(with_accuracy(NEWCOMB, q1, q2))
    got = {t.theory: [(str(p.policy), p.value) for p in t.policies] for t in report.theories}
    assert got == {
        "CDT": [("two_box", v_two)],
        "EDT": [("one_box", v_one)],
        "FDT": [("one_box", v_one)],
    }


def test_transparent_newcomb_with_errors_per_act() -> None:
    """The prediction asks what the agent does on a full box; its accuracy is that of the act
    the policy takes there. Policies (act on full, act on empty):
    (one, ·): full with q1; (two, ·): full only by error, with 1 − q2."""
    q1, q2 = Fraction(9, 10), Fraction(3, 5)
    want = {
        ("one_box", "two_box"): q1 * M + (1 - q1) * K,
        ("one_box", "one_box"): q1 * M,
        ("two_box", "two_box"): q2 * K + (1 - q2) * (M + K),
        ("two_box", "one_box"): (1 - q2) * (M + K),
    }
    for exhaustive in (False, True):
        model = Model(with_accuracy(TRANSPARENT, q1, q2), exhaustive=exhaustive)
        full = model.observations.index(("full",))
        for (on_full, on_empty), v in want.items():
            sigma = [0, 0]
            sigma[full] = model.actions.index(on_full)
            sigma[1 - full] = model.actions.index(on_empty)
            assert value(model, pure(sigma, 2)) == v, (on_full, on_empty)
        best = max(want, key=lambda k: want[k])
        assert [
            tuple(model.actions[a] for a in (s[full], s[1 - full])) for s in fdt_policies(model)
        ] == [best]


def test_an_accuracy_of_one_for_one_act_is_the_limit() -> None:
    """{one_box: 1, two_box: 1/2} in transparent Newcomb: one-boxing on the full box is predicted
    with accuracy 1 − ε, so the empty box is seen only with probability ε. The two policies that
    one-box on a full box tie at ε = 0 and the ε term decides: two-box on the empty box."""
    model = Model(with_accuracy(TRANSPARENT, 1, "1/2"))
    full = model.observations.index(("full",))
    one, two = model.actions.index("one_box"), model.actions.index("two_box")

    def policy(on_full: int, on_empty: int) -> tuple[int, int]:
        return (on_full, on_empty) if full == 0 else (on_empty, on_full)

    a = value(model, pure(policy(one, two), 2))
    b = value(model, pure(policy(one, one), 2))
    assert isinstance(a, Eps) and isinstance(b, Eps)
    assert a.c[:2] == (Fraction(M), Fraction(-(M - K)))  # (1 − ε)·M + ε·K
    assert b.c[:2] == (Fraction(M), Fraction(-M))  # (1 − ε)·M + ε·0
    assert fdt_policies(model) == [policy(one, two)]
    # the other way round: two_box predicted perfectly, one_box with 1/2
    model = Model(with_accuracy(NEWCOMB, "1/2", 1))
    v_two = value(model, pure((model.actions.index("two_box"),), 2))
    assert isinstance(v_two, Eps) and v_two.c[:2] == (
        Fraction(K),
        Fraction(M),
    )  # (1 − ε)·K + ε·(M + K)
    assert value(model, pure((model.actions.index("one_box"),), 2)) == Fraction(M, 2)


def test_three_actions_share_the_error_uniformly() -> None:
    """With three acts, a wrong prediction of act a names each other act with (1 − q_a)/2."""
    s = loads(
        """
newcomb: 1
name: three acts
actions: [a, b, c]
variables:
  guess: {predicts: action, accuracy: {a: 1/2, b: 1/4, c: 0}}
utility: "10 * (guess == 'a') + 100 * (guess == 'b') + 1000 * (guess == 'c')"
""",
        file="t.yaml",
    )
    for exhaustive in (False, True):
        model = Model(s, exhaustive=exhaustive)
        u = {"a": 10, "b": 100, "c": 1000}
        q = {"a": Fraction(1, 2), "b": Fraction(1, 4), "c": Fraction(0)}
        for i, act in enumerate(model.actions):
            want = q[act] * u[act] + sum((1 - q[act]) / 2 * u[b] for b in u if b != act)
            assert value(model, pure((i,), 3)) == want, act


def test_an_act_s_accuracy_may_read_a_draw() -> None:
    """One-boxers are read well on good days (9/10) and badly on bad ones (1/2), two-boxers
    with 4/5 every day; a day is good with probability 1/2."""
    text = NEWCOMB.replace(
        "variables:\n", "variables:\n  day: {chance: {good: 1/2, bad: 1/2}}\n"
    ).replace("ACCURACY", "{one_box: \"9/10 if day == 'good' else 1/2\", two_box: 4/5}")
    half, q2 = Fraction(1, 2), Fraction(4, 5)
    for exhaustive in (False, True):
        model = Model(loads(text, file="t.yaml"), exhaustive=exhaustive)
        one, two = model.actions.index("one_box"), model.actions.index("two_box")
        assert value(model, pure((one,), 2)) == half * Fraction(9, 10) * M + half * half * M
        assert value(model, pure((two,), 2)) == q2 * K + (1 - q2) * (M + K)


def test_a_parameter_in_one_act_gives_formulas_and_thresholds() -> None:
    """--symbolic q with {one_box: q, two_box: 4/5}: FDT's value of one-boxing is M·q, of
    two-boxing 4/5·K + 1/5·(M + K), so FDT switches at q = (4/5·K + 1/5·(M + K)) / M."""
    s = with_accuracy(NEWCOMB, "q", "4/5", "{q: 99/100}")
    data = analyse(s, symbols=["q"]).to_json()
    fdt = next(t for t in data["theories"] if t["theory"] == "FDT")
    switch = (Fraction(4, 5) * K + Fraction(1, 5) * (M + K)) / M
    assert fdt["thresholds"]["points"] == [str(switch)]
    assert fdt["formula"] == {rule: "1000000*q" for rule in ("fail", "random", "retry")}
    # outside [0, 1] the accuracy of one-boxing is invalid: those regions are marked so
    regions = fdt["thresholds"]["regions"]
    assert [r["valid"] for r in regions] == [False, True, True, True, False]
    assert (regions[0]["to"], regions[-1]["from"]) == ("0", "1")


# -- generated scenarios ---------------------------------------------------------------------------


per_act_scenarios = st.one_of(
    scenarios(per_act_accuracy=True),
    scenarios(per_act_accuracy=True, require_prediction=True, min_observed=2),
)


@given(s=per_act_scenarios)
def test_value_agrees_with_brute_force(s: Scenario) -> None:
    """V(σ) of every pure policy under every rule, on the compiled and the exhaustive path,
    against the brute force of tests/test_properties.py (which reads each act's accuracy)."""
    fast, slow = Model(s), Model(s, exhaustive=True)
    brute = Brute(s)
    n = len(s.actions)
    for sigma in all_pure(fast):
        for rule in ("fail", "random", "retry"):
            got = value(fast, pure(sigma, n), rule)
            assert got == value(slow, pure(sigma, n), rule)
            want = brute.value(sigma_map(fast, sigma), rule)
            assert close(got, want), f"V({sigma}) under {rule}: engine {got}, brute {want}"


def findings(model: Model) -> tuple[object, ...]:
    """What the theories find on ``model``: FDT's policies and CDT's and EDT's ratifiable pure
    policies (with their counts), each found policy's value under every rule, and its paradox
    probability and best accuracy."""
    found = [FDT().decide(model), *(ratifiable_pure(model, how) for how in HOWS)]
    out: list[object] = [(d.policies, d.total) for d in found]
    for d in found:
        for pi in d.policies:
            out.append([model.mixed_summary(pi).value(rule) for rule in RULES])
            c = check(model, pi)
            out.append((c.paradox, c.paradox_probability, c.best_accuracy))
    return tuple(out)


@given(s=per_act_scenarios)
def test_theories_agree_on_both_paths(s: Scenario) -> None:
    assert findings(Model(s)) == findings(Model(s, exhaustive=True))


@given(s=st.one_of(scenarios(), scenarios(require_prediction=True, min_observed=2)))
def test_equal_values_change_nothing_on_generated_scenarios(s: Scenario) -> None:
    """The plain accuracy written as a mapping of equal values: every pure policy's value,
    exactly (ε orders included), and every finding."""
    plain, mapped = Model(s), Model(per_act(s))
    n = len(s.actions)
    for sigma in all_pure(plain):
        for rule in RULES:
            a, b = value(plain, pure(sigma, n), rule), value(mapped, pure(sigma, n), rule)
            assert repr(a) == repr(b), (sigma, rule)
    assert findings(plain) == findings(mapped)


@given(s=per_act_scenarios)
def test_yaml_round_trip_and_renaming(s: Scenario) -> None:
    assert loads(dumps(s)) == s
    names = {a: f"act_{i}" for i, a in enumerate(s.actions)}
    renamed = rename(s, names={}, strings=names)
    for v, w in zip(s.variables, renamed.variables, strict=True):
        if isinstance(v, Prediction) and v.per_act:
            assert isinstance(w, Prediction)
            for a in s.actions:
                got = w.accuracy_for(names[a])(dict(renamed.parameters))
                assert got == v.accuracy_for(a)(dict(s.parameters))


# -- mistakes --------------------------------------------------------------------------------------


BAD = sorted((ROOT / "tests" / "bad").glob("accuracy_per_act_*.yaml"))


def test_there_are_bad_files() -> None:
    assert {p.stem for p in BAD} >= {
        "accuracy_per_act_missing",
        "accuracy_per_act_unknown",
        "accuracy_per_act_list",
        "accuracy_per_act_key",
    }


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_files_exit_2_with_one_line(path: Path) -> None:
    text = path.read_text()
    expect = dict(
        line[2:].split(": ", 1) for line in text.splitlines() if line.startswith("# expect-")
    )
    line = next(i for i, x in enumerate(text.splitlines(), 1) if x.endswith("# <-- here"))
    r = runner.invoke(app, ["check", str(path)])
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.startswith(f"error: {path}:{line}:")
    assert f": {expect['expect-path']}: {expect['expect-message']}" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("one", "two", "args", "message"),
    [
        ("99/100", "5/4", [], "expected an accuracy in [0, 1], got 5/4"),
        ("99/100", "-1", [], "expected an accuracy in [0, 1], got -1"),
        ("99/100", "\"'high'\"", [], "expected an accuracy in [0, 1], got 'high'"),
        ("99/100", "q", ["--set", "q=3/2"], "expected an accuracy in [0, 1], got 3/2"),
    ],
)
def test_values_are_checked_where_a_plain_accuracy_is(
    tmp_path: Path, one: str, two: str, args: list[str], message: str
) -> None:
    f = tmp_path / "bad.yaml"
    body = NEWCOMB.replace("ACCURACY", "") + "parameters: {q: 1/2}\n"
    body = body.replace(
        "    accuracy: \n", f"    accuracy:\n      one_box: {one}\n      two_box: {two}\n"
    )
    f.write_text(body)
    line = next(i for i, x in enumerate(body.splitlines(), 1) if x.startswith("      two_box:"))
    r = runner.invoke(app, ["check", str(f), *args])
    assert r.exit_code == 2
    assert r.stdout == ""
    column = len("      two_box: ") + 1  # the value
    assert r.stderr.startswith(
        f"error: {f}:{line}:{column}: variables.prediction.accuracy.two_box: "
    )
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_the_python_api_names_the_key() -> None:
    with pytest.raises(ScenarioError) as info:
        Scenario(
            name="x",
            actions=["stay", "flee"],
            variables=[Prediction(name="book", accuracy={"stay": 1, "flea": 1})],
            utility=0,
        )
    assert info.value.path == ("variables", "book", "accuracy", "flea")
    assert "did you mean 'flee'?" in str(info.value)


def test_an_accuracy_may_not_read_what_the_predictor_settles() -> None:
    other = "{one_box: 1, two_box: \"1 if prediction == 'one_box' else 0\"}"
    text = NEWCOMB.replace("ACCURACY", "1").replace(
        "  box:", f"  other: {{predicts: action, accuracy: {other}}}\n  box:"
    )
    with pytest.raises(ScenarioError) as info:
        Model(loads(text, file="t.yaml"))
    assert info.value.path == ("variables", "other", "accuracy", "two_box")
    assert "an accuracy may depend only on parameters" in str(info.value)
