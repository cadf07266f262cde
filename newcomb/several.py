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
from .report import approx, exact_str
from .theories import recall, simplex
from .visits import MAX_WORLDS, ExhaustiveTree, Tree

__all__ = ["PlanReport", "SeveralReport", "SeveralTheory", "analyse_several", "number_str"]

THEORIES = ("CDT", "EDT", "FDT")
PLAYED = "as played"  # EDT's row for the mixture the policy plays at a slot
POLICY = "under the policy"  # FDT's one row per slot


def number_str(x: Any) -> str | None:
    """An exact number as text: ``2/3``, ``-1 + sqrt(21)/3``."""
    if x is None:
        return None
    if isinstance(x, Fraction | int):
        return exact_str(x)
    return str(x)


def as_float(x: Any) -> float:
    """An exact number (a Fraction or an algebraic number of sympy's) as the nearest float."""
    if isinstance(x, Fraction | int):
        return float(x)
    import sympy

    return float(sympy.N(x, 30))


def approx_str(x: Any) -> str:
    """``x`` to 7 significant digits (a Fraction by :func:`~newcomb.report.approx`, exact
    whatever its size)."""
    if isinstance(x, Fraction | int):
        return approx(Fraction(x))
    return f"{as_float(x):.7g}"


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
    exhaustive: bool = False,
    policies: Sequence[Any] = (),
) -> SeveralReport:
    """Run the built-in theories on a scenario with decision points (``exhaustive``: on the
    worlds of :class:`~newcomb.visits.ExhaustiveTree`, the plain path that checks the fast one).

    ``policies`` are :class:`~newcomb.theories.base.FixedPolicy` objects wrapping policy
    functions, run beside the theories: each is asked once per slot, with the information
    set's name and the observation when it takes two arguments (the observation only when it
    takes one), and returns an action or a mapping of actions to exact probabilities.

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
    tree = (ExhaustiveTree if exhaustive else Tree)(scenario, max_worlds=max_worlds)
    rule = scenario.predictor.on_paradox
    fdt, optimum, fdt_note = recall.fdt_plans(tree, rule)
    reports = []
    cache = recall.Interventions(tree)
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
    for fixed in policies:
        pi = fixed_plan(tree, fixed)
        plan = _plan(tree, pi, rule, optimum, fixed.label, None, cache)
        reports.append(SeveralTheory(fixed.label, None, (plan,), None))
    return SeveralReport(
        scenario, tree, tuple(reports), simplex.exact(optimum), self_locating, file
    )


def fixed_plan(tree: Tree, fixed: Any) -> recall.Policy:
    """A user's policy function asked at every slot (its errors and prints guarded as a
    theory's are)."""
    from .theories.result import action_distribution, user_code

    rows = []
    for slot in tree.slots:
        obs = slot.observation_dict()
        where = {"decision": slot.infoset, **obs}
        with user_code(fixed.label, f"the policy function at {slot}"):
            out = fixed.act(slot.infoset, obs)
            rows.append(action_distribution(slot.actions, out, fixed.label, where))
    return tuple(rows)


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
    optimal = (  # at ε = 0: the optimum's higher orders only break FDT's ties
        None
        if v is None or optimum is None
        else simplex.sign(simplex.exact(v) - simplex.exact(optimum)) == 0
    )
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
        by_slot=tuple(
            (simplex.exact(p), simplex.exact(x)) for p, x in recall.by_slot(tree, pi, rule)
        ),
        eu=eu,
    )


# -- explain: each visit's credence and expected utility ------------------------------------------


@dataclass(frozen=True)
class VisitLine:
    """One visit h of a slot: the credence in being there and the expected utility there."""

    point: str
    credence: Any
    eu: Any


@dataclass(frozen=True)
class ActReason:
    """One act at one slot: its expected utility, Σ over visits of credence × EU there."""

    action: str
    eu: Any
    visits: tuple[VisitLine, ...]


@dataclass(frozen=True)
class SlotReason:
    slot: str
    observation: dict[str, Any]
    played: dict[str, Any]
    acts: tuple[ActReason, ...]


