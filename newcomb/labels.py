"""Label checking: a literal compared with a variable must be one of its possible values.

A misspelt label is not a syntax error: ``action == 'two_bx'`` is simply always false, so
without this check a typo gives a wrong verdict and exit code 0. :func:`check_labels` runs when
a :class:`~newcomb.model.Scenario` is built (from a file or from Python) and refuses, as a
:class:`~newcomb.errors.ScenarioError`, every literal that can never be equal to a possible
value of what it is compared with:

- both sides of ``==`` and ``!=`` (in either order) and each item of ``in`` / ``not in``, where
  one side is a literal (a string, ``true``/``false`` or a number) and the other has a known
  set of possible values;
- every key, at each level, of a table expression (``{lookup: [...], table: {...}}``);
- the labels of a ``given`` observation.

The possible values of a name are the scenario's actions (for ``action`` and every prediction),
a chance variable's labels (those of probability 0 too), a select's options, a correlate's
labels, and, for a value variable, every result its expression can produce. That last set is an
over-approximation computed from the syntax (:func:`domain`): ``x if c else y`` can be any
value of ``x`` or of ``y``, ``a or b`` any value of ``a`` or ``b``, a comparison ``true`` or
``false``, arithmetic any number (or, on a few known numbers, exactly the results). Parameters
are numbers that ``--set`` and sweeps change, so they, and anything this analysis cannot bound,
have an unknown set and are never checked. Since the sets only ever over-approximate, a
correct file is never refused. Comparisons between two non-literals are not checked.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .errors import ScenarioError, clip, key_text, shown
from .expr import MAX_BITS, Expr, read_number

if TYPE_CHECKING:
    from .model import Scenario, Variable

__all__ = ["Domain", "LabelError", "check_labels", "domain", "expr_domain", "possible_values"]

MAX_VALUES = 100_000  # distinct values a domain lists before it is given up as unknown
MAX_SUGGESTED = 5000  # possible values "did you mean" looks among
MAX_PRODUCT = 64  # pairs of known numbers an arithmetic operation is worked out on
_CONSTANTS = {"true": True, "false": False, "True": True, "False": False}
_COMPARES = re.compile(r"==|!=|\bin\b")  # text without these has nothing to check
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # line breaks as PyYAML counts them


class LabelError(ScenarioError):
    """A :class:`ScenarioError` about one literal, which :mod:`newcomb.io` can place exactly.

    The key path leads to the expression (or the table key); ``needle`` is the literal's text
    (a string's content, without its quotes) and ``occurrence`` how many times that text comes
    before it in the expression. The text of a YAML scalar holds the expression's text with
    only quoting and line folding changed, neither of which touches a needle without spaces,
    quotes or backslashes, so the same occurrence after the node's start is the literal.
    ``on_key`` says the mistake is the mapping key at the path, not its value.
    """

    def __init__(
        self,
        message: str,
        path: Sequence[str | int],
        *,
        needle: str | None = None,
        occurrence: int = 0,
        on_key: bool = False,
    ) -> None:
        super().__init__(message, path)
        self.needle = needle
        self.occurrence = occurrence
        self.on_key = on_key

    def position(
        self, text: str, value: tuple[int, int], key: tuple[int, int] | None
    ) -> tuple[int, int]:
        """The 1-based (line, column) of the literal in ``text``, the file, given those of the
        node at the key path (``value``) and of its key (``key``)."""
        if self.on_key:
            return key or value
        needle = self.needle
        if not needle or any(c.isspace() or c in "'\"\\" for c in needle):
            return value
        starts = [0, *(m.end() for m in _BREAK.finditer(text))]
        if value[0] > len(starts):
            return value
        at = starts[value[0] - 1] + value[1] - 1
        for _ in range(self.occurrence + 1):
            found = text.find(needle, at)
            if found < 0:
                return value
            at = found + len(needle)
        if found > 0 and text[found - 1] in "'\"":  # a string: point at its opening quote
            found -= 1
        line = bisect.bisect_right(starts, found)
        return line, found - starts[line - 1] + 1


@dataclass(frozen=True)
class Domain:
    """What an expression can evaluate to, as far as the syntax tells.

    Attributes
    ----------
    values:
        Values it can take (labels, or exact numbers), distinct by type and value.
    numbers:
        It can also be any number.
    known:
        False when nothing is known: nothing is checked against it.
    """

    values: tuple[Any, ...] = ()
    numbers: bool = False
    known: bool = True
    lookup: frozenset[Any] = field(init=False, repr=False, compare=False)
    """The values as a set: Python's ``==`` and hashing of strings, booleans, integers and
    fractions are exactly the expression language's equality (a string equals only a string,
    ``true`` equals ``1``), so membership is equality with some value."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "lookup", frozenset(self.values))

    def admits(self, literal: Any) -> bool:
        """Whether ``literal`` can be equal (as ``==`` compares in expressions) to a value."""
        if not self.known or (self.numbers and _is_number(literal)):
            return True
        return literal in self.lookup


