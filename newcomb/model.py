"""The scenario model: frozen value objects.

A :class:`Scenario` is a finite causal model with one decision (DESIGN.md §2): parameters,
actions, variables in order (each one of :class:`Chance`, :class:`Value`, :class:`Prediction`,
:class:`Select`, :class:`Correlate`), the variables the agent observes, a utility and the
predictor's settings. Everything is checked when it is built, whether it comes from a YAML file
(:mod:`newcomb.io`) or from Python::

    >>> from newcomb import Scenario, Chance, Prediction, Value
    >>> s = Scenario(
    ...     name="Newcomb",
    ...     parameters={"q": "99/100"},
    ...     actions=["one_box", "two_box"],
    ...     variables=[
    ...         Prediction(name="prediction", accuracy="q"),
    ...         Value(name="box", expr="1000000 * (prediction == 'one_box')"),
    ...     ],
    ...     utility="box + 1000 * (action == 'two_box')",
    ... )
    >>> s.parameters["q"]
    Fraction(99, 100)

A :class:`Policy` maps each observation to a distribution over actions.
"""

from __future__ import annotations

import difflib
import keyword
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, Literal, NoReturn

from .errors import ScenarioError, clip, key_text, shown
from .expr import Expr, bounded_number, parse_expr, parse_table, read_number, table_data
from .labels import check_labels

__all__ = [
    "PARADOX_RULES",
    "Chance",
    "Correlate",
    "Decide",
    "Label",
    "Policy",
    "Prediction",
    "Predictor",
    "Scenario",
    "Select",
    "Value",
    "Variable",
    "parse_number",
]

Label = str | bool | int
"""A value a variable can take: a string, a boolean or an integer."""

PARADOX_RULES = ("fail", "random", "retry")
ParadoxRule = Literal["fail", "random", "retry"]

_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_RESERVED = {"action", "true", "false", "True", "False", "min", "max", "abs"}
# ASCII digits only: \d (and Fraction) would accept ١ or ６ as digits
_FRACTION = re.compile(
    r"^\s*[-+]?([0-9][0-9_]*)?(\.[0-9]+)?([eE][-+]?[0-9]+)?\s*(/\s*[0-9][0-9_]*\s*)?$"
)
MAX_NUMBER_TEXT = 200  # characters of a number written as text (``--set`` or a parameter)
MAX_NAME = 100  # characters of a parameter or variable name (tables, CSV headers, messages)


def parse_number(value: object, path: Sequence[str | int] = ()) -> Fraction:
    """Read an exact number: an int, a Fraction, or a string such as ``"1/2"`` or ``"0.99"``.

    A string may use only the ASCII digits 0-9, at most :data:`MAX_NUMBER_TEXT` characters and
    an exponent within ``expr.MAX_DECIMAL_EXPONENT``; the error says which rule was broken.
    """
    expected = "expected an exact number such as 1/2 or 0.99"
    if isinstance(value, bool):
        raise ScenarioError("expected a number, got a boolean", path)
    if isinstance(value, int | Fraction):
        return bounded_number(Fraction(value), path)
    if isinstance(value, float):
        try:
            return Fraction(repr(value))
        except ValueError:  # inf and nan
            pass
    if isinstance(value, str):
        why = ""
        if not value.isascii():
            why = ": only the ASCII digits 0-9 are allowed in a number"
        elif len(value) > MAX_NUMBER_TEXT:
            why = f": a number of more than {MAX_NUMBER_TEXT} characters"
        elif _FRACTION.match(value):
            try:
                return read_number(value.replace("_", "").replace(" ", ""))
            except ValueError as e:
                why = f": {e}"
        raise ScenarioError(f"{expected}, got {shown(value)}{why}", path)
    raise ScenarioError(f"{expected}, got {shown(value)}", path)


def _check_name(name: object, path: Sequence[str | int], what: str) -> str:
    if not isinstance(name, str) or not _IDENT.match(name) or keyword.iskeyword(name):
        raise ScenarioError(
            f"{what} name {shown(name)} must be an identifier "
            "(a letter, then letters, digits or _)",
            path,
        )
    if name in _RESERVED:
        raise ScenarioError(f"{what} name {shown(name)} is reserved", path)
    if len(name) > MAX_NAME:
        raise ScenarioError(
            f"{what} name {shown(name)} has {len(name)} characters; at most {MAX_NAME}", path
        )
    return name


def _check_variable_name(name: object) -> str:
    # the path names the variable, so that a file's error points at its line
    path: tuple[str | int, ...] = ("variables", name) if isinstance(name, str) else ("variables",)
    return _check_name(name, path, "variable")


