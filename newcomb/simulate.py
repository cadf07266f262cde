"""Play a scenario out: episodes drawn from W(π), against the exact value.

:func:`simulate` plays ``episodes`` episodes of each theory's policy (the first one a theory
reports, as the report's value column does) against the scenario. An episode is one world of
W(π): chance drawn, the predictor settled (its errors and the paradox rule included), the
observation, the act drawn from the policy, the act's own chance, the payoff. Rather than
re-running the predictor's fixed-point search per episode, the simulation

1. lists W(π) once, exactly (:meth:`newcomb.world.Model.mixed_worlds`, every world with its
   exact probability, split further by the chance after the act), as a finite table of
   **outcomes**;
2. draws each episode's outcome from that table with numpy: one
   :class:`numpy.random.Generator` seeded once, theories in report order, in chunks of
   :data:`CHUNK` episodes, so the same seed gives the same episodes, bit for bit (with the
   same numpy: NumPy does not promise its streams across versions). This is the
   one place floats enter: the outcome probabilities are rounded to float64 (relative error
   about 1e-16) to build the cumulative table the uniform draws are looked up in;
3. counts how often each outcome came up, and computes the mean payoff and its standard error
   from the counts exactly (rationals), rounding only the reported figures to floats.

The paradox rule decides what a paradox draw (no consistent choice for the predictor) does:
``random``: the predictor guesses and the episode goes on; ``retry``: the day is redrawn (the
table is conditioned on consistent draws); ``fail``: the episode is a **paradox**, with no payoff.
Under ``fail`` the mean is taken over the other episodes and compared with the exact
E[payoff | no paradox]; the paradox episodes are counted beside it, with their exact
probability (the report's value under ``fail`` is undefined when that is positive).

Accuracy 1 is computed as 1 − ε: episodes are drawn at ε = 0 (the leading order), where a
perfect predictor is never wrong.

The 99% interval (z = 2.5758293035489004) is Agresti and Coull's, generalised from a coin to a
bounded payoff: z²/2 pseudo-episodes at each end of the payoff's range (over the outcomes the
policy can produce), then mean ± z·s/√n over the padded sample. On two payoffs it is exactly
Agresti–Coull; unlike the plain mean ± z·s/√n it keeps its coverage when a rare outcome (a
cosmic ray of probability 10⁻⁶) never comes up, where the plain interval has width zero. With
10⁶ episodes the two differ by about 10⁻⁶ of the range.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from .errors import LimitError, UsageError
from .expr import is_number, to_number
from .model import Chance, Correlate, Label, Policy, Prediction, Scenario, Select
from .report import SCHEMA_VERSION, ScenarioReport, analyse, exact, label_json
from .series import leading
from .sums import counts_guesses
from .theories import Theory
from .world import Behaviour, Limits, Model, WorldSet

__all__ = [
    "CHUNK",
    "Z99",
    "Outcome",
    "Simulation",
    "TheorySimulation",
    "outcomes",
    "simulate",
]

Z99 = 2.5758293035489004
"""The two-sided 99% point of the standard normal distribution."""

CHUNK = 1 << 18
"""Episodes drawn per call of the generator (the progress callback runs after each)."""


@dataclass(frozen=True)
class Outcome:
    """One kind of episode: a world of W(π) after the act's own chance, at ε = 0.

    ``kind`` is ``"settled"`` (the predictor's settled choice), ``"error"`` (a wrong
    prediction), ``"guess"`` (a paradox draw, the predictor guessing under ``random``) or
    ``"paradox"`` (a paradox draw under ``fail``: no observation, act or payoff).
    """

    probability: Fraction
    kind: str
    chance: Mapping[str, Label]
    predictor: Mapping[str, Label]
    observation: int | None
    act: int | None
    payoff: Fraction | None


@dataclass(frozen=True)
class TheorySimulation:
    """One theory's episodes and what they add up to.

    Attributes
    ----------
    outcomes:
        The table the episodes are drawn from (see :func:`outcomes`).
    index:
        The outcome of each episode, in order (a numpy integer array).
    exact:
        The exact expected payoff of an episode that is not a paradox (the report's value
        under the scenario's paradox rule whenever that is defined).
    mean, stderr, ci:
        The sample mean, its standard error and the 99% interval (see the module docstring);
        ``None`` when no episode had a payoff.
    outside:
        True when ``exact`` lies outside ``ci``.
    paradoxes, paradox_probability:
        Paradox episodes (``fail`` only) and their exact probability.
    """

    theory: str
    policy: Behaviour | None
    outcomes: tuple[Outcome, ...]
    index: Any = field(repr=False, compare=False)
    exact: Fraction | None
    mean: float | None
    stderr: float | None
    ci: tuple[float, float] | None
    outside: bool | None
    paradoxes: int
    paradox_probability: Fraction
    note: str | None = None

    def payoffs(self) -> Any:
        """Each episode's payoff (float64; NaN for a paradox episode)."""
        import numpy as np

        table = np.array(
            [math.nan if o.payoff is None else float(o.payoff) for o in self.outcomes] or [0.0]
        )
        return table[self.index]

    def running_mean(self) -> Any:
        """The mean payoff after each episode (paradox episodes left out: the mean so far
        is carried over them)."""
        import numpy as np

        pay = self.payoffs()
        ok = ~np.isnan(pay)
        total = np.cumsum(np.where(ok, pay, 0.0))
        count = np.cumsum(ok)
        with np.errstate(invalid="ignore", divide="ignore"):
            return total / count


@dataclass(frozen=True)
class Simulation:
    """Every theory's episodes on one scenario."""

    name: str
    rule: str
    episodes: int
    seed: int
    theories: tuple[TheorySimulation, ...]
    model: Model = field(compare=False, repr=False)
    file: str | None = None

    def __repr__(self) -> str:
        """One line a notebook can read: each theory's mean beside its exact value (the
        episodes themselves are in ``theories``)."""
        from .render import number

        parts = []
        for t in self.theories:
            mean = "—" if t.mean is None else f"{t.mean:.7g}"
            flag = ", outside the 99% interval" if t.outside else ""
            parts.append(f"{t.theory}: mean {mean} (exact {number(t.exact)}{flag})")
        head = f"{self.name!r}, {self.episodes} episodes, seed {self.seed}"
        return f"Simulation({head}: {' | '.join(parts)})"

    def to_json(self) -> dict[str, Any]:
        """Plain data; the same seed gives the same document, byte for byte."""
        out: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "command": "simulate"}
        if self.file is not None:
            out["file"] = self.file
        out["name"] = self.name
        out["on_paradox"] = self.rule
        out["episodes"] = self.episodes
        out["seed"] = self.seed
        out["theories"] = [
            {
                "theory": t.theory,
                "policy": None if t.policy is None else _policy_json(self.model, t.policy),
                "mean": t.mean,
                "stderr": t.stderr,
                "ci": None if t.ci is None else list(t.ci),
                "exact": exact(t.exact),
                "exact_float": None if t.exact is None else float(t.exact),
                "outside": t.outside,
                "paradox_episodes": t.paradoxes,
                "paradox_probability": str(t.paradox_probability),
                "note": t.note,
            }
            for t in self.theories
        ]
        return out