UNKNOWN = Domain(known=False)
NUMBERS = Domain(numbers=True)
BOOLEANS = Domain((True, False))


def _is_number(x: Any) -> bool:
    return isinstance(x, bool | int | Fraction)


def _of(values: Iterable[Any], numbers: bool = False) -> Domain:
    out: list[Any] = []
    seen: set[tuple[type, Any]] = set()
    for v in values:
        if isinstance(v, Fraction) and v.denominator == 1:
            v = int(v)  # a whole result is the label the file writes
        k = (type(v), v)
        if k not in seen:
            seen.add(k)
            out.append(v)
    if len(out) > MAX_VALUES:
        return NUMBERS if all(_is_number(v) for v in out) else UNKNOWN
    return Domain(tuple(out), numbers)


def _union(domains: Iterable[Domain]) -> Domain:
    ds = list(domains)
    if any(not d.known for d in ds):
        return UNKNOWN
    return _of((v for d in ds for v in d.values), any(d.numbers for d in ds))


# -- the possible values of an expression ---------------------------------------------------------


@lru_cache(maxsize=4096)
def _tree(source: str) -> ast.expr | None:
    """The syntax tree of an expression already checked by :func:`newcomb.expr.parse_expr`."""
    try:
        return ast.parse(source, mode="eval").body  # parsed only, never evaluated
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _literal(node: ast.expr, source: str) -> tuple[bool, Any]:
    """(True, its value) if ``node`` is a literal: a string, a boolean or a (signed) number."""
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return True, _CONSTANTS[node.id]
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
        if not isinstance(node, ast.Constant) or not _is_number(node.value):
            return False, None
    if not isinstance(node, ast.Constant):
        return False, None
    v = node.value
    if isinstance(v, str):
        return True, v
    if isinstance(v, bool):
        return True, v if sign == 1 else -int(v)
    if isinstance(v, int | float):
        text = (ast.get_source_segment(source, node) or repr(v)).replace("_", "").strip()
        try:
            return True, sign * read_number(text)
        except ValueError:
            return False, None
    return False, None


def _numeric(d: Domain) -> bool:
    return d.known and not d.numbers and all(_is_number(v) for v in d.values)


def _arithmetic(op: ast.operator, a: Domain, b: Domain) -> Domain:
    """The results of ``a op b``: worked out on a few known numbers, else any number."""
    if not (_numeric(a) and _numeric(b)) or len(a.values) * len(b.values) > MAX_PRODUCT:
        return NUMBERS
    out: list[Any] = []
    for x in a.values:
        for y in b.values:
            fx, fy = Fraction(x), Fraction(y)
            if isinstance(op, ast.Add):
                out.append(fx + fy)
            elif isinstance(op, ast.Sub):
                out.append(fx - fy)
            elif isinstance(op, ast.Mult):
                out.append(fx * fy)
            elif isinstance(op, ast.Div):
                if fy != 0:  # (the engine refuses a division by zero)
                    out.append(fx / fy)
            else:
                return NUMBERS  # powers: any number
            r = out[-1] if out else Fraction(0)
            if max(r.numerator.bit_length(), r.denominator.bit_length()) > MAX_BITS:
                return NUMBERS  # (the engine refuses it; squaring it again would not end)
    return _of(out)


def _unary(node: ast.UnaryOp, d: Domain) -> Domain:
    if isinstance(node.op, ast.Not):
        return BOOLEANS
    if not _numeric(d):
        return NUMBERS
    sign = -1 if isinstance(node.op, ast.USub) else 1
    return _of(sign * Fraction(v) for v in d.values)


def domain(node: ast.expr, names: Mapping[str, Domain], source: str) -> Domain:
    """The possible values of the expression ``node`` (of the text ``source``), given the
    possible values of the names it uses (a name not in ``names`` is unknown)."""
    is_lit, value = _literal(node, source)
    if is_lit:
        return _of((value,))
    if isinstance(node, ast.Name):
        return names.get(node.id, UNKNOWN)
    if isinstance(node, ast.Compare):
        return BOOLEANS
    if isinstance(node, ast.BoolOp):  # and/or give one of their operands
        return _union(domain(v, names, source) for v in node.values)
    if isinstance(node, ast.IfExp):
        return _union(domain(x, names, source) for x in (node.body, node.orelse))
    if isinstance(node, ast.UnaryOp):
        return _unary(node, domain(node.operand, names, source))
    if isinstance(node, ast.BinOp):
        return _arithmetic(
            node.op, domain(node.left, names, source), domain(node.right, names, source)
        )
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        args = [domain(a, names, source) for a in node.args]
        if node.func.id in ("min", "max"):  # one of its arguments, as a number
            return _union(args)
        if node.func.id == "abs" and len(args) == 1 and _numeric(args[0]):
            return _of(abs(Fraction(v)) for v in args[0].values)
        return NUMBERS
    return UNKNOWN


