"""The exhaustive enumerator: every world of W(π), listed (``--exhaustive``, ``check``,
``explain``).

For each exogenous draw it tries every assignment of the predictor's unknowns, keeps the
**consistent** ones (each self-referential prediction equals the act the policy takes on the
observation that assignment produces), picks by ``prefer`` and splits remaining ties
uniformly. With accuracy q < 1 the settled prediction is then wrong with probability 1 − q,
uniformly another action, with no consistency requirement (q may depend on the act
predicted). When no assignment is consistent the draw is a **paradox**; a :class:`WorldSet`
keeps both the paradox draws and the worlds a guessing predictor would produce, and
:meth:`WorldSet.value` applies a paradox rule.

This is the plain reference path: the compiled one (:mod:`newcomb.compiled`) must agree with
it, and the property tests check that it does. A mixed policy's W(π) is the mixture of W(σ)
over the pure policies σ it draws (a predictor sees the agent's randomness).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from .errors import LimitError, ScenarioError
from .evaluate import CorrelateMode, Env, Evaluator
from .model import Chance, Correlate, Label, Prediction, Value
from .observations import Behaviour, ObservationSpace, mixture
from .series import Num, is_zero, ratio
from .stages import Stages, check_size
from .sums import Rule, Summary, rule_value

if TYPE_CHECKING:
    from .world import Limits

__all__ = ["Attempt", "Draw", "Enumerator", "World", "WorldSet"]


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
        """Expected utility under a paradox rule (:func:`newcomb.sums.rule_value`)."""
        num: Num = Fraction(0)
        den: Num = Fraction(0)
        guess_num: Num = Fraction(0)
        guess_den: Num = Fraction(0)
        for w in self.worlds:
            if w.kind == "guess":
                guess_num = guess_num + w.weight * w.utility
                guess_den = guess_den + w.weight
            else:
                num = num + w.weight * w.utility
                den = den + w.weight
        return rule_value(rule, num, den, self.paradox_mass(), guess_num, guess_den)

    def probability(self, obs: int) -> Num:
        """P(O = obs) among consistent worlds (unnormalised: paradox draws are left out)."""
        total: Num = Fraction(0)
        for w in self.worlds:
            if w.kind != "guess" and w.obs == obs:
                total = total + w.weight
        return total


class Enumerator:
    """W(σ) by listing every world (see the module docstring); cached per pure policy."""

    def __init__(self, st: Stages, ev: Evaluator, space: ObservationSpace, limits: Limits) -> None:
        self.st = st
        self.ev = ev
        self.space = space
        self.limits = limits
        self._cache: dict[tuple[Any, ...], WorldSet] = {}
        self._sized = False

    def stage_one(
        self, sigma: Sequence[int], corr: CorrelateMode
    ) -> list[tuple[Env, Num, tuple[tuple[str, Label], ...]]]:
        """All draws of the exogenous stage under the pure policy ``sigma``."""
        states: list[tuple[Env, Num, tuple[tuple[str, Label], ...]]] = [
            (self.ev.env(), Fraction(1), ())
        ]
        for v in self.st.stage1:
            nxt: list[tuple[Env, Num, tuple[tuple[str, Label], ...]]] = []
            for env, w, key in states:
                if isinstance(v, Value):
                    env[v.name] = self.ev.value(v, env)
                    nxt.append((env, w, key))
                    continue
                branches: list[tuple[Label, Num]]
                if isinstance(v, Chance):
                    branches = list(self.ev.distribution(v.outcomes, env, v))
                elif isinstance(v, Correlate):
                    branches = list(self.ev.correlate_dist(v, env, corr))
                elif isinstance(v, Prediction):
                    target = sigma[self.space.asked(v, env)]
                    right, wrong = self.ev.accuracy(v, env, target)
                    branches = [
                        (a, right if i == target else wrong) for i, a in enumerate(self.st.actions)
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

    def stage_two(self, env1: Env, assignment: tuple[Label, ...]) -> list[tuple[Env, Num]]:
        """The pre-act states an assignment of the predictor's unknowns leads to in a draw."""
        return self.ev.assign(env1, self.st.unknown_names, assignment, self.st.stage2)

    def worlds(self, sigma: Sequence[int], corr: CorrelateMode = None) -> WorldSet:
        """W(σ) for a pure policy ``sigma`` (action index per observation). Cached."""
        key = (tuple(sigma), corr if self.st.has_correlates else None)
        hit = self._cache.get(key)
        if hit is None:
            if not self._sized:  # the bound on listing every world, before the first listing
                check_size(self.st, self.limits.max_worlds)
                self._sized = True
            hit = self._enumerate(tuple(sigma), key[1])
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[key] = hit
        return hit

    def mixed_worlds(self, pi: Behaviour, corr: CorrelateMode = None) -> WorldSet:
        """W(π) for a behaviour policy: the mixture of W(σ) over the pure policies π draws."""
        parts = mixture(pi, self.limits.max_mixed)
        if len(parts) == 1:
            return self.worlds(parts[0][0], corr)
        worlds: list[World] = []
        draws: list[Draw] = []
        touched: set[int] = set()
        for sigma, weight in parts:
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
        touched: set[int] = set(self.space.given_observations)
        prefer = self.st.scenario.predictor.prefer
        n_worlds = 0
        for env1, w1, key in self.stage_one(sigma, corr):
            attempts: list[Attempt] = []
            settled: list[list[tuple[Env, Num, int, int]]] = []
            for assignment in self.st.assignments:
                branches: list[tuple[Env, Num, int, int]] = []
                ok = True
                for env2, p in self.stage_two(env1, assignment):
                    o = self.space.observation_of(env2)
                    if self.st.consults:
                        touched.add(o)
                    a = sigma[o]
                    branches.append((env2, p, o, a))
                    for name in self.st.self_names:
                        if env2[name] != self.st.actions[a]:
                            ok = False
                n_worlds += len(branches)
                pref: Num | None = None
                if ok and prefer is not None:
                    pref = Fraction(0)
                    for env2, p, _o, a in branches:
                        pref = pref + p * self.ev.expect(prefer, env2, a)
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
                    self._settle(
                        worlds, env1, self.st.assignments[i], w1 * share, d, sigma, touched
                    )
            else:
                share = Fraction(1, len(self.st.assignments))
                for branches in settled:
                    for env2, p, o, a in branches:
                        touched.add(o)
                        worlds.append(
                            World(w1 * share * p, d, "guess", env2, o, a, self.ev.utility(env2, a))
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
        for name, value in zip(self.st.unknown_names, assignment, strict=True):
            if name not in self.st.self_names:
                per_pred.append([(value, Fraction(1))])
                continue
            v = self.st.scenario.variable(name)
            assert isinstance(v, Prediction)
            right, wrong = self.ev.accuracy(v, env1, self.st.actions.index(str(value)))
            options = [(a, right if a == value else wrong) for a in self.st.actions]
            per_pred.append([(a, p) for a, p in options if not is_zero(p)])
        for combo in itertools.product(*per_pred):
            p_err: Num = Fraction(1)
            for _, p in combo:
                p_err = p_err * p
            actual = tuple(v for v, _ in combo)
            kind = "settled" if actual == assignment else "error"
            for env2, p in self.stage_two(env1, actual):
                o = self.space.observation_of(env2)
                touched.add(o)
                a = sigma[o]
                out.append(World(weight * p_err * p, d, kind, env2, o, a, self.ev.utility(env2, a)))

    def summary(self, ws: WorldSet) -> Summary:
        """The sums of an enumerated W(σ) (what ``--exhaustive`` checks the compiled path by)."""
        s = Summary.zero(len(self.space.observations), len(self.st.actions))
        s.paradox = ws.paradox_mass()
        s.touched = ws.touched
        for w in ws.worlds:
            wu = w.weight * w.utility
            if w.kind == "guess":
                s.guess_num = s.guess_num + wu
                s.guess_den = s.guess_den + w.weight
                s.obs_guess_num[w.obs] = s.obs_guess_num[w.obs] + wu
                s.obs_guess_den[w.obs] = s.obs_guess_den[w.obs] + w.weight
                continue
            s.num = s.num + wu
            s.den = s.den + w.weight
            s.obs_num[w.obs] = s.obs_num[w.obs] + wu
            s.obs_den[w.obs] = s.obs_den[w.obs] + w.weight
            row = s.obs_act[w.obs]
            for a in range(len(row)):
                row[a] = row[a] + w.weight * self.ev.utility(w.env, a)
        return s
