"""The worlds of a scenario with several decision points (DESIGN.md §2b).

A scenario with ``decide`` variables is enumerated once, for every behavioural policy at the
same time: each world's probability is a rational weight (chance, the predictor's errors) times
a product of the policy's probabilities at the points the world reaches, so that the value of
any policy, pure, mixed or symbolic, is a sum over one list of worlds.

The agent's randomness is drawn lazily, one draw per decision point and observation (a
*column* of the policy there): a point reached with observation o acts on its draw, and a
prediction of that point ``given`` o sees the same draw; where the world never reaches the
point with o, the draw is the prediction's own. A self-referential prediction (without
``given``) is the predictor's unknown: for each draw of all randomness it must equal the act
drawn at the point it names in this world, and the predictor picks uniformly among the
consistent values (none: a paradox, settled by ``on_paradox``). Its error (accuracy below 1)
is drawn after it settles, and the world then follows from the wrong prediction.

:class:`Tree` lists the worlds of the policy's own play and, for a causal theory, of the worlds
where the act at one point is set and every later variable recomputed
(:meth:`Tree.intervened`): earlier predictions stay put, later ones are settled again, chance
after the point is drawn again.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .errors import LimitError, ScenarioError
from .expr import Expr, is_number, to_number
from .model import Chance, Decide, Label, Prediction, Scenario, Value

__all__ = ["MAX_WORLDS", "ExhaustiveTree", "Slot", "Tree", "Visit", "World", "epsilon"]

MAX_WORLDS = 1 << 16
"""Worlds (with the worlds of every intervention) one several-decision scenario may list."""

Key = tuple[Any, ...]


@dataclass(frozen=True)
class Slot:
    """An information set on one observation: where a behavioural policy gives one
    distribution over ``actions``."""

    infoset: str
    observes: tuple[str, ...]
    observation: tuple[Label, ...]
    actions: tuple[str, ...]

    def observation_dict(self) -> dict[str, Label]:
        return dict(zip(self.observes, self.observation, strict=True))

    def __str__(self) -> str:
        if not self.observes:
            return self.infoset
        seen = ", ".join(
            f"{k}={_text(v)}" for k, v in zip(self.observes, self.observation, strict=True)
        )
        return f"{self.infoset} ({seen})"


def _text(v: Label) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


@dataclass(frozen=True)
class Visit:
    """A decision point reached in a world: its slot and the act done there."""

    point: str
    slot: int
    act: int


@dataclass(frozen=True)
class World:
    """One world: ``weight`` × Π policy[slot][act] over ``draws`` is its probability."""

    weight: Any
    """A Fraction, or a polynomial in ε where a prediction of accuracy 1 may err."""
    draws: tuple[tuple[int, int], ...]
    utility: Any
    visits: tuple[Visit, ...]
    values: Mapping[str, Any] = field(compare=False, repr=False)
    consistent: bool = True
    """False for a world of the predictor's guess where no prediction was consistent."""
    ambiguous: bool = False
    guess: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    """The settled values of the self-referential predictions (before their errors)."""
    randomness: Any = field(default=None, compare=False, repr=False)

    def probability(self, policy: Sequence[Sequence[Any]]) -> Any:
        return _probability_of(self.weight, self.draws, policy)

    def visits_of(self, slot: int) -> int:
        return sum(1 for v in self.visits if v.slot == slot)


@dataclass(frozen=True)
class Paradox:
    """A draw of all randomness where no value of the self-referential predictions is
    consistent."""

    weight: Any
    draws: tuple[tuple[int, int], ...]
    values: Mapping[str, Any] = field(compare=False, repr=False)

    def probability(self, policy: Sequence[Sequence[Any]]) -> Any:
        return _probability_of(self.weight, self.draws, policy)


class _Need(Exception):
    """The walk needs a draw it does not have yet: ``outcomes`` are (value, weight) pairs, the
    weight a Fraction, or a slot for the policy's draw (then the value is the act's index)."""

    def __init__(self, key: Key, outcomes: list[tuple[Any, Any]], dist: Any = None) -> None:
        self.key = key
        self.outcomes = [(v, w) for v, w in outcomes if isinstance(w, tuple) or w != 0]
        self.dist = tuple(outcomes) if dist is None else dist


