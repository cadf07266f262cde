"""Hypothesis strategies for scenarios, and a contract test for decision theories.

This module is public: a user's own test suite can import it (it needs ``hypothesis``, which
the ``test`` extra installs) to generate valid Newcomb-like problems and to check that a decision
theory behaves on all of them.

Strategies
----------
:func:`scenarios` draws small, valid :class:`~newcomb.model.Scenario` objects: 2 to 4 actions,
chance variables (possibly conditional on earlier variables or on the act), self-referential and
``given`` predictions with exact accuracies, ``select`` variables, correlates, deterministic
values, 0 to 2 observed variables and an integer utility table. Keyword flags switch kinds of
variable off; :func:`decision_problems` (no predictor at all) and :func:`predictor_problems`
(always a self-referential prediction the agent's observation depends on) are narrower presets.
:func:`sparse_problems` draws the shape the factored engine targets: an observed room, many
``given`` predictions (stated, or computed per world), coins read in only some utility terms,
and a utility that is a sum of one term per room.
Every scenario drawn constructs without :class:`~newcomb.errors.ScenarioError` and compiles with
:class:`~newcomb.world.Model`, and its pure-policy space is bounded (64 by default), so the
engine's exhaustive searches are fast. The building blocks (:func:`action_names`,
:func:`labels`, :func:`label_sets`, :func:`distributions`, :func:`accuracies`) are exposed too.

Scenario transformations
------------------------
:func:`replace_scenario`, :func:`with_utility` and :func:`rename` build modified copies, for
metamorphic properties (an affine change of utility, a renaming of actions, variables and
outcomes must not change a verdict beyond the renaming).

The contract
------------
:class:`TheoryContract` is a test class to subclass::

    from newcomb.testing import TheoryContract
    from mytheories import Cautious

    class TestCautious(TheoryContract):
        theory = Cautious

It checks, over generated scenarios, that the theory returns a valid policy (or a
:class:`~newcomb.theories.base.Decision` whose policies are valid) for every scenario, that it is
deterministic, and that it does not mutate the scenario or the compiled model. The number of
examples follows the hypothesis settings profile the suite has loaded.
"""

from __future__ import annotations

import ast
import copy
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Any, ClassVar

from hypothesis import given
from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from . import io
from .errors import UsageError
from .expr import table_data
from .model import (
    PARADOX_RULES,
    Chance,
    Correlate,
    Label,
    Policy,
    Prediction,
    Predictor,
    Scenario,
    Select,
    Value,
    Variable,
)
from .theories.base import Decision, Theory, as_theory, theory_name
from .theories.result import interpret, user_code
from .world import Behaviour, Model

__all__ = [
    "ACTION_NAMES",
    "STRING_LABELS",
    "YAML_AMBIGUOUS_STRINGS",
    "TheoryContract",
    "accuracies",
    "action_names",
    "check_behaviour",
    "decision_problems",
    "distributions",
    "label_literal",
    "label_sets",
    "labels",
    "observation_space",
    "policies_of",
    "predictor_problems",
    "rename",
    "replace_scenario",
    "scenarios",
    "sparse_problems",
    "with_utility",
]

ACTION_NAMES: tuple[str, ...] = (
    "one_box",
    "two_box",
    "stay",
    "flee",
    "pay",
    "refuse",
    "smoke",
    "abstain",
    "yes",
    "no",
)
"""Action names the strategies draw from (``yes``/``no`` are strings, as YAML 1.2 reads them)."""

STRING_LABELS: tuple[str, ...] = (
    "x",
    "y",
    "z",
    "full",
    "empty",
    "prime",
    "composite",
    "yes",
    "no",
    "on",
    "off",
    "null",
    "two words",
    "",
)
"""String outcome labels: plain words, words YAML 1.1 would misread, a space, the empty string."""

YAML_AMBIGUOUS_STRINGS: tuple[str, ...] = ("1e3", "0o17", "09", "-2E5", "1_000", ".5", "0x1F")
"""Strings that YAML 1.1 and YAML 1.2 resolve differently. Not drawn by default (they make
failing examples hard to read); pass them to ``scenarios(string_labels=...)`` and
``action_names(pool=...)`` to test a writer that must quote them for a YAML 1.2 reader."""

_PROBABILITIES = tuple(
    Fraction(n, d) for d in (2, 3, 4, 5, 10) for n in range(1, d) if Fraction(n, d).denominator == d
)


# -- building blocks ------------------------------------------------------------------------------


def action_names(
    min_size: int = 2, max_size: int = 4, pool: Sequence[str] = ACTION_NAMES
) -> SearchStrategy[tuple[str, ...]]:
    """Distinct action names from ``pool``, between ``min_size`` and ``max_size`` of them (2 to
    4 by default)."""
    return st.lists(
        st.sampled_from(tuple(pool)), min_size=min_size, max_size=max_size, unique=True
    ).map(tuple)


def labels(string_labels: Sequence[str] = STRING_LABELS) -> SearchStrategy[Label]:
    """One outcome label: a string from ``string_labels``, a boolean or a small integer."""
    return st.one_of(
        st.sampled_from(tuple(string_labels)),
        st.booleans(),
        st.integers(min_value=-1, max_value=3),
    )


