"""Studies (``newcomb study``): the table, its order, and the same table on every executor."""

from __future__ import annotations

import itertools
import os
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

import newcomb
from newcomb.cli import app
from newcomb.study import load_study, run_study

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def _write(tmp_path: Path, text: str, name: str = "study.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_library_study_is_the_same_in_process_and_on_local_processes() -> None:
    plan = load_study(ROOT / "studies" / "library.yaml")
    one = run_study(plan, jobs=1)
    two = run_study(plan, jobs=2)
    assert one.csv() == two.csv()
    assert one.columns[:5] == ("scenario", "problem", "compute", "q", "p")
    # every scenario of the library is in the table, in the study's (sorted) order
    seen = list(dict.fromkeys(r["scenario"] for r in one.records()))
    assert seen == sorted(f"../scenarios/{p.name}" for p in (ROOT / "scenarios").glob("*.yaml"))
    # a swept scenario has 101 points × 3 theories; one without q or p is checked once
    rows = one.records()
    newcomb_rows = [r for r in rows if r["scenario"] == "../scenarios/newcomb.yaml"]
    assert len(newcomb_rows) == 303 and {r["compute"] for r in newcomb_rows} == {"sweep"}
    mugging = [r for r in rows if r["scenario"] == "../scenarios/counterfactual_mugging.yaml"]
    assert [r["theory"] for r in mugging] == ["CDT", "EDT", "FDT"]
    assert {r["compute"] for r in mugging} == {"check"}


def test_sweep_rows_agree_with_exact_analysis_at_grid_points() -> None:
    plan = load_study(ROOT / "studies" / "library.yaml")
    rows = run_study(plan, jobs=1).records()
    base = newcomb.load(ROOT / "scenarios" / "newcomb.yaml")
    for q in ("0", "1/2", "99/100", "1"):
        report = newcomb.analyse(base.with_parameters(q=Fraction(q)))
        for t in report.theories:
            (row,) = [
                r
                for r in rows
                if r["scenario"] == "../scenarios/newcomb.yaml"
                and r["q"] == q
                and r["theory"] == t.theory
            ]
            exact = newcomb.report.exact(t.policies[0].value)
            assert float(row["value_float"]) == pytest.approx(float(Fraction(exact)), rel=1e-12)
            assert row["ties"] == str(len(t.policies))


def test_check_rows_are_exact_and_follow_the_grid(tmp_path: Path) -> None:
    study = _write(
        tmp_path,
        f"study: 1\nscenarios: [{ROOT}/scenarios/omicron.yaml]\n"
        "grid: {p: 0:1:3}\ncompute: check\nparadox: random\n",
    )
    result = run_study(load_study(study), jobs=1)
    rows = result.records()
    assert [(r["p"], r["theory"]) for r in rows] == [
        (p, t) for p in ("0", "1/2", "1") for t in ("CDT", "EDT", "FDT")
    ]
    scenario = newcomb.load(ROOT / "scenarios" / "omicron.yaml").with_paradox("random")
    for r in rows:
        report = newcomb.analyse(scenario.with_parameters(p=Fraction(r["p"])))
        (t,) = [t for t in report.theories if t.theory == r["theory"]]
        assert r["value"] == newcomb.report.exact(t.policies[0].value)
        assert r["paradox"] == ("true" if t.policies[0].paradox else "false")


def test_cli_writes_the_table_and_a_user_theory_from_a_file(tmp_path: Path) -> None:
    theory = _write(tmp_path, "def always_one_box(obs):\n    return 'one_box'\n", "mine.py")
    study = _write(
        tmp_path,
        f"study: 1\nscenarios: [{ROOT}/scenarios/newcomb.yaml]\n"
        f"grid: {{q: 1/2:1:3}}\ntheories: [CDT, {theory.name}:always_one_box]\n"
        "compute: [check, sweep]\noutput: out.csv\n",
    )
    r = runner.invoke(app, ["study", str(study), "--jobs", "1"])
    assert r.exit_code == 0, r.output
    text = (tmp_path / "out.csv").read_text()
    lines = text.splitlines()
    assert lines[0].startswith("scenario,problem,compute,q,theory,policy")
    assert len(lines) == 1 + 3 * 2 * 2  # header + (check, sweep) × 3 points × 2 theories
    # a policy function has no query to sweep: it is checked exactly at each point instead
    assert sum(",always_one_box,one_box," in line for line in lines) == 6


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("study: 2\nscenarios: [x.yaml]\n", "study: expected study: 1"),
        ("study: 1\nscenarios: []\n", "scenarios: expected a list"),
        ("study: 1\nscenarios: ['*.nothing']\n", "matches no file"),
        ("study: 1\nscenarios: [SCEN]\ngrid: {q: 0:1}\n", "grid.q: expected LO:HI:COUNT"),
        ("study: 1\nscenarios: [SCEN]\ngrid: {zz: 0:1:3}\n", "grid.zz: no scenario"),
        ("study: 1\nscenarios: [SCEN]\ncompute: [plot]\n", "compute: expected a list"),
        ("study: 1\nscenarios: [SCEN]\ntheories: [XDT]\n", "no built-in theory"),
        ("study: 1\nscenarios: [SCEN]\nsimulate: {episodes: 0}\n", "simulate: expected"),
        ("study: 1\nscenarios: [SCEN]\nextra: 1\n", "extra: unknown key"),
        ("study: 1\nscenarios: [SCEN]\ngrid: {q: 0:1:10000000}\n", "more than 100000 tasks"),
        (
            "study: 1\nscenarios: [SCEN]\ngrid: {q: 0:1:1000000}\ncompute: sweep\n",
            "more than 2000000 rows",
        ),
    ],
)
def test_bad_study_files_exit_2_with_one_line(tmp_path: Path, text: str, expected: str) -> None:
    study = _write(tmp_path, text.replace("SCEN", f"{ROOT}/scenarios/newcomb.yaml"))
    r = runner.invoke(app, ["study", str(study)])
    assert r.exit_code == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {study}") and expected in lines[0]


