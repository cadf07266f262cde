"""Properties of the engine over generated scenarios (issue 4, item 2).

The scenarios come from :mod:`newcomb.testing`. The reference for several properties is a
brute-force evaluation of DESIGN.md §2 written here, independently of ``newcomb.world``: it
only evaluates the scenario's own expressions (``expr(env)``) and enumerates everything.

Accuracy 1 is the limit q → 1 (DESIGN.md §2), which the engine computes with polynomials in an
infinitesimal ε. The brute force instead takes q = 1 − ε₀ for the fixed rational ε₀ = 1/1009
and compares the engine's polynomial *evaluated at ε₀*: exactly where the engine's number is a
polynomial (probabilities of draws, V(π) under ``fail`` and ``random``), and within a relative
tolerance of 10⁻¹² where it is a power series truncated after a few orders (ratios: V(π) under
``retry`` and the expected utilities of EDT and CDT), whose error at ε₀ is below ε₀⁹ ≈ 10⁻²⁷
times the size of its coefficients.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, example, find, given, note, reject, settings
from hypothesis import strategies as st

from newcomb import CDT, EDT, FDT, Decision, Model, Scenario, Theory
from newcomb.io import dumps, loads
from newcomb.model import Chance, Correlate, Label, Prediction, Select, Value, Variable
from newcomb.query import expected_utility, value
from newcomb.series import Eps, Num, leading
from newcomb.testing import (
    ACTION_NAMES,
    STRING_LABELS,
    YAML_AMBIGUOUS_STRINGS,
    action_names,
    decision_problems,
    observation_space,
    policies_of,
    predictor_problems,
    rename,
    replace_scenario,
    scenarios,
    with_utility,
)
from newcomb.theories.ratify import is_ratifiable, ratifiable_pure
from newcomb.world import Behaviour, pure

ROOT = Path(__file__).resolve().parent.parent
EPS0 = Fraction(1, 1009)
TOLERANCE = Fraction(1, 10**12)

# Scenarios of every kind, with extra weight on those whose observation depends on a prediction
# and on those with two observed variables (the engine's search couples observations).
any_scenarios = st.one_of(scenarios(), predictor_problems(), scenarios(min_observed=2))

# The engine looks for mixed equilibria when CDT or EDT has no ratifiable pure policy. That
# search solves one sympy system per support profile, (2^|A| - 1)^|O| of them, at about a second
# each; the quick profile affords it on the smallest problems only, the ci profile on more.
MIXED_BUDGET = 9 if settings().max_examples >= 100 else 3


# -- helpers --------------------------------------------------------------------------------------


def at_eps(x: Num | None) -> Fraction | None:
    """The engine's number at ε = ε₀."""
    if x is None:
        return None
    if isinstance(x, Eps):
        return sum((c * EPS0**i for i, c in enumerate(x.c)), Fraction(0))
    return Fraction(x)


def close(engine: Num | None, brute: Fraction | None) -> bool:
    """The engine's (possibly truncated-series) number agrees with the brute force at ε₀."""
    e = at_eps(engine)
    if e is None or brute is None:
        return e is None and brute is None
    return abs(e - brute) <= TOLERANCE * (1 + abs(brute))


def key(obs: Sequence[Label]) -> tuple[tuple[type, Label], ...]:
    """An observation as a dict key that keeps ``True``, ``1`` and ``"1"`` apart."""
    return tuple((type(x), x) for x in obs)


def names_of(v: Variable) -> set[str]:
    out: set[str] = set()
    for e in v.expressions():
        out |= e.names
    return out


def mixed_profiles(model: Model) -> int:
    return int((2 ** len(model.actions) - 1) ** len(model.observations))


def canonical(model: Model, policies: Sequence[Behaviour]) -> set[frozenset[Any]]:
    """Policies as sets of (observation key, action, probability), independent of order."""
    out = set()
    for pi in policies:
        out.add(
            frozenset(
                (key(obs), model.actions[a], p)
                for obs, row in zip(model.observations, pi, strict=True)
                for a, p in enumerate(row)
                if p
            )
        )
    return out


# -- the brute force ------------------------------------------------------------------------------


@dataclass
class BruteWorld:
    weight: Fraction
    env: dict[str, Any]
    obs: tuple[tuple[type, Label], ...]
    act: str
    kind: str  # settled, error, guess


@dataclass
class BruteDraw:
    key: tuple[tuple[str, Label], ...]
    weight: Fraction
    consistent: list[tuple[Label, ...]]
    chosen: list[tuple[Label, ...]]
    observations: set[tuple[tuple[type, Label], ...]]  # every observation an assignment shows


