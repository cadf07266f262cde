"""Analyse a scenario with several theories and assemble the findings.

:func:`analyse` is the library's front door: scenario in, :class:`ScenarioReport` out. Each
theory's policies are checked for consistency and valued under every paradox rule; the report
turns into plain JSON-ready data with :meth:`ScenarioReport.to_json` (schema in
``docs/reference/json.md``). Nothing here prints; :mod:`newcomb.render` draws reports.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from .check import Consistency, check
from .errors import ScenarioError, UsageError
from .io import locate
from .model import PARADOX_RULES, Label, Policy, Scenario
from .series import Num, is_zero, leading
from .theories import (
    BUILTINS,
    Theory,
    as_theory,
    builtin_theories,
    eu_table,
    run_theory,
    theory_name,
)
from .world import Behaviour, Limits, Model, Progress, Summary

if TYPE_CHECKING:
    from .several import SeveralReport
    from .thresholds import Thresholds

__all__ = [
    "SCHEMA_VERSION",
    "ObservationValue",
    "PolicyReport",
    "ScenarioReport",
    "TheoryReport",
    "analyse",
    "approx",
    "exact",
    "exact_str",
    "fits",
    "label_json",
    "policy_report_json",
    "short_str",
]

SCHEMA_VERSION = 1
MAX_DIGITS = 40  # digits of an exact numerator or denominator shown before "≈ 1.234568e+99"
_CHUNK = 10**1000  # str() of a chunk stays far below Python's 4300-digit int-to-str limit


def _int_str(n: int) -> str:
    """All the digits of ``n``, also past Python's int-to-str limit (``sys.int_info``: 4300
    digits by default), which ``str(n)`` would refuse with a ValueError. Converted 1000 digits
    at a time, so the interpreter-wide limit is left alone."""
    if n.bit_length() <= 14_000:  # at most 4215 digits: within the limit
        return str(n)
    sign, n = ("-", -n) if n < 0 else ("", n)
    chunks: list[int] = []
    while n:
        n, r = divmod(n, _CHUNK)
        chunks.append(r)
    head, *rest = reversed(chunks)
    return sign + str(head) + "".join(f"{c:01000d}" for c in rest)


def exact_str(v: Fraction | int) -> str:
    """An exact rational as text (``"2003000/3"``), whatever its size."""
    if not isinstance(v, Fraction | int):  # a sympy number, say: its own text
        return str(v)
    v = Fraction(v)
    if v.denominator == 1:
        return _int_str(v.numerator)
    return f"{_int_str(v.numerator)}/{_int_str(v.denominator)}"


def fits(n: int) -> bool:
    """True when ``n`` has at most ``MAX_DIGITS`` digits (shown in full)."""
    # 2**132 < 10**40 <= 2**133: only integers near 10**40 need their digits counted
    return n.bit_length() <= 132 or (n.bit_length() <= 133 and abs(n) < 10**MAX_DIGITS)


def _scientific(v: Fraction, digits: int = 7) -> str:
    """``v`` to ``digits`` significant digits, as ``format(float(v), ".7g")`` writes it, but
    computed with integers: no OverflowError past 1.8e308, no zero below 5e-324, and no str()
    of an integer past Python's 4300-digit limit."""
    if v == 0:
        return "0"
    sign, a = ("-", -v) if v < 0 else ("", v)
    e = int((a.numerator.bit_length() - a.denominator.bit_length()) * math.log10(2))
    while a >= Fraction(10) ** (e + 1):
        e += 1
    while a < Fraction(10) ** e:
        e -= 1
    m = round(a * Fraction(10) ** (digits - 1 - e))
    if m >= 10**digits:  # rounding carried into another digit
        m, e = m // 10, e + 1
    mantissa = str(m)
    mantissa = (mantissa[0] + "." + mantissa[1:]).rstrip("0").rstrip(".")
    return f"{sign}{mantissa}e{'+' if e >= 0 else '-'}{abs(e):02d}"


def approx(v: Fraction) -> str:
    """A decimal approximation: ``.7g`` of the float where the float is faithful."""
    try:
        f = float(v)
    except OverflowError:
        return _scientific(v)
    if f == 0 or abs(f) < 1e-300 or abs(f) > 1e300:
        return _scientific(v)
    return f"{f:.7g}"