def explain_several(
    report: SeveralReport, theory: str
) -> list[tuple[PlanReport, list[SlotReason]]]:
    """Each of ``theory``'s policies with, at each slot, every act's expected utility broken
    down by visit (DESIGN.md §2b).

    CDT: credence B(h) under the policy (GT: ∝ P(h reached); GDH: a world's probability split
    evenly among its visits) and E[U | do(a at h), h]. EDT: with a played at every visit of
    the slot, the credence recomputed and E[U | h] (under GDH each world weighted by 1 / its
    visits). In both, EU(a) = Σ_h credence(h) × EU(h); where EDT plays a mixture at a slot,
    a row :data:`PLAYED` gives EU(σ) for it (with imperfect recall a mixture can beat every
    act). FDT has no act-by-act reasoning: its one row per slot is the policy's own play, each
    world counted once (GDH), so that it adds up to E[U | slot visited].
    """
    t = next(x for x in report.theories if x.theory == theory)
    tree = report.tree
    cache = recall.Interventions(tree)
    out = []
    for p in t.policies:
        slots = []
        for s, slot in enumerate(tree.slots):
            acts = []
            for a, act in enumerate(slot.actions):
                if theory == "CDT" and t.credence is not None:
                    lines = _cdt_visits(tree, p.rows, s, act, t.credence, cache)
                else:
                    credence = t.credence or "GDH"  # FDT: each world once, so Σ = V(π)
                    rows = p.rows
                    if theory == "EDT":
                        rows = tuple(
                            recall.unit(len(slot.actions), a) if i == s else r
                            for i, r in enumerate(p.rows)
                        )
                    lines = _visits(tree, rows, s, credence)
                eu = sum((v.credence * v.eu for v in lines if v.eu is not None), Fraction(0))
                label = POLICY if theory == "FDT" else act
                acts.append(ActReason(label, simplex.exact(eu) if lines else None, tuple(lines)))
                if theory == "FDT":
                    break  # one breakdown: under the policy itself
            played = {
                a: x for a, x in zip(slot.actions, p.rows[s], strict=True) if simplex.sign(x) > 0
            }
            if theory == "EDT" and len(played) > 1 and t.credence is not None:
                lines = _visits(tree, p.rows, s, t.credence)  # σ = the mixture played
                eu = sum((v.credence * v.eu for v in lines if v.eu is not None), Fraction(0))
                acts.append(ActReason(PLAYED, simplex.exact(eu) if lines else None, tuple(lines)))
            slots.append(SlotReason(str(slot), slot.observation_dict(), played, tuple(acts)))
        out.append((p, slots))
    return out


def _visits(tree: Tree, pi: recall.Policy, s: int, credence: str) -> list[VisitLine]:
    """Credence and E[U | h] of each visit h of slot s under π (EDT's and FDT's breakdown)."""
    return _lines(tree, pi, s, credence, lambda w, point, q: w.utility)


def _cdt_visits(
    tree: Tree, pi: recall.Policy, s: int, act: str, credence: str, cache: Any
) -> list[VisitLine]:
    """Credence in each visit h of slot s under π, and E[U | do(act at h), h]."""
    return _lines(tree, pi, s, credence, lambda w, point, q: cache.utility(w, point, act, q))


def _lines(tree: Tree, pi: recall.Policy, s: int, credence: str, utility: Any) -> list[VisitLine]:
    """Each visit's credence and expected utility; where π never reaches slot s, their limits
    under trembles of every other slot (:func:`~newcomb.theories.recall.trembling`), as the
    theories take them."""
    weight, value = _sums(tree, pi, s, credence, utility)
    if simplex.sign(sum(weight.values(), Fraction(0))) != 0:
        return [
            VisitLine(
                h,
                simplex.exact(weight[h] / sum(weight.values(), Fraction(0))),
                simplex.exact(value[h] / weight[h]) if simplex.sign(weight[h]) else None,
            )
            for h in weight
        ]
    weight, value = _sums(tree, recall.trembling(tree, pi, s), s, credence, utility)
    total = sum(weight.values(), Fraction(0))
    out = []
    for h in weight:
        (credence_h,) = recall.tremble_limit([weight[h]], total)
        if credence_h is None:
            return []
        (eu,) = recall.tremble_limit([value[h]], weight[h])
        out.append(VisitLine(h, credence_h, eu))
    return out


def _sums(
    tree: Tree, pi: Any, s: int, credence: str, utility: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Σ credence weight and Σ weight × utility per visited point of slot s."""
    weight: dict[str, Any] = {}
    value: dict[str, Any] = {}
    for w in tree.worlds:
        if not w.consistent:
            continue
        here = [v for v in w.visits if v.slot == s]
        for v in here:
            c = w.probability(pi) * (1 if credence == "GT" else Fraction(1, len(here)))
            weight[v.point] = weight.get(v.point, Fraction(0)) + c
            value[v.point] = value.get(v.point, Fraction(0)) + c * utility(w, v.point, pi)
    return weight, value
