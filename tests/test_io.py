"""Scenario files (newcomb.io): YAML 1.2 semantics, hostile input, error locations, round trips."""

from __future__ import annotations

import re
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml

import newcomb.io as nio
from newcomb.errors import ScenarioError, format_path
from newcomb.io import MAX_BYTES, dumps, from_dict, load, loads, to_dict
from newcomb.model import (
    Chance,
    Correlate,
    Prediction,
    Predictor,
    Scenario,
    Select,
    Value,
)

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
BAD = sorted((Path(__file__).resolve().parent / "bad").glob("*.yaml"))

OMICRON = """\
newcomb: 1
name: Ultimate Newcomb
parameters: {p: 1/2}
actions: [one_box, two_box]
variables:
  omicron: {chance: {composite: p, prime: 1 - p}}
  prediction: {predicts: action, accuracy: 1}
  box: {value: "'prime' if prediction == 'one_box' else 'composite'"}
  coincide: {value: box == omicron}
observes: [coincide]
utility: 1000000*(box == 'prime') + 2000000*(omicron == 'composite') + 1000*(action == 'two_box')
predictor: {prefer: coincide, on_paradox: fail}
"""

# Two actions, one variable: the smallest valid scenario, for tests that add one thing to it.
MINIMAL = """\
newcomb: 1
name: Minimal
actions: [a, b]
variables:
  x: {chance: {heads: 1/2, tails: 1/2}}
utility: "x == 'heads'"
"""


def fails(text: str | bytes, file: str = "test.yaml") -> ScenarioError:
    """The error loading ``text`` raises."""
    with pytest.raises(ScenarioError) as info:
        loads(text, file=file)
    assert info.value.file == file
    assert str(info.value).startswith(file)
    return info.value


def with_variables(block: str, rest: str = "utility: 1\n") -> str:
    """MINIMAL with its variables replaced by ``block`` (lines already indented two spaces)."""
    head = MINIMAL.split("variables:")[0]
    return head + "variables:\n" + block + rest