def label_sets(
    string_labels: Sequence[str] = STRING_LABELS,
    min_size: int = 2,
    max_size: int = 3,
    *,
    integers: bool = True,
) -> SearchStrategy[tuple[Label, ...]]:
    """Distinct outcome labels for one variable.

    Mostly all strings; sometimes ``(True, False)``, small integers, or a mix of types (the
    engine keeps the types apart: the label ``1`` is not the label ``"1"``). A set never holds
    both ``True`` and ``1``, nor ``False`` and ``0``.
    ``integers=False`` leaves integers out (for the labels a value expression computes: the
    expression language makes numbers exact fractions, not integer labels).
    """
    pool = tuple(string_labels)
    strings = st.lists(st.sampled_from(pool), min_size=min_size, max_size=max_size, unique=True)
    one = labels(pool) if integers else st.one_of(st.sampled_from(pool), st.booleans())
    # unique=True compares with ==, so a set never holds both True and 1 (or False and 0): the
    # file format writes labels as mapping keys, where Python merges them.
    mixed = st.lists(one, min_size=min_size, max_size=max_size, unique=True)
    options = [strings, st.just([True, False][:max_size]), mixed]
    if integers:
        ints = st.lists(
            st.integers(min_value=-1, max_value=3),
            min_size=min_size,
            max_size=max_size,
            unique=True,
        )
        options.insert(2, ints)
    return st.one_of(*options).map(tuple)


def distributions(
    n: int, *, allow_zero: bool = True, max_weight: int = 4
) -> SearchStrategy[tuple[Fraction, ...]]:
    """``n`` exact probabilities that sum to 1, from integer weights in ``[0, max_weight]``.

    With ``allow_zero`` some outcomes may get probability 0 (never all of them).
    """
    low = 0 if allow_zero else 1

    def normalise(ws: list[int]) -> tuple[Fraction, ...]:
        total = sum(ws)
        if total == 0:
            return tuple(Fraction(1, n) for _ in ws)
        return tuple(Fraction(w, total) for w in ws)

    return st.lists(st.integers(min_value=low, max_value=max_weight), min_size=n, max_size=n).map(
        normalise
    )


def accuracies() -> SearchStrategy[Fraction]:
    """Exact accuracies of a predictor: often 1 (the limit q → 1), else 3/4, 99/100, 1/2, 2/3, 0."""
    return st.sampled_from(
        (
            Fraction(1),
            Fraction(3, 4),
            Fraction(99, 100),
            Fraction(1, 2),
            Fraction(2, 3),
            Fraction(0),
        )
    )


def label_literal(label: Label) -> str:
    """``label`` written as a literal of the expression language (``'x'``, ``true``, ``3``)."""
    if isinstance(label, bool):
        return "true" if label else "false"
    if isinstance(label, str):
        return repr(label)
    return str(label)


# -- scenarios ------------------------------------------------------------------------------------


@dataclass
class _Slot:
    """What the generator knows about a variable it has made."""

    name: str
    kind: str
    domain: tuple[Label, ...]  # every value it can take (an over-approximation for some values)
    after_act: bool  # depends on the action: cannot be observed
    unknown: bool  # a self-referential prediction or a select


_ACTION_SLOT = _Slot("action", "action", (), True, False)

_KINDS = ("chance", "value", "prediction", "given", "select", "correlate")