def _check_label(label: object, path: Sequence[str | int]) -> Label:
    if isinstance(label, bool | str):
        return label
    if isinstance(label, int):
        return label
    if isinstance(label, Fraction) and label.denominator == 1:
        return int(label)
    raise ScenarioError(
        f"expected a label (a string, true/false or an integer), got {_echo(label)}", path
    )


def _expr(x: object, path: tuple[str | int, ...]) -> Expr:
    """``x`` as an expression: an :class:`Expr`, a formula (text or number) or a table
    expression (a mapping with ``lookup``, ``table`` and optionally ``default``)."""
    if isinstance(x, Expr):
        if x.path:
            return x
        if x.table is not None:  # its leaves need paths under ``path`` too
            return parse_table(table_data(x.table), None, path)
        return replace(x, path=path)
    if isinstance(x, Mapping):
        return parse_table(x, None, path)  # leaves parsed by parse_expr, never eval
    return parse_expr(x, None, path)  # safe: the whitelisting parser of expr.py, never eval


def _labelled(
    items: Mapping[Any, Any] | Iterable[tuple[Any, Any]], path: tuple[str | int, ...]
) -> tuple[tuple[Label, Expr], ...]:
    pairs = items.items() if isinstance(items, Mapping) else items
    out: list[tuple[Label, Expr]] = []
    seen: list[Label] = []
    for k, v in pairs:
        label = _check_label(k, path)
        if label in seen:
            raise ScenarioError(f"duplicate outcome {_echo(label)}{_same(label, seen)}", path)
        seen.append(label)
        out.append((label, _expr(v, (*path, _key(label)))))
    if not out:
        raise ScenarioError("expected at least one outcome", path)
    return tuple(out)


def _same(label: Label, earlier: Sequence[Label]) -> str:
    # true and 1 (false and 0) are equal in expressions, so they cannot both be labels
    other = next(x for x in earlier if x == label)
    return "" if type(other) is type(label) else f" (equal to {_echo(other)} in expressions)"


def _echo(x: object) -> str:
    """A label or value the user wrote, for a message: as Python writes it (``True``, ``'a'``),
    clipped (:func:`~newcomb.errors.clip`)."""
    return clip(repr(x)) if not isinstance(x, str | int) or isinstance(x, bool) else shown(x)


def _key(label: Label) -> str:
    if isinstance(label, bool):
        return "true" if label else "false"
    return str(label)


@dataclass(frozen=True, kw_only=True)
class Chance:
    """A chance variable: a finite distribution over labels.

    ``outcomes`` maps each label to its probability, an expression of parameters and of earlier
    variables (a conditional table). The probabilities must lie in [0, 1] and sum to 1 in every
    world; this is checked when the scenario is compiled.
    """

    name: str
    outcomes: tuple[tuple[Label, Expr], ...]

    kind = "chance"

    def __init__(self, *, name: str, outcomes: Mapping[Any, Any] | Iterable[tuple[Any, Any]]):
        object.__setattr__(self, "name", _check_variable_name(name))
        object.__setattr__(self, "outcomes", _labelled(outcomes, ("variables", name, "chance")))

    def expressions(self) -> Iterable[Expr]:
        return (e for _, e in self.outcomes)


@dataclass(frozen=True, kw_only=True)
class Value:
    """A deterministic variable: an expression of earlier variables, parameters and ``action``."""

    name: str
    expr: Expr

    kind = "value"

    def __init__(self, *, name: str, expr: object):
        object.__setattr__(self, "name", _check_variable_name(name))
        object.__setattr__(self, "expr", _expr(expr, ("variables", name, "value")))

    def expressions(self) -> Iterable[Expr]:
        return (self.expr,)


