"""Table expressions: `{lookup: [...], table: {...}, default: ...}` where expressions go."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

import newcomb
import newcomb.expr as nexpr
from newcomb.errors import ScenarioError, format_path
from newcomb.expr import Expr, parse_expr, parse_table, table_data
from newcomb.io import dumps, from_dict, loads, to_dict
from newcomb.model import Chance, Prediction, Scenario, Value
from newcomb.testing import rename, with_utility

# Newcomb's problem with a coin the agent sees and a bonus that depends on the coin, written
# twice: with formulas and with tables. Both must be the same problem.
FORMULAS = """\
newcomb: 1
name: Newcomb with a bonus
parameters: {q: 9/10}
actions: [one_box, two_box]
variables:
  coin: {chance: {heads: 1/2, tails: 1/2}}
  prediction: {predicts: action, accuracy: q}
  bonus:
    chance:
      big: "3/4 if coin == 'heads' else 1/4"
      small: "1/4 if coin == 'heads' else 3/4"
observes: [coin]
utility: "1000000*(prediction == 'one_box') + 1000*(action == 'two_box') + 10*(bonus == 'big')"
"""

TABLES = """\
newcomb: 1
name: Newcomb with a bonus
parameters: {q: 9/10}
actions: [one_box, two_box]
variables:
  coin: {chance: {heads: 1/2, tails: 1/2}}
  prediction: {predicts: action, accuracy: q}
  bonus:
    chance:
      big: {lookup: [coin], table: {heads: 3/4, tails: 1/4}}
      small: {lookup: [coin], table: {heads: 1/4, tails: 3/4}}
observes: [coin]
utility:
  lookup: [prediction, action, bonus]
  table:
    one_box:
      one_box: {big: 1000010, small: 1000000}
      two_box: {big: 1001010, small: 1001000}
    two_box:
      one_box: {big: 10, small: 0}
      two_box: {big: 1010, small: 1000}
"""

# A payoff over x only, for the error tests: UTILITY is replaced by a table expression.
SMALL = """\
newcomb: 1
name: Small
parameters: {p: 1/2}
actions: [a, b]
variables:
  x: {chance: {x0: p, x1: 1 - p}}
  y: {chance: {y0: 1/2, y1: 1/2}}
