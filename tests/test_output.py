"""What the commands print: hostile names, huge numbers, several equilibria, long consistency
lists, constant formulas and one JSON format for every command (stdout and stderr asserted
separately)."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from newcomb.cli import app
from newcomb.render import MAX_EQUILIBRIA, MAX_TEXT, clip, number
from newcomb.report import approx, exact_str

runner = CliRunner()
ROOT = Path(__file__).parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
OMICRON = str(ROOT / "scenarios" / "omicron.yaml")
NEWCOMB = str(ROOT / "scenarios" / "newcomb.yaml")
TWO = str(FIXTURES / "two_equilibria.yaml")
SIX = str(FIXTURES / "meta_coordination.yaml")
MANY = str(FIXTURES / "many_draws.yaml")
USER = str(FIXTURES / "user_theories.py")


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args), env={"COLUMNS": "110"})
    return r.exit_code, r.stdout, r.stderr


def column(out: str, i: int) -> list[str]:
    """The lines of column ``i`` of a rich table (0 is the first column)."""
    return [line.split("│")[i + 1].strip() for line in out.splitlines() if "│" in line]


def flat(out: str) -> str:
    """A table's text with borders and line breaks gone (wrapped cells read as one line)."""
    return re.sub(r"[│\s]+", " ", out)


def _scenario(tmp_path: Path, file: str, name: str, actions: str, utility: str) -> Path:
    path = tmp_path / file
    path.write_text(
        f"newcomb: 1\nname: {json.dumps(name)}\nactions: {actions}\n"
        "variables:\n  prediction: {predicts: action, accuracy: 99/100}\n"
        f"utility: {json.dumps(utility)}\n",
        encoding="utf-8",
    )
    return path


# --- text from files is printed literally -------------------------------------------------


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    return _scenario(
        tmp_path,
        ":fire:.yaml",
        "[/] [bold]x[/bold] :fire:",
        '[":fire:", "[red]b"]',
        "1000000*(prediction == ':fire:') + 1000*(action == '[red]b')",
    )


def test_markup_and_emoji_codes_print_literally_in_tables(hostile: Path) -> None:
    for args in (
        ("check", str(hostile)),
        ("check", str(hostile), "-v"),
        ("compare", str(hostile)),
        ("compare", str(hostile), "--markdown"),
        ("explain", str(hostile), "--theory", "CDT"),
    ):
        code, out, err = run(*args)
        assert code == 0, args
        assert err == "", args
        assert "🔥" not in out, args
        assert ":fire:" in out and "[red]b" in out, args
    code, out, _ = run("check", str(hostile))
    assert ":fire:.yaml" in out and "[/] [bold]x[/bold] :fire:" in out