@dataclass(frozen=True, kw_only=True)
class Prediction:
    """A prediction of the agent's action by a predictor with the given ``accuracy``.

    Without ``given`` it predicts the act in this very world (self-referential: the prediction
    must be a fixed point). With ``given`` (a full observation) it predicts what the agent's
    policy does on that hypothetical observation. A ``given`` value is a label, or an
    expression of earlier variables (``{"expr": "next_room"}`` or an :class:`Expr`): the
    observation asked about then depends on the world ("what would you do in the next room?").
    """

    name: str
    accuracy: Expr | tuple[tuple[str, Expr], ...]
    """One expression for every predicted act, or per act: ``(action, expression)`` pairs, in
    the order given (built from a mapping; a mapping with the key ``lookup`` is a table
    expression instead). See :meth:`accuracy_for`."""
    given: tuple[tuple[str, Label | Expr], ...] | None = None
    predicts: str = "action"
    """The decision it predicts: ``action`` (the one decision of a scenario without
    :class:`Decide` points), or the name of a decision point."""

    kind = "prediction"

    def __init__(
        self,
        *,
        name: str,
        accuracy: object = 1,
        given: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        predicts: str = "action",
    ):
        object.__setattr__(self, "name", _check_variable_name(name))
        path: tuple[str | int, ...] = ("variables", name)
        if not isinstance(predicts, str):
            raise ScenarioError(
                f"expected the name of a decision, got {_echo(predicts)}", (*path, "predicts")
            )
        object.__setattr__(self, "predicts", predicts)
        object.__setattr__(self, "accuracy", _accuracy(accuracy, (*path, "accuracy")))
        g: tuple[tuple[str, Label | Expr], ...] | None = None
        if given is not None:
            pairs = given.items() if isinstance(given, Mapping) else given
            g = tuple((str(k), _given_value(v, (*path, "given", str(k)))) for k, v in pairs)
        object.__setattr__(self, "given", g)

    @property
    def self_referential(self) -> bool:
        return self.given is None

    @property
    def computed_given(self) -> bool:
        """Whether the observation asked about is computed in each world (an expression)."""
        return self.given is not None and any(isinstance(x, Expr) for _, x in self.given)

    @property
    def per_act(self) -> bool:
        """Whether the accuracy is given per predicted act (a mapping) rather than once."""
        return not isinstance(self.accuracy, Expr)

    def accuracy_for(self, act: str) -> Expr:
        """The accuracy when the predictor's settled prediction is ``act``: the probability
        that the prediction made is ``act`` (otherwise it is uniformly another action). The
        one expression for every act when the accuracy is not per act."""
        if isinstance(self.accuracy, Expr):
            return self.accuracy
        for a, e in self.accuracy:
            if a == act:
                return e
        raise KeyError(act)

    def accuracies(self) -> tuple[Expr, ...]:
        """Every accuracy expression: the one, or one per act."""
        if isinstance(self.accuracy, Expr):
            return (self.accuracy,)
        return tuple(e for _, e in self.accuracy)

    def expressions(self) -> Iterable[Expr]:
        return (*self.accuracies(), *(x for _, x in self.given or () if isinstance(x, Expr)))


def _accuracy(x: object, path: tuple[str | int, ...]) -> Expr | tuple[tuple[str, Expr], ...]:
    """A prediction's accuracy: an expression (text, a number, an :class:`Expr` or a table
    expression, a mapping with ``lookup``), or per act: a mapping from action names to
    expressions (or the tuple of pairs a :class:`Prediction` stores). Whether the keys are
    exactly the scenario's actions is checked with the scenario (:func:`_check_per_act`)."""
    if isinstance(x, Mapping) and "lookup" not in x:
        pairs: Iterable[tuple[Any, Any]] = x.items()
    elif isinstance(x, tuple) and all(isinstance(p, tuple) and len(p) == 2 for p in x):
        pairs = x
    else:
        return _expr(x, path)
    out: list[tuple[str, Expr]] = []
    for k, v in pairs:
        if not isinstance(k, str) or not k:
            raise ScenarioError(
                f"expected an action name as the key of a per-act accuracy, got {_echo(k)}",
                (*path, key_text(k)),
            )
        if any(a == k for a, _ in out):
            raise ScenarioError(f"the action {shown(k)} is given twice", (*path, k))
        out.append((k, _expr(v, (*path, k))))
    return tuple(out)


def _given_value(v: Any, path: tuple[str | int, ...]) -> Label | Expr:
    """A ``given`` value: a label, or an expression (``{"expr": text}`` or an Expr)."""
    if isinstance(v, Expr):
        return v
    if isinstance(v, Mapping):
        if set(v) != {"expr"}:
            raise ScenarioError(
                "expected a label, or {expr: EXPRESSION} for an observation computed in each world",
                path,
            )
        return _expr(v["expr"], (*path, "expr"))
    return _check_label(v, path)


@dataclass(frozen=True, kw_only=True)
class Select:
    """A value the predictor chooses together with its prediction (part of the fixed point)."""

    name: str
    options: tuple[Label, ...]

    kind = "select"

    def __init__(self, *, name: str, options: Iterable[Any]):
        object.__setattr__(self, "name", _check_variable_name(name))
        path = ("variables", name, "select")
        opts = tuple(_check_label(o, path) for o in options)
        if not opts:
            raise ScenarioError("expected at least one option", path)
        for i, o in enumerate(opts):
            if o in opts[:i]:
                raise ScenarioError(f"duplicate option {_echo(o)}{_same(o, opts[:i])}", path)
        object.__setattr__(self, "options", opts)

    def expressions(self) -> Iterable[Expr]:
        return ()