@st.composite
def scenarios(
    draw: DrawFn,
    *,
    actions: SearchStrategy[tuple[str, ...]] | None = None,
    chance: bool = True,
    values: bool = True,
    predictions: bool = True,
    given_predictions: bool | None = None,
    selects: bool = True,
    correlates: bool = True,
    min_variables: int = 1,
    max_variables: int = 5,
    max_unknowns: int = 2,
    min_observed: int = 0,
    max_observed: int = 2,
    max_policies: int = 64,
    max_branches: int = 48,
    paradox_rules: Sequence[str] = PARADOX_RULES,
    prefer: bool = True,
    parameters: bool = True,
    string_labels: Sequence[str] = STRING_LABELS,
    require_prediction: bool = False,
    per_act_accuracy: bool = False,
) -> Scenario:
    """Small valid scenarios, any mix of the variable kinds.

    Parameters
    ----------
    actions:
        Strategy for the action names (default :func:`action_names`: 2 to 4 of them).
    chance, values:
        Allow chance variables (possibly a conditional table on an earlier variable or on the
        act) and deterministic values (a label chosen by comparing an earlier variable, or a
        comparison of two variables, possibly involving the act).
    predictions:
        Allow self-referential predictions (``Prediction`` without ``given``).
    given_predictions:
        Allow predictions of the act on a stated, hypothetical observation (``given`` names a
        full observation that occurs). Defaults to ``predictions``.
    selects:
        Allow values the predictor selects together with its prediction.
    correlates:
        Allow correlates (a prior and a row P(value | act) per action).
    min_variables, max_variables:
        How many variables (besides those ``require_prediction`` adds).
    max_unknowns:
        Most self-referential predictions plus selects (the predictor's joint choices grow as
        the product of their sizes).
    min_observed, max_observed:
        How many variables the agent observes (0 to 2 by default). ``min_observed`` is met when
        there are enough variables that do not depend on the act, and as long as the policy
        bound allows.
    max_policies:
        Bound on the pure policies, |actions| ** |observations|: observed variables are dropped
        until the bound holds.
    max_branches:
        Bound on the product of the numbers of outcomes of the variables before the act (chance,
        correlates, predictions of both kinds, selects): a random variable that would exceed it
        is not added. It bounds the worlds the engine enumerates per policy.
    paradox_rules:
        The ``on_paradox`` rules to draw from.
    prefer:
        Sometimes give the predictor a preference among consistent choices.
    parameters:
        Sometimes name a chance variable's probability or an accuracy by a parameter.
    string_labels:
        Pool of string labels (see :data:`STRING_LABELS` and :data:`YAML_AMBIGUOUS_STRINGS`).
    require_prediction:
        Always include a self-referential prediction, a value computed from it, and observe
        that value first (the shape of transparent Newcomb and of the Omicron problem).
    per_act_accuracy:
        Sometimes give a prediction an accuracy per predicted act (a mapping from each action
        to its own accuracy) instead of one.

    Returns
    -------
    SearchStrategy[Scenario]
        Scenarios that construct and compile with :class:`~newcomb.world.Model`.
    """
    if given_predictions is None:
        given_predictions = predictions
    acts: tuple[str, ...] = draw(actions if actions is not None else action_names())
    kinds = [
        k
        for k, on in zip(
            _KINDS,
            (chance, values, predictions, given_predictions, selects, correlates),
            strict=True,
        )
        if on
    ]
    params: dict[str, Fraction] = {}
    slots: list[_Slot] = []
    variables: list[Variable] = []
    given_slots: list[tuple[int, object]] = []  # index into variables, accuracy
    unknowns = 0
    branches = 1
    forced_observe: list[str] = []
    action_slot = _Slot("action", "action", acts, True, False)

    def fresh(prefix: str) -> str:
        return f"{prefix}{len(variables)}"

    def accuracy() -> Fraction | str | dict[str, Fraction | str]:
        if per_act_accuracy and draw(st.booleans(), label="per-act accuracy"):
            return {a: one_accuracy() for a in acts}
        return one_accuracy()

    def one_accuracy() -> Fraction | str:
        q = draw(accuracies(), label="accuracy")
        if parameters and q not in (0, 1) and draw(st.booleans(), label="accuracy parameter"):
            name = f"q{len(params)}"
            params[name] = q
            return name
        return q

    def make_self_prediction() -> None:
        name = fresh("pred")
        variables.append(Prediction(name=name, accuracy=accuracy()))
        slots.append(_Slot(name, "prediction", acts, False, True))

    if require_prediction:
        make_self_prediction()
        unknowns += 1
        branches *= len(acts)
        pred = slots[-1]
        target = draw(st.sampled_from(acts), label="predicted act shown")
        shown = draw(label_sets(string_labels, 2, 2, integers=False), label="shown labels")
        name = fresh("shown")
        variables.append(
            Value(
                name=name,
                expr=f"{label_literal(shown[0])} if {pred.name} == {label_literal(target)} "
                f"else {label_literal(shown[1])}",
            )
        )
        slots.append(_Slot(name, "value", shown, False, True))
        forced_observe.append(name)

    n_vars = draw(st.integers(min_value=min_variables, max_value=max_variables), label="size")
    for _ in range(n_vars):
        if not kinds:
            break
        kind = draw(st.sampled_from(kinds), label="kind")
        before = len(slots)
        if kind in ("prediction", "select") and unknowns >= max_unknowns:
            kind = "chance" if chance else "value" if values else "correlate"
            if kind not in kinds:
                continue
        width = len(acts) if kind in ("prediction", "given") else 2
        if kind != "value" and branches * width > max_branches:
            if "value" not in kinds or not slots:
                continue
            kind = "value"
        earlier = list(slots)
        if kind == "value" and not earlier and chance:
            kind = "chance"
        if kind == "chance":
            most = 3 if branches * 3 <= max_branches else 2
            outs = draw(label_sets(string_labels, 2, most), label="chance labels")
            parents = [*earlier, action_slot]
            conditional = draw(st.booleans(), label="conditional") if earlier else False
            name = fresh("chance")
            if conditional:
                parent = draw(st.sampled_from(parents), label="parent")
                rows = [
                    draw(distributions(len(outs)), label="row")
                    for _ in range(len(parent.domain[:3]))
                ]
                tests = parent.domain[: len(rows) - 1]
                outcomes: dict[Label, Fraction | str] = {}
                for j, lab in enumerate(outs):
                    expr = ""
                    for value, row in zip(tests, rows, strict=False):
                        expr += f"{row[j]} if {parent.name} == {label_literal(value)} else "
                    outcomes[lab] = expr + str(rows[-1][j])
                variables.append(Chance(name=name, outcomes=outcomes))
                slots.append(_Slot(name, "chance", outs, parent.after_act, parent.unknown))
            else:
                if parameters and len(outs) == 2 and draw(st.booleans(), label="parameter"):
                    pname = f"p{len(params)}"
                    params[pname] = draw(st.sampled_from(_PROBABILITIES), label="p")
                    outcomes = {outs[0]: pname, outs[1]: f"1 - {pname}"}
                else:
                    dist = draw(distributions(len(outs)), label="distribution")
                    outcomes = dict(zip(outs, dist, strict=True))
                variables.append(Chance(name=name, outcomes=outcomes))
                slots.append(_Slot(name, "chance", outs, False, False))
        elif kind == "value":
            name = fresh("val")
            shapes = ("map", "equal", "member") if earlier else ("map", "member")
            shape = draw(st.sampled_from(shapes), label="value shape")
            parents = [*earlier, action_slot]
            a = draw(st.sampled_from(parents), label="operand")
            if shape == "equal":
                b = draw(st.sampled_from(earlier), label="operand")
                expr = f"{a.name} == {b.name}"
                dom: tuple[Label, ...] = (True, False)
                after = a.after_act or b.after_act
                unk = a.unknown or b.unknown
            else:
                test = draw(st.sampled_from(a.domain), label="compared value")
                after, unk = a.after_act, a.unknown
                if shape == "member":
                    other = draw(st.sampled_from(a.domain), label="compared value")
                    expr = f"{a.name} in [{label_literal(test)}, {label_literal(other)}]"
                    dom = (True, False)
                else:
                    dom = draw(
                        label_sets(string_labels, 2, 2, integers=False), label="value labels"
                    )
                    expr = (
                        f"{label_literal(dom[0])} if {a.name} == {label_literal(test)} "
                        f"else {label_literal(dom[1])}"
                    )
            variables.append(Value(name=name, expr=expr))
            slots.append(_Slot(name, "value", dom, after, unk))
        elif kind == "prediction":
            make_self_prediction()
            unknowns += 1
        elif kind == "given":
            name = fresh("would")
            q = accuracy()
            # A placeholder until the observation space is known: it ranges over every action
            # there, exactly as the predicted act does.
            variables.append(Prediction(name=name, accuracy=q))
            given_slots.append((len(variables) - 1, q))
            slots.append(_Slot(name, "given", acts, False, False))
        elif kind == "select":
            name = fresh("sel")
            opts = draw(label_sets(string_labels, 2, 2), label="options")
            variables.append(Select(name=name, options=opts))
            slots.append(_Slot(name, "select", opts, False, True))
            unknowns += 1
        else:  # correlate
            name = fresh("corr")
            outs = draw(label_sets(string_labels, 2, 2), label="correlate labels")
            prior = draw(distributions(len(outs), allow_zero=False), label="prior")
            table = {
                act: dict(zip(outs, draw(distributions(len(outs)), label="row"), strict=True))
                for act in acts
            }
            variables.append(
                Correlate(name=name, table=table, prior=dict(zip(outs, prior, strict=True)))
            )
            slots.append(_Slot(name, "correlate", outs, False, False))
        if len(slots) > before and slots[-1].kind != "value" and not slots[-1].after_act:
            branches *= len(slots[-1].domain)

    # Observations: variables that do not depend on the act, trimmed to the policy bound.
    candidates = [s.name for s in slots if not s.after_act and s.name not in forced_observe]
    observes = list(forced_observe)
    if candidates and max_observed > len(observes):
        most = min(max_observed - len(observes), len(candidates))
        least = min(max(0, min_observed - len(observes)), most)
        n_obs = draw(st.integers(min_value=least, max_value=most), label="number observed")
        observes += draw(
            st.lists(st.sampled_from(candidates), min_size=n_obs, max_size=n_obs, unique=True),
            label="observes",
        )
    space = observation_space(variables, observes, acts, params)
    while observes and len(acts) ** len(space) > max_policies:
        observes.pop()
        space = observation_space(variables, observes, acts, params)
    for index, acc in given_slots:
        obs = draw(st.sampled_from(space), label="given observation")
        variables[index] = Prediction(
            name=variables[index].name,
            accuracy=acc,
            given=dict(zip(observes, obs, strict=True)),
        )

    # Utility: an integer table over the act and up to two variables.
    utility = _utility(draw, acts, slots)
    predictor = Predictor(
        prefer=_preference(draw, acts, slots) if prefer and slots else None,
        on_paradox=draw(st.sampled_from(tuple(paradox_rules)), label="on_paradox"),
    )
    return Scenario(
        name="generated",
        parameters=params,
        actions=acts,
        variables=variables,
        observes=observes,
        utility=utility,
        predictor=predictor,
    )


