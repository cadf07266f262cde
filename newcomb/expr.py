"""The safe expression language of scenario files.

Expressions are Python-like: literals (numbers are exact, so ``0.99`` is ``99/100``), quoted
strings, ``True``/``False`` (also ``true``/``false``), names of parameters, variables and
``action``, ``+ - * / **``, comparisons (chained too), ``and``/``or``/``not``,
``x if c else y``, ``in``/``not in`` on a literal list, and calls of ``min``, ``max`` and ``abs``.
Booleans count as 0 and 1 in arithmetic. A mapping ``{lookup: [...], table: {...}, default: ...}``
is a table expression (:func:`parse_table`): its value is looked up by the values of some names.

The text is parsed with :func:`ast.parse`, which only builds a syntax tree, and every node of
that tree is checked against the list above before it is turned into a tree of closures. Nothing
in a scenario file is ever executed by Python: there is no ``eval``, no ``exec`` and no
``sympify`` of file text. Sizes are bounded (length of the text, depth of nesting, digits of
literals, exponents), so an expression can neither hang nor exhaust memory, and every number it
yields has fewer than Python's 4300 decimal digits, so it can always be printed. Names are
plain: a name that Unicode NFKC normalisation would change (``𝔭``, ``ﬁ``), which Python would
silently read as another name (``p``, ``fi``), is refused. A construct that is not allowed is
named in words (``'//' (floor division) is not allowed``), never by its Python class name.
"""

from __future__ import annotations

import ast
import io
import keyword
import re
import tokenize
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from .errors import ScenarioError, clip, key_text, shown

__all__ = [
    "MAX_SOURCE",
    "MAX_TABLE_ENTRIES",
    "MAX_TABLE_NAMES",
    "Expr",
    "Table",
    "Unknown",
    "Value",
    "bounded_number",
    "constant",
    "is_number",
    "parse_expr",
    "parse_table",
    "read_number",
    "table_data",
    "to_number",
]

Value = Any  # Fraction | int | bool | str, or a sympy expression in symbolic mode

MAX_SOURCE = 65536  # characters in one expression (a file is at most 1 MiB)
MAX_DEPTH = 60  # nesting depth of the syntax tree
MAX_DIGITS = 200  # digits of one numeric literal
MAX_EXPONENT = 256  # |n| in x ** n
# Every number stays below Python's limit of 4300 digits for int -> str (about 14284 bits), so a
# result can be printed and an error message can echo it.
MAX_BITS = 14000  # bits of the numerator/denominator of any value (about 4214 digits)
MAX_DECIMAL_EXPONENT = 4000  # |n| in a literal such as 1e-n: 10**4000 has about 13288 bits
MAX_TABLE_ENTRIES = 100_000  # leaves of one table expression
MAX_TABLE_NAMES = 32  # names in the lookup of one table expression

_RESERVED = {"true": True, "false": False, "True": True, "False": False}
_FUNCTIONS = {"min", "max", "abs"}

# What an operator or construct that is not allowed is called in an error message (never the
# name of its Python class: "'//' (floor division)", not "FloorDiv").
_REFUSED_OPERATORS: dict[type[ast.AST], str] = {
    ast.FloorDiv: "'//' (floor division) is not allowed (use '/': numbers are exact)",
    ast.Mod: "'%' (remainder) is not allowed",
    ast.MatMult: "'@' (matrix multiplication) is not allowed",
    ast.LShift: "'<<' (bit shift) is not allowed",
    ast.RShift: "'>>' (bit shift) is not allowed",
    ast.BitAnd: "'&' (bitwise and) is not allowed (use 'and')",
    ast.BitOr: "'|' (bitwise or) is not allowed (use 'or')",
    ast.BitXor: "'^' (bitwise xor) is not allowed (use '**' for a power)",
    ast.Invert: "'~' (bitwise not) is not allowed (use 'not')",
}
_REFUSED_NODES: dict[type[ast.AST], str] = {
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.Subscript: "subscripts are not allowed",
    ast.Slice: "slices are not allowed",
    ast.NamedExpr: "assignment is not allowed (':=')",
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.Dict: "a mapping ({...}) is not allowed inside an expression (a table expression is "
    "written as a YAML mapping with lookup and table)",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
    ast.Starred: "'*' (unpacking) is not allowed",
}

Env = Mapping[str, Value]
Fn = Callable[[Env], Value]
_ZERO = Fraction(0)


class _EvalError(Exception):
    """Raised while evaluating; turned into a ScenarioError naming the expression."""


