"""The safe expression language (newcomb.expr): exact values, and refusal of everything else."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import pytest

from newcomb.errors import ScenarioError
from newcomb.expr import (
    MAX_BITS,
    MAX_DECIMAL_EXPONENT,
    MAX_SOURCE,
    Expr,
    constant,
    parse_expr,
    read_number,
)

PATH = ("variables", "box", "value")
ENV: dict[str, Any] = {
    "p": Fraction(1, 2),
    "box": "full",
    "n": Fraction(3),
    "flag": True,
    "action": "one_box",
}


def ev(text: object, env: Mapping[str, Any] | None = None) -> Any:
    """Parse ``text`` at PATH and evaluate it in ``env`` (ENV by default)."""
    return parse_expr(text, None, PATH)(ENV if env is None else env)


def rejected(text: object, known: set[str] | None = None) -> ScenarioError:
    """The error parsing ``text`` at PATH raises."""
    with pytest.raises(ScenarioError) as info:
        parse_expr(text, known, PATH)
    return info.value


def fails_on_eval(text: str, env: Mapping[str, Any] | None = None) -> ScenarioError:
    """The error evaluating ``text`` raises (it must parse)."""
    e = parse_expr(text, None, PATH)
    with pytest.raises(ScenarioError) as info:
        e(ENV if env is None else env)
    return info.value


# -- exact arithmetic ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.99", Fraction(99, 100)),
        ("1/3", Fraction(1, 3)),
        ("1e-2", Fraction(1, 100)),
        ("2.5e3", Fraction(2500)),
        ("1_000", Fraction(1000)),
        ("0.1 + 0.2", Fraction(3, 10)),
        ("1/3 + 1/3 + 1/3", Fraction(1)),
        ("1 - 0.99", Fraction(1, 100)),
        ("2 ** 10", Fraction(1024)),
        ("2 ** -2", Fraction(1, 4)),
        ("(1/3) ** 3", Fraction(1, 27)),
        ("-p", Fraction(-1, 2)),
        ("+p", Fraction(1, 2)),
        ("p * n", Fraction(3, 2)),
        ("n / 4", Fraction(3, 4)),
        ("1000000 * (1 - p) + 1000", Fraction(501000)),
    ],
)
def test_arithmetic_is_exact(text: str, expected: Fraction) -> None:
    value = ev(text)
    assert value == expected
    assert isinstance(value, Fraction)  # never a float


def test_float_literal_is_read_from_its_digits_not_its_binary_value() -> None:
    # 0.1 as a float is 3602879701896397/36028797018963968; the literal means 1/10 exactly.
    assert ev("0.1") == Fraction(1, 10)
    assert ev("0.30000000000000001") == Fraction(30000000000000001, 10**17)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("True + True", Fraction(2)),
        ("true * 5", Fraction(5)),
        ("false + 1", Fraction(1)),
        ("(box == 'full') * 1000000", Fraction(1000000)),
        ("(box == 'empty') * 1000000", Fraction(0)),
        ("flag + flag + 1", Fraction(3)),
        ("-True", Fraction(-1)),
        ("True / 2", Fraction(1, 2)),
    ],
)
def test_booleans_count_as_zero_and_one(text: str, expected: Fraction) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("false", False),
        ("True", True),
        ("False", False),
    ],
)
def test_boolean_literals(text: str, expected: bool) -> None:
    assert ev(text) is expected


# -- comparisons -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 < 2", True),
        ("2 < 1", False),
        ("1 <= 1", True),
        ("2 >= 3", False),
        ("3 > 2", True),
        ("0.5 == 1/2", True),
        ("p == 0.5", True),
        ("p != 1/2", False),
        ("box == 'full'", True),
        ("box != 'full'", False),
        ("'full' == box", True),
        ("1 == 'a'", False),  # a number never equals a string
        ("'1' != 1", True),
        ("True == 1", True),  # booleans count as 0/1
        ("'a' < 'b'", True),
        ("1 < 2 < 3", True),
        ("1 < 3 < 2", False),
        ("3 > 2 > 2", False),
        ("1 <= 1 <= 1 == 1", True),
        ("0 < p < 1", True),
        ("0 < p < 1/4", False),
    ],
)
def test_comparisons(text: str, expected: bool) -> None:
    assert ev(text) is expected


def test_chained_comparison_stops_at_the_first_false_link() -> None:
    # like Python: 1 > 2 is false, so 1/0 is never evaluated
    assert ev("1 > 2 < 1/0") is False


def test_ordering_a_string_against_a_number_is_an_error() -> None:
    err = fails_on_eval("box < 3")
    assert err.path == PATH
    assert "cannot order" in err.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("box in ['full', 'empty']", True),
        ("box in ['empty']", False),
        ("box not in ['empty']", True),
        ("box not in ['full', 'empty']", False),
        ("1/2 in [0.5, 1]", True),
        ("p in [1, 2, 3]", False),
        ("action in ['one_box']", True),
        ("n in (1, 2, 3)", True),
        ("1 in [1, 'a']", True),
        ("'a' in [1, 'a']", True),
        ("2 in [1, 'a']", False),
    ],
)
def test_in_on_literal_lists(text: str, expected: bool) -> None:
    assert ev(text) is expected


def test_in_over_a_long_literal_list_is_correct() -> None:
    # a thousand literals: each used to re-split the whole source (seconds per expression)
    text = "n in [" + ", ".join(["0.5"] * 700) + ", 3]"
    assert len(text) < MAX_SOURCE
    assert ev(text) is True
    assert ev(text.replace(", 3]", "]")) is False


# -- conditionals and logic ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'prime' if n == 3 else 'composite'", "prime"),
        ("'prime' if n == 4 else 'composite'", "composite"),
        ("1 if flag else 1/0", Fraction(1)),  # only the branch taken is evaluated
        ("1/0 if not flag else 2", Fraction(2)),
        ("1 if 0 else 2", Fraction(2)),
        ("10 if p else 20", Fraction(10)),  # a non-zero number is true
    ],
)
def test_if_else(text: str, expected: object) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true and false", False),
        ("true and true", True),
        ("false or true", True),
        ("false or false", False),
        ("not true", False),
        ("not 0", True),
        ("not p", False),
        ("1 and 0", Fraction(0)),  # like Python: the deciding operand
        ("0 or 3", Fraction(3)),
        ("2 and 3", Fraction(3)),
        ("false and 1/0", False),  # short-circuit: 1/0 never runs
        ("true or 1/0", True),
        ("box == 'full' and n > 2", True),
        ("box == 'empty' or n > 5", False),
        ("not (box == 'full' and n > 2)", False),
    ],
)
def test_and_or_not(text: str, expected: object) -> None:
    assert ev(text) == expected


def test_a_string_is_not_a_truth_value() -> None:
    for text in ("'yes' if box else 1", "not box", "box and 1"):
        err = fails_on_eval(text)
        assert err.path == PATH
        assert "is not a truth value" in err.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("min(1, 2)", Fraction(1)),
        ("max(1, 2, 3)", Fraction(3)),
        ("min(p, 1/3)", Fraction(1, 3)),
        ("max(p, 1/3)", Fraction(1, 2)),
        ("abs(-3/4)", Fraction(3, 4)),
        ("abs(p - 1)", Fraction(1, 2)),
        ("max(true, 0)", Fraction(1)),
        ("min(max(1, 2), abs(-5))", Fraction(2)),
    ],
)
def test_min_max_abs(text: str, expected: Fraction) -> None:
    assert ev(text) == expected


def test_min_of_strings_is_an_error() -> None:
    err = fails_on_eval("min(box, 1)")
    assert err.path == PATH
    assert "expected a number" in err.message


# -- names -----------------------------------------------------------------------------------


def test_free_names_are_collected() -> None:
    e = parse_expr("1000 * (box == 'full') + p * n if action == 'one_box' else true", None, PATH)
    assert e.names == frozenset({"box", "p", "n", "action"})


def test_min_max_abs_and_booleans_are_not_free_names() -> None:
    assert parse_expr("min(1, 2) + max(1, 2) + abs(-1) + true + False").names == frozenset()


def test_known_names_are_enforced_at_parse_time() -> None:
    assert parse_expr("box + p", {"box", "p"}).names == {"box", "p"}
    err = rejected("box + q", {"box", "p"})
    assert err.path == PATH
    assert "unknown name 'q'" in err.message
    assert "box, p" in err.message  # says which names were allowed


def test_a_name_without_a_value_fails_on_evaluation() -> None:
    err = fails_on_eval("box + 1", {})
    assert err.path == PATH
    assert "'box' has no value here" in err.message


def test_expression_remembers_source_and_path() -> None:
    e = parse_expr("  p + 1  ", None, PATH)
    assert e.source == "p + 1"
    assert e.path == PATH
    assert str(e) == "p + 1"


def test_expressions_compare_by_source_not_by_closure() -> None:
    assert parse_expr("p + 1", None, PATH) == parse_expr("p + 1", None, PATH)
    assert parse_expr("p + 1", None, PATH) != parse_expr("1 + p", None, PATH)
    assert parse_expr("p + 1", None, PATH) != parse_expr("p + 1", None, ("utility",))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, Fraction(1)),
        (Fraction(1, 3), Fraction(1, 3)),
        (True, True),
        (False, False),
    ],
)
def test_numbers_and_booleans_are_literals(value: object, expected: object) -> None:
    e = parse_expr(value, None, PATH)
    assert e.names == frozenset()
    result = e({})
    assert result == expected
    assert type(result) is type(expected)


def test_constant() -> None:
    assert constant(3, PATH)({}) == Fraction(3)
    assert isinstance(constant(3)({}), Fraction)
    assert constant("full")({}) == "full"
    assert constant(True)({}) is True
    assert constant(Fraction(1, 2), PATH).path == PATH


# -- refusal at parse time -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("box.upper", "attribute access is not allowed"),
        ("(1).real", "attribute access is not allowed"),
        ("p.__class__.__bases__", "attribute access is not allowed"),
        ("print(1)", "calling 'print' is not allowed (only min, max and abs)"),
        ("eval('1')", "calling 'eval' is not allowed"),
        ("open('/etc/passwd')", "calling 'open' is not allowed"),
        ("__import__('os')", "calling '__import__' is not allowed"),
        ("__import__('os').system('true')", "is not allowed"),
        ("box.upper()", "attribute access is not allowed ('box.upper')"),
        ("(lambda: 1)()", "lambda is not allowed"),
        ("min(*[1, 2])", "keyword and star arguments are not allowed"),
        ("max(1, key=abs)", "keyword and star arguments are not allowed"),
        ("min(1)", "min takes at least two arguments"),
        ("abs(1, 2)", "abs takes exactly one argument"),
        ("__builtins__", "the name '__builtins__' is not allowed"),
        ("__class__ + 1", "the name '__class__' is not allowed"),
        ("_private", "the name '_private' is not allowed"),
        ("lambda: 1", "lambda is not allowed"),
        ("lambda x: x", "lambda is not allowed"),
        ("[x for x in [1, 2]]", "comprehensions are not allowed"),
        ("{x for x in [1]}", "comprehensions are not allowed"),
        ("{x: 1 for x in [1]}", "comprehensions are not allowed"),
        ("sum(x for x in [1])", "is not allowed"),
        ("box[0]", "subscripts are not allowed"),
        ("[1, 2][0]", "subscripts are not allowed"),
        ("(x := 1)", "assignment is not allowed"),
        ("[1, 2]", "a list may only stand on the right of 'in'"),
        ("(1, 2)", "a list may only stand on the right of 'in'"),
        ("{1: 2}", "a mapping ({...}) is not allowed inside an expression"),
        ("f'{box}'", "f-strings are not allowed"),
        ("b'bytes'", "the literal b'bytes' is not allowed"),
        ("None", "the literal None is not allowed"),
        ("...", "is not allowed"),
        ("1j", "the literal 1j is not allowed"),
        ("0x10", "cannot read the number '0x10' exactly"),
        ("7 % 2", "'%' (remainder) is not allowed"),
        ("7 // 2", "'//' (floor division) is not allowed"),
        ("1 << 100000", "'<<' (bit shift) is not allowed"),
        ("3 & 1", "'&' (bitwise and) is not allowed (use 'and')"),
        ("~1", "'~' (bitwise not) is not allowed (use 'not')"),
        ("box is None", "'is' is not allowed (use ==)"),
        ("box in box", "'in' needs a literal list on its right"),
        ("'" + "a" * 201 + "'", "a string literal longer than 200 characters"),
        ("9" * 500, "a number with more than 200 characters"),
        ("1." + "0" * 300, "a number with more than 200 characters"),
        ("1e999999999", "cannot read the number '1e999999999' exactly"),
        ("1e-999999999", "cannot read the number '1e-999999999' exactly"),
        ("1e" + "9" * 150, "cannot read the number"),
        ("1 +", "cannot parse expression"),
        ("import os", "cannot parse expression"),
        ("x = 1", "cannot parse expression"),
        ("1; 2", "cannot parse expression"),
    ],
)
def test_refused_at_parse_time(text: str, expected: str) -> None:
    err = rejected(text)
    assert err.path == PATH
    assert expected in err.message
    assert str(err).startswith("<scenario>: variables.box.value: ")


def test_attribute_access_is_refused_even_on_a_known_name() -> None:
    err = rejected("box.__class__", {"box"})
    assert err.path == PATH
    assert "attribute access is not allowed" in err.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, "expected an expression (a string or number), got NoneType"),
        ([1, 2], "expected an expression (a string or number), got list"),
        ({"a": 1}, "expected an expression (a string or number), got dict"),
        (1.5, "expected an expression (a string or number), got float"),
        ("", "expected an expression, got an empty string"),
        ("   ", "expected an expression, got an empty string"),
    ],
)
def test_not_an_expression(text: object, expected: str) -> None:
    err = rejected(text)
    assert err.path == PATH
    assert expected in err.message


def test_nul_byte_is_refused() -> None:
    err = rejected("1 +\x00 2")
    assert err.path == PATH
    assert "NUL character" in err.message


def test_over_long_expression_is_refused() -> None:
    err = rejected("1 + " * (MAX_SOURCE // 4) + "1")
    assert err.path == PATH
    assert f"longer than {MAX_SOURCE} characters" in err.message


def test_an_expression_of_exactly_the_limit_is_accepted() -> None:
    text = "1" + " " * (MAX_SOURCE - 3) + "+1"
    assert len(text) == MAX_SOURCE
    assert ev(text) == 2


@pytest.mark.parametrize(
    "text",
    [
        "(" * 300 + "1" + ")" * 300,  # beyond the Python parser's own limit
        "-" * 100 + "1",
        "not " * 100 + "true",
        "2**" * 100 + "2",
        "min(" * 80 + "1" + ", 1)" * 80,
        "1 if 1 else " * 80 + "1",
    ],
)
def test_deep_nesting_is_refused(text: str) -> None:
    err = rejected(text)
    assert err.path == PATH
    assert "nest" in err.message  # "nesting deeper than" or "too many nested parentheses"


@pytest.mark.parametrize("n", [61, 200, 1000])
def test_a_chain_of_one_operator_is_no_nesting(n: int) -> None:
    """a + b + c + ... (and a * b * c ...) is one level, however long: a sum of a term per
    room of a ring is one line of a scenario, not a nesting error (issue 10)."""
    assert ev("+".join(["1"] * n)) == n
    assert ev("-".join(["1"] * n)) == 2 - n
    assert ev("*".join(["2"] * min(n, 200))) == 2 ** min(n, 200)
    assert ev(" + ".join(f"{k} * 1" for k in range(n))) == n * (n - 1) // 2


def test_a_zero_factor_leaves_the_others_unread() -> None:
    """A factor that is exactly 0 (or false) makes the product 0 whatever the others are: they
    are not evaluated, so (room == 'r3') * ... reads nothing more in another room."""
    assert ev("(1 == 2) * (1 / 0)") == 0
    assert ev("2 * false * (1 / 0) * 3") == 0
    # factors are evaluated from the left: one that fails before a zero still fails
    for text in ("(1 / 0) * 0", "(1 / 0) * 1"):
        with pytest.raises(ScenarioError, match="division by zero"):
            ev(text)


def test_moderate_nesting_is_fine() -> None:
    assert ev("(" * 50 + "1" + ")" * 50) == 1
    assert ev("-" * 40 + "1") == 1
    assert ev("+".join(["1"] * 50)) == 50


def test_error_message_clips_a_long_expression() -> None:
    err = rejected("box.real + " + "1 + " * 500 + "1")
    assert "…" in err.message
    assert len(err.message) < 200


# -- refusal at evaluation time --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2**100000", "exponent 100000 is larger than 256"),
        ("2**-100000", "exponent -100000 is larger than 256"),
        ("10**10**10", "is larger than 256"),
        ("(2**200)**200", "the power is too large"),
        ("(1/3**200)**200", "the power is too large"),
        ("2**0.5", "exponent 1/2 is not an integer"),
        ("1/0", "division by zero"),
        ("p / (n - 3)", "division by zero"),
        ("1 / (box == 'empty')", "division by zero"),
        ("0 ** -1", "division by zero"),
        ("'a' * 10**9", "expected a number, got the string 'a'"),
        ("'a' * 3", "expected a number, got the string 'a'"),
        ("box * 2", "expected a number, got the string 'full'"),
        ("'a' + 'b'", "expected a number, got the string 'a'"),
        ("-box", "expected a number, got the string 'full'"),
        ("abs(box)", "expected a number, got the string 'full'"),
        ("'a' ** 2", "expected a number, got the string 'a'"),
    ],
)
def test_refused_at_evaluation(text: str, expected: str) -> None:
    err = fails_on_eval(text)
    assert err.path == PATH
    assert expected in err.message
    assert text[:20] in err.message  # names the expression


@pytest.mark.parametrize(
    "text",
    [
        "big * big",
        "big * big * big",
        "1 / big / big",
        "big + 1 / big",
        "(big - 1) * (big + 1)",
        "1e4000 * 1e4000",
    ],
)
def test_results_that_grow_too_large_are_refused(text: str) -> None:
    # without a bound on every result, a chain of variables each multiplying the previous one
    # sixteen times reaches billions of bits in a few lines of a file
    err = fails_on_eval(text, {"big": Fraction(2 ** (MAX_BITS - 10))})
    assert err.path == PATH
    assert "the result is too large" in err.message


def test_results_just_within_the_bound_are_exact() -> None:
    big = Fraction(2 ** (MAX_BITS // 2 - 1))
    assert ev("big * big", {"big": big}) == 2 ** (MAX_BITS - 2)
    assert ev("1 / big - 1 / big", {"big": big}) == 0


def test_largest_allowed_power_is_exact() -> None:
    assert ev("2**256") == 2**256
    assert ev("(1/2)**256") == Fraction(1, 2**256)
    assert ev("10**-256") == Fraction(1, 10**256)


def test_every_expression_of_many_evaluates_or_fails_cleanly() -> None:
    # a sweep of hostile shapes: none may escape as anything but ScenarioError
    shapes = [
        "2**256**256",
        "(2**256)**256**256",
        "max(2**256, 3)**256",
        "abs(-2**256)**256",
        "(p*2**200)**200",
        "1e6000 * 1e6000",
        "1e-6000 ** 256",
        "1/(1/2 - p)",
        "min(1/0, 1)",
        "'x' * 'y'",
        "box ** box",
    ]
    for text in shapes:
        try:
            value = parse_expr(text, None, PATH)(ENV)
        except ScenarioError as err:
            assert err.path == PATH
        else:
            assert isinstance(value, Fraction)
            assert value.numerator.bit_length() < 100000


# -- read_number -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.99", Fraction(99, 100)),
        ("1/3", Fraction(1, 3)),
        ("-1/3", Fraction(-1, 3)),
        ("1e-2", Fraction(1, 100)),
        ("2.5E2", Fraction(250)),
        ("7", Fraction(7)),
        (f"1e{MAX_DECIMAL_EXPONENT}", Fraction(10**MAX_DECIMAL_EXPONENT)),
    ],
)
def test_read_number(text: str, expected: Fraction) -> None:
    assert read_number(text) == expected


@pytest.mark.parametrize(
    "text",
    ["1/0", "abc", "", "1e999999999", f"1e-{MAX_DECIMAL_EXPONENT + 1}", "1e" + "9" * 100],
)
def test_read_number_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        read_number(text)


def test_expr_is_frozen() -> None:
    e = parse_expr("p", None, PATH)
    assert isinstance(e, Expr)
    with pytest.raises(AttributeError):
        e.source = "q"  # type: ignore[misc]


@pytest.mark.parametrize("text", ["1/0", "'a' < 3", "min('a', 1)"])
def test_a_failing_constant_fails_where_it_is_used(text: str) -> None:
    """Constants are worked out when parsed, but a failing one is still reported on use."""
    e = parse_expr(text, None, PATH)
    assert not e.names
    with pytest.raises(ScenarioError) as info:
        e({})
    assert info.value.path == PATH


def test_a_constant_is_worked_out_once() -> None:
    e = parse_expr("1/256 + 2**3", None, PATH)
    assert e({}) == Fraction(2049, 256)
    assert e({}) is e({"x": 1})  # the same object: not recomputed


# -- messages in words, lookalike names, the number bound ---------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x.y()", "attribute access is not allowed ('x.y')"),
        ("(lambda: 1)()", "lambda is not allowed"),
        ("__import__('os').system('true')", "attribute access is not allowed"),
        ("(1)(2)", "function calls are not allowed (only min, max and abs)"),
        ("min(1, 2)(3)", "function calls are not allowed (only min, max and abs)"),
        ("f'{box}'", "f-strings are not allowed"),
        ("7 // 2", "'//' (floor division) is not allowed (use '/': numbers are exact)"),
        ("2 @ 3", "'@' (matrix multiplication) is not allowed"),
        ("1 | 2", "'|' (bitwise or) is not allowed (use 'or')"),
        ("2 ^ 3", "'^' (bitwise xor) is not allowed (use '**' for a power)"),
        ("await box", "'await' is not allowed"),
        ("{1: 2}", "a mapping ({...}) is not allowed inside an expression"),
        ("min(*box)", "keyword and star arguments are not allowed"),
        ("x[1:2]", "subscripts are not allowed"),
        ("...", "the literal ... is not allowed"),
    ],
)
def test_refusals_are_in_words(text: str, expected: str) -> None:
    err = rejected(text)
    assert expected in err.message
    # no Python class name leaks into a message
    leaks = ("JoinedStr", "FloorDiv", "Await", "MatMult", "BitOr", "Dict", "'this'", "Ellipsis")
    for leak in leaks:
        assert leak not in err.message


@pytest.mark.parametrize(
    "text",
    ["1 if box = 'full' else 0", "box = 1", "p = 1/2 and box == 'full'", "min(x=1, 2)"],
)
def test_a_single_equals_sign_is_explained(text: str) -> None:
    err = rejected(text)
    assert err.message.startswith("cannot parse expression")
    assert err.message.endswith("'=' is assignment; use '==' to compare")


@pytest.mark.parametrize("text", ["1 +", "(1", "1 if box else", "'a' 'b' +"])
def test_other_syntax_errors_keep_the_parser_message(text: str) -> None:
    err = rejected(text)
    assert err.message.startswith(f"cannot parse expression {text!r}: ")
    assert "'=' is assignment" not in err.message


@pytest.mark.parametrize(
    ("text", "written", "read"),
    [("𝔭 + 1", "𝔭", "p"), ("ﬁ", "ﬁ", "fi"), ("ｍin(1, 2)", "ｍin", "min"), ("ℌ == 1", "ℌ", "H")],
)
def test_names_that_nfkc_changes_are_refused(text: str, written: str, read: str) -> None:
    # Python reads identifiers after NFKC normalisation: 𝔭 would silently be the parameter p
    err = rejected(text)
    assert f"the name {written!r} is not plain: Python would read it as {read!r}" in err.message


def test_lookalike_letters_inside_strings_are_kept() -> None:
    assert ev("'ﬁ' == 'ﬁ'") is True
    assert ev("'ﬁ' == 'fi'") is False
    assert ev("box == 'full' and 'é' != 'e'") is True  # a non-ASCII source, plain names


def test_a_lookup_name_that_nfkc_changes_is_refused() -> None:
    from newcomb.expr import parse_table

    with pytest.raises(ScenarioError) as info:
        parse_table({"lookup": ["ﬁ"], "table": {"a": 1}}, None, PATH)
    assert info.value.path == (*PATH, "lookup", 0)
    assert "the name 'ﬁ' is not plain" in info.value.message


def test_every_value_stays_printable() -> None:
    # Python refuses str() of an int of more than 4300 digits; no value may reach it
    assert MAX_BITS * 0.30103 < 4300
    assert 10**MAX_DECIMAL_EXPONENT < 2**MAX_BITS
    biggest = ev(f"1e{MAX_DECIMAL_EXPONENT}")
    assert len(str(biggest)) == MAX_DECIMAL_EXPONENT + 1
    err = rejected(f"1e{MAX_DECIMAL_EXPONENT + 1}")
    beyond = f"its exponent {MAX_DECIMAL_EXPONENT + 1} is beyond ±{MAX_DECIMAL_EXPONENT}"
    assert beyond in err.message
    err = fails_on_eval(f"n * 1e{MAX_DECIMAL_EXPONENT} * 1e{MAX_DECIMAL_EXPONENT}")
    assert "the result is too large" in err.message


def test_read_number_refuses_non_ascii_digits() -> None:
    for text in ("١", "１", "1/٢", "1e٣"):
        with pytest.raises(ValueError, match="ASCII"):
            read_number(text)


def test_messages_echo_clipped_text_on_one_line() -> None:
    long_name = "a" * 3000
    err = rejected(f"{long_name}.b")
    assert len(str(err)) < 300
    assert "…" in err.message
    err = rejected("1 +\n" * 3 + "1 if box = 1 else 0")
    assert "\n" not in str(err)
    err = rejected("x", {"v" + str(i) for i in range(10000)})
    assert len(err.message) < 300  # the 10,000 names allowed here are not all listed


@pytest.mark.parametrize(
    "number", [10**5000, -(10**5000), Fraction(1, 10**5000)], ids=["huge", "negative", "tiny"]
)
def test_numbers_given_from_python_are_bounded_too(number: Any) -> None:
    # a number that cannot even be printed (more than 4300 digits) is refused, not echoed
    from newcomb.model import parse_number

    err = rejected(number)
    assert err.message.startswith("a number of about 5001 digits is too large")
    with pytest.raises(ScenarioError) as info:
        parse_number(number, ("parameters", "q"))
    assert info.value.path == ("parameters", "q")
    assert "too large" in info.value.message