@pytest.fixture(params=["default", "pure-python"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a test with the loader io picked (libyaml when present) and with PyYAML's pure-Python
    parser, which io falls back on where libyaml is missing."""
    if request.param == "pure-python":

        class PureLoader(yaml.SafeLoader):  # type: ignore[misc]
            yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012

        monkeypatch.setattr(nio, "_Loader", PureLoader)
    yield request.param


# -- a valid file ----------------------------------------------------------------------------


def test_omicron_text_gives_the_same_scenario_as_objects() -> None:
    expected = Scenario(
        name="Ultimate Newcomb",
        parameters={"p": "1/2"},
        actions=["one_box", "two_box"],
        variables=[
            Chance(name="omicron", outcomes={"composite": "p", "prime": "1 - p"}),
            Prediction(name="prediction", accuracy=1),
            Value(name="box", expr="'prime' if prediction == 'one_box' else 'composite'"),
            Value(name="coincide", expr="box == omicron"),
        ],
        observes=["coincide"],
        utility="1000000*(box == 'prime') + 2000000*(omicron == 'composite') + "
        "1000*(action == 'two_box')",
        predictor=Predictor(prefer="coincide", on_paradox="fail"),
    )
    assert loads(OMICRON) == expected


def test_optional_keys() -> None:
    text = MINIMAL + (
        "summary: one line\n"
        "description: |\n  several\n  lines\n"
        "references: [Nozick 1969, 'Yudkowsky & Soares 2017']\n"
        "observes: []\n"
    )
    s = loads(text)
    assert s.summary == "one line"
    assert s.description == "several\nlines\n"
    assert s.references == ("Nozick 1969", "Yudkowsky & Soares 2017")
    assert s.observes == ()
    assert s.parameters == {}
    assert s.predictor == Predictor()


def test_null_observes_and_parameters_mean_none() -> None:
    s = loads(MINIMAL + "observes:\nparameters: ~\n")
    assert s.observes == ()
    assert s.parameters == {}


def test_bytes_with_a_utf8_bom_are_read() -> None:
    s = loads(b"\xef\xbb\xbf" + MINIMAL.encode(), file="bom.yaml")
    assert s.name == "Minimal"


def test_unicode_text_is_read() -> None:
    s = loads(MINIMAL.replace("Minimal", "Newcomb — Ω und Ο"), file="u.yaml")
    assert s.name == "Newcomb — Ω und Ο"


def test_yaml_12_directive_is_accepted() -> None:
    assert loads("%YAML 1.2\n---\n" + MINIMAL).name == "Minimal"


# -- YAML 1.2 scalars ------------------------------------------------------------------------


def test_yes_no_on_off_stay_strings(backend: str) -> None:
    text = """\
newcomb: 1
name: Strings
actions: [yes, no]
variables:
  switch: {chance: {on: 1/2, off: 1/2}}
  mood: {select: [y, n, Yes, NO, On, OFF, yes]}
  guess: {predicts: action, given: {switch: on}}
observes: [switch]
utility: "(action == 'yes') + (switch == 'on') + (mood == 'Yes')"
"""
    s = loads(text)
    assert s.actions == ("yes", "no")
    switch = s.variable("switch")
    assert isinstance(switch, Chance)
    assert [label for label, _ in switch.outcomes] == ["on", "off"]
    mood = s.variable("mood")
    assert isinstance(mood, Select)
    assert mood.options == ("y", "n", "Yes", "NO", "On", "OFF", "yes")
    assert all(type(o) is str for o in mood.options)
    guess = s.variable("guess")
    assert isinstance(guess, Prediction)
    assert guess.given == (("switch", "on"),)


def test_true_and_false_are_booleans(backend: str) -> None:
    text = with_variables(
        "  shown: {select: [true, False]}\n  coin: {chance: {TRUE: 1/2, false: 1/2}}\n"
    )
    s = loads(text)
    shown = s.variable("shown")
    assert isinstance(shown, Select)
    assert shown.options == (True, False)
    assert [type(o) for o in shown.options] == [bool, bool]
    coin = s.variable("coin")
    assert isinstance(coin, Chance)
    assert [label for label, _ in coin.outcomes] == [True, False]
    assert [type(label) for label, _ in coin.outcomes] == [bool, bool]


def test_quoted_true_is_a_string() -> None:
    s = loads(with_variables("  shown: {select: ['true', \"false\", true]}\n"))
    shown = s.variable("shown")
    assert isinstance(shown, Select)
    assert shown.options == ("true", "false", True)


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [
        ("0.99", Fraction(99, 100)),
        ("0.1", Fraction(1, 10)),
        ("1e-2", Fraction(1, 100)),
        (".5", Fraction(1, 2)),
        ("1/3", Fraction(1, 3)),
        ("'0.99'", Fraction(99, 100)),
        ("3", Fraction(3)),
        ("+3", Fraction(3)),
        ("-0.25", Fraction(-1, 4)),
        ("0o17", Fraction(15)),
        ("0x1F", Fraction(31)),
        ("1 - 0.01", Fraction(99, 100)),
    ],
)
def test_numbers_are_exact(scalar: str, expected: Fraction) -> None:
    s = loads(MINIMAL + f"parameters: {{q: {scalar}}}\n")
    assert s.parameters["q"] == expected
    assert isinstance(s.parameters["q"], Fraction)


def test_probabilities_and_accuracies_are_exact() -> None:
    text = with_variables(
        "  c: {chance: {a: 0.1, b: 0.9}}\n  p: {predicts: action, accuracy: 0.99}\n"
    )
    s = loads(text)
    c = s.variable("c")
    assert isinstance(c, Chance)
    assert [e({}) for _, e in c.outcomes] == [Fraction(1, 10), Fraction(9, 10)]
    p = s.variable("p")
    assert isinstance(p, Prediction)
    assert p.accuracy({}) == Fraction(99, 100)


def test_integer_labels_and_their_string_twins_differ() -> None:
    s = loads(with_variables("  die: {chance: {1: 1/3, '1': 1/3, 2: 1/3}}\n"))
    die = s.variable("die")
    assert isinstance(die, Chance)
    assert [label for label, _ in die.outcomes] == [1, "1", 2]


@pytest.mark.parametrize("scalar", [".inf", "-.inf", ".nan", ".NaN", "+.Inf"])
def test_infinities_and_nan_are_refused(scalar: str) -> None:
    err = fails(MINIMAL + f"parameters: {{q: {scalar}}}\n")
    assert err.path == ("parameters", "q")
    assert f"{scalar} is not an exact number" in err.message


def test_a_decimal_with_a_huge_exponent_is_refused() -> None:
    # Fraction("1e999999999") would build a billion-digit integer
    err = fails(MINIMAL + "parameters: {q: 1e999999999}\n")
    assert err.path == ("parameters", "q")
    assert "too large" in err.message
    assert err.line == 7


# -- refused YAML features -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "key: 1\nkey: 2\n",
        "a: {x: 1, x: 2}\n",
        "a:\n  b: 1\n  c: 2\n  b: 3\n",
        "a: {true: 1, True: 2}\n",
        "a: {1: x, 0o1: y}\n",
    ],
)
def test_duplicate_keys_are_refused(text: str) -> None:
    err = fails(text)
    assert "duplicate key" in err.message
    assert err.line is not None


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ("{1: 1/4, true: 3/4}", "duplicate key 'true' (the same as '1')"),
        ("{false: 1/4, 0: 3/4}", "duplicate key '0' (the same as 'false')"),
        ("{1: 1/4, 0o1: 3/4}", "duplicate key '0o1' (the same as '1')"),
    ],
)
def test_keys_equal_as_values_are_duplicates(outcomes: str, expected: str) -> None:
    # a Python dict cannot hold both 1 and true: one outcome used to vanish silently
    err = fails(with_variables(f"  d: {{chance: {outcomes}}}\n"))
    assert err.path == ("variables", "d", "chance")
    assert err.message == expected


def test_an_integer_key_and_its_quoted_twin_are_different() -> None:
    s = loads(with_variables("  d: {chance: {1: 1/4, '1': 3/4}}\n"))
    d = s.variable("d")
    assert isinstance(d, Chance)
    assert [(label, e({})) for label, e in d.outcomes] == [
        (1, Fraction(1, 4)),
        ("1", Fraction(3, 4)),
    ]


def test_duplicate_key_names_its_mapping_and_line() -> None:
    text = MINIMAL.replace(
        "  x: {chance: {heads: 1/2, tails: 1/2}}\n",
        "  x: {chance: {heads: 1/2, tails: 1/2}}\n  x: {value: 1}\n",
    )
    err = fails(text)
    assert err.path == ("variables",)
    assert "duplicate key 'x'" in err.message
    assert err.line == 6
    assert str(err).startswith("test.yaml:6:3: variables: duplicate key 'x'")


@pytest.mark.parametrize(
    "text",
    [
        MINIMAL.replace("actions: [a, b]", "actions: &acts [a, b]") + "references: *acts\n",
        "a: &x [1]\nb: *x\n",
        "base: &b {x: 1}\nother:\n  <<: *b\n",
        "loop: &a [*a]\n",
        "loop: &a {k: *a}\n",
    ],
)
def test_aliases_are_refused(text: str) -> None:
    err = fails(text)
    assert "anchors and aliases (& and *) are not supported" in err.message


def billion_laughs(levels: int = 9, width: int = 10) -> str:
    lines = ['lol0: &a0 "lol"']
    for i in range(1, levels + 1):
        lines.append(f"lol{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_an_alias_is_refused_where_it_stands_even_if_undefined() -> None:
    err = fails("a: 1\nb: [x, *undefined]\n")
    assert err.message == "anchors and aliases (& and *) are not supported"
    assert (err.path, err.line, err.column) == (("b", 1), 2, 8)


def test_billion_laughs_fails_fast() -> None:
    # 10**9 leaves if expanded; refused at the first alias instead
    err = fails(billion_laughs())
    assert "anchors and aliases" in err.message
    assert err.path == ("lol1", 0)


def test_billion_laughs_inside_a_scenario_fails_fast() -> None:
    bomb = billion_laughs().replace("\n", "\n  ")
    err = fails(MINIMAL + "description:\n  " + bomb)
    assert "anchors and aliases" in err.message
    assert err.path[0] == "description"


@pytest.mark.parametrize(
    "value",
    [
        "!!python/object:os.system {}",
        "!!python/object/apply:os.system ['echo pwned']",
        "!!python/name:os.system ''",
        "!!python/module:os ''",
        "!!binary aGVsbG8=",
        "!!int '3'",
        "!!float 1",
        "!!bool yes",
        "!!null ''",
        "!!set {a, b}",
        "!!omap [a: 1]",
        "!custom thing",
        "!<tag:example.com,2000:app/x> thing",
    ],
)
def test_explicit_tags_are_refused(value: str, backend: str) -> None:
    err = fails(MINIMAL.replace("name: Minimal", f"name: {value}"))
    assert err.path == ("name",)
    assert "YAML tags such as" in err.message
    assert "are not supported" in err.message
    assert err.line == 2


@pytest.mark.parametrize("backend", ["default", "pure-python"], indirect=True)
@pytest.mark.parametrize("text", ["!!str 123", "! 123", "!!str true", "!<tag:yaml.org,2002:str> 1"])
def test_a_string_tag_makes_a_string(text: str, backend: str) -> None:
    # YAML's own string tags are the one kind accepted: the scalar stays text, never a number
    s = loads(MINIMAL.replace("name: Minimal", f"name: {text}"))
    assert s.name == text.split()[-1]


def test_a_string_tag_on_a_collection_is_refused() -> None:
    err = fails(MINIMAL.replace("actions: [a, b]", "actions: !!str [a, b]"))
    assert "YAML tags such as 'tag:yaml.org,2002:str' are not supported" in err.message


def test_non_mapping_keys_are_refused() -> None:
    err = fails("? [a, b]\n: 1\n")
    assert "mapping keys must be plain values" in err.message


@pytest.mark.parametrize("key", ["0.5", "1e3", "~", "null"])
def test_keys_that_are_not_labels_are_refused(key: str) -> None:
    err = fails(with_variables(f"  c: {{chance: {{{key}: 1, b: 0}}}}\n"))
    assert err.path == ("variables", "c", "chance")
    assert f"{key!r} cannot be a key here" in err.message


# -- encodings and sizes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        MINIMAL.replace("Minimal", "Minimal \u00e9").encode("latin-1"),
        b"newcomb: 1\nname: \xff\xfe\n",
        MINIMAL.encode("utf-16"),
        b"\xc3",  # a truncated two-byte sequence
    ],
)
def test_non_utf8_bytes_are_refused(data: bytes) -> None:
    err = fails(data, file="latin.yaml")
    assert "file is not UTF-8 text" in err.message
    assert err.path == ()


def test_lone_surrogate_in_text_is_refused() -> None:
    err = fails(MINIMAL.replace("Minimal", "Mini\ud800mal"))
    assert "Unicode" in err.message or "unacceptable character" in err.message


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b"])
def test_control_characters_are_refused(char: str, backend: str) -> None:
    err = fails(MINIMAL.replace("Minimal", f"Mini{char}mal"))
    assert f"unacceptable character #x{ord(char):04x}" in err.message
    assert "\n" not in str(err)


def padded(size: int) -> bytes:
    """A valid scenario padded with a comment to exactly ``size`` bytes."""
    body = MINIMAL.encode()
    return body + b"#" + b"x" * (size - len(body) - 2) + b"\n"


def test_file_of_exactly_max_bytes_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(padded(MAX_BYTES))
    assert path.stat().st_size == MAX_BYTES
    assert load(path).name == "Minimal"


def test_file_larger_than_max_bytes_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(padded(MAX_BYTES + 1))
    with pytest.raises(ScenarioError) as info:
        load(path)
    err = info.value
    assert err.file == str(path)
    assert f"larger than the limit of {MAX_BYTES}" in err.message
    assert str(MAX_BYTES + 1) in err.message


def test_text_larger_than_max_bytes_is_refused() -> None:
    assert "larger than the limit" in fails(padded(MAX_BYTES + 1)).message
    assert "larger than the limit" in fails(padded(MAX_BYTES + 1).decode()).message


def test_max_bytes_is_read_at_call_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(MINIMAL)
    monkeypatch.setattr(nio, "MAX_BYTES", 64)
    with pytest.raises(ScenarioError) as info:
        load(path)
    assert "larger than the limit of 64" in info.value.message


def test_a_long_flat_document_is_read_in_linear_time() -> None:
    # 10,000 keys: duplicate detection used to be quadratic (about 17 s for this)
    keys = "".join(f"  k{i}: 1\n" for i in range(10000))
    err = fails(MINIMAL + "extra:\n" + keys)
    assert err.path == ("extra",)
    assert "unknown key 'extra'" in err.message


@pytest.mark.parametrize(
    "text",
    [
        "[" * 5000 + "]" * 5000,
        "a: " + "{b: " * 3000 + "1" + "}" * 3000,
        "- " * 3000 + "1\n",
        "[" * 100_000 + "]" * 100_000,  # past some libyaml builds' C stack (issue: CI exit 139)
        "[" * 600 + "]" * 600,  # within libyaml's own limit where it has one
        "[" * 101 + "]" * 101,
    ],
)
@pytest.mark.parametrize("backend", ["default", "pure-python"], indirect=True)
def test_deep_nesting_is_refused(text: str, backend: str) -> None:
    # either the parser's own limit (some libyaml builds stop at 1000) or MAX_NESTING
    err = fails(text)
    assert "nest" in err.message
    assert err.line == 1


@pytest.mark.parametrize("backend", ["default", "pure-python"], indirect=True)
def test_nesting_up_to_the_limit_is_read(backend: str) -> None:
    # the top-level mapping is one level, so this is exactly MAX_NESTING deep: it is read, and
    # then refused by the scenario's own check of references, one level in
    deep = "[" * (nio.MAX_NESTING - 1) + "x" + "]" * (nio.MAX_NESTING - 1)
    err = fails(MINIMAL + f"references: {deep}\n")
    assert err.message == "expected a string, got a list"
    assert err.path == ("references", 0)
    err = fails(MINIMAL + f"references: [{deep}]\n")
    assert err.message == f"YAML nested more than {nio.MAX_NESTING} levels deep"


@pytest.mark.parametrize("backend", ["pure-python"], indirect=True)
def test_deep_nesting_is_refused_where_it_starts(backend: str) -> None:
    err = fails("a:\n  b: " + "[" * 200 + "]" * 200)
    assert err.message == f"YAML nested more than {nio.MAX_NESTING} levels deep"
    # two mappings, then the bracket at column 5 + k opens level 2 + k: the first one too many
    # is bracket k = MAX_NESTING - 1
    assert (err.line, err.column) == (2, 5 + nio.MAX_NESTING - 1)


# -- empty and non-mapping documents ---------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", b""])
def test_empty_file(text: str | bytes) -> None:
    err = fails(text)
    assert "the file is empty; expected a scenario mapping" in err.message


@pytest.mark.parametrize(
    ("text", "got"),
    [
        ("---\n", "got nothing (null)"),
        ("null\n", "got nothing (null)"),
        ("- newcomb: 1\n- name: x\n", "got a list"),
        ("just words\n", "got 'just words'"),
        ("42\n", "got the number 42"),
        ("true\n", "got the boolean true"),
    ],
)
def test_document_that_is_not_a_mapping(text: str, got: str) -> None:
    err = fails(text)
    assert err.path == ()
    assert "expected a mapping with keys newcomb, name, actions, variables, utility" in err.message
    assert got in err.message


def test_two_documents_are_refused() -> None:
    err = fails(MINIMAL + "---\n" + MINIMAL)
    assert "malformed YAML" in err.message
    assert "single document" in err.message


# -- malformed YAML --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("newcomb: 1\nactions: [a, b\nname: x\n", 3),
        ("newcomb: 1\nname: 'unterminated\n", 3),
        ("newcomb: 1\n  name: x\n", 2),
        ("newcomb: 1\nname: x: y\n", 2),
        ("newcomb: 1\n\tname: x\n", 2),
        ("a: {b: 1\n", 2),
    ],
)
def test_malformed_yaml_has_line_and_column(text: str, line: int) -> None:
    err = fails(text)
    assert err.message.startswith("malformed YAML")
    assert err.line == line
    assert err.column is not None and err.column >= 1
    assert str(err).startswith(f"test.yaml:{line}:{err.column}: malformed YAML")


# -- structure -------------------------------------------------------------------------------


def test_unknown_top_level_key() -> None:
    err = fails(MINIMAL + "utilty: 2\n")
    assert err.path == ("utilty",)
    assert "unknown key 'utilty'" in err.message
    assert "expected one of: actions, description, name, newcomb" in err.message
    assert err.line == 7


def test_unknown_variable_key() -> None:
    err = fails(with_variables("  p: {predicts: action, accuracy: 1, confidence: 2}\n"))
    assert err.path == ("variables", "p", "confidence")
    assert "unknown key 'confidence' (expected one of: accuracy, given, predicts)" in err.message
    assert err.line == 5


def test_unknown_predictor_key() -> None:
    err = fails(MINIMAL + "predictor: {prefer: x, paradox: fail}\n")
    assert err.path == ("predictor", "paradox")
    assert "unknown key 'paradox' (expected one of: on_paradox, prefer)" in err.message


@pytest.mark.parametrize("key", ["newcomb", "name", "actions", "variables", "utility"])
def test_missing_required_key(key: str) -> None:
    text = "".join(line + "\n" for line in MINIMAL.splitlines() if not line.startswith(f"{key}:"))
    if key == "variables":
        text = text.replace("  x: {chance: {heads: 1/2, tails: 1/2}}\n", "")
    err = fails(text)
    assert err.path == ()
    assert f"missing required key {key!r}" in err.message


@pytest.mark.parametrize(
    ("version", "shown"),
    [
        ("2", "2"),
        ("0", "0"),
        ("'1'", "'1'"),
        ("true", "true"),
        ("1.5", "3/2"),
        ("~", "null"),
        ("[1]", "[1]"),
    ],
)
def test_format_version_must_be_1(version: str, shown: str) -> None:
    err = fails(MINIMAL.replace("newcomb: 1", f"newcomb: {version}"))
    assert err.path == ("newcomb",)
    assert f"unsupported format version {shown}; this newcomb reads version 1" in err.message
    assert err.line == 1


@pytest.mark.parametrize(
    ("old", "new", "path", "expected"),
    [
        ("name: Minimal", "name: [M]", ("name",), "expected a string, got a list"),
        ("name: Minimal", "name: 3", ("name",), "expected a string, got the number 3"),
        ("name: Minimal", "name:", ("name",), "expected a string, got nothing (null)"),
        ("actions: [a, b]", "actions: a", ("actions",), "expected a list of action names, got 'a'"),
        ("actions: [a, b]", "actions: {a: 1}", ("actions",), "expected a list of action names"),
        ("actions: [a, b]", "actions: [a, 2]", ("actions", 1), "expected an action name"),
        ("actions: [a, b]", "actions: [a, [b]]", ("actions", 1), "expected an action name"),
        ("actions: [a, b]", "actions: []", ("actions",), "expected at least two actions, got 0"),
        ("actions: [a, b]", "actions: [a]", ("actions",), "expected at least two actions, got 1"),
        ("actions: [a, b]", "actions: [a, b, a]", ("actions",), "duplicate action 'a'"),
        (
            "variables:\n  x: {chance: {heads: 1/2, tails: 1/2}}\n",
            "variables: [x]\n",
            ("variables",),
            "expected a mapping of variable names to kinds, got a list",
        ),
        (
            "  x: {chance: {heads: 1/2, tails: 1/2}}",
            "  x: [chance]",
            ("variables", "x"),
            "expected a mapping with one of: chance, value, predicts, select, correlate, decide",
        ),
        (
            "  x: {chance: {heads: 1/2, tails: 1/2}}",
            "  x: {chance: [heads, tails]}",
            ("variables", "x", "chance"),
            "expected a mapping of outcomes to probabilities, got a list",
        ),
        (
            "  x: {chance: {heads: 1/2, tails: 1/2}}",
            "  x: {chance: {heads: [1], tails: 1/2}}",
            ("variables", "x", "chance", "heads"),
            "expected an expression (a string or number), got list",
        ),
        (
            "  x: {chance: {heads: 1/2, tails: 1/2}}",
            "  x: {select: heads}",
            ("variables", "x", "select"),
            "expected a list of options",
        ),
        (
            "  x: {chance: {heads: 1/2, tails: 1/2}}",
            "  x: {select: [[heads]]}",
            ("variables", "x", "select"),
            "expected a label",
        ),
        (
            "  x: {chance: {heads: 1/2, tails: 1/2}}",
            "  x: {value: [1]}",
            ("variables", "x", "value"),
            "expected an expression",
        ),
        (
            "  x: {chance: {heads: 1/2, tails: 1/2}}",
            "  x: {predicts: action, given: [heads]}",
            ("variables", "x", "given"),
            "expected a mapping of observed variables to values",
        ),
        (
            "  x: {chance: {heads: 1/2, tails: 1/2}}",
            "  x: {correlate: [a, b], prior: {y: 1}}",
            ("variables", "x", "correlate"),
            "expected a mapping from each action to P(value | action)",
        ),
        (
            "  x: {chance: {heads: 1/2, tails: 1/2}}",
            "  x: {correlate: {a: 1, b: 1}, prior: {y: 1}}",
            ("variables", "x", "correlate", "a"),
            "expected a mapping of values to probabilities",
        ),
        (
            "  x: {chance: {heads: 1/2, tails: 1/2}}",
            "  x: {correlate: {a: {y: 1}, b: {y: 1}}, prior: [y]}",
            ("variables", "x", "prior"),
            "expected a mapping of values to probabilities",
        ),
        (
            "utility: \"x == 'heads'\"",
            "utility: [1]",
            ("utility",),
            "expected an expression (a string or number), got list",
        ),
        (
            "utility: \"x == 'heads'\"",
            "utility:",
            ("utility",),
            "expected an expression (a string or number), got NoneType",
        ),
    ],
)
def test_wrong_types(old: str, new: str, path: tuple[str | int, ...], expected: str) -> None:
    assert old in MINIMAL
    err = fails(MINIMAL.replace(old, new))
    assert err.path == path
    assert expected in err.message
    assert err.line is not None


@pytest.mark.parametrize(
    ("extra", "path", "expected"),
    [
        ("references: a string\n", ("references",), "expected a list, got 'a string'"),
        ("references: [1]\n", ("references", 0), "expected a string, got the number 1"),
        ("summary: [x]\n", ("summary",), "expected a string, got a list"),
        ("description: {a: 1}\n", ("description",), "expected a string, got a mapping"),
        ("parameters: [p]\n", ("parameters",), "expected a mapping of names to numbers"),
        ("parameters: {p: true}\n", ("parameters", "p"), "expected a number, got a boolean"),
        ("parameters: {p: [1]}\n", ("parameters", "p"), "expected an exact number"),
        ("parameters: {p: hello}\n", ("parameters", "p"), "unknown name 'hello'"),
        ("parameters: {1: 2}\n", ("parameters", "1"), "must be an identifier"),
        ("observes: x\n", ("observes",), "expected a list of variable names, got 'x'"),
        ("observes: [[x]]\n", ("observes", 0), "expected a string, got a list"),
        ("predictor: fail\n", ("predictor",), "expected a mapping with prefer and on_paradox"),
        (
            "predictor: {on_paradox: [fail]}\n",
            ("predictor", "on_paradox"),
            "expected one of fail, random, retry, got a list",
        ),
        (
            "predictor: {on_paradox: true}\n",
            ("predictor", "on_paradox"),
            "expected one of fail, random, retry, got the boolean true",
        ),
        (
            "predictor: {on_paradox: yes}\n",
            ("predictor", "on_paradox"),
            "expected one of fail, random, retry, got 'yes'",
        ),
        (
            "predictor: {on_paradox: Retry}\n",
            ("predictor", "on_paradox"),
            "expected one of fail, random, retry, got 'Retry'",
        ),
    ],
)
def test_wrong_types_of_optional_keys(
    extra: str, path: tuple[str | int, ...], expected: str
) -> None:
    err = fails(MINIMAL + extra)
    assert err.path == path
    assert expected in err.message
    assert err.line == 7


@pytest.mark.parametrize("rule", ["fail", "random", "retry"])
def test_paradox_rules_are_read(rule: str) -> None:
    assert loads(MINIMAL + f"predictor: {{on_paradox: {rule}}}\n").predictor.on_paradox == rule


def test_variable_with_two_kinds() -> None:
    err = fails(with_variables("  x: {value: 1, chance: {a: 1}}\n"))
    assert err.path == ("variables", "x")
    assert (
        "expected exactly one of chance, value, predicts, select, correlate, decide, "
        "got value, chance" in err.message
    )
    assert err.line == 5


def test_variable_with_no_kind() -> None:
    err = fails(with_variables("  x: {vaule: 1}\n"))
    assert err.path == ("variables", "x", "vaule")
    assert err.message == (
        "unknown key 'vaule' (expected one of: chance, value, predicts, select, correlate, "
        "decide); did you mean 'value'?"
    )


def test_kind_specific_keys_belong_to_their_kind() -> None:
    err = fails(with_variables("  x: {value: 1, prior: {a: 1}}\n"))
    assert err.path == ("variables", "x", "prior")
    assert "unknown key 'prior' (expected one of: value)" in err.message


@pytest.mark.parametrize("what", ["agent", "omega", "true", "yes", "[action]", "~"])
def test_predicts_must_be_action(what: str) -> None:
    err = fails(with_variables(f"  p: {{predicts: {what}}}\n"))
    assert err.path == ("variables", "p", "predicts")
    if what in ("agent", "omega", "yes"):  # a name, but no decision point of that name
        assert (
            f"predicts '{what}'; without decision points (decide variables) a predictor "
            "predicts 'action'"
        ) in err.message
    else:
        assert "expected 'action' or the name of a decision point" in err.message
    assert err.line == 5


def test_correlate_needs_a_prior() -> None:
    err = fails(with_variables("  k: {correlate: {a: {y: 1}, b: {y: 1}}}\n"))
    assert err.path == ("variables", "k")
    assert "a correlate needs a prior (its frequency in the world)" in err.message


def test_non_string_variable_name() -> None:
    err = fails(with_variables("  3: {value: 1}\n"))
    assert err.path == ("variables",)
    assert "variable name 3 must be a string" in err.message


# -- errors point at the line of the mistake ------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "line", "path"),
    [
        (
            "coincide: {value: box == omicron}",
            "coincide: {value: box == omikron}",
            9,
            ("variables", "coincide", "value"),
        ),
        (
            "{composite: p, prime: 1 - p}",
            "{composite: p, prime: 1 - pp}",
            6,
            ("variables", "omicron", "chance", "prime"),
        ),
        ("accuracy: 1}", "accuracy: q}", 7, ("variables", "prediction", "accuracy")),
        ("observes: [coincide]", "observes: [coincide, box2]", 10, ("observes", 1)),
        ("{prefer: coincide,", "{prefer: coincides,", 12, ("predictor", "prefer")),
        ("{p: 1/2}", "{p: 1/2, q: 2**1000}", 3, ("parameters", "q")),
    ],
)
def test_error_line_is_the_line_of_the_mistake(
    old: str, new: str, line: int, path: tuple[str | int, ...]
) -> None:
    assert old in OMICRON
    err = fails(OMICRON.replace(old, new), file="omicron.yaml")
    assert err.path == path
    assert err.line == line
    assert str(err).startswith(f"omicron.yaml:{line}:{err.column}: {format_path(path)}: ")


def test_errors_in_expressions_are_located() -> None:
    err = fails(OMICRON.replace("utility: 1000000*", "utility: __import__('os') + 1000000*"))
    assert err.path == ("utility",)
    assert err.line == 11
    assert "calling '__import__' is not allowed (only min, max and abs)" in err.message


# -- load() ----------------------------------------------------------------------------------


def test_load_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(MINIMAL + "utilty: 1\n")
    with pytest.raises(ScenarioError) as info:
        load(path)
    assert info.value.file == str(path)
    assert str(info.value).startswith(f"{path}:7:")


def test_load_accepts_str_paths(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(OMICRON)
    assert load(str(path)) == loads(OMICRON)


def test_load_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ScenarioError) as info:
        load(path)
    assert str(info.value) == f"{path}: no such file"


def test_load_directory(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load(tmp_path)
    assert str(info.value) == f"{tmp_path}: not a file"


# -- the folder of bad files -----------------------------------------------------------------


def expectations(path: Path) -> tuple[str, str, int | None]:
    """(key path, message fragment, line) from a bad file's header; the line is the one marked
    ``# <-- here`` (None when no line is marked)."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    header = dict(re.findall(r"^# (expect-[a-z]+): ?(.*)$", text, flags=re.MULTILINE))
    marked = [i for i, line in enumerate(text.splitlines(), 1) if line.endswith("# <-- here")]
    assert len(marked) <= 1, f"{path.name}: mark at most one line"
    return header["expect-path"], header["expect-message"], marked[0] if marked else None


def test_the_bad_folder_is_not_empty() -> None:
    assert len(BAD) >= 40


# Every file with libyaml (when present), and with the pure-Python parser io falls back on.
BAD_CASES = [pytest.param(p, "default", id=p.stem) for p in BAD] + [
    pytest.param(p, "pure-python", id=f"{p.stem}-pure-python") for p in BAD
]


@pytest.mark.parametrize(("path", "backend"), BAD_CASES, indirect=["backend"])
def test_bad_file_is_refused_with_file_line_and_key(path: Path, backend: str) -> None:
    key, message, line = expectations(path)
    with pytest.raises(ScenarioError) as info:
        load(path)
    err = info.value
    text = str(err)
    assert err.file == str(path)
    assert text.startswith(str(path))
    assert "\n" not in text  # one line, for the CLI
    assert format_path(err.path) == key
    if key:
        assert f": {key}: " in text
    assert message in text
    if line is not None:
        assert err.line == line
        assert text.startswith(f"{path}:{line}:")


# -- writing and reading back ----------------------------------------------------------------


def test_the_scenarios_folder_is_not_empty() -> None:
    assert any(p.name == "omicron.yaml" for p in SCENARIOS)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_round_trip_of_shipped_scenarios(path: Path) -> None:
    s = load(path)
    text = dumps(s)
    again = loads(text, file="dumped.yaml")
    assert again == s
    assert dumps(again) == text  # writing is deterministic


def tricky() -> Scenario:
    """A scenario whose strings look like other YAML types, with every kind of variable."""
    return Scenario(
        name="1e3",
        summary="yes",
        description="null",
        references=["1.5", "true", "0o17", "~", "", "09"],
        parameters={"q": Fraction(99, 100), "big": 10**30, "neg": "-1/3"},
        actions=["yes", "no", "0x1F"],
        variables=[
            Chance(name="c", outcomes={"on": "q", "1e3": "(1 - q) / 2", "": "(1 - q) / 2"}),
            Chance(name="d", outcomes=[(1, "1/2"), ("1", "1/4"), ("true", "1/4")]),
            Select(name="s", options=["off", False, 7, "0", ".inf", "-.5"]),
            Correlate(
                name="k",
                table={
                    "yes": {"y": "9/10", "n": "1/10"},
                    "no": {"y": "1/10", "n": "9/10"},
                    "0x1F": {"y": "1/2", "n": "1/2"},
                },
                prior={"y": "1/2", "n": "1/2"},
            ),
            Prediction(name="p", accuracy="q", given={"c": "on", "d": 1}),
            Prediction(name="r", accuracy=Fraction(9, 10)),
            Value(name="v", expr="'yes' if p == 'yes' else 'no'"),
        ],
        observes=["c", "d"],
        utility="(v == 'yes') + 1e-2 * (s == 'off') + 0.5 * (k == 'y') + big * 0",
        predictor=Predictor(prefer="r == 'yes'", on_paradox="retry"),
    )


def test_round_trip_of_strings_that_look_like_other_things() -> None:
    s = tricky()
    again = loads(dumps(s))
    assert again == s
    assert again.name == "1e3"
    assert again.references == ("1.5", "true", "0o17", "~", "", "09")
    select = again.variable("s")
    assert isinstance(select, Select)
    assert [type(o) for o in select.options] == [str, bool, int, str, str, str]


@pytest.mark.parametrize("rule", ["fail", "random", "retry"])
def test_round_trip_keeps_the_paradox_rule(rule: str) -> None:
    s = loads(OMICRON).with_paradox(rule)
    assert loads(dumps(s)) == s


def test_round_trip_after_with_parameters() -> None:
    s = loads(OMICRON).with_parameters(p="1/5")
    again = loads(dumps(s))
    assert again == s
    assert again.parameters["p"] == Fraction(1, 5)


def test_to_dict_is_plain_data() -> None:
    d = to_dict(loads(MINIMAL + "parameters: {q: 0.99, n: 3}\n"))
    assert d["newcomb"] == 1
    assert d["parameters"] == {"q": "99/100", "n": 3}
    assert d["actions"] == ["a", "b"]
    assert d["variables"] == {"x": {"chance": {"heads": "1/2", "tails": "1/2"}}}
    assert d["predictor"] == {"on_paradox": "fail"}


def test_from_dict_reads_plain_data() -> None:
    data: dict[str, Any] = {
        "newcomb": 1,
        "name": "From data",
        "parameters": {"q": "0.9"},
        "actions": ["a", "b"],
        "variables": {"p": {"predicts": "action", "accuracy": "q"}},
        "utility": "p == 'a'",
    }
    s = from_dict(data)
    assert s.parameters == {"q": Fraction(9, 10)}
    assert from_dict(to_dict(s)) == s


def test_from_dict_refuses_non_mappings() -> None:
    with pytest.raises(ScenarioError) as info:
        from_dict(["not", "a", "mapping"])
    assert info.value.path == ()
    assert "expected a mapping" in info.value.message


# -- messages that say what is wrong ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "expected"),
    [
        (
            "newcomb: 1\n\tname: x\n",
            2,
            1,
            "tabs are not allowed for indentation in YAML; use spaces",
        ),
        ("newcomb: 1\nvariables:\n  \tc: 1\n", 3, 3, "tabs are not allowed for indentation"),
        ("newcomb: 1\nvariables:\n  c: 1\n\td: 2\n", 4, 1, "tabs are not allowed for indentation"),
    ],
)
def test_a_tab_is_named_with_its_line_and_column(
    text: str, line: int, column: int, expected: str
) -> None:
    err = fails(text)
    assert expected in err.message
    assert "cannot start any token" not in err.message
    assert (err.line, err.column) == (line, column)


@pytest.mark.parametrize(
    ("spec", "key", "suggestion"),
    [
        ("{chnace: {h: 1}}", "chnace", "chance"),
        ("{vlaue: 1}", "vlaue", "value"),
        ("{predict: action}", "predict", "predicts"),
        ("{selcet: [a]}", "selcet", "select"),
        ("{corelate: {}}", "corelate", "correlate"),
        ("{predicts: action, acuracy: 1}", "acuracy", "accuracy"),
    ],
)
def test_a_misspelt_key_is_named_with_the_nearest(spec: str, key: str, suggestion: str) -> None:
    err = fails(with_variables(f"  x: {spec}\n"))
    assert err.path == ("variables", "x", key)
    assert err.message.startswith(f"unknown key {key!r} (expected one of: ")
    assert err.message.endswith(f"; did you mean {suggestion!r}?")


def test_a_key_far_from_any_gets_the_list_only() -> None:
    err = fails(with_variables("  x: {zzzzzz: 1}\n"))
    assert err.message == (
        "unknown key 'zzzzzz' (expected one of: chance, value, predicts, select, correlate, decide)"
    )
    err = fails(MINIMAL + "utilty: 2\n")
    assert err.message.endswith("; did you mean 'utility'?")


@pytest.mark.parametrize(
    ("version", "shown"),
    [
        ("1e2", "100"),
        ("0.5", "1/2"),
        ("'1.0'", "'1.0'"),
        ("false", "false"),
        ("x" * 500, f"'{'x' * 79}…'"),
    ],
)
def test_the_format_version_is_shown_as_written(version: str, shown: str) -> None:
    err = fails(MINIMAL.replace("newcomb: 1", f"newcomb: {version}"))
    assert f"unsupported format version {shown};" in err.message
    assert "Fraction(" not in err.message and len(err.message) < 200


def test_huge_user_text_is_clipped_in_messages() -> None:
    huge = "k" * 100_000
    for text in (
        MINIMAL + f"{huge}: 1\n",  # an unknown key
        with_variables(f"  {huge}-x: {{value: 1}}\n"),  # a name that is not an identifier
        MINIMAL.replace("actions: [a, b]", "actions: [a, a]").replace("a, a", f"{huge}, {huge}"),
        MINIMAL.replace("utility: \"x == 'heads'\"", f"utility: x + {huge[:3000]}"),
    ):
        err = fails(text)
        assert len(str(err)) < 600, str(err)[:200]


def test_a_multi_line_message_is_one_line() -> None:
    err = ScenarioError("first\nsecond\r\n  third", ("a",), file="f.yaml")
    assert str(err) == "f.yaml: a: first second third"
    assert "\n" not in str(nio.ScenarioError("x\n"))


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Fraction(100), "100"),
        (Fraction(3, 2), "3/2"),
        (True, "true"),
        (None, "null"),
        ("abc", "'abc'"),
        (10**5000, "a number of about 5001 digits"),
        (Fraction(1, 10**5000), "1/a number of about 5001 digits"),
    ],
    ids=["whole", "ratio", "bool", "null", "string", "huge", "huge-ratio"],
)
def test_shown_writes_values_as_the_user_would(value: object, shown: str) -> None:
    from newcomb.errors import shown as show

    assert show(value) == shown  # never str() of a huge int (Python refuses past 4300 digits)


