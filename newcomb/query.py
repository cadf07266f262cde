"""The one expected-utility routine the theories share (DESIGN.md §2, "three queries on W").

* ``condition`` (EDT): E[U | O = o] over W(π with o ↦ a); correlates follow P(value | a).
* ``intervene`` (CDT): over the worlds of W(π) with O = o, set the act to a and recompute what
  follows it; predictions stay put; correlates follow the agent's credence in its own act,
  Σ_b π(o)(b) · P(value | b).
* ``policy`` (FDT): V(π with o ↦ a) = E[U] over W(π with o ↦ a) under the paradox rule;
  predictions move with the policy because they compute it.

Every query takes expectations over consistent worlds only: the theories believe the problem
statement that the predictor is right. Results are exact (rationals, or polynomials in ε when an
accuracy is 1); ``None`` means the query is undefined (the observation has probability zero at
every order, or under ``fail`` the policy meets a paradox).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Literal

from .errors import ScenarioError
from .expr import is_number, to_number
from .series import EPSILON, Num, is_zero, ratio
from .world import Behaviour, Model, Rule, Summary, pure

__all__ = [
    "Query",
    "act_distribution",
    "deviate",
    "expected_utility",
    "intervention_sums",
    "pure_expected_utilities",
    "pure_expected_utility",
    "value",
]

Query = Literal["condition", "intervene", "policy"]


def deviate(pi: Behaviour, obs: int, act: int) -> Behaviour:
    """π with observation ``obs`` mapped to action ``act`` for sure."""
    row = tuple(Fraction(int(i == act)) for i in range(len(pi[obs])))
    return (*pi[:obs], row, *pi[obs + 1 :])


def act_distribution(model: Model, act: int) -> tuple[Fraction, ...]:
    """The distribution that takes ``act`` for sure (shared rows: see :func:`pure`)."""
    return pure((act,), len(model.actions))[0]


def value(model: Model, pi: Behaviour, rule: Rule | None = None) -> Num | None:
    """V(π): expected utility over W(π) under a paradox rule (the scenario's by default)."""
    return model.mixed_summary(pi).value(rule or model.rule)


def tremble(credence: Sequence[Num]) -> tuple[Num, ...]:
    """CDT's credence in its own act, trembling: (1 − ε)·credence + ε·uniform.

    Used when a correlate makes the observation impossible under the exact credence (the
    agent is sure of an act under which it would never see this): DESIGN.md asks for the leading
    non-zero order, never an arbitrary value.
    """
    n = len(credence)
    return tuple((1 - EPSILON) * p + EPSILON * Fraction(1, n) for p in credence)


def physical_expected_utility(model: Model, pi: Behaviour, obs: int, act: int) -> Num | None:
    """EDT's E[U | O = obs, physical act = act] over W(π), for a scenario whose ``physical``
    variable records the act actually done (it may differ from the decision's output).

    The agent's own policy π is its belief about its output, so the policy is not changed at
    obs: conditioning on the physical act weighs the worlds where the output was that act
    against those where chance turned another output into it (the cosmic-ray problem).
    """
    name = model.scenario.physical
    target = model.actions[act]
    ws = model.mixed_worlds(pi, act_distribution(model, act))
    num: Num = Fraction(0)
    den: Num = Fraction(0)
    for w in ws.consistent():
        if w.obs != obs:
            continue
        for env, p in model.post(w.env, w.act):
            done = env[name]  # type: ignore[index]
            if not isinstance(done, str) or done not in model.actions:
                raise ScenarioError(
                    f"the physical act must be an action name, got {done!r}", ("physical",)
                )
            if done != target:
                continue
            u = model.scenario.utility(env)
            if isinstance(u, str) or not is_number(u):
                raise ScenarioError(f"expected a number, got {u!r}", ("utility",))
            num = num + w.weight * p * to_number(u)
            den = den + w.weight * p
    return None if is_zero(den) else ratio(num, den)


def pure_expected_utility(
    model: Model, sigma: list[int], obs: int, act: int, *, how: Query, rule: Rule | None = None
) -> Num | None:
    """:func:`expected_utility` for a pure policy given as a list of action indices (which is
    restored after use): only the draws that can show ``obs`` add to its sums."""
    n = len(model.actions)
    if how == "condition" and model.scenario.physical is not None:
        return physical_expected_utility(model, pure(sigma, n), obs, act)
    if how == "condition":
        keep = sigma[obs]
        sigma[obs] = act
        try:
            den, num, _ = model.local_sums(sigma, obs, act_distribution(model, act))
        finally:
            sigma[obs] = keep
    elif how == "intervene":
        corr = pure((sigma[obs],), n)[0]
        den, _, acts = model.local_sums(sigma, obs, corr)
        if is_zero(den) and model.has_correlates:
            den, _, acts = model.local_sums(sigma, obs, tremble(corr))
        num = acts[act]
    else:
        return _policy_value_with(model, sigma, obs, act, rule)
    return None if is_zero(den) else ratio(num, den)


def pure_expected_utilities(
    model: Model, sigma: list[int], obs: int, *, how: Query, rule: Rule | None = None
) -> list[Num | None]:
    """:func:`pure_expected_utility` of every act at ``obs``. CDT's are read off one set of
    sums (an intervention changes the act, not the worlds); EDT's and FDT's need one each."""
    n = len(model.actions)
    if how != "intervene":
        return [pure_expected_utility(model, sigma, obs, a, how=how, rule=rule) for a in range(n)]
    den, acts = intervention_sums(model, sigma, obs)
    if is_zero(den):
        return [None] * n
    return [ratio(x, den) for x in acts]


def intervention_sums(model: Model, sigma: list[int], obs: int) -> tuple[Num, Sequence[Num]]:
    """CDT's sums at ``obs`` against the pure policy ``sigma``: the weight of the worlds that
    show it (> 0 unless none can) and each act's Σ w·U when the act is set to it; the expected
    utilities are their ratios, so comparing acts needs no division."""
    corr = pure((sigma[obs],), len(model.actions))[0]
    den, _, acts = model.local_sums(sigma, obs, corr)
    if is_zero(den) and model.has_correlates:
        den, _, acts = model.local_sums(sigma, obs, tremble(corr))
    return den, acts


def _policy_value_with(
    model: Model, sigma: list[int], obs: int, act: int, rule: Rule | None
) -> Num | None:
    """V(σ with obs ↦ act): V(σ)'s sums, with the draws that can read obs redone."""
    total = model.summary(tuple(sigma))
    keep = sigma[obs]
    s = Summary.zero(0, 0)
    s.paradox, s.num, s.den = total.paradox, total.num, total.den
    s.guess_num, s.guess_den = total.guess_num, total.guess_den
    try:
        for d in model.draws_reading(obs):
            for sign, a in ((-1, keep), (1, act)):
                sigma[obs] = a
                part = model.draw_sums(d, sigma, None)
                s.paradox = s.paradox + sign * part.paradox
                s.num = s.num + sign * part.num
                s.den = s.den + sign * part.den
                s.guess_num = s.guess_num + sign * part.guess_num
                s.guess_den = s.guess_den + sign * part.guess_den
    finally:
        sigma[obs] = keep
    return s.value(rule or model.rule)


def expected_utility(
    model: Model,
    pi: Behaviour,
    obs: int,
    act: int,
    *,
    how: Query,
    rule: Rule | None = None,
) -> Num | None:
    """Expected utility of taking ``act`` at observation ``obs`` against policy ``pi``.

    Parameters
    ----------
    how:
        ``"condition"`` conditions on the act (EDT), ``"intervene"`` intervenes on the act (CDT),
        ``"policy"`` intervenes on the policy (FDT).
    rule:
        Paradox rule for ``how="policy"`` (the scenario's by default).
    """
    if how == "policy":
        return value(model, deviate(pi, obs, act), rule)
    if how == "condition" and model.scenario.physical is not None:
        return physical_expected_utility(model, pi, obs, act)
    if not model.exhaustive and all(sum(1 for p in row if not is_zero(p)) == 1 for row in pi):
        sigma = [next(i for i, p in enumerate(row) if not is_zero(p)) for row in pi]
        return pure_expected_utility(model, sigma, obs, act, how=how, rule=rule)
    if how == "condition":
        s = model.mixed_summary(deviate(pi, obs, act), act_distribution(model, act))
        num, den = s.obs_num[obs], s.obs_den[obs]
    elif how == "intervene":
        s = model.mixed_summary(pi, pi[obs])
        if is_zero(s.obs_den[obs]) and model.has_correlates:
            s = model.mixed_summary(pi, tremble(pi[obs]))
        num, den = s.obs_act[obs][act], s.obs_den[obs]
    else:
        raise ValueError(f"unknown query {how!r}")
    return None if is_zero(den) else ratio(num, den)
