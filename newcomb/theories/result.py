"""What a theory returns, read in one place; and the guard around every call into user code.

A theory's :meth:`~newcomb.theories.base.Theory.decide` may return

- a :class:`Decision`: its policies (each a :class:`~newcomb.model.Policy` or in index form:
  one row per observation of ``model.observations``, one exact probability per action of
  ``model.actions``), with an optional ``note`` and the ``total`` count when the list is bounded;
- a :class:`~newcomb.model.Policy`;
- a list or tuple of Policies (or of index-form policies).

:func:`interpret` turns any of these into a :class:`Decision` in index form, checked: every row
is a distribution of exact numbers (``Fraction`` or ``int``, or a real sympy number for an
algebraic mixed equilibrium; never a float), and a theory lists at most :data:`MAX_POLICIES`
policies, checked before any of them is read. The report, the thresholds, the sweeps and the
theory contract of :mod:`newcomb.testing` all read a theory's answer through it.

A policy function (observation dict to an action name or to a dict of action probabilities) is
read by :func:`distribution`. Its probabilities must be exact too: a float is refused by name,
with the advice to write ``Fraction(1, 3)`` or ``"1/3"``.

User code is called inside :class:`user_code`: whatever it raises, ``SystemExit`` included,
becomes one :class:`~newcomb.errors.UsageError` naming the theory, on one line; the project's own
errors pass through unchanged, and ``KeyboardInterrupt`` still interrupts. While it runs,
whatever it prints goes to stderr, so that stdout carries only the report (``--json`` stays
JSON).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from fractions import Fraction
from types import TracebackType
from typing import Any

from ..errors import NewcombError, ScenarioError, UsageError
from ..model import Policy, parse_number
from ..world import Behaviour, Model

__all__ = [
    "MAX_MESSAGE",
    "MAX_POLICIES",
    "Decision",
    "described",
    "distribution",
    "interpret",
    "one_line",
    "policy_rows",
    "probability",
    "shown",
    "stdout_to_stderr",
    "user_code",
]

MAX_POLICIES = 1000
"""The most policies a theory may list in one answer. Each listed policy is checked, valued under
every paradox rule and written out in full (about 1 KB of JSON each): 200,000 took 45 s, 2.3 GB
and 206 MB of JSON. A theory with more qualifying policies lists some and says how many in
``Decision.total`` (the built-ins list at most 64)."""

MAX_MESSAGE = 200
"""The most characters of user text (an exception's message, a returned value) in an error."""

_FLOAT_ADVICE = 'probabilities must be exact: write Fraction(1, 3) or a string like "1/3"'


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


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` on one line (runs of whitespace and control characters become one space),
    clipped to ``limit`` characters: user text must not break the one-line error."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def shown(x: object) -> str:
    """``repr(x)`` for an error message: one line, clipped, and safe if ``repr`` raises."""
    try:
        return one_line(repr(x))
    except Exception:
        return f"<a {type(x).__name__} that cannot be shown>"


def described(e: BaseException) -> str:
    """``TYPE: message`` of an exception from user code, on one line (safe if ``str`` raises)."""
    try:
        text = one_line(str(e))
    except Exception:
        text = ""
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def stdout_to_stderr() -> redirect_stdout[Any]:
    """A context in which ``print`` writes to stderr: stdout carries only the report."""
    return redirect_stdout(sys.stderr)


class user_code:  # lower case: used as a statement, like contextlib's managers
    """Context manager around a call into user code (a theory's ``decide``, a policy function).

    Inside it, ``sys.stdout`` is stderr. On leaving it, any exception other than the project's
    own errors and ``KeyboardInterrupt`` (``SystemExit`` included) becomes a
    :class:`~newcomb.errors.UsageError`: ``theory 'NAME': WHAT raised TYPE: message``, with the
    message on one line.

    Examples
    --------
    >>> with user_code("Mine", "decide"):
    ...     raise ValueError("no\\nidea")
    Traceback (most recent call last):
    newcomb.errors.UsageError: theory 'Mine': decide raised ValueError: no idea
    """

    def __init__(self, theory: str, what: str) -> None:
        self.theory = theory
        self.what = what
        self._redirect: redirect_stdout[Any] | None = None

    def __enter__(self) -> None:
        self._redirect = stdout_to_stderr()  # stderr as it is now (a test may swap it)
        self._redirect.__enter__()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._redirect is not None:
            self._redirect.__exit__(kind, exc, tb)
        if exc is None or isinstance(exc, NewcombError | KeyboardInterrupt):
            return  # not swallowed: it goes on as it is
        raise UsageError(f"theory {self.theory!r}: {self.what} raised {described(exc)}") from None


def probability(p: object, theory: str, where: str) -> Fraction:
    """An exact probability from user code: an int, a Fraction, or a string such as ``"1/3"``."""
    if isinstance(p, float):
        raise UsageError(f"theory {theory!r}: {where} is the float {shown(p)}; {_FLOAT_ADVICE}")
    if isinstance(p, int | Fraction) and not isinstance(p, bool):
        return Fraction(p)
    if isinstance(p, str):
        try:
            return parse_number(p)  # the scenario file's reading: bounded, no huge exponents
        except ScenarioError:
            pass
    raise UsageError(
        f"theory {theory!r}: {where} is {shown(p)}, not an exact probability "
        '(an int, a Fraction or a string like "1/3")'
    )


def distribution(
    model: Model, out: object, theory: str, obs: Mapping[str, Any]
) -> tuple[Fraction, ...]:
    """One row of index form from what a policy function returned at observation ``obs``: an
    action name, or a mapping from action names to exact probabilities that sum to 1."""
    return action_distribution(model.actions, out, theory, obs)


def action_distribution(
    actions: Sequence[str], out: object, theory: str, obs: Mapping[str, Any]
) -> tuple[Fraction, ...]:
    """:func:`distribution` over ``actions`` (a decision point's own, say)."""
    at = f"on {shown(dict(obs))}"
    n = len(actions)
    if isinstance(out, str):
        if out not in actions:
            raise UsageError(
                f"theory {theory!r}: returned {shown(out)} {at}; expected one of "
                + ", ".join(actions)
            )
        return tuple(Fraction(int(a == out)) for a in actions)
    if isinstance(out, Mapping):
        if len(out) > n:
            raise UsageError(f"theory {theory!r}: returned {len(out)} probabilities {at}")
        row = [Fraction(0)] * n
        for a, p in out.items():
            if not isinstance(a, str) or a not in actions:
                raise UsageError(f"theory {theory!r}: unknown action {shown(a)} {at}")
            if isinstance(p, float):
                raise UsageError(
                    f"theory {theory!r}: returned the float {shown(p)} as the probability of "
                    f"{a!r} {at}; {_FLOAT_ADVICE}"
                )
            row[actions.index(a)] = probability(p, theory, f"the probability of {a!r} {at}")
        _check_row(tuple(row), theory, at)
        return tuple(row)
    kind = "the float " if isinstance(out, float) else ""
    raise UsageError(
        f"theory {theory!r}: returned {kind}{shown(out)} {at}; expected an action name or a dict "
        "of action probabilities" + (f" ({_FLOAT_ADVICE})" if kind else "")
    )


def _text(row: tuple[Any, ...]) -> str:
    return one_line("(" + ", ".join(str(p) for p in row) + ")")


def _check_row(row: tuple[Any, ...], theory: str, at: str) -> None:
    """Each probability in [0, 1] and their sum exactly 1 (by sympy for algebraic numbers)."""
    if any(bool(p < 0) or bool(p > 1) for p in row):
        raise UsageError(
            f"theory {theory!r}: probabilities {at} are {_text(row)}; each must be in [0, 1]"
        )
    total = sum(row)
    if all(isinstance(p, Fraction) for p in row):
        one = total == 1
    else:
        import sympy  # only an algebraic mixed equilibrium has sympy numbers

        one = bool(sympy.simplify(total - 1) == 0)  # safe: numbers, not text
    if not one:
        raise UsageError(
            f"theory {theory!r}: probabilities {at} sum to {one_line(str(total))}, not 1"
        )


def interpret(model: Model, out: object, theory: str) -> Decision:
    """What ``decide`` returned, as a checked :class:`Decision` in index form with its ``total``.

    Raises
    ------
    UsageError
        Naming ``theory``, when ``out`` is not a Decision, a Policy or a list of Policies, lists
        more than :data:`MAX_POLICIES` policies, or holds a policy that is not a distribution
        over the model's actions at each of its observations.
    """
    note: object = None
    total: object = None
    extra: Mapping[str, Any] = {}
    if isinstance(out, Decision):
        items: object = out.policies
        note, total, extra = out.note, out.total, out.extra
    elif isinstance(out, Policy):
        items = (out,)
    elif _is_list(out) and all(isinstance(p, Policy) for p in out):  # type: ignore[attr-defined]
        items = out
    else:
        raise UsageError(
            f"theory {theory!r}: decide returned {shown(out)}; expected a Decision, a Policy or "
            "a list of Policies"
        )
    if not _is_list(items):
        raise UsageError(f"theory {theory!r}: Decision.policies is {shown(items)}, not a tuple")
    listed: Sequence[object] = items  # type: ignore[assignment]
    count = len(listed)
    if count > MAX_POLICIES:
        raise UsageError(
            f"theory {theory!r}: returned {count} policies; at most {MAX_POLICIES} may be listed "
            "(list the first ones and give the count as Decision.total)"
        )
    if note is not None and not isinstance(note, str):
        raise UsageError(f"theory {theory!r}: Decision.note is {shown(note)}, not a string")
    if total is None:
        counted = count
    elif isinstance(total, int) and not isinstance(total, bool) and total >= count:
        counted = total
    else:
        raise UsageError(
            f"theory {theory!r}: Decision.total is {shown(total)}; expected the number of "
            f"qualifying policies, at least the {count} listed"
        )
    policies = tuple(
        policy_rows(model, p, theory, i)
        if isinstance(p, Policy)
        else _index_form(model, p, theory, i)
        for i, p in enumerate(listed)
    )
    return Decision(policies, note, counted, extra)


def _is_list(x: object) -> bool:
    return isinstance(x, Sequence) and not isinstance(x, str | bytes)


def _exact(p: object, theory: str, where: str) -> Any:
    """A probability of an index-form policy: a Fraction or int, or a real sympy number."""
    if isinstance(p, Fraction):
        return p
    if isinstance(p, int) and not isinstance(p, bool):
        return Fraction(p)
    if type(p).__module__.startswith("sympy") and getattr(p, "is_number", False):
        import sympy

        if getattr(p, "is_real", False) and not p.has(sympy.Float):  # type: ignore[attr-defined]
            return p
    return probability(p, theory, where) if isinstance(p, float) else _not_exact(p, theory, where)


def _not_exact(p: object, theory: str, where: str) -> Any:
    raise UsageError(
        f"theory {theory!r}: {where} is {shown(p)}, not an exact probability (a Fraction or int)"
    )


def _index_form(model: Model, pi: object, theory: str, i: int) -> Behaviour:
    """Policy ``i`` of a Decision in index form, checked: one row per observation, one exact
    probability per action, each row a distribution."""
    n_obs, n_act = len(model.observations), len(model.actions)
    if not isinstance(pi, Sequence) or isinstance(pi, str | bytes) or len(pi) != n_obs:
        size = f"has {len(pi)} rows" if isinstance(pi, Sequence) else f"is {shown(pi)}"
        raise UsageError(
            f"theory {theory!r}: policy {i + 1} {size}; expected one row per observation "
            f"({n_obs}), each a probability per action ({n_act}), or a Policy"
        )
    rows = []
    for o, row in enumerate(pi):
        at = f"on {shown(model.observation_dict(o))}"
        if not _is_list(row) or len(row) != n_act:
            raise UsageError(
                f"theory {theory!r}: policy {i + 1} {at} is {shown(row)}; expected one "
                f"probability per action ({', '.join(model.actions)})"
            )
        values = tuple(_exact(p, theory, f"a probability of policy {i + 1} {at}") for p in row)
        _check_row(values, theory, f"of policy {i + 1} {at}")
        rows.append(values)
    return tuple(rows)


def policy_rows(model: Model, policy: Policy, theory: str, i: int = 0) -> Behaviour:
    """A :class:`~newcomb.model.Policy` in index form, checked; observations it leaves out get
    the first action (they are irrelevant to it)."""
    if tuple(policy.observes) != tuple(model.observes):
        raise UsageError(
            f"theory {theory!r}: policy {i + 1} observes {shown(tuple(policy.observes))}; the "
            f"scenario observes {shown(model.observes)}"
        )
    rules = {tuple((type(x), x) for x in obs): dist for obs, dist in policy.rules}
    first = tuple(Fraction(int(a == 0)) for a in range(len(model.actions)))
    rows = []
    for o, obs in enumerate(model.observations):
        dist = rules.get(tuple((type(x), x) for x in obs))
        if dist is None:
            rows.append(first)
            continue
        at = f"on {shown(model.observation_dict(o))}"
        row = [Fraction(0)] * len(model.actions)
        for a, p in dist:
            if not isinstance(a, str) or a not in model.actions:
                raise UsageError(
                    f"theory {theory!r}: policy {i + 1} names an unknown action {shown(a)} {at}"
                )
            row[model.actions.index(a)] += probability(
                p, theory, f"the probability of {a!r} in policy {i + 1} {at}"
            )
        _check_row(tuple(row), theory, f"of policy {i + 1} {at}")
        rows.append(tuple(row))
    return tuple(rows)
