"""Why a theory chose what it chose: its expected utility per act and observation, the worlds
behind each number, and the cycle of predictions and acts behind each paradox.

:func:`explain` returns plain data; :mod:`newcomb.render` draws it. The worlds listed are the ones
the theory's query looks at (DESIGN.md §2):

* ``condition`` (EDT): the worlds of W(π with o ↦ a) in which the agent observes o, weighted by
  their probability given o;
* ``intervene`` (CDT): the worlds of W(π) in which the agent observes o, each with the act set
  to a (predictions stay put);
* ``policy`` (FDT): every world of W(π with o ↦ a).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .check import check
from .model import Label
from .query import act_distribution, deviate
from .report import short_str
from .series import Num, is_zero, leading, ratio
from .sums import counts_guesses, divides, refuses_paradox
from .world import Behaviour, Model, World

__all__ = ["ActLine", "Explanation", "ObservationLine", "WorldLine", "explain"]

MAX_WORLDS = 8  # worlds listed per act; the rest are summed into one line


@dataclass(frozen=True)
class WorldLine:
    """A group of worlds that look the same: the chance draw, the predictor's choice, whether
    the prediction erred, their probability (given the observation) and utility."""

    values: Mapping[str, Label]
    kind: str
    probability: Fraction
    utility: Fraction


@dataclass(frozen=True)
class ActLine:
    """One act at one observation: its expected utility (at ε = 0; ``exact`` keeps the higher
    orders that break ties) and the worlds behind it."""

    action: str
    eu: Fraction | None
    worlds: tuple[WorldLine, ...]
    more: int  # worlds not listed
    exact: Num | None = None


@dataclass(frozen=True)
class ObservationLine:
    observation: Mapping[str, Label]
    policy: Mapping[str, Fraction]
    acts: tuple[ActLine, ...]
    verdict: str


@dataclass(frozen=True)
class Explanation:
    theory: str
    query: str
    policy: Behaviour
    observations: tuple[ObservationLine, ...]
    paradoxes: tuple[str, ...]


def _worlds(
    model: Model, pi: Behaviour, obs: int, act: int, query: str
) -> tuple[Num, list[tuple[World, Num]]]:
    """(normaliser, [(world, utility)]) the query averages over."""
    if query == "condition":
        ws = model.mixed_worlds(deviate(pi, obs, act), act_distribution(model, act))
        chosen = [(w, w.utility) for w in ws.consistent() if w.obs == obs]
    elif query == "intervene":
        ws = model.mixed_worlds(pi, pi[obs])
        chosen = [(w, model.utility(w.env, act)) for w in ws.consistent() if w.obs == obs]
    else:
        ws = model.mixed_worlds(deviate(pi, obs, act))
        rule = model.rule
        chosen = [(w, w.utility) for w in ws.worlds if w.kind != "guess" or counts_guesses(rule)]
        if refuses_paradox(rule) and not is_zero(ws.paradox_mass()):
            return Fraction(0), []
    den: Num = Fraction(0)
    for w, _u in chosen:
        den = den + w.weight
    if query == "policy" and not divides(model.rule):
        den = Fraction(1)
    return den, chosen


def _describe(model: Model, w: World) -> dict[str, Label]:
    """The values that tell worlds apart: chance, correlates, predictions, selections and what
    the agent observes (deterministic values in between are left out)."""
    return {
        v.name: w.env[v.name]
        for v in model.scenario.variables
        if v.name in w.env and (v.kind != "value" or v.name in model.observes)
    }


def _act_line(model: Model, pi: Behaviour, obs: int, act: int, query: str) -> ActLine:
    den, chosen = _worlds(model, pi, obs, act, query)
    if is_zero(den):
        return ActLine(model.actions[act], None, (), 0)
    groups: dict[tuple[Any, ...], list[Any]] = {}
    num: Num = Fraction(0)
    for w, u in chosen:
        num = num + w.weight * u
        values = _describe(model, w)
        key = (tuple((k, type(v), v) for k, v in values.items()), w.kind, leading(u))
        g = groups.setdefault(key, [values, w.kind, Fraction(0), u])
        g[2] = g[2] + w.weight
    lines = [
        WorldLine(values, kind, leading(ratio(weight, den)), leading(u))
        for values, kind, weight, u in groups.values()
        if leading(ratio(weight, den)) != 0
    ]
    lines.sort(key=lambda x: -x.probability)
    exact = ratio(num, den)
    shown = tuple(lines[:MAX_WORLDS])
    return ActLine(
        model.actions[act], leading(exact), shown, max(0, len(lines) - MAX_WORLDS), exact
    )


def explain(model: Model, theory: str, query: str, pi: Behaviour) -> Explanation:
    """The reasoning of a theory whose query is ``query`` behind policy ``pi``."""
    rows = []
    for o in range(len(model.observations)):
        acts = tuple(_act_line(model, pi, o, a, query) for a in range(len(model.actions)))
        played = {model.actions[a]: p for a, p in enumerate(pi[o]) if p}
        defined = [x for x in acts if x.exact is not None]
        if not defined:
            verdict = "no act has a defined expected utility here: the observation cannot occur"
        else:
            best = max(x.exact for x in defined if x.exact is not None)
            winners = [x.action for x in defined if x.exact == best]
            limit_ties = [x.action for x in defined if x.eu == leading(best)]
            others = [x for x in defined if x.eu != leading(best)]
            verb = "wins" if len(winners) == 1 else "tie"
            if len(limit_ties) > len(winners):
                verdict = (
                    f"{' and '.join(limit_ties)} tie at {short_str(leading(best))} in the limit "
                    f"of perfect accuracy; {' and '.join(winners)} {verb} on the trembles "
                    "(higher orders of ε)"
                )
            else:
                verdict = f"{' and '.join(winners)} {verb} with {short_str(leading(best))}"
            if others:
                verdict += " against " + ", ".join(
                    f"{x.action} {short_str(x.eu) if x.eu is not None else '—'}" for x in others
                )
            undefined = [x.action for x in acts if x.eu is None]
            if undefined and query == "policy":
                verdict += (
                    f"; with {', '.join(undefined)} here the policy would meet a paradox "
                    f"(infeasible under on_paradox: {model.rule})"
                )
            elif undefined:
                verdict += (
                    f"; with {', '.join(undefined)} here no consistent world shows this observation"
                )
        rows.append(ObservationLine(model.observation_dict(o), played, acts, verdict))
    c = check(model, pi)
    return Explanation(theory, query, pi, tuple(rows), c.reasons)