class Brute:
    """W(π) by enumeration, from DESIGN.md §2 only.

    Stages by dependency: a variable that names ``action`` (or a variable that does) comes after
    the act; else one that is a self-referential prediction or a select, or names one (or a
    variable that does), is settled by the predictor; everything else is exogenous and the
    predictor foresees it (one joint outcome of the exogenous random variables is a draw).
    """

    def __init__(self, s: Scenario, eps: Fraction = EPS0) -> None:
        self.s = s
        self.eps = eps  # accuracy 1 is taken as 1 - eps
        self.actions = s.actions
        self.n = len(s.actions)
        unknown: set[str] = set()
        after: set[str] = set()
        self.stage: dict[str, int] = {}
        for v in s.variables:
            names = names_of(v)
            if "action" in names or names & after:
                after.add(v.name)
                self.stage[v.name] = 3
            elif (
                isinstance(v, Select)
                or (isinstance(v, Prediction) and v.given is None)
                or names & unknown
            ):
                unknown.add(v.name)
                self.stage[v.name] = 2
            else:
                self.stage[v.name] = 1
        self.unknowns = [
            v
            for v in s.variables
            if isinstance(v, Select) or (isinstance(v, Prediction) and v.given is None)
        ]
        self.predicted = [v.name for v in self.unknowns if isinstance(v, Prediction)]
        self.assignments = list(
            itertools.product(
                *[
                    list(self.actions) if isinstance(u, Prediction) else list(u.options)
                    for u in self.unknowns
                ]
            )
        )
        self._cache: dict[Any, tuple[list[BruteDraw], list[BruteWorld]]] = {}

    # evaluation
    def accuracy(self, v: Prediction, env: Mapping[str, Any], act: str) -> Fraction:
        """The accuracy when the predicted act is ``act`` (it may differ per act)."""
        q = Fraction(v.accuracy_for(act)(env))
        return 1 - self.eps if q == 1 else q

    def observation(self, env: Mapping[str, Any]) -> tuple[tuple[type, Label], ...]:
        return key([env[o] for o in self.s.observes])

    def given_key(self, v: Prediction) -> tuple[tuple[type, Label], ...]:
        g = dict(v.given or ())
        return key([g[o] for o in self.s.observes])

    def _branch(
        self, v: Variable, env: dict[str, Any], corr: Sequence[Fraction] | None
    ) -> list[tuple[Label, Fraction]]:
        if isinstance(v, Chance):
            return [(lab, Fraction(e(env))) for lab, e in v.outcomes]
        if isinstance(v, Correlate):
            if corr is None:
                return [(lab, Fraction(e(env))) for lab, e in v.prior]
            rows = dict(v.table)
            out = []
            for lab in v.labels():
                p = Fraction(0)
                for act, pb in zip(self.actions, corr, strict=True):
                    row = {key([x]): e for x, e in rows[act]}
                    p += pb * Fraction(row[key([lab])](env))
                out.append((lab, p))
            return out
        raise AssertionError(v)

    def stage_one(
        self,
        policy: Callable[[tuple[tuple[type, Label], ...]], int] | None,
        corr: Sequence[Fraction] | None,
    ) -> list[tuple[dict[str, Any], Fraction, tuple[tuple[str, Label], ...]]]:
        """Every draw: (env, probability, key). With no policy, ``given`` predictions range
        over every action."""
        states: list[tuple[dict[str, Any], Fraction, tuple[tuple[str, Label], ...]]] = [
            (dict(self.s.parameters), Fraction(1), ())
        ]
        for v in self.s.variables:
            if self.stage[v.name] != 1:
                continue
            nxt = []
            for env, w, k in states:
                if isinstance(v, Value):
                    nxt.append(({**env, v.name: v.expr(env)}, w, k))
                    continue
                options: list[tuple[Label, Fraction]]
                if isinstance(v, Prediction):
                    if policy is None:
                        options = [(a, Fraction(1)) for a in self.actions]
                    else:
                        target = self.actions[policy(self.given_key(v))]
                        q = self.accuracy(v, env, target)
                        options = [
                            (a, q if a == target else (1 - q) / (self.n - 1)) for a in self.actions
                        ]
                else:
                    options = self._branch(v, env, corr)
                for lab, p in options:
                    if p != 0:
                        nxt.append(({**env, v.name: lab}, w * p, (*k, (v.name, lab))))
            states = nxt
        return states

    def stage_two(
        self, env1: Mapping[str, Any], assignment: Sequence[Label]
    ) -> list[tuple[dict[str, Any], Fraction]]:
        env = dict(env1)
        for u, x in zip(self.unknowns, assignment, strict=True):
            env[u.name] = x
        states = [(env, Fraction(1))]
        for v in self.s.variables:
            if self.stage[v.name] != 2 or v in self.unknowns:
                continue
            nxt = []
            for e, w in states:
                if isinstance(v, Value):
                    nxt.append(({**e, v.name: v.expr(e)}, w))
                else:
                    for lab, p in self._branch(v, e, None):
                        if p != 0:
                            nxt.append(({**e, v.name: lab}, w * p))
            states = nxt
        return states

    def expect(self, text: Any, env: Mapping[str, Any], act: str) -> Fraction:
        """E[expression] over the act's own chance, in world ``env`` with act ``act``."""
        states = [({**env, "action": act}, Fraction(1))]
        for v in self.s.variables:
            if self.stage[v.name] != 3:
                continue
            nxt = []
            for e, w in states:
                if isinstance(v, Value):
                    nxt.append(({**e, v.name: v.expr(e)}, w))
                else:
                    for lab, p in self._branch(v, e, None):
                        if p != 0:
                            nxt.append(({**e, v.name: lab}, w * p))
            states = nxt
        return sum((w * Fraction(text(e)) for e, w in states), Fraction(0))

    def utility(self, env: Mapping[str, Any], act: str) -> Fraction:
        return self.expect(self.s.utility, env, act)

    # W(σ)
    def run(
        self, sigma: Mapping[tuple[tuple[type, Label], ...], int], corr: Sequence[Fraction] | None
    ) -> tuple[list[BruteDraw], list[BruteWorld]]:
        """The draws (with the predictor's consistent and chosen assignments) and the worlds
        of W(σ) for a pure policy ``sigma`` (observation key → action index)."""
        cache_key = (tuple(sorted(sigma.items(), key=repr)), None if corr is None else tuple(corr))
        hit = self._cache.get(cache_key)
        if hit is not None:
            return hit

        def act_at(obs: tuple[tuple[type, Label], ...]) -> int:
            if obs not in sigma:
                raise AssertionError(f"observation {obs} is missing from the engine's space")
            return sigma[obs]

        prefer = self.s.predictor.prefer
        draws: list[BruteDraw] = []
        worlds: list[BruteWorld] = []
        for env1, w1, dkey in self.stage_one(act_at, corr):
            consistent: list[tuple[Label, ...]] = []
            prefs: list[Fraction] = []
            seen: set[tuple[tuple[type, Label], ...]] = set()
            for assignment in self.assignments:
                branches = self.stage_two(env1, assignment)
                ok = True
                pref = Fraction(0)
                for env2, p in branches:
                    obs = self.observation(env2)
                    seen.add(obs)
                    act = self.actions[act_at(obs)]
                    if any(env2[name] != act for name in self.predicted):
                        ok = False
                    elif prefer is not None:
                        pref += p * self.expect(prefer, env2, act)
                if ok:
                    consistent.append(tuple(assignment))
                    prefs.append(pref)
            chosen = list(consistent)
            if prefer is not None and consistent:
                best = max(prefs)
                chosen = [a for a, p in zip(consistent, prefs, strict=True) if p == best]
            draws.append(BruteDraw(dkey, w1, consistent, chosen, seen))
            if chosen:
                for assignment in chosen:
                    self._settled(worlds, env1, w1 / len(chosen), assignment, act_at)
            else:
                for assignment in self.assignments:
                    for env2, p in self.stage_two(env1, assignment):
                        obs = self.observation(env2)
                        w = w1 / len(self.assignments) * p
                        worlds.append(BruteWorld(w, env2, obs, self.actions[act_at(obs)], "guess"))
        self._cache[cache_key] = (draws, worlds)
        return draws, worlds

    def _settled(
        self,
        worlds: list[BruteWorld],
        env1: Mapping[str, Any],
        weight: Fraction,
        assignment: Sequence[Label],
        act_at: Callable[[tuple[tuple[type, Label], ...]], int],
    ) -> None:
        """The settled choice's worlds: each prediction is right with probability q, else
        uniformly another action; selected values stay; no consistency is required."""
        options: list[list[tuple[Label, Fraction]]] = []
        for u, x in zip(self.unknowns, assignment, strict=True):
            if isinstance(u, Select):
                options.append([(x, Fraction(1))])
                continue
            q = self.accuracy(u, env1, str(x))
            opts = [(a, q if a == x else (1 - q) / (self.n - 1)) for a in self.actions]
            options.append([(a, p) for a, p in opts if p != 0])
        for combo in itertools.product(*options):
            p_err = Fraction(1)
            for _, p in combo:
                p_err *= p
            actual = tuple(x for x, _ in combo)
            kind = "settled" if actual == tuple(assignment) else "error"
            for env2, p in self.stage_two(env1, actual):
                obs = self.observation(env2)
                worlds.append(
                    BruteWorld(weight * p_err * p, env2, obs, self.actions[act_at(obs)], kind)
                )

    def value(self, sigma: Mapping[Any, int], rule: str) -> Fraction | None:
        """V(σ) under a paradox rule."""
        draws, worlds = self.run(sigma, None)
        paradox = any(not d.consistent for d in draws)
        if rule == "fail" and paradox:
            return None
        kept = [w for w in worlds if rule == "random" or w.kind != "guess"]
        num = sum((w.weight * self.utility(w.env, w.act) for w in kept), Fraction(0))
        den = sum((w.weight for w in kept), Fraction(0))
        if den == 0:
            return None
        return num / den if rule == "retry" else num

    def eu(self, sigma: Mapping[Any, int], obs: Any, act: int, how: str) -> Fraction | None:
        """EU(act | obs) against pure σ: EDT conditions (σ with obs ↦ act, correlates follow
        P(value | act)); CDT intervenes (W(σ), correlates follow σ(obs), the act set to
        ``act``). Paradox worlds are conditioned away."""
        onehot = [Fraction(int(i == act)) for i in range(self.n)]
        if how == "condition":
            _, worlds = self.run({**sigma, obs: act}, onehot)
            kept = [w for w in worlds if w.kind != "guess" and w.obs == obs]
            num = sum((w.weight * self.utility(w.env, w.act) for w in kept), Fraction(0))
        else:
            credence = [Fraction(int(i == sigma[obs])) for i in range(self.n)]
            _, worlds = self.run(sigma, credence)
            kept = [w for w in worlds if w.kind != "guess" and w.obs == obs]
            if not kept and any(isinstance(v, Correlate) for v in self.s.variables):
                # DESIGN.md: conditioning on probability zero uses a tremble. Sure of its act,
                # CDT would never see obs; its credence trembles: (1 − ε)·σ(obs) + ε·uniform.
                credence = [(1 - self.eps) * c + self.eps / self.n for c in credence]
                _, worlds = self.run(sigma, credence)
                kept = [w for w in worlds if w.kind != "guess" and w.obs == obs]
            num = sum(
                (w.weight * self.utility(w.env, self.actions[act]) for w in kept), Fraction(0)
            )
        den = sum((w.weight for w in kept), Fraction(0))
        return None if den == 0 else num / den

    def reachable(self) -> set[tuple[tuple[type, Label], ...]]:
        """Observations some world can produce, whatever the policy and the predictions: a
        correlate takes its values under the prior and under each act (EDT's worlds)."""
        units = [[Fraction(int(i == a)) for i in range(self.n)] for a in range(self.n)]
        out = set()
        for corr in [None, *units]:
            for env1, _, _ in self.stage_one(None, corr):
                for assignment in self.assignments:
                    for env2, _ in self.stage_two(env1, assignment):
                        out.add(self.observation(env2))
        return out