@dataclass
class _Draws:
    """The randomness drawn so far on one branch."""

    values: dict[Key, Any] = field(default_factory=dict)
    dists: dict[Key, tuple[Any, ...]] = field(default_factory=dict)
    weight: Any = Fraction(1)
    draws: tuple[tuple[int, int], ...] = ()
    redraw: bool = False
    """Draw a chance variable again where its distribution is not the one it was drawn from
    (an intervention changed what it reads), instead of refusing the scenario."""

    def extended(self, key: Key, value: Any, w: Any, dist: tuple[Any, ...]) -> _Draws:
        new = _Draws(dict(self.values), dict(self.dists), self.weight, self.draws, self.redraw)
        new.values[key] = value
        new.dists[key] = dist
        if isinstance(w, tuple):  # a policy draw: (slot, act)
            new.draws = tuple(sorted((*self.draws, w)))
        else:
            new.weight = self.weight * w
        return new


class Tree:
    """Every world of a scenario with decision points, for every behavioural policy.

    Attributes
    ----------
    slots:
        Every information set on every observation some world reaches (or a prediction asks
        about), in the order first met.
    worlds:
        The worlds of the policy's play under the scenario: consistent worlds, and the guessed
        worlds of paradox draws (``consistent`` False, for ``on_paradox: random``).
    paradoxes:
        The draws where no prediction is consistent.
    """

    KEEP_LATER = True  # an intervention keeps later draws whose distribution did not change

    def __init__(self, scenario: Scenario, *, max_worlds: int = MAX_WORLDS) -> None:
        self.scenario = scenario
        self.params: dict[str, Any] = dict(scenario.parameters)
        self.variables = scenario.variables
        self.position = {v.name: i for i, v in enumerate(self.variables)}
        self.points = {d.name: d for d in scenario.decisions}
        self.actions = {d.name: d.actions or scenario.actions for d in scenario.decisions}
        self.selfref = [v for v in self.variables if isinstance(v, Prediction) and v.given is None]
        self.max_worlds = max_worlds
        self.count = 0
        self.slots: list[Slot] = []
        self._slot_index: dict[tuple[str, tuple[Any, ...]], int] = {}
        self.worlds: list[World] = []
        self.paradoxes: list[Paradox] = []
        for _, item in self._settle(_Draws(), {}, self.selfref, {}):
            if isinstance(item, World):
                self.worlds.append(item)
            else:
                self.paradoxes.append(item)
        self.repeated = frozenset(
            s for w in self.worlds for s in {s for s, _ in w.draws} if _twice(w.draws, s)
        )

    # -- slots ---------------------------------------------------------------------------------
    def slot(self, point: Decide, observation: tuple[Any, ...]) -> int:
        key = (point.infoset, tuple((type(x).__name__, x) for x in observation))
        i = self._slot_index.get(key)
        if i is None:
            i = self._slot_index[key] = len(self.slots)
            self.slots.append(
                Slot(point.infoset, point.observes, observation, self.actions[point.name])
            )
        return i

    # -- the walk ------------------------------------------------------------------------------
    def _walk(
        self,
        guess: Mapping[str, str],
        r: _Draws,
        forced: Mapping[str, tuple[tuple[Any, ...], str]],
        realize: bool,
    ) -> tuple[dict[str, Any], list[Visit]]:
        """The world of ``guess`` (the self-referential predictions' values) on the randomness
        ``r``: its variables' values and the points it visits. Raises :class:`_Need` for a draw
        ``r`` lacks. With ``realize``, predictions' errors are drawn too."""
        env: dict[str, Any] = dict(self.params)
        visits: list[Visit] = []
        for v in self.variables:
            if isinstance(v, Value):
                env[v.name] = v.expr(env)
            elif isinstance(v, Chance):
                dist = tuple((label, _probability(e, env)) for label, e in v.outcomes)
                env[v.name] = self._draw(r, ("chance", v.name), dist, v)
            elif isinstance(v, Decide):
                env[v.name] = self._act(v, env, r, forced, visits)
            elif isinstance(v, Prediction):
                env[v.name] = self._predict(v, env, guess, r, realize)
        env["__utility__"] = _number(self.scenario.utility, env)
        return env, visits

    def _draw(self, r: _Draws, key: Key, dist: tuple[Any, ...], v: Chance) -> Any:
        if key in r.values:
            if r.dists[key] != dist and r.redraw:
                raise _Need(key, list(dist))
            if r.dists[key] != dist:
                raise ScenarioError(
                    f"the probabilities of {v.name!r} depend on a prediction's value; in a "
                    "scenario with decision points a chance variable may not read a prediction",
                    ("variables", v.name),
                )
            return r.values[key]
        raise _Need(key, list(dist))

    def _act(
        self,
        d: Decide,
        env: Mapping[str, Any],
        r: _Draws,
        forced: Mapping[str, tuple[tuple[Any, ...], str]],
        visits: list[Visit],
    ) -> str | None:
        if d.when is not None and not _truth(d.when, env):
            return None
        obs = tuple(env[o] for o in d.observes)
        slot = self.slot(d, obs)
        acts = self.actions[d.name]
        f = forced.get(d.name)
        act = f[1] if f is not None and _same(f[0], obs) else self._column(d, obs, slot, r)
        visits.append(Visit(d.name, slot, acts.index(act)))
        return act

    def _column(self, d: Decide, obs: tuple[Any, ...], slot: int, r: _Draws) -> str:
        key = ("act", d.name, tuple((type(x).__name__, x) for x in obs))
        if key in r.values:
            return str(r.values[key])
        raise _Need(key, [(a, (slot, i)) for i, a in enumerate(self.actions[d.name])])

    def _predict(
        self,
        p: Prediction,
        env: Mapping[str, Any],
        guess: Mapping[str, str],
        r: _Draws,
        realize: bool,
    ) -> str:
        point = self.points[p.predicts]
        if p.given is None:
            settled = guess[p.name]
        else:
            asked = dict((k, x(env) if isinstance(x, Expr) else x) for k, x in p.given)
            obs = tuple(asked[o] for o in point.observes)
            settled = self._column(point, obs, self.slot(point, obs), r)
        if not realize:
            return settled
        acts = self.actions[point.name]
        q: Any = _probability(_accuracy(p, settled), env)
        if q == 1:  # perfect accuracy is the limit q = 1 - ε (DESIGN.md §2)
            q = 1 - epsilon()
        others = [a for a in acts if a != settled]
        dist = ((settled, q), *((a, (1 - q) / len(others)) for a in others))
        return self._error(r, ("error", p.name), dist)

    def _error(self, r: _Draws, key: Key, dist: tuple[Any, ...]) -> str:
        """The prediction actually made: the settled act with its accuracy, else another."""
        if key in r.values and r.dists[key] == dist:
            return str(r.values[key])
        raise _Need(key, list(dist))

    # -- settling the predictor ----------------------------------------------------------------
    def _guesses(self, free: Sequence[Prediction]) -> list[dict[str, str]]:
        options = [self.actions[p.predicts] for p in free]
        return [
            {p.name: a for p, a in zip(free, combo, strict=True)}
            for combo in itertools.product(*options)
        ]

    def _settle(
        self,
        r: _Draws,
        fixed: Mapping[str, str],
        free: Sequence[Prediction],
        forced: Mapping[str, tuple[tuple[Any, ...], str]],
    ) -> Iterator[tuple[str, World | Paradox]]:
        """Branch on randomness until every guess's world is known, then settle: the
        consistent guesses share the draw; none consistent is a paradox (and the guesses share
        it as the predictor's random pick)."""
        stack = [r]
        while stack:
            r = stack.pop()
            guesses = [{**fixed, **g} for g in self._guesses(free)]
            try:
                envs = [self._walk(g, r, forced, realize=False)[0] for g in guesses]
            except _Need as need:
                stack.extend(self._branches(r, need))
                continue
            ok = [
                g
                for g, env in zip(guesses, envs, strict=True)
                if all(env[p.predicts] == g[p.name] for p in free)
            ]
            if ok:
                for g in ok:
                    share = _Draws(r.values, r.dists, r.weight / len(ok), r.draws)
                    yield from self._realize(g, share, forced, True, len(ok) > 1)
            else:
                yield "paradox", Paradox(r.weight, r.draws, envs[0])
                for g in guesses:
                    share = _Draws(r.values, r.dists, r.weight / len(guesses), r.draws)
                    yield from self._realize(g, share, forced, False, False)

    def _realize(
        self,
        guess: Mapping[str, str],
        r: _Draws,
        forced: Mapping[str, tuple[tuple[Any, ...], str]],
        consistent: bool,
        ambiguous: bool,
    ) -> Iterator[tuple[str, World]]:
        stack = [r]
        while stack:
            r = stack.pop()
            try:
                env, visits = self._walk(guess, r, forced, realize=True)
            except _Need as need:
                stack.extend(self._branches(r, need))
                continue
            self.count += 1
            if self.count > self.max_worlds:
                raise LimitError(
                    f"this scenario with decision points has more than {self.max_worlds} worlds "
                    "(with the worlds of each intervention); raise --max-worlds to list them"
                )
            u = env.pop("__utility__")
            yield (
                "world",
                World(r.weight, r.draws, u, tuple(visits), env, consistent, ambiguous, guess, r),
            )

    @staticmethod
    def _branches(r: _Draws, need: _Need) -> list[_Draws]:
        return [r.extended(need.key, value, w, need.dist) for value, w in reversed(need.outcomes)]

    # -- interventions -------------------------------------------------------------------------
    def intervened(self, world: World, point: str, act: str) -> list[World]:
        """The worlds that follow from ``world`` when the act at ``point`` is set to ``act``:
        variables before the point keep their values, later self-referential predictions are
        settled again (their paradox draws dropped: the theories believe the predictor is
        right), and later chance and errors are drawn again where their distribution changed
        (where it did not, keeping the world's own draw is the same in expectation, and the
        worlds of the other draws are intervened on too). Weights are relative to ``world``."""
        at = self.position[point]
        r0: _Draws = world.randomness
        keep = {
            k: v
            for k, v in r0.values.items()
            if k[0] == "act" or self.KEEP_LATER or self.position[k[1]] < at
        }
        dists = {k: r0.dists[k] for k in keep if k in r0.dists}
        start = _Draws(keep, dists, Fraction(1), (), redraw=True)
        fixed = {k: v for k, v in world.guess.items() if self.position[k] < at}
        free = [p for p in self.selfref if self.position[p.name] > at]
        seen = next(v for v in world.visits if v.point == point)
        forced = {point: (self.slots[seen.slot].observation, act)}
        return [
            w  # type: ignore[misc]
            for kind, w in self._settle(start, fixed, free, forced)
            if kind == "world" and w.consistent  # type: ignore[union-attr]
        ]