def short_str(v: Fraction) -> str:
    """An exact rational as text when it is short; else its approximation after ``≈``."""
    if fits(v.numerator) and fits(v.denominator):
        return str(v)
    return f"≈ {approx(v)}"


def exact(x: Num | None) -> str | None:
    """An exact value as a string (``"2003000/3"``); the value at ε = 0 for ε-polynomials."""
    if x is None:
        return None
    return exact_str(leading(x))


def label_json(x: Label) -> Label | str:
    """A label as JSON: strings, booleans and integers as they are; other exact numbers (a
    computed value such as 1/2) as exact strings."""
    if isinstance(x, Fraction):
        small = x.denominator == 1 and x.numerator.bit_length() <= 14_000
        return int(x) if small else exact_str(x)
    return x


@dataclass(frozen=True)
class ObservationValue:
    """A policy's value given one observation, E[U | O = o], beside its probability.

    Over W(π) under the scenario's paradox rule, as the policy's value uses it: under
    ``retry`` the paradox draws are conditioned away, under ``random`` the predictor's guesses
    count, and under ``fail`` the value is undefined when the policy meets a paradox of positive
    probability (the probabilities then add up to 1 less that of the paradox draws).

    Attributes
    ----------
    observation:
        The observation, as ``Model.observation_dict`` gives it (``{}`` when the agent observes
        nothing).
    probability:
        P(O = o) at ε = 0, exact (``None`` only under ``retry`` when no draw is consistent). An
        observation reached only through an infinitesimal error of a perfect predictor has
        probability 0 here and still a value: the leading order of E[U | O = o] (a tremble).
    value:
        E[U | O = o] at ε = 0, exact; ``None`` when undefined (the observation has probability
        zero at every order, or the paradox rule leaves the policy's value undefined).
    observed:
        Whether the observation has positive probability at some order of ε (``False``: the
        policy never meets it).
    """

    observation: dict[str, Label]
    probability: Fraction | None
    value: Fraction | None
    observed: bool


@dataclass(frozen=True)
class PolicyReport:
    """One policy of one theory, checked and valued.

    Attributes
    ----------
    expected:
        What the theory expects the policy to get. CDT and EDT believe the predictor is right,
        so they take expectations over consistent worlds only; FDT uses the paradox rule.
    value:
        What the policy realizes under the scenario's paradox rule (``None`` if undefined).
    realized:
        What it realizes under each paradox rule.
    eu:
        The theory's expected utility of each act at each observation, or ``None`` for a
        theory without a query.
    by_observation:
        For each observation (in the model's order), the policy's value given it and its
        probability (:class:`ObservationValue`); the probability-weighted sum of the values is
        ``value`` wherever both are defined.

    Examples
    --------
    In transparent Newcomb (accuracy 99/100), the policy of one-boxing on a full box sees the
    full box 99 times in 100 and gets $1,000,000 then; on the empty box it gets $1,000:

    >>> import newcomb
    >>> r = newcomb.analyse(newcomb.load("scenarios/transparent_newcomb.yaml"))
    >>> fdt = r.theories[2].policies[0]
    >>> for g in fdt.by_observation:
    ...     print(g.observation, g.probability, g.value)
    {'box': 'empty'} 1/100 1000
    {'box': 'full'} 99/100 1000000
    >>> fdt.value
    Fraction(990010, 1)
    """

    policy: Policy
    behaviour: Behaviour
    expected: Num | None
    value: Num | None
    realized: dict[str, Num | None]
    consistency: Consistency
    eu: tuple[tuple[Num | None, ...], ...] | None
    formula: dict[str, str | None] | None = None
    by_observation: tuple[ObservationValue, ...] = ()

    @property
    def paradox(self) -> bool:
        return self.consistency.paradox

    def __repr__(self) -> str:
        return f"PolicyReport({_policy_summary(self)})"


@dataclass(frozen=True)
class TheoryReport:
    """What one theory decided, with a report per policy."""

    theory: str
    query: str | None
    policies: tuple[PolicyReport, ...]
    note: str | None
    total: int
    thresholds: Thresholds | None = None

    @property
    def paradox(self) -> bool:
        return any(p.paradox for p in self.policies)

    def __repr__(self) -> str:
        return f"TheoryReport({_theory_summary(self)})"


