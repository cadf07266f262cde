"""Label checking (newcomb.labels): a literal that can never equal what it is compared with is
refused when the scenario is built, from a file or from Python (issue 9, item 1)."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st
from typer.testing import CliRunner

from newcomb import Model, Scenario
from newcomb.cli import app
from newcomb.errors import ScenarioError
from newcomb.io import from_dict, load, loads, to_dict
from newcomb.labels import possible_values
from newcomb.model import Chance, Prediction, Select, Value
from newcomb.testing import predictor_problems, scenarios

ROOT = Path(__file__).resolve().parent.parent
LABEL_FILES = sorted((ROOT / "tests" / "bad").glob("label_*.yaml"))
runner = CliRunner()


def header(path: Path) -> dict[str, str]:
    return dict(re.findall(r"^# (expect-[a-z]+): ?(.*)$", path.read_text(), flags=re.MULTILINE))


def marked_line(path: Path) -> tuple[int, str]:
    lines = path.read_text().splitlines()
    (i,) = [i for i, line in enumerate(lines, 1) if line.endswith("# <-- here")]
    return i, lines[i - 1]


NEWCOMB = """\
newcomb: 1
name: Newcomb
parameters: {q: 0.99}
actions: [one_box, two_box]
variables:
  prediction: {predicts: action, accuracy: q}
  box: {value: "'full' if prediction == 'one_box' else 'empty'"}