def _coefficient() -> SearchStrategy[int]:
    return st.integers(min_value=-3, max_value=9)


def _utility(draw: DrawFn, acts: tuple[str, ...], slots: Sequence[_Slot]) -> str:
    terms: list[str] = []
    for a in acts:
        c = draw(_coefficient(), label=f"U[{a}]")
        if c:
            terms.append(f"{c}*(action == {label_literal(a)})")
    if slots:
        used = draw(
            st.lists(st.sampled_from(list(slots)), max_size=2, unique_by=lambda s: s.name),
            label="utility variables",
        )
        for s in used:
            for a in acts:
                for v in s.domain[:3]:
                    c = draw(_coefficient(), label=f"U[{a}, {s.name}={v!r}]")
                    if c:
                        terms.append(
                            f"{c}*(action == {label_literal(a)} and {s.name} == {label_literal(v)})"
                        )
    return " + ".join(terms) or "0"


def _preference(draw: DrawFn, acts: tuple[str, ...], slots: Sequence[_Slot]) -> str | None:
    shape = draw(st.sampled_from(("none", "equal", "not", "act")), label="prefer")
    if shape == "none":
        return None
    if shape == "act":
        return f"action == {label_literal(draw(st.sampled_from(acts), label='preferred act'))}"
    s = draw(st.sampled_from(list(slots)), label="preferred variable")
    v = draw(st.sampled_from(s.domain), label="preferred value")
    expr = f"{s.name} == {label_literal(v)}"
    return expr if shape == "equal" else f"not ({expr})"


def decision_problems(**kwargs: Any) -> SearchStrategy[Scenario]:
    """Scenarios with no predictor: no predictions of either kind, selects or correlates.

    Only chance and values; every theory should agree on them. Other keyword arguments go to
    :func:`scenarios`.
    """
    options: dict[str, Any] = {
        "predictions": False,
        "given_predictions": False,
        "selects": False,
        "correlates": False,
    }
    options.update(kwargs)
    return scenarios(**options)


def predictor_problems(**kwargs: Any) -> SearchStrategy[Scenario]:
    """Scenarios that always have a self-referential prediction the observation depends on.

    The agent observes a value computed from the prediction (as in transparent Newcomb and the
    Omicron problem), so consistency, paradoxes and ties between fixed points are common. Other
    keyword arguments go to :func:`scenarios`.
    """
    return scenarios(require_prediction=True, **kwargs)


# -- sparse problems: the shape the factored engine targets ----------------------------------------


def _room_map(draw: DrawFn, rooms: Sequence[str], what: str) -> dict[str, str]:
    """A map from each room to a room (any function: a permutation, a constant, a ring)."""
    return {r: draw(st.sampled_from(tuple(rooms)), label=f"{what}[{r}]") for r in rooms}


def _if_chain(name: str, mapping: Mapping[str, str]) -> str:
    """``mapping`` as an if-chain on ``name``: ``'r1' if room == 'r0' else ... else 'r0'``."""
    keys = list(mapping)
    text = ""
    for k in keys[:-1]:
        text += f"{label_literal(mapping[k])} if {name} == {label_literal(k)} else "
    return text + label_literal(mapping[keys[-1]])


