"""How values, policies, reports and sweeps show themselves: repr, str, rich, Jupyter HTML, and
the LaTeX comparison (``newcomb compare --latex``)."""

from __future__ import annotations

import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import newcomb
from newcomb.cli import app
from newcomb.model import Policy
from newcomb.report import exact
from newcomb.series import Eps
from newcomb.sweep import parse_grid, sweep
from newcomb.theories import builtin_theories

ROOT = Path(__file__).parent.parent
OMICRON = ROOT / "scenarios" / "omicron.yaml"
runner = CliRunner()

_SUPER = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


def read_eps(text: str) -> sympy.Expr:
    """The test's own reader of ``str(Eps)``: the polynomial it shows, as a sympy expression."""
    e = sympy.Symbol("e")
    text = re.sub(r"ε([⁰¹²³⁴⁵⁶⁷⁸⁹]+)", lambda m: "ε**" + m[1].translate(_SUPER), text)
    return sympy.sympify(text.replace("·", "*").replace("ε", "e"), locals={"e": e})


def test_eps_reads_like_a_formula() -> None:
    assert str(Eps((Fraction(-1000), Fraction(1000)))) == "-1000 + 1000·ε"
    assert repr(Eps((Fraction(-1000), Fraction(1000)))) == "Eps(-1000 + 1000·ε)"
    assert str(Eps((Fraction(1, 2), Fraction(0), Fraction(-1)))) == "1/2 - ε²"
    assert str(Eps((Fraction(0), Fraction(-3, 4)))) == "-3/4·ε"
    assert str(Eps(())) == "0"
    assert str(Eps((Fraction(0),) * 11 + (Fraction(2),))) == "2·ε¹¹"


rationals = st.fractions(max_denominator=50).filter(lambda x: abs(x) < 10**6)


@given(st.lists(rationals, max_size=12))
def test_eps_text_is_the_polynomial(coefficients: list[Fraction]) -> None:
    x = Eps(tuple(coefficients))
    shown = read_eps(str(x))
    e = sympy.Symbol("e")
    expected = sum((sympy.Rational(c) * e**i for i, c in enumerate(coefficients)), sympy.S(0))
    assert sympy.expand(shown - expected) == 0
    assert repr(x) == f"Eps({x})"


def test_policy_text() -> None:
    r = newcomb.analyse(newcomb.load(OMICRON))
    by = {t.theory: t.policies[0].policy for t in r.theories}
    assert str(by["CDT"]) == "always two_box"
    assert str(by["EDT"]) == "coincide=false → one_box; coincide=true → two_box"
    assert repr(by["EDT"]) == "Policy(coincide=false → one_box; coincide=true → two_box)"
    mixed = Policy.of((), {(): {"stay": "1/2", "flee": "1/2"}})
    assert str(mixed) == "stay 1/2, flee 1/2"
    assert repr(Policy.of(["box"], {("full",): "one_box", (True,): "two_box"})) == (
        "Policy(box=full → one_box; box=true → two_box)"
    )


def test_report_reprs_summarise_each_theory() -> None:
    r = newcomb.analyse(newcomb.load(OMICRON))
    text = repr(r)
    assert text.startswith(f"ScenarioReport({r.scenario.name!r}: ")
    for t in r.theories:
        p = t.policies[0]
        shown = f"{t.theory}: {p.policy} = {exact(p.value) or '—'}"
        assert shown in text and shown in repr(t)
        assert repr(p).startswith(f"PolicyReport({p.policy} = ")
        assert ("(paradox)" in repr(p)) == p.paradox
    assert "Expr(" not in text and "Consistency(" not in text


def test_report_str_rich_and_html() -> None:
    from rich.console import Console

    r = newcomb.analyse(newcomb.load(OMICRON))
    text = str(r)
    assert text.splitlines()[0].startswith(r.scenario.name)
    for t in r.theories:
        assert t.theory in text
    assert "omicron=prime: 0 — paradox" in text
    assert all(line == line.rstrip() for line in text.splitlines())
    console = Console(record=True, width=110, color_system=None)
    console.print(r)  # through __rich__
    assert console.export_text().rstrip().splitlines()[-1] == text.rstrip().splitlines()[-1]
    html = r._repr_html_()
    assert html.startswith("<pre") and html.endswith("</pre>")
    assert "paradox" in html and "always two_box" in html


def test_html_escapes_names_from_the_file(tmp_path: Path) -> None:
    text = OMICRON.read_text().replace(
        "name: Ultimate Newcomb's problem (Omega and Omicron)",
        'name: "<script>alert(1)</script> & <b>"',
    )
    r = newcomb.analyse(newcomb.loads(text))
    html = r._repr_html_()
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;" in html