utility: UTILITY
"""


def newcomb(utility: str) -> Scenario:
    return loads(NEWCOMB.replace("UTILITY", utility), file="n.yaml")


def refusal(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        loads(text, file="t.yaml")
    return info.value


# -- the files in tests/bad -----------------------------------------------------------------------


def test_there_is_a_file_for_each_kind_of_mistake() -> None:
    names = {p.stem for p in LABEL_FILES}
    for stem in ("typo_action", "typo_value", "typo_prediction", "boolean_for_string"):
        assert f"label_{stem}" in names  # the four misspellings of the issue
    for stem in ("not_equal", "in_list", "reversed", "table_key", "given", "select"):
        assert f"label_{stem}" in names


@pytest.mark.parametrize("path", LABEL_FILES, ids=[p.stem for p in LABEL_FILES])
def test_cli_exits_2_naming_the_literal_at_its_column(path: Path) -> None:
    h = header(path)
    line, text = marked_line(path)
    column = int(h["expect-column"])
    r = runner.invoke(app, ["check", str(path)])
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.startswith(f"error: {path}:{line}:{column}: {h['expect-path']}: ")
    assert h["expect-message"] in r.stderr
    assert "possible values: " in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    # the column points at the literal itself: its quote, or its first character
    literal = re.search(r"the (?:literal|key|label) ('[^']*'|\S+) is never", r.stderr)
    assert literal is not None
    content = literal.group(1).strip("'")
    assert text[column - 1 :].lstrip("'\"").startswith(content)


def test_the_close_label_is_suggested() -> None:
    err = refusal(NEWCOMB.replace("UTILITY", "1000*(action == 'two_bx')"))
    assert "did you mean 'two_box'?" in str(err)
    assert "possible values: 'one_box', 'two_box'" in str(err)


def test_no_suggestion_when_nothing_is_close() -> None:
    err = refusal(NEWCOMB.replace("UTILITY", "1000*(action == 'defect')"))
    assert "the literal 'defect' is never a value of action" in str(err)
    assert "did you mean" not in str(err)


# -- what is checked ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "utility",
    [
        "1000*(action != 'two_bx')",
        "1000*('two_bx' == action)",
        "1000*('two_bx' != action)",
        "1000*(action in ['one_box', 'two_bx'])",
        "1000*(action not in ('two_bx',))",
        "1000*('ful' == box == 'full')",  # a chain: each neighbouring pair
        "1000*((box if action == 'one_box' else 'empty') == 'ful')",
        "1000*(prediction == 'two_bx')",
        "1000*(box == 1)",
        "1000*(box == true)",
    ],
)
def test_every_comparison_with_a_literal_is_checked(utility: str) -> None:
    err = refusal(NEWCOMB.replace("UTILITY", f'"{utility}"'))
    assert err.path == ("utility",)
    assert "is never a value of" in err.message


@pytest.mark.parametrize(
    "utility",
    [
        "1000*(action == 'two_box') + 1000000*(box == 'full')",
        "1000*('two_box' != action)",
        "1000*(action in ['one_box', 'two_box'])",
        "1000*(box == prediction)",  # two non-literals: never checked
        "1000*('a' == 'b')",  # two literals: never checked
        "1000*(q == 3)",  # a parameter: a number that --set changes, never checked
        "1000*(q == 'x')",
        "1000*(q * 2 == 7)",  # arithmetic on a parameter: any number
        "1000*(action < 'z')",  # an order, not an equality
    ],
)
def test_what_can_be_equal_is_accepted(utility: str) -> None:
    assert newcomb(f'"{utility}"').utility.source == utility


def test_the_check_reads_table_keys_at_every_level() -> None:
    table = "{lookup: [box, action], table: {full: {one_box: 1, two_bx: 2}}, default: 0}"
    err = refusal(NEWCOMB.replace("UTILITY", table))
    assert err.path == ("utility", "table", "full", "two_bx")
    assert "the key 'two_bx' is never a value of action" in err.message
    assert "did you mean 'two_box'?" in err.message
    # a missing key with a default is fine
    ok = newcomb("{lookup: [box], table: {full: 1000000}, default: 0}")
    assert ok.utility.table is not None


def test_a_label_of_probability_zero_stays_legal() -> None:
    s = loads(
        "newcomb: 1\nname: x\nactions: [a, b]\n"
        "variables:\n  rain: {chance: {yes: 1, no: 0}}\n"
        "utility: \"(action == 'a') + 2*(rain == 'no')\"\n"
    )
    assert Model(s).observations == ((),)


def test_values_take_the_results_of_their_expressions() -> None:
    names = possible_values(
        loads(
            "newcomb: 1\nname: x\nparameters: {p: 1/2}\nactions: [a, b]\n"
            "variables:\n"
            "  k: {chance: {1: p, 2: 1 - p}}\n"
            "  n: {value: 2 * k}\n"
            "  m: {value: n * p}\n"
            "  s: {value: \"'hi' if k == 1 else ('lo' or 'mid')\"}\n"
            "  t: {value: {lookup: [k], table: {1: \"'one'\"}, default: \"'other'\"}}\n"
            "  c: {value: k == 2}\n"
            "utility: k\n"
        )
    )
    assert names["n"].values == (2, 4) and not names["n"].numbers
    assert names["m"].numbers and names["m"].values == ()  # a parameter: any number
    assert set(names["s"].values) == {"hi", "lo", "mid"}
    assert set(names["t"].values) == {"one", "other"}
    assert names["c"].values == (True, False)
    assert "p" not in names  # parameters are not label sets


def test_numbers_and_booleans_compare_as_expressions_do() -> None:
    base = (
        "newcomb: 1\nname: x\nactions: [a, b]\nvariables:\n  k: {chance: {1: 1/2, 2: 1/2}}\n"
        "  n: {value: 2 * k}\nutility: UTILITY\n"
    )
    assert loads(base.replace("UTILITY", '"k == true"'))  # true is 1 in expressions
    assert loads(base.replace("UTILITY", '"n == 4.0"'))
    err = refusal(base.replace("UTILITY", '"n == 3"'))
    assert err.message == "the literal 3 is never a value of n in 'n == 3' (possible values: 2, 4)"
    err = refusal(base.replace("UTILITY", "\"k == '1'\""))
    assert "did you mean 1?" in err.message  # the string '1' is not the number 1


def test_observed_given_labels_are_checked() -> None:
    text = (ROOT / "scenarios" / "transparent_newcomb.yaml").read_text()
    assert "given: {box: full}" in text
    err = refusal(text.replace("given: {box: full}", "given: {box: emtpy}"))
    assert err.path == ("variables", "prediction", "given", "box")
    assert "the label 'emtpy' is never a value of box" in err.message
    assert "did you mean 'empty'?" in err.message


def test_a_scenario_built_in_python_is_refused_the_same_way() -> None:
    def build(label: str) -> Scenario:
        return Scenario(
            name="Newcomb",
            actions=["one_box", "two_box"],
            variables=[
                Prediction(name="prediction"),
                Value(name="box", expr="'full' if prediction == 'one_box' else 'empty'"),
                Select(name="hide", options=[True, False]),
                Chance(name="coin", outcomes={"heads": "1/2", "tails": "1/2"}),
            ],
            utility=f"1000000*(box == 'full') + 1000*(action == {label!r})",
        )

    assert build("two_box").actions == ("one_box", "two_box")
    with pytest.raises(ScenarioError) as info:
        build("two_bx")
    assert str(info.value).startswith("<scenario>: utility: the literal 'two_bx' is never")
    assert "did you mean 'two_box'?" in str(info.value)


def test_a_python_built_chance_expression_is_checked() -> None:
    with pytest.raises(ScenarioError) as info:
        Scenario(
            name="x",
            actions=["a", "b"],
            variables=[
                Chance(name="lesion", outcomes={"yes": "1/2", "no": "1/2"}),
                Chance(name="cancer", outcomes={"c": "lesion == 'yse'", "n": "lesion != 'yse'"}),
            ],
            utility="action == 'a'",
        )
    assert info.value.path == ("variables", "cancer", "chance", "c")
    assert "did you mean 'yes'?" in info.value.message


def test_every_bundled_scenario_still_loads() -> None:
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        assert load(path).name


# -- generated scenarios --------------------------------------------------------------------------


def _comparisons(source: str) -> list[tuple[int, int]]:
    """(start, end) of each literal compared (==, !=, in) with a variable or ``action``."""
    tree = ast.parse(source, mode="eval")
    out: list[tuple[int, int]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for op, a, b in zip(node.ops, operands, operands[1:], strict=False):
            if not isinstance(a, ast.Name) or a.id in ("true", "false"):
                continue
            items = b.elts if isinstance(op, ast.In | ast.NotIn) and hasattr(b, "elts") else [b]
            for lit in items:
                if isinstance(lit, ast.Constant) or (
                    isinstance(lit, ast.Name) and lit.id in ("true", "false")
                ):
                    assert lit.end_col_offset is not None
                    out.append((lit.col_offset, lit.end_col_offset))
    return out


def _expression_slots(data: dict[str, Any]) -> list[tuple[Any, Any]]:
    """(container, key) of every expression string in a scenario's plain data."""
    slots: list[tuple[Any, Any]] = [(data, "utility")]
    if "prefer" in data.get("predictor", {}):
        slots.append((data["predictor"], "prefer"))
    for spec in data["variables"].values():
        if "value" in spec:
            slots.append((spec, "value"))
        for key in ("chance", "prior"):
            for label in spec.get(key, {}):
                slots.append((spec[key], label))
    return [(c, k) for c, k in slots if isinstance(c[k], str)]


