"""Figures and phase diagrams: their data (not their pixels), from the API and the CLI."""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import newcomb
from newcomb.cli import app
from newcomb.errors import UsageError
from newcomb.phase import phase, verdict_of
from newcomb.sweep import parse_grid, sweep
from newcomb.theories import builtin_theories
from newcomb.world import Model

pytest.importorskip("matplotlib")

from newcomb.plot import MISSING, plot_phase, plot_simulation, plot_sweep

ROOT = Path(__file__).parent.parent
NEWCOMB = ROOT / "scenarios" / "newcomb.yaml"
TWO = ROOT / "docs" / "examples" / "newcomb_two_parameters.yaml"
DAMASCUS = ROOT / "scenarios" / "death_in_damascus.yaml"
runner = CliRunner()
MAGIC = {"png": b"\x89PNG", "pdf": b"%PDF", "svg": b"<?xml"}


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args), env={"COLUMNS": "110"})
    return r.exit_code, r.stdout, r.stderr


def test_sweep_figure_holds_the_sweep() -> None:
    result = sweep(newcomb.load(NEWCOMB), builtin_theories(), parse_grid("q=0:1:401"))
    fig = plot_sweep(result)
    axes = fig.axes
    assert len(axes) == len(result.columns) == 3
    for ax, col in zip(axes, result.columns, strict=True):
        (line,) = [x for x in ax.lines if x.get_gid() == "value"]
        assert np.array_equal(line.get_xdata(), result.points)
        assert np.array_equal(line.get_ydata(), col.values, equal_nan=True)
        marks = [x for x in ax.lines if x.get_gid() not in ("value",)]
        assert [m.get_gid() for m in marks] == [str(t) for t in col.thresholds.points]
        for m, t in zip(marks, col.thresholds.points, strict=True):
            assert list(m.get_xdata()) == [float(t), float(t)]
        labels = [t.get_text() for t in ax.texts if t.get_gid() == "region"]
        assert labels  # every region met by the grid is labelled with its policy
    edt = axes[1]
    assert [m.get_gid() for m in edt.lines[1:]] == ["1001/2000"]
    assert [t.get_text() for t in edt.texts if t.get_gid() == "region"] == ["two_box", "one_box"]
    assert [t.get_text() for t in edt.texts if t.get_gid() == "threshold"] == [" q = 1001/2000"]
    # the labels sit inside their regions
    left, right = (t.get_position()[0] for t in edt.texts if t.get_gid() == "region")
    assert left < 1001 / 2000 < right


def test_phase_grid_is_the_verdict_at_each_point() -> None:
    scenario = newcomb.load(TWO)
    gx, gy = parse_grid("q=0:1:11"), parse_grid("p=0:1:11")
    result = phase(scenario, builtin_theories(), gx, gy)
    theories = {t.name: t for t in builtin_theories()}
    for col in result.columns:
        for j, i in [(0, 0), (2, 7), (5, 5), (4, 7), (10, 10), (3, 9), (8, 2)]:
            s = scenario.with_parameters(q=gx.point(i), p=gy.point(j))
            m = Model(s)
            want = verdict_of(m, theories[col.theory].decide(m).policies)
            assert want is not None
            assert col.verdicts[col.cells[j, i]].key == want.key, (col.theory, i, j)


def test_phase_boundary_is_exact() -> None:
    """EDT one-boxes iff q > (1 + p) / 2: every boundary point lies on that line, exactly."""
    result = phase(
        newcomb.load(TWO), builtin_theories(), parse_grid("q=0:1:21"), parse_grid("p=0:1:21")
    )
    edt = next(c for c in result.columns if c.theory == "EDT")
    assert edt.boundary
    for q, p in edt.boundary:
        assert q == (1 + p) / 2
    rows = {p for _, p in edt.boundary}
    assert rows == {Fraction(k, 20) for k in range(21)}


def test_phase_finds_boundaries_parallel_to_x() -> None:
    """CDT's verdict changes only at p = 0 (a tie): a column search finds it at every q."""
    result = phase(
        newcomb.load(TWO), builtin_theories(), parse_grid("q=0:1:6"), parse_grid("p=0:1:6")
    )
    cdt = next(c for c in result.columns if c.theory == "CDT")
    assert sorted(cdt.boundary) == [(Fraction(k, 5), Fraction(0)) for k in range(6)]