utility: UTILITY
"""


def small(utility: str) -> str:
    return SMALL.replace("UTILITY", utility)


def fails(text: str) -> ScenarioError:
    """The error loading (and, if it loads, analysing) ``text`` raises."""
    with pytest.raises(ScenarioError) as info:
        newcomb.analyse(loads(text, file="t.yaml"))
    err = info.value
    assert err.file == "t.yaml"
    assert "\n" not in str(err)  # one line, for the CLI
    return err


def verdicts(s: Scenario) -> list[tuple[str, list[tuple[Any, Any, Any]]]]:
    r = newcomb.analyse(s)
    return [
        (t.theory, [(p.behaviour, p.value, p.realized) for p in t.policies]) for t in r.theories
    ]


# -- the same problem, with formulas or with tables ----------------------------------------------


def test_a_table_utility_gives_the_verdicts_of_the_formula() -> None:
    with_formulas, with_tables = loads(FORMULAS), loads(TABLES)
    assert with_tables.utility.source == "table[prediction, action, bonus]"
    assert with_tables.utility.names == {"prediction", "action", "bonus"}
    got = verdicts(with_tables)
    assert got == verdicts(with_formulas)
    # and the theories disagree, so the comparison means something
    by_theory = dict(got)
    assert by_theory["CDT"][0][0] != by_theory["FDT"][0][0]


def test_conditional_chance_by_tables() -> None:
    tables = loads(TABLES)
    bonus = tables.variable("bonus")
    assert isinstance(bonus, Chance)
    big = dict(bonus.outcomes)["big"]
    assert big.names == {"coin"}
    assert big({"coin": "heads"}) == Fraction(3, 4)
    assert big({"coin": "tails"}) == Fraction(1, 4)
    # only the chance tables differ from the formulas: still the same problem
    mixed = loads(TABLES.split("utility:")[0] + FORMULAS.split("observes: [coin]\n")[1])
    assert verdicts(mixed) == verdicts(loads(FORMULAS))


def test_a_table_over_a_thousand_values() -> None:
    n = 1024
    xs = {f"x{i}": f"1/{n}" for i in range(n)}
    table = {f"x{i}": {"a": i % 5, "b": "x_bonus + 2" if i % 2 else "9/4"} for i in range(n)}
    data = {
        "newcomb": 1,
        "name": "Large",
        "actions": ["a", "b"],
        "variables": {"x": {"chance": xs}, "x_bonus": {"value": "1/2"}},
        "observes": ["x"],
        "utility": {"lookup": ["x", "action"], "table": table},
    }
    s = from_dict(data)
    assert s.utility({"x": "x3", "action": "a", "x_bonus": Fraction(1, 2)}) == 3
    assert s.utility({"x": "x3", "action": "b", "x_bonus": Fraction(1, 2)}) == Fraction(5, 2)
    assert s.utility.names == {"x", "action", "x_bonus"}
    r = newcomb.analyse(s)
    cdt = next(t for t in r.theories if t.theory == "CDT").policies[0]
    # a where i % 5 > 2 (3 or 4), b otherwise
    m = r.model
    for o, row in enumerate(cdt.behaviour):
        i = int(str(m.observations[o][0])[1:])
        assert row[m.actions.index("a" if i % 5 > 2 else "b")] == 1


# -- Python objects accept the same mapping ------------------------------------------------------


def test_python_objects_take_the_mapping_form() -> None:
    s = Scenario(
        name="Newcomb with a bonus",
        parameters={"q": "9/10"},
        actions=["one_box", "two_box"],
        variables=[
            Chance(name="coin", outcomes={"heads": "1/2", "tails": "1/2"}),
            Prediction(name="prediction", accuracy="q"),
            Chance(
                name="bonus",
                outcomes={
                    "big": {"lookup": ["coin"], "table": {"heads": "3/4", "tails": "1/4"}},
                    "small": {"lookup": ["coin"], "table": {"heads": "1/4", "tails": "3/4"}},
                },
            ),
        ],
        observes=["coin"],
        utility={
            "lookup": ["prediction", "action", "bonus"],
            "table": {
                "one_box": {
                    "one_box": {"big": 1000010, "small": 1000000},
                    "two_box": {"big": 1001010, "small": 1001000},
                },
                "two_box": {
                    "one_box": {"big": 10, "small": 0},
                    "two_box": {"big": 1010, "small": 1000},
                },
            },
        },
    )
    assert s == loads(TABLES)


def test_value_and_accuracy_tables() -> None:
    s = Scenario(
        name="N",
        parameters={"n": 2, "q": "9/10"},
        actions=["one", "two"],
        variables=[
            Prediction(name="pred", accuracy={"lookup": ["n"], "table": {1: "1/2", 2: "q"}}),
            Value(name="box", expr={"lookup": ["pred"], "table": {"one": 1000000, "two": 0}}),
        ],
        utility={"lookup": ["action"], "table": {"one": "box", "two": "box + 1000"}},
    )
    assert s.variables[0].accuracy.path == ("variables", "pred", "accuracy")  # type: ignore[union-attr]
    r = newcomb.analyse(s)
    values = {t.theory: t.policies[0].value for t in r.theories}
    assert values["FDT"] == Fraction(9, 10) * 1000000
    assert loads(dumps(s)) == s


def test_an_expr_without_a_path_gets_the_paths_of_its_place() -> None:
    e = parse_table({"lookup": ["x"], "table": {"x0": 1, "x1": "1/0"}})
    assert e.path == ()
    s = Scenario(
        name="S",
        actions=["a", "b"],
        variables=[Chance(name="x", outcomes={"x0": "1/2", "x1": "1/2"})],
        utility=e,
    )
    assert s.utility.path == ("utility",)
    assert s.utility == loads(small("{lookup: [x], table: {x0: 1, x1: 1/0}}")).utility
    with pytest.raises(ScenarioError) as info:
        newcomb.analyse(s)
    assert info.value.path == ("utility", "table", "x1")
    assert "division by zero" in info.value.message


def test_a_parameter_may_be_a_table_of_earlier_parameters() -> None:
    s = Scenario(
        name="S",
        parameters={"n": 2, "c": {"lookup": ["n"], "table": {1: 5, 2: "7/2"}}},
        actions=["a", "b"],
        variables=[],
        utility="c",
    )
    assert s.parameters["c"] == Fraction(7, 2)
    with pytest.raises(ScenarioError) as info:
        Scenario(
            name="S",
            parameters={"c": {"lookup": ["n"], "table": {1: 5}}, "n": 2},
            actions=["a", "b"],
            variables=[],
            utility="c",
        )
    assert info.value.path == ("parameters", "c", "lookup", 0)
    assert "unknown name 'n'" in info.value.message


# -- keys ----------------------------------------------------------------------------------------

KEYS = """\
newcomb: 1
name: Keys
actions: [a, b]
variables:
  f: {chance: {true: 1/2, false: 1/2}}
  k: {chance: {1: 1/3, 2: 2/3}}
  w: {chance: {yes: 1/2, no: 1/2}}
  k2: {value: k * 2 / 2}
