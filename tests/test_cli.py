"""The command line: output, JSON and exit codes (stdout and stderr asserted separately)."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from newcomb.cli import app

runner = CliRunner()
ROOT = Path(__file__).parent.parent
OMICRON = str(ROOT / "scenarios" / "omicron.yaml")
FIXTURES = ROOT / "tests" / "fixtures"


def run(*args: str, width: int | None = None) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args), env={"COLUMNS": str(width)} if width else None)
    return r.exit_code, r.stdout, r.stderr


def test_check_omicron_table_and_exit_code() -> None:
    code, out, err = run("check", OMICRON)
    assert code == 1
    assert err == ""
    for text in ("CDT", "EDT", "FDT", "always two_box", "always one_box", "1001000", "2000000"):
        assert text in out
    assert "coincide=false → one_box" in out and "coincide=true → two_box" in out
    assert "omicron=prime: 0 — paradox" in out
    assert "no choice of the predictor is consistent" in out


def test_json_output() -> None:
    code, out, err = run("check", OMICRON, "--json")
    assert code == 1 and err == ""
    doc = json.loads(out)
    assert doc["schema_version"] == 1
    assert doc["name"].startswith("Ultimate Newcomb")
    assert doc["parameters"] == {"p": "1/2"}
    t = {x["theory"]: x for x in doc["theories"]}
    assert list(t) == ["CDT", "EDT", "FDT"]
    assert t["CDT"]["value"] == "1001000" and t["FDT"]["value"] == "2000000"
    assert t["EDT"]["value"] is None and t["EDT"]["paradox"] is True
    assert t["EDT"]["realized"] == {"fail": None, "random": "1250750", "retry": "2001000"}
    assert t["EDT"]["policies"] == [
        [
            {"observation": {"coincide": False}, "action": {"one_box": "1"}},
            {"observation": {"coincide": True}, "action": {"two_box": "1"}},
        ]
    ]
    assert t["EDT"]["consistency"] == [
        {"chance": {"omicron": "composite"}, "consistent": 2, "paradox": False},
        {"chance": {"omicron": "prime"}, "consistent": 0, "paradox": True},
    ]
    assert "omicron = prime" in t["EDT"]["details"][0]["consistency"][1]["reason"]


def test_set_changes_numbers() -> None:
    code, out, _ = run("check", OMICRON, "--set", "p=1/5", "--json")
    doc = json.loads(out)
    t = {x["theory"]: x for x in doc["theories"]}
    assert doc["parameters"] == {"p": "1/5"}
    assert t["CDT"]["value"] == "401000" and t["FDT"]["value"] == "1400000"
    assert code == 1


@pytest.mark.parametrize(("rule", "edt"), [("retry", "2001000"), ("random", "1250750")])
def test_paradox_rule_override(rule: str, edt: str) -> None:
    code, out, _ = run("check", OMICRON, "--paradox", rule, "--json")
    doc = json.loads(out)
    assert doc["on_paradox"] == rule
    assert {x["theory"]: x["value"] for x in doc["theories"]}["EDT"] == edt
    assert code == 1  # the paradox is still there; the rule only says what follows from it


def test_consistent_file_exits_zero() -> None:
    code, out, err = run("check", str(ROOT / "scenarios" / "omicron_consistent.yaml"))
    assert code == 0 and err == ""
    assert "paradox" not in out.split("\n")[-2]


def test_symbolic_formula() -> None:
    _, out, _ = run("check", OMICRON, "--symbolic", "p", "--json")
    t = {x["theory"]: x for x in json.loads(out)["theories"]}
    assert t["CDT"]["formula"]["fail"] == "2000000*p + 1000"
    assert t["FDT"]["formula"]["fail"] == "2000000*p + 1000000"
    assert t["EDT"]["formula"]["fail"] is None
    assert t["EDT"]["formula"]["random"] == "1500500*p + 500500"


def test_user_theory_file_and_module(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run(
        "check", OMICRON, "--theory", f"{FIXTURES / 'user_theories.py'}:Contrarian", "--json"
    )
    assert err == "" and code == 1
    t = {x["theory"]: x for x in json.loads(out)["theories"]}
    assert list(t) == ["CDT", "EDT", "FDT", "Contrarian"]
    assert t["Contrarian"]["value"] == "1001000"
    monkeypatch.chdir(FIXTURES)
    _, out, err = run(
        "check", OMICRON, "--theory", "user_theories:RetryFDT", "--only", "RetryFDT", "--json"
    )
    assert err == ""
    t = {x["theory"]: x for x in json.loads(out)["theories"]}
    # Conditioning paradoxes away, the best policy is EDT's: it only meets the days Omega
    # can handle (the selection effect of the 'retry' reading); under the file's 'fail' rule
    # its value is undefined.
    assert list(t) == ["RetryFDT"]
    assert t["RetryFDT"]["realized"] == {"fail": None, "random": "1250750", "retry": "2001000"}
    assert t["RetryFDT"]["paradox"] is True
    _, out, err = run("check", OMICRON, "--theory", "user_theories:one_box_if_coincide", "--json")
    assert err == ""
    t = {x["theory"]: x for x in json.loads(out)["theories"]}
    pol = t["one_box_if_coincide"]
    assert pol["paradox"] is True  # one-boxing iff coincide refutes Omega on composite days
    assert pol["consistency"][0] == {
        "chance": {"omicron": "composite"},
        "consistent": 0,
        "paradox": True,
    }


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--theory", "nosuchmodule_xyz:Thing"], "cannot import 'nosuchmodule_xyz'"),
        (["--theory", "user_theories:Missing"], "has no attribute 'Missing'"),
        (["--theory", "user_theories:NOT_A_THEORY"], "expected a Theory subclass"),
        (["--theory", "user_theories:broken"], "returned 'three_box'"),
        (["--theory", "no-colon"], "or module:Name"),
        (["--set", "p"], "expected NAME=VALUE"),
        (["--set", "x=1"], "no parameter named 'x'"),
        (["--set", "p=abc"], "expected an exact number"),
        (["--paradox", "maybe"], "expected one of fail, random, retry"),
        (["--only", "XDT"], "no such theory"),
        (["--symbolic", "zz"], "no parameter named 'zz'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    args: list[str], needle: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(FIXTURES)
    code, out, err = run("check", OMICRON, *args)
    assert code == 2
    assert out == ""
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


BAD = {
    "bad_yaml.yaml": ("newcomb: 1\nname: [unclosed\n", "malformed YAML"),
    "unknown_key.yaml": (
        "newcomb: 1\nname: x\nactions: [a, b]\nvariables: {}\nutility: 0\ncolour: red\n",
        "colour: unknown key 'colour'",
    ),
    "unknown_name.yaml": (
        "newcomb: 1\nname: x\nactions: [a, b]\nvariables: {}\nutility: money\n",
        "utility: unknown name 'money'",
    ),
    "sum.yaml": (
        "newcomb: 1\nname: x\nactions: [a, b]\n"
        "variables:\n  c: {chance: {h: 1/2, t: 1/3}}\nutility: 0\n",
        "variables.c.chance: probabilities sum to 5/6, expected 1",
    ),
    "import.yaml": (
        "newcomb: 1\nname: x\nactions: [a, b]\nvariables: {}\n"
        "utility: __import__('os').system('echo hi')\n",
        "utility:",
    ),
    "attribute.yaml": (
        "newcomb: 1\nname: x\nactions: [a, b]\nvariables: {}\nutility: action.upper\n",
        "attribute access is not allowed",
    ),
    "call.yaml": (
        "newcomb: 1\nname: x\nactions: [a, b]\nvariables: {}\nutility: open('f')\n",
        "calling 'open' is not allowed",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_files_exit_2_naming_file_and_key(name: str, tmp_path: Path) -> None:
    text, needle = BAD[name]
    f = tmp_path / name
    f.write_text(text)
    code, out, err = run("check", str(f))
    assert code == 2
    assert out == ""
    assert err.startswith(f"error: {f}:")
    assert needle in err
    assert len(err.strip().splitlines()) == 1


def test_missing_file_and_other_files_still_checked(tmp_path: Path) -> None:
    code, out, err = run("check", str(tmp_path / "nope.yaml"), OMICRON)
    assert code == 2
    assert "nope.yaml: no such file" in err
    assert "always two_box" in out  # the good file is still reported


def test_several_files_json_is_a_list() -> None:
    code, out, _ = run("check", OMICRON, str(ROOT / "scenarios" / "newcomb.yaml"), "--json")
    doc = json.loads(out)
    assert isinstance(doc, list) and [d["name"] for d in doc][1] == "Newcomb's problem"
    assert code == 1


def test_version_and_help() -> None:
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("newcomb ")
    code, out, _ = run()
    assert "check" in out


def test_console_script_runs_without_traceback(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_bytes(b"\xff\xfe not utf-8")
    r = subprocess.run(
        [sys.executable, "-m", "newcomb", "check", str(f)], capture_output=True, text=True
    )
    assert r.returncode == 2
    assert "not UTF-8" in r.stderr and "Traceback" not in r.stderr
    assert r.stdout == ""


def test_json_is_byte_identical_across_runs() -> None:
    a = run("check", OMICRON, "--json")[1]
    b = run("check", OMICRON, "--json")[1]
    assert a == b


def test_compare_table_markdown_and_json() -> None:
    files = [str(p) for p in sorted((ROOT / "scenarios").glob("*.yaml"))]
    code, out, err = run("compare", *files, "--markdown")
    assert err == "" and code == 1  # omicron.yaml has a paradox
    lines = out.strip().splitlines()
    assert lines[0] == "| problem | CDT | EDT | FDT |"
    assert len(lines) == 2 + len(files)
    row = next(x for x in lines if x.startswith("| Newcomb's problem |"))
    assert row == "| Newcomb's problem | two_box: 11000 | one_box: 990000 | one_box: 990000 |"
    omicron = next(x for x in lines if x.startswith("| Ultimate Newcomb's problem (Omega"))
    assert "[paradox]: —" in omicron
    code, out, _ = run("compare", *files, "--json")
    doc = json.loads(out)
    cells = {r["name"]: r["theories"] for r in doc["rows"]}
    assert cells["Newcomb's problem"]["CDT"]["value"] == "11000"
    assert cells["Ultimate Newcomb's problem (Omega and Omicron)"]["EDT"]["paradox"] is True
    code, out, _ = run("compare", *files, width=300)
    assert "Transparent Newcomb's problem" in out


def test_explain_edt_on_omicron() -> None:
    code, out, err = run("explain", OMICRON, "--theory", "EDT")
    assert code == 1 and err == ""
    assert "on coincide = true: two_box — two_box wins with 2001000 against one_box 1000000" in out
    assert "on coincide = false: one_box — one_box wins with 3000000 against two_box 1000" in out
    assert "(prediction erred)" in out  # the tremble EDT conditions on
    assert "paradox: When omicron = prime" in out


def test_explain_fdt_tie_broken_by_trembles() -> None:
    path = str(ROOT / "scenarios" / "transparent_newcomb.yaml")
    code, out, _ = run("explain", path, "--theory", "FDT", "--set", "q=1", width=400)
    assert code == 0
    assert "tie at 1000000 in the limit of perfect accuracy; two_box wins on the trembles" in out


def test_explain_rejects_unknown_theory() -> None:
    code, out, err = run("explain", OMICRON, "--theory", "XDT")
    assert code == 2 and out == "" and "expected a built-in theory (CDT, EDT, FDT)" in err


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.name)
def test_exhaustive_path_prints_the_same_json(path: Path) -> None:
    """The compiled path finds what ``--exhaustive`` finds: the same JSON, except that its
    consistency rows are per draw of only what is read (DESIGN.md §2c), each the merge of the
    exhaustive draws that extend it, with the same counts and findings."""
    fast = run("check", str(path), "--json")
    slow = run("check", str(path), "--json", "--exhaustive")
    assert fast[0] == slow[0] and fast[2] == slow[2]
    a, b = json.loads(fast[1]), json.loads(slow[1])
    coarse, fine = _pop_rows(a), _pop_rows(b)
    assert a == b
    assert len(coarse) == len(fine)
    for rows, full in zip(coarse, fine, strict=True):
        merged: dict[int, Fraction] = {}
        for row in full:
            (k,) = [
                i
                for i, c in enumerate(rows)
                if c.get("agent") == row.get("agent")
                and c["chance"].items() <= row["chance"].items()
            ]
            c = rows[k]
            for field in ("consistent", "chosen", "ambiguous", "paradox", "best_accuracy"):
                assert c[field] == row[field], field
            merged[k] = merged.get(k, Fraction(0)) + Fraction(row["probability"])
        assert all(merged.get(k, 0) == Fraction(c["probability"]) for k, c in enumerate(rows))


def _pop_rows(doc: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """Every policy's consistency rows, taken out of a check's JSON."""
    out = []
    for t in doc["theories"]:
        for d in t["details"]:
            out.append(d.pop("consistency"))
        t.pop("consistency", None)
    return out


def test_typer_usage_errors_are_one_line_too() -> None:
    for args in (["check"], ["check", "--bogus"], ["explain", OMICRON, OMICRON]):
        r = subprocess.run([sys.executable, "-m", "newcomb", *args], capture_output=True, text=True)
        assert r.returncode == 2, args
        assert r.stdout == ""
        assert r.stderr.startswith("error: ") and len(r.stderr.strip().splitlines()) == 1


def test_numeric_observations_serialise(tmp_path: Path) -> None:
    f = tmp_path / "n.yaml"
    f.write_text(
        "newcomb: 1\nname: numbers\nactions: [a, b]\nvariables:\n"
        "  c: {chance: {h: 1/2, t: 1/2}}\n  x: {value: \"3 if c == 'h' else 1/2\"}\n"
        "observes: [x]\nutility: x * (action == 'a')\n"
    )
    code, out, err = run("check", str(f), "--json")
    assert code == 0 and err == ""
    obs = [r["observation"]["x"] for r in json.loads(out)["theories"][0]["policies"][0]]
    assert obs == ["1/2", 3]


def test_json_for_several_files_keeps_positions(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("newcomb: 2\nname: x\nactions: [a, b]\nvariables: {}\nutility: 0\n")
    code, out, err = run("check", str(bad), OMICRON, "--json")
    doc = json.loads(out)
    assert code == 2 and len(doc) == 2
    assert doc[0]["file"] == str(bad) and "unsupported format version" in doc[0]["error"]
    assert doc[1]["name"].startswith("Ultimate Newcomb")
    assert "unsupported format version" in err


def test_set_is_named_when_it_makes_the_scenario_invalid() -> None:
    code, out, err = run("check", OMICRON, "--set", "p=3/2")
    assert code == 2 and out == ""
    assert "probability 3/2 is outside [0, 1]" in err and "(with --set p=3/2)" in err


def test_python_api_takes_policy_functions() -> None:
    import newcomb

    r = newcomb.analyse(
        newcomb.load(OMICRON), [lambda obs: "two_box" if obs["coincide"] else "one_box"]
    )
    (t,) = r.theories
    assert t.theory == "<lambda>" and t.paradox


def test_sweep_command_csv_and_json(tmp_path: Path) -> None:
    path = str(ROOT / "scenarios" / "newcomb.yaml")
    code, out, err = run("sweep", path, "--param", "q=0:1:2001")
    assert code == 0 and err == ""
    lines = out.strip().splitlines()
    assert lines[0] == (
        "q,CDT_policy,CDT_value,CDT_value_of,EDT_policy,EDT_value,EDT_value_of,"
        "FDT_policy,FDT_value,FDT_value_of"
    )
    assert len(lines) == 2002
    assert lines[1 + 1001].split(",")[4] == "one_box | two_box"  # q = 1001/2000 exactly
    target = tmp_path / "s.json"
    code, _, _ = run("sweep", path, "--param", "q=0:1:11", "--json", "-o", str(target))
    doc = json.loads(target.read_text())
    edt = next(t for t in doc["theories"] if t["theory"] == "EDT")
    assert doc["command"] == "sweep" and edt["thresholds"] == ["1001/2000"]
    assert len(edt["values"]) == 11 and edt["values"][-1] == 1000000.0
    code, out, err = run("sweep", path, "--param", "z=0:1:5")
    assert code == 2 and "no parameter named 'z'" in err


def _wide(tmp_path: Path, n: int) -> Path:
    f = tmp_path / f"wide{n}.yaml"
    chance = "".join(f"  x{i}: {{chance: {{a: 1/2, b: 1/2}}}}\n" for i in range(n))
    observes = ", ".join(f"x{i}" for i in range(n))
    f.write_text(
        f"newcomb: 1\nname: wide\nactions: [l, r]\nvariables:\n{chance}"
        f"observes: [{observes}]\nutility: action == 'l'\n"
    )
    return f


def test_far_past_the_bound_exits_2_at_once_with_the_size(tmp_path: Path) -> None:
    import time

    start = time.perf_counter()
    code, out, err = run("check", str(_wide(tmp_path, 30)))
    assert time.perf_counter() - start < 5
    assert code == 2 and out == ""
    # 2^30 observations: compiling stops as soon as what it built passes the bound
    assert "more than 16384 pre-act states" in err and "--max-worlds" in err


def test_progress_is_reported_for_long_searches_and_silent_in_json() -> None:
    import newcomb
    from benchmarks.run import coupled

    calls: list[tuple[int, int]] = []
    newcomb.analyse(coupled(7), progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1][0] == calls[-1][1]  # the last call says it is done
    code, out, err = run("check", OMICRON, "--json")
    assert code == 1 and json.loads(out)["paradox"] is True
    assert err == ""  # no progress bar with --json (nor when stderr is not a terminal)


# -- hostile input: one line on stderr and exit 2, never a traceback --------------------------

HOSTILE_PARAMETER = "newcomb: 1\nname: x\nparameters: {q: 1/2}\nactions: [a, b]\nvariables: {}\n"


@pytest.mark.parametrize("json_flag", [[], ["--json"]], ids=["text", "json"])
@pytest.mark.parametrize(
    ("utility", "sets", "needle"),
    [
        ("q", ["--set", "q=1e-6000"], "its exponent -6000 is beyond ±4000"),
        ("q", ["--set", "q=1e6000"], "its exponent 6000 is beyond ±4000"),
        ("q", ["--set", "q=١"], "only the ASCII digits 0-9 are allowed in a number"),
        ("q", ["--set", "q=１/2"], "only the ASCII digits 0-9 are allowed in a number"),
        ("q", ["--set", "q=" + "9" * 5000], "a number of more than 200 characters"),
        ("1e4400 * (action == 'a')", [], "its exponent 4400 is beyond ±4000"),
        ("q * 10**4400", [], "exponent 4400 is larger than 256"),
        ("1e4000 * 1e4000 * (action == 'a')", [], "the result is too large"),
    ],
)
def test_numbers_past_the_bound_exit_2_with_one_line(
    utility: str, sets: list[str], needle: str, json_flag: list[str], tmp_path: Path
) -> None:
    # Python refuses to print an int of more than 4300 digits: such numbers used to escape
    # as a ValueError traceback (exit 1) from the renderer, even with --json
    f = tmp_path / "big.yaml"
    f.write_text(HOSTILE_PARAMETER + f"utility: {utility}\n")
    code, out, err = run("check", str(f), *sets, *json_flag)
    assert code == 2
    if sets or not json_flag:  # refused before any FILE, or no JSON: nothing on stdout
        assert out == ""
    else:  # a bad FILE under --json: its error object, the stderr line without "error: "
        assert json.loads(out)["error"] == err.strip().removeprefix("error: ")
    assert "Traceback" not in err and "4300" not in err
    assert len(err.strip().splitlines()) == 1
    assert needle in err
    assert len(err) < 400  # the 5000 digits are not echoed


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            "newcomb: 1\nname: x\nactions: [a, b]\nvariables:\n\tc: {chance: {h: 1}}\nutility: 0\n",
            ":5:1: malformed YAML: tabs are not allowed for indentation in YAML; use spaces",
        ),
        (
            "newcomb: 1\nname: x\nactions: [a, b]\nvariables:\n  c: {chance: {h: 1/2, t: 1/2}}\n"
            "utility: \"1 if c = 'h' else 0\"\n",
            "utility: cannot parse expression \"1 if c = 'h' else 0\": '=' is assignment; "
            "use '==' to compare",
        ),
        (
            "newcomb: 1\nname: x\nactions: [a, b]\nvariables:\n  c: {chnace: {h: 1}}\nutility: 0\n",
            "variables.c.chnace: unknown key 'chnace' (expected one of: chance, value, predicts, "
            "select, correlate, decide); did you mean 'chance'?",
        ),
        (
            "newcomb: 1e2\nname: x\nactions: [a, b]\nvariables: {}\nutility: 0\n",
            "newcomb: unsupported format version 100; this newcomb reads version 1",
        ),
    ],
    ids=["tab", "assignment", "misspelt-kind", "version"],
)
def test_common_mistakes_are_named_with_the_fix(text: str, needle: str, tmp_path: Path) -> None:
    f = tmp_path / "mistake.yaml"
    f.write_text(text)
    code, out, err = run("check", str(f))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert needle in err


def test_a_sum_that_is_off_names_the_context_it_was_evaluated_in(tmp_path: Path) -> None:
    # weather is drawn before cancer but its probabilities do not read it: it is not named
    f = tmp_path / "sum.yaml"
    f.write_text(
        "newcomb: 1\nname: x\nactions: [a, b]\nvariables:\n"
        "  lesion: {chance: {yes: 1/2, no: 1/2}}\n"
        "  weather: {chance: {sun: 1/2, rain: 1/2}}\n"
        "  cancer: {chance: {yes: \"8/10 if lesion == 'yes' else 1/10\",\n"
        "                    no: \"1/10 if lesion == 'yes' else 9/10\"}}\n"
        "utility: 0\n"
    )
    code, out, err = run("check", str(f))
    assert code == 2 and out == ""
    expected = "probabilities sum to 9/10, expected 1 (when lesion = yes)"
    assert f"variables.cancer.chance: {expected}" in err
    assert "weather" not in err


def test_a_computed_physical_act_that_is_not_an_action_is_refused_before_the_analysis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import newcomb.query

    def analysed(*args: object, **kwargs: object) -> None:
        raise AssertionError("the physical act was checked only during the analysis")

    monkeypatch.setattr(newcomb.query, "physical_expected_utility", analysed)
    f = tmp_path / "physical.yaml"
    f.write_text(
        "newcomb: 1\nname: x\nactions: [a, b]\nvariables:\n"
        "  ray: {chance: {hit: 1/2, clear: 1/2}}\n"
        "  done: {value: \"'c' if ray == 'hit' else action\"}\n"
        "utility: 1\nphysical: done\n"
    )
    code, out, err = run("check", str(f))
    assert code == 2 and out == ""
    assert "physical: the physical act must be an action name, got 'c' (actions: a, b)" in err