@dataclass(frozen=True, kw_only=True)
class Correlate:
    """A variable correlated with the act but not computed from the agent's decision procedure.

    ``table`` gives P(value | act) for every action; ``prior`` is its frequency in the world,
    which the realized value and FDT use (DESIGN.md §2).
    """

    name: str
    table: tuple[tuple[str, tuple[tuple[Label, Expr], ...]], ...]
    prior: tuple[tuple[Label, Expr], ...]

    kind = "correlate"

    def __init__(
        self,
        *,
        name: str,
        table: Mapping[str, Mapping[Any, Any]],
        prior: Mapping[Any, Any] | Iterable[tuple[Any, Any]],
    ):
        object.__setattr__(self, "name", _check_variable_name(name))
        path: tuple[str | int, ...] = ("variables", name)
        if not isinstance(table, Mapping) or not table:
            raise ScenarioError("expected a table of P(value | act) for every action", path)
        rows = tuple(
            (str(a), _labelled(dist, (*path, "correlate", str(a)))) for a, dist in table.items()
        )
        object.__setattr__(self, "table", rows)
        object.__setattr__(self, "prior", _labelled(prior, (*path, "prior")))

    def labels(self) -> tuple[Label, ...]:
        return tuple(label for label, _ in self.prior)

    def expressions(self) -> Iterable[Expr]:
        for _, dist in self.table:
            yield from (e for _, e in dist)
        yield from (e for _, e in self.prior)


@dataclass(frozen=True, kw_only=True)
class Decide:
    """A decision point: the agent acts here, and the variable's value is the act.

    Points that share an ``infoset`` name form one information set: the agent cannot tell them
    apart, so its (behavioural) policy gives them one distribution per observation, drawn
    independently at every point reached. ``observes`` are earlier variables the agent sees
    there; ``actions`` default to the scenario's; ``when`` (an expression of earlier variables)
    says in which worlds the point is reached. An unreached point has no act: it compares
    unequal to every action name (DESIGN.md §2b).
    """

    name: str
    infoset: str
    observes: tuple[str, ...] = ()
    actions: tuple[str, ...] | None = None
    when: Expr | None = None

    kind = "decide"

    def __init__(
        self,
        *,
        name: str,
        infoset: str,
        observes: Iterable[str] = (),
        actions: Iterable[str] | None = None,
        when: object = None,
    ):
        object.__setattr__(self, "name", _check_variable_name(name))
        path: tuple[str | int, ...] = ("variables", name)
        _check_name(infoset, (*path, "decide"), "information set")
        object.__setattr__(self, "infoset", infoset)
        if isinstance(observes, str) or not isinstance(observes, Iterable):
            raise ScenarioError("expected a list of variable names", (*path, "observes"))
        obs = tuple(observes)
        for i, o in enumerate(obs):
            if not isinstance(o, str):
                raise ScenarioError(
                    f"expected a variable name, got {_echo(o)}", (*path, "observes", i)
                )
        object.__setattr__(self, "observes", obs)
        acts = None
        if actions is not None:
            try:
                acts = _check_actions(actions)
            except ScenarioError as e:
                raise ScenarioError(e.message, (*path, *e.path)) from None
        object.__setattr__(self, "actions", acts)
        object.__setattr__(self, "when", None if when is None else _expr(when, (*path, "when")))

    def expressions(self) -> Iterable[Expr]:
        return () if self.when is None else (self.when,)


Variable = Chance | Value | Prediction | Select | Correlate | Decide