@st.composite
def sparse_problems(
    draw: DrawFn,
    *,
    min_rooms: int = 2,
    max_rooms: int = 5,
    max_predictions: int = 4,
    max_coins: int = 3,
    max_worlds: int = 1 << 11,
    max_policies: int = 64,
    paradox_rules: Sequence[str] = PARADOX_RULES,
) -> Scenario:
    """Small scenarios of the shape the factored engine targets (issue 10): sums of terms, one
    per room, each reading only a few of many variables.

    The agent observes a ``room`` (2 to 5 labels, each of positive probability) and sometimes
    a ``door`` (2 labels), or a ``sign`` showing whether a self-referential prediction
    ``guess`` foresaw an act (as in transparent Newcomb, so that paradoxes occur). Several
    ``given`` predictions ask what the agent does in some room: stated (a label per observed
    variable) or computed in each world (``{"expr": ...}``): a value mapping each room to a
    room by a table expression, an if-chain on ``room``, or a choice made by a coin; a computed
    ``door`` is the same door, or one a coin chooses; a ``sign`` asked about is stated. Every
    observation asked about is one that occurs. Sometimes the ``guess`` and a ``select`` value
    the predictor chooses (so its fixed point is exercised), and a preference among them.
    Coins (2 labels each) are read only inside some utility terms or by a computed
    observation. The utility is a sum of terms ``(room == 'rK') * (...)`` reading the act, one
    or two predictions, and perhaps the guess, the select or a coin, plus terms of the coins
    alone. Accuracies are exact, often 1 (so ε matters).

    Parameters
    ----------
    min_rooms, max_rooms:
        How many rooms.
    max_predictions:
        Most ``given`` predictions (at least one).
    max_coins:
        Most coins.
    max_worlds:
        Bound on the product of the domains of every exogenous variable (rooms, door, coins,
        predictions of both kinds, select): coins and then predictions are dropped until it
        holds, so that ``Model(s, exhaustive=True)``, the reference path, lists every world
        quickly.
    max_policies:
        Bound on the pure policies, |actions| ** |observations| (rooms are dropped down to 2,
        then the door or sign, then rooms, until it holds).
    paradox_rules:
        The ``on_paradox`` rules to draw from.

    Returns
    -------
    SearchStrategy[Scenario]
        Scenarios that construct and compile with :class:`~newcomb.world.Model`.
    """
    acts: tuple[str, ...] = draw(
        st.one_of(st.just(("a", "b")), action_names(2, 3)), label="actions"
    )
    n_rooms = draw(st.integers(min_value=min_rooms, max_value=max_rooms), label="rooms")
    guess = draw(st.booleans(), label="guess")
    select = draw(st.booleans(), label="select")
    second = draw(
        st.sampled_from(("none", "door", "sign", "sign") if guess else ("none", "door")),
        label="second observed",
    )
    door, sign = second == "door", second == "sign"
    while len(acts) ** (n_rooms * (2 if door or sign else 1)) > max_policies:
        if n_rooms > 2:
            n_rooms -= 1
        elif door or sign:
            door = sign = False
        elif n_rooms > 1:
            n_rooms -= 1
        else:
            break
    rooms = [f"r{k}" for k in range(n_rooms)]
    doors = ["d0", "d1"]
    n_preds = draw(st.integers(min_value=1, max_value=max_predictions), label="predictions")
    n_coins = draw(st.integers(min_value=0, max_value=max_coins), label="coins")

    def size() -> int:
        fixed = n_rooms * (2 if door else 1) * (len(acts) if guess else 1) * (2 if select else 1)
        return int(fixed * len(acts) ** n_preds * 2**n_coins)

    while size() > max_worlds and n_coins:
        n_coins -= 1
    while size() > max_worlds and n_preds > 1:
        n_preds -= 1
    if size() > max_worlds:
        guess = select = sign = False

    variables: list[Variable] = [
        Chance(
            name="room",
            outcomes=dict(zip(rooms, draw(distributions(n_rooms, allow_zero=False)), strict=True)),
        )
    ]
    if door:
        variables.append(
            Chance(
                name="door",
                outcomes=dict(zip(doors, draw(distributions(2, allow_zero=False)), strict=True)),
            )
        )
    coins = [f"c{i}" for i in range(n_coins)]
    for c in coins:
        variables.append(
            Chance(name=c, outcomes=dict(zip(("h", "t"), draw(distributions(2)), strict=True)))
        )
    if guess:
        variables.append(
            Prediction(name="guess", accuracy=draw(accuracies(), label="guess accuracy"))
        )
    if select:
        variables.append(Select(name="sel", options=("lo", "hi")))
    if sign:
        shown = label_literal(draw(st.sampled_from(acts), label="act the sign shows"))
        variables.append(Value(name="sign", expr=f"'x' if guess == {shown} else 'y'"))
    preds = [f"p{i}" for i in range(n_preds)]
    for i, name in enumerate(preds):
        shape = draw(
            st.sampled_from(
                ("stated", "table", "chain", "coin") if coins else ("stated", "table", "chain")
            ),
            label=f"{name} given",
        )
        given: dict[str, Any]
        if shape == "stated":
            given = {"room": draw(st.sampled_from(rooms), label=f"{name} room")}
        elif shape == "table":
            table = {r: label_literal(x) for r, x in _room_map(draw, rooms, name).items()}
            variables.append(Value(name=f"next{i}", expr={"lookup": ["room"], "table": table}))
            given = {"room": {"expr": f"next{i}"}}
        elif shape == "chain":
            given = {"room": {"expr": _if_chain("room", _room_map(draw, rooms, name))}}
        else:
            c = draw(st.sampled_from(coins), label=f"{name} coin")
            x, y = (draw(st.sampled_from(rooms), label=f"{name} room") for _ in range(2))
            given = {"room": {"expr": f"{label_literal(x)} if {c} == 'h' else {label_literal(y)}"}}
        if door:
            how = draw(
                st.sampled_from(("d0", "d1", "same", "coin") if coins else ("d0", "d1", "same")),
                label=f"{name} door",
            )
            if how == "same":
                given["door"] = {"expr": "door"}
            elif how == "coin":
                c = draw(st.sampled_from(coins), label=f"{name} door coin")
                given["door"] = {"expr": f"'d0' if {c} == 'h' else 'd1'"}
            else:
                given["door"] = how
        if sign:
            given["sign"] = draw(st.sampled_from(("x", "y")), label=f"{name} sign")
        variables.append(Prediction(name=name, accuracy=draw(accuracies()), given=given))
    observes = ["room", "door"] if door else ["room", "sign"] if sign else ["room"]

    def atom(where: str) -> str:
        c = draw(st.integers(min_value=-3, max_value=9), label=f"{where} coefficient")
        kinds = ["act", "agree", "label", "pair"]
        kinds += ["guess"] if guess else []
        kinds += ["select"] if select else []
        kinds += ["coin"] if coins else []
        kind = draw(st.sampled_from(kinds), label=f"{where} atom")
        a = label_literal(draw(st.sampled_from(acts), label=f"{where} act"))
        p = draw(st.sampled_from(preds), label=f"{where} prediction")
        if kind == "act":
            body = f"action == {a}"
        elif kind == "agree":
            body = f"action == {p}"
        elif kind == "label":
            body = f"action == {a} and {p} == {a}"
        elif kind == "pair":
            q = draw(st.sampled_from(preds), label=f"{where} second prediction")
            b = label_literal(draw(st.sampled_from(acts), label=f"{where} second act"))
            body = f"{p} == {a} and {q} == {b}"
        elif kind == "guess":
            body = "action == guess" if draw(st.booleans()) else f"guess == {a} and {p} == {a}"
        elif kind == "select":
            body = f"sel == 'hi' and action == {a}"
        else:
            body = f"{draw(st.sampled_from(coins))} == 'h' and action == {p}"
        return f"{c}*({body})"

    terms: list[str] = []
    for r in rooms:
        if not draw(st.booleans(), label=f"term {r}") and r != rooms[0]:
            continue
        n_atoms = draw(st.integers(min_value=1, max_value=3), label=f"atoms {r}")
        body = " + ".join(atom(r) for _ in range(n_atoms))
        factor = ""
        if bool(coins) and draw(st.booleans(), label=f"coin factor {r}"):
            factor = f" * ({draw(st.sampled_from(coins))} == 'h')"
        terms.append(f"(room == {label_literal(r)}) * ({body}){factor}")
    for c in coins:
        if draw(st.booleans(), label=f"{c} term"):
            k = draw(st.integers(min_value=1, max_value=5))
            a = label_literal(draw(st.sampled_from(acts)))
            terms.append(f"{k}*({c} == 'h' and action == {a})")
    prefer: str | None = None
    if guess or select:
        options = ["none"] + (["guess"] if guess else []) + (["select"] if select else [])
        choice = draw(st.sampled_from(options), label="prefer")
        if choice == "guess":
            prefer = f"guess == {label_literal(draw(st.sampled_from(acts)))}"
        elif choice == "select":
            prefer = "sel == 'hi'"
    return Scenario(
        name="sparse",
        actions=acts,
        variables=variables,
        observes=observes,
        utility=" + ".join(terms),
        predictor=Predictor(
            prefer=prefer,
            on_paradox=draw(st.sampled_from(tuple(paradox_rules)), label="on_paradox"),
        ),
    )


