"""Phase diagrams: each theory's verdict over a grid of two parameters, with exact boundaries.

For two parameters x and y on grids, :func:`phase`

1. fixes y at each grid row (exactly) and finds the theory's regions in x there with
   :func:`newcomb.thresholds.thresholds`: the compiled sweep machinery, exact thresholds
   once per row, then each grid point placed in its region exactly (rational arithmetic);
2. names each cell's **verdict**: the theory's policies there, pure ones exactly and mixed
   ones by their support (as :func:`newcomb.thresholds.verdict_key` counts verdicts), keyed by
   the observations' labels so that rows whose observation spaces differ still compare;
3. collects the **boundary**: every row's thresholds (exact x at that exact y), and, for each
   grid column where the verdict changes between two rows, that column's thresholds in y
   (exact y at that exact x), so that boundaries parallel to the x axis are found as well.

Every boundary point is exact (a rational or an algebraic number, as ``thresholds`` gives it);
points between grid lines are not interpolated. The work is one threshold search per row and
per column crossed by a boundary: about as fast as the symbolic search in one parameter allows
(a few milliseconds a row for pure verdicts, tenths of a second where mixed equilibria move).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .check import describe_label
from .errors import ScenarioError, UsageError
from .model import Scenario
from .sweep import Grid, _region_of  # the exact placing of grid points in regions
from .theories import Theory
from .thresholds import Thresholds, thresholds
from .world import Behaviour, Limits, Model

__all__ = ["Phase", "PhaseColumn", "Verdict", "phase", "phase_json", "verdict_of"]


@dataclass(frozen=True)
class Verdict:
    """One verdict a theory reaches somewhere on the grid, with a short text for legends."""

    key: Any
    text: str


@dataclass(frozen=True)
class PhaseColumn:
    """One theory over the grid.

    Attributes
    ----------
    cells:
        numpy int array of shape (y count, x count): the index in ``verdicts`` of each cell's
        verdict, −1 where the scenario is invalid (or the verdict is left open, at an
        irrational threshold).
    boundary:
        Exact points (x, y) where the verdict changes, each once, in the order found (rows
        first, then columns).
    """

    theory: str
    verdicts: tuple[Verdict, ...]
    cells: Any
    boundary: tuple[tuple[Any, Any], ...]


@dataclass(frozen=True)
class Phase:
    """Every theory's verdicts over the grid ``x`` × ``y`` (``xs``, ``ys``: float arrays)."""

    x: Grid
    y: Grid
    xs: Any
    ys: Any
    columns: tuple[PhaseColumn, ...]


def _row_key(row: Sequence[Any]) -> tuple[Any, ...]:
    mixed = any(0 < p < 1 for p in row)
    return tuple(p != 0 for p in row) if mixed else tuple(Fraction(p) for p in row)


def verdict_of(model: Model, policies: Sequence[Behaviour] | None) -> Verdict | None:
    """The verdict of ``policies`` (indexed by ``model``'s observations): its key and text.

    ``None`` for no answer (an invalid scenario). Keys compare across models whose
    observation spaces differ, since they name observations by their labels."""
    if policies is None:
        return None
    key = tuple(
        tuple(
            sorted(
                (tuple((type(x).__name__, x) for x in obs), _row_key(row))
                for obs, row in zip(model.observations, pi, strict=True)
            )
        )
        for pi in policies
    )
    texts = [_text(model, pi) for pi in policies]
    return Verdict(key, " | ".join(texts) if texts else "none")


def _text(model: Model, pi: Behaviour) -> str:
    """``always two_box``, ``seen=full → one_box; seen=empty → two_box``; a mixed row names
    its support (``stay/flee mixed``): its probabilities vary within the verdict."""
    parts = []
    for o, row in enumerate(pi):
        acts = [model.actions[a] for a, p in enumerate(row) if p]
        what = acts[0] if len(acts) == 1 else "/".join(acts) + " mixed"
        cond = ", ".join(f"{k}={describe_label(v)}" for k, v in model.observation_dict(o).items())
        parts.append((cond, what))
    if len({w for _, w in parts}) == 1:
        return f"always {parts[0][1]}" if len(parts) > 1 or parts[0][0] else parts[0][1]
    return "; ".join(f"{c} → {w}" for c, w in parts)


