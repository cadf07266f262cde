"""Reports on scenarios with several decision points (DESIGN.md §2b).

:func:`analyse_several` runs CDT, EDT and FDT on the worlds of
:class:`~newcomb.visits.Tree` (:mod:`newcomb.theories.recall`) and assembles, per theory, each
behavioural policy it settles on with: its ex-ante value under the paradox rule, whether that
value is the ex-ante optimum (FDT's), the probability of a paradox, and for each slot (an
information set on an observation) the probability it is visited and E[U | visited]. Numbers
are exact: Fractions, or sympy's algebraic numbers (the driver's √21/3 − 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .errors import UsageError
from .model import Scenario
from .theories import recall, simplex
from .visits import MAX_WORLDS, Tree

__all__ = ["PlanReport", "SeveralReport", "SeveralTheory", "analyse_several", "number_str"]

THEORIES = ("CDT", "EDT", "FDT")


def number_str(x: Any) -> str | None:
    """An exact number as text: ``2/3``, ``-1 + sqrt(21)/3``."""
    if x is None:
        return None
    if isinstance(x, Fraction | int):
        f = Fraction(x)
        return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"
    return str(x)


def approx_str(x: Any) -> str:
    if isinstance(x, Fraction | int):
        return f"{float(x):.7g}"
    import sympy

    return f"{float(sympy.N(x, 20)):.7g}"


@dataclass(frozen=True)
class PlanReport:
    """One behavioural policy of one theory."""

    rows: tuple[tuple[Any, ...], ...]
    value: Any
    optimal: bool | None
    paradox_probability: Any
    by_slot: tuple[tuple[Any, Any], ...]
    """(P(slot visited), E[U | slot visited]) per slot."""
    eu: tuple[tuple[Any, ...] | None, ...] | None = None

    @property
    def paradox(self) -> bool:
        return simplex.sign(self.paradox_probability) > 0


@dataclass(frozen=True)
class SeveralTheory:
    theory: str
    credence: str | None
    policies: tuple[PlanReport, ...]
    note: str | None

    @property
    def paradox(self) -> bool:
        return any(p.paradox for p in self.policies)


@dataclass(frozen=True)
class SeveralReport:
    """Every theory's findings on a scenario with decision points."""

    scenario: Scenario
    tree: Tree = field(repr=False, compare=False)
    theories: tuple[SeveralTheory, ...]
    optimum: Any
    self_locating: str
    file: str | None = None

    @property
    def paradox(self) -> bool:
        return any(t.paradox for t in self.theories)

    def policy_text(self, rows: Sequence[Sequence[Any]]) -> list[str]:
        """One line per slot: ``intersection → continue 2/3, exit 1/3``."""
        out = []
        for slot, row in zip(self.tree.slots, rows, strict=True):
            played = [(a, p) for a, p in zip(slot.actions, row, strict=True) if simplex.sign(p) > 0]
            if len(played) == 1:
                what = played[0][0]
            else:
                what = ", ".join(f"{a} {number_str(p)}" for a, p in played)
            out.append(f"{slot} → {what}")
        return out

    def to_json(self) -> dict[str, Any]:
        s = self.scenario
        out: dict[str, Any] = {"schema_version": 1}
        if self.file is not None:
            out["file"] = self.file
        out["name"] = s.name
        out["parameters"] = {k: number_str(v) for k, v in s.parameters.items()}
        out["actions"] = list(s.actions)
        out["decisions"] = [
            {
                "name": d.name,
                "decision": d.infoset,
                "observes": list(d.observes),
                "actions": list(d.actions or s.actions),
            }
            for d in s.decisions
        ]
        out["on_paradox"] = s.predictor.on_paradox
        out["self_locating"] = self.self_locating
        out["ex_ante_optimum"] = number_str(self.optimum)
        out["paradox"] = self.paradox
        out["theories"] = [self._theory_json(t) for t in self.theories]
        return out

    def _theory_json(self, t: SeveralTheory) -> dict[str, Any]:
        return {
            "theory": t.theory,
            "credence": t.credence,
            "note": t.note,
            "paradox": t.paradox,
            "policies": [self._plan_json(p) for p in t.policies],
        }

    def _plan_json(self, p: PlanReport) -> dict[str, Any]:
        slots = self.tree.slots
        return {
            "policy": [
                {
                    "decision": slot.infoset,
                    "observation": slot.observation_dict(),
                    "action": {
                        a: number_str(x)
                        for a, x in zip(slot.actions, row, strict=True)
                        if simplex.sign(x) > 0
                    },
                }
                for slot, row in zip(slots, p.rows, strict=True)
            ],
            "value": number_str(p.value),
            "ex_ante_optimal": p.optimal,
            "paradox_probability": number_str(p.paradox_probability),
            "by_observation": [
                {
                    "decision": slot.infoset,
                    "observation": slot.observation_dict(),
                    "probability": number_str(prob),
                    "value": number_str(v),
                }
                for slot, (prob, v) in zip(slots, p.by_slot, strict=True)
            ],
            "expected_utility": None
            if p.eu is None
            else [
                {
                    "decision": slot.infoset,
                    "observation": slot.observation_dict(),
                    "actions": None
                    if row is None
                    else {a: number_str(x) for a, x in zip(slot.actions, row, strict=True)},
                }
                for slot, row in zip(slots, p.eu, strict=True)
            ],
        }

    def __str__(self) -> str:
        from .render import several_renderable, text_of

        return text_of(several_renderable(self))

    def __rich__(self) -> Any:
        from .render import several_renderable

        return several_renderable(self)