def reads_policy(s: Scenario) -> bool:
    """Whether the predictor's search reads the agent's policy: through a self-referential
    prediction, or a preference that depends on the act."""
    if any(isinstance(v, Prediction) and v.given is None for v in s.variables):
        return True
    prefer = s.predictor.prefer
    if prefer is None:
        return False
    after = {"action"}
    for v in s.variables:
        if names_of(v) & after:
            after.add(v.name)
    return bool(prefer.names & after)


def sigma_map(model: Model, sigma: Sequence[int]) -> dict[tuple[tuple[type, Label], ...], int]:
    return {key(o): a for o, a in zip(model.observations, sigma, strict=True)}


def all_pure(model: Model) -> Iterator[tuple[int, ...]]:
    return itertools.product(range(len(model.actions)), repeat=len(model.observations))


def test_the_brute_force_reproduces_design_section_1() -> None:
    """The reference itself, on the Omicron problem (DESIGN.md §1, p = 1/2): CDT's policy
    (two-box always) gets 1000 + 2000000 p, FDT's (one-box always) 1000000 + 2000000 p, and
    EDT's (two-box iff the numbers coincide) meets a paradox on every prime day."""
    s = loads((ROOT / "scenarios" / "omicron.yaml").read_text())
    brute = Brute(s, eps=Fraction(0))
    coincide, differ = key([True]), key([False])
    one, two = s.actions.index("one_box"), s.actions.index("two_box")
    assert brute.value({coincide: two, differ: two}, "fail") == 1001000
    assert brute.value({coincide: one, differ: one}, "fail") == 2000000
    draws, _ = brute.run({coincide: two, differ: one}, None)
    assert {d.key: bool(d.consistent) for d in draws} == {
        (("omicron", "composite"),): True,
        (("omicron", "prime"),): False,
    }
    assert brute.value({coincide: two, differ: one}, "fail") is None