@dataclass(frozen=True)
class ScenarioReport:
    """Every theory's findings on one scenario."""

    scenario: Scenario
    model: Model = field(compare=False, repr=False)
    theories: tuple[TheoryReport, ...]
    file: str | None = None

    @property
    def paradox(self) -> bool:
        """True when any reported policy of any theory meets a paradox."""
        return any(t.paradox for t in self.theories)

    def to_json(self) -> dict[str, Any]:
        """Plain data: strings for exact numbers, ``null`` for undefined values."""
        m = self.model
        s = self.scenario
        out: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
        if self.file is not None:
            out["file"] = self.file
        out["name"] = s.name
        out["parameters"] = {k: exact_str(v) for k, v in s.parameters.items()}
        out["actions"] = list(s.actions)
        out["observes"] = list(s.observes)
        out["on_paradox"] = m.rule
        out["paradox"] = self.paradox
        out["theories"] = [_theory_json(m, t) for t in self.theories]
        return out

    # -- display: the renderer is imported only when a report is shown (never at import) --
    def __repr__(self) -> str:
        theories = " | ".join(_theory_summary(t) for t in self.theories)
        return f"ScenarioReport({self.scenario.name!r}: {theories})"

    def __str__(self) -> str:
        """The table ``newcomb check`` prints, as plain text."""
        from .render import report_renderable, text_of

        return text_of(report_renderable(self))

    def __rich__(self) -> Any:
        """The table ``newcomb check`` prints, for ``rich.print`` and rich's Jupyter display."""
        from .render import report_renderable

        return report_renderable(self)

    def _repr_html_(self) -> str:
        """The table as HTML, for Jupyter."""
        from .render import html_of, report_renderable

        return html_of(report_renderable(self))


def _policy_summary(p: PolicyReport) -> str:
    """``always two_box = 1001000``, ``... = — (paradox)``: a policy and what it realizes."""
    value = exact(p.value) or "—"
    return f"{p.policy} = {value}" + (" (paradox)" if p.paradox else "")


def _theory_summary(t: TheoryReport) -> str:
    if not t.policies:
        return f"{t.theory}: none" + (f" ({t.note})" if t.note else "")
    return f"{t.theory}: " + " or ".join(_policy_summary(p) for p in t.policies)


def _policy_json(m: Model, pi: Behaviour) -> list[dict[str, Any]]:
    return [
        {
            "observation": {k: label_json(v) for k, v in m.observation_dict(o).items()},
            "action": {m.actions[a]: exact_str(p) for a, p in enumerate(row) if p},
        }
        for o, row in enumerate(pi)
    ]


def _consistency_json(c: Consistency) -> list[dict[str, Any]]:
    rows = []
    for d in c.draws:
        row: dict[str, Any] = {
            "chance": {k: label_json(v) for k, v in d.chance.items()},
            "probability": exact_str(d.probability),
            "consistent": d.consistent,
            "chosen": [dict(x) for x in d.chosen],
            "ambiguous": d.ambiguous,
            "paradox": d.paradox,
            "best_accuracy": exact_str(d.best_accuracy),
            "reason": d.reason,
        }
        if d.agent is not None:
            row["agent"] = [
                {"observation": {k: label_json(v) for k, v in obs.items()}, "action": act}
                for obs, act in d.agent
            ]
        rows.append(row)
    return rows


def _policy_detail(m: Model, p: PolicyReport) -> dict[str, Any]:
    out: dict[str, Any] = {
        "policy": _policy_json(m, p.behaviour),
        "value": exact(p.value),
        "expected": exact(p.expected),
        "realized": {r: exact(v) for r, v in p.realized.items()},
        "paradox": p.paradox,
        "paradox_probability": exact_str(p.consistency.paradox_probability),
        "best_accuracy": exact_str(p.consistency.best_accuracy),
        "consistency": _consistency_json(p.consistency),
        "by_observation": [
            {
                "observation": {k: label_json(v) for k, v in g.observation.items()},
                "probability": None if g.probability is None else exact_str(g.probability),
                "value": None if g.value is None else exact_str(g.value),
                "observed": g.observed,
            }
            for g in p.by_observation
        ],
    }
    if p.formula is not None:
        out["formula"] = dict(p.formula)
    if p.eu is not None:
        out["expected_utility"] = [
            {
                "observation": {k: label_json(v) for k, v in m.observation_dict(o).items()},
                "actions": {m.actions[a]: exact(x) for a, x in enumerate(row)},
            }
            for o, row in enumerate(p.eu)
        ]
    return out


