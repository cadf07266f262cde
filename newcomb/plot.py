"""Figures: sweeps, phase diagrams and simulations, drawn with matplotlib (an optional extra).

Each function takes a result the library already computed and returns a
:class:`matplotlib.figure.Figure`, built without pyplot (no global state, no backend chosen
behind the caller's back); ``fig.savefig(path)`` writes PNG, SVG or PDF by the path's suffix.
matplotlib is imported only here, inside the functions, so that nothing else pays for it; if it
is missing they raise :class:`~newcomb.errors.UsageError` with the line to install it.

The figures' data are the results' own numbers: a sweep's lines are its grid and values, its
dashed lines the exact thresholds (their ``gid`` is the exact value, as a string), a phase
diagram's image is its grid of verdicts, a simulation's lines its running means.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import UsageError

if TYPE_CHECKING:  # annotations only: matplotlib is optional
    from matplotlib.figure import Figure

    from .phase import Phase
    from .simulate import Simulation
    from .study import StudyResult
    from .sweep import Sweep

__all__ = [
    "FORMATS",
    "MISSING",
    "plot_phase",
    "plot_simulation",
    "plot_study",
    "plot_sweep",
    "save",
]

MISSING = "plotting needs matplotlib: pip install 'newcomb[plot]'"
FORMATS = ("png", "svg", "pdf")


def _figure(**kwargs: Any) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise UsageError(MISSING) from None
    return Figure(**kwargs)


def save(fig: Figure, path: Any) -> None:
    """Write ``fig`` to ``path``, whose suffix names the format (png, svg or pdf)."""
    from pathlib import Path

    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise UsageError(f"--plot {str(path)!r}: expected a file ending .png, .svg or .pdf")
    from matplotlib import rc_context

    with rc_context({"svg.hashsalt": "newcomb"}):  # SVG ids from a fixed salt, not at random
        fig.savefig(path, format=suffix, metadata=_metadata(suffix))


def _metadata(fmt: str) -> dict[str, Any]:
    """No dates or versions in the file, so the same figure gives the same bytes."""
    if fmt == "svg":
        return {"Date": None, "Creator": None}
    if fmt == "pdf":
        return {"CreationDate": None, "Creator": None, "Producer": None}
    return {"Software": None}


def plot_sweep(result: Sweep) -> Figure:
    """Each theory's value against the parameter, one panel per theory: the exact thresholds
    as dashed vertical lines, each region labelled with the theory's policy there."""
    import numpy as np

    from .render import sweep_columns

    n = max(1, len(result.columns))
    fig = _figure(figsize=(8, 1.2 + 2.2 * n), layout="constrained")
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
    x = result.points
    texts = sweep_columns(result)
    for k, (ax, col, (_, labels, region, _valued)) in enumerate(
        zip(axes, result.columns, texts, strict=False)
    ):
        ax.plot(x, col.values, color=f"C{k}", label=col.theory, gid="value")
        for t in col.thresholds.points:
            if float(result.grid.lo) <= float(t) <= float(result.grid.hi):
                ax.axvline(float(t), color="0.4", linestyle="--", linewidth=1, gid=str(t))
                ax.text(
                    float(t),
                    0.03,
                    f" {result.grid.parameter} = {t}",
                    transform=ax.get_xaxis_transform(),
                    fontsize=8,
                    color="0.3",
                    gid="threshold",
                )
        for i, r in enumerate(col.thresholds.regions):
            inside = region == i
            if r.point or not inside.any():
                continue
            mid = float(np.mean(x[inside]))
            ax.text(
                mid,
                0.96,
                labels[i],
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="top",
                fontsize=9,
                wrap=True,
                gid="region",
            )
        ax.set_ylabel(f"{col.theory} value")
        ax.margins(y=0.25)
    axes[-1].set_xlabel(result.grid.parameter)
    fig.suptitle(result.model.scenario.name)
    return fig


