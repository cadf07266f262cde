"""What a theory may return, read in one place (:mod:`newcomb.theories.result`), and user code
that misbehaves: every failure is one ``UsageError`` line naming the theory, exit code 2, and
stdout carries only the report (issue 9)."""

from __future__ import annotations

import json
import time
from dataclasses import fields
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import newcomb
from newcomb import Decision, Model, Policy, Scenario, Theory
from newcomb.cli import app
from newcomb.errors import UsageError
from newcomb.testing import TheoryContract, policies_of, replace_scenario, with_utility
from newcomb.theories import MAX_POLICIES, interpret, run_theory
from newcomb.theories.result import MAX_MESSAGE, one_line, user_code

ROOT = Path(__file__).parent.parent
OMICRON = str(ROOT / "scenarios" / "omicron.yaml")
HOSTILE = ROOT / "tests" / "fixtures" / "hostile_theories.py"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def hostile(name: str) -> str:
    return f"{HOSTILE}:{name}"


# -- the command line: one line, exit 2, a clean stdout ----------------------------------------


@pytest.mark.parametrize(
    ("name", "needles"),
    [
        ("infinite", ["theory 'infinite'", "float inf", "Fraction(1, 3)", '"1/3"']),
        ("exploding", ["theory 'exploding'", "raised RuntimeError: no items here"]),
        ("floats", ["theory 'floats'", "returned the float 0.333", '"1/3"']),
        ("Raising", ["theory 'Raising'", "decide raised ValueError: first line second line"]),
        ("Exiting", ["theory 'Exiting'", "decide raised SystemExit: 0"]),
        ("Negative", ["theory 'Negative'", "(2, -1)", "in [0, 1]"]),
        ("TooFewRows", ["theory 'TooFewRows'", "has 1 rows", "one row per observation (2)"]),
        ("Flood", ["theory 'Flood'", "200000 policies", f"at most {MAX_POLICIES}"]),
        ("NoneTheory", ["theory 'NoneTheory'", "decide returned None"]),
    ],
)
def test_user_code_failures_are_one_line_exit_2(name: str, needles: list[str]) -> None:
    start = time.perf_counter()
    code, out, err = run("check", OMICRON, "--theory", hostile(name), "--json")
    elapsed = time.perf_counter() - start
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    # stdout holds nothing but the file's error object: the stderr line, without "error: "
    assert json.loads(out) == {"schema_version": 1, "file": OMICRON, "error": lines[0][7:]}
    assert lines[0].startswith(f"error: {OMICRON}: theory ")
    for needle in needles:
        assert needle in lines[0]
    assert "Traceback" not in err
    # the user's text is clipped: the line stays short whatever the exception said
    assert len(lines[0]) < len(OMICRON) + MAX_MESSAGE + 150
    assert elapsed < 10  # Flood: refused before any policy is read (it took 45 s)


def test_sys_exit_in_a_theory_exits_2_not_0() -> None:
    code, out, err = run("check", OMICRON, "--theory", hostile("Exiting"))
    assert (code, out) == (2, "")
    assert "SystemExit" in err


def test_prints_of_user_code_go_to_stderr_and_json_stays_json() -> None:
    code, out, err = run("check", OMICRON, "--theory", hostile("Chatty"), "--json")
    assert code == 1  # EDT's paradox on Omicron, as without the theory
    doc = json.loads(out)
    assert [t["theory"] for t in doc["theories"]] == ["CDT", "EDT", "FDT", "Chatty"]
    assert "thinking about" not in out
    assert err == "thinking about ('one_box', 'two_box')\n"


def test_builtins_print_as_a_policy_keeps_stdout_json() -> None:
    code, out, err = run("check", OMICRON, OMICRON, "--theory", "builtins:print", "--json")
    assert code == 2
    docs = json.loads(out)  # two files: a list, each entry an error
    assert [d["error"].split(": ", 1)[0] for d in docs] == [OMICRON, OMICRON]
    assert all("theory 'print': returned None" in d["error"] for d in docs)
    printed, errors = (
        [x for x in err.splitlines() if not x.startswith("error:")],
        [x for x in err.splitlines() if x.startswith("error:")],
    )
    assert printed == ["{'coincide': False}"] * 2 and len(errors) == 2