# -- the generator --------------------------------------------------------------------------------


@given(s=st.one_of(scenarios(), predictor_problems(), decision_problems()))
def test_generated_scenarios_compile(s: Scenario) -> None:
    """Every generated scenario compiles, within the policy bound, and the generator's own
    observation space is the engine's."""
    model = Model(s)
    assert len(s.actions) ** len(model.observations) <= 64
    space = observation_space(s.variables, s.observes, s.actions, s.parameters)
    assert {key(o) for o in space} == {key(o) for o in model.observations}
    # What was drawn (see pytest --hypothesis-show-statistics).
    brute = Brute(s)
    for v in s.variables:
        kind = type(v).__name__
        if isinstance(v, Prediction):
            kind = "self-referential prediction" if v.given is None else "given prediction"
        event(kind)
        if isinstance(v, Chance) and brute.stage[v.name] > 1:
            event("chance after the predictor or the act")
    if any(brute.stage[o] == 2 for o in s.observes):
        event("observes something the predictor settles")
    event(f"{len(model.observations)} observations")
    event(f"on_paradox: {s.predictor.on_paradox}")


@given(s=any_scenarios)
def test_observation_space_is_every_observation_some_world_produces(s: Scenario) -> None:
    """DESIGN.md §2: a policy ranges over the observations some world can produce."""
    model = Model(s)
    assert Brute(s).reachable() == {key(o) for o in model.observations}


