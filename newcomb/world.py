"""W(π): the distribution over worlds a scenario defines for a policy.

This module is the one place that knows the semantics of DESIGN.md §2. A :class:`Model` is a
scenario compiled for analysis. Its variables fall into three stages, found by following which
names each expression uses:

1. *exogenous*: chance draws, correlates, ``given`` predictions and the values computed from
   them. They do not depend on the predictor's unknowns nor on the act; the predictor foresees
   them. One joint outcome of this stage is a **draw**.
2. *settled by the predictor*: self-referential predictions and ``select`` values (the
   **unknowns**), and every variable that depends on them, including chance variables whose
   probabilities do (for those, consistency must hold in every outcome of positive probability).
3. *after the act*: everything that depends on ``action``.

For each draw the predictor tries every assignment of its unknowns, keeps the **consistent**
ones (each self-referential prediction equals the act the policy takes on the observation that
assignment produces), picks by ``prefer`` and splits remaining ties uniformly. With accuracy
q < 1 the settled prediction is then wrong with probability 1 − q, uniformly another action,
with no consistency requirement. When no assignment is consistent the draw is a **paradox**;
what follows depends on the paradox rule, so a :class:`WorldSet` keeps both the paradox draws and
the worlds a guessing predictor would produce, and :meth:`WorldSet.value` applies a rule.

Accuracy 1 is computed as 1 − ε (see :mod:`newcomb.series`). A mixed policy is a product of
independent per-observation lotteries; since a predictor sees the agent's randomness, W(π) of a
mixed policy is the mixture of W(σ) over the pure policies σ it draws.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, Literal

from .errors import LimitError, ScenarioError, format_path
from .expr import Expr, is_number, to_number
from .expr import Value as ExprValue
from .model import Chance, Correlate, Label, Policy, Prediction, Scenario, Select, Value, Variable
from .series import EPSILON, Eps, Num, exact_sum, is_zero, ratio, weighted_sums

__all__ = [
    "Attempt",
    "Behaviour",
    "CorrelateMode",
    "Draw",
    "Limits",
    "Model",
    "World",
    "WorldSet",
]

Env = dict[str, Any]
Behaviour = tuple[tuple[Fraction, ...], ...]
"""A policy in index form: for each observation (in :attr:`Model.observations` order) the
probability of each action (in :attr:`Model.actions` order)."""

CorrelateMode = tuple[Num, ...] | None
"""How correlates are distributed: ``None`` for their prior (the world's frequency), or a
distribution over actions b, mixing P(value | b) (EDT: the act itself; CDT: its credence)."""

Rule = Literal["fail", "random", "retry"]

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` while pure policies are enumerated (for a progress bar)."""


@dataclass(frozen=True)
class Limits:
    """Bounds checked before any work, so that no problem can hang or exhaust memory.

    Attributes
    ----------
    max_policies:
        Pure policies a theory may search: |A| ** |group| for each coupled group of
        observations (|A| ** |observations| on the exhaustive path). 2^20 by default: FDT
        searches a group that large in about a second through exact integer arrays.
    max_worlds:
        Worlds of one enumeration (draws × predictor choices × branches). 2^14 by default:
        the report lists each draw's consistency and the checker enumerates the worlds of
        every theory's policy, about 1 ms and 20 KB a world (Newcomb's problem with 13 coins,
        2^14 worlds, takes 12 s and 370 MB with ``--json``); at the old default of 2^18 the
        same problem with 17 coins ran out of memory after 217 s.
    max_mixed:
        Pure policies a mixed policy may decompose into.
    max_table:
        Entries of the compiled tables: draws × predictor choices × each prediction's right
        and wrong values × acts (every world's utility for every act). 2^22 by default: 100
        actions and a prediction of accuracy q make 100 × 100 × 100 = 10^6 entries, about 1 s.
    max_equations:
        Indifference equations the mixed search solves, over all its support profiles (one
        per unknown probability; each profile a sympy system, 0.1 to 0.2 s). 256 by default:
        Death in Damascus observing a fair coin with 4 values, 108 equations, takes 10 s.
    """

    max_policies: int = 1 << 20
    max_worlds: int = 1 << 14
    max_mixed: int = 1 << 12
    max_table: int = 1 << 22
    max_equations: int = 256


MAX_DEGREE = 64
"""The highest degree, in a parameter left symbolic (``--symbolic``), that one expression of a
scenario may have: estimated from its structure before anything is expanded (a sum takes the
highest degree of its terms, a product adds them, a power multiplies by its exponent). sympy's
expansion of ``(q + 1) ** 65536`` would take minutes and gigabytes."""


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class World:
    """One world of W(π), before the act's own chance (which is folded into ``utility``).

    ``kind`` is ``"settled"`` (the predictor's settled, correct choice), ``"error"`` (a wrong
    prediction, probability 1 − q) or ``"guess"`` (a paradox draw under the ``random`` rule).
    """

    weight: Num
    draw: int
    kind: str
    env: Mapping[str, Any]
    obs: int
    act: int
    utility: Num


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Attempt:
    """What one assignment of the predictor's unknowns leads to in one draw."""

    assignment: tuple[Label, ...]
    branches: tuple[tuple[int, int, Num], ...]  # (observation, act, probability)
    consistent: bool
    preference: Num | None


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Draw:
    """One draw of the exogenous chance and what the predictor can do with it."""

    key: tuple[tuple[str, Label], ...]
    weight: Num
    attempts: tuple[Attempt, ...]
    chosen: tuple[int, ...]  # indices into attempts
    agent: tuple[int, ...] | None = None  # the pure policy drawn, for a mixed policy

    @property
    def consistent(self) -> int:
        return sum(1 for a in self.attempts if a.consistent)

    @property
    def paradox(self) -> bool:
        return bool(self.attempts) and not any(a.consistent for a in self.attempts)

    def best_accuracy(self, predicted: Sequence[bool], actions: Sequence[str]) -> Num:
        """The largest chance, over the predictor's choices, that its predictions are right.

        ``predicted[i]`` says whether unknown ``i`` is a self-referential prediction.
        """
        if not self.paradox:
            return Fraction(1)
        best: Num = Fraction(0)
        for att in self.attempts:
            total: Num = Fraction(0)
            right: Num = Fraction(0)
            preds = [v for v, is_pred in zip(att.assignment, predicted, strict=True) if is_pred]
            for _obs, act, p in att.branches:
                total = total + p
                if all(v == actions[act] for v in preds):
                    right = right + p
            if not is_zero(total):
                r = ratio(right, total)
                best = r if r > best else best
        return best


@dataclass(eq=False, repr=False)
class WorldSet:
    """The worlds of W(π), the paradox draws, and the observations the policy was consulted on."""

    worlds: list[World]
    draws: list[Draw]
    touched: frozenset[int]

    def paradox_mass(self) -> Num:
        total: Num = Fraction(0)
        for d in self.draws:
            if d.paradox:
                total = total + d.weight
        return total

    def consistent(self) -> Iterator[World]:
        return (w for w in self.worlds if w.kind != "guess")

    def value(self, rule: Rule) -> Num | None:
        """Expected utility under a paradox rule; ``None`` when undefined.

        ``fail``: undefined if any paradox has positive probability. ``retry``: conditioned on
        consistent draws. ``random``: the guessing predictor's worlds count.
        """
        num: Num = Fraction(0)
        den: Num = Fraction(0)
        for w in self.worlds:
            if w.kind == "guess" and rule != "random":
                continue
            num = num + w.weight * w.utility
            den = den + w.weight
        if rule == "fail" and not is_zero(self.paradox_mass()):
            return None
        if is_zero(den):
            return None
        return ratio(num, den) if rule == "retry" else num

    def probability(self, obs: int) -> Num:
        """P(O = obs) among consistent worlds (unnormalised: paradox draws are left out)."""
        total: Num = Fraction(0)
        for w in self.worlds:
            if w.kind != "guess" and w.obs == obs:
                total = total + w.weight
        return total


@dataclass(eq=False, repr=False)
class Summary:
    """The sums the theories need from W(σ), without the worlds themselves.

    Everything here is linear in the worlds' weights, so the summary of a mixed policy is the
    weighted sum of its pure policies' summaries. ``num``/``den`` sum w·U and w over consistent
    worlds; ``guess_*`` over the worlds a guessing predictor produces on paradox draws;
    ``obs_den[o]``, ``obs_num[o]`` the same restricted to observation o, and ``obs_act[o][a]``
    sums w·U(world with the act set to a) there (CDT's intervention).
    """

    paradox: Num
    num: Num
    den: Num
    guess_num: Num
    guess_den: Num
    obs_den: list[Num]
    obs_num: list[Num]
    obs_act: list[list[Num]]
    touched: frozenset[int]

    @staticmethod
    def zero(n_obs: int, n_act: int) -> Summary:
        z = Fraction(0)
        return Summary(
            z,
            z,
            z,
            z,
            z,
            [z] * n_obs,
            [z] * n_obs,
            [[z] * n_act for _ in range(n_obs)],
            frozenset(),
        )

    def add(self, other: Summary, weight: Num) -> None:
        """``self += weight · other``."""
        self.paradox = self.paradox + weight * other.paradox
        self.num = self.num + weight * other.num
        self.den = self.den + weight * other.den
        self.guess_num = self.guess_num + weight * other.guess_num
        self.guess_den = self.guess_den + weight * other.guess_den
        for o in range(len(self.obs_den)):
            self.obs_den[o] = self.obs_den[o] + weight * other.obs_den[o]
            self.obs_num[o] = self.obs_num[o] + weight * other.obs_num[o]
            row, orow = self.obs_act[o], other.obs_act[o]
            for a in range(len(row)):
                row[a] = row[a] + weight * orow[a]
        self.touched = self.touched | other.touched

    def value(self, rule: Rule) -> Num | None:
        """As :meth:`WorldSet.value`."""
        if rule == "fail" and not is_zero(self.paradox):
            return None
        if rule == "random":
            num, den = self.num + self.guess_num, self.den + self.guess_den
        else:
            num, den = self.num, self.den
        if is_zero(den):
            return None
        return ratio(num, den) if rule == "retry" else num


class ObsSums:
    """One draw's sums at one observation: Σ w, Σ w·U, and Σ w·U(act set to a) for each a.

    The per-act sums are what CDT's counterfactuals read; FDT never does, so they are added up
    from the worlds' (weight, utilities) only when first asked for."""

    __slots__ = ("_acts", "den", "num", "parts")

    def __init__(self) -> None:
        self.den: Num = Fraction(0)
        self.num: Num = Fraction(0)
        self.parts: list[tuple[Num, tuple[Num, ...]]] = []
        self._acts: list[Num] | None = None

    @property
    def acts(self) -> list[Num]:
        if self._acts is None:
            self._acts = weighted_sums(self.parts, len(self.parts[0][1]) if self.parts else 0)
        return self._acts


@dataclass(eq=False, repr=False)
class DrawSums:
    """One draw's share of a :class:`Summary` (``obs`` maps an observation to its
    :class:`ObsSums`), and the observations its worlds showed."""

    paradox: Num = Fraction(0)
    num: Num = Fraction(0)
    den: Num = Fraction(0)
    guess_num: Num = Fraction(0)
    guess_den: Num = Fraction(0)
    obs: dict[int, ObsSums] = field(default_factory=dict)
    touched: frozenset[int] = frozenset()

    def add_to(self, s: Summary) -> None:
        s.paradox = s.paradox + self.paradox
        s.num = s.num + self.num
        s.den = s.den + self.den
        s.guess_num = s.guess_num + self.guess_num
        s.guess_den = s.guess_den + self.guess_den
        for o, part in self.obs.items():
            s.obs_den[o] = s.obs_den[o] + part.den
            s.obs_num[o] = s.obs_num[o] + part.num
            row = s.obs_act[o]
            for b, x in enumerate(part.acts):
                row[b] = row[b] + x


@dataclass(frozen=True, eq=False, repr=False)
class _Leaf:
    """A pre-act state reached by the predictor's choice in a draw, with what any act gets."""

    obs: int
    utility: tuple[Num, ...]
    prefer: tuple[Num, ...] | None


@dataclass(frozen=True, eq=False, repr=False)
class _Draw0:
    """One exogenous draw, compiled: its weight's parts and each assignment's leaves."""

    key: tuple[tuple[str, Label], ...]
    chance: Num
    correlates: tuple[tuple[Num, tuple[Num, ...]], ...]  # (prior p, P(label | each action))
    given: tuple[tuple[int, int, Num, Num], ...]  # (value index, obs index, right, wrong)
    attempts: tuple[tuple[tuple[int, Num], ...], ...]  # per assignment: (leaf, p)
    errors: tuple[tuple[tuple[int, Num], ...], ...]  # per assignment: (actual assignment, p)


@dataclass(frozen=True, eq=False, repr=False)
class _Node:
    var: Variable
    stage: int  # 1 exogenous, 2 settled by the predictor, 3 after the act


class Model:
    """A scenario compiled for analysis: stages, observations and the enumeration of W(π).

    Parameters
    ----------
    scenario:
        The problem.
    limits:
        Bounds on the work (see :class:`Limits`).

    Raises
    ------
    ScenarioError
        If some expression cannot be evaluated in some world, a distribution does not sum to 1,
        an accuracy lies outside [0, 1], or a hypothetical observation is impossible.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        limits: Limits | None = None,
        symbols: Sequence[str] = (),
        progress: Progress | None = None,
        exhaustive: bool = False,
    ) -> None:
        self.scenario = scenario
        self.limits = limits or Limits()
        self.progress = progress
        self.exhaustive = exhaustive
        self.actions: tuple[str, ...] = scenario.actions
        self.rule: Rule = scenario.predictor.on_paradox
        self.params: dict[str, Any] = dict(scenario.parameters)
        self.symbols = tuple(symbols)
        self.symbolic_probabilities: set[Any] = set()
        """Symbolic probabilities and accuracies met while compiling (their valid range)."""
        if self.symbols:
            import sympy  # only symbolic analysis pays for sympy's import

            for name in self.symbols:
                if name not in self.params:
                    raise ScenarioError(
                        f"no parameter named {name!r} to leave symbolic "
                        f"(parameters: {', '.join(self.params) or 'none'})",
                        ("parameters",),
                    )
                self.params[name] = sympy.Symbol(name, real=True)
        self.nodes = self._stages(scenario)
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
        # Does the predictor's search read the policy? Only through self-referential
        # predictions (consistency) or a preference that depends on the act.
        self._consults = bool(self.self_names) or (
            prefer is not None and bool(prefer.names & after_act)
        )
        self._stage1 = [n.var for n in self.nodes if n.stage == 1]
        self._stage2 = [n.var for n in self.nodes if n.stage == 2]
        self._stage3 = [n.var for n in self.nodes if n.stage == 3]
        self._check_size()
        self._reads_of: dict[int, tuple[str, ...]] = {}
        self._expect_memo: dict[tuple[Any, ...], Num] = {}
        self._row_memo: dict[tuple[Any, ...], tuple[Num, ...]] = {}
        self._value_memo: dict[tuple[Any, ...], ExprValue] = {}
        self._value_reads: dict[int, tuple[str, ...]] = {}
        self._dist_memo: dict[tuple[Any, ...], list[tuple[Label, Fraction]]] = {}
        self._assignments: list[tuple[Label, ...]] = list(
            itertools.product(
                *[self.actions if isinstance(u, Prediction) else u.options for u in self.unknowns]
            )
        )
        self.observes = scenario.observes
        self._draws0: list[_Draw0] = []
        self._leaves: list[_Leaf] = []
        self._givens = [
            v for v in self._stage1 if isinstance(v, Prediction) and v.given is not None
        ]
        self._given_slot = {v.name: k for k, v in enumerate(self._givens)}
        self.observations: tuple[tuple[Label, ...], ...] = self._observation_space()
        self._obs_index = {_label_key(o): i for i, o in enumerate(self.observations)}
        self._given_index = {
            v.name: self._obs_index[_label_key(self._given_tuple(v))] for v in self._givens
        }
        self._cache: dict[tuple[Any, ...], WorldSet] = {}
        self._summaries: dict[tuple[Any, ...], Summary] = {}
        self._scopes: list[tuple[int, ...]] | None = None
        self._showing: list[tuple[int, ...]] | None = None
        self._reading: list[tuple[int, ...]] | None = None
        self._draw_memo: dict[tuple[Any, ...], DrawSums] = {}
        self._reads: list[tuple[int, ...]] | None = None
        self._static: list[bool] | None = None
        self._static_base: dict[tuple[Any, ...], DrawSums] = {}
        self._local_memo: dict[
            tuple[Any, ...], tuple[Num, Num | None, list[Num], list[Num] | None]
        ] = {}

    # -- static analysis ----------------------------------------------------------------------
    @staticmethod
    def _stages(s: Scenario) -> tuple[_Node, ...]:
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
                unknown.add(v.name)
                stage = 2
            else:
                stage = 1
            if isinstance(v, Prediction) and v.accuracy.names & (unknown | after):
                raise ScenarioError(
                    "an accuracy may depend only on parameters and on variables the predictor "
                    "does not settle itself",
                    v.accuracy.path,
                )
            out.append(_Node(v, stage))
        return tuple(out)

    def _check_size(self) -> None:
        """Refuse, before any work, a problem whose worlds cannot fit the bound: the product of
        the sizes of the chance variables, correlates, predictions and selected values."""
        bound = self.limits.max_worlds
        sizes: list[tuple[str, int]] = []
        for v in self._stage1 + [u for u in self.unknowns]:
            if isinstance(v, Chance):
                sizes.append((v.name, len(v.outcomes)))
            elif isinstance(v, Correlate):
                sizes.append((v.name, len(v.prior)))
            elif isinstance(v, Prediction):
                sizes.append((v.name, len(self.actions)))
            elif isinstance(v, Select):
                sizes.append((v.name, len(v.options)))
        total = 1
        for _, n in sizes:
            total *= n
        if total > bound:
            shown = " × ".join(str(n) for _, n in sizes[:12])
            if len(sizes) > 12:
                shown += " × ..."
            raise LimitError(
                f"up to {total} worlds ({shown}, from {len(sizes)} chance variables, "
                f"predictions and selected values), more than the bound of {bound} "
                "(raise it with --max-worlds)"
            )
        self._check_table(total)

    def _check_table(self, worlds: int) -> None:
        """Refuse, before any work, compiled tables past ``Limits.max_table``: each world
        branches into every value of each self-referential prediction (right, or wrong as the
        error model says) and every outcome of the chance variables drawn after the predictor
        settles or after the act, and holds a utility for every act."""
        n_a = len(self.actions)
        selfref = sum(1 for u in self.unknowns if isinstance(u, Prediction))
        later = 1
        for v in self._stage2 + self._stage3:
            if isinstance(v, Chance):
                later *= len(v.outcomes)
        entries = worlds * n_a**selfref * later * n_a
        if entries > self.limits.max_table:
            raise LimitError(
                f"compiled tables of up to {entries} entries ({worlds} worlds × {n_a}^{selfref} "
                f"values of the self-referential predictions × {later} outcomes of later chance "
                f"× {n_a} acts), more than the bound of {self.limits.max_table} (raise it with "
                "--max-table)"
            )

    def _given_tuple(self, v: Prediction) -> tuple[Label, ...]:
        g = dict(v.given or ())
        return tuple(g[o] for o in self.scenario.observes)

    # -- evaluation helpers ---------------------------------------------------------------------
    def _env(self) -> Env:
        return dict(self.params)

    def _distribution(
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

    def _accuracy(self, v: Prediction, env: Env) -> tuple[Num, Num]:
        """(probability the prediction is right, probability of each particular wrong action)."""
        q = v.accuracy(env)
        if isinstance(q, str) or not is_number(q):
            raise ScenarioError(f"expected an accuracy in [0, 1], got {q!r}", v.accuracy.path)
        q = to_number(q)
        if not isinstance(q, Fraction):  # symbolic accuracy
            _check_degree(q, v.accuracy)
            self.symbolic_probabilities.add(q)
            return q, (1 - q) / (len(self.actions) - 1)
        if q < 0 or q > 1:
            raise ScenarioError(f"expected an accuracy in [0, 1], got {_short(q)}", v.accuracy.path)
        others = len(self.actions) - 1
        if q == 1:
            return Eps((Fraction(1), Fraction(-1))), EPSILON * Fraction(1, others)
        return q, (1 - q) / others

    def _correlate_dist(
        self, v: Correlate, env: Env, mode: CorrelateMode
    ) -> list[tuple[Label, Num]]:
        if mode is None:
            return list(self._distribution(v.prior, env, v))
        rows = dict(v.table)
        mixed: dict[Any, Num] = {}
        labels = v.labels()
        for a, pa in zip(self.actions, mode, strict=True):
            if pa == 0:
                continue
            for label, p in self._distribution(rows[a], env, v):
                k = (type(label), label)
                mixed[k] = mixed.get(k, Fraction(0)) + pa * p
        return [(lab, mixed.get((type(lab), lab), Fraction(0))) for lab in labels]

    def _value(self, v: Value, env: Env) -> ExprValue:
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

    # -- enumeration --------------------------------------------------------------------------
    def _stage_one(
        self, sigma: Sequence[int], corr: CorrelateMode
    ) -> list[tuple[Env, Num, tuple[tuple[str, Label], ...]]]:
        """All draws of the exogenous stage under the pure policy ``sigma``."""
        states: list[tuple[Env, Num, tuple[tuple[str, Label], ...]]] = [
            (self._env(), Fraction(1), ())
        ]
        for v in self._stage1:
            nxt: list[tuple[Env, Num, tuple[tuple[str, Label], ...]]] = []
            for env, w, key in states:
                if isinstance(v, Value):
                    env[v.name] = self._value(v, env)
                    nxt.append((env, w, key))
                    continue
                branches: list[tuple[Label, Num]]
                if isinstance(v, Chance):
                    branches = list(self._distribution(v.outcomes, env, v))
                elif isinstance(v, Correlate):
                    branches = list(self._correlate_dist(v, env, corr))
                elif isinstance(v, Prediction):
                    right, wrong = self._accuracy(v, env)
                    target = sigma[self._given_index[v.name]]
                    branches = [
                        (a, right if i == target else wrong) for i, a in enumerate(self.actions)
                    ]
                else:  # pragma: no cover - selects are never exogenous
                    raise AssertionError(v)
                for label, p in branches:
                    if is_zero(p):
                        continue
                    e2 = dict(env)
                    e2[v.name] = label
                    nxt.append((e2, w * p, (*key, (v.name, label))))
            states = nxt
            if len(states) > self.limits.max_worlds:
                raise LimitError(
                    f"more than {self.limits.max_worlds} chance draws (raise the bound with "
                    "--max-worlds)"
                )
        return states

    def _unfold(self, start: Env, variables: Sequence[Variable]) -> list[tuple[Env, Num]]:
        """Evaluate ``variables`` in order from ``start``: values in place, chance as weighted
        branches (outcomes of probability zero dropped). Stages 2 and 3 hold only these two
        kinds besides the predictor's unknowns, which are already set (see :meth:`_stages`)."""
        states: list[tuple[Env, Num]] = [(start, Fraction(1))]
        for v in variables:
            if isinstance(v, Value):
                for e, _w in states:
                    e[v.name] = self._value(v, e)
            elif isinstance(v, Chance):
                nxt: list[tuple[Env, Num]] = []
                for e, w in states:
                    for label, p in self._distribution(v.outcomes, e, v):
                        if not is_zero(p):
                            nxt.append(({**e, v.name: label}, w * p))
                states = nxt
        return states

    def _stage_two(self, env1: Env, assignment: tuple[Label, ...]) -> list[tuple[Env, Num]]:
        """The pre-act states an assignment of the predictor's unknowns leads to in a draw."""
        env = dict(env1)
        env.update(zip(self.unknown_names, assignment, strict=True))
        return self._unfold(env, self._stage2)

    def post(self, env: Mapping[str, Any], act: int) -> list[tuple[Env, Num]]:
        """Everything after the act: the act's own chance and values, as weighted branches."""
        return self._unfold({**env, "action": self.actions[act]}, self._stage3)

    def expect(self, expr: Expr, env: Mapping[str, Any], act: int) -> Num:
        """E[expr] over the act's own chance, in the world ``env`` with act ``act``."""
        if not self._stage3:  # nothing happens after the act: one branch of weight 1
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

    def _names_besides_action(self, expr: Expr) -> tuple[str, ...]:
        """The names an expectation's value depends on in a world (memo keys), sorted."""
        names = self._reads_of.get(id(expr))
        if names is None:
            names = self._reads_of[id(expr)] = tuple(sorted(expr.names - {"action"}))
        return names

    def expect_row(self, expr: Expr, env: Mapping[str, Any]) -> tuple[Num, ...]:
        """``expect(expr, env, a)`` for every act ``a``, memoised as one row on the values of
        the names ``expr`` reads when nothing happens after the act."""
        if self._stage3:
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

    def observation_of(self, env: Mapping[str, Any]) -> int:
        key = _label_key(tuple(env[o] for o in self.observes))
        try:
            return self._obs_index[key]
        except KeyError:  # pragma: no cover - the observation space is a superset
            raise ScenarioError(f"unexpected observation {key}", ("observes",)) from None

    def _observation_space(self) -> tuple[tuple[Label, ...], ...]:
        """Every observation some world can produce, whatever the policy and predictions.

        It is read off the compiled tables (:meth:`_compile_draws`), which evaluate every
        variable in every reachable context once and so also validate the scenario's numbers
        (sums to 1, accuracies, types of the utility) before any theory runs. A correlate's
        value counts as reachable when its prior or its probability given some act is
        positive (EDT's worlds follow the latter).
        """
        draws, shown = self._compile_draws()
        domains: list[list[Label]] = [[] for _ in self.observes]
        in_domain: list[set[tuple[type, Label]]] = [set() for _ in self.observes]
        found: dict[tuple[Any, ...], tuple[Label, ...]] = {}

        def note(obs: tuple[Label, ...]) -> None:
            k = _label_key(obs)
            if k not in found:
                found[k] = obs
                for i, x in enumerate(obs):
                    if (type(x), x) not in in_domain[i]:
                        in_domain[i].add((type(x), x))
                        domains[i].append(x)

        for obs, _util, _pref in shown:
            note(obs)
        for v in self.scenario.variables:
            if isinstance(v, Prediction) and v.given is not None:
                g = self._given_tuple(v)
                for i, x in enumerate(g):
                    if domains[i] and (type(x), x) not in in_domain[i]:
                        raise ScenarioError(
                            f"{self.observes[i]} never takes the value {x!r} (it takes: "
                            + ", ".join(repr(y) for y in domains[i])
                            + ")",
                            ("variables", v.name, "given", self.observes[i]),
                        )
                note(g)

        orders = [self._natural_order(name) for name in self.observes]
        positions = [None if o is None else {k: i for i, k in enumerate(o)} for o in orders]

        def rank(obs: tuple[Label, ...]) -> tuple[Any, ...]:
            out: list[Any] = []
            for position, x in zip(positions, obs, strict=True):
                i = None if position is None else position.get((type(x), x))
                if i is not None:
                    out.append((0, i, ""))
                else:
                    out.append((1, *_canonical(x)))
            return tuple(out)

        observations = tuple(sorted(found.values(), key=rank))
        index = {_label_key(o): i for i, o in enumerate(observations)}
        self._leaves = [_Leaf(index[_label_key(obs)], u, p) for obs, u, p in shown]
        if self._givens:  # each given prediction's slot becomes its observation's index
            at = [index[_label_key(self._given_tuple(v))] for v in self._givens]
            draws = [
                replace(d, given=tuple((i, at[slot], r, w) for i, slot, r, w in d.given))
                for d in draws
            ]
        self._draws0 = draws
        return observations

    def _natural_order(self, name: str) -> list[tuple[type, Label]] | None:
        """The order a variable's values are listed in the file (None for computed values), so
        that observations are ordered the same whatever the parameters."""
        v = self.scenario.variable(name)
        if isinstance(v, Chance):
            labels: Sequence[Label] = [label for label, _ in v.outcomes]
        elif isinstance(v, Select):
            labels = v.options
        elif isinstance(v, Prediction):
            labels = self.actions
        elif isinstance(v, Correlate):
            labels = v.labels()
        else:
            return None
        return [(type(x), x) for x in labels]

    # -- W(π) -------------------------------------------------------------------------------------
    def pure_count(self) -> int:
        """How many pure policies there are: |A| ** |observations|."""
        return int(len(self.actions) ** len(self.observations))

    def pure_policies(self) -> Iterator[tuple[int, ...]]:
        """Every pure policy in index form, after checking the bound."""
        n = self.pure_count()
        if n > self.limits.max_policies:
            raise LimitError(
                f"{len(self.actions)} actions on {len(self.observations)} observations make "
                f"{n} pure policies, more than the bound of {self.limits.max_policies} "
                "(raise it with --max-policies)"
            )
        policies = itertools.product(range(len(self.actions)), repeat=len(self.observations))
        if self.progress is None or n < 64:
            return policies
        return self._reporting(policies, n)

    def _reporting(self, policies: Iterator[tuple[int, ...]], n: int) -> Iterator[tuple[int, ...]]:
        report = self.progress
        assert report is not None
        step = max(1, n // 200)
        for i, sigma in enumerate(policies):
            if i % step == 0:
                report(i, n)
            yield sigma
        report(n, n)

    def worlds(self, sigma: Sequence[int], corr: CorrelateMode = None) -> WorldSet:
        """W(σ) for a pure policy ``sigma`` (action index per observation). Cached."""
        key = (tuple(sigma), corr if self.has_correlates else None)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._enumerate(tuple(sigma), key[1])
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[key] = hit
        return hit

    def mixed_worlds(self, pi: Behaviour, corr: CorrelateMode = None) -> WorldSet:
        """W(π) for a behaviour policy: the mixture of W(σ) over the pure policies π draws."""
        choices = [[(a, p) for a, p in enumerate(row) if p] for row in pi]
        n = 1
        for c in choices:
            n *= len(c)
        if n == 1:
            return self.worlds(tuple(c[0][0] for c in choices), corr)
        if n > self.limits.max_mixed:
            raise LimitError(
                f"this mixed policy draws {n} pure policies, more than the bound of "
                f"{self.limits.max_mixed} (raise it with --max-mixed)"
            )
        worlds: list[World] = []
        draws: list[Draw] = []
        touched: set[int] = set()
        for combo in itertools.product(*choices):
            sigma = tuple(a for a, _ in combo)
            weight = Fraction(1)
            for _, p in combo:
                weight *= p
            ws = self.worlds(sigma, corr)
            offset = len(draws)
            touched |= ws.touched
            for d in ws.draws:
                draws.append(Draw(d.key, d.weight * weight, d.attempts, d.chosen, sigma))
            for w in ws.worlds:
                worlds.append(
                    World(
                        w.weight * weight, w.draw + offset, w.kind, w.env, w.obs, w.act, w.utility
                    )
                )
        return WorldSet(worlds, draws, frozenset(touched))

    def _enumerate(self, sigma: tuple[int, ...], corr: CorrelateMode) -> WorldSet:
        worlds: list[World] = []
        draws: list[Draw] = []
        touched: set[int] = set(self._given_index.values())
        prefer = self.scenario.predictor.prefer
        n_worlds = 0
        for env1, w1, key in self._stage_one(sigma, corr):
            attempts: list[Attempt] = []
            settled: list[list[tuple[Env, Num, int, int]]] = []
            for assignment in self._assignments:
                branches: list[tuple[Env, Num, int, int]] = []
                ok = True
                for env2, p in self._stage_two(env1, assignment):
                    o = self.observation_of(env2)
                    if self._consults:
                        touched.add(o)
                    a = sigma[o]
                    branches.append((env2, p, o, a))
                    for name in self.self_names:
                        if env2[name] != self.actions[a]:
                            ok = False
                n_worlds += len(branches)
                pref: Num | None = None
                if ok and prefer is not None:
                    pref = Fraction(0)
                    for env2, p, _o, a in branches:
                        pref = pref + p * self.expect(prefer, env2, a)
                attempts.append(
                    Attempt(
                        assignment,
                        tuple((o, a, p) for _e, p, o, a in branches),
                        ok,
                        pref,
                    )
                )
                settled.append(branches)
            ok_idx = [i for i, att in enumerate(attempts) if att.consistent]
            if ok_idx and prefer is not None:
                try:
                    best = max(attempts[i].preference for i in ok_idx)  # type: ignore[type-var]
                    ok_idx = [i for i in ok_idx if attempts[i].preference == best]
                except TypeError:
                    raise ScenarioError(
                        "the predictor's preference depends on a symbolic parameter, so its "
                        "choice cannot be decided symbolically",
                        ("predictor", "prefer"),
                    ) from None
            d = len(draws)
            draws.append(Draw(key, w1, tuple(attempts), tuple(ok_idx)))
            if ok_idx:
                share = Fraction(1, len(ok_idx))
                for i in ok_idx:
                    self._settle(worlds, env1, self._assignments[i], w1 * share, d, sigma, touched)
            else:
                share = Fraction(1, len(self._assignments))
                for branches in settled:
                    for env2, p, o, a in branches:
                        touched.add(o)
                        worlds.append(
                            World(w1 * share * p, d, "guess", env2, o, a, self.utility(env2, a))
                        )
            if n_worlds > self.limits.max_worlds:
                raise LimitError(
                    f"more than {self.limits.max_worlds} worlds to enumerate (raise the bound "
                    "with --max-worlds)"
                )
        return WorldSet(worlds, draws, frozenset(touched))

    def _settle(
        self,
        out: list[World],
        env1: Env,
        assignment: tuple[Label, ...],
        weight: Num,
        d: int,
        sigma: tuple[int, ...],
        touched: set[int],
    ) -> None:
        """Worlds that follow a settled choice, including the predictions' errors."""
        per_pred: list[list[tuple[Label, Num]]] = []
        for name, value in zip(self.unknown_names, assignment, strict=True):
            if name not in self.self_names:
                per_pred.append([(value, Fraction(1))])
                continue
            v = self.scenario.variable(name)
            assert isinstance(v, Prediction)
            right, wrong = self._accuracy(v, env1)
            options = [(a, right if a == value else wrong) for a in self.actions]
            per_pred.append([(a, p) for a, p in options if not is_zero(p)])
        for combo in itertools.product(*per_pred):
            p_err: Num = Fraction(1)
            for _, p in combo:
                p_err = p_err * p
            actual = tuple(v for v, _ in combo)
            kind = "settled" if actual == assignment else "error"
            for env2, p in self._stage_two(env1, actual):
                o = self.observation_of(env2)
                touched.add(o)
                a = sigma[o]
                out.append(World(weight * p_err * p, d, kind, env2, o, a, self.utility(env2, a)))

    # -- the compiled path -----------------------------------------------------------------------
    def _stage_one_free(
        self,
    ) -> Iterator[
        tuple[
            Env,
            Num,
            tuple[tuple[str, Label], ...],
            tuple[tuple[Num, tuple[Num, ...]], ...],
            tuple[tuple[int, int, Num, Num], ...],
        ]
    ]:
        """Every exogenous draw whatever the policy: ``given`` predictions range over all
        actions and correlates over all their values, with the factors their weights need."""
        State = tuple[
            Env,
            Num,
            tuple[tuple[str, Label], ...],
            tuple[tuple[Num, tuple[Num, ...]], ...],
            tuple[tuple[int, int, Num, Num], ...],
        ]
        states: list[State] = [(self._env(), Fraction(1), (), (), ())]
        for v in self._stage1:
            nxt: list[State] = []
            for env, w, key, corr, given in states:
                if isinstance(v, Value):
                    env[v.name] = self._value(v, env)
                    nxt.append((env, w, key, corr, given))
                    continue
                if isinstance(v, Chance):
                    for label, p in self._distribution(v.outcomes, env, v):
                        if not is_zero(p):
                            e2 = dict(env)
                            e2[v.name] = label
                            nxt.append((e2, w * p, (*key, (v.name, label)), corr, given))
                elif isinstance(v, Correlate):
                    prior = self._distribution(v.prior, env, v)
                    rows = dict(v.table)
                    table = [self._distribution(rows[a], env, v) for a in self.actions]
                    for i, (label, p) in enumerate(prior):
                        per_act = tuple(row[i][1] for row in table)
                        if is_zero(p) and all(is_zero(x) for x in per_act):
                            continue
                        e2 = dict(env)
                        e2[v.name] = label
                        part = (p, per_act)
                        nxt.append((e2, w, (*key, (v.name, label)), (*corr, part), given))
                elif isinstance(v, Prediction):
                    right, wrong = self._accuracy(v, env)
                    o = self._given_slot[v.name]  # (the observation's index is set later)
                    for i, a in enumerate(self.actions):
                        e2 = dict(env)
                        e2[v.name] = a
                        part2 = (i, o, right, wrong)
                        nxt.append((e2, w, (*key, (v.name, a)), corr, (*given, part2)))
                else:  # pragma: no cover - selects are never exogenous
                    raise AssertionError(v)
            states = nxt
            if len(states) > self.limits.max_worlds:
                raise LimitError(
                    f"more than {self.limits.max_worlds} chance draws (raise the bound with "
                    "--max-worlds)"
                )
        yield from states

    def _compile(self) -> list[_Draw0]:
        """The compiled draws (see :meth:`_compile_draws`)."""
        return self._draws0

    def _compile_draws(
        self,
    ) -> tuple[
        list[_Draw0], list[tuple[tuple[Label, ...], tuple[Num, ...], tuple[Num, ...] | None]]
    ]:
        """Evaluate every expression once, into tables that any policy can be run on: the
        draws, and each leaf's observation, utilities and preferences (the leaves' indices
        into the observation space are set once it is known)."""
        prefer = self.scenario.predictor.prefer
        index = {a: i for i, a in enumerate(self._assignments)}
        self._predicted = [
            tuple(
                self.actions.index(str(v))
                for n, v in zip(self.unknown_names, a, strict=True)
                if n in self.self_names
            )
            for a in self._assignments
        ]
        leaves: list[tuple[tuple[Label, ...], tuple[Num, ...], tuple[Num, ...] | None]] = []
        draws: list[_Draw0] = []
        observes = self.observes
        # With no self-referential prediction the predictor's assignment is never wrong: the
        # same error table serves every draw.
        certain = None if self.self_names else tuple(((i, ONE),) for i in index.values())
        bare = not self._stage2 and not self._assignments[0]  # one pre-act state: the draw's
        for env1, chance, key, corr, given in self._stage_one_free():
            accuracy = {
                u.name: self._accuracy(u, env1) for u in self.unknowns if isinstance(u, Prediction)
            }
            attempts = []
            for assignment in self._assignments:
                branches = []
                states = [(env1, ONE)] if bare else self._stage_two(env1, assignment)
                for env2, p in states:
                    util = self.expect_row(self.scenario.utility, env2)
                    pref = self.expect_row(prefer, env2) if prefer is not None else None
                    leaves.append((tuple(env2[o] for o in observes), util, pref))
                    branches.append((len(leaves) - 1, _one(p)))
                attempts.append(tuple(branches))
                if len(leaves) > self.limits.max_worlds:
                    raise LimitError(
                        f"more than {self.limits.max_worlds} worlds to enumerate (raise the "
                        "bound with --max-worlds)"
                    )
            if certain is not None:
                draws.append(_Draw0(key, chance, corr, given, tuple(attempts), certain))
                continue
            errors = []
            for assignment in self._assignments:
                options: list[list[tuple[Label, Num]]] = []
                for name, value in zip(self.unknown_names, assignment, strict=True):
                    if name not in self.self_names:
                        options.append([(value, Fraction(1))])
                        continue
                    right, wrong = accuracy[name]
                    opts = [(a, right if a == value else wrong) for a in self.actions]
                    options.append([(a, p) for a, p in opts if not is_zero(p)])
                row = []
                for combo in itertools.product(*options):
                    pe: Num = Fraction(1)
                    for _, p in combo:
                        pe = pe * p
                    row.append((index[tuple(v for v, _ in combo)], _one(pe)))
                errors.append(tuple(row))
            draws.append(_Draw0(key, chance, corr, given, tuple(attempts), tuple(errors)))
        return draws, leaves

    def summary(self, sigma: Sequence[int], corr: CorrelateMode = None) -> Summary:
        """The sums of W(σ) for a pure policy (cached). With ``exhaustive`` set, they are taken
        from the enumerated worlds instead of the compiled tables, for checking."""
        key = (tuple(sigma), corr if self.has_correlates else None)
        hit = self._summaries.get(key)
        if hit is None:
            if self.exhaustive:
                hit = self._summary_of(self.worlds(sigma, corr))
            else:
                hit = self._run(tuple(sigma), key[1])
            if len(self._summaries) > 200_000:
                self._summaries.clear()
            self._summaries[key] = hit
        return hit

    def mixed_summary(self, pi: Behaviour, corr: CorrelateMode = None) -> Summary:
        """The sums of W(π) for a behaviour policy: the mixture of its pure policies' sums."""
        choices = [[(a, p) for a, p in enumerate(row) if not is_zero(p)] for row in pi]
        n = 1
        for c in choices:
            n *= len(c)
        if n == 1:
            return self.summary(tuple(c[0][0] for c in choices), corr)
        if n > self.limits.max_mixed:
            raise LimitError(
                f"this mixed policy draws {n} pure policies, more than the bound of "
                f"{self.limits.max_mixed} (raise it with --max-mixed)"
            )
        total = Summary.zero(len(self.observations), len(self.actions))
        for combo in itertools.product(*choices):
            weight: Num = Fraction(1)
            for _, p in combo:
                weight = weight * p
            total.add(self.summary(tuple(a for a, _ in combo), corr), weight)
        return total

    def _summary_of(self, ws: WorldSet) -> Summary:
        s = Summary.zero(len(self.observations), len(self.actions))
        s.paradox = ws.paradox_mass()
        s.touched = ws.touched
        for w in ws.worlds:
            wu = w.weight * w.utility
            if w.kind == "guess":
                s.guess_num = s.guess_num + wu
                s.guess_den = s.guess_den + w.weight
                continue
            s.num = s.num + wu
            s.den = s.den + w.weight
            s.obs_num[w.obs] = s.obs_num[w.obs] + wu
            s.obs_den[w.obs] = s.obs_den[w.obs] + w.weight
            row = s.obs_act[w.obs]
            for a in range(len(row)):
                row[a] = row[a] + w.weight * self.utility(w.env, a)
        return s

    def draw_scope(self) -> list[tuple[int, ...]]:
        """For each compiled draw, the observations its sums can depend on: those its worlds
        can show (under any choice of the predictor) and those its ``given`` predictions ask
        about. Two observations in one scope are coupled."""
        draws = self._compile()
        if self._scopes is None:
            scopes = []
            for d in draws:
                obs = {self._leaves[leaf].obs for branches in d.attempts for leaf, _ in branches}
                obs |= {o for _, o, _, _ in d.given}
                scopes.append(tuple(sorted(obs)))
            self._scopes = scopes
        return self._scopes

    def draws_reading(self, obs: int) -> tuple[int, ...]:
        """The compiled draws whose scope holds observation ``obs``: those whose sums can
        change when the act at ``obs`` does (they show it, or a ``given`` prediction asks
        about it)."""
        if self._reading is None:
            reading: list[list[int]] = [[] for _ in self.observations]
            for d, scope in enumerate(self.draw_scope()):
                for o in scope:
                    reading[o].append(d)
            self._reading = [tuple(x) for x in reading]
        return self._reading[obs]

    def draws_showing(self, obs: int) -> tuple[int, ...]:
        """The compiled draws whose worlds can show observation ``obs`` (under any choice of
        the predictor): the only ones that add to the sums conditional on it. A draw that only
        asks about ``obs`` through a ``given`` prediction reads the act there but never shows
        it."""
        if self._showing is None:
            showing: list[list[int]] = [[] for _ in self.observations]
            for d, draw in enumerate(self._compile()):
                shown = {
                    self._leaves[leaf].obs for branches in draw.attempts for leaf, _ in branches
                }
                for o in shown:
                    showing[o].append(d)
            self._showing = [tuple(sorted(x)) for x in showing]
        return self._showing[obs]

    def local_sums(
        self, sigma: Sequence[int], obs: int, corr: CorrelateMode
    ) -> tuple[Num, Num, Sequence[Num]]:
        """(Σ w, Σ w·U, Σ w·U(act set to a) for each a) over the consistent worlds of W(σ) that
        show ``obs``, from the draws that can show it only (the last is shared: not to be
        changed).

        Memoised per slice of σ over the scopes of those draws that a policy can change: a
        static draw (:meth:`is_static`) adds the same per-act sums under every policy, and only
        its Σ w·U reads σ, as its per-act sum at σ(obs)."""
        if self._reads is None:
            scopes = self.draw_scope()
            self._reads = [
                tuple(
                    sorted(
                        {
                            x
                            for d in self.draws_showing(o)
                            if not self.is_static(d)
                            for x in scopes[d]
                        }
                    )
                )
                for o in range(len(self.observations))
            ]
        key = (obs, corr if self.has_correlates else None, *(sigma[x] for x in self._reads[obs]))
        hit = self._local_memo.get(key)
        if hit is None:
            dens: list[Num] = []
            num: Num = Fraction(0)  # from the draws a policy can change
            moving: list[list[Num]] = []  # their per-act sums
            fixed_parts: list[tuple[Num, tuple[Num, ...]]] = []  # the static draws' worlds
            for d in self.draws_showing(obs):
                static = self.is_static(d)
                row = (
                    self.static_sums(d, corr) if static else self.draw_sums(d, sigma, corr)
                ).obs.get(obs)
                if row is None:
                    continue
                dens.append(row.den)
                if static:
                    fixed_parts.extend(row.parts)
                else:
                    num = num + row.num
                    moving.append(row.acts)
            n_a = len(self.actions)
            fixed = weighted_sums(fixed_parts, n_a) if fixed_parts else None
            acts: list[Num] = fixed if fixed is not None else [Fraction(0)] * n_a
            for row_acts in moving:
                acts = _plus(acts, row_acts)
            hit = (exact_sum(dens), num if moving else None, acts, fixed)
            if len(self._local_memo) > 100_000:
                self._local_memo.clear()
            self._local_memo[key] = hit
        den, moved, acts, fixed = hit
        if fixed is None:
            num = moved if moved is not None else Fraction(0)
        else:
            num = fixed[sigma[obs]] if moved is None else moved + fixed[sigma[obs]]
        return den, num, acts

    def draw_sums(self, d_index: int, sigma: Sequence[int], corr: CorrelateMode) -> DrawSums:
        """One draw's share of W(σ)'s sums; it depends on σ only within the draw's scope
        (memoised per draw, slice of σ and correlate mode)."""
        scope = self.draw_scope()[d_index]
        key = (d_index, tuple(sigma[o] for o in scope), corr if self.has_correlates else None)
        hit = self._draw_memo.get(key)
        if hit is None:
            if self.is_static(d_index):
                hit = self._static_run(d_index, sigma, key[2])
            else:
                hit = self._draw_run(self._compile()[d_index], sigma, key[2])
            if len(self._draw_memo) > 1_000_000:
                self._draw_memo.clear()
            self._draw_memo[key] = hit
        return hit

    def _run(self, sigma: tuple[int, ...], corr: CorrelateMode) -> Summary:
        """W(σ)'s sums from the compiled tables: the same semantics as :meth:`_enumerate`."""
        s = Summary.zero(len(self.observations), len(self.actions))
        touched = set(self._given_index.values())
        for d in range(len(self._compile())):
            part = self.draw_sums(d, sigma, corr)
            part.add_to(s)
            touched |= part.touched
        s.touched = frozenset(touched)
        return s

    def is_static(self, d_index: int) -> bool:
        """Whether no policy can change the draw's worlds: it has no ``given`` prediction,
        nothing a self-referential prediction must match, and no choice between assignments
        that a preference could make depend on the act. A policy then only picks the act at
        each observation the draw shows, and the draw never meets a paradox."""
        if self._static is None:
            prefer = self.scenario.predictor.prefer
            self._static = [
                not d.given
                and bool(d.attempts)
                and all(not self._predicted[u] for u in range(len(d.attempts)))
                and (len(d.attempts) == 1 or prefer is None)
                for d in self._compile()
            ]
        return self._static[d_index]

    def static_sums(self, d_index: int, corr: CorrelateMode = None) -> DrawSums:
        """A static draw's sums (:meth:`is_static`), worked out once per correlate mode; its
        ``obs`` rows hold each observation's per-act sums, from which any policy's are read."""
        key = (d_index, corr if self.has_correlates else None)
        base = self._static_base.get(key)
        if base is None:
            base = self._draw_run(
                self._compile()[d_index], [0] * len(self.observations), key[1], chosen=False
            )
            self._static_base[key] = base
        return base

    def _static_run(self, d_index: int, sigma: Sequence[int], corr: CorrelateMode) -> DrawSums:
        """A static draw's sums under ``sigma``: its worlds are worked out once (per correlate
        mode) and ``sigma`` only picks each observation's per-act sum."""
        base = self.static_sums(d_index, corr)
        out = DrawSums(
            paradox=base.paradox, den=base.den, guess_num=base.guess_num, guess_den=base.guess_den
        )
        out.touched = base.touched
        nums = []
        for o, row in base.obs.items():
            mine = ObsSums()
            mine.den, mine.parts, mine._acts = row.den, row.parts, row.acts
            mine.num = mine._acts[sigma[o]]
            nums.append(mine.num)
            out.obs[o] = mine
        out.num = nums[0] if len(nums) == 1 else sum(nums, Fraction(0))
        return out

    def _draw_run(
        self, d: _Draw0, sigma: Sequence[int], corr: CorrelateMode, chosen: bool = True
    ) -> DrawSums:
        """One draw's sums under ``sigma``. With ``chosen`` false the sums of the utility of
        the acts σ takes (``num``) are left at zero: a static draw's base only keeps each
        observation's worlds, from which any policy's sums are read."""
        leaves = self._leaves
        predicted = self._predicted
        out = DrawSums()
        w: Num = d.chance
        for prior, per_act in d.correlates:
            if corr is None:
                w = w * prior
            else:
                mix: Num = Fraction(0)
                for pb, pa in zip(corr, per_act, strict=True):
                    mix = mix + pb * pa
                w = w * mix
        for value_i, obs_i, right, wrong in d.given:
            w = w * (right if value_i == sigma[obs_i] else wrong)
        if is_zero(w):
            return out
        ok: list[int] = []
        touched = set()
        for u, branches in enumerate(d.attempts):
            pred = predicted[u]
            good = True
            for leaf_i, _p in branches:
                o = leaves[leaf_i].obs
                if self._consults:
                    touched.add(o)
                if good:
                    a = sigma[o]
                    for x in pred:
                        if x != a:
                            good = False
                            break
            if good:
                ok.append(u)
        if ok and len(ok) > 1 and self.scenario.predictor.prefer is not None:
            prefs = []
            for u in ok:
                pr: Num = Fraction(0)
                for leaf_i, p in d.attempts[u]:
                    leaf = leaves[leaf_i]
                    pr = pr + p * leaf.prefer[sigma[leaf.obs]]  # type: ignore[index]
                prefs.append(pr)
            best = max(prefs)
            ok = [u for u, pr in zip(ok, prefs, strict=True) if pr == best]
        if not ok:
            out.paradox = w
            ws = w * Fraction(1, len(self._assignments))
            for branches in d.attempts:
                for leaf_i, p in branches:
                    leaf = leaves[leaf_i]
                    touched.add(leaf.obs)
                    ww = ws * p
                    out.guess_den = out.guess_den + ww
                    out.guess_num = out.guess_num + ww * leaf.utility[sigma[leaf.obs]]
            out.touched = frozenset(touched)
            return out
        # (compiled probabilities of exactly 1 are the object ONE: no multiplication by them)
        share = w if len(ok) == 1 else w * Fraction(1, len(ok))
        dens: list[Num] = []
        for u in ok:
            for u2, pe in d.errors[u]:
                base = share if pe is ONE else share * pe
                for leaf_i, p in d.attempts[u2]:
                    leaf = leaves[leaf_i]
                    o = leaf.obs
                    touched.add(o)
                    ww = base if p is ONE else base * p
                    util = leaf.utility
                    dens.append(ww)
                    row = out.obs.get(o)
                    if row is None:
                        row = out.obs[o] = ObsSums()
                    row.parts.append((ww, util))
                    if chosen:
                        wu = ww * util[sigma[o]]
                        out.num = out.num + wu
                        row.num = row.num + wu
        out.den = dens[0] if len(dens) == 1 else exact_sum(dens)
        for row in out.obs.values():
            parts = row.parts
            row.den = parts[0][0] if len(parts) == 1 else exact_sum([x for x, _ in parts])
        out.touched = frozenset(touched)
        return out

    # -- conversions --------------------------------------------------------------------------
    def behaviour(self, policy: Policy | Sequence[int] | Behaviour) -> Behaviour:
        """Index form of a policy; observations it leaves out get the first action."""
        n = len(self.actions)
        if isinstance(policy, Policy):
            rows = []
            for obs in self.observations:
                try:
                    dist = policy.act(obs)
                except KeyError:
                    dist = {self.actions[0]: Fraction(1)}
                row = [Fraction(0)] * n
                for a, p in dist.items():
                    if a not in self.actions:
                        raise ScenarioError(f"policy names an unknown action {a!r}", ("policy",))
                    row[self.actions.index(a)] += Fraction(p)
                if sum(row) != 1 or any(p < 0 for p in row):
                    raise ScenarioError(
                        f"policy's probabilities at {obs} do not form a distribution", ("policy",)
                    )
                rows.append(tuple(row))
            return tuple(rows)
        seq = list(policy)
        if seq and isinstance(seq[0], int):
            return tuple(tuple(Fraction(int(i == a)) for i in range(n)) for a in seq)
        return tuple(tuple(r) for r in seq)  # type: ignore[arg-type]

    def policy(self, pi: Behaviour | Sequence[int]) -> Policy:
        """The :class:`~newcomb.model.Policy` for an index-form policy."""
        b = self.behaviour(pi)
        rules = []
        for obs, row in zip(self.observations, b, strict=True):
            rules.append((obs, tuple((self.actions[i], p) for i, p in enumerate(row) if p)))
        return Policy(self.observes, tuple(rules))

    def observation_dict(self, index: int) -> dict[str, Label]:
        return dict(zip(self.observes, self.observations[index], strict=True))


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


def _canonical(x: Label) -> tuple[int, Any]:
    """A sort key for computed labels: booleans, then numbers, then strings."""
    if isinstance(x, bool):
        return (0, int(x))
    if isinstance(x, int | Fraction):
        return (1, x)
    return (2, str(x))


def _symbolic_zero(x: Any) -> bool:
    import sympy

    return bool(sympy.simplify(x) == 0)


def _label_key(obs: Sequence[Label]) -> tuple[tuple[type, Label], ...]:
    return tuple((type(x), x) for x in obs)


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


ONE = Fraction(1)
_MISSING: Any = object()


def _number_of(expr: Expr, env: Env) -> Num:
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


def _one(p: Num) -> Num:
    """``p``, or the shared object :data:`ONE` when it is exactly 1 (see ``_draw_run``)."""
    return ONE if type(p) is Fraction and p == 1 else p


def _plus(a: Sequence[Num], b: Sequence[Num]) -> list[Num]:
    return [x + y for x, y in zip(a, b, strict=True)]


def pure(sigma: Sequence[int], n: int) -> Behaviour:
    """Index form of a pure policy (its rows are shared: a policy is an immutable value)."""
    rows = _PURE_ROWS.get(n)
    if rows is None:
        rows = tuple(tuple(Fraction(int(i == a)) for i in range(n)) for a in range(n))
        _PURE_ROWS[n] = rows
    return tuple(rows[a] for a in sigma)


_PURE_ROWS: dict[int, tuple[tuple[Fraction, ...], ...]] = {}


def is_pure(pi: Behaviour) -> bool:
    return all(sum(1 for p in row if p) == 1 for row in pi)


def as_pure(pi: Behaviour) -> tuple[int, ...]:
    return tuple(next(i for i, p in enumerate(row) if p) for row in pi)