def policy_report_json(m: Model, p: PolicyReport) -> dict[str, Any]:
    """One checked policy as plain data (an entry of a theory's ``details`` in the JSON)."""
    return _policy_detail(m, p)


def _theory_json(m: Model, t: TheoryReport) -> dict[str, Any]:
    first = t.policies[0] if t.policies else None
    out: dict[str, Any] = {
        "theory": t.theory,
        "query": t.query,
        "policies": [_policy_json(m, p.behaviour) for p in t.policies],
        "count": t.total,
        "note": t.note,
        "value": exact(first.value) if first else None,
        "expected": exact(first.expected) if first else None,
        "realized": {r: exact(v) for r, v in first.realized.items()} if first else None,
        "formula": dict(first.formula) if first and first.formula is not None else None,
        "paradox": t.paradox,
        "consistency": [
            {k: v for k, v in row.items() if k in ("chance", "consistent", "paradox", "agent")}
            for row in _consistency_json(first.consistency)
        ]
        if first
        else [],
        "details": [_policy_detail(m, p) for p in t.policies],
    }
    if t.thresholds is not None:
        out["thresholds"] = _thresholds_json(m, t.thresholds)
    return out


def _thresholds_json(m: Model, th: Thresholds) -> dict[str, Any]:
    def bound(x: Any) -> str | None:
        return None if x is None else str(x)

    return {
        "parameter": th.parameter,
        "points": [str(x) for x in th.points],
        "regions": [
            {
                "from": bound(r.lo),
                "to": bound(r.hi),
                "from_closed": r.lo_closed,
                "to_closed": r.hi_closed,
                "valid": r.policies is not None,
                "policies": None if r.shown is None else [_policy_json(m, pi) for pi in r.shown],
            }
            for r in th.regions
        ],
    }


def formulas(symbolic: Model, pi: Behaviour) -> dict[str, str | None]:
    """V(π) under each paradox rule as a simplified formula in the model's symbols."""
    import sympy

    ws = symbolic.mixed_worlds(pi)
    out: dict[str, str | None] = {}
    for r in PARADOX_RULES:
        v = ws.value(r)  # type: ignore[arg-type]
        if v is None:
            out[r] = None
            continue
        c = sympy.cancel(leading(v))
        out[r] = str(sympy.expand(c) if c.is_polynomial() else sympy.factor_terms(c))
    return out


def by_observation(model: Model, sums: Summary) -> tuple[ObservationValue, ...]:
    """E[U | O = o] and P(O = o) for each observation, at ε = 0, under the model's paradox rule
    (:meth:`newcomb.sums.Summary.given`), from the sums that value the policy."""
    return tuple(
        ObservationValue(
            observation=model.observation_dict(o),
            probability=None if p is None else leading(p),
            value=None if v is None else leading(v),
            observed=p is not None and not is_zero(p),
        )
        for o, (p, v) in enumerate(sums.given(model.rule))
    )


def analyse_theory(model: Model, theory: Theory, symbolic: Model | None = None) -> TheoryReport:
    """Run one theory on a compiled model and check and value each of its policies.

    With ``symbolic`` (the same scenario compiled with some parameters left as symbols), each
    policy's value is also given as a formula in them.
    """
    decision = run_theory(model, theory)
    reports = []
    query = theory.query
    for pi in decision.policies:
        sums = model.mixed_summary(pi)
        realized = {r: sums.value(r) for r in PARADOX_RULES}  # type: ignore[arg-type]
        expected = realized[model.rule] if query in (None, "policy") else realized["retry"]
        reports.append(
            PolicyReport(
                policy=model.policy(pi),
                behaviour=pi,
                expected=expected,
                value=realized[model.rule],
                realized=realized,
                consistency=check(model, pi),
                eu=eu_table(model, pi, query) if query is not None else None,
                formula=formulas(symbolic, pi) if symbolic is not None else None,
                by_observation=by_observation(model, sums),
            )
        )
    return TheoryReport(
        theory=theory_name(theory),
        query=query,
        policies=tuple(reports),
        note=decision.note,
        total=decision.total if decision.total is not None else len(reports),
    )


def _label(obj: object) -> str:
    return str(getattr(obj, "__name__", None) or type(obj).__name__)