def test_phase_figure_holds_the_phase() -> None:
    result = phase(
        newcomb.load(DAMASCUS),
        builtin_theories(),
        parse_grid("flight=-2000:2000:9"),
        parse_grid("life=0:2000000:5"),
    )
    fig = plot_phase(result)
    for ax, col in zip(fig.axes, result.columns, strict=True):
        (image,) = ax.images
        data = image.get_array()
        assert np.array_equal(data.filled(-1), col.cells)
        (dots,) = [x for x in ax.lines if x.get_gid() == "boundary"]
        assert list(dots.get_xdata()) == [float(x) for x, _ in col.boundary]
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [v.text for v in col.verdicts]


def test_simulation_figure_holds_the_running_means() -> None:
    sim = newcomb.simulate(newcomb.load(NEWCOMB), episodes=5000, seed=3)
    fig = plot_simulation(sim)
    for ax, t in zip(fig.axes, sim.theories, strict=True):
        (line,) = [x for x in ax.lines if x.get_gid() == "running"]
        steps = line.get_xdata()
        assert steps[0] == 1 and steps[-1] == 5000
        assert np.array_equal(line.get_ydata(), t.running_mean()[steps - 1])
        (exact,) = [x for x in ax.lines if x.get_gid() == "exact"]
        assert list(exact.get_ydata()) == [float(t.exact), float(t.exact)]  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_cli_plots_write_the_format(tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"sweep.{fmt}"
    code, out, err = run("sweep", str(NEWCOMB), "--param", "q=0:1:11", "--plot", str(target))
    assert code == 0 and err == "" and out.startswith("q,CDT_policy")
    assert target.read_bytes().startswith(MAGIC[fmt])
    target = tmp_path / f"phase.{fmt}"
    code, out, err = run(
        "phase", str(TWO), "--x", "q=0:1:5", "--y", "p=0:1:5", "--plot", str(target)
    )
    assert code == 0 and err == "" and "EDT" in out
    assert target.read_bytes().startswith(MAGIC[fmt])
    target = tmp_path / f"simulate.{fmt}"
    code, out, err = run("simulate", str(NEWCOMB), "-n", "1000", "--plot", str(target))
    assert code == 0 and err == "" and "CDT" in out
    assert target.read_bytes().startswith(MAGIC[fmt])


def test_same_figure_same_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    for target in (a, b):
        run("sweep", str(NEWCOMB), "--param", "q=0:1:11", "--plot", str(target))
    assert a.read_bytes() == b.read_bytes()


def test_bad_plot_suffix(tmp_path: Path) -> None:
    code, out, err = run("simulate", str(NEWCOMB), "-n", "10", "--plot", str(tmp_path / "x.gif"))
    assert code == 2 and out == "" and err.count("\n") == 1 and ".png, .svg or .pdf" in err


def test_missing_matplotlib(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails
    target = tmp_path / "sweep.png"
    code, out, err = run("sweep", str(NEWCOMB), "--param", "q=0:1:11", "--plot", str(target))
    assert code == 2 and out == ""
    assert err == f"error: {MISSING}\n"
    assert MISSING == "plotting needs matplotlib: pip install 'newcomb[plot]'"
    assert not target.exists()
    sim = newcomb.simulate(newcomb.load(NEWCOMB), episodes=10)
    with pytest.raises(UsageError, match="pip install"):
        plot_simulation(sim)


def test_phase_usage_errors() -> None:
    code, out, err = run("phase", str(TWO), "--x", "q=0:1", "--y", "p=0:1:5")
    assert code == 2 and out == "" and "--x 'q=0:1'" in err and err.count("\n") == 1
    code, out, err = run("phase", str(TWO), "--x", "q=0:1:3", "--y", "z=0:1:5")
    assert code == 2 and out == "" and "no parameter named 'z'" in err
    code, out, err = run("phase", str(TWO), "--x", "q=0:1:3", "--y", "q=0:1:5")
    assert code == 2 and out == "" and "same parameter" in err