class Unknown(Exception):
    """A name read during evaluation that has no value yet (an environment that draws its
    variables only when they are read, :class:`newcomb.evaluate.Lazy`, raises it). It passes
    through :meth:`Expr.__call__` untouched, so that the caller can draw the name and evaluate
    again: that is how the engine finds what a world actually reads (DESIGN.md §2c)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _nothing(x: Value) -> bool:
    """Whether ``x`` is exactly zero (``false``, ``0``): a product with it is zero whatever the
    other factor, which is then not evaluated (so ``(room == 'r3') * ...`` reads nothing more
    in another room)."""
    return x is False or ((type(x) is Fraction or type(x) is int) and x == 0)


def _product(factors: Sequence[Fn], mul: Callable[[Value, Value], Value]) -> Fn:
    """``a * b * c ...`` (a chain of ``*`` is evaluated as one n-ary product, so that its
    length is no nesting), where a factor that is exactly zero makes the product zero without
    the factors after it being evaluated. A factor that reads a name not drawn yet
    (:class:`Unknown`) is passed over while the rest are looked at for a zero; only if none is
    zero is that name asked for."""

    def product(env: Env) -> Value:
        values = []
        missing: Unknown | None = None
        for f in factors:
            try:
                x = f(env)
            except Unknown as u:
                missing = missing or u
                continue
            if _nothing(x):
                return _ZERO
            values.append(x)
        if missing is not None:
            raise missing
        acc = values[0]
        for x in values[1:]:
            acc = mul(acc, x)
        return acc

    return product


def _sum(terms: Sequence[Fn], negative: Sequence[bool]) -> Fn:
    """``a + b - c ...`` as one n-ary sum, term by term in order (so that a chain of a
    thousand terms is one level of nesting, evaluated without recursion)."""
    add, sub = _arith(ast.Add), _arith(ast.Sub)
    first, rest = terms[0], list(zip(terms[1:], negative[1:], strict=True))

    def total(env: Env) -> Value:
        acc = first(env)
        for f, neg in rest:
            acc = (sub if neg else add)(acc, f(env))
        return acc

    return total


def _factors(node: ast.expr) -> list[ast.expr]:
    """The factors of a chain of ``*``, in order."""
    out: list[ast.expr] = []
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        out.append(node.right)
        node = node.left
    out.append(node)
    out.reverse()
    return out


def is_number(x: object) -> bool:
    """True for the exact numbers of the language (bools count as 0/1) and sympy expressions."""
    if isinstance(x, (bool, int, Fraction)):
        return True
    return type(x).__module__.startswith("sympy")


_WHOLE: dict[int, Fraction] = {}  # Fractions of the integers met so far (a few thousand at most)


def to_number(x: Value) -> Any:
    """``x`` as an exact number: a :class:`~fractions.Fraction` (or a sympy expression)."""
    if isinstance(x, (bool, int)):
        f = _WHOLE.get(x)  # (True is 1: the same Fraction)
        if f is None:
            f = Fraction(int(x))
            if len(_WHOLE) < 4096:
                _WHOLE[int(x)] = f
        return f
    if isinstance(x, Fraction):
        return x
    if type(x).__module__.startswith("sympy"):
        return x
    raise _EvalError(f"expected a number, got {_show(x)}")


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_EXPONENT = re.compile(r"[eE]\s*([-+]?[0-9_]+)")


def read_number(text: str) -> Fraction:
    """Read a decimal literal (``0.99``, ``1e-2``) or a ratio (``"1/2"``) as an exact Fraction.

    Raise :class:`ValueError` if it is malformed, divides by zero or has an exponent beyond
    ``MAX_DECIMAL_EXPONENT``: :class:`~fractions.Fraction` would compute ``10**n`` for any
    ``n``, so ``1e999999999`` would otherwise take minutes and gigabytes.
    """
    if not text.isascii():
        raise ValueError("only the ASCII digits 0-9 are allowed in a number")
    m = _EXPONENT.search(text)
    if m is not None:
        digits = m.group(1).replace("_", "")
        if len(digits.lstrip("+-")) > 12 or abs(int(digits)) > MAX_DECIMAL_EXPONENT:
            raise ValueError(
                f"its exponent {clip(digits, 14)} is beyond ±{MAX_DECIMAL_EXPONENT}, too large for "
                f"an exact number (10**{MAX_DECIMAL_EXPONENT} is the largest power of ten allowed)"
            )
    try:
        return Fraction(text)
    except ZeroDivisionError:
        raise ValueError("it divides by zero") from None


def bounded_number(x: Fraction, path: Sequence[str | int] = ()) -> Fraction:
    """``x``, unless its numerator or denominator has more than :data:`MAX_BITS` bits (a number
    given from Python, such as ``10**5000``, that could not even be printed)."""
    bits = max(x.numerator.bit_length(), x.denominator.bit_length())
    if bits > MAX_BITS:
        raise ScenarioError(
            f"a number of about {int(bits * 0.30103) + 1} digits is too large (at most "
            f"{MAX_BITS} bits, about {int(MAX_BITS * 0.30103)} digits)",
            path,
        )
    return x


def _show(x: Value) -> str:
    if isinstance(x, str):
        return f"the string {shown(x)}"
    return shown(x)


def _exact(x: Any) -> bool:
    return isinstance(x, (bool, int, Fraction))


def _bounded(x: Any) -> Any:
    """``x``, unless it is a number of more than MAX_BITS bits. Every value stays that small,
    so each operation is cheap: without this, a few parameters each multiplying the previous
    one sixteen times (``b: a*a*...*a``) reach billions of bits."""
    if isinstance(x, Fraction):
        bits = max(x.numerator.bit_length(), x.denominator.bit_length())
        if bits > MAX_BITS:
            raise _EvalError(f"the result is too large (about {bits} bits)")
    return x


def _arith(op: type[ast.operator]) -> Callable[[Value, Value], Value]:
    def add(a: Value, b: Value) -> Value:
        return _bounded(to_number(a) + to_number(b))

    def sub(a: Value, b: Value) -> Value:
        return _bounded(to_number(a) - to_number(b))

    def mul(a: Value, b: Value) -> Value:
        return _bounded(to_number(a) * to_number(b))

    def div(a: Value, b: Value) -> Value:
        x, y = to_number(a), to_number(b)
        if _exact(y) and y == 0:
            raise _EvalError("division by zero")
        return _bounded(x / y)

    def power(a: Value, b: Value) -> Value:
        x, y = to_number(a), to_number(b)
        if not _exact(y):
            return x**y
        if y.denominator != 1:
            raise _EvalError(
                f"exponent {shown(y)} is not an integer (the result would not be exact)"
            )
        n = int(y)
        if abs(n) > MAX_EXPONENT:
            raise _EvalError(f"exponent {shown(n)} is larger than {MAX_EXPONENT}")
        if _exact(x):
            if x == 0 and n < 0:
                raise _EvalError("division by zero (0 to a negative power)")
            bits = max(x.numerator.bit_length(), x.denominator.bit_length()) * abs(n)
            if bits > MAX_BITS:
                raise _EvalError(f"the power is too large (about {bits} bits)")
        return x**n

    table: dict[type[ast.operator], Callable[[Value, Value], Value]] = {
        ast.Add: add,
        ast.Sub: sub,
        ast.Mult: mul,
        ast.Div: div,
        ast.Pow: power,
    }
    return table[op]


def _compare(op: type[ast.cmpop]) -> Callable[[Value, Value], bool]:
    def ordered(f: Callable[[Any, Any], bool]) -> Callable[[Value, Value], bool]:
        def g(a: Value, b: Value) -> bool:
            if isinstance(a, str) != isinstance(b, str):
                raise _EvalError(f"cannot order {_show(a)} and {_show(b)}")
            if not isinstance(a, str):
                a, b = to_number(a), to_number(b)
                if not (_exact(a) and _exact(b)):
                    raise _EvalError("cannot decide a comparison of symbolic values")
            return bool(f(a, b))

        return g

    def eq(a: Value, b: Value) -> bool:
        return _equal(a, b)

    def ne(a: Value, b: Value) -> bool:
        return not _equal(a, b)

    table: dict[type[ast.cmpop], Callable[[Value, Value], bool]] = {
        ast.Eq: eq,
        ast.NotEq: ne,
        ast.Lt: ordered(lambda a, b: a < b),
        ast.LtE: ordered(lambda a, b: a <= b),
        ast.Gt: ordered(lambda a, b: a > b),
        ast.GtE: ordered(lambda a, b: a >= b),
    }
    return table[op]


def _equal(a: Value, b: Value) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    if _exact(a) and _exact(b):
        return bool(a == b)
    diff = to_number(a) - to_number(b)
    if getattr(diff, "is_zero", None) is True:
        return True
    if getattr(diff, "is_zero", None) is False:
        return False
    raise _EvalError("cannot decide an equality of symbolic values")


def _truth(x: Value) -> bool:
    if isinstance(x, str):
        raise _EvalError(f"{_show(x)} is not a truth value")
    if _exact(x):
        return bool(x)
    z = getattr(x, "is_zero", None)
    if z is None:
        raise _EvalError("cannot decide the truth of a symbolic value")
    return not z


@dataclass(frozen=True)
class Expr:
    """A parsed, checked expression.

    Attributes
    ----------
    source:
        The text as written.
    names:
        Every free name it refers to (parameters, variables, ``action``).
    path:
        Key path of the expression in its scenario, used in error messages.
    table:
        The entries of a table expression (its ``source`` is then ``table[x, y]``).
    """

    source: str
    names: frozenset[str]
    path: tuple[str | int, ...] = ()
    fn: Fn = field(compare=False, repr=False, default=lambda env: None)
    table: Table | None = field(default=None, repr=False)
    """For a table expression (:func:`parse_table`), its entries; ``None`` for a formula."""
    terms: tuple[Expr, ...] = field(default=(), compare=False, repr=False)
    """The summands of a sum (``a + b - c`` has the terms ``a``, ``b`` and ``-c``), each an
    expression of its own; empty when the expression is not a sum. The expectation of a sum
    is the sum of its terms' expectations, each over only what that term reads."""

    def __call__(self, env: Env) -> Value:
        """Evaluate in ``env`` (a mapping of names to values)."""
        try:
            return self.fn(env)
        except _EvalError as e:
            raise ScenarioError(f"{e} in {clip(self.source)!r}", self.path) from None
        except KeyError as e:
            raise ScenarioError(
                f"{shown(e.args[0])} has no value here in {clip(self.source)!r}", self.path
            ) from None
        except (ZeroDivisionError, OverflowError, TypeError, ValueError) as e:
            raise ScenarioError(
                f"cannot evaluate {clip(self.source)!r}: {clip(str(e))}", self.path
            ) from None

    def __str__(self) -> str:
        return self.source


