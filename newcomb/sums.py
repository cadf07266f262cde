"""The sums every question about W(π) is answered from, and the paradox rules.

W(π)'s worlds are never needed themselves by the theories: FDT needs Σ w·U and Σ w over the
consistent worlds (and over the worlds a guessing predictor makes on paradox draws), EDT and
CDT the same restricted to one observation, and CDT also Σ w·U(world with the act set to a).
All of these are linear in the worlds' weights, so they add up draw by draw and mix over the
pure policies a mixed policy draws.

This module is also the one place the paradox rules (DESIGN.md §2, ``on_paradox``) are
written: :func:`rule_value` turns the sums into a value under a rule, :func:`rule_gain` gives
the quantity a policy search maximises under it, and :func:`counts_guesses` and
:func:`refuses_paradox` answer the two questions the rest of the engine asks of a rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from .series import Num, is_zero, ratio, weighted_sums

__all__ = [
    "DrawSums",
    "ObsSums",
    "Rule",
    "Summary",
    "counts_guesses",
    "divides",
    "refuses_paradox",
    "rule_gain",
    "rule_given",
    "rule_value",
]

Rule = Literal["fail", "random", "retry"]


def counts_guesses(rule: Rule) -> bool:
    """Whether the worlds a guessing predictor makes on paradox draws count (``random``)."""
    return rule == "random"


def refuses_paradox(rule: Rule) -> bool:
    """Whether a paradox of positive probability leaves the value undefined (``fail``)."""
    return rule == "fail"


def divides(rule: Rule) -> bool:
    """Whether the value is conditioned on consistent draws, a ratio (``retry``)."""
    return rule == "retry"


def rule_value(
    rule: Rule, num: Num, den: Num, paradox: Num, guess_num: Num, guess_den: Num
) -> Num | None:
    """Expected utility under a paradox rule; ``None`` when undefined.

    ``fail``: undefined if any paradox has positive probability. ``retry``: conditioned on
    consistent draws (a ratio). ``random``: the guessing predictor's worlds count.
    """
    if refuses_paradox(rule) and not is_zero(paradox):
        return None
    if counts_guesses(rule):
        num, den = num + guess_num, den + guess_den
    if is_zero(den):
        return None
    return ratio(num, den) if divides(rule) else num


def rule_given(
    rule: Rule,
    obs_num: Num,
    obs_den: Num,
    guess_num: Num,
    guess_den: Num,
    den: Num,
    paradox: Num,
) -> tuple[Num | None, Num | None]:
    """P(O = o) and E[U | O = o] under a paradox rule, from one observation's sums.

    ``obs_num``/``obs_den`` sum w·U and w over the consistent worlds that show o,
    ``guess_num``/``guess_den`` over the guessing predictor's worlds that show it; ``den`` is
    the weight of every consistent world and ``paradox`` of the paradox draws. As
    :func:`rule_value` values the policy: ``fail`` leaves the value undefined when a paradox has
    positive probability (the probability is still that of a consistent world showing o: the
    paradox draws make up the rest); ``retry`` conditions on consistent draws, so the
    probability is divided by ``den`` (both ``None`` when no draw is consistent); ``random``
    counts the guesses. The value is ``None`` when o has probability zero at every order of ε;
    at a probability of higher order only it is the leading order's ratio (a tremble).
    """
    if counts_guesses(rule):
        obs_num, obs_den = obs_num + guess_num, obs_den + guess_den
    if divides(rule):
        if is_zero(den):
            return None, None
        p = ratio(obs_den, den)
    else:
        p = obs_den
    if (refuses_paradox(rule) and not is_zero(paradox)) or is_zero(obs_den):
        return p, None
    return p, ratio(obs_num, obs_den)


def rule_gain(rule: Rule, num: Num, guess_num: Num, den: Num, lam: Num | None) -> Num:
    """What a policy search maximises under ``rule``: the value's numerator, or under
    ``retry`` (Dinkelbach's method) ``num − λ·den`` once a ratio λ has been reached."""
    if counts_guesses(rule):
        return num + guess_num
    if lam is None:
        return num
    return num - lam * den


@dataclass(eq=False, repr=False)
class Summary:
    """The sums the theories need from W(σ), without the worlds themselves.

    Everything here is linear in the worlds' weights, so the summary of a mixed policy is the
    weighted sum of its pure policies' summaries. ``num``/``den`` sum w·U and w over consistent
    worlds; ``guess_*`` over the worlds a guessing predictor produces on paradox draws;
    ``obs_den[o]``, ``obs_num[o]`` the same restricted to observation o, and ``obs_act[o][a]``
    sums w·U(world with the act set to a) there (CDT's intervention); ``obs_guess_den[o]``,
    ``obs_guess_num[o]`` sum w and w·U over the guessing predictor's worlds that show o.
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
    obs_guess_den: list[Num] = field(default_factory=list)
    obs_guess_num: list[Num] = field(default_factory=list)

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
            [z] * n_obs,
            [z] * n_obs,
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
            self.obs_guess_den[o] = self.obs_guess_den[o] + weight * other.obs_guess_den[o]
            self.obs_guess_num[o] = self.obs_guess_num[o] + weight * other.obs_guess_num[o]
            row, orow = self.obs_act[o], other.obs_act[o]
            for a in range(len(row)):
                row[a] = row[a] + weight * orow[a]
        self.touched = self.touched | other.touched

    def value(self, rule: Rule) -> Num | None:
        """V under a paradox rule (:func:`rule_value`)."""
        return rule_value(rule, self.num, self.den, self.paradox, self.guess_num, self.guess_den)

    def given(self, rule: Rule) -> list[tuple[Num | None, Num | None]]:
        """(P(O = o), E[U | O = o]) for each observation o under a paradox rule
        (:func:`rule_given`): the terms of :meth:`value`, observation by observation."""
        return [
            rule_given(
                rule,
                self.obs_num[o],
                self.obs_den[o],
                self.obs_guess_num[o],
                self.obs_guess_den[o],
                self.den,
                self.paradox,
            )
            for o in range(len(self.obs_den))
        ]


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
    :class:`ObsSums`; ``guess_obs`` to Σ w and Σ w·U of the guessing predictor's worlds that
    show it, on a paradox draw), and the observations its worlds showed."""

    paradox: Num = Fraction(0)
    num: Num = Fraction(0)
    den: Num = Fraction(0)
    guess_num: Num = Fraction(0)
    guess_den: Num = Fraction(0)
    obs: dict[int, ObsSums] = field(default_factory=dict)
    touched: frozenset[int] = frozenset()
    guess_obs: dict[int, tuple[Num, Num]] = field(default_factory=dict)

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
        for o, (gd, gn) in self.guess_obs.items():
            s.obs_guess_den[o] = s.obs_guess_den[o] + gd
            s.obs_guess_num[o] = s.obs_guess_num[o] + gn
