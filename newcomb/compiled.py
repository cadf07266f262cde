"""The compiled path: every expression evaluated once, into tables any policy can be run on.

:meth:`Compiled.compile` walks the exogenous draws (``given`` predictions ranging over every
action, correlates over every value, with the factors their weights need), and for each draw
each assignment of the predictor's unknowns and the pre-act states it leads to: a **leaf**,
holding the observation it shows, the utility of every act there and the preference. For each
assignment it also lists the assignments the predictor's errors lead to. Once the observation
space is known (:mod:`newcomb.observations`), :meth:`Compiled.finish` turns leaves' and
``given`` predictions' observations into indices.

A draw's share of W(σ)'s sums then depends on σ only within its **scope**
(:meth:`Compiled.draw_scope`), and is memoised per slice of σ over that scope
(:meth:`Compiled.draw_sums`); a **static** draw, which no policy can change, is worked out once.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from .errors import LimitError
from .evaluate import CorrelateMode, Env, Evaluator
from .model import Chance, Correlate, Label, Prediction, Value
from .series import Num, exact_sum, is_zero, weighted_sums
from .stages import Stages
from .sums import DrawSums, ObsSums, Summary

if TYPE_CHECKING:
    from .observations import ObservationSpace
    from .world import Limits

__all__ = ["ONE", "Compiled", "Draw0", "Leaf"]

ONE = Fraction(1)
"""Compiled probabilities of exactly 1 are this object, so that ``_draw_run`` can skip
multiplying by them."""


def _one(p: Num) -> Num:
    """``p``, or the shared object :data:`ONE` when it is exactly 1 (see ``_draw_run``)."""
    return ONE if type(p) is Fraction and p == 1 else p


def _plus(a: Sequence[Num], b: Sequence[Num]) -> list[Num]:
    return [x + y for x, y in zip(a, b, strict=True)]


@dataclass(frozen=True, eq=False, repr=False)
class Leaf:
    """A pre-act state reached by the predictor's choice in a draw, with what any act gets."""

    obs: int
    utility: tuple[Num, ...]
    prefer: tuple[Num, ...] | None


@dataclass(frozen=True, eq=False, repr=False)
class Draw0:
    """One exogenous draw, compiled: its weight's parts and each assignment's leaves."""

    key: tuple[tuple[str, Label], ...]
    chance: Num
    correlates: tuple[tuple[Num, tuple[Num, ...]], ...]  # (prior p, P(label | each action))
    given: tuple[tuple[int, int, Num, Num], ...]  # (value index, obs index, right, wrong)
    attempts: tuple[tuple[tuple[int, Num], ...], ...]  # per assignment: (leaf, p)
    errors: tuple[tuple[tuple[int, Num], ...], ...]  # per assignment: (actual assignment, p)


Shown = list[tuple[tuple[Label, ...], tuple[Num, ...], tuple[Num, ...] | None]]


