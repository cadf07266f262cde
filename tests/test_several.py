"""Several decision points, imperfect recall and self-locating belief (issue 11).

Expected numbers are worked out by hand here (the driver's equilibria solve quadratics), never
read off the engine; the property tests compare the several-decision engine with the
one-decision engine on the same problem, and FDT's exact optimum with a grid of policies.
"""

from __future__ import annotations

import itertools
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import newcomb
from newcomb.cli import app
from newcomb.errors import ScenarioError
from newcomb.io import loads as from_yaml_text
from newcomb.several import SeveralReport, analyse_several
from newcomb.theories import recall, simplex
from newcomb.visits import Tree

ROOT = Path(__file__).resolve().parent.parent
SEVERAL = ROOT / "scenarios" / "several"


def load(name: str) -> newcomb.Scenario:
    return newcomb.load(SEVERAL / f"{name}.yaml")


def rows(r: SeveralReport, theory: str) -> list[Any]:
    t = next(t for t in r.theories if t.theory == theory)
    return [p.rows for p in t.policies]


def continue_probability(r: SeveralReport, theory: str) -> Any:
    (only,) = rows(r, theory)
    return sympy.sympify(only[0][1])


# -- the absent-minded driver ------------------------------------------------------------------


def test_driver_every_default_theory_continues_with_two_thirds_worth_four_thirds() -> None:
    r = analyse_several(load("absent_minded_driver"))
    for t in r.theories:
        (p,) = t.policies
        assert p.rows == ((Fraction(1, 3), Fraction(2, 3)),), t.theory
        assert p.value == Fraction(4, 3) and p.optimal is True
    assert r.optimum == Fraction(4, 3)


def test_driver_under_the_other_two_pairings_settles_at_the_irrational_points() -> None:
    # EDT + GT: EU(s) = 2s(4 - 3s)/(1 + s), maximal where 3s^2 + 6s - 4 = 0
    third = analyse_several(load("absent_minded_driver"), self_locating="thirding")
    s = continue_probability(third, "EDT")
    assert sympy.simplify(s - (sympy.sqrt(21) / 3 - 1)) == 0
    assert continue_probability(third, "CDT") == sympy.Rational(2, 3)
    # CDT + GDH: (1 - p/2)(4 - 3p) + p/2 = 2p, i.e. 3p^2 - 13p + 8 = 0
    half = analyse_several(load("absent_minded_driver"), self_locating="halving")
    p = continue_probability(half, "CDT")
    assert sympy.simplify(p - (13 - sympy.sqrt(73)) / 6) == 0
    assert continue_probability(half, "EDT") == sympy.Rational(2, 3)
    (cdt,) = next(t for t in half.theories if t.theory == "CDT").policies
    assert cdt.optimal is False and simplex.sign(cdt.value - Fraction(4, 3)) < 0


def test_three_exit_driver_has_a_kkt_point_that_is_not_optimal() -> None:
    text = """
newcomb: 1
name: three exits
actions: [exit, continue]
variables:
  x1: {decide: road}
  x2: {decide: road, when: "x1 == 'continue'"}
  x3: {decide: road, when: "x2 == 'continue'"}
utility: "27 if x3 == 'exit' else 0"
"""
    r = analyse_several(from_yaml_text(text))
    # V(p) = 27 p^2 (1 - p): optimum p = 2/3, V = 4
    assert r.optimum == 4
    cdt = next(t for t in r.theories if t.theory == "CDT")
    found = {p.rows[0][1]: p.optimal for p in cdt.policies}
    assert found[Fraction(0)] is False  # always exit: a KKT point of V worth 0
    fdt = next(t for t in r.theories if t.theory == "FDT")
    assert [p.rows for p in fdt.policies] == [((Fraction(1, 3), Fraction(2, 3)),)]


# -- the other problems ----------------------------------------------------------------------------


@pytest.mark.parametrize(("x", "y"), [(1, 1), (1, 3), (2, 3), (1, Fraction(5, 2)), (3, 7)])
def test_sleeping_beauty_bets_iff_twice_the_win_beats_the_loss(x: Any, y: Any) -> None:
    r = analyse_several(load("sleeping_beauty").with_parameters(x=x, y=y))
    want = "bet" if 2 * x > y else "pass"
    for t in r.theories:
        (p,) = t.policies
        (row,) = p.rows
        assert row[r.tree.slots[0].actions.index(want)] == 1, (t.theory, x, y)


