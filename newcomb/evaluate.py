"""Evaluating a scenario's expressions and distributions in a world, exactly and memoised.

An :class:`Evaluator` knows what each expression means in an environment (the values of the
variables drawn so far, and the parameters): a chance variable's distribution, checked to lie
in [0, 1] and sum to 1; a prediction's accuracy (1 is computed as 1 − ε, see
:mod:`newcomb.series`); a correlate's distribution under a correlate mode; a value variable; and
the expectation of an expression over the act's own chance (the variables after the act).
Results are memoised on the values of the names each expression reads, so that the compiled
tables, the observation space and the exhaustive enumeration evaluate each case once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from .errors import LimitError, ScenarioError, format_path
from .expr import Expr, Unknown, is_number, to_number
from .expr import Value as ExprValue
from .model import Chance, Correlate, Label, Prediction, Scenario, Value, Variable
from .series import EPSILON, Eps, Num, exact_sum, is_zero

__all__ = ["MAX_DEGREE", "CorrelateMode", "Env", "Evaluator", "Lazy", "extended"]

Env = dict[str, Any]

CorrelateMode = tuple[Num, ...] | None
"""How correlates are distributed: ``None`` for their prior (the world's frequency), or a
distribution over actions b, mixing P(value | b) (EDT: the act itself; CDT: its credence)."""

MAX_DEGREE = 64
"""The highest degree, in a parameter left symbolic (``--symbolic``), that one expression of a
scenario may have: estimated from its structure before anything is expanded (a sum takes the
highest degree of its terms, a product adds them, a power multiplies by its exponent). sympy's
expansion of ``(q + 1) ** 65536`` would take minutes and gigabytes."""


class Lazy(dict[str, Any]):
    """An environment whose ``pending`` names are drawn only when an expression reads them:
    reading one that has no value yet raises :class:`~newcomb.expr.Unknown` (any other missing
    name is a ``KeyError`` as usual). Copies stay lazy (:func:`extended`)."""

    __slots__ = ("pending",)

    def __init__(self, values: Mapping[str, Any], pending: frozenset[str]) -> None:
        super().__init__(values)
        self.pending = pending

    def __missing__(self, key: str) -> Any:
        if key in self.pending:
            raise Unknown(key)
        raise KeyError(key)

    def copy(self) -> Lazy:
        return Lazy(self, self.pending)


def extended(env: Mapping[str, Any], name: str, value: Any) -> Env:
    """A copy of ``env`` with ``name`` set (a lazy environment stays lazy)."""
    out = env.copy() if isinstance(env, Lazy) else dict(env)
    out[name] = value
    return out


class Evaluator:
    """Expressions and distributions of ``scenario`` in an environment (see the module
    docstring). ``params`` are the parameters' values (sympy symbols for those left
    symbolic); ``stage3`` the variables drawn after the act, in order."""

    def __init__(
        self, scenario: Scenario, params: Mapping[str, Any], stage3: Sequence[Variable]
    ) -> None:
        self.scenario = scenario
        self.actions: tuple[str, ...] = scenario.actions
        self.params: dict[str, Any] = dict(params)
        self.stage3 = list(stage3)
        self.symbolic_probabilities: set[Any] = set()
        """Symbolic probabilities and accuracies met while evaluating (their valid range)."""
        self._reads_of: dict[int, tuple[str, ...]] = {}
        self._expect_memo: dict[tuple[Any, ...], Num] = {}
        self._row_memo: dict[tuple[Any, ...], tuple[Num, ...]] = {}
        self._value_memo: dict[tuple[Any, ...], ExprValue] = {}
        self._value_reads: dict[int, tuple[str, ...]] = {}
        self._dist_memo: dict[tuple[Any, ...], list[tuple[Label, Fraction]]] = {}

    def env(self) -> Env:
        return dict(self.params)

    def distribution(
        self, pairs: Sequence[tuple[Label, Expr]], env: Env, path_hint: Variable
    ) -> list[tuple[Label, Fraction]]:
        """A chance variable's (label, probability) pairs in ``env``, checked; memoised on the
        values of the names its probabilities read (the observation space and the compiled
        tables ask for the same ones)."""
        names = self._reads_of.get(id(pairs))
        if names is None:
            read: set[str] = set()
            for _, e in pairs:
                read |= e.names
            names = self._reads_of[id(pairs)] = tuple(sorted(read))
        key = (id(pairs), *((type(env[n]), env[n]) for n in names))
        hit = self._dist_memo.get(key)
        if hit is None:
            hit = self._distribution_of(pairs, env)
            if len(self._dist_memo) < 1_000_000:
                self._dist_memo[key] = hit
        return list(hit)

    def _distribution_of(
        self, pairs: Sequence[tuple[Label, Expr]], env: Env
    ) -> list[tuple[Label, Fraction]]:
        out: list[tuple[Label, Fraction]] = []
        symbolic = False
        for label, e in pairs:
            p = e(env)
            if type(p) is not Fraction:
                if isinstance(p, str) or not is_number(p):
                    raise ScenarioError(f"expected a probability, got {p!r}", e.path)
                p = to_number(p)
                if not isinstance(p, Fraction):  # symbolic: checked by the sum below
                    _check_degree(p, e)
                    self.symbolic_probabilities.add(p)
                    symbolic = True
                    out.append((label, p))
                    continue
            if p.numerator < 0 or p.numerator > p.denominator:  # outside [0, 1]
                raise ScenarioError(
                    f"probability {_short(p)} is outside [0, 1]{_where(env, self.params, e.names)}",
                    e.path,
                )
            out.append((label, p))
        if symbolic:
            total: Any = sum((p for _, p in out), Fraction(0))
            if _symbolic_zero(total - 1):
                return out
        else:
            total = exact_sum([p for _, p in out])
        if total != 1:
            path = pairs[0][1].path[:-1] if pairs and pairs[0][1].path else ()
            where = _where(env, self.params, frozenset[str]().union(*(e.names for _, e in pairs)))
            raise ScenarioError(f"probabilities sum to {_short(total)}, expected 1{where}", path)
        return out

    def accuracy(self, v: Prediction, env: Env, act: int | None = None) -> tuple[Num, Num]:
        """(probability the prediction is right, probability of each particular wrong action)
        when the predictor's settled prediction is the action of index ``act``. ``act`` may be
        left out only when the accuracy is not per act (:attr:`Prediction.per_act`)."""
        if act is None:
            if not isinstance(v.accuracy, Expr):
                raise ValueError(f"the accuracy of {v.name!r} is per act: name the act")
            return self._accuracy_of(v.accuracy, env)
        return self._accuracy_of(v.accuracy_for(self.actions[act]), env)

    def accuracies(self, v: Prediction, env: Env) -> tuple[tuple[Num, Num], ...]:
        """:meth:`accuracy` for each predicted act, in the order of the actions (a plain
        accuracy is evaluated once)."""
        if not v.per_act:
            return (self.accuracy(v, env),) * len(self.actions)
        return tuple(self.accuracy(v, env, i) for i in range(len(self.actions)))

    def _accuracy_of(self, e: Expr, env: Env) -> tuple[Num, Num]:
        q = e(env)
        if isinstance(q, str) or not is_number(q):
            raise ScenarioError(f"expected an accuracy in [0, 1], got {q!r}", e.path)
        q = to_number(q)
        if not isinstance(q, Fraction):  # symbolic accuracy
            _check_degree(q, e)
            self.symbolic_probabilities.add(q)
            return q, (1 - q) / (len(self.actions) - 1)
        if q < 0 or q > 1:
            raise ScenarioError(f"expected an accuracy in [0, 1], got {_short(q)}", e.path)
        others = len(self.actions) - 1
        if q == 1:
            return Eps((Fraction(1), Fraction(-1))), EPSILON * Fraction(1, others)
        return q, (1 - q) / others

    def correlate_dist(
        self, v: Correlate, env: Env, mode: CorrelateMode
    ) -> list[tuple[Label, Num]]:
        if mode is None:
            return list(self.distribution(v.prior, env, v))
        rows = dict(v.table)
        mixed: dict[Any, Num] = {}
        labels = v.labels()
        for a, pa in zip(self.actions, mode, strict=True):
            if pa == 0:
                continue
            for label, p in self.distribution(rows[a], env, v):
                k = (type(label), label)
                mixed[k] = mixed.get(k, Fraction(0)) + pa * p
        return [(lab, mixed.get((type(lab), lab), Fraction(0))) for lab in labels]

    def value(self, v: Value, env: Env) -> ExprValue:
        """A value variable in ``env``, memoised (as expectations are) on the values of the
        names its expression reads."""
        expr = v.expr
        names = self._value_reads.get(id(expr))
        if names is None:
            names = self._value_reads[id(expr)] = tuple(sorted(expr.names))
        key = (id(expr), *((type(env[n]), env[n]) for n in names if n in env))
        hit = self._value_memo.get(key, _MISSING)
        if hit is not _MISSING:
            return hit
        x = expr(env)
        if isinstance(x, Fraction) and x.denominator == 1:
            x = int(x)  # a whole number is the same label as the integer a file writes
        if len(key) == len(names) + 1 and len(self._value_memo) < 1_000_000:
            self._value_memo[key] = x  # (only when every name it reads has a value here)
        return x

    def unfold(self, start: Env, variables: Sequence[Variable]) -> list[tuple[Env, Num]]:
        """Evaluate ``variables`` in order from ``start``: values in place, chance as weighted
        branches (outcomes of probability zero dropped). Stages 2 and 3 hold only these two
        kinds besides the predictor's unknowns, which are already set (see :meth:`_stages`)."""
        states: list[tuple[Env, Num]] = [(start, Fraction(1))]
        for v in variables:
            if isinstance(v, Value):
                for e, _w in states:
                    e[v.name] = self.value(v, e)
            elif isinstance(v, Chance):
                nxt: list[tuple[Env, Num]] = []
                for e, w in states:
                    for label, p in self.distribution(v.outcomes, e, v):
                        if not is_zero(p):
                            nxt.append((extended(e, v.name, label), w * p))
                states = nxt
        return states

    def assign(
        self,
        env: Env,
        names: Sequence[str],
        values: Sequence[Label],
        variables: Sequence[Variable],
    ) -> list[tuple[Env, Num]]:
        """Set ``names`` to ``values`` in a copy of ``env`` and unfold ``variables`` from there:
        the pre-act states an assignment of the predictor's unknowns leads to in a draw."""
        out = env.copy() if isinstance(env, Lazy) else dict(env)
        out.update(zip(names, values, strict=True))
        return self.unfold(out, variables)

    def post(self, env: Mapping[str, Any], act: int) -> list[tuple[Env, Num]]:
        """Everything after the act: the act's own chance and values, as weighted branches."""
        return self.unfold(extended(env, "action", self.actions[act]), self.stage3)

    def expect(self, expr: Expr, env: Mapping[str, Any], act: int) -> Num:
        """E[expr] over the act's own chance, in the world ``env`` with act ``act``."""
        if not self.stage3:  # nothing happens after the act: one branch of weight 1
            # The value depends only on the names the expression reads: memoised on their
            # values (with their types: true and 1 are different labels), so the observation
            # space's checks, the compiled tables and enumerations evaluate each case once.
            names = self._names_besides_action(expr)
            key = (id(expr), act, *((type(env[n]), env[n]) for n in names))
            hit = self._expect_memo.get(key)
            if hit is not None:
                return hit
            value = _number_of(expr, {**env, "action": self.actions[act]})
            if len(self._expect_memo) < 1_000_000:
                self._expect_memo[key] = value
            return value
        total: Num = Fraction(0)
        physical = self.scenario.physical
        for e, w in self.post(env, act):
            if physical is not None:  # checked here, while compiling, not after the analysis
                _check_physical(e, physical, self.actions)
            total = total + w * _number_of(expr, e)
        return total

    def row_read(self, expr: Expr, env: Mapping[str, Any]) -> tuple[Num, ...]:
        """:meth:`expect_read` for every act: one evaluation shared by all acts when nothing
        happens after the act and the expression does not read it."""
        if self.stage3:
            return tuple(self.expect_read(expr, env, a) for a in range(len(self.actions)))
        if "action" not in expr.names:
            return (_number_of(expr, env),) * len(self.actions)
        case = extended(env, "action", self.actions[0])
        row = []
        for act in self.actions:
            case["action"] = act
            row.append(_number_of(expr, case))
        return tuple(row)

    def expect_read(self, expr: Expr, env: Mapping[str, Any], act: int) -> Num:
        """E[expr] over the act's own chance, reading only what the evaluation reads (no memo
        keyed on every name the expression mentions): in a lazy environment an unread name is
        never drawn, and an undrawn one that is read raises :class:`~newcomb.expr.Unknown`."""
        if not self.stage3:
            return _number_of(expr, extended(env, "action", self.actions[act]))
        total: Num = Fraction(0)
        physical = self.scenario.physical
        for e, w in self.post(env, act):
            if physical is not None:
                _check_physical(e, physical, self.actions)
            total = total + w * _number_of(expr, e)
        return total

    def _names_besides_action(self, expr: Expr) -> tuple[str, ...]:
        """The names an expectation's value depends on in a world (memo keys), sorted."""
        names = self._reads_of.get(id(expr))
        if names is None:
            names = self._reads_of[id(expr)] = tuple(sorted(expr.names - {"action"}))
        return names

    def expect_row(self, expr: Expr, env: Mapping[str, Any]) -> tuple[Num, ...]:
        """``expect(expr, env, a)`` for every act ``a``, memoised as one row on the values of
        the names ``expr`` reads when nothing happens after the act."""
        if self.stage3:
            return tuple(self.expect(expr, env, a) for a in range(len(self.actions)))
        names = self._names_besides_action(expr)
        key = (id(expr), None, *((type(env[n]), env[n]) for n in names))
        hit = self._row_memo.get(key)
        if hit is None:
            case = dict(env)
            row = []
            for act in self.actions:
                case["action"] = act
                row.append(_number_of(expr, case))
            hit = tuple(row)
            if len(self._row_memo) < 1_000_000:
                self._row_memo[key] = hit
        return hit

    def utility(self, env: Mapping[str, Any], act: int) -> Num:
        """Expected utility of act ``act`` in the world ``env`` (DESIGN.md's U(w))."""
        return self.expect(self.scenario.utility, env, act)