# -- a small independent enumerator, used to choose observations and `given` ----------------------


def observation_space(
    variables: Sequence[Variable],
    observes: Sequence[str],
    actions: Sequence[str],
    parameters: Mapping[str, Fraction],
) -> list[tuple[Label, ...]]:
    """Every observation some world can produce, whatever the policy, in first-found order.

    Predictions of both kinds range over every action, selects over their options, chance
    variables over outcomes of positive probability and correlates over outcomes of positive
    prior (DESIGN.md §2: the policy ranges over the observations some world can produce,
    trembles included). Variables that depend on the act are skipped: they cannot be observed.
    """
    after: set[str] = {"action"}
    envs: list[dict[str, Any]] = [dict(parameters)]
    for v in variables:
        names: set[str] = set()
        for e in v.expressions():
            names |= e.names
        if names & after:
            after.add(v.name)
            continue
        nxt: list[dict[str, Any]] = []
        for env in envs:
            options: list[Label]
            if isinstance(v, Chance):
                options = [lab for lab, e in v.outcomes if e(env) != 0]
            elif isinstance(v, Value):
                options = [v.expr(env)]
            elif isinstance(v, Prediction):
                options = list(actions)
            elif isinstance(v, Select):
                options = list(v.options)
            elif isinstance(v, Correlate):
                options = [lab for lab, e in v.prior if e(env) != 0]
            else:  # a decision point: its acts (a scenario with them has no `action`)
                options = list(v.actions or actions)
            for x in options:
                e2 = dict(env)
                e2[v.name] = x
                nxt.append(e2)
        envs = nxt
    found: dict[tuple[Any, ...], tuple[Label, ...]] = {}
    for env in envs:
        obs = tuple(env[o] for o in observes)
        found.setdefault(tuple((type(x), x) for x in obs), obs)
    return list(found.values())


# -- transformations ------------------------------------------------------------------------------


def replace_scenario(s: Scenario, **changes: Any) -> Scenario:
    """A copy of ``s`` with some constructor arguments changed (validated again).

    Every field of :class:`~newcomb.model.Scenario` is carried over (read from
    :func:`dataclasses.fields`, so a field added later is not silently dropped).
    """
    values: dict[str, Any] = {f.name: getattr(s, f.name) for f in fields(s) if f.init}
    values["parameters"] = dict(s.parameters)
    values.update(changes)
    return Scenario(**values)


def with_utility(s: Scenario, scale: Fraction | int = 1, shift: Fraction | int = 0) -> Scenario:
    """``s`` with utility ``scale * U + shift`` (a positive affine change when ``scale > 0``)."""

    def affine(source: Any) -> str:
        return f"{Fraction(scale)} * ({source}) + {Fraction(shift)}"

    if s.utility.table is not None:  # a table expression: change every entry and the default
        return replace_scenario(s, utility=_map_table(table_data(s.utility.table), affine))
    return replace_scenario(s, utility=affine(s.utility.source))