def _policy_json(m: Model, pi: Behaviour) -> list[dict[str, Any]]:
    return [
        {
            "observation": {k: label_json(v) for k, v in m.observation_dict(o).items()},
            "action": {m.actions[a]: str(p) for a, p in enumerate(row) if p},
        }
        for o, row in enumerate(pi)
    ]


def _payoff(model: Model, env: Mapping[str, Any]) -> Fraction:
    x = model.scenario.utility(dict(env))
    if isinstance(x, str) or not is_number(x):  # pragma: no cover - the model checked it
        raise UsageError(f"the utility is not a number in an episode: {x!r}")
    return Fraction(leading(to_number(x)))


def outcomes(model: Model, pi: Behaviour, rule: str | None = None) -> tuple[Outcome, ...]:
    """The finite table of episodes W(π) produces under ``rule`` (the scenario's by default):
    exact probabilities at ε = 0, summing to 1; outcomes of probability zero left out."""
    rule = rule or model.rule
    ws: WorldSet = model.mixed_worlds(pi)
    chance_names = [v.name for v in model.scenario.variables if isinstance(v, Chance | Correlate)]
    pred_names = [v.name for v in model.scenario.variables if isinstance(v, Prediction | Select)]
    found: list[Outcome] = []
    for w in ws.worlds:
        if w.kind == "guess" and not counts_guesses(rule):  # type: ignore[arg-type]
            continue
        weight = leading(w.weight)
        if weight == 0:
            continue
        for env, p in model.post(w.env, w.act):
            q = weight * leading(p)
            if q == 0:
                continue
            found.append(
                Outcome(
                    probability=q,
                    kind=w.kind,
                    chance={n: env[n] for n in chance_names if n in env},
                    predictor={n: env[n] for n in pred_names if n in env},
                    observation=w.obs,
                    act=w.act,
                    payoff=_payoff(model, env),
                )
            )
    if rule == "fail":
        for d in ws.draws:
            if d.paradox and leading(d.weight) != 0:
                found.append(
                    Outcome(leading(d.weight), "paradox", dict(d.key), {}, None, None, None)
                )
    total = sum((o.probability for o in found), Fraction(0))
    if total == 0:
        return ()
    if total != 1:  # retry: paradox draws conditioned away
        found = [replace(o, probability=o.probability / total) for o in found]
    return tuple(found)