def expr_domain(e: Expr, names: Mapping[str, Domain]) -> Domain:
    """The possible values of ``e``, a formula or a table expression."""
    if e.table is not None:
        return _union(expr_domain(leaf, names) for leaf in e.table.leaves())
    if not e.names:  # a constant, worked out when it was parsed (a table's "3", "1/3")
        try:
            return _of((e({}),))
        except ScenarioError:
            return UNKNOWN
    tree = _tree(e.source)
    return UNKNOWN if tree is None else domain(tree, names, e.source)


def possible_values(s: Scenario) -> dict[str, Domain]:
    """The possible values of ``action`` and of every variable of ``s``, in order."""
    lazy = _Domains(s)
    return {name: lazy[name] for name in ("action", *(v.name for v in s.variables))}


class _Domains(Mapping[str, Domain]):
    """The possible values of each name of a scenario, each worked out when first asked for.

    A value's set is computed from its expression, and only when some literal is compared
    with it (or with a value computed from it): a payoff table of ten thousand formulas that
    nothing compares with a label is never read. Parameters are not in the mapping.
    """

    def __init__(self, s: Scenario) -> None:
        self._scenario = s
        self._variables = {v.name: v for v in s.variables}
        self._done: dict[str, Domain] = {"action": _of(s.actions)}

    def __getitem__(self, name: str) -> Domain:
        hit = self._done.get(name)
        if hit is not None:
            return hit
        if name not in self._variables:
            raise KeyError(name)
        from .model import Value  # (model calls this module)

        needed, stack = {name}, [name]
        while stack:  # the variables it is computed from, without recursion
            v = self._variables[stack.pop()]
            if isinstance(v, Value):
                for n in v.expr.names:
                    if n in self._variables and n not in needed and n not in self._done:
                        needed.add(n)
                        stack.append(n)
        for v in self._scenario.variables:  # earlier first: each reads only earlier ones
            if v.name in needed:
                self._done[v.name] = _variable_domain(v, self._scenario, self._done)
        return self._done[name]

    def __iter__(self) -> Iterator[str]:
        return iter(("action", *self._variables))

    def __len__(self) -> int:
        return 1 + len(self._variables)


def _variable_domain(v: Variable, s: Scenario, names: Mapping[str, Domain]) -> Domain:
    from .model import Chance, Correlate, Decide, Prediction, Select  # (model calls this)

    if isinstance(v, Chance):
        return _of(label for label, _ in v.outcomes)  # probability 0 too: still a label
    if isinstance(v, Decide):
        return _of(v.actions or s.actions)
    if isinstance(v, Prediction):
        point = next((d for d in s.decisions if d.name == v.predicts), None)
        return _of(point.actions or s.actions if point is not None else s.actions)
    if isinstance(v, Select):
        return _of(v.options)
    if isinstance(v, Correlate):
        return _of(v.labels())
    return expr_domain(v.expr, names)


# -- the checks ------------------------------------------------------------------------------------


def check_labels(s: Scenario) -> None:
    """Refuse every literal of ``s`` that can never be equal to what it is compared with.

    Run by :class:`~newcomb.model.Scenario` once names and references are checked. Raise
    :class:`ScenarioError` at the key path of the first such literal, naming it, the possible
    values, and the closest of them when one is close (:func:`difflib.get_close_matches`).
    """
    from .model import Prediction  # (model calls this module)

    names = _Domains(s)  # every name refers to earlier ones only: already checked
    for v in s.variables:
        for e in v.expressions():
            _check_expr(e, names)
    _check_expr(s.utility, names)
    if s.predictor.prefer is not None:
        _check_expr(s.predictor.prefer, names)
    for v in s.variables:
        if isinstance(v, Prediction) and v.given is not None:
            for name, label in v.given:
                if isinstance(label, Expr):  # computed in each world: its results are checked
                    continue  # when the model is compiled (observations.py)
                d = names.get(name, UNKNOWN)
                if not d.admits(label):
                    where = ("variables", v.name, "given", name)
                    raise _refusal(f"the label {shown(label)}", label, name, d, where)