def test_exact_strings_work_where_floats_are_refused() -> None:
    code, out, err = run("check", OMICRON, "--theory", hostile("thirds"), "--json")
    assert err == "" and code == 1
    (t,) = [t for t in json.loads(out)["theories"] if t["theory"] == "thirds"]
    assert t["policies"][0][0]["action"] == {"one_box": "1/3", "two_box": "2/3"}


def test_symbolic_with_a_query_theory_returning_a_policy() -> None:
    base_code, base_out, _ = run("check", OMICRON, "--symbolic", "p", "--json")
    code, out, err = run(
        "check", OMICRON, "--theory", hostile("ConditionPolicy"), "--symbolic", "p", "--json"
    )
    assert err == "" and code == base_code
    theories = {t["theory"]: t for t in json.loads(out)["theories"]}
    th = theories["ConditionPolicy"]["thresholds"]
    assert th["parameter"] == "p"
    # always the first action: one valid region, p in [0, 1], with that policy
    (valid,) = [r for r in th["regions"] if r["valid"]]
    assert (valid["from"], valid["to"], valid["from_closed"], valid["to_closed"]) == (
        "0",
        "1",
        True,
        True,
    )
    assert valid["policies"] == [theories["ConditionPolicy"]["policies"][0]]
    # the built-ins' findings are unchanged by a user theory beside them
    before = {t["theory"]: t for t in json.loads(base_out)["theories"]}
    assert all(theories[n] == before[n] for n in before)


def test_import_time_exit_and_prints_of_a_theory_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "exits_on_import.py").write_text("import sys\nprint('loading')\nsys.exit(0)\n")
    monkeypatch.chdir(tmp_path)
    code, out, err = run("check", OMICRON, "--theory", "exits_on_import:X", "--json")
    assert (code, out) == (2, "")
    first, last = err.splitlines()
    assert first == "loading"
    assert "importing 'exits_on_import' raised SystemExit: 0" in last


# -- the library -------------------------------------------------------------------------------


def both(row: Any) -> Any:
    """A policy in index form with ``row`` at Omicron's two observations."""
    return (row, row)


def _model() -> Model:
    return Model(newcomb.load(OMICRON))


def test_keyboard_interrupt_still_interrupts() -> None:
    from tests.fixtures.hostile_theories import Interrupted

    with pytest.raises(KeyboardInterrupt):
        newcomb.analyse(newcomb.load(OMICRON), [Interrupted()])


def test_base_exceptions_become_usage_errors_naming_the_theory() -> None:
    class Bye(Theory):
        """Raises GeneratorExit, a BaseException."""

        name = "Bye"

        def decide(self, model: Model) -> Decision:
            raise GeneratorExit("bye\nnow")

    with pytest.raises(UsageError, match=r"^theory 'Bye': decide raised GeneratorExit: bye now$"):
        run_theory(_model(), Bye())


def test_one_line_collapses_and_clips() -> None:
    text = one_line("a\n\tb\r\n\x1b[31mc " + "d" * 1000)
    assert "\n" not in text and "\x1b" not in text
    assert text.startswith("a b [31mc d") and len(text) == MAX_MESSAGE and text.endswith("…")


def test_user_code_sends_prints_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    with user_code("T", "decide"):
        print("hello")
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "hello\n")