def analyse(
    scenario: Scenario,
    theories: Sequence[Theory | Policy | Any] | None = None,
    *,
    limits: Limits | None = None,
    file: str | None = None,
    symbols: Sequence[str] = (),
    progress: Progress | None = None,
    exhaustive: bool = False,
    self_locating: str = "default",
) -> ScenarioReport | SeveralReport:
    """Compile ``scenario`` and run each theory (the built-ins by default) on it.

    A scenario with decision points (``decide`` variables) gets a
    :class:`~newcomb.several.SeveralReport` (:func:`~newcomb.several.analyse_several`), where
    ``self_locating`` (``default``, ``thirding`` or ``halving``) sets CDT's and EDT's credence
    over the visits of an information set.

    ``theories`` may hold Theory instances, Policies and policy functions (observation dict
    to action), as ``--theory`` accepts. Policies are found at the parameters' values; with
    ``symbols``, each policy's value is also reported as a formula in those parameters (valid
    wherever the policy stays the same), and with exactly one symbol, each theory's
    thresholds in it (:mod:`newcomb.thresholds`).

    Examples
    --------
    >>> import newcomb
    >>> r = newcomb.analyse(newcomb.load("scenarios/omicron.yaml"))
    >>> [(t.theory, t.paradox) for t in r.theories]
    [('CDT', False), ('EDT', True), ('FDT', False)]
    """
    if not isinstance(scenario, Scenario):
        hint = " (read a file with newcomb.load(path) first)" if isinstance(scenario, str) else ""
        raise UsageError(f"expected a Scenario, got {type(scenario).__name__}{hint}")
    try:
        if scenario.decisions:
            return _several(scenario, theories, limits, file, symbols, self_locating, exhaustive)
        return _analyse(scenario, theories, limits, file, symbols, progress, exhaustive)
    except ScenarioError as e:
        raise locate(scenario, e) from None


def _several(
    scenario: Scenario,
    theories: Sequence[Theory | Policy | Any] | None,
    limits: Limits | None,
    file: str | None,
    symbols: Sequence[str],
    self_locating: str,
    exhaustive: bool = False,
) -> SeveralReport:
    from .several import analyse_several
    from .visits import MAX_WORLDS

    if symbols:
        raise UsageError("--symbolic is not supported yet for a scenario with decision points")
    from .theories.base import FixedPolicy

    names: list[str] = []
    fixed: list[FixedPolicy] = []
    for given in theories if theories is not None else builtin_theories():
        t = given if isinstance(given, Theory) else as_theory(given, _label(given))
        name = theory_name(t)
        if isinstance(t, FixedPolicy) and not isinstance(t.policy, Policy):
            fixed.append(t)
        elif type(t) is BUILTINS.get(name):
            names.append(name)
        else:
            raise UsageError(
                f"{name!r}: on a scenario with decision points (decide variables) the built-in "
                "CDT, EDT and FDT run, and policy functions of (decision, observation); theory "
                "classes and Policy objects of one decision do not yet"
            )
    worlds = MAX_WORLDS if limits is None else max(limits.max_worlds, MAX_WORLDS)
    return analyse_several(
        scenario,
        names,
        self_locating=self_locating,
        file=file,
        max_worlds=worlds,
        exhaustive=exhaustive,
        policies=fixed,
    )


def _analyse(
    scenario: Scenario,
    theories: Sequence[Theory | Policy | Any] | None,
    limits: Limits | None,
    file: str | None,
    symbols: Sequence[str],
    progress: Progress | None,
    exhaustive: bool,
) -> ScenarioReport:
    model = Model(scenario, limits=limits, progress=progress, exhaustive=exhaustive)
    ts = (
        [t if isinstance(t, Theory) else as_theory(t, _label(t)) for t in theories]
        if theories is not None
        else builtin_theories()
    )
    names = [theory_name(t) for t in ts]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise UsageError(f"two theories are named {dup!r}; theory names must be unique")
    symbolic = Model(scenario, limits=limits, symbols=symbols) if symbols else None
    reports = []
    for t in ts:
        r = analyse_theory(model, t, symbolic)
        if len(symbols) == 1 and t.query is not None:
            from .thresholds import thresholds  # only symbolic analysis needs it (and sympy)

            r = replace(r, thresholds=thresholds(scenario, t, symbols[0], limits=limits))
        reports.append(r)
    return ScenarioReport(
        scenario=scenario,
        model=model,
        theories=tuple(reports),
        file=file,
    )