def analyse_several(
    scenario: Scenario,
    theories: Sequence[str] = THEORIES,
    *,
    self_locating: str = "default",
    file: str | None = None,
    max_worlds: int = MAX_WORLDS,
) -> SeveralReport:
    """Run the built-in theories on a scenario with decision points.

    Examples
    --------
    >>> import newcomb
    >>> r = newcomb.analyse(newcomb.load("scenarios/several/absent_minded_driver.yaml"))
    >>> [(t.theory, str(t.policies[0].rows[0][1])) for t in r.theories]
    [('CDT', '2/3'), ('EDT', '2/3'), ('FDT', '2/3')]
    """
    if self_locating not in recall.SELF_LOCATING:
        raise UsageError(
            f"--self-locating: expected one of {', '.join(recall.SELF_LOCATING)}, "
            f"got {self_locating!r}"
        )
    tree = Tree(scenario, max_worlds=max_worlds)
    rule = scenario.predictor.on_paradox
    fdt, optimum, fdt_note = recall.fdt_plans(tree, rule)
    reports = []
    cache = recall._Interventions(tree)
    for name in theories:
        if name == "FDT":
            found, note, credence = fdt, fdt_note, None
        else:
            credence = recall.CREDENCE_RULES[self_locating][name]
            found, note = recall.ratifiable_plans(tree, name, credence)
        reports.append(
            SeveralTheory(
                name,
                credence,
                tuple(_plan(tree, pi, rule, optimum, name, credence, cache) for pi in found),
                note,
            )
        )
    return SeveralReport(scenario, tree, tuple(reports), optimum, self_locating, file)


def _plan(
    tree: Tree,
    pi: recall.Policy,
    rule: str,
    optimum: Any,
    theory: str,
    credence: str | None,
    cache: Any,
) -> PlanReport:
    v = recall.value(tree, pi, rule)
    optimal = None if v is None or optimum is None else simplex.sign(v - optimum) == 0
    eu: tuple[tuple[Any, ...] | None, ...] | None = None
    if credence is not None:
        rows = []
        for s in range(len(tree.slots)):
            if theory == "CDT":
                row = recall.cdt_eu(tree, pi, s, credence, cache)
            else:
                row = recall.edt_eu(tree, pi, s, credence)
            rows.append(tuple(simplex.exact(x) for x in row))
        eu = tuple(rows)
    return PlanReport(
        rows=pi,
        value=simplex.exact(v),
        optimal=optimal,
        paradox_probability=simplex.exact(recall.paradox_probability(tree, pi)),
        by_slot=tuple((simplex.exact(p), simplex.exact(x)) for p, x in recall.by_slot(tree, pi)),
        eu=eu,
    )
