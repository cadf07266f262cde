"""The consistency checker: can the predictor the scenario describes exist for this policy?

For a policy π and each draw of the exogenous chance, :func:`check` reports how many
assignments of the predictor's unknowns (self-referential predictions and selected values) are
consistent with π (none: a paradox; one; several: ambiguous unless ``prefer`` decides), which one
the preference picks, the best accuracy any predictor could reach on that draw, and, for a
paradox, a sentence in the scenario's own terms saying why: which choice of the predictor leads to
which observation and which act. The search is over a finite set (DESIGN.md §2); the agent is
never simulated recursively.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from .model import Label
from .series import Num, is_zero, leading, ratio
from .world import Behaviour, Draw, Model, WorldSet

__all__ = ["Consistency", "DrawCheck", "check", "describe_label"]


@dataclass(frozen=True)
class DrawCheck:
    """The predictor's options on one draw of chance.

    Attributes
    ----------
    chance:
        The draw: each exogenous random variable's value.
    agent:
        For a mixed policy, the pure policy its lotteries drew: (observation, action) pairs.
    probability:
        Probability of the draw (at ε = 0 when an accuracy is 1).
    consistent:
        How many assignments of the predictor's unknowns are consistent.
    choices, chosen:
        The consistent assignments, and those the preference keeps (split uniformly).
    best_accuracy:
        The highest probability that its predictions are right that any choice reaches.
    reason:
        Why there is a paradox, in words; ``None`` when there is none.
    """

    chance: Mapping[str, Label]
    agent: tuple[tuple[Mapping[str, Label], str], ...] | None
    probability: Fraction
    consistent: int
    choices: tuple[Mapping[str, Label], ...]
    chosen: tuple[Mapping[str, Label], ...]
    best_accuracy: Fraction
    reason: str | None

    @property
    def paradox(self) -> bool:
        return self.reason is not None

    @property
    def ambiguous(self) -> bool:
        return len(self.chosen) > 1


@dataclass(frozen=True)
class Consistency:
    """The checker's findings for one policy."""

    draws: tuple[DrawCheck, ...]
    paradox_probability: Fraction
    paradox: bool
    best_accuracy: Fraction
    has_predictor: bool

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(d.reason for d in self.draws if d.reason)


def describe_label(x: Label) -> str:
    """A label as the scenario file writes it."""
    if isinstance(x, bool):
        return "true" if x else "false"
    return str(x)


def _assign(names: tuple[str, ...], values: tuple[Label, ...]) -> dict[str, Label]:
    return dict(zip(names, values, strict=True))


def _phrase(pairs: Mapping[str, Label]) -> str:
    return ", ".join(f"{k} = {describe_label(v)}" for k, v in pairs.items())


def _reason(model: Model, draw: Draw) -> str:
    where = f"When {_phrase(dict(draw.key))}" if draw.key else "In every world"
    parts = []
    for att in draw.attempts:
        outcomes = []
        seen: set[tuple[int, int]] = set()
        for obs, act, _p in att.branches:
            if (obs, act) in seen:
                continue
            seen.add((obs, act))
            o = model.observation_dict(obs)
            what = f"{_phrase(o)} and " if o else ""
            outcomes.append(f"{what}the agent takes {model.actions[act]}")
        choice = _phrase(_assign(model.unknown_names, att.assignment))
        parts.append(f"if {choice}, then " + " or ".join(outcomes))
    return f"{where}, no choice of the predictor is consistent: " + "; ".join(parts) + "."


def check(model: Model, pi: Behaviour, worlds: WorldSet | None = None) -> Consistency:
    """Check policy ``pi`` (index form, see :meth:`Model.behaviour`) against the predictor:
    on the draws of ``worlds`` when given, else on :meth:`Model.draws`."""
    draws = worlds.draws if worlds is not None else model.draws(pi)
    predicted = [n in model.self_names for n in model.unknown_names]
    out = []
    mass: Num = Fraction(0)
    total: Num = Fraction(0)
    acc: Num = Fraction(0)
    for d in draws:
        choices = tuple(
            _assign(model.unknown_names, a.assignment) for a in d.attempts if a.consistent
        )
        chosen = tuple(_assign(model.unknown_names, d.attempts[i].assignment) for i in d.chosen)
        best = d.best_accuracy(predicted, model.actions)
        total = total + d.weight
        acc = acc + d.weight * best
        if d.paradox:
            mass = mass + d.weight
        agent = None
        if d.agent is not None:
            agent = tuple(
                (model.observation_dict(o), model.actions[a]) for o, a in enumerate(d.agent)
            )
        out.append(
            DrawCheck(
                chance={k: v for k, v in d.key},
                agent=agent,
                probability=leading(d.weight),
                consistent=d.consistent,
                choices=choices,
                chosen=chosen,
                best_accuracy=leading(best),
                reason=_reason(model, d) if d.paradox else None,
            )
        )
    return Consistency(
        draws=tuple(out),
        paradox_probability=leading(mass),
        paradox=not is_zero(mass),
        best_accuracy=leading(ratio(acc, total)) if not is_zero(total) else Fraction(0),
        has_predictor=bool(model.unknowns),
    )