_MISSING: Any = object()


def _short(x: Any) -> str:
    """A number for an error message: exact when short, approximate when huge."""
    try:
        text = str(x)
    except ValueError:  # an int of more digits than Python converts to text
        return "a number of more than 4300 digits"
    if len(text) <= 40:
        return text
    try:
        return f"about {float(x):.6g}"
    except OverflowError:
        return f"a number of {len(text)} digits"


def _symbolic_zero(x: Any) -> bool:
    import sympy

    return bool(sympy.simplify(x) == 0)


def _check_physical(env: Mapping[str, Any], name: str, actions: Sequence[str]) -> None:
    """Refuse a world whose physical act (the scenario's ``physical`` variable) is not an
    action name, when the scenario is compiled rather than when EDT first conditions on it."""
    done = env.get(name)
    if not isinstance(done, str) or done not in actions:
        raise ScenarioError(
            f"the physical act must be an action name, got "
            f"{repr(done) if isinstance(done, str) else _short(done)} "
            f"(actions: {', '.join(actions)})",
            ("physical",),
        )


def _where(
    env: Mapping[str, Any], params: Mapping[str, Any], reads: set[str] | frozenset[str]
) -> str:
    """The context an expression was evaluated in: the values of the variables it reads (not
    every variable drawn so far, which named unrelated ones)."""
    ctx = [f"{k} = {_short(v)}" for k, v in env.items() if k in reads and k not in params]
    return f" (when {', '.join(ctx)})" if ctx else ""