def test_pledge_cdt_pays_for_the_pledge_edt_and_fdt_one_box_without_it() -> None:
    r = analyse_several(load("pledge_newcomb"))
    slots = [str(s) for s in r.tree.slots]
    for theory, pledge, value in (
        ("CDT", "pledge", 999000),
        ("EDT", "no_pledge", 1000000),
        ("FDT", "no_pledge", 1000000),
    ):
        (p,) = next(t for t in r.theories if t.theory == theory).policies
        policy = dict(zip(slots, r.policy_text(p.rows), strict=True))
        assert policy["market"] == f"market → {pledge}", theory
        assert p.value == value
        assert p.optimal is (theory != "CDT")


def test_omega_running_a_copy_makes_every_theory_one_box() -> None:
    r = analyse_several(load("newcomb_copy"))
    for t in r.theories:
        assert [p.rows for p in t.policies] == [((Fraction(1), Fraction(0)),)], t.theory
        assert t.policies[0].value == 1000000


@pytest.mark.parametrize("rule", recall.SELF_LOCATING)
def test_the_remembering_driver_is_the_same_under_every_pairing(rule: str) -> None:
    r = analyse_several(load("remembering_driver"), self_locating=rule)
    for t in r.theories:
        (p,) = t.policies
        assert p.value == 4 and p.optimal, (rule, t.theory)


def test_procreation_every_theory_procreates_and_the_value_given_existence() -> None:
    r = analyse_several(load("procreation"))
    for t in r.theories:
        (p,) = t.policies
        assert p.rows == ((Fraction(1), Fraction(0)),) and p.value == 1
        ((visited, given_visit),) = p.by_slot
        assert visited == 1 and given_visit == 1


# -- CLI and JSON --------------------------------------------------------------------------------


def test_check_json_names_each_rule_s_decision() -> None:
    res = CliRunner().invoke(app, ["check", str(SEVERAL / "pledge_newcomb.yaml"), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["self_locating"] == "default" and data["ex_ante_optimum"] == "1000000"
    cdt = next(t for t in data["theories"] if t["theory"] == "CDT")
    assert cdt["credence"] == "GT"
    (plan,) = cdt["policies"]
    assert {r["decision"] for r in plan["policy"]} == {"market", "boxes"}
    assert plan["ex_ante_optimal"] is False and plan["value"] == "999000"


def test_self_locating_must_be_a_known_rule() -> None:
    res = CliRunner().invoke(
        app, ["check", str(SEVERAL / "absent_minded_driver.yaml"), "--self-locating", "x"]
    )
    assert res.exit_code == 2
    assert "--self-locating: expected one of default, thirding, halving" in res.stderr


BASE = """
newcomb: 1
name: t
actions: [a, b]
variables:
  c: {chance: {h: 1/2, t: 1/2}}
"""


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ("  d: {decide: I}\nutility: \"action == 'a'\"\n", "'action' cannot be used here"),
        ("  d: {decide: I}\nobserves: [c]\nutility: 1\n", "no top-level observes"),
        ("  d: {decide: I}\n  p: {predicts: e}\nutility: 1\n", "not a decision point"),
        (
            "  d: {decide: I}\n  e: {decide: I, observes: [c]}\nutility: 1\n",
            "share the information set 'I'",
        ),
        ("  d: {decide: I, observes: [z]}\nutility: 1\n", "not an earlier variable"),
        ("  s: {select: [x, y]}\n  d: {decide: I}\nutility: 1\n", "not supported yet"),
        ("  d: {decide: I}\nutility: \"d == 'c'\"\n", "'c'"),
    ],
)
def test_mistakes_in_decision_points_are_one_line_each(extra: str, words: str) -> None:
    with pytest.raises(ScenarioError) as info:
        from_yaml_text(BASE + extra)
    assert words in str(info.value)


# -- properties --------------------------------------------------------------------------------


