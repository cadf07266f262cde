"""Simulation: episodes drawn from W(π) against the exact values of the report."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

import newcomb
from newcomb.cli import app
from newcomb.report import analyse
from newcomb.series import leading
from newcomb.simulate import Z99, outcomes, simulate

ROOT = Path(__file__).parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
NEWCOMB = str(ROOT / "scenarios" / "newcomb.yaml")
OMICRON = str(ROOT / "scenarios" / "omicron.yaml")
runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args), env={"COLUMNS": "110"})
    return r.exit_code, r.stdout, r.stderr


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_exact_value_in_the_interval_in_98_percent_of_200_runs(path: Path) -> None:
    report = analyse(newcomb.load(path))
    outside = {t.theory: 0 for t in report.theories}
    for seed in range(200):
        for t in simulate(report, episodes=2000, seed=seed).theories:
            assert t.mean is not None and t.ci is not None
            outside[t.theory] += bool(t.outside)
    assert all(n <= 4 for n in outside.values()), outside


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_table_is_the_report_s_world_model(path: Path) -> None:
    """The outcome table sums to 1, and its mean is the report's realized value under the
    scenario's rule (conditioned on no paradox under ``fail``: the ``retry`` value)."""
    report = analyse(newcomb.load(path))
    sim = simulate(report, episodes=10, seed=0)
    for t, tr in zip(sim.theories, report.theories, strict=True):
        p = tr.policies[0]
        assert sum(o.probability for o in t.outcomes) == 1
        mass = sum(o.probability for o in t.outcomes if o.kind == "paradox")
        assert mass == p.consistency.paradox_probability
        rule = report.model.rule if mass == 0 else "retry"
        assert t.exact == leading(p.realized[rule])  # type: ignore[arg-type]


def test_same_seed_same_bytes_other_seed_other_means() -> None:
    code, first, err = run("simulate", NEWCOMB, "--episodes", "20000", "--seed", "7", "--json")
    assert code == 0 and err == ""
    _, again, _ = run("simulate", NEWCOMB, "--episodes", "20000", "--seed", "7", "--json")
    _, other, _ = run("simulate", NEWCOMB, "--episodes", "20000", "--seed", "8", "--json")
    assert first == again
    a, b = json.loads(first), json.loads(other)
    assert [t["mean"] for t in a["theories"]] != [t["mean"] for t in b["theories"]]
    scenario = newcomb.load(NEWCOMB)
    api = newcomb.simulate(scenario, episodes=20000, seed=7, file=NEWCOMB).to_json()
    assert json.dumps(api, indent=2, ensure_ascii=False) + "\n" == first


def test_json_fields() -> None:
    code, out, _ = run("simulate", NEWCOMB, "-n", "5000", "--seed", "3", "--json")
    doc = json.loads(out)
    assert code == 0
    assert doc["schema_version"] == 1 and doc["name"] == "Newcomb's problem"
    assert doc["episodes"] == 5000 and doc["seed"] == 3
    cdt, edt, fdt = doc["theories"]
    assert [cdt["theory"], edt["theory"], fdt["theory"]] == ["CDT", "EDT", "FDT"]
    assert cdt["exact"] == "11000" and edt["exact"] == "990000"
    for t in doc["theories"]:
        lo, hi = t["ci"]
        assert lo <= t["mean"] <= hi
        assert t["outside"] == (not lo <= t["exact_float"] <= hi)
        # the interval is about z standard errors wide on each side
        assert (hi - lo) / 2 == pytest.approx(Z99 * t["stderr"], rel=0.05)


def test_mean_and_stderr_are_the_sample_s() -> None:
    sim = newcomb.simulate(newcomb.load(NEWCOMB), episodes=3000, seed=5)
    for t in sim.theories:
        pay = t.payoffs()
        assert t.mean == pytest.approx(float(pay.mean()), rel=1e-12)
        assert t.stderr == pytest.approx(float(pay.std(ddof=1)) / len(pay) ** 0.5, rel=1e-9)
        assert t.running_mean()[-1] == pytest.approx(t.mean, rel=1e-12)


def test_fail_counts_paradox_episodes_and_averages_the_rest() -> None:
    scenario = newcomb.load(OMICRON)
    sim = newcomb.simulate(scenario, episodes=4000, seed=2)
    edt = sim.theories[1]
    assert edt.theory == "EDT" and edt.paradox_probability == Fraction(1, 2)
    assert 1800 < edt.paradoxes < 2200  # 2000 expected; 4.5 standard deviations either side
    pay = edt.payoffs()
    assert (pay != pay).sum() == edt.paradoxes  # NaN exactly where the episode is a paradox
    assert edt.exact == Fraction(2001000)  # E[payoff | no paradox]: the retry value
    code, out, _ = run("simulate", OMICRON, "-n", "4000", "--seed", "2", "--json")
    assert code == 1  # a paradox found, as `check` says
    doc = json.loads(out)["theories"][1]
    assert doc["paradox_episodes"] == edt.paradoxes and doc["paradox_probability"] == "1/2"


def test_random_and_retry_rules() -> None:
    base = newcomb.load(OMICRON)
    for rule in ("random", "retry"):
        report = analyse(base.with_paradox(rule))
        sim = simulate(report, episodes=20000, seed=1)
        edt = sim.theories[1]
        assert edt.paradoxes == 0
        realized = report.theories[1].policies[0].realized[rule]
        assert realized is not None and edt.exact == leading(realized)
        kinds = {o.kind for o in edt.outcomes}
        assert ("guess" in kinds) == (rule == "random")
        assert not edt.outside


