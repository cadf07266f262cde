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
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from .enumerate import Attempt, Draw
from .errors import LimitError, clip
from .evaluate import CorrelateMode, Env, Evaluator, Lazy, extended
from .expr import Expr, Unknown
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
    # (value index, observation or its index, P(right), P(each wrong)), the last two per act
    # the policy takes at that observation (a per-act accuracy: DESIGN.md §2)
    given: tuple[tuple[int, Any, tuple[Num, ...], tuple[Num, ...]], ...]
    attempts: tuple[tuple[tuple[int, Num], ...], ...]  # per assignment: (leaf, p)
    errors: tuple[tuple[tuple[int, Num], ...], ...]  # per assignment: (actual assignment, p)


_Partial = tuple[
    Env,
    Num,
    tuple[tuple[str, Label], ...],
    tuple[tuple[Num, tuple[Num, ...]], ...],
    tuple[tuple[int, Any, tuple[Num, ...], tuple[Num, ...]], ...],
]
"""A draw being built: its environment, chance weight, key, correlate and ``given`` factors."""

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
        self.n_obs = 0
        self._evaluations = 0
        self._asked: dict[tuple[str, tuple[Label, ...]], None] = {}
        self.given_observations: frozenset[int] = frozenset()
        self._rank: dict[str, tuple[int, dict[tuple[type, Label], int]]] | None = None
        self._stage1: dict[str, Any] = {}
        self._plain: set[str] = set()
        self._utility_terms: tuple[Expr, ...] = ()
        self._prefer_terms: tuple[Expr, ...] | None = None
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

    def compile(self) -> Shown:
        """Evaluate what each draw reads, once, into tables any policy can be run on: the draws
        (kept), and each leaf's observation, utilities and preferences (returned: the
        observation space is read off them, and :meth:`finish` then indexes them).

        A draw is an assignment of only the exogenous variables that something reads on the
        way to what the agent observes, what the predictor settles, or a utility term's
        probability under the policy (DESIGN.md §2c). Building a draw starts from nothing
        drawn (:class:`~newcomb.evaluate.Lazy`); when an expression reads a variable not drawn
        yet, the draw splits on it (its outcomes; a ``given`` prediction's values, whose
        weights are read off the policy; a correlate's values) and is built again. A plain
        chance or value variable that only the utility or the preference reads is summed out
        inside that term's expectation (:meth:`_term`) instead, so independent chance adds
        terms, not draws.
        """
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
        self._check_draw_table()
        self._stage1 = {v.name: v for v in self.st.stage1}
        self._plain = {v.name for v in self.st.stage1 if isinstance(v, Chance | Value)}
        utility = self.st.scenario.utility
        self._utility_terms = utility.terms or (utility,)
        self._prefer_terms = None if prefer is None else (prefer.terms or (prefer,))
        self._validate()
        leaves: Shown = []
        draws: list[tuple[tuple[Any, ...], Draw0]] = []
        # With no self-referential prediction the predictor's assignment is never wrong: the
        # same error table serves every draw.
        certain = None if self.st.self_names else tuple(((i, ONE),) for i in index.values())
        start = Lazy(self.ev.env(), frozenset(self._stage1))
        pending: list[_Partial] = [(start, ONE, (), (), ())]
        while pending:
            env1, chance, key, corr, given = pending.pop()
            try:
                attempts, accuracy = self._attempts(env1)
            except Unknown as u:
                pending.extend(reversed(self._split(u.name, env1, chance, key, corr, given)))
                continue
            built = []
            for branches in attempts:
                row = []
                for obs, util, pref, p in branches:
                    leaves.append((obs, util, pref))
                    row.append((len(leaves) - 1, p))
                built.append(tuple(row))
            self._check_built(len(leaves), len(draws) + 1)
            errors = certain if certain is not None else self._errors(index, accuracy)
            draw = Draw0(key, chance, corr, given, tuple(built), errors)
            draws.append((self._order(key), draw))
        draws.sort(key=lambda x: x[0])  # in the file's order of variables and labels
        self.draws = [d for _, d in draws]
        return leaves

    def _validate(self) -> None:
        """Check every exogenous variable in every context its own expressions can meet (the
        values of what they read, drawn as they are read), whether or not anything reads the
        variable: a distribution that does not sum to 1 is a mistake in the file even where it
        changes no answer. A variable whose contexts pass ``Limits.max_worlds`` is checked
        only where the draws read it."""
        params = set(self.ev.params)
        for v in self.st.stage1:
            constant = not any(e.names - params for e in v.expressions())
            each = self._once if constant else self._contexts
            if isinstance(v, Value):
                each(lambda env, v=v: self.ev.value(v, env))
            elif isinstance(v, Chance):
                each(lambda env, v=v: self.ev.distribution(v.outcomes, env, v))
            elif isinstance(v, Correlate):
                each(lambda env, v=v: self.ev.correlate_dist(v, env, None))
                for a in self.st.actions:
                    row = dict(v.table)[a]
                    each(lambda env, v=v, row=row: self.ev.distribution(row, env, v))
            elif isinstance(v, Prediction):
                each(lambda env, v=v: self.ev.accuracies(v, env))

    def _once(self, fn: Any) -> None:
        """Call ``fn`` where it reads nothing drawn: its one context (see :meth:`_validate`)."""
        fn(self.ev.env())

    def _contexts(self, fn: Any) -> None:
        """Call ``fn`` in each context it reads, splitting on what it reads (see
        :meth:`_validate`)."""
        pending: list[Env] = [Lazy(self.ev.env(), frozenset(self._stage1))]
        done = 0
        while pending and done <= self.limits.max_worlds:
            env = pending.pop()
            try:
                fn(env)
            except Unknown as u:
                pending.extend(p[0] for p in self._split(u.name, env, ONE, (), (), ()))
                continue
            done += 1

    def _attempts(
        self, env1: Env
    ) -> tuple[list[list[tuple[tuple[Label, ...], tuple[Num, ...], Any, Num]]], dict[str, Any]]:
        """Each assignment's leaves in the draw ``env1``: (observation, utilities, preferences,
        probability); and the self-referential predictions' accuracies there. Raises
        :class:`Unknown` when the draw must split first."""
        accuracy = {
            u.name: self.ev.accuracies(u, env1)
            for u in self.st.unknowns
            if isinstance(u, Prediction)
        }
        bare = not self.st.stage2 and not self.st.assignments[0]  # one pre-act state
        observes = self.st.observes
        out = []
        for assignment in self.st.assignments:
            states = [(env1, ONE)] if bare else self.stage_two(env1, assignment)
            branches = []
            for env2, p in states:
                obs = tuple(env2[o] for o in observes)
                util = self._row(self._utility_terms, env2)
                pref = None if self._prefer_terms is None else self._row(self._prefer_terms, env2)
                branches.append((obs, util, pref, _one(p)))
            out.append(branches)
        return out, accuracy

    def _row(self, terms: Sequence[Expr], env: Env) -> tuple[Num, ...]:
        """E[Σ terms | env, a] for every act a: each term's expectation on its own."""
        rows = [self._term(t, env) for t in terms]
        if len(rows) == 1:
            return rows[0]
        return tuple(exact_sum(column) for column in zip(*rows, strict=True))

    def _term(self, term: Expr, env: Env) -> tuple[Num, ...]:
        """E[term | env, a] for every act a, summing out the plain chance and value variables
        the term alone reads (a variable whose weight the policy or a correlate decides splits
        the draw instead). The outcomes one term is summed over count against
        ``Limits.max_worlds``: a term that multiplies many independent coins is summed over
        their product, and is refused past the bound as soon as it passes it."""
        self._evaluations = 0
        return self._summed(term, env)

    def _summed(self, term: Expr, env: Env) -> tuple[Num, ...]:
        self._evaluations += 1
        if self._evaluations > self.limits.max_worlds:
            raise LimitError(
                f"one term of the utility or preference, {clip(term.source, 60)!r}, reads chance "
                f"variables that take more than {self.limits.max_worlds} joint outcomes to sum "
                "over (raise the bound with --max-worlds)"
            )
        try:
            return self.ev.row_read(term, env)
        except Unknown as u:
            if u.name not in self._plain:
                raise
            branches = self._plain_branches(u.name, env)
            parts = [(p, self._summed(term, e)) for e, p in branches]
            return tuple(weighted_sums(parts, len(self.st.actions)))

    def _plain_branches(self, name: str, env: Env) -> list[tuple[Env, Num]]:
        """The outcomes of the plain variable ``name`` in ``env`` (or, when its distribution
        reads a plain variable not drawn yet, of that one first)."""
        v = self._stage1[name]
        try:
            if isinstance(v, Value):
                return [(extended(env, name, self.ev.value(v, env)), ONE)]
            dist = self.ev.distribution(v.outcomes, env, v)
        except Unknown as u:
            if u.name not in self._plain:
                raise
            return self._plain_branches(u.name, env)
        return [(extended(env, name, label), p) for label, p in dist if not is_zero(p)]

    def _split(
        self,
        name: str,
        env: Env,
        chance: Num,
        key: tuple[tuple[str, Label], ...],
        corr: tuple[tuple[Num, tuple[Num, ...]], ...],
        given: tuple[tuple[int, Any, tuple[Num, ...], tuple[Num, ...]], ...],
    ) -> list[_Partial]:
        """The draws ``(env, ...)`` splits into on the variable ``name`` (or on a variable its
        distribution reads that is not drawn yet)."""
        v = self._stage1[name]
        try:
            if isinstance(v, Value):
                return [(extended(env, name, self.ev.value(v, env)), chance, key, corr, given)]
            if isinstance(v, Chance):
                out: list[_Partial] = []
                for label, p in self.ev.distribution(v.outcomes, env, v):
                    if not is_zero(p):
                        e2 = extended(env, name, label)
                        out.append((e2, chance * p, (*key, (name, label)), corr, given))
                return out
            if isinstance(v, Correlate):
                prior = self.ev.distribution(v.prior, env, v)
                rows = dict(v.table)
                table = [self.ev.distribution(rows[a], env, v) for a in self.st.actions]
                out = []
                for i, (label, p) in enumerate(prior):
                    per_act = tuple(row[i][1] for row in table)
                    if is_zero(p) and all(is_zero(x) for x in per_act):
                        continue
                    e2 = extended(env, name, label)
                    out.append((e2, chance, (*key, (name, label)), (*corr, (p, per_act)), given))
                return out
            assert isinstance(v, Prediction)  # a given prediction: selects are never exogenous
            accuracies = self.ev.accuracies(v, env)  # per act the policy takes there
            right = tuple(r for r, _ in accuracies)
            wrong = tuple(x for _, x in accuracies)
            asked = self.st.given_in(v, env)  # (its index is set by finish)
        except Unknown as u:
            return self._split(u.name, env, chance, key, corr, given)
        if v.computed_given and (name, asked) not in self._asked:
            self._asked[name, asked] = None
        return [
            (
                extended(env, name, a),
                chance,
                (*key, (name, a)),
                corr,
                (*given, (i, asked, right, wrong)),
            )
            for i, a in enumerate(self.st.actions)
        ]

    def _errors(
        self, index: dict[tuple[Label, ...], int], accuracy: dict[str, Any]
    ) -> tuple[tuple[tuple[int, Num], ...], ...]:
        """For each assignment, the assignments the predictor's errors lead to (uniformly
        another action, as DESIGN.md's default error model says, with the accuracy of the act
        predicted), with their probabilities."""
        act_index = {a: i for i, a in enumerate(self.st.actions)}
        errors = []
        for assignment in self.st.assignments:
            options: list[list[tuple[Label, Num]]] = []
            for name, value in zip(self.st.unknown_names, assignment, strict=True):
                if name not in self.st.self_names:
                    options.append([(value, Fraction(1))])
                    continue
                right, wrong = accuracy[name][act_index[str(value)]]
                opts = [(a, right if a == value else wrong) for a in self.st.actions]
                options.append([(a, p) for a, p in opts if not is_zero(p)])
            row = []
            for combo in itertools.product(*options):
                pe: Num = Fraction(1)
                for _, p in combo:
                    pe = pe * p
                row.append((index[tuple(v for v, _ in combo)], _one(pe)))
            errors.append(tuple(row))
        return tuple(errors)

    def _order(self, key: tuple[tuple[str, Label], ...]) -> tuple[Any, ...]:
        """A draw's place: by its variables in file order, then their labels' listed order."""
        if self._rank is None:
            self._rank = {}
            for i, v in enumerate(self.st.stage1):
                if isinstance(v, Chance):
                    labels: Sequence[Label] = [label for label, _ in v.outcomes]
                elif isinstance(v, Correlate):
                    labels = v.labels()
                elif isinstance(v, Prediction):
                    labels = self.st.actions
                else:
                    labels = ()
                self._rank[v.name] = (i, {(type(x), x): k for k, x in enumerate(labels)})
        out = []
        for name, label in sorted(key, key=lambda kv: self._rank[kv[0]][0]):  # type: ignore[index]
            i, labels_at = self._rank[name]
            out.append((i, labels_at.get((type(label), label), len(labels_at))))
        return tuple(out)

    def _check_draw_table(self) -> None:
        """Refuse, before any work, one draw's tables past ``Limits.max_table``: every
        assignment of the predictor's unknowns, each with every act's utility, and its errors
        (each self-referential prediction right or wrong)."""
        n_a = len(self.st.actions)
        n_u = len(self.st.assignments)
        selfref = sum(1 for u in self.st.unknowns if isinstance(u, Prediction))
        later = 1  # outcomes of the chance drawn after the predictor settles, at most
        for v in self.st.stage2:
            if isinstance(v, Chance):
                later *= len(v.outcomes)
        entries = n_u * later * n_a + n_u * n_a**selfref
        if entries > self.limits.max_table:
            states = f" × {later} outcomes of later chance" if later > 1 else ""
            raise LimitError(
                f"one draw's tables would hold {entries} entries ({n_u} choices of the predictor"
                f"{states} × {n_a} acts, and {n_a}^{selfref} errors of each choice), more than "
                f"the bound of {self.limits.max_table} (raise it with --max-table)"
            )

    def _check_built(self, leaves: int, draws: int) -> None:
        """Stop as soon as what has been built passes the bounds: pre-act states (each a
        world's utilities for every act) against ``max_worlds`` and ``max_table``."""
        if leaves > self.limits.max_worlds:
            raise LimitError(
                f"more than {self.limits.max_worlds} pre-act states in {draws} draws to compile "
                "(the variables that each draw reads, with the predictor's choices; raise the "
                "bound with --max-worlds)"
            )
        if leaves * len(self.st.actions) > self.limits.max_table:
            raise LimitError(
                f"compiled tables of more than {self.limits.max_table} entries ({leaves} "
                f"pre-act states × {len(self.st.actions)} acts; raise the bound with --max-table)"
            )

    def draw_checks(self, sigma: Sequence[int], corr: CorrelateMode = None) -> list[Draw]:
        """The predictor's options on each compiled draw under the pure policy ``sigma``: the
        consistency checker's input (:func:`newcomb.check.check`), read off the tables as
        :meth:`_draw_run` reads the sums (a draw of weight zero is left out)."""
        prefer = self.st.scenario.predictor.prefer
        out = []
        for d in self.draws:
            w = self._weight(d, sigma, corr)
            if is_zero(w):
                continue
            attempts = []
            for u, branches in enumerate(d.attempts):
                pred = self.predicted[u]
                rows = []
                ok = True
                pr: Num | None = None if prefer is None else Fraction(0)
                for leaf_i, p in branches:
                    leaf = self.leaves[leaf_i]
                    a = sigma[leaf.obs]
                    rows.append((leaf.obs, a, p))
                    if any(x != a for x in pred):
                        ok = False
                    if pr is not None:
                        pr = pr + p * leaf.prefer[a]  # type: ignore[index]
                attempts.append(
                    Attempt(self.st.assignments[u], tuple(rows), ok, pr if ok else None)
                )
            ok_idx = [i for i, att in enumerate(attempts) if att.consistent]
            if len(ok_idx) > 1 and prefer is not None:
                best = max(attempts[i].preference for i in ok_idx)  # type: ignore[type-var]
                ok_idx = [i for i in ok_idx if attempts[i].preference == best]
            out.append(Draw(d.key, w, tuple(attempts), tuple(ok_idx)))
        return out

    def _weight(self, d: Draw0, sigma: Sequence[int], corr: CorrelateMode) -> Num:
        """A draw's probability under ``sigma``: its chance, correlates (their prior, or mixed
        by ``corr``) and ``given`` predictions (right where they match σ, else wrong, with the
        accuracy of the act σ takes at the observation asked about)."""
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
            target = sigma[obs_i]
            w = w * (right[target] if value_i == target else wrong[target])
        return w

    @property
    def asked(self) -> list[tuple[str, tuple[Label, ...]]]:
        """The observations that ``given`` predictions computed in some draw asked about."""
        return list(self._asked)

    def finish(self, space: ObservationSpace, shown: Shown) -> None:
        """Observations become indices: each leaf's, and each ``given`` prediction's."""
        self.n_obs = len(space.observations)
        self.leaves = [Leaf(space.index_of(obs), u, p) for obs, u, p in shown]
        self.given_observations = space.given_observations
        if self.st.givens:  # each given prediction's observation becomes its index
            self.draws = [
                replace(d, given=tuple((i, space.index_of(o), r, w) for i, o, r, w in d.given))
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
        touched = set(self.given_observations)
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
        w = self._weight(d, sigma, corr)
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
                    wu = ww * leaf.utility[sigma[leaf.obs]]
                    out.guess_den = out.guess_den + ww
                    out.guess_num = out.guess_num + wu
                    gd, gn = out.guess_obs.get(leaf.obs, (Fraction(0), Fraction(0)))
                    out.guess_obs[leaf.obs] = (gd + ww, gn + wu)
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