@st.composite
def one_point(draw: Any) -> tuple[str, str]:
    """A problem with one decision, written twice: with ``action`` and with a decide point.
    The prediction is self-referential or of a stated observation, of accuracy 9/10 or 1 (then
    1 - ε in both engines), the agent sees the chance, the prediction or nothing, and the
    predictor meets a paradox by any of the three rules."""
    p = draw(st.sampled_from(["1/2", "1/3", "3/4"]))
    selfref = draw(st.booleans())
    sees = draw(st.sampled_from(["c", "guess", ""] if selfref else ["c", ""]))
    accuracy = draw(st.sampled_from(["9/10", "1"]))
    rule = draw(st.sampled_from(["fail", "random", "retry"]))
    pays = [draw(st.integers(-5, 9)) for _ in range(8)]
    given = "" if selfref else ", given: {c: h}" if sees == "c" else ", given: {}"
    pred = "{predicts: %s, accuracy: " + accuracy + given + "}"
    table = " + ".join(
        f"{u} * (c == '{c}' and guess == '{g}' and ACT == '{a}')"
        for u, (c, g, a) in zip(pays, itertools.product("ht", "ab", "ab"), strict=True)
    )
    head = (
        "newcomb: 1\nname: g\nactions: [a, b]\nvariables:\n"
        f"  c: {{chance: {{h: {p}, t: 1 - {p}}}}}\n"
    )
    tail = f"predictor: {{on_paradox: {rule}}}\n"
    one = (
        head
        + f"  guess: {pred % 'action'}\n"
        + (f"observes: [{sees}]\n" if sees else "")
        + f'utility: "{table.replace("ACT", "action")}"\n'
        + tail
    )
    several = (
        head
        + f"  guess: {pred % 'act'}\n  act: {{decide: I, observes: [{sees}]}}\n"
        + f'utility: "{table.replace("ACT", "act")}"\n'
        + tail
    )
    return one, several


def _pure(old: Any, theory: str) -> set[tuple[Any, ...]] | None:
    """A one-decision theory's pure policies as (observation, act) pairs (None if mixed)."""
    t = next(t for t in old.theories if t.theory == theory)
    if not all(p.policy.is_pure for p in t.policies):
        return None
    return {
        tuple(sorted(((obs, dist[0][0]) for obs, dist in p.policy.rules), key=str))
        for p in t.policies
    }


def _rules(new: SeveralReport, theory: str) -> set[tuple[Any, ...]]:
    t = next(t for t in new.theories if t.theory == theory)
    return {
        tuple(
            sorted(
                (
                    (s.observation, s.actions[row.index(1)])
                    for s, row in zip(new.tree.slots, p.rows, strict=True)
                ),
                key=str,
            )
        )
        for p in t.policies
        if all(x in (0, 1) for x in itertools.chain(*p.rows))
    }


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one_point())
def test_one_decision_point_agrees_with_the_one_decision_engine(texts: tuple[str, str]) -> None:
    from newcomb.series import leading as at_epsilon_zero

    one, several = (from_yaml_text(t) for t in texts)
    old = newcomb.analyse(one)
    fdt_old = next(t for t in old.theories if t.theory == "FDT")
    for rule in recall.SELF_LOCATING:
        new = analyse_several(several, self_locating=rule)
        fdt_new = next(t for t in new.theories if t.theory == "FDT")
        if fdt_old.policies:
            assert new.optimum == at_epsilon_zero(fdt_old.policies[0].value), rule
            assert _rules(new, "FDT") == _pure(old, "FDT"), rule  # ε breaks the same ties
        else:
            assert not fdt_new.policies
        for theory in ("CDT", "EDT"):
            want = _pure(old, theory)
            if want is not None:  # (mixed equilibria are held to the engine's own tests)
                assert _rules(new, theory) == want, (theory, rule)


