"""The observation space: every observation some world can produce, and policies over it.

A policy ranges over the observations that some world can produce (DESIGN.md §2), trembles
included: those the compiled tables show under any choice of the predictor and any policy,
and those ``given`` predictions ask about. They are ordered by the order the file lists each
observed variable's values (computed values by their canonical order), so that the order does
not depend on the parameters. Policies are turned between :class:`~newcomb.model.Policy` and
index form (:data:`Behaviour`) here.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from .errors import LimitError, ScenarioError
from .model import Chance, Correlate, Label, Policy, Prediction, Select
from .stages import Stages

__all__ = ["Behaviour", "ObservationSpace", "mixture"]

Behaviour = tuple[tuple[Fraction, ...], ...]
"""A policy in index form: for each observation (in :attr:`ObservationSpace.observations`
order) the probability of each action (in the scenario's action order)."""


def mixture(pi: Behaviour, max_mixed: int) -> list[tuple[tuple[int, ...], Any]]:
    """The pure policies a behaviour policy draws, with their probabilities (a product of
    independent per-observation lotteries), after checking ``Limits.max_mixed``."""
    from .series import is_zero

    choices = [[(a, p) for a, p in enumerate(row) if not is_zero(p)] for row in pi]
    n = 1
    for c in choices:
        n *= len(c)
    if n > max_mixed:
        raise LimitError(
            f"this mixed policy draws {n} pure policies, more than the bound of "
            f"{max_mixed} (raise it with --max-mixed)"
        )
    out = []
    for combo in itertools.product(*choices):
        weight: Any = Fraction(1)
        for _, p in combo:
            weight = weight * p
        out.append((tuple(a for a, _ in combo), weight))
    return out


class ObservationSpace:
    """The observations of a scenario, in a fixed order, and their indices."""

    def __init__(
        self,
        st: Stages,
        shown: Sequence[tuple[tuple[Label, ...], Any, Any]],
        asked: Sequence[tuple[str, tuple[Label, ...]]] = (),
    ) -> None:
        """Every observation some world can produce, whatever the policy and predictions.

        It is read off the compiled tables (``shown``: each leaf's observation, from
        :meth:`newcomb.compiled.Compiled.compile`), which evaluate every
        variable in every reachable context once and so also validate the scenario's numbers
        (sums to 1, accuracies, types of the utility) before any theory runs. A correlate's
        value counts as reachable when its prior or its probability given some act is
        positive (EDT's worlds follow the latter).
        """
        self.st = st
        self.actions = st.actions
        self.observes = st.observes
        self.scenario = st.scenario
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
        stated = [
            (v.name, self.st.given_tuple(v))
            for v in self.scenario.variables
            if isinstance(v, Prediction) and v.given is not None and not v.computed_given
        ]
        for name, g in (*stated, *asked):
            for i, x in enumerate(g):
                if domains[i] and (type(x), x) not in in_domain[i]:
                    raise ScenarioError(
                        f"{self.observes[i]} never takes the value {x!r} (it takes: "
                        + ", ".join(repr(y) for y in domains[i])
                        + ")",
                        ("variables", name, "given", self.observes[i]),
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

        self.observations: tuple[tuple[Label, ...], ...] = tuple(sorted(found.values(), key=rank))
        self._index = {_label_key(o): i for i, o in enumerate(self.observations)}
        self.given_index: dict[str, int] = {name: self.index_of(g) for name, g in stated}
        """The observation each ``given`` prediction of stated labels asks about, by name."""
        self.given_observations = frozenset(
            [*self.given_index.values(), *(self.index_of(g) for _, g in asked)]
        )
        """Every observation some ``given`` prediction asks about (the policy is consulted
        there): those stated, and those computed in some world."""

    def asked(self, v: Prediction, env: Mapping[str, Any]) -> int:
        """The index of the observation the ``given`` prediction ``v`` asks about in ``env``."""
        if v.computed_given:
            return self.index_of(self.st.given_in(v, env))
        return self.given_index[v.name]

    def index_of(self, obs: Sequence[Label]) -> int:
        """The index of an observation (a tuple of labels in ``observes`` order)."""
        return self._index[_label_key(obs)]

    def observation_of(self, env: Mapping[str, Any]) -> int:
        key = _label_key(tuple(env[o] for o in self.observes))
        try:
            return self._index[key]
        except KeyError:  # pragma: no cover - the observation space is a superset
            raise ScenarioError(f"unexpected observation {key}", ("observes",)) from None

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


def _canonical(x: Label) -> tuple[int, Any]:
    """A sort key for computed labels: booleans, then numbers, then strings."""
    if isinstance(x, bool):
        return (0, int(x))
    if isinstance(x, int | Fraction):
        return (1, x)
    return (2, str(x))


def _label_key(obs: Sequence[Label]) -> tuple[tuple[type, Label], ...]:
    return tuple((type(x), x) for x in obs)