def test_accuracy_one_is_sampled_at_epsilon_zero() -> None:
    report = analyse(newcomb.load(ROOT / "scenarios" / "twin_prisoners_dilemma.yaml"))
    for t in report.theories:
        table = outcomes(report.model, t.policies[0].behaviour)
        assert {o.kind for o in table} == {"settled"}


COIN = """newcomb: 1
name: A coin after the act
actions: [safe, gamble]
variables:
  coin:
    chance: {heads: "1/2 if action == 'gamble' else 1", tails: "1/2 if action == 'gamble' else 0"}
utility: "(10 if coin == 'heads' else 0) if action == 'gamble' else 4"
"""


def test_chance_after_the_act_is_drawn() -> None:
    """Each episode's payoff is one branch of the act's own chance, not its expectation."""
    sim = newcomb.simulate(newcomb.loads(COIN), episodes=4000, seed=0)
    for t in sim.theories:
        assert sorted((o.chance["coin"], o.payoff) for o in t.outcomes) == [
            ("heads", 10),
            ("tails", 0),
        ]
        assert set(t.payoffs().tolist()) == {0.0, 10.0}
        assert t.exact == 5 and not t.outside


def test_trace_shows_the_first_episodes() -> None:
    code, out, err = run("simulate", NEWCOMB, "-n", "50", "--seed", "4", "--trace", "3")
    assert code == 0 and err == ""
    sim = newcomb.simulate(newcomb.load(NEWCOMB), episodes=50, seed=4)
    for t in sim.theories:
        assert f"{t.theory}: the first 3 episodes" in out
        section = out.split(f"{t.theory}: the first 3 episodes")[1]
        rows = [line for line in section.splitlines() if line.startswith("│ ")][:3]
        for n, (row, i) in enumerate(zip(rows, t.index[:3].tolist(), strict=True), start=1):
            o = t.outcomes[i]
            cells = [c.strip() for c in row.strip("│").split("│")]
            assert cells[0] == str(n)
            assert cells[-1] == str(o.payoff) and cells[-2] == sim.model.actions[o.act or 0]
            assert cells[2].startswith(f"prediction={o.predictor['prediction']}")
            assert cells[2].endswith("(wrong)") == (o.kind == "error")


def test_table_output() -> None:
    code, out, err = run("simulate", NEWCOMB, "-n", "1000", "--seed", "1")
    assert code == 0 and err == ""
    assert "1000 episodes per theory, seed 1" in out
    for text in ("CDT", "two_box", "one_box", "99% interval", "11000", "990000"):
        assert text in out


def test_progress_is_reported_and_does_not_change_the_draws() -> None:
    report = analyse(newcomb.load(NEWCOMB))
    seen: list[tuple[int, int]] = []
    a = simulate(report, episodes=600_000, seed=9, progress=lambda d, t: seen.append((d, t)))
    b = simulate(report, episodes=600_000, seed=9)
    assert seen[-1] == (1_800_000, 1_800_000) and len(seen) > 3
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert a.to_json() == b.to_json()


def test_usage_errors() -> None:
    code, out, err = run("simulate", NEWCOMB, "--episodes", "0")
    assert code == 2 and out == "" and err.count("\n") == 1 and "--episodes" in err
    code, out, err = run("simulate", str(ROOT / "tests" / "nonexistent.yaml"))
    assert code == 2 and out == "" and err.startswith("error:")
    with pytest.raises(newcomb.UsageError):
        newcomb.simulate(newcomb.load(NEWCOMB), episodes=0)


def test_user_theories_are_simulated_in_report_order() -> None:
    spec = str(ROOT / "tests" / "fixtures" / "user_theories.py") + ":one_box_if_coincide"
    code, out, err = run("simulate", OMICRON, "-n", "500", "--theory", spec, "--json")
    assert code == 1 and err == ""
    doc = json.loads(out)
    assert [t["theory"] for t in doc["theories"]] == ["CDT", "EDT", "FDT", "one_box_if_coincide"]
    mine = doc["theories"][3]
    assert mine["paradox_probability"] == "1/2" and mine["exact"] == "1000000"


class _Undecided(newcomb.Theory):
    """Reports no policy (as a theory may when nothing is feasible)."""

    name = "Undecided"

    def decide(self, model: newcomb.Model) -> newcomb.Decision:
        return newcomb.Decision((), note="nothing is feasible")


def test_a_theory_without_policy_is_reported_not_played() -> None:
    sim = newcomb.simulate(newcomb.load(NEWCOMB), [newcomb.CDT(), _Undecided()], episodes=100)
    cdt, none = sim.theories
    assert cdt.mean is not None and len(cdt.index) == 100
    assert none.mean is None and none.ci is None and none.note == "nothing is feasible"
    assert len(none.index) == 0
    doc = sim.to_json()["theories"][1]
    assert doc["mean"] is None and doc["exact"] is None and doc["policy"] is None


def test_a_payoff_past_float_range_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(
        "newcomb: 1\nname: t\nactions: [a, b]\nvariables: {}\nutility: 1e309 * (action == 'a')\n"
    )
    r = CliRunner().invoke(app, ["simulate", str(path), "-n", "100"])
    assert r.exit_code == 2
    assert r.stdout == ""
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith(f"error: {path}: CDT: a payoff is beyond ±8.9e307")