# -- the consistency checker ----------------------------------------------------------------------


@given(s=any_scenarios, data=st.data())
def test_consistency_checker_agrees_with_brute_force(s: Scenario, data: st.DataObject) -> None:
    """Per draw of chance: which predictor assignments are consistent, which are chosen."""
    model = Model(s)
    brute = Brute(s)
    policies = list(all_pure(model))
    for sigma in data.draw(
        st.lists(st.sampled_from(policies), min_size=1, max_size=8, unique=True), label="sigmas"
    ):
        ws = model.worlds(sigma)
        draws, _ = brute.run(sigma_map(model, sigma), None)
        expected = {d.key: d for d in draws}
        got = {d.key: d for d in ws.draws}
        assert set(got) == set(expected), f"draws differ for policy {sigma}"
        for k, d in got.items():
            b = expected[k]
            assert at_eps(d.weight) == b.weight, f"probability of draw {k}"
            consistent = [a.assignment for a in d.attempts if a.consistent]
            assert sorted(map(repr, consistent)) == sorted(map(repr, b.consistent)), (
                f"consistent assignments in draw {k} under policy {sigma}"
            )
            chosen = [d.attempts[i].assignment for i in d.chosen]
            assert sorted(map(repr, chosen)) == sorted(map(repr, b.chosen)), (
                f"chosen assignments in draw {k} under policy {sigma}"
            )
            assert d.paradox == (not b.consistent)
            if d.paradox:
                event("paradox")


# -- FDT ------------------------------------------------------------------------------------------


@given(s=any_scenarios)
def test_value_agrees_with_brute_force(s: Scenario) -> None:
    """V(π) of every pure policy, under every paradox rule, is the expectation over W(π)."""
    model = Model(s)
    brute = Brute(s)
    n = len(s.actions)
    for sigma in all_pure(model):
        for rule in ("fail", "random", "retry"):
            got = value(model, pure(sigma, n), rule)
            want = brute.value(sigma_map(model, sigma), rule)
            assert close(got, want), f"V({sigma}) under {rule}: engine {got}, brute force {want}"


def under(rule: str) -> st.SearchStrategy[Scenario]:
    return st.one_of(
        scenarios(paradox_rules=[rule]),
        predictor_problems(paradox_rules=[rule]),
        scenarios(paradox_rules=[rule], min_observed=2),
    )


FDT_RETRY_BUG = loads(
    """
newcomb: 1
name: FDT under retry reports a policy whose every draw is a paradox
actions: [one_box, two_box]
variables:
  prediction: {predicts: action, accuracy: 1}
  shown: {value: prediction == 'one_box'}
observes: [shown]
utility: action == 'two_box'
predictor: {on_paradox: retry}
"""
)


@given(s=st.one_of(under("fail"), under("random")))
def test_fdt_value_is_the_maximum_over_pure_policies(s: Scenario) -> None:
    """FDT's policies are exactly the feasible pure policies of highest V (one per class of
    policies that differ only where the policy is never consulted)."""
    check_fdt_optimum(s)


@example(s=FDT_RETRY_BUG)
@given(s=under("retry"))
def test_fdt_value_is_the_maximum_over_pure_policies_under_retry(s: Scenario) -> None:
    check_fdt_optimum(s)


def check_fdt_optimum(s: Scenario) -> None:
    model = Model(s)
    brute = Brute(s)
    n = len(s.actions)
    values: dict[tuple[int, ...], Num] = {}
    for sigma in all_pure(model):
        v = value(model, pure(sigma, n))
        if v is not None:
            values[sigma] = v
    decision = FDT().decide(model)
    reported = [tuple(row.index(1) for row in pi) for pi in policies_of(model, decision)]
    if not values:
        assert reported == [], "FDT reports a policy though none is feasible"
        return
    best = max(values.values())
    optimal = [sigma for sigma, v in values.items() if v == best]
    for sigma in reported:
        assert sigma in values, f"FDT reports {sigma}, which is infeasible"
        assert values[sigma] == best, f"FDT reports {sigma} with V {values[sigma]} < {best}"

    def consulted(sigma: tuple[int, ...]) -> set[int]:
        """Where the policy is read: observations its worlds show, those its ``given``
        predictions ask about, and, when the predictor's search reads the policy
        (self-referential predictions, or a preference that depends on the act), every
        observation any of the predictor's choices shows."""
        draws, worlds = brute.run(sigma_map(model, sigma), None)
        index = {key(o): i for i, o in enumerate(model.observations)}
        out = {index[w.obs] for w in worlds}
        if reads_policy(s):
            out |= {index[o] for d in draws for o in d.observations}
        for v in s.variables:
            if isinstance(v, Prediction) and v.given is not None:
                out.add(index[brute.given_key(v)])
        return out

    for sigma in optimal:
        where = consulted(sigma)
        assert any(all(r[o] == sigma[o] for o in where) for r in reported), (
            f"the optimal policy {sigma} (V = {best}) is missing from FDT's {reported}"
        )
    if decision.total is None or decision.total == len(reported):
        for sigma in reported:
            where = consulted(sigma)
            assert all(sigma[o] == 0 for o in range(len(sigma)) if o not in where)


