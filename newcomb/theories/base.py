"""The extension point: what a decision theory is.

A theory is a small class with a unique ``name``, a docstring that says what it does (with
references), and one method, :meth:`Theory.decide`, that receives the compiled problem
(:class:`~newcomb.world.Model`, whose queries are in :mod:`newcomb.query`) and returns its
policies. A plain :class:`~newcomb.model.Policy`, or a function from an observation (a dict of
the observed variables) to an action, can stand in for a theory: :func:`as_theory` wraps it.
:func:`run_theory` is how the engine calls a theory: inside the guard of
:mod:`newcomb.theories.result`, which also reads what it returned.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from ..errors import UsageError
from ..model import Policy
from ..query import Query, expected_utility, pure_expected_utilities
from ..series import Num
from ..world import Behaviour, Model
from .result import Decision, distribution, interpret, one_line, policy_rows, shown, user_code

__all__ = ["Decision", "FixedPolicy", "Theory", "as_theory", "eu_table", "run_theory"]

QUERIES = (None, "condition", "intervene", "policy")


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
        if cls.query not in QUERIES:
            raise TypeError(
                f"theory class {cls.__name__}: query is {cls.query!r}; expected one of "
                "'condition', 'intervene', 'policy' or None"
            )


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

    def __init__(self, name: str, policy: Policy | Callable[..., Any]) -> None:
        self.label = name
        self.policy = policy

    def decide(self, model: Model) -> Decision:
        if isinstance(self.policy, Policy):
            return Decision((policy_rows(model, self.policy, self.label),))
        rows = []
        for i in range(len(model.observations)):
            obs = model.observation_dict(i)
            with user_code(self.label, f"the policy function on {shown(obs)}"):
                out = self.act("action", obs)
                rows.append(distribution(model, out, self.label, obs))
        return Decision((tuple(rows),))

    def act(self, decision: str, observation: Mapping[str, Any]) -> Any:
        """What the policy function returns at ``decision`` (an information set's name;
        ``action`` for a scenario's one implicit decision) on ``observation``: a function of
        two arguments gets both, a function of one the observation only."""
        fn = self.policy
        assert callable(fn)
        if takes_decision(fn):
            return fn(decision, dict(observation))
        return fn(dict(observation))


def run_theory(model: Model, theory: Theory) -> Decision:
    """Run ``theory`` on ``model`` and read what it returned (:func:`~.result.interpret`).

    The one way the report, the thresholds and the sweeps call a theory: its code runs inside
    :class:`~.result.user_code` (prints go to stderr; whatever it raises, other than the
    project's errors and ``KeyboardInterrupt``, becomes a ``UsageError`` naming it).
    """
    name = theory_name(theory)
    with user_code(name, "decide"):
        return interpret(model, theory.decide(model), name)


def as_theory(obj: Any, label: str) -> Theory:
    """Turn what a user named (a Theory class or instance, a Policy, or a function) into a
    Theory, checking it; raise :class:`UsageError` naming ``label`` otherwise."""
    if isinstance(obj, type) and issubclass(obj, Theory):
        if inspect.isabstract(obj):
            raise UsageError(f"{label}: theory class {obj.__name__} does not implement decide()")
        try:
            inspect.signature(obj).bind()
        except ValueError:  # no signature to read: let the call below say what is wrong
            pass
        except TypeError as e:
            raise UsageError(
                f"{label}: cannot create {obj.__name__}() without arguments: {one_line(str(e))}"
            ) from None
        with user_code(label, f"{obj.__name__}()"):
            return obj()
    if isinstance(obj, Theory):
        return obj
    if isinstance(obj, Policy):
        return FixedPolicy(label, obj)
    if isinstance(obj, type):
        raise UsageError(
            f"{label}: the class {obj.__name__} is not a newcomb.Theory subclass; expected a "
            "Theory subclass, a Policy or a function of the observation"
        )
    if callable(obj):
        try:
            sig = inspect.signature(obj)
        except (TypeError, ValueError):
            sig = None
        if sig is None or not (_binds(sig, 1) or _binds(sig, 2)):
            raise UsageError(
                f"{label}: a policy function must take one argument (the observation dict), or "
                "two (the decision's information set and the observation dict)"
            )
        return FixedPolicy(label, obj)
    raise UsageError(
        f"{label}: expected a Theory subclass, a Policy or a function of the observation, "
        f"got {type(obj).__name__}"
    )


def _binds(sig: inspect.Signature, n: int) -> bool:
    try:
        sig.bind(*(object() for _ in range(n)))
    except TypeError:
        return False
    return True


def takes_decision(fn: Callable[..., Any]) -> bool:
    """Whether a policy function takes the decision as well as the observation: it can be
    called with two arguments and not with one."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    return _binds(sig, 2) and not _binds(sig, 1)


def theory_name(t: Theory) -> str:
    return t.label if isinstance(t, FixedPolicy) else t.name