@dataclass(frozen=True, kw_only=True)
class Predictor:
    """How the predictor settles its unknowns.

    ``prefer`` is an expression it maximises among consistent choices (ties are split
    uniformly); ``on_paradox`` says what it does when no choice is consistent: ``fail`` (the world
    is inconsistent), ``random`` (it guesses uniformly) or ``retry`` (the day is redrawn).
    """

    prefer: Expr | None = None
    on_paradox: ParadoxRule = "fail"

    def __init__(self, *, prefer: object = None, on_paradox: str = "fail"):
        object.__setattr__(
            self, "prefer", None if prefer is None else _expr(prefer, ("predictor", "prefer"))
        )
        if on_paradox not in PARADOX_RULES:
            raise ScenarioError(
                f"expected one of fail, random, retry, got {_echo(on_paradox)}",
                ("predictor", "on_paradox"),
            )
        object.__setattr__(self, "on_paradox", on_paradox)


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """A Newcomb-like problem: a finite causal model with one decision.

    Parameters
    ----------
    name:
        Human-readable name.
    actions:
        The agent's options (two or more distinct strings).
    variables:
        In order; each may refer to parameters and earlier variables.
    observes:
        Names of the variables the agent sees before it acts.
    utility:
        An expression of the variables, parameters and ``action``: text, a number, or a table
        expression (a mapping with ``lookup``, ``table`` and optionally ``default``).
    parameters:
        Named exact numbers (``"1/2"``, ``0.99`` or a Fraction), or expressions of earlier
        parameters.
    predictor:
        The predictor's preference and paradox rule.
    """

    name: str
    actions: tuple[str, ...]
    variables: tuple[Variable, ...]
    utility: Expr
    observes: tuple[str, ...] = ()
    parameters: Mapping[str, Fraction] = field(default_factory=dict)
    predictor: Predictor = field(default_factory=Predictor)
    summary: str | None = None
    description: str | None = None
    references: tuple[str, ...] = ()
    physical: str | None = None
    """A variable, after the act, holding the act actually done (an action name) when it can
    differ from the decision's output (a cosmic ray); EDT then conditions on it."""

    def __init__(
        self,
        *,
        name: str,
        actions: Iterable[str],
        variables: Iterable[Variable],
        utility: object,
        observes: Iterable[str] = (),
        parameters: Mapping[str, object] | None = None,
        predictor: Predictor | None = None,
        summary: str | None = None,
        description: str | None = None,
        references: Iterable[str] = (),
        physical: str | None = None,
    ):
        if not isinstance(name, str) or not name.strip():
            raise ScenarioError("expected a non-empty string", ("name",))
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "summary", summary)
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "references", tuple(references))
        object.__setattr__(self, "actions", _check_actions(actions))
        object.__setattr__(self, "parameters", _check_parameters(parameters or {}))
        object.__setattr__(self, "variables", tuple(variables))
        object.__setattr__(self, "observes", tuple(observes))
        object.__setattr__(self, "utility", _expr(utility, ("utility",)))
        object.__setattr__(self, "predictor", predictor or Predictor())
        object.__setattr__(self, "physical", physical)
        _validate(self)

    # -- derived views ----------------------------------------------------------------------
    @property
    def decisions(self) -> tuple[Decide, ...]:
        """The decision points (empty for a scenario with the one implicit decision
        ``action``)."""
        return tuple(v for v in self.variables if isinstance(v, Decide))

    def variable(self, name: str) -> Variable:
        """The variable called ``name``."""
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(name)

    def with_parameters(self, **values: object) -> Scenario:
        """A copy with some parameters changed (``--set``)."""
        params: dict[str, object] = dict(self.parameters)
        for k, v in values.items():
            if k not in params:
                known = ", ".join(params) or "none"
                raise ScenarioError(
                    f"no parameter named {shown(k)} (parameters: {clip(known)})", ("parameters",)
                )
            params[k] = parse_number(v, ("parameters", k))
        return self._copy(parameters=params)

    def with_paradox(self, rule: str) -> Scenario:
        """A copy whose predictor follows paradox rule ``rule``."""
        p = Predictor(prefer=self.predictor.prefer, on_paradox=rule)
        return self._copy(predictor=p)

    def _copy(self, **changes: Any) -> Scenario:
        fields: dict[str, Any] = {
            "name": self.name,
            "actions": self.actions,
            "variables": self.variables,
            "utility": self.utility,
            "observes": self.observes,
            "parameters": self.parameters,
            "predictor": self.predictor,
            "summary": self.summary,
            "description": self.description,
            "references": self.references,
            "physical": self.physical,
        }
        fields.update(changes)
        copy = Scenario(**fields)
        if hasattr(self, "_origin"):  # where it was read from, for locating later errors
            object.__setattr__(copy, "_origin", self._origin)
        return copy


def _check_actions(actions: Iterable[str]) -> tuple[str, ...]:
    if isinstance(actions, str) or not isinstance(actions, Iterable):
        raise ScenarioError("expected a list of action names", ("actions",))
    acts = tuple(actions)
    for i, a in enumerate(acts):
        if not isinstance(a, str) or not a:
            raise ScenarioError(
                f"expected an action name (a string), got {_echo(a)}", ("actions", i)
            )
        if unicodedata.normalize("NFKC", a) != a:  # 'ﬁ' would look like, not be, 'fi'
            raise ScenarioError(
                f"the action name {shown(a)} is not plain: Unicode NFKC normalisation makes it "
                f"{shown(unicodedata.normalize('NFKC', a))} (write it in plain letters)",
                ("actions", i),
            )
    if len(acts) < 2:
        raise ScenarioError(f"expected at least two actions, got {len(acts)}", ("actions",))
    if len(set(acts)) != len(acts):
        dup = next(a for a in acts if acts.count(a) > 1)
        raise ScenarioError(f"duplicate action {shown(dup)}", ("actions",))
    return acts