@st.composite
def repeated(draw: Any) -> str:
    """An absent-minded driver with random payoffs and two or three intersections."""
    from benchmarks.several import driver_text

    n = draw(st.integers(2, 3))
    return driver_text([draw(st.integers(0, 9)) for _ in range(n + 1)])


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(repeated())
def test_fdt_optimum_beats_a_grid_and_cdt_gt_points_are_kkt_points(text: str) -> None:
    s = from_yaml_text(text)
    tree = Tree(s)
    r = analyse_several(s)
    for k in range(0, 41):
        q = Fraction(k, 40)
        v = recall.value(tree, ((1 - q, q),), "fail")
        assert simplex.sign(r.optimum - v) >= 0
    x = sympy.Symbol("x")
    v = sympy.expand(recall.value(tree, ((1 - x, x),), "fail"))
    for p in next(t for t in r.theories if t.theory == "CDT").policies:
        q = sympy.sympify(p.rows[0][1])
        d = sympy.diff(v, x).subs(x, q)  # dV/d(continue) along the simplex
        if 0 < q < 1:
            assert simplex.sign(d) == 0
        elif q == 0:
            assert simplex.sign(d) <= 0
        else:
            assert simplex.sign(d) >= 0


@pytest.mark.parametrize(
    "command",
    [
        ["simulate"],
        ["sweep", "--param", "a=0:1:3"],
        ["phase", "--x", "a=0:1:3", "--y", "b=0:1:3"],
    ],
)
def test_commands_other_than_check_refuse_decision_points_in_one_line(command: list[str]) -> None:
    f = str(SEVERAL / "absent_minded_driver.yaml")
    res = CliRunner().invoke(app, [command[0], f, *command[1:]])
    assert res.exit_code == 2
    assert res.stderr.count("\n") == 1 and f in res.stderr
    assert "decision points (decide variables)" in res.stderr


def test_errors_per_act_name_the_predicted_point_s_own_actions() -> None:
    text = (SEVERAL / "pledge_newcomb.yaml").read_text()
    per_act = text.replace("accuracy: 1}", "accuracy: {one_box: 1, two_box: 1}}")
    assert per_act != text
    r = analyse_several(from_yaml_text(per_act))
    assert [t.policies[0].value for t in r.theories] == [999000, 1000000, 1000000]
    with pytest.raises(ScenarioError) as info:  # the scenario's own actions are not the point's
        from_yaml_text(text.replace("accuracy: 1}", "accuracy: {pledge: 1, no_pledge: 1}}"))
    assert "accuracy" in str(info.value)