def test_sweep_display() -> None:
    s = newcomb.load(ROOT / "scenarios" / "newcomb.yaml")
    result = sweep(s, builtin_theories(), parse_grid("q=0:1:11"))
    text = repr(result)
    assert text.startswith("Sweep(q from 0 to 1, 11 points; ")
    for col in result.columns:
        assert col.theory in text
        for x in col.thresholds.points:
            assert str(x) in text
    table = str(result)
    for col in result.columns:
        for formula in col.formulas:
            if formula is not None:
                assert formula in table
    assert result._repr_html_().startswith("<pre") and "CDT" in result._repr_html_()
    assert result.__rich__() is not None


def test_display_does_not_import_rich_until_shown() -> None:
    code = (
        "import sys, newcomb, newcomb.report, newcomb.sweep, newcomb.model, newcomb.series\n"
        "r = newcomb.analyse(newcomb.load('scenarios/omicron.yaml'))\n"
        "repr(r); repr(r.theories[0].policies[0].policy)\n"
        "print('rich' in sys.modules)\n"
        "r._repr_html_()\n"
        "print('rich' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    assert out.split() == ["False", "True"]


# -- compare --latex ------------------------------------------------------------------------------

_UNLATEX = [
    (r"\textbackslash{}", "\\"),
    (r"\textasciitilde{}", "~"),
    (r"\textasciicircum{}", "^"),
    (r"\textless{}", "<"),
    (r"\textgreater{}", ">"),
    ("{[}", "["),
    ("{]}", "]"),
    (r"$\to$", "→"),
    (r"$\approx$", "≈"),
    ("---", "—"),
]


def unlatex(text: str) -> str:
    """The test's own inverse of the escaping, for the characters it uses."""
    for code, raw in _UNLATEX:
        text = text.replace(code, raw)
    return re.sub(r"\\([&%$#_{}])", r"\1", text)


def cli(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_compare_latex_is_a_booktabs_table() -> None:
    files = [str(ROOT / "scenarios" / f) for f in ("omicron.yaml", "newcomb.yaml")]
    code, out, err = cli("compare", *files, "--latex")
    assert code == 1 and err == ""  # omicron's EDT meets a paradox
    lines = out.splitlines()
    begin = lines.index(r"\begin{tabular}{llll}")
    assert lines[begin + 1] == r"\toprule"
    assert lines[begin + 2] == r"problem & CDT & EDT & FDT \\"
    assert lines[begin + 3] == r"\midrule"
    rows = lines[begin + 4 : lines.index(r"\bottomrule")]
    assert lines[-1] == r"\end{tabular}"
    assert len(rows) == 2
    _, md, _ = cli("compare", *files, "--markdown")
    md_rows = md.splitlines()[2:]
    for row, md_row in zip(rows, md_rows, strict=True):
        assert row.endswith(r" \\") and row.count(" & ") == 3
        cells = [unlatex(c) for c in row[: -len(r" \\")].split(" & ")]
        expected = [c.strip().replace("\\|", "|") for c in md_row.strip("|").split(" | ")]
        assert cells == expected  # the same cells as the Markdown table


def test_compare_latex_escapes_names(tmp_path: Path) -> None:
    name = r"A & B_1 50% $x$ #2 {y} ~z^ \emph [c]"
    path = tmp_path / "odd.yaml"
    path.write_text(
        OMICRON.read_text().replace(
            "name: Ultimate Newcomb's problem (Omega and Omicron)", f"name: '{name}'"
        )
    )
    code, out, _ = cli("compare", str(path), "--latex")
    assert code == 1
    row = next(line for line in out.splitlines() if line.startswith("A "))
    first = row.split(" & ")[0]
    assert unlatex(first) == name
    rest = first
    for escape in (r"\textbackslash{}", r"\textasciitilde{}", r"\textasciicircum{}", "{[}", "{]}"):
        rest = rest.replace(escape, "")
    for raw in "&%$#_{}":
        rest = rest.replace("\\" + raw, "")
    assert not set(rest) & set("&%$#_{}~^\\[]"), rest  # nothing unescaped is left


@pytest.mark.parametrize("flags", [("--latex", "--json"), ("--latex", "--markdown")])
def test_compare_formats_exclude_each_other(flags: tuple[str, ...]) -> None:
    code, out, err = cli("compare", str(OMICRON), *flags)
    assert code == 2 and out == ""
    assert err == "error: --json, --markdown and --latex exclude each other: choose one\n"


def test_compare_latex_keeps_empty_cells() -> None:
    from newcomb.render import compare_latex
    from newcomb.theories import builtin_theories

    full = newcomb.analyse(newcomb.load(ROOT / "scenarios" / "newcomb.yaml"))
    only_cdt = newcomb.analyse(newcomb.load(OMICRON), builtin_theories()[:1])
    rows = compare_latex([full, only_cdt]).splitlines()
    last = rows[rows.index(r"\bottomrule") - 1]
    cdt = only_cdt.theories[0].policies[0]
    assert last == (
        f"Ultimate Newcomb's problem (Omega and Omicron) & always two\\_box: {exact(cdt.value)}"
        r" &  &  \\"
    )