def _map_table(
    data: Mapping[str, Any],
    leaf: Callable[[Any], Any],
    key: Callable[[Any], Any] = lambda k: k,
    name: Callable[[str], str] = lambda n: n,
) -> dict[str, Any]:
    """A table expression in plain data (:func:`~newcomb.expr.table_data`) with its entries,
    keys and lookup names changed by ``leaf``, ``key`` and ``name``."""
    depth = len(data["lookup"])

    def level(m: Mapping[Any, Any], d: int) -> dict[Any, Any]:
        if d == depth - 1:
            return {key(k): leaf(v) for k, v in m.items()}
        return {key(k): level(v, d + 1) for k, v in m.items()}

    out: dict[str, Any] = {
        "lookup": [name(n) for n in data["lookup"]],
        "table": level(data["table"], 0),
    }
    if "default" in data:
        out["default"] = leaf(data["default"])
    return out


class _Renamer(ast.NodeTransformer):
    def __init__(self, names: Mapping[str, str], strings: Mapping[str, str]) -> None:
        self.names = names
        self.strings = strings

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.copy_location(ast.Name(self.names.get(node.id, node.id), node.ctx), node)

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, str):
            return ast.copy_location(ast.Constant(self.strings.get(node.value, node.value)), node)
        return node


def rename(s: Scenario, *, names: Mapping[str, str], strings: Mapping[str, str]) -> Scenario:
    """``s`` with variables and parameters renamed by ``names`` and every string (action names
    and string labels, wherever they occur: lists, tables, ``given`` and expressions) renamed by
    ``strings``.

    ``strings`` must be injective on the strings of ``s``, so that equal strings stay equal and
    different ones stay different; then the renamed scenario is the same problem.
    """
    renamer = _Renamer(names, strings)

    def expr(text: Any) -> Any:
        if isinstance(text, Mapping):  # a table expression
            return _map_table(text, expr, label, lambda n: names.get(n, n))
        if not isinstance(text, str):
            return text
        tree = ast.parse(text, mode="eval")
        return ast.unparse(renamer.visit(tree))

    def label(x: Any) -> Any:
        return strings.get(x, x) if isinstance(x, str) else x

    def dist(d: Mapping[Any, Any]) -> dict[Any, Any]:
        return {label(k): expr(v) for k, v in d.items()}

    data = io.to_dict(s)
    data["parameters"] = {names.get(k, k): v for k, v in data.get("parameters", {}).items()}
    data["actions"] = [label(a) for a in data["actions"]]
    out: dict[str, Any] = {}
    for vname, spec in data["variables"].items():
        new: dict[str, Any] = {}
        for key, body in spec.items():
            if key in ("chance", "prior"):
                new[key] = dist(body)
            elif key == "accuracy" and isinstance(body, Mapping) and "lookup" not in body:
                new[key] = dist(body)  # per act: the keys are action names
            elif key in ("value", "accuracy"):
                new[key] = expr(body)
            elif key == "given":
                new[key] = {names.get(k, k): label(x) for k, x in body.items()}
            elif key == "select":
                new[key] = [label(x) for x in body]
            elif key == "correlate":
                new[key] = {label(a): dist(d) for a, d in body.items()}
            else:
                new[key] = body
        out[names.get(vname, vname)] = new
    data["variables"] = out
    if "observes" in data:
        data["observes"] = [names.get(o, o) for o in data["observes"]]
    data["utility"] = expr(data["utility"])
    if "prefer" in data.get("predictor", {}):
        data["predictor"]["prefer"] = expr(data["predictor"]["prefer"])
    return io.from_dict(data)


# -- what a theory returns ------------------------------------------------------------------------


def check_behaviour(model: Model, pi: Behaviour) -> None:
    """Raise AssertionError unless ``pi`` is a policy of ``model`` in index form: one row per
    observation, one exact probability per action, each row a distribution.

    Exact means a :class:`~fractions.Fraction` or an ``int``, or a real sympy number (a mixed
    equilibrium may need an algebraic probability); floats are refused. The rows are read as
    the engine reads them (:func:`~newcomb.theories.result.interpret`), and must be tuples.
    """
    if not isinstance(pi, tuple) or not all(isinstance(row, tuple) for row in pi):
        raise AssertionError(f"a policy in index form is a tuple of tuples, got {pi!r}")
    try:
        interpret(model, Decision((pi,)), "policy")
    except UsageError as e:
        raise AssertionError(str(e)) from None


def _check_policy(model: Model, policy: Policy) -> None:
    if tuple(policy.observes) != tuple(model.observes):
        raise AssertionError(
            f"policy observes {policy.observes}, the scenario observes {model.observes}"
        )
    known = {tuple((type(x), x) for x in o) for o in model.observations}
    for obs, dist in policy.rules:
        if tuple((type(x), x) for x in obs) not in known:
            raise AssertionError(f"policy names an observation {obs} no world produces")
        total = Fraction(0)
        for a, p in dist:
            if a not in model.actions:
                raise AssertionError(f"policy names an unknown action {a!r} at {obs}")
            if not isinstance(p, Fraction | int) or isinstance(p, bool) or p < 0:
                raise AssertionError(f"policy has probability {p!r} at {obs}")
            total += p
        if total != 1:
            raise AssertionError(f"policy's probabilities at {obs} sum to {total}, not 1")


