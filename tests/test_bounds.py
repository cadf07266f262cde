"""Every kind of work has a named bound, checked before the work starts (issue 9, item 6).

Each reproduction from the issue either finishes within its bound or exits 2 with one line on
stderr that names the bound and what would have been built, quickly: the bound is checked
before the work, so every command here is timed (the work it refuses took minutes, or ran out
of memory).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newcomb import LimitError, Model, UsageError, loads
from newcomb.cli import app, main
from newcomb.sweep import MAX_CELLS, MAX_POINTS, Grid, parse_grid, sweep
from newcomb.theories import BUILTINS
from newcomb.theories.mixed import support_profiles
from newcomb.world import MAX_DEGREE, Limits

ROOT = Path(__file__).parent.parent
NEWCOMB = str(ROOT / "scenarios" / "newcomb.yaml")
QUICK = 5.0  # seconds: far below the work each bound refuses
runner = CliRunner()


@contextmanager
def quickly() -> Iterator[None]:
    start = time.perf_counter()
    yield
    assert time.perf_counter() - start < QUICK


def run(*args: str) -> tuple[int, str, str]:
    with quickly():
        r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def refused(*args: str) -> str:
    """Run the command; assert exit 2, nothing on stdout and one ``error:`` line on stderr."""
    code, out, err = run(*args)
    assert code == 2, err
    assert out == ""
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


def write(tmp_path: Path, name: str, text: str) -> str:
    f = tmp_path / name
    f.write_text(text)
    return str(f)


def newcomb_with_coins(tmp_path: Path, n: int) -> str:
    coins = "".join(f"  c{i}: {{chance: {{h: 1/2, t: 1/2}}}}\n" for i in range(n))
    text = Path(NEWCOMB).read_text().replace("variables:\n", "variables:\n" + coins)
    return write(tmp_path, f"coins{n}.yaml", text)


def death_with_coin(tmp_path: Path, k: int) -> str:
    values = ", ".join(f"v{i}: 1/{k}" for i in range(k))
    return write(
        tmp_path,
        f"did{k}.yaml",
        "newcomb: 1\nname: did\nparameters: {life: 1000000, flight: 1000}\n"
        "actions: [stay, flee]\nvariables:\n"
        f"  coin: {{chance: {{{values}}}}}\n"
        "  book: {predicts: action, accuracy: 1}\n"
        "  death_city: {value: \"'damascus' if book == 'stay' else 'aleppo'\"}\n"
        "  agent_city: {value: \"'damascus' if action == 'stay' else 'aleppo'\"}\n"
        "observes: [coin]\n"
        "utility: life*(agent_city != death_city) - flight*(agent_city == 'aleppo')\n",
    )


def many_actions(n: int) -> str:
    acts = ", ".join(f"a{i}" for i in range(n))
    return (
        f"newcomb: 1\nname: many\nparameters: {{q: 1/2}}\nactions: [{acts}]\n"
        "variables:\n  prediction: {predicts: action, accuracy: q}\n"
        "utility: q*(action == 'a1')\n"
    )


def utility_only(utility: str, q: str = "0") -> str:
    return (
        f"newcomb: 1\nname: u\nparameters: {{q: {q}}}\nactions: [a, b]\nvariables: {{}}\n"
        f'utility: "{utility}"\n'
    )


# -- worlds: Newcomb's problem plus 17 coins ran out of memory after 217 s ------------------------
# The compiled path builds only what is read (DESIGN.md §2c): the coins are summed out inside the
# utility's terms, so the problem is one draw. Listing every world (--exhaustive) is what the
# worlds bound still guards.


def test_newcomb_with_17_coins_is_exact_and_listing_every_world_is_refused(tmp_path: Path) -> None:
    f = newcomb_with_coins(tmp_path, 17)
    code, out, err = run("check", f, "--json")
    assert code == 0, err
    plain = json.loads(run("check", NEWCOMB, "--json")[1])
    assert [t["value"] for t in json.loads(out)["theories"]] == [
        t["value"] for t in plain["theories"]
    ]  # the coins change nothing the utility reads
    err = refused("check", f, "--exhaustive")
    assert "262144 worlds" in err and "--max-worlds" in err


def test_the_worlds_bound_admits_exactly_its_count(tmp_path: Path) -> None:
    f = newcomb_with_coins(tmp_path, 3)  # 2^3 draws × 2 predictions, listed by --exhaustive
    code, _, err = run("check", f, "--max-worlds", "16", "--json", "--exhaustive")
    assert code == 0, err
    err = refused("check", f, "--max-worlds", "15", "--exhaustive")
    assert "16 worlds" in err and "bound of 15" in err


def test_memory_error_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr("newcomb.cli.analyse", exhausted)
    with pytest.raises(SystemExit) as e:
        main(["check", NEWCOMB])
    assert e.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: out of memory") and err.count("\n") == 1


# -- compiled tables: 2,000 actions never finished compiling --------------------------------------


def test_two_thousand_actions_are_refused_by_max_table(tmp_path: Path) -> None:
    err = refused("check", write(tmp_path, "many.yaml", many_actions(2000)))
    assert "8000000 entries" in err and "--max-table" in err


@pytest.mark.parametrize("n", [2, 5])
def test_the_table_bound_counts_one_draws_utilities_and_errors(n: int) -> None:
    """One draw of a prediction with n actions: n choices × n utilities, and n × n errors."""
    scenario = loads(many_actions(n))
    Model(scenario, limits=Limits(max_table=2 * n**2))
    with pytest.raises(LimitError, match=f"{2 * n**2} entries"):
        Model(scenario, limits=Limits(max_table=2 * n**2 - 1))


# -- the mixed search: Death in Damascus with 6 coin values took over 120 s -----------------------


def test_death_in_damascus_with_six_coin_values_is_refused_by_max_equations(
    tmp_path: Path,
) -> None:
    err = refused("check", death_with_coin(tmp_path, 6), "--only", "CDT")
    assert "665 support profiles" in err and "1458" in err and "--max-equations" in err


@pytest.mark.parametrize(("k", "actions"), [(1, 2), (2, 2), (3, 2), (1, 3), (2, 3)])
def test_the_equation_count_is_the_unknowns_of_every_profile(
    tmp_path: Path, k: int, actions: int
) -> None:
    text = Path(death_with_coin(tmp_path, k)).read_text()
    if actions == 3:
        text = text.replace("[stay, flee]", "[stay, flee, wait]")
    model = Model(loads(text), limits=Limits(max_equations=10**6))
    unknowns = sum(len(s) - 1 for p in support_profiles(model) for s in p)
    Model(loads(text), limits=Limits(max_equations=unknowns))  # building is not the search
    with pytest.raises(LimitError, match=f" {unknowns} indifference equations"):
        support_profiles(Model(loads(text), limits=Limits(max_equations=unknowns - 1)))
    assert support_profiles(Model(loads(text), limits=Limits(max_equations=unknowns)))


def test_a_mixed_search_within_the_bound_still_finds_the_equilibrium(tmp_path: Path) -> None:
    code, out, _ = run("check", death_with_coin(tmp_path, 2), "--only", "CDT")
    assert code == 0 and "mixed equilibrium" in out


# -- --symbolic: ((q+1)**256)**256 took 220 s and 1.56 GB, then a traceback ----------------------


def test_a_symbolic_degree_past_the_bound_is_refused(tmp_path: Path) -> None:
    f = write(tmp_path, "deg.yaml", utility_only("((q+1)**256)**256 * (action == 'a')"))
    err = refused("check", f, "--symbolic", "q")
    assert "degree 65536" in err and f"bound of {MAX_DEGREE}" in err and "utility" in err
    err = refused("sweep", f, "--param", "q=0:1:3")
    assert "degree 65536" in err


def test_the_degree_bound_is_inclusive(tmp_path: Path) -> None:
    ok = write(tmp_path, "ok.yaml", utility_only(f"(q+1)**{MAX_DEGREE} * (action == 'a')"))
    code, _, err = run("check", ok, "--symbolic", "q", "--json")
    assert code == 0, err
    past = f"(q*q+1)**{MAX_DEGREE // 2} * (q+1) * (action == 'a')"
    err = refused("check", write(tmp_path, "past.yaml", utility_only(past)), "--symbolic", "q")
    assert f"degree {MAX_DEGREE + 1}" in err


def test_symbolic_probabilities_are_bounded_too(tmp_path: Path) -> None:
    text = (
        "newcomb: 1\nname: p\nparameters: {q: 0}\nactions: [a, b]\nvariables:\n"
        "  c: {chance: {h: 'q**100', t: '1 - q**100'}}\nutility: c == 'h'\n"
    )
    err = refused("check", write(tmp_path, "p.yaml", text), "--symbolic", "q")
    assert "degree 100" in err and "variables.c" in err


# -- sweeps -------------------------------------------------------------------------------------


def test_a_sweep_at_the_old_maximum_of_ten_million_points_is_refused() -> None:
    err = refused("sweep", NEWCOMB, "--param", "q=0:1:10000000")
    assert f"10000000 grid points, more than the bound of {MAX_POINTS}" in err
    assert "sweep.MAX_POINTS" in err


def test_sweep_values_are_bounded_by_points_times_theories() -> None:
    scenario = loads(Path(NEWCOMB).read_text())
    theories = [t() for t in BUILTINS.values()] * 2
    grid = parse_grid(f"q=0:1:{MAX_CELLS // len(theories) + 1}")
    with quickly(), pytest.raises(LimitError, match=r"sweep\.MAX_CELLS"):
        sweep(scenario, theories, grid)


def test_a_utility_past_float64_is_a_sweep_error(tmp_path: Path) -> None:
    f = write(tmp_path, "big.yaml", utility_only("1e309*(action == 'a') + q", q="1/2"))
    err = refused("sweep", f, "--param", "q=0:1:3")
    assert "outside the range of float64" in err and "--symbolic q" in err


def test_a_grid_end_past_float64_is_a_usage_error() -> None:
    err = refused("sweep", NEWCOMB, "--param", "q=0:1e309:3")
    assert "1e309 is outside the range of float64" in err


def test_a_threshold_past_float64_is_found_exactly(tmp_path: Path) -> None:
    f = write(tmp_path, "far.yaml", utility_only("q*(action == 'a') + 1e309*(action == 'b')"))
    code, out, err = run("check", f, "--symbolic", "q", "--json")
    assert code == 0, err
    assert str(10**309) in out
    err = refused("sweep", f, "--param", "q=0:1:3")
    assert "1.00000e+309" in err


def test_a_grid_across_the_whole_float_range_has_finite_points(tmp_path: Path) -> None:
    code, out, err = run("sweep", NEWCOMB, "--param", "q=-1e308:1e308:3")
    assert code == 0, err
    assert [line.split(",")[0] for line in out.splitlines()[1:]] == ["-1e+308", "0.0", "1e+308"]


def test_sweep_output_to_a_missing_directory_is_refused_before_the_work(tmp_path: Path) -> None:
    target = tmp_path / "nonexistent" / "x.csv"
    err = refused("sweep", NEWCOMB, "--param", "q=0:1:3", "-o", str(target))
    assert "no such directory" in err and not target.exists()


def test_sweep_output_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    err = refused("sweep", NEWCOMB, "--param", "q=0:1:3", "-o", str(tmp_path))
    assert "--output" in err


def test_a_sweep_grid_point_on_an_exact_threshold_keeps_its_exact_value() -> None:
    scenario = loads(Path(NEWCOMB).read_text())
    result = sweep(scenario, [t() for t in BUILTINS.values()], parse_grid("q=0:1:2001"))
    k = 1001  # q = 1001/2000, EDT's threshold
    assert result.grid.point(k) == Fraction(1001, 2000)
    assert all(c.values[k] == c.values[k] for c in result.columns)  # not NaN


# -- the command itself -------------------------------------------------------------------------


def test_bare_newcomb_prints_the_help_once_and_exits_2() -> None:
    with quickly():
        r = subprocess.run([sys.executable, "-m", "newcomb"], capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stdout.count("Usage: newcomb") == 1 and "check" in r.stdout
    assert "Traceback" not in r.stderr


def test_every_bound_must_be_at_least_one() -> None:
    for option in ("--max-table", "--max-equations"):
        err = refused("check", NEWCOMB, option, "0")
        assert option in err


def test_a_grid_built_in_python_past_float64_is_refused_before_the_work() -> None:
    scenario = loads(Path(NEWCOMB).read_text())
    grid = Grid("q", Fraction(0), Fraction(10**309), 3)
    with quickly(), pytest.raises(UsageError, match="outside the range of float64"):
        sweep(scenario, [t() for t in BUILTINS.values()], grid)


@pytest.mark.parametrize(
    "text",
    ["(q+1)**3*(q-1)**2", "(q**2+q)**5/(q+2)**3", "q*(q+1)*(q**3+2)", "((q+1)**2)**3 + q**4"],
)
def test_the_degree_estimate_bounds_the_expanded_degree(text: str) -> None:
    import sympy

    from newcomb.evaluate import _degree

    q = sympy.Symbol("q", real=True)
    x = sympy.sympify(text, locals={"q": q})
    num, den = sympy.fraction(sympy.cancel(x))
    assert sympy.degree(num, q) + sympy.degree(den, q) <= _degree(x)


def test_one_draws_table_counts_the_chance_drawn_after_the_predictor_settles() -> None:
    """A prediction of 2 acts and a chance that depends on it: each of the 2 choices leads to
    2 pre-act states with 2 utilities (8 entries), and 2 errors each (4): 12, checked before
    any work."""
    text = (
        "newcomb: 1\nname: later\nactions: [a, b]\nvariables:\n"
        "  prediction: {predicts: action, accuracy: 9/10}\n"
        "  mark: {value: \"prediction == 'a'\"}\n"
        '  late: {chance: {x: "1/2 if mark else 1/4", y: "1/2 if mark else 3/4"}}\n'
        "utility: (action == 'a') + (late == 'x')\n"
    )
    scenario = loads(text)
    Model(scenario, limits=Limits(max_table=12))
    with pytest.raises(LimitError, match=r"12 entries \(2 choices of the predictor × 2 outcomes"):
        Model(scenario, limits=Limits(max_table=11))