utility:
  lookup: [f, k, w]
  table:
    true: {1: {yes: 1, no: 2}, 2: {yes: 3, no: 4}}
    false: {1: {yes: 5, no: 6}, 2: {yes: 7, no: 8}}
"""


def test_boolean_integer_and_yes_keys() -> None:
    s = loads(KEYS)
    u = s.utility
    assert u({"f": True, "k": 1, "w": "yes"}) == 1
    assert u({"f": True, "k": 2, "w": "no"}) == 4
    assert u({"f": False, "k": 2, "w": "yes"}) == 7
    # a number computed by an expression (a Fraction) finds its integer key
    assert u({"f": False, "k": Fraction(1), "w": "no"}) == 6
    # keys keep their types in the data and in the file
    data = to_dict(s)["utility"]
    assert list(data["table"]) == [True, False]
    assert list(data["table"][True]) == [1, 2]
    assert list(data["table"][True][1]) == ["yes", "no"]
    assert loads(dumps(s)) == s
    # every world finds an entry: E[u] = 1/2 (1/3 3/2 + 2/3 7/2) + 1/2 (1/3 11/2 + 2/3 15/2)
    r = newcomb.analyse(s)
    assert {t.policies[0].value for t in r.theories} == {Fraction(29, 6)}


def test_a_computed_integer_looks_up_an_integer_key() -> None:
    s = loads(KEYS.replace("lookup: [f, k, w]", "lookup: [f, k2, w]"))
    assert s.utility({"f": True, "k2": Fraction(2), "w": "no"}) == 4
    newcomb.analyse(s)


def test_a_string_key_never_matches_a_number() -> None:
    e = parse_table({"lookup": ["k"], "table": {"1": "10", 2: "20"}}, path=("utility",))
    assert e({"k": "1"}) == 10
    with pytest.raises(ScenarioError, match=r"no entry in the table for k = 1 \(and no default\)"):
        e({"k": 1})


def test_bad_keys_are_refused() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_table({"lookup": ["k"], "table": {1.5: 1}}, path=("utility",))
    assert info.value.path == ("utility", "table")
    assert "expected a label (a string, true/false or an integer)" in info.value.message


# -- missing entries -----------------------------------------------------------------------------


def test_a_missing_entry_without_default_is_an_evaluation_error() -> None:
    err = fails(small("{lookup: [x, y], table: {x0: {y0: 1, y1: 2}, x1: {y0: 3}}}"))
    assert err.path == ("utility",)
    assert "no entry in the table for x = 'x1', y = 'y1' (and no default)" in err.message
    assert "'table[x, y]'" in err.message
    # the same kind of error as any other evaluation error
    e = parse_table({"lookup": ["x"], "table": {"x0": 1}}, path=("utility",))
    with pytest.raises(ScenarioError) as info:
        e({"x": "x7"})
    assert info.value.path == ("utility",)
    assert info.value.message == "no entry in the table for x = 'x7' (and no default) in 'table[x]'"


def test_a_missing_entry_takes_the_default() -> None:
    s = loads(small("{lookup: [x, y], table: {x0: {y0: 1, y1: 2}}, default: 10 * p}"))
    assert s.utility.names == {"x", "y", "p"}
    assert s.utility({"x": "x1", "y": "y0", "p": Fraction(1, 2)}) == 5
    assert s.utility({"x": "x0", "y": "y1", "p": Fraction(1, 2)}) == 2
    r = newcomb.analyse(s)
    assert {t.policies[0].value for t in r.theories} == {Fraction(1, 4) * 3 + Fraction(5, 2)}
    assert loads(dumps(s)) == s


def test_errors_in_leaves_and_default_name_their_key() -> None:
    err = fails(small("{lookup: [x], table: {x0: 1, x1: 1/0}}"))
    assert err.path == ("utility", "table", "x1")
    assert "division by zero in '1/0'" in err.message
    err = fails(small("{lookup: [x], table: {x0: 1}, default: \"'a' + 1\"}"))
    assert err.path == ("utility", "default")
    assert "expected a number" in err.message


# -- what is refused when a file is read ---------------------------------------------------------

REFUSED = [
    (
        "{lookup: [x], table: {x0: 1, x1: 2}, defualt: 3}",
        "utility.defualt",
        "unknown key 'defualt' in a table expression "
        "(expected lookup, table and optionally default)",
    ),
    (
        "{a: 1}",
        "utility.a",
        "(expected lookup, table and optionally default)",
    ),
    (
        "{lookup: [x]}",
        "utility",
        "a table expression needs 'table' (expected lookup, table and optionally default)",
    ),
    (
        "{table: {x0: 1}}",
        "utility",
        "a table expression needs 'lookup' (expected lookup, table and optionally default)",
    ),
    (
        "{lookup: [], table: {x0: 1}}",
        "utility.lookup",
        "expected a non-empty list of names (variables, parameters or action), got a list",
    ),
    (
        "{lookup: x, table: {x0: 1}}",
        "utility.lookup",
        "expected a non-empty list of names (variables, parameters or action), got the string 'x'",
    ),
    ("{lookup: [x, x], table: {x0: 1}}", "utility.lookup[1]", "'x' is listed twice in lookup"),
    (
        "{lookup: [3], table: {x0: 1}}",
        "utility.lookup[0]",
        "expected a name (a variable, a parameter or action), got the number 3",
    ),
    (
        "{lookup: [true], table: {x0: 1}}",
        "utility.lookup[0]",
        "expected a name (a variable, a parameter or action), got the boolean true",
    ),
    (
        '{lookup: ["x y"], table: {x0: 1}}',
        "utility.lookup[0]",
        "expected a name (a variable, a parameter or action), got the string 'x y'",
    ),
    ("{lookup: [_x], table: {x0: 1}}", "utility.lookup[0]", "the name '_x' is not allowed"),
    ('{lookup: ["false"], table: {x0: 1}}', "utility.lookup[0]", "'false' is a constant"),
    (
        "{lookup: [x, z], table: {x0: {z0: 1}}}",
        "utility.lookup[1]",
        "unknown name 'z' in 'table[x, z]' (variables may use parameters and earlier "
        "variables only; known here: action, p, x, y)",
    ),
    (
        "{lookup: [x, action], table: {x0: 1}}",
        "utility.table.x0",
        "expected a mapping from the values of 'action' for x = 'x0', got the number 1: "
        "the table must be nested 2 levels deep, one per name in lookup",
    ),
    (
        "{lookup: [x], table: 5}",
        "utility.table",
        "expected a mapping from the values of 'x', got the number 5: "
        "the table must be nested 1 level deep, one per name in lookup",
    ),
    (
        "{lookup: [x], table: {x0: {y0: 1}}}",
        "utility.table.x0",
        "expected an expression for x = 'x0', got a mapping: "
        "the table is nested deeper than its lookup (1 level, one per name)",
    ),
    (
        "{lookup: [x], table: {x0: 1, x1: z + 1}}",
        "utility.table.x1",
        "unknown name 'z' in 'z + 1'",
    ),
    (
        "{lookup: [x], table: {x0: 1, x1: '1 +'}}",
        "utility.table.x1",
        "cannot parse expression '1 +'",
    ),
    (
        "{lookup: [x], table: {x0: 1, x1: [1]}}",
        "utility.table.x1",
        "expected an expression (a string or number), got list",
    ),
    (
        "{lookup: [x], table: {x0: 1, x1: \"__import__('os')\"}}",
        "utility.table.x1",
        "calling '__import__' is not allowed",
    ),
    ("{lookup: [x], table: {}}", "utility.table", "the table has no entries and no default"),
    (
        "{lookup: [x], table: {x0: 1}, default: {lookup: [x], table: {x1: 2}}}",
        "utility.default",
        "expected an expression (a string or number), got dict",
    ),
    (
        "{lookup: [x], table: {x0: 1}, default: z}",
        "utility.default",
        "unknown name 'z' in 'z'",
    ),
    ("{lookup: [x], table: {x0: 1, true: 2, 1: 3}}", "utility.table", "duplicate key '1'"),
]


@pytest.mark.parametrize(("utility", "key", "message"), REFUSED)
def test_refused_when_read(utility: str, key: str, message: str) -> None:
    err = fails(small(utility))
    assert format_path(err.path) == key
    assert message in err.message
    assert err.line == 8  # the utility's line
    assert str(err).startswith("t.yaml:8:")
    assert f": {key}: " in str(err)


def test_action_in_a_lookup_where_action_is_not_allowed() -> None:
    text = small("x").replace(
        "  y: {chance: {y0: 1/2, y1: 1/2}}",
        "  y: {chance: {y0: 1/2, y1: 1/2}}\n"
        "  pred: {predicts: action, accuracy: {lookup: [action], table: {a: 1, b: 1}}}",
    )
    err = fails(text)
    assert format_path(err.path) == "variables.pred.accuracy.lookup[0]"
    assert "'action' cannot be used here in 'table[action]'" in err.message


def test_a_later_variable_in_a_lookup_is_refused() -> None:
    text = small("x").replace(
        "  x: {chance: {x0: p, x1: 1 - p}}",
        "  x: {chance: {x0: {lookup: [y], table: {y0: p, y1: 1 - p}}, x1: 1 - p}}",
    )
    err = fails(text)
    assert format_path(err.path) == "variables.x.chance.x0.lookup[0]"
    assert "unknown name 'y'" in err.message


def test_the_size_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    assert nexpr.MAX_TABLE_ENTRIES == 100_000
    monkeypatch.setattr(nexpr, "MAX_TABLE_ENTRIES", 3)
    err = fails(small("{lookup: [x, y], table: {x0: {y0: 1, y1: 2}, x1: {y0: 3, y1: 4}}}"))
    assert format_path(err.path) == "utility.table"
    assert "the table has more than 3 entries" in err.message
    monkeypatch.setattr(nexpr, "MAX_TABLE_NAMES", 1)
    err = fails(small("{lookup: [x, y], table: {x0: {y0: 1}}}"))
    assert format_path(err.path) == "utility.lookup"
    assert "more than 1 names in one lookup" in err.message


def test_parse_table_checks_names_it_is_given() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_table({"lookup": ["x", "w"], "table": {}}, known={"x"}, path=("u",))
    assert info.value.path == ("u", "lookup", 1)
    assert "unknown name 'w' (names allowed here: x)" in info.value.message
    with pytest.raises(ScenarioError) as info:
        parse_table([1], path=("u",))
    assert "expected a table expression (a mapping; expected lookup, table" in info.value.message


def test_parse_expr_still_refuses_a_mapping() -> None:
    with pytest.raises(ScenarioError, match="expected an expression \\(a string or number\\)"):
        parse_expr({"lookup": ["x"], "table": {"x0": 1}})


# -- equality, hashing, writing back -------------------------------------------------------------


def test_equality_and_hashing() -> None:
    spec = {"lookup": ["x", "y"], "table": {"x0": {"y0": 1, "y1": "1/2"}}, "default": 0}
    a = parse_table(spec, path=("utility",))
    b = parse_table(spec, path=("utility",))
    assert a == b and hash(a) == hash(b)
    assert isinstance(a, Expr)
    assert a.source == "table[x, y]"
    other = parse_table({**spec, "default": 1}, path=("utility",))
    assert other != a
    changed = parse_table(
        {"lookup": ["x", "y"], "table": {"x0": {"y0": 1, "y1": "1/3"}}, "default": 0},
        path=("utility",),
    )
    assert changed != a
    assert len({a, b, other, changed}) == 3
    # a table is never equal to a formula
    assert a != parse_expr("0", path=("utility",))


def test_round_trip() -> None:
    for text in (TABLES, KEYS, small("{lookup: [x], table: {x0: 1, x1: x == 'x1'}, default: 0}")):
        s = loads(text)
        assert loads(dumps(s)) == s
        assert from_dict(to_dict(s)) == s
    data = to_dict(loads(TABLES))
    assert data["utility"]["lookup"] == ["prediction", "action", "bonus"]
    assert data["utility"]["table"]["two_box"]["one_box"] == {"big": 10, "small": 0}
    assert data["variables"]["bonus"]["chance"]["big"] == {
        "lookup": ["coin"],
        "table": {"heads": "3/4", "tails": "1/4"},
    }
    assert "default" not in data["utility"]


def test_table_data_is_the_mapping_read() -> None:
    spec = {"lookup": ["x"], "table": {"x0": 3, "x1": "x == 'x1'", "x2": "-0"}, "default": "1/2"}
    e = parse_table(spec)
    assert e.table is not None
    assert table_data(e.table) == spec
    assert parse_table(table_data(e.table)) == e


# -- symbolic parameters -------------------------------------------------------------------------


def test_symbolic_leaves_work() -> None:
    table = small("{lookup: [x, action], table: {x0: {a: p, b: 1 - p}, x1: {a: 1, b: 2*p}}}")
    formula = small(
        "\"(p if action == 'a' else 1 - p) if x == 'x0' else (1 if action == 'a' else 2*p)\""
    )
    with_table = newcomb.analyse(loads(table), symbols=["p"])
    with_formula = newcomb.analyse(loads(formula), symbols=["p"])
    assert with_table.theories == with_formula.theories
    cdt = with_table.theories[0]
    assert cdt.thresholds is not None and len(cdt.thresholds.regions) > 1
    assert cdt.policies[0].formula is not None


def test_looking_up_a_symbolic_parameter_is_refused_clearly() -> None:
    s = Scenario(
        name="S",
        parameters={"n": 2},
        actions=["a", "b"],
        variables=[],
        utility={"lookup": ["n", "action"], "table": {2: {"a": 1, "b": 2}}, "default": 0},
    )
    assert verdicts(s)[0][1][0][1] == 2
    with pytest.raises(ScenarioError) as info:
        newcomb.analyse(s, symbols=["n"])
    assert info.value.path == ("utility",)
    assert "cannot look up 'n' in the table: its value n is symbolic" in info.value.message
    assert "\n" not in str(info.value)


def test_a_sympy_number_finds_its_key() -> None:
    sympy = pytest.importorskip("sympy")
    e = parse_table({"lookup": ["k"], "table": {1: "10", "1/2": "20"}}, path=("u",))
    assert e({"k": sympy.Integer(1)}) == 10


# -- the testing helpers know tables -------------------------------------------------------------


def test_with_utility_and_rename_change_tables() -> None:
    s = loads(TABLES)
    doubled = with_utility(s, 2, 1)
    assert doubled.utility.table is not None
    assert (
        doubled.utility({"prediction": "two_box", "action": "two_box", "bonus": "big"})
        == 2 * 1010 + 1
    )
    renamed = rename(
        s,
        names={"coin": "c", "bonus": "b"},
        strings={
            "heads": "H",
            "tails": "T",
            "big": "B",
            "small": "S",
            "one_box": "one",
            "two_box": "two",
        },
    )
    assert renamed.utility.table is not None
    assert renamed.utility.table.lookup == ("prediction", "action", "b")
    assert renamed.utility({"prediction": "two", "action": "two", "b": "S"}) == 1000
    assert [v for _, v in verdicts(renamed)] == [v for _, v in verdicts(s)]