def test_a_bad_scenario_in_a_study_names_both_files(tmp_path: Path) -> None:
    bad = _write(tmp_path, "newcomb: 1\nactions: [a]\nutility: 1\n", "bad.yaml")
    study = _write(tmp_path, f"study: 1\nscenarios: [{bad.name}]\n")
    r = runner.invoke(app, ["study", str(study)])
    assert r.exit_code == 2
    (line,) = r.stderr.strip().splitlines()
    assert str(study) in line and "bad.yaml" in line


def test_dask_local_cluster_gives_the_same_tables_and_survives_a_dying_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's check: the whole library × a 101-point grid × the built-ins on a
    LocalCluster equals the local run; and a task whose worker dies is run again."""
    distributed = pytest.importorskip("distributed")
    library = load_study(ROOT / "studies" / "library.yaml")
    marker = tmp_path / "died-once"
    monkeypatch.setenv("NEWCOMB_TEST_DIE_ONCE", str(marker))
    theory = ROOT / "tests" / "fixtures" / "dying_theory.py"
    dying = load_study(
        _write(
            tmp_path,
            f"study: 1\nscenarios: [{ROOT}/scenarios/newcomb.yaml, {ROOT}/scenarios/transparent*]\n"
            "grid: {q: 0:1:11}\n"
            f"theories: [CDT, {theory}:one_box_but_die_once]\n"
            "compute: [check, sweep]\n",
        )
    )
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        library_on_cluster = run_study(library, client=client)
        dying_on_cluster = run_study(dying, client=client)
    assert marker.exists(), "the dying policy never ran on a worker"
    assert library_on_cluster.csv() == run_study(library, jobs=1).csv()
    assert len(library_on_cluster.rows) > 2000
    monkeypatch.delenv("NEWCOMB_TEST_DIE_ONCE")
    assert dying_on_cluster.csv() == run_study(dying, jobs=1).csv()


def test_unreachable_scheduler_is_one_line(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    study = _write(tmp_path, f"study: 1\nscenarios: [{ROOT}/scenarios/newcomb.yaml]\n")
    r = runner.invoke(app, ["study", str(study), "--scheduler", "tcp://127.0.0.1:9"])
    assert r.exit_code == 2
    (line,) = r.stderr.strip().splitlines()
    assert "cannot reach the Dask scheduler" in line


def test_environment_does_not_leak_marker() -> None:
    assert "NEWCOMB_TEST_DIE_ONCE" not in os.environ


def test_parquet_is_written_beside_the_csv_with_the_same_table(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    study = _write(
        tmp_path,
        f"study: 1\nscenarios: [{ROOT}/scenarios/omicron.yaml]\ngrid: {{p: 0:1:5}}\n"
        "compute: sweep\noutput: table.csv\n",
    )
    r = runner.invoke(app, ["study", str(study), "-j", "1"])
    assert r.exit_code == 0
    assert r.stdout == ""
    assert r.stderr.splitlines() == [
        f"wrote {tmp_path / 'table.csv'} (15 rows)",
        f"wrote {tmp_path / 'table.parquet'} (15 rows)",
    ]
    table = pq.read_table(tmp_path / "table.parquet").to_pylist()
    result = run_study(load_study(study), jobs=1)
    assert table == result.records()


def test_simulate_rows_match_the_simulation_and_are_seeded(tmp_path: Path) -> None:
    study = _write(
        tmp_path,
        f"study: 1\nscenarios: [{ROOT}/scenarios/newcomb.yaml]\ngrid: {{q: 9/10:1:2}}\n"
        "compute: simulate\nsimulate: {episodes: 2000, seed: 7}\n",
    )
    plan = load_study(study)
    rows = run_study(plan, jobs=1).records()
    assert [(r["q"], r["theory"]) for r in rows] == [
        (q, t) for q in ("9/10", "1") for t in ("CDT", "EDT", "FDT")
    ]
    base = newcomb.load(ROOT / "scenarios" / "newcomb.yaml")
    for r in rows:
        sim = newcomb.simulate(base.with_parameters(q=Fraction(r["q"])), episodes=2000, seed=7)
        (t,) = [t for t in sim.theories if t.theory == r["theory"]]
        assert float(r["value_float"]) == t.mean
        assert (float(r["ci_lo"]), float(r["ci_hi"])) == t.ci
        assert r["exact"] == newcomb.report.exact(t.exact)
    assert run_study(plan, jobs=2).csv() == run_study(plan, jobs=1).csv()


def test_figures_one_per_scenario_and_parameter_from_the_table(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from newcomb.plot import plot_study

    study = _write(
        tmp_path,
        f"study: 1\nscenarios: [{ROOT}/scenarios/newcomb.yaml, {ROOT}/scenarios/omicron.yaml]\n"
        "grid: {q: 0:1:11}\ncompute: sweep\noutput: t.csv\nfigures: figs\n",
    )
    r = runner.invoke(app, ["study", str(study), "-j", "1"])
    assert r.exit_code == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "figs").iterdir()) == ["newcomb-q.png"]
    assert f"wrote 1 figure in {tmp_path / 'figs'}" in r.stderr
    result = run_study(load_study(study), jobs=1)
    shown = result.study.scenarios[0][0]
    fig = plot_study(result, shown, "q")
    rows = [x for x in result.records() if x["scenario"] == shown]
    for ax, theory in zip(fig.axes, ("CDT", "EDT", "FDT"), strict=True):
        (line,) = [ln for ln in ax.get_lines() if ln.get_gid() == "value"]
        mine = [x for x in rows if x["theory"] == theory]
        assert list(line.get_ydata()) == [float(x["value_float"]) for x in mine]
        changes = [ln for ln in ax.get_lines() if ln.get_gid() == "change"]
        flips = sum(a["policy"] != b["policy"] for a, b in itertools.pairwise(mine))
        assert len(changes) == flips
    # EDT and FDT switch from two-boxing to one-boxing once along q; CDT never does
    assert [len([ln for ln in ax.get_lines() if ln.get_gid() == "change"]) for ax in fig.axes] == [
        0,
        1,
        1,
    ]