def test_markup_and_emoji_codes_in_json_are_the_file_text(hostile: Path) -> None:
    code, out, err = run("check", str(hostile), "--json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert doc["file"].endswith(":fire:.yaml") and doc["name"] == "[/] [bold]x[/bold] :fire:"
    assert doc["actions"] == [":fire:", "[red]b"]
    code, out, err = run("compare", str(hostile), "--json")
    assert code == 0 and err == ""
    assert json.loads(out)["rows"][0]["theories"]["CDT"]["policy"] == "[red]b"


def test_markup_in_an_error_line_prints_literally(tmp_path: Path) -> None:
    bad = tmp_path / "[bold]:fire:.yaml"
    bad.write_text("newcomb: 1\nname: x\n", encoding="utf-8")
    code, out, err = run("check", str(bad))
    assert code == 2 and out == ""
    assert err.startswith("error: ") and "[bold]:fire:.yaml" in err and "🔥" not in err
    assert len(err.strip().splitlines()) == 1


def test_long_names_and_labels_are_clipped(tmp_path: Path) -> None:
    long = "N" * (MAX_TEXT + 100)
    path = _scenario(tmp_path, "long.yaml", long, f"[a{long}, b]", "1*(prediction == 'b')")
    code, out, err = run("check", str(path))
    assert code == 0 and err == ""
    assert long not in out.replace("\n", "").replace(" ", "").replace("│", "")
    assert "…" in out
    code, out, err = run("compare", str(path), "--markdown")
    assert code == 0 and err == ""
    assert long[:MAX_TEXT] not in out and "N" * (MAX_TEXT - 1) + "…" in out
    code, out, err = run("check", str(tmp_path / f"{long}.yaml"))
    assert code == 2 and out == ""
    assert len(err) < 2 * MAX_TEXT and "…" in err


def test_clip_keeps_short_text_and_bounds_long_text() -> None:
    assert clip("short") == "short"
    assert clip("x" * 1000) == "x" * (MAX_TEXT - 1) + "…"
    assert len(clip("y" * 1000, 50)) == 50


# --- huge numbers -------------------------------------------------------------------------


@pytest.fixture
def huge(tmp_path: Path) -> Path:
    return _scenario(
        tmp_path,
        "huge.yaml",
        "Huge",
        "[one_box, two_box]",
        "1e309*(prediction == 'one_box') + 1000*(action == 'two_box')",
    )


def test_a_huge_utility_renders_in_table_compare_explain_and_json(huge: Path) -> None:
    edt = Fraction(99, 100) * 10**309  # one_box against a 99/100 accurate predictor
    for args in (
        ("check", str(huge)),
        ("compare", str(huge)),
        ("compare", str(huge), "--markdown"),
        ("explain", str(huge), "--theory", "EDT"),
    ):
        code, out, err = run(*args)
        assert code in (0, 1), args
        assert err == "", args
        assert "≈ 9.9e+308" in out, args
    code, out, err = run("check", str(huge), "--json")
    assert code == 0 and err == ""
    t = {x["theory"]: x for x in json.loads(out)["theories"]}
    assert Fraction(t["EDT"]["value"]) == edt
    code, out, err = run("compare", str(huge), "--json")
    assert code == 0 and err == ""
    assert Fraction(json.loads(out)["rows"][0]["theories"]["EDT"]["value"]) == edt


def test_numbers_past_the_int_to_str_limit() -> None:
    n = 10**5000 + 7  # str(n) raises ValueError under Python's default 4300-digit limit
    assert exact_str(n) == "1" + "0" * 4996 + "0007"
    assert exact_str(Fraction(-n, 3)) == "-1" + "0" * 4996 + "0007/3"
    assert number(Fraction(n)) == "≈ 1e+5000"
    assert number(Fraction(1, n)) == "≈ 1e-5000"
    assert number(Fraction(-(10**309))) == "≈ -1e+309"
    assert number(Fraction(2003000, 3)) == "2003000/3 ≈ 667666.7"
    assert number(Fraction(10**40 - 1)) == "9" * 40


@given(
    st.integers(min_value=-(10**400), max_value=10**400).filter(bool),
    st.integers(min_value=1, max_value=10**400),
)
def test_approx_is_within_half_a_unit_of_the_seventh_digit(num: int, den: int) -> None:
    v = Fraction(num, den)
    text = approx(v)
    mantissa, _, exponent = text.partition("e")
    shown = Fraction(mantissa) * Fraction(10) ** int(exponent or 0)
    assert abs(shown - v) <= abs(v) * Fraction(51, 10**8)  # 7 significant digits, rounded


# --- several equilibria -------------------------------------------------------------------


def test_compare_shows_each_equilibrium_with_its_value() -> None:
    code, out, err = run("compare", TWO)
    assert code == 0 and err == ""
    assert column(out, 1) == ["low", "1", "or high", "10"]
    assert column(out, 2) == ["high", "10", "", ""]
    code, out, err = run("compare", TWO, "--markdown")
    assert code == 0 and err == ""
    assert "| low: 1 or high: 10 |" in out


def test_compare_lists_up_to_the_bound_then_says_how_many_more() -> None:
    code, out, err = run("compare", SIX, "--set", "k=3", "--markdown")
    assert code == 0 and err == ""
    shown = " or ".join(f"a{i}: {3 * i}" for i in range(1, MAX_EQUILIBRIA + 1))
    assert f"| {shown} … and {6 - MAX_EQUILIBRIA} more |" in out
    code, out, err = run("compare", SIX, "--set", "k=3")
    assert code == 0 and err == ""
    cdt = column(out, 1)
    assert cdt[-1] == f"… and {6 - MAX_EQUILIBRIA} more"
    assert f"or a{MAX_EQUILIBRIA}" in cdt and f"or a{MAX_EQUILIBRIA + 1}" not in cdt


def test_compare_json_lists_every_equilibrium_with_its_value() -> None:
    code, out, err = run("compare", SIX, TWO, "--set", "k=3", "--json")
    assert code == 2  # TWO has no parameter k: reported, the other file still compared
    assert err.startswith("error: ") and "two_equilibria.yaml" in err
    (row,) = json.loads(out)["rows"]
    cdt = row["theories"]["CDT"]
    assert [(e["policy"], e["value"]) for e in cdt["equilibria"]] == [
        (f"a{i}", str(3 * i)) for i in range(1, 7)
    ]
    assert cdt["policies"] == 6 and cdt["more"] == 0 and cdt["value"] == "3"
    assert cdt["marks"] == ["6 policies"]
    assert row["theories"]["EDT"]["equilibria"] == [
        {"policy": "a6", "value": "18", "paradox": False, "mixed": False}
    ]


# --- the consistency column ---------------------------------------------------------------


def test_long_consistency_lists_are_summarised_and_verbose_shows_them_all() -> None:
    code, out, err = run("check", MANY, "--only", "CDT")
    assert code == 0 and err == ""
    assert "… 11 more draws: 11 consistent, 0 paradox" in flat(out)
    assert "weather=w5" in out and "weather=w6" not in out
    code, out, err = run("check", MANY, "--only", "CDT", "--verbose")
    assert code == 0 and err == ""
    assert "more draws" not in out
    for i in range(1, 9):
        assert f"weather=w{i}" in out
    code2, out2, _ = run("check", MANY, "--only", "CDT", "-v")
    assert (code2, out2) == (code, out)


def test_short_consistency_lists_are_unchanged_by_verbose() -> None:
    assert run("check", OMICRON) == run("check", OMICRON, "-v")


# --- constants print once -----------------------------------------------------------------


def test_a_value_that_does_not_depend_on_the_symbol_prints_once() -> None:
    code, out, err = run("check", MANY, "--only", "FDT", "--symbolic", "flight")
    assert code == 0 and err == ""
    assert column(out, 4)[:3] == ["0", "random: 0", "retry: 0"]
    code, out, err = run("check", NEWCOMB, "--only", "CDT", "--symbolic", "q")
    assert code == 0 and err == ""
    main = column(out, 4)[0]  # a value that depends on q keeps its formula
    assert main.startswith("11000 = ") and "q" in main


# --- sweep and explain take --theory ------------------------------------------------------


def test_sweep_takes_a_user_theory_with_a_query() -> None:
    spec = f"{USER}:RetryFDT"
    code, out, err = run(
        "sweep", OMICRON, "--param", "p=0:1:5", "--theory", spec, "--only", "RetryFDT"
    )
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "p,RetryFDT_policy,RetryFDT_value,RetryFDT_value_of"
    assert lines[-1] == "1.0,always one_box,3000000.0,always one_box"


def test_sweep_refuses_a_theory_without_a_query_in_one_line() -> None:
    code, out, err = run("sweep", OMICRON, "--param", "p=0:1:5", "--theory", f"{USER}:Contrarian")
    assert code == 2 and out == ""
    assert err.startswith("error: --theory 'Contrarian'") and err.count("\n") == 1
    # a policy function cannot read the parameter: it is swept, its value one formula in it
    code, out, err = run(
        "sweep",
        OMICRON,
        "--param",
        "p=0:1:5",
        "--theory",
        f"{USER}:one_box_if_coincide",
        "--paradox",
        "random",
        "--only",
        "one_box_if_coincide",
    )
    assert code == 0 and err == ""
    at_half = out.splitlines()[3].split(",")
    assert at_half[0] == "0.5"
    code, one, _ = run(
        "check",
        OMICRON,
        "--set",
        "p=1/2",
        "--paradox",
        "random",
        "--json",
        "--theory",
        f"{USER}:one_box_if_coincide",
        "--only",
        "one_box_if_coincide",
    )
    assert float(at_half[2]) == float(Fraction(json.loads(one)["theories"][0]["value"]))


def test_sweep_says_whose_value_it_gives_where_policies_tie() -> None:
    code, out, err = run("sweep", NEWCOMB, "--param", "q=0:1:2001", "--only", "EDT")
    assert code == 0 and err == ""
    header, *rows = out.splitlines()
    assert header == "q,EDT_policy,EDT_value,EDT_value_of"
    tie = rows[1001].split(",")  # q = 1001/2000: both policies are ratifiable
    assert tie[1] == "one_box | two_box" and tie[3] in ("one_box", "two_box")
    assert rows[0].split(",")[3] == "two_box" and rows[-1].split(",")[3] == "one_box"
    code, out, err = run("sweep", NEWCOMB, "--param", "q=0:1:11", "--only", "EDT", "--json")
    assert code == 0 and err == ""
    regions = json.loads(out)["theories"][0]["regions"]
    point = next(r for r in regions if r["from"] == r["to"] == "1001/2000")
    assert point["policy"] == "one_box | two_box"
    assert point["value_of"] in ("one_box", "two_box")
    others = [r for r in regions if r is not point]
    assert all(r["value_of"] == r["policy"] for r in others if r["formula"] is not None)
    assert all(r["value_of"] is None for r in others if r["policy"] == "invalid")


def test_explain_shows_policy_value_and_consistency_of_a_theory_without_a_query() -> None:
    code, out, err = run("explain", OMICRON, "--theory", f"{USER}:one_box_if_coincide")
    assert code == 1 and err == ""
    assert "one_box_if_coincide: coincide=false → two_box; coincide=true → one_box" in out
    assert "no query" in out and "no expected utilities per act" in flat(out)
    assert "value (fail): —" in out and "value (retry): 1000000" in out
    assert "omicron=composite: 0 — paradox" in out
    code, out, err = run("explain", OMICRON, "--theory", f"{USER}:one_box_if_coincide", "--json")
    assert code == 1 and err == ""
    doc = json.loads(out)
    assert doc["query"] is None and doc["policies"][0]["observations"] is None
    assert doc["policies"][0]["realized"]["retry"] == "1000000"


def test_explain_json_gives_each_acts_expected_utility() -> None:
    code, out, err = run("explain", OMICRON, "--theory", "EDT", "--json")
    assert code == 1 and err == ""
    doc = json.loads(out)
    assert doc["command"] == "explain" and doc["theory"] == "EDT" and doc["query"] == "condition"
    rows = doc["policies"][0]["observations"]
    eus = {
        (json.dumps(r["observation"]), a["action"]): a["expected_utility"]
        for r in rows
        for a in r["acts"]
    }
    assert eus[('{"coincide": false}', "one_box")] == "3000000"
    assert eus[('{"coincide": true}', "two_box")] == "2001000"


# --- one JSON format ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("check", NEWCOMB, "--json"),
        ("compare", NEWCOMB, "--json"),
        ("sweep", NEWCOMB, "--param", "q=0:1:3", "--json"),
        ("explain", NEWCOMB, "--json"),
    ],
)
def test_every_command_formats_json_the_same_way(args: tuple[str, ...]) -> None:
    code, out, err = run(*args)
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert out == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    assert doc["schema_version"] == 1


def test_the_progress_bar_shows_a_file_name_literally() -> None:
    import io

    from rich.console import Console

    from newcomb.cli import _progress

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=100)
    with _progress(console, "[/]:fire:.yaml", enabled=True) as update:
        assert update is not None
        update(1, 4)
    assert "[/]:fire:.yaml: searching policies" in buf.getvalue() and "🔥" not in buf.getvalue()