# -- CDT and EDT ----------------------------------------------------------------------------------


def brute_ratifiable(model: Model, how: str) -> set[tuple[int, ...]]:
    """Pure policies π with π(o) among the best acts at every o (DESIGN.md §2), by
    ``expected_utility``. Where no act has a defined expected utility against π the
    observation is irrelevant and only the first action is accepted (``newcomb.theories.ratify``
    documents this convention)."""
    n = len(model.actions)
    out = set()
    for sigma in all_pure(model):
        pi = pure(sigma, n)
        ok = True
        for o in range(len(model.observations)):
            eus = [expected_utility(model, pi, o, a, how=how) for a in range(n)]  # type: ignore[arg-type]
            defined = [e for e in eus if e is not None]
            if not defined:
                ok = sigma[o] == 0
            else:
                mine = eus[sigma[o]]
                ok = mine is not None and all(mine >= e for e in defined)
            if not ok:
                break
        if ok:
            out.add(sigma)
    return out


@pytest.mark.parametrize(("theory", "how"), [(CDT, "intervene"), (EDT, "condition")])
@given(s=any_scenarios)
def test_reported_policies_are_ratifiable_and_none_is_missed(
    theory: type[Theory], how: str, s: Scenario
) -> None:
    model = Model(s)
    expected = brute_ratifiable(model, how)
    if expected:
        decision = theory().decide(model)
        assert isinstance(decision, Decision)
        reported = policies_of(model, decision)
        assert all(all(max(row) == 1 for row in pi) for pi in reported), (
            "a mixed policy is reported though a pure one is ratifiable"
        )
        got = {tuple(row.index(1) for row in pi) for pi in reported}
        if decision.total is None or decision.total == len(reported):
            assert got == expected
        else:
            assert got <= expected and decision.total == len(expected)
        return
    event("no ratifiable pure policy")
    assert not ratifiable_pure(model, how).policies  # type: ignore[arg-type]
    if mixed_profiles(model) > MIXED_BUDGET:
        event("mixed search skipped (too slow for this profile)")
        return
    decision = theory().decide(model)
    for pi in policies_of(model, decision):
        assert any(max(row) != 1 for row in pi), f"{pi} is pure but not ratifiable"
        assert mixed_ratifiable(model, pi, how), f"the mixed policy {pi} is not ratifiable"


def mixed_ratifiable(model: Model, pi: Behaviour, how: str) -> bool:
    """Every act π plays has a defined expected utility against π, at least every other act's,
    comparing at ε = 0 (DESIGN.md §2: deliberational equilibria). Algebraic numbers are
    compared as floats with a tolerance of 10⁻⁹."""
    for o, row in enumerate(pi):
        eus = [
            expected_utility(model, pi, o, a, how=how)  # type: ignore[arg-type]
            for a in range(len(model.actions))
        ]
        defined = [leading(e) for e in eus if e is not None]
        for a, p in enumerate(row):
            if p == 0:
                continue
            e = eus[a]
            if e is None and defined:
                return False
            if e is not None and any(float(leading(e) - d) < -1e-9 for d in defined):
                return False
    return True


@pytest.mark.parametrize("how", ["intervene", "condition"])
@given(s=any_scenarios, data=st.data())
def test_expected_utilities_agree_with_brute_force(
    how: str, s: Scenario, data: st.DataObject
) -> None:
    """EDT's and CDT's expected utility of each act at each observation, against pure policies,
    is DESIGN.md §2's definition."""
    model = Model(s)
    brute = Brute(s)
    n = len(s.actions)
    policies = list(all_pure(model))
    for sigma in data.draw(
        st.lists(st.sampled_from(policies), min_size=1, max_size=4, unique=True), label="sigmas"
    ):
        smap = sigma_map(model, sigma)
        for o, obs in enumerate(model.observations):
            for a in range(n):
                got = expected_utility(model, pure(sigma, n), o, a, how=how)  # type: ignore[arg-type]
                want = brute.eu(smap, key(obs), a, how)
                assert close(got, want), (
                    f"EU({s.actions[a]} | {obs}) against {sigma} ({how}): "
                    f"engine {got}, brute force {want}"
                )