def plot_phase(result: Phase) -> Figure:
    """Each theory's verdict over the two-parameter grid, one panel per theory, with the
    exact boundary points found by the threshold search (black dots)."""
    import numpy as np

    fig = _figure(figsize=(4.6 * max(1, len(result.columns)), 5.2), layout="constrained")
    axes = fig.subplots(1, max(1, len(result.columns)), squeeze=False)[0]
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    x0, x1, y0, y1 = (float(v) for v in (result.x.lo, result.x.hi, result.y.lo, result.y.hi))
    dx = (x1 - x0) / max(1, result.x.count - 1) / 2 or 0.5
    dy = (y1 - y0) / max(1, result.y.count - 1) / 2 or 0.5
    shade: dict[str, str] = {}  # one colour per verdict across the panels
    for col in result.columns:
        for v in col.verdicts:
            shade.setdefault(v.text, f"C{len(shade) % 10}")
    for ax, col in zip(axes, result.columns, strict=False):
        n = max(1, len(col.verdicts))
        colours = [shade[v.text] for v in col.verdicts] or ["white"]
        cmap = ListedColormap(colours).with_extremes(bad="white")
        cells = np.ma.masked_less(col.cells, 0)
        ax.imshow(
            cells,
            origin="lower",
            extent=(x0 - dx, x1 + dx, y0 - dy, y1 + dy),
            aspect="auto",
            cmap=cmap,
            vmin=-0.5,
            vmax=n - 0.5,
            interpolation="nearest",
            alpha=0.55,
        )
        if col.boundary:
            bx = [float(p) for p, _ in col.boundary]
            by = [float(q) for _, q in col.boundary]
            ax.plot(bx, by, "k.", markersize=2, gid="boundary")
        ax.legend(
            handles=[Patch(color=shade[v.text], alpha=0.55, label=v.text) for v in col.verdicts],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.12),
            fontsize=8,
            frameon=False,
        )
        ax.set_title(col.theory)
        ax.set_xlabel(result.x.parameter)
        ax.set_ylabel(result.y.parameter)
    return fig


def plot_simulation(result: Simulation) -> Figure:
    """Each theory's running mean payoff against the number of episodes (log scale), one panel
    per theory: the exact value as a dashed line and the final 99% interval as an error bar."""
    import numpy as np

    shown = [(k, t) for k, t in enumerate(result.theories) if t.mean is not None]
    fig = _figure(figsize=(8, 1.2 + 2.2 * max(1, len(shown))), layout="constrained")
    axes = fig.subplots(max(1, len(shown)), 1, sharex=True, squeeze=False)[:, 0]
    n = result.episodes
    steps = np.unique(np.geomspace(1, n, num=min(n, 2000)).round().astype(np.int64))
    for ax, (k, t) in zip(axes, shown, strict=False):
        running = t.running_mean()
        ax.plot(steps, running[steps - 1], color=f"C{k}", label=t.theory, gid="running")
        if t.exact is not None:
            ax.axhline(float(t.exact), color="0.3", linestyle="--", linewidth=1, gid="exact")
        if t.ci is not None and t.mean is not None:
            lo, hi = t.ci
            ax.errorbar(
                [n],
                [t.mean],
                yerr=[[t.mean - lo], [hi - t.mean]],
                color=f"C{k}",
                capsize=3,
                gid="interval",
            )
        ax.set_ylabel(f"{t.theory} mean")
    axes[0].set_xscale("log")
    axes[-1].set_xlabel("episodes")
    fig.suptitle(f"{result.name}: {n} episodes, seed {result.seed}")
    return fig


def plot_study(result: StudyResult, scenario: str, parameter: str) -> Figure:
    """One scenario of a study's table: each theory's value against ``parameter``, one panel
    per theory, with a dashed line between two grid points where the theory's policy changes
    (the table has the grid, not the exact thresholds: ``newcomb sweep --plot`` draws those)."""
    import itertools
    from fractions import Fraction

    rows = [r for r in result.records() if r["scenario"] == scenario and r.get(parameter, "") != ""]
    theories = list(dict.fromkeys(r["theory"] for r in rows))
    fig = _figure(figsize=(8, 1.2 + 2.2 * max(1, len(theories))), layout="constrained")
    axes = fig.subplots(max(1, len(theories)), 1, sharex=True, squeeze=False)[:, 0]
    for k, (ax, theory) in enumerate(zip(axes, theories, strict=False)):
        mine = [r for r in rows if r["theory"] == theory]
        xs = [float(Fraction(r[parameter])) for r in mine]
        ys = [float(r["value_float"]) if r["value_float"] else float("nan") for r in mine]
        ax.plot(xs, ys, color=f"C{k}", label=theory, gid="value")
        for a, b in itertools.pairwise(mine):
            if a["policy"] != b["policy"]:
                mid = (float(Fraction(a[parameter])) + float(Fraction(b[parameter]))) / 2
                ax.axvline(mid, color="0.4", linestyle="--", linewidth=1, gid="change")
        ax.set_ylabel(f"{theory} value")
    problem = rows[0]["problem"] if rows else scenario
    axes[0].set_title(problem)
    axes[-1].set_xlabel(parameter)
    return fig