def constant(value: Value, path: Sequence[str | int] = ()) -> Expr:
    """An expression that always evaluates to ``value``."""
    v = (
        Fraction(value)
        if isinstance(value, (int, Fraction)) and not isinstance(value, bool)
        else value
    )
    return Expr(source=_literal_source(v), names=frozenset(), path=tuple(path), fn=lambda env: v)


def _literal_source(v: Value) -> str:
    if isinstance(v, str):
        return repr(v)
    return str(v)


class _Builder:
    def __init__(self, source: str, known: Iterable[str] | None, path: tuple[str | int, ...]):
        self.source = source
        self.known = None if known is None else set(known)
        self.path = path
        self.names: set[str] = set()
        self._lines: list[bytes] | None = None

    def segment(self, node: ast.expr) -> str | None:
        """The text of ``node``. :func:`ast.get_source_segment` splits the whole source on every
        call, which made an expression with a thousand literals take seconds."""
        if node.end_lineno != node.lineno or node.end_col_offset is None:
            return ast.get_source_segment(self.source, node)
        if self._lines is None:  # lines as the parser counts them; offsets are in UTF-8 bytes
            self._lines = [ln.encode() for ln in _LINE.findall(self.source)]
        if node.lineno > len(self._lines):
            return ast.get_source_segment(self.source, node)
        line = self._lines[node.lineno - 1]
        return line[node.col_offset : node.end_col_offset].decode()

    def fail(self, message: str) -> ScenarioError:
        return ScenarioError(f"{message} in expression {clip(self.source)!r}", self.path)

    def build(self, node: ast.AST, depth: int = 0) -> Fn:
        if depth > MAX_DEPTH:
            raise self.fail(f"nesting deeper than {MAX_DEPTH}")
        d = depth + 1
        if isinstance(node, ast.Constant):
            return self.const(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp):
            if type(node.op) not in (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow):
                words = _REFUSED_OPERATORS.get(type(node.op), "this operator is not allowed")
                raise self.fail(words)
            if isinstance(node.op, ast.Add | ast.Sub):  # a chain is one level, however long
                chain = _summands(node)
                return _sum([self.build(t, d) for t, _ in chain], [neg for _, neg in chain])
            if isinstance(node.op, ast.Mult):
                return _product([self.build(x, d) for x in _factors(node)], _arith(ast.Mult))
            f = _arith(type(node.op))
            left, right = self.build(node.left, d), self.build(node.right, d)
            return lambda env: f(left(env), right(env))
        if isinstance(node, ast.UnaryOp):
            operand = self.build(node.operand, d)
            if isinstance(node.op, ast.Not):
                return lambda env: not _truth(operand(env))
            if isinstance(node.op, ast.USub):
                return lambda env: -to_number(operand(env))
            if isinstance(node.op, ast.UAdd):
                return lambda env: to_number(operand(env))
            raise self.fail(_REFUSED_OPERATORS[ast.Invert])
        if isinstance(node, ast.BoolOp):
            parts = [self.build(v, d) for v in node.values]
            if isinstance(node.op, ast.And):

                def conj(env: Env) -> Value:
                    out: Value = True
                    for p in parts:
                        out = p(env)
                        if not _truth(out):
                            return out
                    return out

                return conj

            def disj(env: Env) -> Value:
                out: Value = False
                for p in parts:
                    out = p(env)
                    if _truth(out):
                        return out
                return out

            return disj
        if isinstance(node, ast.Compare):
            return self.compare(node, d)
        if isinstance(node, ast.IfExp):
            test, body, orelse = (self.build(x, d) for x in (node.test, node.body, node.orelse))
            return lambda env: body(env) if _truth(test(env)) else orelse(env)
        if isinstance(node, ast.Call):
            return self.call(node, d)
        if isinstance(node, ast.Attribute):
            seen = self.segment(node)
            raise self.fail(
                "attribute access is not allowed" + (f" ({clip(seen, 40)!r})" if seen else "")
            )
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            raise self.fail("a list may only stand on the right of 'in'")
        refused = _REFUSED_NODES.get(type(node))
        if refused is not None:
            raise self.fail(refused)
        what = self.segment(node) if isinstance(node, ast.expr) else None
        raise self.fail(f"{clip(what, 40)!r} is not allowed" if what else "this is not allowed")

    def const(self, node: ast.Constant) -> Fn:
        v = node.value
        if isinstance(v, bool):
            return lambda env: v
        if isinstance(v, str):
            if len(v) > 200:
                raise self.fail("a string literal longer than 200 characters")
            return lambda env: v
        if isinstance(v, (int, float)):
            text = self.segment(node) or repr(v)
            text = text.replace("_", "").strip()
            if len(text) > MAX_DIGITS:
                raise self.fail(f"a number with more than {MAX_DIGITS} characters")
            try:
                f = read_number(text)
            except ValueError as e:
                raise self.fail(f"cannot read the number {clip(text)!r} exactly: {e}") from None
            if max(f.numerator.bit_length(), f.denominator.bit_length()) > MAX_BITS:
                raise self.fail(f"the number {clip(text)!r} is too large")
            return lambda env: f
        text = self.segment(node) or repr(v)
        raise self.fail(f"the literal {clip(text, 40)} is not allowed")

    def plain(self, node: ast.Name) -> None:
        """Refuse a name written otherwise than Python reads it: Python reads identifiers after
        NFKC normalisation, so ``𝔭`` would be ``p`` and ``ﬁ`` the name ``fi``."""
        if self.source.isascii():  # (NFKC changes no ASCII name)
            return
        written = self.segment(node)
        if written is not None and written != node.id:
            raise self.fail(
                f"the name {clip(written, 40)!r} is not plain: Python would read it as "
                f"{clip(node.id, 40)!r} (names that Unicode NFKC normalisation changes are "
                "not allowed; write the name in plain letters)"
            )

    def name(self, node: ast.Name) -> Fn:
        self.plain(node)
        ident = node.id
        if ident.startswith("__") or ident.startswith("_"):
            raise self.fail(f"the name {clip(ident, 40)!r} is not allowed")
        if ident in _RESERVED:
            v = _RESERVED[ident]
            return lambda env: v
        if self.known is not None and ident not in self.known:
            allowed = ", ".join(sorted(self.known)) or "none"
            raise self.fail(
                f"unknown name {clip(ident, 40)!r} (names allowed here: {clip(allowed)})"
            )
        self.names.add(ident)
        return lambda env: env[ident]

    def compare(self, node: ast.Compare, d: int) -> Fn:
        left = self.build(node.left, d)
        steps: list[Callable[[Value, Env], tuple[bool, Value]]] = []
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)):
                if not isinstance(right_node, (ast.List, ast.Tuple, ast.Set)):
                    raise self.fail("'in' needs a literal list on its right, like x in ['a', 'b']")
                items = [self.build(e, d) for e in right_node.elts]
                negate = isinstance(op, ast.NotIn)

                def member(
                    a: Value, env: Env, items: list[Fn] = items, negate: bool = negate
                ) -> tuple[bool, Value]:
                    found = any(_equal(a, it(env)) for it in items)
                    return (found != negate), None

                steps.append(member)
                continue
            if isinstance(op, (ast.Is, ast.IsNot)):
                raise self.fail("'is' is not allowed (use ==)")
            f = _compare(type(op))
            right = self.build(right_node, d)

            def step(
                a: Value, env: Env, f: Callable[[Value, Value], bool] = f, right: Fn = right
            ) -> tuple[bool, Value]:
                b = right(env)
                return f(a, b), b

            steps.append(step)

        def run(env: Env) -> bool:
            a = left(env)
            for s in steps:
                ok, b = s(a, env)
                if not ok:
                    return False
                a = b
            return True

        return run

    def call(self, node: ast.Call, d: int) -> Fn:
        func = node.func
        if isinstance(func, ast.Name) and func.id in _FUNCTIONS:
            self.plain(func)  # (refuses a lookalike spelling such as ｍin)
        elif isinstance(func, ast.Name):
            what = clip(func.id, 40)
            raise self.fail(f"calling {what!r} is not allowed (only min, max and abs)")
        elif isinstance(func, ast.Attribute | ast.Lambda):
            self.build(func, d)  # raises "attribute access ..." or "lambda ...": what is wrong
        if not isinstance(func, ast.Name):
            raise self.fail("function calls are not allowed (only min, max and abs)")
        fname = func.id
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail("keyword and star arguments are not allowed")
        args = [self.build(a, d) for a in node.args]
        if fname == "abs":
            if len(args) != 1:
                raise self.fail("abs takes exactly one argument")
            a0 = args[0]
            return lambda env: abs(to_number(a0(env)))
        if len(args) < 2:
            raise self.fail(f"{fname} takes at least two arguments")
        pick = min if fname == "min" else max

        def minmax(env: Env) -> Value:
            vals = [to_number(a(env)) for a in args]
            if not all(_exact(v) for v in vals):
                raise _EvalError(f"cannot decide {fname} of symbolic values")
            return pick(vals)

        return minmax