class Compiled:
    """The compiled draws of a scenario and the sums of W(σ) read off them (see the module
    docstring). Built in two steps: :meth:`compile`, then :meth:`finish` once the observation
    space is known."""

    def __init__(self, st: Stages, ev: Evaluator, limits: Limits) -> None:
        self.st = st
        self.ev = ev
        self.limits = limits
        self.draws: list[Draw0] = []
        self.leaves: list[Leaf] = []
        self.predicted: list[tuple[int, ...]] = []
        self.given_index: dict[str, int] = {}
        self.n_obs = 0
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

    def stage_two(self, env1: Env, assignment: tuple[Label, ...]) -> list[tuple[Env, Num]]:
        """The pre-act states an assignment of the predictor's unknowns leads to in a draw."""
        return self.ev.assign(env1, self.st.unknown_names, assignment, self.st.stage2)

    def stage_one_free(
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
        states: list[State] = [(self.ev.env(), Fraction(1), (), (), ())]
        for v in self.st.stage1:
            nxt: list[State] = []
            for env, w, key, corr, given in states:
                if isinstance(v, Value):
                    env[v.name] = self.ev.value(v, env)
                    nxt.append((env, w, key, corr, given))
                    continue
                if isinstance(v, Chance):
                    for label, p in self.ev.distribution(v.outcomes, env, v):
                        if not is_zero(p):
                            e2 = dict(env)
                            e2[v.name] = label
                            nxt.append((e2, w * p, (*key, (v.name, label)), corr, given))
                elif isinstance(v, Correlate):
                    prior = self.ev.distribution(v.prior, env, v)
                    rows = dict(v.table)
                    table = [self.ev.distribution(rows[a], env, v) for a in self.st.actions]
                    for i, (label, p) in enumerate(prior):
                        per_act = tuple(row[i][1] for row in table)
                        if is_zero(p) and all(is_zero(x) for x in per_act):
                            continue
                        e2 = dict(env)
                        e2[v.name] = label
                        part = (p, per_act)
                        nxt.append((e2, w, (*key, (v.name, label)), (*corr, part), given))
                elif isinstance(v, Prediction):
                    right, wrong = self.ev.accuracy(v, env)
                    o = self.st.given_slot[v.name]  # (the observation's index is set later)
                    for i, a in enumerate(self.st.actions):
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

    def compile(self) -> Shown:
        """Evaluate every expression once, into tables that any policy can be run on: the
        draws (kept), and each leaf's observation, utilities and preferences (returned: the
        observation space is read off them, and :meth:`finish` then indexes them)."""
        prefer = self.st.scenario.predictor.prefer
        index = {a: i for i, a in enumerate(self.st.assignments)}
        self.predicted = [
            tuple(
                self.st.actions.index(str(v))
                for n, v in zip(self.st.unknown_names, a, strict=True)
                if n in self.st.self_names
            )
            for a in self.st.assignments
        ]
        leaves: Shown = []
        draws: list[Draw0] = []
        observes = self.st.observes
        # With no self-referential prediction the predictor's assignment is never wrong: the
        # same error table serves every draw.
        certain = None if self.st.self_names else tuple(((i, ONE),) for i in index.values())
        bare = not self.st.stage2 and not self.st.assignments[0]  # one pre-act state: the draw's
        for env1, chance, key, corr, given in self.stage_one_free():
            accuracy = {
                u.name: self.ev.accuracy(u, env1)
                for u in self.st.unknowns
                if isinstance(u, Prediction)
            }
            attempts = []
            for assignment in self.st.assignments:
                branches = []
                states = [(env1, ONE)] if bare else self.stage_two(env1, assignment)
                for env2, p in states:
                    util = self.ev.expect_row(self.st.scenario.utility, env2)
                    pref = self.ev.expect_row(prefer, env2) if prefer is not None else None
                    leaves.append((tuple(env2[o] for o in observes), util, pref))
                    branches.append((len(leaves) - 1, _one(p)))
                attempts.append(tuple(branches))
                if len(leaves) > self.limits.max_worlds:
                    raise LimitError(
                        f"more than {self.limits.max_worlds} worlds to enumerate (raise the "
                        "bound with --max-worlds)"
                    )
            if certain is not None:
                draws.append(Draw0(key, chance, corr, given, tuple(attempts), certain))
                continue
            errors = []
            for assignment in self.st.assignments:
                options: list[list[tuple[Label, Num]]] = []
                for name, value in zip(self.st.unknown_names, assignment, strict=True):
                    if name not in self.st.self_names:
                        options.append([(value, Fraction(1))])
                        continue
                    right, wrong = accuracy[name]
                    opts = [(a, right if a == value else wrong) for a in self.st.actions]
                    options.append([(a, p) for a, p in opts if not is_zero(p)])
                row = []
                for combo in itertools.product(*options):
                    pe: Num = Fraction(1)
                    for _, p in combo:
                        pe = pe * p
                    row.append((index[tuple(v for v, _ in combo)], _one(pe)))
                errors.append(tuple(row))
            draws.append(Draw0(key, chance, corr, given, tuple(attempts), tuple(errors)))
        self.draws = draws
        return leaves

    def finish(self, space: ObservationSpace, shown: Shown) -> None:
        """Observations become indices: each leaf's, and each ``given`` prediction's."""
        self.n_obs = len(space.observations)
        self.leaves = [Leaf(space.index_of(obs), u, p) for obs, u, p in shown]
        self.given_index = space.given_index
        if self.st.givens:  # each given prediction's slot becomes its observation's index
            at = [self.given_index[v.name] for v in self.st.givens]
            self.draws = [
                replace(d, given=tuple((i, at[slot], r, w) for i, slot, r, w in d.given))
                for d in self.draws
            ]

    def draw_scope(self) -> list[tuple[int, ...]]:
        """For each compiled draw, the observations its sums can depend on: those its worlds
        can show (under any choice of the predictor) and those its ``given`` predictions ask
        about. Two observations in one scope are coupled."""
        draws = self.draws
        if self._scopes is None:
            scopes = []
            for d in draws:
                obs = {self.leaves[leaf].obs for branches in d.attempts for leaf, _ in branches}
                obs |= {o for _, o, _, _ in d.given}
                scopes.append(tuple(sorted(obs)))
            self._scopes = scopes
        return self._scopes

    def draws_reading(self, obs: int) -> tuple[int, ...]:
        """The compiled draws whose scope holds observation ``obs``: those whose sums can
        change when the act at ``obs`` does (they show it, or a ``given`` prediction asks
        about it)."""
        if self._reading is None:
            reading: list[list[int]] = [[] for _ in range(self.n_obs)]
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
            showing: list[list[int]] = [[] for _ in range(self.n_obs)]
            for d, draw in enumerate(self.draws):
                shown = {
                    self.leaves[leaf].obs for branches in draw.attempts for leaf, _ in branches
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
                for o in range(self.n_obs)
            ]
        key = (obs, corr if self.st.has_correlates else None, *(sigma[x] for x in self._reads[obs]))
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
            n_a = len(self.st.actions)
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
        key = (d_index, tuple(sigma[o] for o in scope), corr if self.st.has_correlates else None)
        hit = self._draw_memo.get(key)
        if hit is None:
            if self.is_static(d_index):
                hit = self._static_run(d_index, sigma, key[2])
            else:
                hit = self._draw_run(self.draws[d_index], sigma, key[2])
            if len(self._draw_memo) > 1_000_000:
                self._draw_memo.clear()
            self._draw_memo[key] = hit
        return hit

    def summary(self, sigma: Sequence[int], corr: CorrelateMode = None) -> Summary:
        """W(σ)'s sums from the compiled tables, with the semantics of the exhaustive enumeration
        (:mod:`newcomb.enumerate`)."""
        s = Summary.zero(self.n_obs, len(self.st.actions))
        touched = set(self.given_index.values())
        for d in range(len(self.draws)):
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
            prefer = self.st.scenario.predictor.prefer
            self._static = [
                not d.given
                and bool(d.attempts)
                and all(not self.predicted[u] for u in range(len(d.attempts)))
                and (len(d.attempts) == 1 or prefer is None)
                for d in self.draws
            ]
        return self._static[d_index]

    def static_sums(self, d_index: int, corr: CorrelateMode = None) -> DrawSums:
        """A static draw's sums (:meth:`is_static`), worked out once per correlate mode; its
        ``obs`` rows hold each observation's per-act sums, from which any policy's are read."""
        key = (d_index, corr if self.st.has_correlates else None)
        base = self._static_base.get(key)
        if base is None:
            base = self._draw_run(self.draws[d_index], [0] * self.n_obs, key[1], chosen=False)
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
        self, d: Draw0, sigma: Sequence[int], corr: CorrelateMode, chosen: bool = True
    ) -> DrawSums:
        """One draw's sums under ``sigma``. With ``chosen`` false the sums of the utility of
        the acts σ takes (``num``) are left at zero: a static draw's base only keeps each
        observation's worlds, from which any policy's sums are read."""
        leaves = self.leaves
        predicted = self.predicted
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
                if self.st.consults:
                    touched.add(o)
                if good:
                    a = sigma[o]
                    for x in pred:
                        if x != a:
                            good = False
                            break
            if good:
                ok.append(u)
        if ok and len(ok) > 1 and self.st.scenario.predictor.prefer is not None:
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
            ws = w * Fraction(1, len(self.st.assignments))
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