def _within(v: Any, grid: Grid) -> bool:
    try:
        return bool(grid.lo <= v <= grid.hi)
    except TypeError:
        return grid.lo <= float(v) <= grid.hi


def phase(
    scenario: Scenario,
    theories: Sequence[Theory],
    x: Grid,
    y: Grid,
    *,
    limits: Limits | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Phase:
    """Each theory's verdict at every grid cell, and the exact boundary points (see the module
    docstring). Theories without a query (fixed policies) are left out, as in a sweep."""
    for g in (x, y):
        if g.parameter not in scenario.parameters:
            known = ", ".join(scenario.parameters) or "none"
            raise ScenarioError(
                f"no parameter named {g.parameter!r} (parameters: {known})", ("parameters",)
            )
    if x.parameter == y.parameter:
        raise UsageError(f"--x and --y name the same parameter {x.parameter!r}")
    chosen = [t for t in theories if t.query is not None]
    total = len(chosen) * y.count
    columns = []
    for n, theory in enumerate(chosen):

        def tick(j: int, n: int = n) -> None:
            if progress is not None:
                progress(n * y.count + j + 1, total)

        columns.append(_column(scenario, theory, x, y, limits, tick))
    return Phase(x, y, _floats(x), _floats(y), tuple(columns))


def _column(
    scenario: Scenario,
    theory: Theory,
    x: Grid,
    y: Grid,
    limits: Limits | None,
    tick: Callable[[int], None],
) -> PhaseColumn:
    """One theory over the grid: steps 1 to 3 of the module docstring."""
    import numpy as np

    found: dict[Any, int] = {}
    verdicts: list[Verdict] = []
    cells = np.full((y.count, x.count), -1, dtype=np.int64)
    boundary: list[tuple[Any, Any]] = []
    for j in range(y.count):
        yv = y.point(j)
        th, model = _row(scenario, theory, x.parameter, y.parameter, yv, limits)
        if th is not None and model is not None:
            region = _region_of(x, th)
            for i, r in enumerate(th.regions):
                v = verdict_of(model, r.policies)
                if v is None:
                    continue
                if v.key not in found:
                    found[v.key] = len(verdicts)
                    verdicts.append(v)
                cells[j, region == i] = found[v.key]
            boundary.extend((p, yv) for p in th.points if _within(p, x))
        tick(j)
    changes = (cells[1:] != cells[:-1]).any(axis=0) if y.count > 1 else np.zeros(0, bool)
    for i in np.nonzero(changes)[0].tolist():
        xv = x.point(i)
        th, _ = _row(scenario, theory, y.parameter, x.parameter, xv, limits)
        if th is not None:
            boundary.extend((xv, p) for p in th.points if _within(p, y))
    unique = tuple(dict.fromkeys(boundary))  # a point both searches find, once
    return PhaseColumn(theory.name, tuple(verdicts), cells, unique)


def _row(
    scenario: Scenario,
    theory: Theory,
    free: str,
    fixed: str,
    at: Fraction,
    limits: Limits | None,
) -> tuple[Thresholds | None, Model | None]:
    """The theory's regions in ``free`` with ``fixed`` set to ``at``, and the symbolic model
    its policies are indexed by; ``(None, None)`` where the scenario is invalid there."""
    try:
        s = scenario.with_parameters(**{fixed: at})
        return (
            thresholds(s, theory, free, limits=limits),
            Model(s, limits=limits, symbols=[free]),
        )
    except ScenarioError:
        return None, None


def _floats(g: Grid) -> Any:
    import numpy as np

    if g.count == 1:
        return np.array([float(g.lo)])
    return float(g.lo) + (float(g.hi) - float(g.lo)) * np.arange(g.count) / (g.count - 1)


def phase_json(result: Phase) -> dict[str, Any]:
    """A phase diagram as plain data (``newcomb phase --json``)."""

    def grid(g: Any) -> dict[str, Any]:
        return {"parameter": g.parameter, "from": str(g.lo), "to": str(g.hi), "count": g.count}

    return {
        "schema_version": 1,
        "command": "phase",
        "x": grid(result.x),
        "y": grid(result.y),
        "theories": [
            {
                "theory": c.theory,
                "verdicts": [v.text for v in c.verdicts],
                "cells": c.cells.tolist(),
                "boundary": [[str(p), str(q)] for p, q in c.boundary],
            }
            for c in result.columns
        ],
    }