# -- invariances ----------------------------------------------------------------------------------


def decide(theory: type[Theory], model: Model) -> tuple[Behaviour, ...]:
    """``theory``'s policies, rejecting the example when the engine would run a mixed search
    too slow for the quick profile."""
    if theory is not FDT and mixed_profiles(model) > MIXED_BUDGET:
        how = "intervene" if theory is CDT else "condition"
        if not ratifiable_pure(model, how).policies:  # type: ignore[arg-type]
            reject()
    return policies_of(model, theory().decide(model))


@given(
    s=any_scenarios,
    scale=st.sampled_from([Fraction(1, 3), Fraction(2), Fraction(7, 2), Fraction(1000)]),
    shift=st.integers(min_value=-50, max_value=50),
)
def test_positive_affine_utility_changes_no_policy(
    s: Scenario, scale: Fraction, shift: int
) -> None:
    changed = with_utility(s, scale, shift)
    model, model2 = Model(s), Model(changed)
    for theory in (CDT, EDT, FDT):
        assert decide(theory, model) == decide(theory, model2), theory.name


def _strings(s: Scenario) -> list[str]:
    found: list[str] = list(s.actions)
    exprs = [s.utility] + ([s.predictor.prefer] if s.predictor.prefer else [])
    for v in s.variables:
        exprs.extend(v.expressions())
        if isinstance(v, Chance):
            found.extend(x for x, _ in v.outcomes if isinstance(x, str))
        elif isinstance(v, Select):
            found.extend(x for x in v.options if isinstance(x, str))
        elif isinstance(v, Correlate):
            found.extend(x for x in v.labels() if isinstance(x, str))
        elif isinstance(v, Prediction) and v.given:
            found.extend(x for _, x in v.given if isinstance(x, str))
    for e in exprs:
        for node in ast.walk(ast.parse(e.source, mode="eval")):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.append(node.value)
    return list(dict.fromkeys(found))


@given(s=any_scenarios, data=st.data())
def test_renaming_changes_no_verdict(s: Scenario, data: st.DataObject) -> None:
    """Renaming actions, variables, parameters and string labels (by a random injective map,
    which also changes their alphabetical order) changes every verdict only by the renaming."""
    names = [v.name for v in s.variables] + list(s.parameters)
    strings = _strings(s)
    new_names = data.draw(st.permutations(range(len(names))), label="names")
    new_strings = data.draw(st.permutations(range(len(strings))), label="strings")
    name_map = {old: f"n{i}" for old, i in zip(names, new_names, strict=True)}
    string_map = {old: f"s{i}" for old, i in zip(strings, new_strings, strict=True)}
    renamed = rename(s, names=name_map, strings=string_map)
    note(dumps(renamed))
    model, model2 = Model(s), Model(renamed)

    def mapped(pis: Sequence[Behaviour]) -> set[frozenset[Any]]:
        out = set()
        for item in canonical(model, pis):
            out.add(
                frozenset(
                    (
                        key([string_map.get(x, x) if isinstance(x, str) else x for _, x in obs]),
                        string_map[a],
                        p,
                    )
                    for obs, a, p in item
                )
            )
        return out

    for theory in (CDT, EDT, FDT):
        assert mapped(decide(theory, model)) == canonical(model2, decide(theory, model2)), (
            theory.name
        )


@given(s=any_scenarios, data=st.data())
def test_reordering_independent_variables_changes_no_verdict(
    s: Scenario, data: st.DataObject
) -> None:
    """Variables listed in another order that keeps every variable after those it names (a
    random topological order) make the same problem."""
    names = {v.name for v in s.variables}
    placed: list[Variable] = []
    left = list(s.variables)
    while left:
        done = {v.name for v in placed}
        ready = [v for v in left if (names_of(v) & names) <= done]
        v = data.draw(st.sampled_from(ready), label="next variable")
        placed.append(v)
        left.remove(v)
    if [v.name for v in placed] == [v.name for v in s.variables]:
        reject()
    reordered = replace_scenario(s, variables=placed)
    model, model2 = Model(s), Model(reordered)
    for theory in (CDT, EDT, FDT):
        assert canonical(model, decide(theory, model)) == canonical(
            model2, decide(theory, model2)
        ), theory.name


@given(s=decision_problems())
def test_without_a_predictor_the_theories_agree(s: Scenario) -> None:
    """No predictions, selects or correlates: CDT, EDT and FDT choose the same policies (every
    observation has positive probability, so each picks the best acts at each)."""
    model = Model(s)
    cdt = canonical(model, decide(CDT, model))
    assert cdt == canonical(model, decide(EDT, model)) == canonical(model, decide(FDT, model))