def _check_expr(e: Expr, names: Mapping[str, Domain]) -> None:
    if e.table is not None:
        _check_keys(e, names)
        for leaf in e.table.leaves():
            _check_expr(leaf, names)
        return
    if not e.names or not _COMPARES.search(e.source):
        return  # compares nothing that has possible values (and a table's leaves seldom do)
    tree = _tree(e.source)
    if tree is None:
        return
    compares = [n for n in ast.walk(tree) if isinstance(n, ast.Compare)]
    for node in sorted(compares, key=lambda n: (n.lineno, n.col_offset)):  # in reading order
        _check_compare(node, e, names)


def _check_compare(node: ast.Compare, e: Expr, names: Mapping[str, Domain]) -> None:
    operands = [node.left, *node.comparators]
    for op, a, b in zip(node.ops, operands, operands[1:], strict=False):
        if isinstance(op, ast.In | ast.NotIn) and isinstance(b, ast.List | ast.Tuple | ast.Set):
            pairs = [(a, item) for item in b.elts]
        elif isinstance(op, ast.Eq | ast.NotEq):
            pairs = [(a, b)]
        else:
            continue
        for x, y in pairs:
            _check_pair(x, y, e, names)


def _check_pair(x: ast.expr, y: ast.expr, e: Expr, names: Mapping[str, Domain]) -> None:
    """Check a literal against the other side of one comparison (two literals, or two
    non-literals, are not checked)."""
    x_is, x_value = _literal(x, e.source)
    y_is, y_value = _literal(y, e.source)
    if x_is == y_is:
        return
    value, other = (x_value, y) if x_is else (y_value, x)
    d = domain(other, names, e.source)
    if d.admits(value):
        return
    what = other.id if isinstance(other, ast.Name) else f"({_segment(e.source, other)})"
    context = f" in {clip(e.source)!r}"
    err = _refusal(f"the literal {shown(value)}", value, what, d, e.path, context)
    lit = x if x_is else y
    needle = _segment(e.source, lit, 4000)
    if isinstance(value, str) and len(needle) >= 2:
        needle = needle[1:-1]  # the content, which YAML quoting leaves alone
    start = _offset(e.source, lit) + (1 if isinstance(value, str) else 0)
    raise LabelError(
        err.message, err.path, needle=needle, occurrence=e.source.count(needle, 0, start)
    )


def _check_keys(e: Expr, names: Mapping[str, Domain]) -> None:
    """Every key of a table must be a possible value of the name it looks up."""
    table = e.table
    if table is None:
        return
    last = len(table.lookup) - 1
    stack: list[tuple[tuple[tuple[Any, Any], ...], int, tuple[str | int, ...]]] = [
        (table.entries, 0, (*e.path, "table"))
    ]
    while stack:
        entries, depth, here = stack.pop()
        name = table.lookup[depth]
        d = names.get(name, UNKNOWN)
        for key, child in entries:
            path = (*here, key_text(key))
            if not d.admits(key):
                context = f" in {clip(e.source)!r}"
                err = _refusal(f"the key {shown(key)}", key, name, d, path, context)
                raise LabelError(err.message, err.path, on_key=True)
            if depth < last:
                stack.append((child, depth + 1, path))


def _segment(source: str, node: ast.expr, width: int = 40) -> str:
    return clip(ast.get_source_segment(source, node) or "...", width)


def _offset(source: str, node: ast.expr) -> int:
    """Where ``node`` starts in ``source``, in characters (the parser counts UTF-8 bytes)."""
    lines = source.split("\n")  # (a scenario's expression text has no other line breaks)
    before = sum(len(x) + 1 for x in lines[: node.lineno - 1])
    line = lines[node.lineno - 1] if node.lineno <= len(lines) else ""
    return before + len(line.encode()[: node.col_offset].decode(errors="ignore"))


def _describe(d: Domain) -> str:
    listed = [shown(v) for v in d.values[:12]]
    if len(d.values) > 12:
        listed.append(f"... ({len(d.values)} in all)")
    if d.numbers:
        listed.append("any number")
    return ", ".join(listed) or "none"


def _suggestion(literal: Any, d: Domain) -> str:
    """``; did you mean X?`` for the possible value closest to ``literal``, if one is close."""
    by_text: dict[str, Any] = {}
    for v in d.values[:MAX_SUGGESTED]:  # (difflib's time grows with the candidates)
        by_text.setdefault(v if isinstance(v, str) else shown(v), v)
    import difflib  # (only when a scenario is refused: cold start matters)

    word = literal if isinstance(literal, str) else shown(literal)
    close = difflib.get_close_matches(word, list(by_text), n=1)
    return f"; did you mean {shown(by_text[close[0]])}?" if close else ""


def _refusal(
    what: str,
    literal: Any,
    name: str,
    d: Domain,
    path: Sequence[str | int],
    context: str = "",
) -> ScenarioError:
    return ScenarioError(
        f"{what} is never a value of {name}{context} "
        f"(possible values: {_describe(d)}{_suggestion(literal, d)})",
        path,
    )