@pytest.mark.parametrize(
    ("out", "needle"),
    [
        (None, "decide returned None"),
        ("one_box", "decide returned 'one_box'"),
        ([], None),
        (Decision((((Fraction(1), Fraction(0)),),)), "has 1 rows"),
        (Decision((both((Fraction(2), Fraction(-1))),)), "(2, -1)"),
        (Decision((both((Fraction(1, 2), Fraction(1, 3))),)), "sum to 5/6"),
        (Decision((both((0.5, 0.5)),)), "float 0.5"),
        (Decision((both((True, False)),)), "True"),
        (Decision((both((Fraction(1),)),)), "one probability per action"),
        (Decision((both("ab"),)), "one probability per action"),
        (Decision("ab"), "not a tuple"),  # type: ignore[arg-type]
        (Decision((), note=3), "Decision.note"),  # type: ignore[arg-type]
        (Decision((both((1, 0)),), total=0), "Decision.total"),
        (Decision((both((1, 0)),) * (MAX_POLICIES + 1)), f"at most {MAX_POLICIES}"),
    ],
)
def test_interpret(out: object, needle: str | None) -> None:
    model = _model()
    if needle is None:
        assert interpret(model, out, "T") == Decision((), total=0)
        return
    with pytest.raises(UsageError) as e:
        interpret(model, out, "T")
    assert str(e.value).startswith("theory 'T': ") and needle in str(e.value)


def test_interpret_reads_every_form_alike() -> None:
    model = _model()
    policy = Policy.of(model.observes, {(False,): "one_box", (True,): "two_box"})
    rows = ((Fraction(1), Fraction(0)), (Fraction(0), Fraction(1)))
    mixed: Decision = Decision((policy,))  # type: ignore[arg-type]
    forms = [policy, [policy], (policy,), Decision((rows,)), mixed]
    decisions = [interpret(model, f, "T") for f in forms]
    assert all(d.policies == (rows,) and d.total == 1 for d in decisions)
    assert interpret(model, Decision((rows,), note="n", total=5), "T").total == 5
    # the contract reads them the same way
    assert all(policies_of(model, f) == (rows,) for f in forms)


def test_policy_with_other_observed_variables_is_refused() -> None:
    model = _model()
    with pytest.raises(UsageError, match="observes"):
        interpret(model, Policy.of(("other",), {(False,): "one_box"}), "T")
    # a list as Decision.policies is read like a tuple (the contract asks for a tuple)
    rows = both((Fraction(1), Fraction(0)))
    assert interpret(model, Decision([rows]), "T").policies == (rows,)  # type: ignore[arg-type]
    with pytest.raises(AssertionError, match="tuple"):
        policies_of(model, Decision([rows]))  # type: ignore[arg-type]


def test_policies_of_raises_what_interpret_raises() -> None:
    model = _model()
    bad = Decision((both((Fraction(2), Fraction(-1))),))
    with pytest.raises(UsageError) as engine:
        interpret(model, bad, "theory")
    with pytest.raises(AssertionError) as contract:
        policies_of(model, bad)
    assert str(contract.value) == str(engine.value)


def test_query_must_be_known() -> None:
    with pytest.raises(TypeError, match="query"):

        class Odd(Theory):  # refused when defined
            """A theory with a query the engine does not have."""

            name = "Odd"
            query = "wonder"  # type: ignore[assignment]

            def decide(self, model: Model) -> Decision:
                return Decision(())


# -- scenario transformations keep every field -----------------------------------------------


def test_with_utility_keeps_the_physical_reading() -> None:
    s = newcomb.load(ROOT / "scenarios" / "cosmic_ray.yaml")
    assert s.physical is not None
    assert with_utility(s, 2, 1).physical == s.physical


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_replace_scenario_keeps_every_field(path: Path) -> None:
    s = newcomb.load(path)
    copy = replace_scenario(s)
    for f in fields(Scenario):
        assert getattr(copy, f.name) == getattr(s, f.name), f.name
    changed = with_utility(s, 3, -2)
    for f in fields(Scenario):
        if f.name != "utility":
            assert getattr(changed, f.name) == getattr(s, f.name), f.name


# -- the contract takes a plain function -----------------------------------------------------


def one_box_always(observation: dict[str, Any]) -> str:
    """Whatever it sees, the agent one-boxes."""
    return "one_box"


class _PlainContract(TheoryContract):
    """Not collected: ``theory`` set to a plain function, as a user writes it."""

    theory = one_box_always


def test_contract_takes_a_plain_function() -> None:
    t = _PlainContract().make_theory()
    assert newcomb.theories.theory_name(t) == "one_box_always"
    assert _PlainContract().decide(_model()) == (both((Fraction(1), Fraction(0))),)