def _check_parameters(params: Mapping[str, object]) -> dict[str, Fraction]:
    if not isinstance(params, Mapping):
        raise ScenarioError("expected a mapping of names to numbers", ("parameters",))
    out: dict[str, Fraction] = {}
    for k, v in params.items():
        _check_name(k, ("parameters", str(k)), "parameter")
        path = ("parameters", k)
        if isinstance(v, Mapping) or (isinstance(v, str) and not _FRACTION.match(v)):
            e = (
                parse_table(v, set(out), path)
                if isinstance(v, Mapping)
                else parse_expr(v, set(out), path)  # safe: expr.py parser
            )
            val = e(out)
            if isinstance(val, bool | str) or not isinstance(val, int | Fraction):
                raise ScenarioError(f"expected a number, got {_echo(val)}", path)
            out[k] = Fraction(val)
        else:
            out[k] = parse_number(v, path)
    return out


def _validate(s: Scenario) -> None:
    """Check names, references and kinds; raise ScenarioError at the first problem."""
    params = set(s.parameters)
    seen: dict[str, Variable] = {}
    action_dependent: set[str] = set()
    several = any(isinstance(v, Decide) for v in s.variables)
    known = set(params)  # parameters and earlier variables: grown, not rebuilt per variable
    # (rebuilding them made 20,000 variables take 24 s); with decision points there is no
    # `action`: each point is a variable of its own
    with_action = set(known) if several else known | {"action"}
    for i, v in enumerate(s.variables):
        if not isinstance(v, Chance | Value | Prediction | Select | Correlate | Decide):
            raise ScenarioError(
                "expected a variable (Chance, Value, Prediction, Select, Correlate, Decide), "
                f"got {_echo(v)}",
                ("variables", i),
            )
        if several and isinstance(v, Select | Correlate):
            raise ScenarioError(
                f"a {v.kind} variable is not supported yet in a scenario with decision points "
                "(decide variables)",
                ("variables", v.name),
            )
        if isinstance(v, Decide):
            _check_decide(s, v, seen)
        if v.name in seen:
            raise ScenarioError(f"duplicate variable {v.name!r}", ("variables", v.name))
        if v.name in params:
            raise ScenarioError(f"{v.name!r} is already a parameter name", ("variables", v.name))
        allow_action = isinstance(v, Chance | Value)
        for e in v.expressions():
            _check_names(e, with_action if allow_action else known, seen)
            if "action" in e.names or e.names & action_dependent:
                action_dependent.add(v.name)
        if isinstance(v, Correlate):
            _check_correlate(v, s.actions)
        if isinstance(v, Prediction) and v.per_act:  # keys: the predicted point's actions
            point = next((d for d in s.decisions if d.name == v.predicts), None)
            _check_per_act(v, point.actions or s.actions if point is not None else s.actions)
        seen[v.name] = v
        known.add(v.name)
        with_action.add(v.name)
    if several:
        _check_several(s, seen)
    else:
        for v in seen.values():
            if isinstance(v, Prediction) and v.predicts != "action":
                raise ScenarioError(
                    f"predicts {shown(v.predicts)}; without decision points (decide variables) "
                    "a predictor predicts 'action'",
                    ("variables", v.name, "predicts"),
                )
    obs_seen: set[str] = set()
    for i, o in enumerate(s.observes):
        if o not in seen:
            raise ScenarioError(
                f"observes an undefined variable {shown(o)} "
                f"(variables: {clip(', '.join(seen)) or 'none'})",
                ("observes", i),
            )
        if o in obs_seen:
            raise ScenarioError(f"{shown(o)} is listed twice", ("observes", i))
        obs_seen.add(o)
        if o in action_dependent:
            raise ScenarioError(
                f"the agent cannot observe {o!r} before acting: it depends on the action",
                ("observes", i),
            )
    for v in s.variables:
        if isinstance(v, Prediction) and v.given is not None:
            keys = [k for k, _ in v.given]
            named = seen.get(v.predicts)
            observed = named.observes if isinstance(named, Decide) else s.observes
            if sorted(keys) != sorted(observed):
                raise ScenarioError(
                    "a hypothetical observation must give a value for exactly the observed "
                    f"variables ({', '.join(observed) or 'none'}), "
                    f"got {', '.join(keys) or 'none'}",
                    ("variables", v.name, "given"),
                )
    everything = params | set(seen) | (set() if several else {"action"})
    _check_names(s.utility, everything, seen)
    if s.predictor.prefer is not None:
        _check_names(s.predictor.prefer, everything, seen)
    if s.physical is not None:
        _check_physical(s, seen)
    check_labels(s)  # a misspelt label would silently be never equal


