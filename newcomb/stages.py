"""The static structure of a scenario: which variable belongs to which stage.

Following which names each expression uses, the variables fall into three stages
(DESIGN.md §2):

1. *exogenous*: chance draws, correlates, ``given`` predictions and the values computed from
   them. They do not depend on the predictor's unknowns nor on the act; the predictor foresees
   them. One joint outcome of this stage is a **draw**.
2. *settled by the predictor*: self-referential predictions and ``select`` values (the
   **unknowns**), and every variable that depends on them, including chance variables whose
   probabilities do.
3. *after the act*: everything that depends on ``action``.

:class:`Stages` holds this, and the other facts about a scenario that no policy changes: the
predictor's possible assignments, the ``given`` predictions, whether the predictor's search
reads the policy. :func:`check_size` refuses, before any work, a problem past the bounds.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .errors import LimitError, ScenarioError
from .expr import Expr
from .model import Chance, Correlate, Label, Prediction, Scenario, Select, Value, Variable

__all__ = ["Node", "Stages", "check_size", "stages"]


@dataclass(frozen=True, eq=False, repr=False)
class Node:
    """A variable and its stage: 1 exogenous, 2 settled by the predictor, 3 after the act."""

    var: Variable
    stage: int


def stages(s: Scenario) -> tuple[Node, ...]:
    """Each variable of ``s`` with its stage; refuses kinds that cannot depend on what the act
    or the predictor decides."""
    unknown: set[str] = set()
    after: set[str] = set()
    out = []
    for v in s.variables:
        names: set[str] = set()
        for e in v.expressions():
            names |= e.names
        if "action" in names or names & after:
            if not isinstance(v, Chance | Value):
                raise ScenarioError(
                    f"a {v.kind} cannot depend on the act (it names "
                    f"{', '.join(sorted(names & (after | {'action'})))}, which the act "
                    "decides)",
                    ("variables", v.name),
                )
            after.add(v.name)
            stage = 3
        elif (
            isinstance(v, Select)
            or (isinstance(v, Prediction) and v.self_referential)
            or names & unknown
        ):
            if isinstance(v, Correlate):
                raise ScenarioError(
                    "a correlate cannot depend on what the predictor settles (it names "
                    f"{', '.join(sorted(names & unknown))})",
                    ("variables", v.name),
                )
            if isinstance(v, Prediction) and not v.self_referential:
                raise ScenarioError(
                    "the observation a given prediction asks about may depend only on variables "
                    "the predictor does not settle (it names "
                    f"{', '.join(sorted(names & unknown))})",
                    ("variables", v.name, "given"),
                )
            unknown.add(v.name)
            stage = 2
        else:
            stage = 1
        for acc in v.accuracies() if isinstance(v, Prediction) else ():
            if acc.names & (unknown | after):
                raise ScenarioError(
                    "an accuracy may depend only on parameters and on variables the predictor "
                    "does not settle itself",
                    acc.path,
                )
        out.append(Node(v, stage))
    return tuple(out)


class Stages:
    """What a scenario's structure says before anything is evaluated.

    Attributes
    ----------
    stage1, stage2, stage3:
        The variables of each stage, in file order.
    unknowns, unknown_names:
        The predictor's unknowns: self-referential predictions and selected values.
    self_names:
        The self-referential predictions among them (the consistency condition reads these).
    assignments:
        Every joint assignment of the unknowns, in a fixed order.
    givens:
        The ``given`` predictions (stage 1).
    consults:
        Whether the predictor's search reads the policy: through self-referential predictions
        (consistency) or a preference that depends on the act.
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.actions: tuple[str, ...] = scenario.actions
        self.observes = scenario.observes
        self.nodes = stages(scenario)
        self.unknowns: tuple[Prediction | Select, ...] = tuple(
            n.var
            for n in self.nodes
            if isinstance(n.var, Select)
            or (isinstance(n.var, Prediction) and n.var.self_referential)
        )
        self.unknown_names = tuple(u.name for u in self.unknowns)
        self.self_names = frozenset(u.name for u in self.unknowns if isinstance(u, Prediction))
        self.has_correlates = any(isinstance(n.var, Correlate) for n in self.nodes)
        prefer = scenario.predictor.prefer
        after_act = {n.var.name for n in self.nodes if n.stage == 3} | {"action"}
        self.consults = bool(self.self_names) or (
            prefer is not None and bool(prefer.names & after_act)
        )
        self.stage1 = [n.var for n in self.nodes if n.stage == 1]
        self.stage2 = [n.var for n in self.nodes if n.stage == 2]
        self.stage3 = [n.var for n in self.nodes if n.stage == 3]
        self.assignments: list[tuple[Label, ...]] = list(
            itertools.product(
                *[self.actions if isinstance(u, Prediction) else u.options for u in self.unknowns]
            )
        )
        self.givens = [v for v in self.stage1 if isinstance(v, Prediction) and v.given is not None]

    def given_tuple(self, v: Prediction) -> tuple[Label, ...]:
        """The observation a ``given`` prediction of stated labels asks about, in ``observes``
        order (one computed in each world: :meth:`given_in`)."""
        g = dict(v.given or ())
        return tuple(g[o] for o in self.observes)  # type: ignore[misc]

    def given_in(self, v: Prediction, env: Mapping[str, Any]) -> tuple[Label, ...]:
        """The observation a ``given`` prediction asks about in the world ``env``: its labels,
        and its expressions evaluated there (a whole number as the integer label)."""
        g = dict(v.given or ())
        out: list[Label] = []
        for o in self.observes:
            x = g[o]
            if isinstance(x, Expr):
                x = x(env)
                if isinstance(x, Fraction) and x.denominator == 1:
                    x = int(x)
            out.append(x)
        return tuple(out)


def check_size(st: Stages, max_worlds: int) -> None:
    """Refuse, before any work, an enumeration of every world past the bound: the product of
    the sizes of the chance variables, correlates, predictions and selected values (the
    exhaustive path lists them all; the compiled one builds only what is read)."""
    sizes: list[tuple[str, int]] = []
    for v in st.stage1 + list(st.unknowns):
        if isinstance(v, Chance):
            sizes.append((v.name, len(v.outcomes)))
        elif isinstance(v, Correlate):
            sizes.append((v.name, len(v.prior)))
        elif isinstance(v, Prediction):
            sizes.append((v.name, len(st.actions)))
        elif isinstance(v, Select):
            sizes.append((v.name, len(v.options)))
    total = 1
    for _, n in sizes:
        total *= n
    if total > max_worlds:
        shown = " × ".join(str(n) for _, n in sizes[:12])
        if len(sizes) > 12:
            shown += " × ..."
        raise LimitError(
            f"listing every world would take up to {total} worlds ({shown}, from "
            f"{len(sizes)} chance variables, predictions and selected values), more than the "
            f"bound of {max_worlds} (raise it with --max-worlds)"
        )