class ExhaustiveTree(Tree):
    """The same worlds, found the plain way (``--exhaustive``): every combination of every
    draw (each chance variable, the act at each point on each observation, each prediction's
    error for each act it can settle on) is listed, walked, and kept with the product of the
    probabilities of what the walks read; a combination giving a draw nothing reads anything
    but its first outcome is dropped (that draw is summed out). The fast :class:`Tree` branches
    only on what is read, as it is read; tests hold the two to the same answers. An
    intervention here draws every later chance variable and error again."""

    KEEP_LATER = False

    def __init__(self, scenario: Scenario, *, max_worlds: int = MAX_WORLDS) -> None:
        lazy = Tree(scenario, max_worlds=max_worlds)  # its slots: the observations to list
        self._keys: list[tuple[Key, list[Any]]] = []
        for v in scenario.variables:
            if isinstance(v, Chance):
                self._keys.append((("chance", v.name), [label for label, _ in v.outcomes]))
        for d in scenario.decisions:
            acts = list(d.actions or scenario.actions)
            for slot in lazy.slots:
                if slot.infoset == d.infoset:
                    obs = tuple((type(x).__name__, x) for x in slot.observation)
                    self._keys.append((("act", d.name, obs), acts))
        for v in scenario.variables:
            if isinstance(v, Prediction):
                point = scenario.variable(v.predicts)
                acts = list(point.actions or scenario.actions)  # type: ignore[union-attr]
                for a in acts:
                    self._keys.append((("error", v.name, a), acts))
        size = 1
        for _, options in self._keys:
            size *= len(options)
        if size > max_worlds:
            raise LimitError(
                f"--exhaustive would list {size} combinations of draws; at most {max_worlds} "
                "(--max-worlds)"
            )
        super().__init__(scenario, max_worlds=max_worlds * max(1, len(self._keys)))

    def _read(self, r: _Draws, key: Key, weight: Any) -> Any:
        if key not in r.values:
            raise LimitError(f"--exhaustive met a draw the fast path never made: {key!r}")
        seen = r.dists.get(key)
        if seen is not None and seen != (weight,):
            raise ScenarioError(
                f"the probability of the draw {key[1]!r} depends on a prediction's value; "
                "in a scenario with decision points a chance variable may not read a prediction"
            )
        r.dists[key] = (weight,)
        return r.values[key]

    def _draw(self, r: _Draws, key: Key, dist: tuple[Any, ...], v: Chance) -> Any:
        label = r.values.get(key)
        p = next((p for x, p in dist if type(x) is type(label) and x == label), Fraction(0))
        return self._read(r, key, p)

    def _column(self, d: Decide, obs: tuple[Any, ...], slot: int, r: _Draws) -> str:
        key = ("act", d.name, tuple((type(x).__name__, x) for x in obs))
        act = r.values.get(key)
        acts = self.actions[d.name]
        return str(self._read(r, key, (slot, acts.index(act)) if act in acts else None))

    def _error(self, r: _Draws, key: Key, dist: tuple[Any, ...]) -> str:
        key = (*key, dist[0][0])  # one draw per act the prediction settles on
        label = r.values.get(key)
        return str(self._read(r, key, next(p for a, p in dist if a == label)))

    def _settle(
        self,
        r: _Draws,
        fixed: Mapping[str, str],
        free: Sequence[Prediction],
        forced: Mapping[str, tuple[tuple[Any, ...], str]],
    ) -> Iterator[tuple[str, World | Paradox]]:
        todo = [(k, options) for k, options in self._keys if k not in r.values]
        guesses = [{**fixed, **g} for g in self._guesses(free)]
        for combo in itertools.product(*(options for _, options in todo)):
            values = {**r.values, **{k: x for (k, _), x in zip(todo, combo, strict=True)}}
            reads = _Draws(values, {}, r.weight, r.draws)
            envs = [self._walk(g, reads, forced, realize=False)[0] for g in guesses]
            ok = [
                g
                for g, env in zip(guesses, envs, strict=True)
                if all(env[p.predicts] == g[p.name] for p in free)
            ]
            chosen = ok or guesses
            worlds = [(g, *self._walk(g, reads, forced, realize=True)) for g in chosen]
            first = {k: options[0] for k, options in todo}
            if any(values[k] != first[k] for k in first if k not in reads.dists):
                continue  # a draw nothing read: summed out, listed once
            weight, draws = r.weight, r.draws
            for k, (w,) in reads.dists.items():
                if k in r.values:
                    continue
                if isinstance(w, tuple):
                    draws = tuple(sorted((*draws, w)))
                else:
                    weight *= w
            if weight == 0:
                continue
            if not ok:
                yield "paradox", Paradox(weight, draws, envs[0])
            for g, env, visits in worlds:
                self.count += 1
                if self.count > self.max_worlds:
                    raise LimitError(f"--exhaustive lists more than {self.max_worlds} worlds")
                u = env.pop("__utility__")
                # the world's randomness: what was read (a draw nothing read is drawn afresh
                # by an intervention that comes to read it, as on the fast path)
                read = {k: x for k, x in values.items() if k in reads.dists or k in r.values}
                mine = _Draws(read, {}, weight / len(chosen), draws)
                yield (
                    "world",
                    World(
                        weight / len(chosen),
                        draws,
                        u,
                        tuple(visits),
                        env,
                        bool(ok),
                        len(ok) > 1,
                        g,
                        mine,
                    ),
                )


