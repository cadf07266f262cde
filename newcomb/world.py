"""W(π): the distribution over worlds a scenario defines for a policy.

This module is the front of the engine's core (DESIGN.md §2): a :class:`Model` is a scenario
compiled for analysis, and every question a theory, the checker or a report asks of W(π) goes
through it. It does no work of its own; each job is done by one part:

- :mod:`newcomb.stages`: which variable is exogenous, settled by the predictor, or after the
  act; the predictor's unknowns and assignments; the bounds checked before any work;
- :mod:`newcomb.evaluate`: expressions and distributions in a world, checked and memoised;
- :mod:`newcomb.compiled`: the compiled draws, each draw's scope, and W(σ)'s sums read off them;
- :mod:`newcomb.observations`: the observation space and policies over it;
- :mod:`newcomb.enumerate`: every world listed (``--exhaustive``, ``check``, ``explain``);
- :mod:`newcomb.sums`: the sums, and the only place the paradox rules are written.

Accuracy 1 is computed as 1 − ε (see :mod:`newcomb.series`). A mixed policy is a product of
independent per-observation lotteries; since a predictor sees the agent's randomness, W(π) of a
mixed policy is the mixture of W(σ) over the pure policies σ it draws.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .compiled import Compiled
from .enumerate import Attempt, Draw, Enumerator, World, WorldSet
from .errors import LimitError, ScenarioError, UsageError
from .evaluate import MAX_DEGREE, CorrelateMode, Env, Evaluator
from .expr import Expr
from .model import Label, Policy, Scenario
from .observations import Behaviour, ObservationSpace, mixture
from .series import Num
from .stages import Stages
from .sums import DrawSums, ObsSums, Rule, Summary

__all__ = [
    "MAX_DEGREE",
    "Attempt",
    "Behaviour",
    "CorrelateMode",
    "Draw",
    "DrawSums",
    "Limits",
    "Model",
    "ObsSums",
    "Progress",
    "Rule",
    "Summary",
    "World",
    "WorldSet",
]

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
        Pre-act states the compiled path builds (the draws of what is read, each with the
        predictor's choices and later chance), counted as they are built; and, checked before
        it starts, the worlds of listing every world (``--exhaustive``, ``explain``,
        ``simulate``): the product of the sizes of the chance variables, correlates,
        predictions and selected values. 2^14 by default: a listed world costs about 1 ms and
        20 KB (Newcomb's problem with 13 coins, listed, takes 12 s and 370 MB), while the
        compiled path sums independent coins out inside the utility's terms (one draw).
    max_mixed:
        Pure policies a mixed policy may decompose into.
    max_table:
        Entries of one compiled draw's tables, checked before any work: the predictor's
        choices × outcomes of later chance × acts (utilities) and choices × acts ^
        (self-referential predictions)
        (errors); and every pre-act state's utilities as they are built. 2^22 by default: 100
        actions and a prediction of accuracy q make 2 × 10^4 entries a draw.
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


class Model:
    """A scenario compiled for analysis: stages, observations and W(π), through its parts.

    Parameters
    ----------
    scenario:
        The problem.
    limits:
        Bounds on the work (see :class:`Limits`).
    symbols:
        Parameters left as sympy symbols (``--symbolic``).
    progress:
        Called while pure policies are enumerated.
    exhaustive:
        Take every sum from the enumerated worlds instead of the compiled tables (the plain
        reference path, ``--exhaustive``).

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
        if scenario.decisions:
            raise UsageError(
                "Model is the engine of scenarios with one decision; a scenario with decision "
                "points (decide variables) is analysed by newcomb.analyse (newcomb.several)"
            )
        self.scenario = scenario
        self.limits = limits or Limits()
        self.progress = progress
        self.exhaustive = exhaustive
        self.actions: tuple[str, ...] = scenario.actions
        self.rule: Rule = scenario.predictor.on_paradox
        self.symbols = tuple(symbols)
        params: dict[str, Any] = dict(scenario.parameters)
        if self.symbols:
            import sympy  # only symbolic analysis pays for sympy's import

            for name in self.symbols:
                if name not in params:
                    raise ScenarioError(
                        f"no parameter named {name!r} to leave symbolic "
                        f"(parameters: {', '.join(params) or 'none'})",
                        ("parameters",),
                    )
                params[name] = sympy.Symbol(name, real=True)
        st = self.stages = Stages(scenario)
        self.nodes = st.nodes
        self.unknowns = st.unknowns
        self.unknown_names = st.unknown_names
        self.self_names = st.self_names
        self.has_correlates = st.has_correlates
        self.observes = scenario.observes
        self.evaluator = Evaluator(scenario, params, st.stage3)
        self.params = self.evaluator.params
        self.compiled = Compiled(st, self.evaluator, self.limits)
        shown = self.compiled.compile()
        self.space = ObservationSpace(st, shown, self.compiled.asked)
        self.compiled.finish(self.space, shown)
        self.observations: tuple[tuple[Label, ...], ...] = self.space.observations
        self.enumerator = Enumerator(st, self.evaluator, self.space, self.limits)
        self._summaries: dict[tuple[Any, ...], Summary] = {}

    @property
    def symbolic_probabilities(self) -> set[Any]:
        """Symbolic probabilities and accuracies met while compiling (their valid range)."""
        return self.evaluator.symbolic_probabilities

    @property
    def given_observations(self) -> frozenset[int]:
        """The observations ``given`` predictions ask about (a policy is consulted there)."""
        return self.space.given_observations

    # -- evaluation ---------------------------------------------------------------------------
    def post(self, env: Mapping[str, Any], act: int) -> list[tuple[Env, Num]]:
        """Everything after the act: the act's own chance and values, as weighted branches."""
        return self.evaluator.post(env, act)

    def expect(self, expr: Expr, env: Mapping[str, Any], act: int) -> Num:
        """E[expr] over the act's own chance, in the world ``env`` with act ``act``."""
        return self.evaluator.expect(expr, env, act)

    def expect_row(self, expr: Expr, env: Mapping[str, Any]) -> tuple[Num, ...]:
        """``expect(expr, env, a)`` for every act ``a``."""
        return self.evaluator.expect_row(expr, env)

    def utility(self, env: Mapping[str, Any], act: int) -> Num:
        """Expected utility of act ``act`` in the world ``env`` (DESIGN.md's U(w))."""
        return self.evaluator.utility(env, act)

    # -- observations and policies ----------------------------------------------------------
    def observation_of(self, env: Mapping[str, Any]) -> int:
        return self.space.observation_of(env)

    def observation_dict(self, index: int) -> dict[str, Label]:
        return self.space.observation_dict(index)

    def behaviour(self, policy: Policy | Sequence[int] | Behaviour) -> Behaviour:
        """Index form of a policy; observations it leaves out get the first action."""
        return self.space.behaviour(policy)

    def policy(self, pi: Behaviour | Sequence[int]) -> Policy:
        """The :class:`~newcomb.model.Policy` for an index-form policy."""
        return self.space.policy(pi)

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

    # -- W(π) -------------------------------------------------------------------------------------
    def worlds(self, sigma: Sequence[int], corr: CorrelateMode = None) -> WorldSet:
        """W(σ) for a pure policy ``sigma`` (action index per observation), every world listed."""
        return self.enumerator.worlds(sigma, corr)

    def mixed_worlds(self, pi: Behaviour, corr: CorrelateMode = None) -> WorldSet:
        """W(π) for a behaviour policy: the mixture of W(σ) over the pure policies π draws."""
        return self.enumerator.mixed_worlds(pi, corr)

    def summary(self, sigma: Sequence[int], corr: CorrelateMode = None) -> Summary:
        """The sums of W(σ) for a pure policy (cached). With ``exhaustive`` set, they are taken
        from the enumerated worlds instead of the compiled tables, for checking."""
        key = (tuple(sigma), corr if self.has_correlates else None)
        hit = self._summaries.get(key)
        if hit is None:
            if self.exhaustive:
                hit = self.enumerator.summary(self.worlds(sigma, corr))
            else:
                hit = self.compiled.summary(tuple(sigma), key[1])
            if len(self._summaries) > 200_000:
                self._summaries.clear()
            self._summaries[key] = hit
        return hit

    def mixed_summary(self, pi: Behaviour, corr: CorrelateMode = None) -> Summary:
        """The sums of W(π) for a behaviour policy: the mixture of its pure policies' sums."""
        parts = mixture(pi, self.limits.max_mixed)
        if len(parts) == 1:
            return self.summary(parts[0][0], corr)
        total = Summary.zero(len(self.observations), len(self.actions))
        for sigma, weight in parts:
            total.add(self.summary(sigma, corr), weight)
        return total

    def draws(self, pi: Behaviour) -> list[Draw]:
        """The predictor's options on each draw of W(π) (the consistency checker's input): read
        off the compiled draws, or, with ``exhaustive`` set, off the enumerated worlds. For a
        mixed policy, each pure policy it draws has its own draws, marked with it."""
        if self.exhaustive:
            return self.mixed_worlds(pi).draws
        parts = mixture(pi, self.limits.max_mixed)
        if len(parts) == 1:
            return self.compiled.draw_checks(parts[0][0])
        out = []
        for sigma, weight in parts:
            for d in self.compiled.draw_checks(sigma):
                out.append(Draw(d.key, d.weight * weight, d.attempts, d.chosen, sigma))
        return out

    # -- the compiled draws (for the structured searches) ----------------------------------------
    def draw_scope(self) -> list[tuple[int, ...]]:
        """For each compiled draw, the observations its sums can depend on."""
        return self.compiled.draw_scope()

    def draws_reading(self, obs: int) -> tuple[int, ...]:
        """The compiled draws whose sums can change when the act at ``obs`` does."""
        return self.compiled.draws_reading(obs)

    def draws_showing(self, obs: int) -> tuple[int, ...]:
        """The compiled draws whose worlds can show observation ``obs``."""
        return self.compiled.draws_showing(obs)

    def local_sums(
        self, sigma: Sequence[int], obs: int, corr: CorrelateMode
    ) -> tuple[Num, Num, Sequence[Num]]:
        """(Σ w, Σ w·U, Σ w·U(act set to a) for each a) over the consistent worlds of W(σ) that
        show ``obs`` (see :meth:`newcomb.compiled.Compiled.local_sums`)."""
        return self.compiled.local_sums(sigma, obs, corr)

    def draw_sums(self, d_index: int, sigma: Sequence[int], corr: CorrelateMode) -> DrawSums:
        """One draw's share of W(σ)'s sums (memoised per slice of σ over its scope)."""
        return self.compiled.draw_sums(d_index, sigma, corr)

    def is_static(self, d_index: int) -> bool:
        """Whether no policy can change the draw's worlds."""
        return self.compiled.is_static(d_index)

    def static_sums(self, d_index: int, corr: CorrelateMode = None) -> DrawSums:
        """A static draw's sums, worked out once per correlate mode."""
        return self.compiled.static_sums(d_index, corr)


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