def policies_of(model: Model, result: object, theory: str = "theory") -> tuple[Behaviour, ...]:
    """The policies in what :meth:`Theory.decide` returned, checked, in index form.

    Read as the engine reads it (:func:`~newcomb.theories.result.interpret`): a
    :class:`~newcomb.theories.base.Decision`, a :class:`~newcomb.model.Policy` or a list of
    Policies. The contract asks more than the engine accepts: a Policy observes exactly the
    scenario's observed variables and names only observations some world produces, and an
    empty answer is valid only as a Decision with a ``note`` saying why. Raises AssertionError,
    naming ``theory``, for anything else or any invalid policy.
    """
    if isinstance(result, Decision):
        if not isinstance(result.policies, tuple):
            raise AssertionError(f"Decision.policies must be a tuple, got {result.policies!r}")
        if not result.policies and not (isinstance(result.note, str) and result.note.strip()):
            raise AssertionError("an empty Decision needs a note saying why there is no policy")
    elif isinstance(result, Sequence) and not isinstance(result, str) and not result:
        raise AssertionError("an empty list of policies (return a Decision with a note)")
    listed = result.policies if isinstance(result, Decision) else result
    if isinstance(listed, Policy):
        listed = (listed,)
    if isinstance(listed, Sequence) and not isinstance(listed, str):
        for p in listed:
            if isinstance(p, Policy):
                _check_policy(model, p)
            elif not isinstance(p, tuple) or not all(isinstance(row, tuple) for row in p):
                raise AssertionError(f"a policy in index form is a tuple of tuples, got {p!r}")
    try:
        with user_code(theory, "reading the answer"):
            decision = interpret(model, result, theory)
    except UsageError as e:
        raise AssertionError(str(e)) from None
    return decision.policies


# -- the contract ---------------------------------------------------------------------------------


def _snapshot(s: Scenario) -> tuple[Scenario, str, dict[str, Fraction]]:
    return copy.deepcopy(s), io.dumps(s), dict(s.parameters)


def _compare_snapshot(s: Scenario, snap: tuple[Scenario, str, dict[str, Fraction]]) -> None:
    before, text, params = snap
    if s != before or io.dumps(s) != text or dict(s.parameters) != params:
        raise AssertionError("the theory mutated the scenario")


class TheoryContract:
    """A test class to subclass: the contract every decision theory should meet.

    Set ``theory`` to a :class:`~newcomb.theories.base.Theory` subclass or instance (or a
    :class:`~newcomb.model.Policy`, or a function of the observation dict, as ``--theory``
    accepts), and name the subclass ``Test...`` so pytest collects it. Optionally set
    ``strategy`` to a strategy of scenarios (default :func:`scenarios`), or override
    :meth:`make_theory`. The number of examples follows the loaded hypothesis profile.

    Checks
    ------
    ``test_returns_valid_policies``
        ``decide`` returns a Decision, a Policy or a list of Policies; every policy has one
        distribution over the scenario's actions per observation, exact and summing to 1; an
        empty Decision carries a note.
    ``test_deterministic``
        Two runs (on fresh compiled models, and twice on one model) give the same policies.
    ``test_does_not_mutate``
        The scenario (compared field by field, as YAML and its parameters) and the model's
        actions and observations are unchanged by ``decide``.
    ``test_has_a_name``
        The theory has a non-empty name.
    """

    theory: ClassVar[Any] = None
    strategy: ClassVar[SearchStrategy[Scenario] | None] = None

    def make_theory(self) -> Theory:
        """A fresh instance of the theory under test."""
        # Read without binding: a plain function set as ``theory = my_policy`` would otherwise
        # come back as a bound method of the test class.
        theory = inspect.getattr_static(self, "theory", None)
        if isinstance(theory, staticmethod | classmethod):
            theory = self.theory
        if theory is None:
            raise AssertionError(f"{type(self).__name__} must set `theory`")
        label = getattr(theory, "__name__", type(self).__name__)
        return as_theory(theory, label)

    def scenario_strategy(self) -> SearchStrategy[Scenario]:
        """The scenarios the contract is checked on."""
        return self.strategy if self.strategy is not None else scenarios()

    def decide(self, model: Model) -> tuple[Behaviour, ...]:
        """Run the theory on ``model`` and return its checked policies."""
        theory = self.make_theory()
        return policies_of(model, theory.decide(model), theory_name(theory))

    # The checks, wrapped with @given per subclass in __init_subclass__ (hypothesis refuses a
    # @given test inherited by several classes).
    def check_returns_valid_policies(self, s: Scenario) -> None:
        self.decide(Model(s))

    def check_deterministic(self, s: Scenario) -> None:
        first = self.decide(Model(s))
        second = self.decide(Model(s))
        if first != second:
            raise AssertionError(f"two runs differ: {first} then {second}")
        model = Model(s)
        third, fourth = self.decide(model), self.decide(model)
        if third != first or fourth != first:
            raise AssertionError(f"runs on one model differ: {third} then {fourth}")

    def check_does_not_mutate(self, s: Scenario) -> None:
        snap = _snapshot(s)
        model = Model(s)
        actions, observations, observes = model.actions, model.observations, model.observes
        self.decide(model)
        _compare_snapshot(s, snap)
        if model.scenario is not s:
            raise AssertionError("the theory replaced model.scenario")
        if (model.actions, model.observations, model.observes) != (
            actions,
            observations,
            observes,
        ):
            raise AssertionError("the theory changed the model's actions or observations")

    def test_has_a_name(self) -> None:
        name = theory_name(self.make_theory())
        if not isinstance(name, str) or not name.strip():
            raise AssertionError(f"a theory needs a non-empty name, got {name!r}")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for check in ("returns_valid_policies", "deterministic", "does_not_mutate"):
            setattr(cls, f"test_{check}", _contract_test(check))


def _contract_test(check: str) -> Callable[..., None]:
    def test(self: TheoryContract, data: st.DataObject) -> None:
        s = data.draw(self.scenario_strategy(), label="scenario")
        getattr(self, f"check_{check}")(s)

    test.__name__ = f"test_{check}"
    test.__qualname__ = f"TheoryContract.test_{check}"
    test.__doc__ = f"Contract: {check.replace('_', ' ')} (see TheoryContract)."
    return given(data=st.data())(test)