def _check_decide(s: Scenario, v: Decide, seen: Mapping[str, Variable]) -> None:
    """A decision point observes earlier variables, each once; the points of one information
    set have the same actions and observe the same variables."""
    path: tuple[str | int, ...] = ("variables", v.name)
    for i, o in enumerate(v.observes):
        if o not in seen:
            raise ScenarioError(
                f"observes {shown(o)}, which is not an earlier variable "
                f"(earlier: {clip(', '.join(seen)) or 'none'})",
                (*path, "observes", i),
            )
        if o in v.observes[:i]:
            raise ScenarioError(f"{shown(o)} is listed twice", (*path, "observes", i))
    for w in seen.values():
        if isinstance(w, Decide) and w.infoset == v.infoset:
            mine, theirs = v.actions or s.actions, w.actions or s.actions
            if mine != theirs or sorted(v.observes) != sorted(w.observes):
                raise ScenarioError(
                    f"{v.name!r} and {w.name!r} share the information set {v.infoset!r}, so "
                    "they must have the same actions and observe the same variables "
                    f"(actions {', '.join(theirs)}; observes {', '.join(w.observes) or 'nothing'})",
                    (*path, "decide"),
                )
            return


def _check_several(s: Scenario, seen: Mapping[str, Variable]) -> None:
    """What a scenario with decision points may not have: a top-level ``observes`` (each point
    says what it observes), the names of information sets reused as variables, predictions of
    anything but a decision point, and (not yet supported) ``prefer`` and ``physical``."""
    if s.observes:
        raise ScenarioError(
            "a scenario with decision points has no top-level observes: each decide variable "
            "lists what it observes",
            ("observes",),
        )
    points = [v.name for v in seen.values() if isinstance(v, Decide)]
    for v in seen.values():
        if isinstance(v, Prediction) and not isinstance(seen.get(v.predicts), Decide):
            close = difflib.get_close_matches(v.predicts, points, n=1)
            raise ScenarioError(
                f"predicts {shown(v.predicts)}, which is not a decision point "
                f"(decision points: {clip(', '.join(points))})"
                + (f"; did you mean {close[0]!r}?" if close else ""),
                ("variables", v.name, "predicts"),
            )
    if s.predictor.prefer is not None:
        raise ScenarioError(
            "prefer is not supported yet in a scenario with decision points", ("predictor",)
        )
    if s.physical is not None:
        raise ScenarioError(
            "physical is not supported in a scenario with decision points (a decision point's "
            "value is the act done there)",
            ("physical",),
        )


def _check_physical(s: Scenario, seen: Mapping[str, Variable]) -> None:
    """The ``physical`` variable must exist, and those of its values that are listed in the
    file (a chance's outcomes, a select's options, a correlate's labels) must be action names;
    a computed value is checked in every world when the scenario is compiled (``world.py``)."""
    name = s.physical
    if not isinstance(name, str) or name not in seen:
        raise ScenarioError(
            f"expected the name of a variable whose values are actions, got {shown(name)}",
            ("physical",),
        )
    v = seen[name]
    labels: Sequence[Label] = ()
    if isinstance(v, Chance):
        labels = [label for label, _ in v.outcomes]
    elif isinstance(v, Select):
        labels = v.options
    elif isinstance(v, Correlate):
        labels = v.labels()
    for label in labels:
        if not isinstance(label, str) or label not in s.actions:
            raise ScenarioError(
                f"the physical act {name!r} takes the value {shown(label)}, which is not an "
                f"action (actions: {clip(', '.join(s.actions))})",
                ("physical",),
            )


def _check_names(e: Expr, known: set[str], seen: Mapping[str, Variable]) -> None:
    if e.table is not None:  # name the leaf, or the position in lookup, that is wrong
        if not e.names - known:
            return
        for i, n in enumerate(e.table.lookup):
            if n not in known:
                _refuse_name(n, e.source, known, (*e.path, "lookup", i))
        for leaf in e.table.leaves():
            _check_names(leaf, known, seen)
        return
    for n in sorted(e.names - known):
        _refuse_name(n, e.source, known, e.path)