FLOAT_MAX = Fraction(2**1023) * (2 - Fraction(1, 2**52))
"""The largest float64: sample means and intervals are floats, so payoffs must stay below it."""


def _check_float_range(theory: str, table: Sequence[Outcome]) -> None:
    """Refuse, before any episode, payoffs a float64 mean cannot hold (one line, exit 2)."""
    for o in table:
        if o.payoff is not None and abs(o.payoff) > FLOAT_MAX / 2:
            raise LimitError(
                f"{theory}: a payoff is beyond ±8.9e307, more than a simulation's float64 "
                "means can hold; newcomb check gives the exact value"
            )


def _draw(rng: Any, table: Sequence[Outcome], n: int, progress: Callable[[int], None]) -> Any:
    """``n`` outcome indices drawn from ``table``, in chunks of :data:`CHUNK`."""
    import numpy as np

    cdf = np.cumsum([float(o.probability) for o in table])
    cdf /= cdf[-1]
    out = np.empty(n, dtype=np.int64)
    last = len(table) - 1
    for start in range(0, n, CHUNK):
        stop = min(n, start + CHUNK)
        u = rng.random(stop - start)
        np.minimum(np.searchsorted(cdf, u, side="right"), last, out=out[start:stop])
        progress(stop - start)
    return out


def _statistics(
    table: Sequence[Outcome], counts: Sequence[int]
) -> tuple[Fraction | None, float | None, float | None, tuple[float, float] | None, bool | None]:
    """Exact mean over non-paradox outcomes, the sample mean, stderr, interval and flag."""
    paid = [(o.payoff, c) for o, c in zip(table, counts, strict=True) if o.payoff is not None]
    mass = sum((o.probability for o in table if o.payoff is not None), Fraction(0))
    truth = (
        sum((o.probability * o.payoff for o in table if o.payoff is not None), Fraction(0)) / mass
        if mass
        else None
    )
    n = sum(c for _, c in paid)
    if n == 0:
        return truth, None, None, None, None
    mean = sum((u * c for u, c in paid), Fraction(0)) / n
    var = sum((c * (u - mean) ** 2 for u, c in paid), Fraction(0)) / (n - 1) if n > 1 else None
    stderr = None if var is None else math.sqrt(var / n)
    lo_u = min(o.payoff for o in table if o.payoff is not None)
    hi_u = max(o.payoff for o in table if o.payoff is not None)
    pad = Fraction(Z99 * Z99 / 2)
    n2 = n + 2 * pad
    center = (mean * n + pad * (lo_u + hi_u)) / n2
    var2 = (
        sum((c * (u - center) ** 2 for u, c in paid), Fraction(0))
        + pad * ((lo_u - center) ** 2 + (hi_u - center) ** 2)
    ) / (n2 - 1)
    half = Fraction(Z99 * math.sqrt(var2 / n2))
    ci = (float(center - half), float(center + half))
    outside = None if truth is None else abs(truth - center) > half
    return truth, float(mean), stderr, ci, outside