def _number_of(expr: Expr, env: Mapping[str, Any]) -> Num:
    x = expr(env)
    if isinstance(x, str) or not is_number(x):
        raise ScenarioError(f"expected a number, got {x!r}", expr.path)
    value: Num = to_number(x)
    if type(value) is not Fraction:
        _check_degree(value, expr)
    return value


def _check_degree(x: Any, expr: Expr) -> None:
    """Refuse a symbolic value whose degree (estimated from its structure, see
    :data:`MAX_DEGREE`) passes the bound, before sympy expands it."""
    if type(x) is Fraction or type(x) is Eps:
        return
    degree = _degree(x)
    if degree > MAX_DEGREE:
        names = ", ".join(sorted(str(s) for s in getattr(x, "free_symbols", ())))
        raise LimitError(
            f"{format_path(expr.path) or 'an expression'}: degree {degree} in the symbolic "
            f"parameter {names}, more than the bound of {MAX_DEGREE} for --symbolic "
            "(world.MAX_DEGREE; sympy would expand it)"
        )


def _degree(x: Any) -> int:
    """An upper bound on the degree of a sympy expression in its symbols, read off its tree
    without expanding it: a sum takes the largest degree of its terms, a product their sum,
    an integer power multiplies by the exponent's size (a negative one counts too: the
    denominator is expanded as well)."""
    if not getattr(x, "free_symbols", None):
        return 0
    if x.is_Symbol:
        return 1
    if x.is_Add:
        return max(_degree(a) for a in x.args)
    if x.is_Pow and x.exp.is_Integer:
        return _degree(x.base) * abs(int(x.exp))
    return sum(_degree(a) for a in x.args)