def _refuse_name(n: str, source: str, known: set[str], path: tuple[str | int, ...]) -> NoReturn:
    if n == "action":
        raise ScenarioError(f"'action' cannot be used here in {clip(source)!r}", path)
    close = difflib.get_close_matches(n, sorted(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ScenarioError(
        f"unknown name {clip(n, 40)!r} in {clip(source)!r} (variables may use parameters and "
        f"earlier variables only; known here: {clip(', '.join(sorted(known))) or 'none'}){hint}",
        path,
    )


def _check_correlate(v: Correlate, actions: tuple[str, ...]) -> None:
    path = ("variables", v.name, "correlate")
    rows = dict(v.table)
    missing = [a for a in actions if a not in rows]
    extra = [a for a in rows if a not in actions]
    if missing or extra:
        raise ScenarioError(
            "expected one row per action "
            + (f"(missing: {', '.join(missing)})" if missing else f"(unknown: {', '.join(extra)})"),
            path,
        )
    labels = {(type(x), x) for x in v.labels()}
    for a, dist in v.table:
        if {(type(x), x) for x, _ in dist} != labels:
            raise ScenarioError("each row must have exactly the labels of the prior", (*path, a))


def _check_per_act(v: Prediction, actions: tuple[str, ...]) -> None:
    """A per-act accuracy names every action exactly once (keys are unique already)."""
    path = ("variables", v.name, "accuracy")
    if isinstance(v.accuracy, Expr):
        return
    for a, _ in v.accuracy:
        if a not in actions:
            close = difflib.get_close_matches(a, actions, n=1)
            hint = f"; did you mean {shown(close[0])}?" if close else ""
            raise ScenarioError(
                f"unknown action {shown(a)} in a per-act accuracy (actions: "
                f"{clip(', '.join(actions))}){hint}",
                (*path, a),
            )
    named = {a for a, _ in v.accuracy}
    missing = [a for a in actions if a not in named]
    if missing:
        raise ScenarioError(
            f"no accuracy for the action{'s' if len(missing) > 1 else ''} "
            f"{clip(', '.join(missing))} (a per-act accuracy names every action)",
            path,
        )


@dataclass(frozen=True)
class Policy:
    """A map from observations to distributions over actions.

    ``rules`` pairs each observation (a tuple of labels, in the order of ``observes``) with a
    tuple of ``(action, probability)``. Observations that are missing are irrelevant to it.
    """

    observes: tuple[str, ...]
    rules: tuple[tuple[tuple[Label, ...], tuple[tuple[str, Fraction], ...]], ...]

    @staticmethod
    def of(
        observes: Sequence[str],
        table: Mapping[tuple[Label, ...], str | Mapping[str, object]],
    ) -> Policy:
        """Build from ``{observation tuple: action}`` or ``{observation: {action: prob}}``."""
        rules = []
        for obs, act in table.items():
            if isinstance(act, str):
                dist: tuple[tuple[str, Fraction], ...] = ((act, Fraction(1)),)
            else:
                dist = tuple((a, parse_number(p)) for a, p in act.items() if parse_number(p) != 0)
            rules.append((tuple(obs), dist))
        return Policy(tuple(observes), tuple(rules))

    def act(self, observation: Mapping[str, Label] | tuple[Label, ...]) -> dict[str, Fraction]:
        """The distribution over actions at ``observation``."""
        key = (
            tuple(observation[o] for o in self.observes)
            if isinstance(observation, Mapping)
            else tuple(observation)
        )
        for obs, dist in self.rules:
            if obs == key and all(type(a) is type(b) for a, b in zip(obs, key, strict=True)):
                return dict(dist)
        raise KeyError(key)

    @property
    def is_pure(self) -> bool:
        return all(len(d) == 1 for _, d in self.rules)

    def __str__(self) -> str:
        """The policy as the report writes it: ``coincide=false → one_box; coincide=true →
        two_box``, ``always two_box``, ``stay 1/2, flee 1/2`` for a mixed act."""
        parts = []
        for obs, dist in self.rules:
            what = dist[0][0] if len(dist) == 1 else ", ".join(f"{a} {p}" for a, p in dist)
            cond = ", ".join(f"{k}={_key(v)}" for k, v in zip(self.observes, obs, strict=True))
            parts.append((cond, what))
        if len(parts) > 1 and len({what for _, what in parts}) == 1:
            return f"always {parts[0][1]}"
        return "; ".join(f"{c} → {w}" if c else w for c, w in parts) or "(empty)"

    def __repr__(self) -> str:
        return f"Policy({self})"