@given(st.one_of(scenarios(), predictor_problems()), st.data())
def test_a_mutated_label_in_a_generated_scenario_is_refused(s: Scenario, data: Any) -> None:
    plain = to_dict(s)
    candidates = [(c, k, span) for c, k in _expression_slots(plain) for span in _comparisons(c[k])]
    assume(candidates)  # (about 95% of scenarios compare some variable with a literal)
    container, key, (start, end) = data.draw(st.sampled_from(candidates), label="literal")
    everything = {str(x) for d in possible_values(s).values() for x in d.values}
    typo = "zz" + "".join(sorted(everything))[:20] + "_typo"
    source = container[key]
    container[key] = source[:start] + repr(typo) + source[end:]
    note(f"{source!r} -> {container[key]!r}")
    with pytest.raises(ScenarioError) as info:
        from_dict(plain)
    assert f"the literal {typo!r} is never a value of" in info.value.message


@given(st.one_of(scenarios(), predictor_problems()))
def test_generated_scenarios_pass_the_check(s: Scenario) -> None:
    again = from_dict(to_dict(s))  # checked again from plain data
    assert again == s


def test_repeated_squaring_is_not_worked_out() -> None:
    # v59 would have 2**60 bits: the analysis gives up on numbers past the engine's bound
    variables: list[Any] = [Chance(name="k", outcomes={2: 1})]
    for i in range(60):
        name = variables[-1].name
        variables.append(Value(name=f"v{i}", expr=f"{name} * {name}"))
    s = Scenario(name="x", actions=["a", "b"], variables=variables, utility="v59 == 3")
    assert possible_values(s)["v59"].numbers
    assert possible_values(s)["v3"].values == (2**16,)


@pytest.mark.parametrize("loader", ["default", "pure-python"])
@pytest.mark.parametrize("path", LABEL_FILES, ids=[p.stem for p in LABEL_FILES])
def test_the_column_is_the_literals_with_either_parser(
    path: Path, loader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if loader == "pure-python":
        import yaml

        import newcomb.io as nio

        class PureLoader(yaml.SafeLoader):  # type: ignore[misc]
            yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012

        monkeypatch.setattr(nio, "_Loader", PureLoader)
    with pytest.raises(ScenarioError) as info:
        load(path)
    line, _ = marked_line(path)
    assert (info.value.line, info.value.column) == (line, int(header(path)["expect-column"]))


def test_a_literal_in_a_folded_expression_is_placed_on_its_own_line() -> None:
    text = NEWCOMB.replace(
        "utility: UTILITY",
        "utility: >\n  1000000*(box == 'full')\n  + 1000*(action == 'two_box')\n"
        "  + 1*(box == 'full' and action == \"two_bx\")",
    )
    err = refusal(text)
    lines = text.splitlines()
    assert err.line is not None and err.column is not None
    assert lines[err.line - 1][err.column - 1 :].startswith('"two_bx"')