def test_reading_is_linear_in_the_number_of_variables() -> None:
    # 20,000 variables, each the value of the previous one, took 24 s to read (the names known
    # to each variable were rebuilt from all earlier ones); 2,000 took 0.14 s. Linear reading
    # gives a ratio near 10; the bound is generous, the quadratic one was about 170.
    import gc
    import time

    def chain(n: int) -> str:
        lines = [f"  v{i}: {{value: v{i - 1}}}" for i in range(1, n)]
        return with_variables("  v0: {chance: {x: 1/2, y: 1/2}}\n" + "\n".join(lines) + "\n")

    def seconds(text: str) -> float:
        best = float("inf")
        for _ in range(2):
            gc.collect()
            gc.disable()  # collections of the growing tree are noise here
            try:
                start = time.perf_counter()
                loads(text)
                best = min(best, time.perf_counter() - start)
            finally:
                gc.enable()
        return best

    small, large = chain(2_000), chain(20_000)
    assert seconds(large) / seconds(small) < 40


def test_every_error_is_one_bounded_line() -> None:
    from newcomb.errors import CLIP, MAX_MESSAGE, LimitError, UsageError, clip

    for err in (
        UsageError("a\nb" * 10_000),
        LimitError("line one\nline two"),
        ScenarioError("x" * 10_000_000, ("k" * 10_000,), file="f.yaml"),
    ):
        text = str(err)
        assert "\n" not in text
        assert len(text) <= MAX_MESSAGE + 200
    assert clip("y" * 10_000_000) == "y" * (CLIP - 1) + "…"
    assert clip("short\ntext") == "short text"