def _syntax_hint(source: str) -> str | None:
    """What is wrong with ``source``, which Python cannot parse, when it is a mistake Python's
    own message hides: a single ``=`` where ``==`` was meant (Python says "expected 'else' after
    'if' expression" for ``1 if c = 'h' else 0``)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, ValueError):
        return None
    if any(t.type == tokenize.OP and t.string == "=" for t in tokens):
        return "'=' is assignment; use '==' to compare"
    return None


def parse_expr(  # safe: builds closures from a checked ast, never eval
    text: object,
    known: Iterable[str] | None = None,
    path: Sequence[str | int] = (),
) -> Expr:
    """Parse and check ``text``; raise :class:`ScenarioError` naming ``path`` if it is not valid.

    Parameters
    ----------
    text:
        The expression. Numbers and booleans are accepted as literals.
    known:
        The names the expression may use; ``None`` accepts any name (checked later).
    path:
        Key path of the expression in its scenario, for error messages.
    """
    p = tuple(path)
    if isinstance(text, bool):
        return constant(text, p)
    if isinstance(text, (int, Fraction)):
        return constant(bounded_number(Fraction(text), p), p)
    if not isinstance(text, str):
        raise ScenarioError(
            f"expected an expression (a string or number), got {type(text).__name__}", p
        )
    source = text.strip()
    if not source:
        raise ScenarioError("expected an expression, got an empty string", p)
    if len(source) > MAX_SOURCE:
        raise ScenarioError(f"expression longer than {MAX_SOURCE} characters", p)
    if "\x00" in source:
        raise ScenarioError("expression contains a NUL character", p)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as e:
        why = _syntax_hint(source) or clip(e.msg)
        raise ScenarioError(f"cannot parse expression {clip(source)!r}: {why}", p) from None
    except (RecursionError, MemoryError, ValueError):
        raise ScenarioError(f"expression {source[:40]!r}... is too deeply nested", p) from None
    b = _Builder(source, known, p)
    try:
        fn = b.build(tree.body)
    except RecursionError:
        raise ScenarioError("expression is too deeply nested", p) from None
    if not b.names:  # a constant ("1/256"): worked out once, unless it fails (reported in use)
        try:
            value = fn({})
        except (_EvalError, KeyError, ArithmeticError, TypeError, ValueError, RecursionError):
            pass  # Expr.__call__ reports it where the expression is used
        else:
            fn = lambda env: value  # noqa: E731
    return Expr(
        source=source, names=frozenset(b.names), path=p, fn=fn, terms=_terms(tree.body, b, p)
    )


def _summands(node: ast.expr) -> list[tuple[ast.expr, bool]]:
    """The terms of a chain of ``+`` and ``-`` (each with whether it is subtracted)."""
    out: list[tuple[ast.expr, bool]] = []
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        out.append((node.right, isinstance(node.op, ast.Sub)))
        node = node.left
    out.append((node, False))
    out.reverse()
    return out


def _terms(node: ast.expr, whole: _Builder, path: tuple[str | int, ...]) -> tuple[Expr, ...]:
    """Each term of a sum as an expression of its own (see :attr:`Expr.terms`)."""
    parts = _summands(node)
    if len(parts) < 2:
        return ()
    out = []
    for term, negative in parts:
        b = _Builder(whole.source, whole.known, path)
        fn = b.build(term)
        if negative:
            fn = _negated(fn)
        text = whole.segment(term) or whole.source
        out.append(
            Expr(
                source=f"-({text})" if negative else text,
                names=frozenset(b.names),
                path=path,
                fn=fn,
            )
        )
    return tuple(out)


def _negated(fn: Fn) -> Fn:
    return lambda env: -to_number(fn(env))


# -- table expressions ----------------------------------------------------------------------------
#
# A table expression is a mapping {lookup: [x, y], table: {x0: {y0: leaf, ...}, ...}, default: e}
# standing wherever an expression may: the value of the first name picks a row, the value of the
# next a column, and so on, down to a leaf, an ordinary expression. It is checked once, when read,
# and evaluated by one dict lookup per name: a payoff table over a variable with a thousand values
# is as fast as a formula and far more readable than a chain of ``if``/``else``.

TableKey = str | bool | int
_TABLE_KEYS = ("lookup", "table", "default")
_TABLE_EXPECTED = "expected lookup, table and optionally default"
_MISSING: Any = object()
_INTEGER = re.compile(r"-?[0-9]{1,200}")
_RATIO = re.compile(r"(-?(?:0|[1-9][0-9]{0,99}))(?:\s*/\s*(0|[1-9][0-9]{0,99}))?")


@dataclass(frozen=True)
class Table:
    """The entries of a table expression, hashable and compared by content.

    ``entries`` pairs each key of the first name of ``lookup`` with the entries for the next
    name, and so on; at the last level each key is paired with its leaf :class:`Expr`. Keys are
    labels (strings, booleans and integers), matched as ``==`` matches them in expressions, so
    the key ``1`` also matches the value ``true``.
    """

    lookup: tuple[str, ...]
    entries: tuple[tuple[TableKey, Any], ...]
    default: Expr | None = None

    def __hash__(self) -> int:  # a table can hold 100,000 leaves: hash it once
        h: int | None = self.__dict__.get("_hash")
        if h is None:
            h = hash((self.lookup, self.entries, self.default))
            object.__setattr__(self, "_hash", h)
        return h

    def leaves(self) -> Iterable[Expr]:
        """Every leaf expression, then the default if there is one."""
        last = len(self.lookup) - 1
        stack: list[tuple[tuple[tuple[TableKey, Any], ...], int]] = [(self.entries, 0)]
        while stack:
            entries, depth = stack.pop()
            for _, child in entries:
                if depth == last:
                    yield child
                else:
                    stack.append((child, depth + 1))
        if self.default is not None:
            yield self.default


def table_data(t: Table) -> dict[str, Any]:
    """``t`` as plain data in the file format (leaves as their source text)."""
    last = len(t.lookup) - 1

    def level(entries: tuple[tuple[TableKey, Any], ...], depth: int) -> dict[TableKey, Any]:
        if depth == last:
            return {k: _leaf_data(leaf) for k, leaf in entries}
        return {k: level(child, depth + 1) for k, child in entries}

    out: dict[str, Any] = {"lookup": list(t.lookup), "table": level(t.entries, 0)}
    if t.default is not None:
        out["default"] = _leaf_data(t.default)
    return out


def _leaf_data(e: Expr) -> Any:
    # whole numbers as numbers, so that a written table stays a table of numbers
    if _INTEGER.fullmatch(e.source) and str(int(e.source)) == e.source:
        return int(e.source)
    return e.source


def _describe(x: object) -> str:
    if x is None:
        return "nothing (null)"
    if isinstance(x, bool):
        return f"the boolean {shown(x)}"
    if isinstance(x, Mapping):
        return "a mapping"
    if isinstance(x, list | tuple):
        return "a list"
    if isinstance(x, int | Fraction):
        return f"the number {x}"
    if isinstance(x, str):
        return f"the string {clip(x)!r}"
    return f"a {type(x).__name__}"


def _table_key(key: object, path: tuple[str | int, ...]) -> TableKey:
    if isinstance(key, bool | str):
        return key
    if isinstance(key, int):
        return int(key)
    if isinstance(key, Fraction) and key.denominator == 1:
        return int(key)
    raise ScenarioError(
        f"expected a label (a string, true/false or an integer) as a key of the table, "
        f"got {_describe(key)}",
        path,
    )


def _lookup_names(
    x: object, known: set[str] | None, path: tuple[str | int, ...]
) -> tuple[str, ...]:
    if not isinstance(x, list | tuple) or not x:
        raise ScenarioError(
            f"expected a non-empty list of names (variables, parameters or action), "
            f"got {_describe(x)}",
            path,
        )
    if len(x) > MAX_TABLE_NAMES:
        raise ScenarioError(f"more than {MAX_TABLE_NAMES} names in one lookup", path)
    out: list[str] = []
    for i, name in enumerate(x):
        here = (*path, i)
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise ScenarioError(
                f"expected a name (a variable, a parameter or action), got {_describe(name)}", here
            )
        if name.startswith("_"):
            raise ScenarioError(f"the name {clip(name, 40)!r} is not allowed", here)
        if unicodedata.normalize("NFKC", name) != name:
            raise ScenarioError(
                f"the name {clip(name, 40)!r} is not plain (names that Unicode NFKC "
                "normalisation changes are not allowed; write the name in plain letters)",
                here,
            )
        if name in _RESERVED:
            raise ScenarioError(f"{name!r} is a constant, not a name", here)
        if known is not None and name not in known:
            allowed = ", ".join(sorted(known)) or "none"
            raise ScenarioError(
                f"unknown name {clip(name, 40)!r} (names allowed here: {clip(allowed)})", here
            )
        if name in out:
            raise ScenarioError(f"{name!r} is listed twice in lookup", here)
        out.append(name)
    return tuple(out)


class _TableBuilder:
    def __init__(
        self, lookup: tuple[str, ...], known: set[str] | None, path: tuple[str | int, ...]
    ) -> None:
        self.lookup = lookup
        self.known = known
        self.path = path
        self.count = 0
        self.names: set[str] = set()
        # Tables repeat their leaves (0, 1/2, ...): each distinct text is parsed once.
        self._parsed: dict[tuple[type, object], Expr] = {}

    def where(self, keys: Sequence[TableKey]) -> str:
        return ", ".join(f"{n} = {shown(k)}" for n, k in zip(self.lookup, keys, strict=False))

    def level(
        self,
        node: object,
        depth: int,
        keys: tuple[TableKey, ...],
        here: tuple[str | int, ...],
    ) -> tuple[Any, Any]:
        """(the nested dicts used to evaluate, the nested tuples of :class:`Table`) for the
        entries under ``keys``, at key path ``here``."""
        n = len(self.lookup)
        if depth == n:
            if isinstance(node, Mapping):
                raise ScenarioError(
                    f"expected an expression for {self.where(keys)}, got a mapping: the table "
                    f"is nested deeper than its lookup ({n} level{'s' * (n != 1)}, one per name)",
                    here,
                )
            self.count += 1
            if self.count > MAX_TABLE_ENTRIES:
                raise ScenarioError(
                    f"the table has more than {MAX_TABLE_ENTRIES} entries", (*self.path, "table")
                )
            leaf = self.leaf(node, here)
            self.names |= leaf.names
            return leaf, leaf
        if not isinstance(node, Mapping):
            what = f" for {self.where(keys)}" if keys else ""
            raise ScenarioError(
                f"expected a mapping from the values of {self.lookup[depth]!r}{what}, got "
                f"{_describe(node)}: the table must be nested {n} level{'s' * (n != 1)} deep, "
                f"one per name in lookup",
                here,
            )
        runtime: dict[TableKey, Any] = {}
        entries: list[tuple[TableKey, Any]] = []
        for k, v in node.items():
            key = _table_key(k, here)
            r, e = self.level(v, depth + 1, (*keys, key), (*here, key_text(key)))
            runtime[key] = r
            entries.append((key, e))
        return runtime, tuple(entries)

    def leaf(self, x: object, path: tuple[str | int, ...]) -> Expr:
        ck: tuple[type, object] | None = None
        if isinstance(x, str | int | Fraction):  # (bool is an int)
            ck = (type(x), x)
            known = self._parsed.get(ck)
            if known is not None:
                return replace(known, path=path)
        text = x.strip() if isinstance(x, str) else ""
        m = _RATIO.fullmatch(text)
        if m is not None and int(m.group(2) or 1) != 0:
            # "3" or "1/3", the usual leaf: the value parse_expr would compute, without the
            # cost of ast.parse (a table may hold a hundred thousand of them)
            v = Fraction(int(m.group(1)), int(m.group(2) or 1))
            e = Expr(source=text, names=frozenset(), path=path, fn=lambda env: v)
        else:
            e = parse_expr(x, self.known, path)  # safe: this module's whitelisting parser
        if ck is not None:
            self._parsed[ck] = e
        return e


def _symbolic_key(name: str, v: Value) -> Any:
    """The label a sympy value stands for; a value still symbolic cannot pick an entry."""
    if getattr(v, "is_Integer", False):
        return int(v)
    if getattr(v, "is_Rational", False):
        return Fraction(int(v.p), int(v.q))
    if type(v).__name__ in ("BooleanTrue", "BooleanFalse"):
        return bool(v)
    raise _EvalError(
        f"cannot look up {name!r} in the table: its value {v} is symbolic "
        "(a table needs a definite value for each name in lookup)"
    )


def _lookup_fn(lookup: tuple[str, ...], root: dict[TableKey, Any], default: Expr | None) -> Fn:
    def fn(env: Env) -> Value:
        node: Any = root
        for name in lookup:
            v = env[name]
            try:
                node = node[v]
                continue
            except (KeyError, TypeError):
                pass
            found = _MISSING
            if type(v).__module__.startswith("sympy"):  # symbolic mode: sympy 1/2 is not 1/2
                found = node.get(_symbolic_key(name, v), _MISSING)
            if found is _MISSING:
                if default is not None:
                    return default(env)
                where = ", ".join(f"{n} = {shown(env.get(n, '?'))}" for n in lookup)
                raise _EvalError(f"no entry in the table for {where} (and no default)")
            node = found
        return node(env)

    return fn


def parse_table(
    data: object,
    known: Iterable[str] | None = None,
    path: Sequence[str | int] = (),
) -> Expr:
    """Check a table expression (``{lookup: [...], table: {...}, default: ...}``) and build it.

    The result is an :class:`Expr` like any other: its ``names`` are the names in ``lookup``
    and every name its leaves use, its ``source`` reads ``table[x, y]`` and its ``table`` holds
    the entries, for equality and for writing the scenario back. Raise :class:`ScenarioError`
    naming the exact key path of any mistake.
    """
    p = tuple(path)
    if not isinstance(data, Mapping):
        raise ScenarioError(
            f"expected a table expression (a mapping; {_TABLE_EXPECTED}), got {_describe(data)}", p
        )
    for k in data:
        if not isinstance(k, str) or k not in _TABLE_KEYS:
            raise ScenarioError(
                f"unknown key {shown(k)} in a table expression ({_TABLE_EXPECTED})",
                (*p, key_text(k)),
            )
    for required in ("lookup", "table"):
        if required not in data:
            raise ScenarioError(f"a table expression needs {required!r} ({_TABLE_EXPECTED})", p)
    allowed = None if known is None else set(known)
    lookup = _lookup_names(data["lookup"], allowed, (*p, "lookup"))
    builder = _TableBuilder(lookup, allowed, p)
    runtime, entries = builder.level(data["table"], 0, (), (*p, "table"))
    default = None
    if "default" in data:
        default = parse_expr(data["default"], allowed, (*p, "default"))  # safe: whitelisting parser
    if builder.count == 0 and default is None:
        raise ScenarioError("the table has no entries and no default", (*p, "table"))
    names = set(lookup) | builder.names | (default.names if default is not None else set())
    return Expr(
        source=f"table[{', '.join(lookup)}]",
        names=frozenset(names),
        path=p,
        fn=_lookup_fn(lookup, runtime, default),
        table=Table(lookup, entries, default),
    )
