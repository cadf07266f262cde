"""The extension point: what a decision theory is.

A theory is a small class with a unique ``name``, a docstring that says what it does (with
references), and one method, :meth:`Theory.decide`, that receives the compiled problem
(:class:`~newcomb.world.Model`, whose queries are in :mod:`newcomb.query`) and returns its
policies. A plain :class:`~newcomb.model.Policy`, or a function from an observation (a dict of
the observed variables) to an action, can stand in for a theory: :func:`as_theory` wraps it.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

from ..errors import UsageError
from ..model import Policy
from ..query import Query, expected_utility, pure_expected_utilities
from ..series import Num
from ..world import Behaviour, Model

__all__ = ["Decision", "FixedPolicy", "Theory", "as_theory", "eu_table"]


@dataclass(frozen=True)
class Decision:
    """What a theory decided.

    Attributes
    ----------
    policies:
        Its policies in index form (every ratifiable or optimal one); may be empty.
    note:
        A sentence for the reader when there is something to say (e.g. no ratifiable policy).
    total:
        How many policies qualified (can exceed ``len(policies)`` when the list is bounded).
    """

    policies: tuple[Behaviour, ...]
    note: str | None = None
    total: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


class Theory(ABC):
    """Base class of decision theories. Subclass it, set ``name``, implement :meth:`decide`.

    ``query`` names the expected-utility query the theory acts on (``"condition"``,
    ``"intervene"`` or ``"policy"``) so reports can show its expected utility per act; leave it
    ``None`` if the theory has none.
    """

    name: ClassVar[str] = ""
    query: ClassVar[Query | None] = None

    @abstractmethod
    def decide(self, model: Model) -> Decision | Policy | Sequence[Policy]:
        """Return this theory's policies for ``model``."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not inspect.isabstract(cls) and (not isinstance(cls.name, str) or not cls.name):
            raise TypeError(f"theory class {cls.__name__} needs a non-empty string 'name'")


def eu_table(model: Model, pi: Behaviour, how: Query) -> tuple[tuple[Num | None, ...], ...]:
    """Expected utility of every act at every observation against ``pi``."""
    n = len(model.actions)
    if not model.exhaustive and all(sum(1 for p in row if p) == 1 for row in pi):
        sigma = [next(i for i, p in enumerate(row) if p) for row in pi]
        return tuple(
            tuple(pure_expected_utilities(model, sigma, o, how=how))
            for o in range(len(model.observations))
        )
    return tuple(
        tuple(expected_utility(model, pi, o, a, how=how) for a in range(n))
        for o in range(len(model.observations))
    )


class FixedPolicy(Theory):
    """A fixed policy given by the user, run as if it were a theory."""

    name = "policy"

    def __init__(self, name: str, policy: Policy | Callable[[dict[str, Any]], Any]) -> None:
        self.label = name
        self.policy = policy

    def decide(self, model: Model) -> Decision:
        if isinstance(self.policy, Policy):
            return Decision((model.behaviour(self.policy),))
        rows = []
        for i in range(len(model.observations)):
            obs = model.observation_dict(i)
            try:
                out = self.policy(dict(obs))
            except Exception as e:  # a user's function may raise anything; report it
                raise UsageError(
                    f"policy {self.label}: raised {type(e).__name__}: {e} on observation {obs}"
                ) from None
            rows.append(_row(model, out, self.label, obs))
        return Decision((tuple(rows),))


def _row(model: Model, out: Any, label: str, obs: Mapping[str, Any]) -> tuple[Fraction, ...]:
    n = len(model.actions)
    if isinstance(out, str):
        if out not in model.actions:
            raise UsageError(
                f"policy {label}: returned {out!r} on {obs}; expected one of "
                + ", ".join(model.actions)
            )
        return tuple(Fraction(int(a == out)) for a in model.actions)
    if isinstance(out, Mapping):
        row = [Fraction(0)] * n
        for a, p in out.items():
            if a not in model.actions:
                raise UsageError(f"policy {label}: unknown action {a!r} on {obs}")
            try:
                row[model.actions.index(a)] = Fraction(p)
            except (TypeError, ValueError):
                raise UsageError(f"policy {label}: probability {p!r} is not exact") from None
        if sum(row) != 1 or min(row) < 0:
            raise UsageError(f"policy {label}: probabilities on {obs} do not sum to 1")
        return tuple(row)
    raise UsageError(
        f"policy {label}: returned {out!r} on {obs}; expected an action name or a dict of "
        "action probabilities"
    )


def as_theory(obj: Any, label: str) -> Theory:
    """Turn what a user named (a Theory class or instance, a Policy, or a function) into a
    Theory, checking it; raise :class:`UsageError` naming ``label`` otherwise."""
    if isinstance(obj, type) and issubclass(obj, Theory):
        if inspect.isabstract(obj):
            raise UsageError(f"{label}: theory class {obj.__name__} does not implement decide()")
        try:
            return obj()
        except TypeError as e:
            raise UsageError(
                f"{label}: cannot create {obj.__name__}() without arguments: {e}"
            ) from None
    if isinstance(obj, Theory):
        return obj
    if isinstance(obj, Policy):
        return FixedPolicy(label, obj)
    if callable(obj):
        try:
            sig = inspect.signature(obj)
            sig.bind(object())
        except (TypeError, ValueError):
            raise UsageError(
                f"{label}: a policy function must take one argument (the observation dict)"
            ) from None
        return FixedPolicy(label, obj)
    raise UsageError(
        f"{label}: expected a Theory subclass, a Policy or a function of the observation, "
        f"got {type(obj).__name__}"
    )


def theory_name(t: Theory) -> str:
    return t.label if isinstance(t, FixedPolicy) else t.name
