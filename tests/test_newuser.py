"""What a new user trips on: mistakes in options, files and output paths give one ``error:``
line naming the option (or the file and key) and exit 2, the same way in every command."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newcomb.cli import app

runner = CliRunner()
ROOT = Path(__file__).parent.parent
NEWCOMB = str(ROOT / "scenarios" / "newcomb.yaml")
TWO = str(ROOT / "docs" / "examples" / "newcomb_two_parameters.yaml")  # parameters q, p


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def refused(*args: str) -> str:
    """Exit 2, nothing on stdout, one ``error:`` line on stderr; returns that line."""
    code, out, err = run(*args)
    assert code == 2, (args, out, err)
    assert out == "", (args, out)
    assert err.startswith("error: ") and err.count("\n") == 1, (args, err)
    assert "Traceback" not in err
    return err.strip()


# -- --set, --param, --x, --y, --symbolic naming a parameter the file lacks --------------------

PARAMETER_OPTIONS = [
    ("check", NEWCOMB, "--set", "z=1"),
    ("compare", NEWCOMB, "--set", "z=1"),
    ("explain", NEWCOMB, "--set", "z=1"),
    ("simulate", NEWCOMB, "-n", "10", "--set", "z=1"),
    ("sweep", NEWCOMB, "--param", "q=0:1:3", "--set", "z=1"),
    ("phase", NEWCOMB, "--x", "q=0:1:3", "--y", "q=0:1:3", "--set", "z=1"),
    ("check", NEWCOMB, "--symbolic", "z"),
    ("sweep", NEWCOMB, "--param", "z=0:1:3"),
    ("phase", NEWCOMB, "--x", "z=0:1:3", "--y", "q=0:1:3"),
]


@pytest.mark.parametrize("args", PARAMETER_OPTIONS, ids=lambda a: " ".join(a[:1] + a[2:]))
def test_an_unknown_parameter_names_the_option_once(args: tuple[str, ...]) -> None:
    err = refused(*args)
    option = next(a for a, b in itertools.pairwise(args) if b.startswith("z"))
    assert f"{option} z" in err
    assert "no parameter named 'z' (parameters: q)" in err
    assert err.count("(") == 1, err  # no second bracket such as "(with --set z=1)"


def test_an_unknown_parameter_differing_in_case_is_suggested() -> None:
    err = refused("sweep", NEWCOMB, "--param", "Q=0:1:3")
    assert "did you mean 'q'?" in err


def test_set_is_not_blamed_for_a_missing_file(tmp_path: Path) -> None:
    code, _, err = run("check", str(tmp_path / "nosuch.yaml"), "--set", "q=1/2")
    assert code == 2
    assert "no such file" in err and "--set" not in err


def test_set_with_an_impossible_value_still_says_which_set(tmp_path: Path) -> None:
    err = refused("check", NEWCOMB, "--set", "q=2")
    assert "accuracy" in err and err.endswith("(with --set q=2)")


# -- check --json: one FILE gives one JSON document, good or bad --------------------------------


def test_check_json_with_one_bad_file_prints_its_error_object(tmp_path: Path) -> None:
    missing = str(tmp_path / "nosuch.yaml")
    code, out, err = run("check", missing, "--json")
    assert code == 2
    doc = json.loads(out)
    assert doc == {"schema_version": 1, "file": missing, "error": f"{missing}: no such file"}
    assert err == f"error: {doc['error']}\n"
    # several files: the same object in its place in the list
    code, out, _ = run("check", NEWCOMB, missing, "--json")
    assert code == 2
    assert json.loads(out)[1] == doc


def test_check_json_usage_error_prints_nothing_on_stdout() -> None:
    refused("check", NEWCOMB, "--json", "--paradox", "bogus")


# -- output paths: checked before the work, one line --------------------------------------------

OUTPUTS = [
    ("sweep", NEWCOMB, "--param", "q=0:1:3", "-o", "{d}/nodir/out.csv"),
    ("sweep", NEWCOMB, "--param", "q=0:1:3", "--plot", "{d}/nodir/out.png"),
    ("simulate", NEWCOMB, "-n", "10", "--plot", "{d}/nodir/out.png"),
    ("phase", NEWCOMB, "--x", "q=0:1:3", "--y", "q=0:1:3", "--plot", "{d}/nodir/out.png"),
    ("graph", NEWCOMB, "-o", "{d}/nodir/out.dot"),
]


@pytest.mark.parametrize("args", OUTPUTS, ids=lambda a: f"{a[0]} {a[-2]}")
def test_an_output_in_a_missing_folder_is_refused_before_the_work(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    args = tuple(a.format(d=tmp_path) for a in args)
    err = refused(*args)
    option = "--output" if args[-2] == "-o" else args[-2]
    assert err.startswith(f"error: {option} '{args[-1]}': no such directory"), err
    assert not (tmp_path / "nodir").exists()


@pytest.mark.parametrize(
    "args",
    [
        ("sweep", NEWCOMB, "--param", "q=0:1:3", "--plot", "out.gif"),
        ("simulate", NEWCOMB, "-n", "10", "--plot", "out.bmp"),
        ("phase", NEWCOMB, "--x", "q=0:1:3", "--y", "q=0:1:3", "--plot", "out"),
    ],
    ids=lambda a: a[0],
)
def test_a_plot_with_a_bad_suffix_is_refused(args: tuple[str, ...]) -> None:
    err = refused(*args)
    assert f"--plot '{args[-1]}': expected a file ending .png, .svg or .pdf" in err


def test_an_output_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    err = refused("graph", NEWCOMB, "-o", str(tmp_path))
    assert "is a directory" in err


def test_graph_writes_its_output(tmp_path: Path) -> None:
    out = tmp_path / "g.dot"
    code, stdout, err = run("graph", NEWCOMB, "-o", str(out))
    assert (code, stdout, err) == (0, "", "")
    assert out.read_text().startswith("digraph")


# -- the same bounds options on every command that analyses -------------------------------------

BOUNDED = [
    ("check", NEWCOMB),
    ("compare", NEWCOMB),
    ("explain", NEWCOMB),
    ("simulate", NEWCOMB, "-n", "10"),
    ("sweep", NEWCOMB, "--param", "q=0:1:3"),
    ("phase", TWO, "--x", "q=0:1:3", "--y", "p=0:1:3"),
]


@pytest.mark.parametrize("args", BOUNDED, ids=lambda a: a[0])
@pytest.mark.parametrize(
    "bound", ["--max-policies", "--max-worlds", "--max-mixed", "--max-table", "--max-equations"]
)
def test_every_bound_is_accepted_and_checked_by_every_command(
    args: tuple[str, ...], bound: str
) -> None:
    err = refused(*args, bound, "0")
    assert bound in err and "must be at least 1" in err


@pytest.mark.parametrize("args", BOUNDED, ids=lambda a: a[0])
def test_a_small_table_bound_refuses_newcombs_problem_in_every_command(
    args: tuple[str, ...],
) -> None:
    err = refused(*args, "--max-table", "1")
    assert "--max-table" in err


# -- study ---------------------------------------------------------------------------------------


def study_file(tmp_path: Path, extra: str = "") -> str:
    f = tmp_path / "s.yaml"
    f.write_text(f"study: 1\nscenarios: [{NEWCOMB}]\ngrid: {{q: 1/2:1:3}}\n{extra}")
    return str(f)


def test_study_takes_the_bounds_options(tmp_path: Path) -> None:
    s = study_file(tmp_path)
    err = refused("study", s, "-j", "1", "--max-worlds", "1")
    assert "newcomb.yaml: " in err and "--max-worlds" in err  # names the scenario
    assert "must be at least 1" in refused("study", s, "--max-table", "0")
    code, out, _ = run("study", s, "-j", "1", "--max-worlds", "2")
    assert code == 0 and len(out.splitlines()) == 1 + 3 * 3


def test_study_output_in_a_missing_folder_is_refused_before_the_work(tmp_path: Path) -> None:
    s = study_file(tmp_path)
    err = refused("study", s, "-o", str(tmp_path / "nodir" / "t.csv"))
    assert "--output" in err and "no such directory" in err
    s = study_file(tmp_path, "output: nodir/t.csv\n")
    err = refused("study", s)
    assert "s.yaml:4:9: output: no such directory" in err


def test_study_given_a_scenario_says_so() -> None:
    err = refused("study", NEWCOMB)
    assert "this is a scenario, not a study" in err and "newcomb check" in err


def test_study_with_a_bad_scheduler_address_is_one_line(tmp_path: Path) -> None:
    err = refused("study", study_file(tmp_path), "--scheduler", "bogus")
    assert "--scheduler 'bogus': expected a Dask scheduler's address, tcp://HOST:PORT" in err


# -- names and labels of any length are shown clipped; names themselves are bounded --------------


@pytest.mark.parametrize("n", [101, 100_000])
def test_a_name_longer_than_100_characters_is_refused(tmp_path: Path, n: int) -> None:
    import newcomb
    from newcomb.errors import ScenarioError

    with pytest.raises(ScenarioError, match=f"has {n} characters; at most 100"):
        newcomb.Scenario(
            name="long",
            actions=["a", "b"],
            variables=[newcomb.Chance(name="x" * n, outcomes={"h": "1/2", "t": "1/2"})],
            utility="1",
        )
    f = tmp_path / "long.yaml"
    f.write_text(
        f"newcomb: 1\nname: long\nparameters: {{{'p' * 101}: 1}}\nactions: [a, b]\n"
        "variables: {}\nutility: 1\n"
    )
    err = refused("check", str(f))
    assert "parameters." in err and "has 101 characters; at most 100" in err
    assert len(err) < 400  # the name itself is clipped in the message


def test_a_name_of_100_characters_is_fine() -> None:
    import newcomb

    s = newcomb.Scenario(
        name="long",
        actions=["a", "b"],
        variables=[newcomb.Chance(name="x" * 100, outcomes={"h": "1/2", "t": "1/2"})],
        utility="1",
    )
    assert newcomb.analyse(s).theories[0].policies


# -- every command's JSON about one file starts the same way -------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("explain", NEWCOMB),
        ("sweep", NEWCOMB, "--param", "q=0:1:3"),
        ("simulate", NEWCOMB, "-n", "10"),
        ("phase", TWO, "--x", "q=0:1:3", "--y", "p=0:1:3"),
    ],
    ids=lambda a: a[0],
)
def test_json_of_one_file_starts_with_version_command_and_file(args: tuple[str, ...]) -> None:
    code, out, err = run(*args, "--json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert list(doc)[:3] == ["schema_version", "command", "file"]
    assert (doc["schema_version"], doc["command"], doc["file"]) == (1, args[0], args[1])


@pytest.mark.parametrize(
    "args",
    [("check", NEWCOMB, "--only", "cdt"), ("explain", NEWCOMB, "--theory", "cdt")],
    ids=lambda a: a[-2],
)
def test_a_theory_name_in_the_wrong_case_is_suggested(args: tuple[str, ...]) -> None:
    err = refused(*args)
    assert f"{args[-2]} 'cdt'" in err and err.endswith("did you mean 'CDT'?")


# -- the Python API, as a notebook user calls it -------------------------------------------------


def test_analyse_given_a_path_says_to_load_it() -> None:
    import newcomb

    with pytest.raises(newcomb.UsageError, match=r"expected a Scenario, got str \(read a file"):
        newcomb.analyse(NEWCOMB)  # type: ignore[arg-type]
    with pytest.raises(newcomb.UsageError, match="expected a Scenario"):
        newcomb.simulate(NEWCOMB, episodes=10)  # type: ignore[arg-type]


def test_simulate_refuses_episodes_that_are_not_whole_numbers() -> None:
    import newcomb

    s = newcomb.load(NEWCOMB)
    for bad in ("10", 10.0, True):
        with pytest.raises(newcomb.UsageError, match="episodes: expected a whole number"):
            newcomb.simulate(s, episodes=bad)  # type: ignore[arg-type]


def test_a_simulation_reads_in_one_line() -> None:
    import newcomb

    sim = newcomb.simulate(newcomb.load(NEWCOMB), episodes=1000, seed=1)
    text = repr(sim)
    assert "\n" not in text and len(text) < 300
    assert text.startswith('Simulation("Newcomb\'s problem", 1000 episodes, seed 1: CDT: mean ')
    for t in sim.theories:
        assert f"{t.theory}: mean {t.mean:.7g} (exact {t.exact}" in text


def test_sweep_takes_what_analyse_takes() -> None:
    import newcomb
    from newcomb.sweep import Grid, sweep

    s = newcomb.load(NEWCOMB)
    by_text = sweep(s, [newcomb.CDT, newcomb.FDT()], "q=0:1:11")
    by_grid = sweep(s, [newcomb.CDT(), newcomb.FDT()], Grid("q", 0, 1, 11))  # type: ignore[arg-type]
    assert repr(by_text) == repr(by_grid)
    assert [c.theory for c in by_text.columns] == ["CDT", "FDT"]
    assert by_text.columns[1].thresholds.points == by_grid.columns[1].thresholds.points
    with pytest.raises(newcomb.UsageError, match="expected a list of theories, got CDT"):
        sweep(s, newcomb.CDT(), "q=0:1:11")  # type: ignore[arg-type]


# -- an option given two ways is refused, not silently overridden --------------------------------


def test_the_same_parameter_set_twice_is_refused() -> None:
    err = refused("check", NEWCOMB, "--set", "q=1/2", "--set", "q=1/3")
    assert err == "error: --set 'q=1/3': 'q' is set twice; keep one --set"


@pytest.mark.parametrize(
    "args",
    [
        ("sweep", NEWCOMB, "--param", "q=0:1:3", "--set", "q=1/2"),
        ("phase", TWO, "--x", "q=0:1:3", "--y", "p=0:1:3", "--set", "p=1/2"),
    ],
    ids=lambda a: a[0],
)
def test_a_grid_over_a_parameter_that_set_fixes_is_refused(args: tuple[str, ...]) -> None:
    err = refused(*args)
    name = args[-1].split("=")[0]
    assert f"and --set {args[-1]} both give '{name}': drop one" in err


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (("check", NEWCOMB, "--paradox", "RETRY"), "retry"),
        (("graph", NEWCOMB, "--format", "Mermaid"), "mermaid"),
    ],
    ids=lambda a: a[0] if isinstance(a, tuple) else a,
)
def test_a_choice_in_the_wrong_case_is_suggested(args: tuple[str, ...], hint: str) -> None:
    assert refused(*args).endswith(f"did you mean '{hint}'?")


def test_phase_takes_theory_like_sweep(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text(
        "from newcomb.theories import EDT\n"
        "class Cautious(EDT):\n"
        '    """EDT under another name."""\n'
        '    name = "Cautious"\n'
        "def always(observation):\n"
        '    return "one_box"\n'
    )
    grid = ("--x", "q=0:1:3", "--y", "p=0:1:3")
    code, out, err = run("phase", TWO, *grid, "--theory", f"{tmp_path}/mine.py:Cautious", "--json")
    assert code == 0 and err == ""
    cols = {t["theory"]: t for t in json.loads(out)["theories"]}
    assert list(cols) == ["CDT", "EDT", "FDT", "Cautious"]
    assert cols["Cautious"]["cells"] == cols["EDT"]["cells"]
    err = refused("phase", TWO, *grid, "--theory", f"{tmp_path}/mine.py:always")
    assert "--theory 'always': phase follows a theory's thresholds" in err
    assert "this policy has none" in err


def test_sweep_takes_a_policy_and_refuses_a_theory_class_without_a_query(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text(
        "from newcomb.theories import Decision, Theory\n"
        "class Whim(Theory):\n"
        '    """Picks by the parameter, without a query."""\n'
        '    name = "Whim"\n'
        "    def decide(self, model):\n"
        "        return Decision((((1, 0),),))\n"
        "def always(observation):\n"
        '    return "one_box"\n'
    )
    code, out, err = run(
        "sweep",
        NEWCOMB,
        "--param",
        "q=0:1:5",
        "--theory",
        f"{tmp_path}/mine.py:always",
        "--only",
        "always",
    )
    assert (code, err) == (0, "")
    rows = [line.split(",") for line in out.splitlines()]
    assert rows[0] == ["q", "always_policy", "always_value", "always_value_of"]
    # one-boxing gets the million exactly when the predictor is right: 1000000·q
    assert [float(r[2]) for r in rows[1:]] == [0.0, 250000.0, 500000.0, 750000.0, 1000000.0]
    err = refused("sweep", NEWCOMB, "--param", "q=0:1:5", "--theory", f"{tmp_path}/mine.py:Whim")
    assert "--theory 'Whim': sweep follows" in err and "theory class without a query" in err


# -- sweep of a fixed policy: its value along the grid, checked point by point -------------------


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.stem)
@pytest.mark.parametrize("rule", ["fail", "random"])
def test_a_fixed_policy_swept_agrees_with_analysis_at_each_point(path: Path, rule: str) -> None:
    import math
    from fractions import Fraction

    import newcomb
    from newcomb.series import leading
    from newcomb.sweep import Grid, sweep

    s = newcomb.load(path).with_paradox(rule)
    if not s.parameters:
        pytest.skip("no parameter")
    name = next(iter(s.parameters))
    first, last = s.actions[0], s.actions[-1]

    def always_first(observation: dict[str, object]) -> str:
        return first

    def half(observation: dict[str, object]) -> dict[str, str]:
        return {first: "1/2", last: "1/2"}

    policies = [always_first, half]
    grid = Grid(name, Fraction(0), Fraction(1), 5)
    result = sweep(s, policies, grid)
    assert [c.theory for c in result.columns] == ["always_first", "half"]
    for k in range(grid.count):
        x = grid.point(k)
        try:
            report = newcomb.analyse(s.with_parameters(**{name: x}), policies)
        except newcomb.ScenarioError:
            assert all(math.isnan(c.values[k]) for c in result.columns), (name, x)
            continue
        for col, t in zip(result.columns, report.theories, strict=True):
            exact = t.policies[0].value
            exact = None if exact is None else leading(exact)  # its value at ε = 0
            if exact is None:
                assert math.isnan(col.values[k]), (col.theory, name, x)
            else:
                assert col.values[k] == pytest.approx(float(exact), rel=1e-12), (col.theory, x)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("set: {q: abc}\n", "s.yaml:4:10: set.q: expected an exact number"),
        ("set: {z: 1}\n", "s.yaml:4:10: set.z: no scenario of the study has this parameter"),
        ("set: {q: 1/2}\n", "s.yaml:4:10: set.q: 'q' is in grid too; give it in one of them"),
        ("compute: [chek]\n", "compute: expected a list of check, sweep, simulate, got 'chek'"),
    ],
    ids=["set-not-a-number", "set-unknown", "set-and-grid", "compute-typo"],
)
def test_study_file_mistakes_are_caught_before_any_task(
    tmp_path: Path, extra: str, expected: str
) -> None:
    assert expected in refused("study", study_file(tmp_path, extra))


def test_study_with_no_scenarios_says_it_needs_one(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("study: 1\nscenarios: []\n")
    assert "scenarios: expected a list of scenario files or globs, at least one" in refused(
        "study", str(f)
    )


def test_a_study_file_s_yaml_mistakes_read_like_a_scenario_s(tmp_path: Path) -> None:
    for name, text, words in (
        ("s.yaml", "study: 1\n\tscenarios: [a]\n", ":2:1: malformed YAML: tabs"),
        ("n.yaml", "[" * 2000, ":1:101: YAML nested more than 100 levels deep"),
    ):
        f = tmp_path / name
        f.write_text(text)
        study, check = refused("study", str(f)), refused("check", str(f))
        assert study == check, (study, check)  # the same line and column, the same words
        assert f"{f}{words}" in study and "<unicode string>" not in study, study


@pytest.mark.parametrize(
    "text",
    [
        "[" * 2000,
        "{a: " * 1500,
        "a:\n" + "".join(" " * i + "- \n" for i in range(1, 1200)),
        "a: 1\n\tb: 2\n",
        "--- 1\n--- 2\n",
        "a: *x\n",
    ],
    ids=["flow", "flow-map", "block", "tab", "two-docs", "alias"],
)
def test_yaml_mistakes_read_the_same_with_or_without_libyaml(text: str) -> None:
    """PyYAML built without libyaml (as pip builds it where no wheel fits) parses in Python:
    the messages this project writes, nesting past the limit included, must not depend on
    which parser ran (a plain syntax error keeps the parser's own wording, which differs)."""
    from newcomb import io
    from newcomb.errors import ScenarioError

    def outcome(loader: object) -> str:
        try:
            io._parse(text, "f.yaml", loader)
        except ScenarioError as e:
            return str(e)
        return "parsed"

    assert outcome(io._PureLoader) == outcome(io._Loader)


def test_sweep_draws_its_progress_bar_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from newcomb import cli

    seen: list[tuple[str, bool]] = []
    real = cli._progress

    def spy(err: object, name: str, *, enabled: bool = True, doing: str = "") -> object:
        seen.append((doing, enabled))
        return real(err, name, enabled=enabled, doing=doing)  # type: ignore[arg-type]

    monkeypatch.setattr(cli, "_progress", spy)
    assert run("sweep", NEWCOMB, "--param", "q=0:1:3")[0] == 0
    assert run("sweep", NEWCOMB, "--param", "q=0:1:3", "--json")[0] == 0
    assert seen == [("solving thresholds", True), ("solving thresholds", False)]


@pytest.mark.parametrize(
    "utility",
    ["1e4400 * (action == 'a')", "q * 10**4400", "1e4000 * 1e4000 * (action == 'a')"],
)
def test_check_json_error_object_is_the_stderr_line(tmp_path: Path, utility: str) -> None:
    f = tmp_path / "big.yaml"
    f.write_text(
        "newcomb: 1\nname: x\nparameters: {q: 1/2}\nactions: [a, b]\nvariables: {}\n"
        f"utility: {utility}\n"
    )
    code, out, err = run("check", str(f), "--json")
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert json.loads(out) == {"schema_version": 1, "file": str(f), "error": err[7:].strip()}


def test_check_json_error_object_is_clipped_like_the_stderr_line(tmp_path: Path) -> None:
    f = tmp_path / "long.yaml"
    label = "x" * 5000
    f.write_text(
        "newcomb: 1\nname: x\nactions: [a, b]\nvariables:\n"
        f"  c: {{chance: {{h: 1/2, t: 1/2}}}}\nutility: \"c == '{label}'\"\n"
    )
    code, out, err = run("check", str(f), "--json")
    assert code == 2 and len(err) < 2100
    assert json.loads(out)["error"] == err[7:].strip()


def test_a_study_s_theory_that_cannot_load_is_named_by_its_key(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text("def always(observation):\n    return 'one_box'\n")
    err = refused("study", study_file(tmp_path, "theories: [CDT, mine.py:nosuch]\n"))
    assert "s.yaml:4:" in err and "theories[1]: " in err and "has no attribute 'nosuch'" in err
    assert "--theory" not in err
    err = refused("study", study_file(tmp_path, "theories: [nosuchmodule:X]\n"))
    assert "theories[0]: cannot import 'nosuchmodule'" in err
    code, out, _ = run("study", study_file(tmp_path, "theories: [mine.py:always]\n"), "-j", "1")
    assert code == 0 and out.count(",always,one_box,") == 3


def test_a_key_past_yaml_s_1024_characters_says_so(tmp_path: Path) -> None:
    f = tmp_path / "long.yaml"
    f.write_text(f"newcomb: 1\nname: x\nactions: [a, b]\nvariables:\n  {'x' * 2000}: 1\n")
    err = refused("check", str(f))
    assert "malformed YAML" in err and "at most 1024 characters" in err
    f.write_text(f"newcomb: 1\nname: x\nactions: [a, b]\nvariables:\n  {'x' * 1000}: 1\n")
    assert "at most 1024" not in refused("check", str(f))  # within the limit: our own message


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("three", "a policy function must take one argument (the observation dict), or two"),
        ("X", "expected a Theory subclass, a Policy or a function of the observation, got int"),
        ("T", "the class T is not a newcomb.Theory subclass"),
    ],
)
def test_a_theory_spec_that_is_not_one_names_the_option(
    tmp_path: Path, name: str, expected: str
) -> None:
    f = tmp_path / "misc.py"
    f.write_text("def three(a, b, c):\n    return 'one_box'\nX = 3\nclass T:\n    pass\n")
    err = refused("check", NEWCOMB, "--theory", f"{f}:{name}")
    assert err.startswith(f"error: --theory '{f}:{name}': {expected}"), err


def test_a_policy_function_of_two_arguments_gets_action_as_the_decision() -> None:
    import newcomb

    seen: list[str] = []

    def mine(decision: str, observation: dict[str, object]) -> str:
        seen.append(decision)
        return "one_box"

    r = newcomb.analyse(newcomb.load(NEWCOMB), [mine])
    assert seen == ["action"] and str(r.theories[0].policies[0].policy) == "one_box"


def test_a_theory_file_without_a_name_says_what_to_add(tmp_path: Path) -> None:
    f = tmp_path / "mine.py"
    f.write_text("def mirror(observation):\n    return 'one_box'\n")
    err = refused("check", NEWCOMB, "--theory", str(f))
    assert err == f"error: --theory '{f}': expected file.py:NAME, the function or class to run " + (
        f"(e.g. '{f}:mirror')"
    )