def test_explain_gives_each_visit_s_credence_and_eu_adding_up_to_the_act_s_eu() -> None:
    res = CliRunner().invoke(
        app,
        [
            "explain",
            str(SEVERAL / "absent_minded_driver.yaml"),
            "--theory",
            "CDT",
            "--self-locating",
            "thirding",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    (plan,) = json.loads(res.stdout)["policies"]
    (slot,) = plan["slots"]
    # GT at p = 2/3: B(first) = 1/(1 + p) = 3/5; do(exit) pays 0 at the first, 4 at the second;
    # do(continue) pays p·1 + (1 - p)·4 = 2 at the first and 1 at the second
    want = {
        "exit": ("8/5", [("3/5", "0"), ("2/5", "4")]),
        "continue": ("8/5", [("3/5", "2"), ("2/5", "1")]),
    }
    for act in slot["acts"]:
        eu, visits = want[act["action"]]
        assert act["eu"] == eu
        assert [(v["credence"], v["eu"]) for v in act["visits"]] == visits


def test_explain_at_a_slot_never_reached_takes_the_tremble_limit() -> None:
    r = analyse_several(load("pledge_newcomb"))
    from newcomb.several import explain_several

    ((_, slots),) = explain_several(r, "CDT")
    unreached = next(s for s in slots if s.observation == {"commit": "no_pledge"})
    eus = {a.action: a.eu for a in unreached.acts}
    assert eus == {"one_box": 0, "two_box": 1000}  # the prediction stays: two-boxing adds 1000


def test_graph_draws_each_decision_point_and_what_predicts_it() -> None:
    res = CliRunner().invoke(app, ["graph", str(SEVERAL / "pledge_newcomb.yaml")])
    assert res.exit_code == 0, res.output
    assert 'v_take [shape=box, label="take\\ndecision boxes: one_box | two_box"]' in res.stdout
    assert 'v_take -> v_prediction [style=dashed, label="predicts"]' in res.stdout
    assert "v_commit -> v_take;" in res.stdout  # what the agent sees at the boxes
    assert "d_action" not in res.stdout  # no implicit decision


@st.composite
def two_points(draw: Any) -> tuple[str, bool]:
    """Two decision points, a chance variable and a prediction of the second point; the points
    share an information set (imperfect recall) or not. Returns the file and whether they
    share it."""
    shared = draw(st.booleans())
    p = draw(st.sampled_from(["1/2", "1/3"]))
    q = draw(st.sampled_from(["1", "9/10"]))
    sees = "[]" if shared else draw(st.sampled_from(["[c]", "[one]", "[]"]))
    first_sees = sees if shared else draw(st.sampled_from(["[c]", "[]"]))
    reached = draw(st.sampled_from(["", ", when: \"one == 'a'\""]))
    selfref = draw(st.booleans()) and not reached
    second_obs = {"[]": "{}", "[c]": "{c: {expr: c}}", "[one]": "{one: {expr: one}}"}[sees]
    given = "" if selfref else f", given: {second_obs}"
    pays = [draw(st.integers(-4, 9)) for _ in range(8)]
    terms = " + ".join(
        f"{u} * (c == '{c}' and g == '{x}' and two == '{y}')"
        for u, (c, x, y) in zip(pays, itertools.product("ht", "ab", "ab"), strict=True)
    )
    extra = draw(st.integers(-3, 3))
    text = (
        "newcomb: 1\nname: g\nactions: [a, b]\nvariables:\n"
        f"  c: {{chance: {{h: {p}, t: 1 - {p}}}}}\n"
        f"  one: {{decide: {'I' if shared else 'J'}, observes: {first_sees}}}\n"
        f"  g: {{predicts: two, accuracy: {q}{given}}}\n"
        f"  two: {{decide: I, observes: {sees}{reached}}}\n"
        f"utility: \"{terms} + {extra} * (one == 'b')\"\n"
    )
    return text, shared


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_points())
def test_two_points_fast_and_exhaustive_agree_and_without_imperfect_recall_so_do_the_pairings(
    case: tuple[str, bool],
) -> None:
    text, shared = case
    try:
        s = from_yaml_text(text)
    except ScenarioError as e:  # points of one set observing different things: refused
        assert shared and "share the information set" in str(e)
        return
    by_rule = {}
    for rule in recall.SELF_LOCATING:
        fast = analyse_several(s, self_locating=rule).to_json()
        slow = analyse_several(s, self_locating=rule, exhaustive=True).to_json()
        assert fast == slow, rule
        by_rule[rule] = fast
    if not Tree(s).repeated:  # no set visited twice in a world: all four pairings coincide

        def policies(data: dict[str, Any], theory: str) -> Any:
            t = next(x for x in data["theories"] if x["theory"] == theory)
            return [p["policy"] for p in t["policies"]]

        for theory in ("CDT", "EDT", "FDT"):
            got = {rule: policies(d, theory) for rule, d in by_rule.items()}
            assert got["default"] == got["thirding"] == got["halving"], theory


@pytest.mark.parametrize("path", sorted(SEVERAL.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_several_decision_problem_is_documented_and_has_a_page(path: Path) -> None:
    s = newcomb.load(path)
    assert s.decisions and s.summary and s.description and s.references
    page = ROOT / "docs" / "problems" / f"{path.stem}.md"
    assert page.exists() and f"scenarios/several/{path.name}" in page.read_text()


def test_a_prediction_given_the_observation_reached_sees_that_very_draw() -> None:
    text = """
newcomb: 1
name: draws
actions: [a, b]
variables:
  c: {chance: {h: 1/2, t: 1/2}}
  x: {decide: I, observes: [c], when: "c == 'h'"}
  seen: {predicts: x, given: {c: h}}
  other: {predicts: x, given: {c: t}}
utility: "(seen == x) + 10 * (x != 'a' and x != 'b') * (other == 'a')"
"""
    tree = Tree(from_yaml_text(text))
    half = Fraction(1, 2)
    slots = {str(s): i for i, s in enumerate(tree.slots)}
    pi = [(Fraction(0), Fraction(0))] * len(tree.slots)
    pi[slots["I (c=h)"]] = (half, half)
    pi[slots["I (c=t)"]] = (Fraction(1, 3), Fraction(2, 3))
    # c = h: x is reached and `seen` is its very draw (1 whatever the mixture);
    # c = t: x is unreached (unequal to every act) and `other` is a draw of its own, a w.p. 1/3
    # (accuracy 1 is 1 - ε: the value at ε = 0)
    v = simplex.exact(recall.value(tree, tuple(pi), "fail"))
    assert v == half * 1 + half * 10 * Fraction(1, 3)


def test_compare_puts_problems_with_decision_points_beside_the_others() -> None:
    files = [str(ROOT / "scenarios" / "newcomb.yaml"), str(SEVERAL / "pledge_newcomb.yaml")]
    res = CliRunner().invoke(app, ["compare", *files, "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["name"]: r["theories"] for r in json.loads(res.stdout)["rows"]}
    pledge = rows["Newcomb's problem with a binding pledge on sale"]
    assert pledge["CDT"]["value"] == "999000" and pledge["FDT"]["value"] == "1000000"
    assert pledge["CDT"]["policy"].startswith("market → pledge; boxes (commit=pledge) → one_box")
    assert rows["Newcomb's problem"]["CDT"]["policy"] == "two_box"
    res = CliRunner().invoke(
        app,
        [
            "compare",
            str(SEVERAL / "absent_minded_driver.yaml"),
            "--markdown",
            "--self-locating",
            "thirding",
            "--only",
            "EDT",
        ],
    )
    assert "continue -1 + sqrt(21)/3 [mixed]: -14 + 10*sqrt(21)/3 ≈ 1.275" in res.stdout


def test_policy_functions_of_decision_and_observation_run_beside_the_theories() -> None:
    seen: list[tuple[str, dict[str, Any]]] = []

    def mine(decision: str, observation: dict[str, Any]) -> Any:
        seen.append((decision, observation))
        if decision == "market":
            return "no_pledge"
        return {"one_box": "1/2", "two_box": "1/2"}

    def blind(observation: dict[str, Any]) -> str:  # one argument: the observation only
        return "pledge" if observation == {} else "one_box"

    r = newcomb.analyse(load("pledge_newcomb"), [mine, blind])
    assert isinstance(r, SeveralReport)
    assert [t.theory for t in r.theories] == ["mine", "blind"]
    assert ("market", {}) in seen and ("boxes", {"commit": "no_pledge"}) in seen
    (half,) = r.theories[0].policies
    # no pledge; Omega sees the agent's coin: one-boxing half the time with a full box
    assert half.value == Fraction(1, 2) * 1000000 + Fraction(1, 2) * 1000 and not half.optimal
    (pledged,) = r.theories[1].policies
    assert pledged.value == 999000


def test_theory_classes_are_refused_on_decision_points_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text(
        "from newcomb.theories import Theory\n\n"
        "class Mine(Theory):\n    name = 'Mine'\n\n"
        "    def decide(self, model):\n        return []\n"
    )
    res = CliRunner().invoke(
        app,
        [
            "check",
            str(SEVERAL / "absent_minded_driver.yaml"),
            "--theory",
            f"{tmp_path}/mine.py:Mine",
        ],
    )
    assert res.exit_code == 2 and res.stderr.count("\n") == 1
    assert "'Mine': on a scenario with decision points" in res.stderr


def test_fdt_with_a_perfect_predictor_two_boxes_on_the_empty_box_it_never_sees() -> None:
    """Transparent Newcomb at q = 1 written with a decision point: the empty box is seen only
    when the predictor errs (probability ε), and that order breaks FDT's tie there."""
    text = (ROOT / "scenarios" / "transparent_newcomb.yaml").read_text()
    text = text.replace("predicts: action", "predicts: take").replace("observes: [box]\n", "")
    text = text.replace("action ==", "take ==").replace("{q: 0.99}", "{q: 1}")
    text = text.replace(
        "  box: {value: \"'full' if prediction == 'one_box' else 'empty'\"}\n",
        "  box: {value: \"'full' if prediction == 'one_box' else 'empty'\"}\n"
        "  take: {decide: boxes, observes: [box]}\n",
    )
    r = analyse_several(from_yaml_text(text))
    (fdt,) = next(t for t in r.theories if t.theory == "FDT").policies
    rules = dict(zip((str(s) for s in r.tree.slots), r.policy_text(fdt.rows), strict=True))
    assert rules == {
        "boxes (box=full)": "boxes (box=full) → one_box",
        "boxes (box=empty)": "boxes (box=empty) → two_box",
    }
    assert fdt.value == 1000000  # at ε = 0
    assert dict(zip((str(s) for s in r.tree.slots), fdt.by_slot, strict=True))[
        "boxes (box=empty)"
    ] == (0, 1000)  # probability 0 at ε = 0, and what the empty box then gives


def test_a_study_checks_scenarios_with_decision_points_beside_the_others(tmp_path: Path) -> None:
    study = tmp_path / "s.yaml"
    study.write_text(
        "study: 1\n"
        f"scenarios: [{SEVERAL / 'sleeping_beauty.yaml'}, {ROOT / 'scenarios' / 'newcomb.yaml'}]\n"
        "grid: {y: 1:3:3}\n"
    )
    res = CliRunner().invoke(app, ["study", str(study)])
    assert res.exit_code == 0, res.output
    import csv
    import io as stdio

    rows = list(csv.DictReader(stdio.StringIO(res.stdout)))
    beauty = {(r["y"], r["theory"], r["policy"], r["value"]) for r in rows if r["y"]}
    # bet iff 2x > y (x = 1): worth x - y/2 = 1/2 at y = 1; at y = 2 both acts tie at 0
    assert ("1", "CDT", "awake → bet", "1/2") in beauty
    assert {("2", "FDT", "awake → bet", "0"), ("2", "FDT", "awake → pass", "0")} <= beauty
    assert ("3", "EDT", "awake → pass", "0") in beauty
    assert any(r["problem"] == "Newcomb's problem" and r["value"] == "990000" for r in rows)


def test_a_study_s_sweep_refuses_decision_points_in_one_line(tmp_path: Path) -> None:
    study = tmp_path / "s.yaml"
    study.write_text(
        f"study: 1\nscenarios: [{SEVERAL / 'sleeping_beauty.yaml'}]\ngrid: {{y: 1:3:3}}\n"
        "compute: sweep\n"
    )
    res = CliRunner().invoke(app, ["study", str(study)])
    assert res.exit_code == 2 and res.stderr.count("\n") == 1
    assert "compute: sweep does not support scenarios with decision points" in res.stderr


CONTRARIAN = """
newcomb: 1
name: Contrarian
actions: [a, b]
variables:
  p: {predicts: d, accuracy: 1}
  d: {decide: I, observes: [p]}
utility: "(d != p) * 10 + (d == 'a') * 1"
"""


@pytest.mark.parametrize("rule", ["fail", "random", "retry"])
def test_a_predictor_no_policy_can_fool_but_the_contrarian_under_each_rule(rule: str) -> None:
    """The agent sees the prediction; doing the opposite pays 10. The contrarian policy makes
    every draw a paradox: CDT, which believes the predictor, has no ratifiable policy (its
    every act is undefined there, as with one decision); EDT ratifies "always a" (1) and
    "always b" (0); FDT takes "always a" (1), except under ``random``, where the predictor's
    guesses make the contrarian worth (10 + 11) / 2, each observation with probability 1/2."""
    s = from_yaml_text(CONTRARIAN + f"predictor: {{on_paradox: {rule}}}\n")
    r = analyse_several(s)
    texts = {t.theory: ["; ".join(r.policy_text(p.rows)) for p in t.policies] for t in r.theories}
    assert texts["CDT"] == []
    assert sorted(texts["EDT"]) == ["I (p=a) → a; I (p=b) → a", "I (p=a) → b; I (p=b) → b"]
    (fdt,) = next(t for t in r.theories if t.theory == "FDT").policies
    if rule == "random":
        assert texts["FDT"] == ["I (p=a) → b; I (p=b) → a"] and fdt.value == Fraction(21, 2)
        assert sorted(fdt.by_slot) == [(Fraction(1, 2), 10), (Fraction(1, 2), 11)]
    else:
        assert texts["FDT"] == ["I (p=a) → a; I (p=b) → a"] and fdt.value == 1