def _probability_of(
    weight: Any, draws: Sequence[tuple[int, int]], policy: Sequence[Sequence[Any]]
) -> Any:
    """weight × Π policy[slot][act] over the draws."""
    p = weight
    for s, a in draws:
        p = p * policy[s][a]
    return p


def epsilon() -> Any:
    """The infinitesimal ε of a prediction of accuracy 1 (a sympy symbol, shared with
    :mod:`newcomb.theories.simplex`, which orders expressions in it by their lowest order)."""
    import sympy

    return sympy.Symbol("epsilon", positive=True)


def _twice(draws: Sequence[tuple[int, int]], slot: int) -> bool:
    return sum(1 for s, _ in draws if s == slot) > 1


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return len(a) == len(b) and all(
        type(x) is type(y) and x == y for x, y in zip(a, b, strict=True)
    )


def _probability(e: Expr, env: Mapping[str, Any]) -> Fraction:
    x = e(env)
    if isinstance(x, bool) or not is_number(x):
        raise ScenarioError(f"expected a probability, got {x!r} in {e.source!r}", e.path)
    q = Fraction(to_number(x))
    if not 0 <= q <= 1:
        raise ScenarioError(f"probability {q} is outside [0, 1] in {e.source!r}", e.path)
    return q


def _number(e: Expr, env: Mapping[str, Any]) -> Any:
    x = e(env)
    if isinstance(x, str) or x is None:
        raise ScenarioError(f"expected a number, got {x!r} in {e.source!r}", e.path)
    return to_number(x)


def _truth(e: Expr, env: Mapping[str, Any]) -> bool:
    x = e(env)
    if x is None or isinstance(x, str):
        raise ScenarioError(f"expected true or false, got {x!r} in {e.source!r}", e.path)
    return bool(x)


def _accuracy(p: Prediction, act: str) -> Expr:
    """The accuracy of ``p`` when it predicts ``act`` (per act where the scenario says so)."""
    return p.accuracy_for(act)