def simulate(
    scenario: Scenario | ScenarioReport,
    theories: Sequence[Theory | Policy | Any] | None = None,
    *,
    episodes: int = 100_000,
    seed: int = 0,
    limits: Limits | None = None,
    file: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Simulation:
    """Play ``episodes`` episodes of each theory's policy (see the module docstring).

    ``scenario`` may be a scenario (analysed here with ``theories``, the built-ins by default)
    or a report already made. ``progress(done, total)`` is called as episodes are drawn.

    Examples
    --------
    >>> import newcomb
    >>> sim = newcomb.simulate(newcomb.load("scenarios/newcomb.yaml"), episodes=10_000, seed=1)
    >>> [(t.theory, str(t.exact), t.outside) for t in sim.theories]
    [('CDT', '11000', False), ('EDT', '990000', False), ('FDT', '990000', False)]
    >>> cdt = sim.theories[0]
    >>> cdt.mean, round(cdt.stderr, 1)
    (10800.0, 985.1)
    """
    import numpy as np

    for name, n in (("episodes", episodes), ("seed", seed)):
        if isinstance(n, bool) or not isinstance(n, int):
            raise UsageError(f"{name}: expected a whole number, got {type(n).__name__}")
    if episodes < 1 or episodes > 10**9:
        raise UsageError(f"episodes: expected 1 to 1000000000, got {episodes}")
    report = (
        scenario
        if isinstance(scenario, ScenarioReport)
        else analyse(scenario, theories, limits=limits, file=file)
    )
    if not isinstance(report, ScenarioReport):
        raise UsageError(
            "simulate does not support scenarios with decision points (decide variables) yet"
        )
    model = report.model
    rng = np.random.default_rng(seed)
    total = episodes * len(report.theories)
    done = 0

    def tick(k: int) -> None:
        nonlocal done
        done += k
        if progress is not None:
            progress(done, total)

    out = []
    for t in report.theories:
        if not t.policies:
            out.append(_empty(t.theory, t.note or "no policy"))
            continue
        pi = t.policies[0].behaviour
        table = outcomes(model, pi)
        _check_float_range(t.theory, table)
        if not table:
            out.append(_empty(t.theory, "every episode is a paradox the rule discards"))
            continue
        index = _draw(rng, table, episodes, tick)
        counts = np.bincount(index, minlength=len(table)).tolist()
        truth, mean, stderr, ci, outside = _statistics(table, counts)
        paradoxes = sum(c for o, c in zip(table, counts, strict=True) if o.kind == "paradox")
        p_mass = sum((o.probability for o in table if o.kind == "paradox"), Fraction(0))
        out.append(
            TheorySimulation(
                theory=t.theory,
                policy=pi,
                outcomes=table,
                index=index,
                exact=truth,
                mean=mean,
                stderr=stderr,
                ci=ci,
                outside=outside,
                paradoxes=paradoxes,
                paradox_probability=p_mass,
                note=None if len(t.policies) == 1 else f"first of {len(t.policies)} policies",
            )
        )
    return Simulation(
        name=report.scenario.name,
        rule=model.rule,
        episodes=episodes,
        seed=seed,
        theories=tuple(out),
        model=model,
        file=file if file is not None else report.file,
    )


def _empty(theory: str, note: str) -> TheorySimulation:
    import numpy as np

    return TheorySimulation(
        theory=theory,
        policy=None,
        outcomes=(),
        index=np.zeros(0, dtype=np.int64),
        exact=None,
        mean=None,
        stderr=None,
        ci=None,
        outside=None,
        paradoxes=0,
        paradox_probability=Fraction(0),
        note=note,
    )