SELECT_NEVER_PICKED = loads(
    """
newcomb: 1
name: A select the predictor never picks
actions: [a, b]
variables:
  s: {select: [x, y]}
observes: [s]
utility: action == 'a'
predictor: {prefer: s == 'x'}
"""
)


@example(s=SELECT_NEVER_PICKED)
@given(s=scenarios(predictions=False, given_predictions=False, correlates=False))
def test_without_predictions_or_correlates_the_theories_agree(s: Scenario) -> None:
    """No predictions or correlates (selects allowed): CDT, EDT and FDT choose the same
    policies, provided the predictor's preference does not depend on the act (if it does, the
    select is a prediction in disguise: its value moves with the policy)."""
    if s.predictor.prefer is not None and (s.predictor.prefer.names & ({"action"} | after_act(s))):
        reject()
    model = Model(s)
    cdt = canonical(model, decide(CDT, model))
    assert cdt == canonical(model, decide(EDT, model)) == canonical(model, decide(FDT, model))


def after_act(s: Scenario) -> set[str]:
    """The variables that depend on the act."""
    brute = Brute(s)
    return {name for name, stage in brute.stage.items() if stage == 3}


# -- the file format ------------------------------------------------------------------------------


@given(s=any_scenarios)
def test_yaml_round_trip(s: Scenario) -> None:
    assert loads(dumps(s)) == s


AMBIGUOUS = Scenario(
    name="strings YAML 1.1 writes unquoted and YAML 1.2 reads as numbers",
    actions=["1e3", "two"],
    variables=[Chance(name="c", outcomes={"0o17": "1/2", "09": "1/2"})],
    utility="action == '1e3'",
)


@example(s=AMBIGUOUS)
@given(
    s=scenarios(
        actions=action_names(pool=ACTION_NAMES + YAML_AMBIGUOUS_STRINGS),
        string_labels=STRING_LABELS + YAML_AMBIGUOUS_STRINGS,
    )
)
def test_yaml_round_trip_of_strings_yaml_versions_read_differently(s: Scenario) -> None:
    """Strings such as 1e3, 0o17 and 09 are numbers to a YAML 1.2 reader: the writer quotes."""
    assert loads(dumps(s)) == s


# -- the deliberately broken theory is caught -----------------------------------------------------


class BlindCDT(Theory):
    """CDT that ignores what it observes: the act CDT chooses knowing nothing, everywhere."""

    name = "BlindCDT"

    def decide(self, model: Model) -> Any:
        s = model.scenario
        blind = Scenario(
            name=s.name,
            actions=s.actions,
            variables=s.variables,
            utility=s.utility,
            parameters=dict(s.parameters),
            predictor=s.predictor,
            observes=[],
        )
        choice = CDT().decide(Model(blind))
        n_obs = len(model.observations)
        return type(choice)(tuple(tuple(pi[0] for _ in range(n_obs)) for pi in choice.policies))


def test_the_ratifiability_property_catches_a_cdt_that_ignores_observations() -> None:
    """Issue 4: a deliberately broken theory is caught by the property suite."""

    def caught(s: Scenario) -> bool:
        model = Model(s)
        if len(model.observations) < 2 or mixed_profiles(model) > 64:
            return False
        expected = brute_ratifiable(model, "intervene")
        reported = policies_of(model, BlindCDT().decide(model))
        return {tuple(row.index(1) for row in pi) for pi in reported} != expected

    assert find(
        decision_problems(),
        caught,
        settings=settings(
            max_examples=500,
            phases=[Phase.generate],
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )


# -- engine discrepancies found by the properties, pinned -----------------------------------------


NUMERIC_GIVEN = """
newcomb: 1
name: Transparent Newcomb with a numeric box
actions: [one_box, two_box]
variables:
  prediction: {predicts: action, given: {box: 1000000}, accuracy: 99/100}
  box: {value: "1000000 if prediction == 'one_box' else 0"}
observes: [box]
utility: box + 1000*(action == 'two_box')
"""


def test_given_may_name_a_number_a_value_computes() -> None:
    model = Model(loads(NUMERIC_GIVEN))
    fdt = {tuple(row.index(1) for row in pi) for pi in policies_of(model, FDT().decide(model))}
    full = next(i for i, o in enumerate(model.observations) if o == (1000000,))
    assert all(sigma[full] == 0 for sigma in fdt)  # FDT one-boxes on the full box


DOMINANCE = """
newcomb: 1
name: Dominance with an observed correlate
actions: [a, b]
variables:
  c:
    correlate: {a: {x: 1, y: 0}, b: {x: 0, y: 1}}
    prior: {x: 1/2, y: 1/2}
observes: [c]
utility: action == 'b'
"""


def test_cdt_takes_a_dominant_act_at_an_observed_correlate() -> None:
    model = Model(loads(DOMINANCE))
    assert is_ratifiable(model, pure((1, 1), 2), "intervene")
