"""Rich renderables for reports. Only this module and :mod:`newcomb.cli` import rich."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from .check import Consistency, describe_label
from .report import PolicyReport, ScenarioReport, TheoryReport
from .series import Num, leading
from .world import Behaviour, Model

if TYPE_CHECKING:  # imported for annotations only, to keep start-up light
    from .explain import Explanation
    from .sweep import Sweep
    from .thresholds import Region, Thresholds

__all__ = [
    "compare_json",
    "compare_latex",
    "compare_markdown",
    "compare_renderable",
    "explanation_renderable",
    "number",
    "policy_text",
    "report_renderable",
]


def number(x: Num | None) -> str:
    """An exact value for the table: ``1001000``, ``2003000/3 ≈ 667666.7``; ``—`` if undefined."""
    if x is None:
        return "—"
    v = leading(x)
    if v.denominator == 1:
        return str(v)
    return f"{v} ≈ {float(v):.7g}"


def _prob(p: Fraction) -> str:
    return str(p)


def policy_text(model: Model, pi: Behaviour) -> str:
    """A policy in short form: ``coincide=true → two_box; coincide=false → one_box``."""
    parts = []
    for o, row in enumerate(pi):
        acts = [(model.actions[a], p) for a, p in enumerate(row) if p]
        what = acts[0][0] if len(acts) == 1 else ", ".join(f"{a} {_prob(p)}" for a, p in acts)
        obs = model.observation_dict(o)
        cond = ", ".join(f"{k}={describe_label(v)}" for k, v in obs.items())
        parts.append(f"{cond} → {what}" if cond else what)
    if len(parts) > 1 and len({p.split(" → ")[-1] for p in parts}) == 1:
        return f"always {parts[0].split(' → ')[-1]}"
    return "\n".join(parts)


def consistency_text(c: Consistency) -> Text:
    """Fixed points per chance draw, with paradoxes marked."""
    if not c.has_predictor:
        return Text("no self-referential predictor", style="dim")
    out = Text()
    for i, d in enumerate(c.draws):
        if i:
            out.append("\n")
        key = ", ".join(f"{k}={describe_label(v)}" for k, v in d.chance.items())
        if d.agent is not None:
            drawn = "; ".join(
                f"{', '.join(f'{k}={describe_label(x)}' for k, x in obs.items())} → {act}"
                if obs
                else act
                for obs, act in d.agent
            )
            key = (key + " " if key else "") + f"[agent draws {drawn}]"
        key = key or "every draw"
        if d.paradox:
            out.append(f"{key}: 0 — paradox", style="bold red")
            continue
        chosen = "; ".join(
            ", ".join(f"{k}={describe_label(v)}" for k, v in x.items()) for x in d.chosen
        )
        label = f"{key}: {d.consistent}"
        if d.consistent > 1:
            label += f" (chose {chosen})" if not d.ambiguous else f" (ambiguous: {chosen})"
        out.append(label, style="yellow" if d.ambiguous else "")
    return out


def _realized(model: Model, p: PolicyReport) -> Text:
    out = Text(number(p.value), style="bold red" if p.value is None else "bold")
    f = p.formula or {}
    if f.get(model.rule) is not None:
        out.append(f" = {f[model.rule]}", style="cyan")
    for r, v in p.realized.items():
        if r != model.rule:
            out.append(f"\n{r}: {number(v)}", style="dim")
            if f.get(r) is not None and str(f[r]) != number(v):
                out.append(f" = {f[r]}", style="dim cyan")
    return out


def _row_cells(model: Model, t: TheoryReport, p: PolicyReport, first: bool) -> list[RenderableType]:
    return [
        Text(t.theory if first else "", style="bold"),
        Text(policy_text(model, p.behaviour)),
        consistency_text(p.consistency),
        Text(number(p.expected)),
        _realized(model, p),
    ]


def _interval(name: str, r: Region) -> str:
    if r.point:
        return f"{name} = {r.lo}"
    lo = "" if r.lo is None else f"{r.lo} {'≤' if r.lo_closed else '<'} "
    hi = "" if r.hi is None else f" {'≤' if r.hi_closed else '<'} {r.hi}"
    if r.lo is None and r.hi is None:
        return f"every {name}"
    return f"{lo}{name}{hi}"


def thresholds_text(model: Model, theory: str, th: Thresholds) -> Text:
    """Each valid region of the parameter with the theory's policies there."""
    out = Text(f"{theory} as {th.parameter} varies: ", style="bold")
    parts = []
    for r in th.regions:
        if r.policies is None:
            continue
        shown = r.shown or ()
        pols = " | ".join(policy_text(model, pi).replace("\n", "; ") for pi in shown) or "none"
        parts.append(f"{_interval(th.parameter, r)}: {pols}")
    out.append("  ·  ".join(parts))
    if th.points:
        out.append(
            f"  (changes at {th.parameter} = " + ", ".join(str(x) for x in th.points) + ")",
            style="cyan",
        )
    return out


def report_renderable(report: ScenarioReport) -> RenderableType:
    """The table of one scenario: one row per theory (per policy when several)."""
    m = report.model
    s = report.scenario
    params = ", ".join(f"{k} = {v}" for k, v in s.parameters.items())
    title = s.name + (f"  ({params})" if params else "")
    table = Table(title=title, title_justify="left", show_lines=True, expand=False)
    table.add_column("theory")
    table.add_column("policy")
    table.add_column("consistency (fixed points per draw)")
    table.add_column("expected", no_wrap=True)
    table.add_column(f"realized ({m.rule})")
    notes: list[Text] = []
    for t in report.theories:
        if not t.policies:
            table.add_row(Text(t.theory, style="bold"), Text("none", style="bold red"), "", "", "—")
        for i, p in enumerate(t.policies):
            table.add_row(*_row_cells(m, t, p, i == 0))
            for reason in p.consistency.reasons:
                notes.append(Text(f"{t.theory}: {reason}", style="red"))
        if t.note:
            notes.append(Text(f"{t.theory}: {t.note}", style="yellow"))
        if len(t.policies) > 1:
            notes.append(Text(f"{t.theory}: {len(t.policies)} policies qualify; each is shown"))
    parts: list[RenderableType] = [table]
    if report.file:
        parts.insert(0, Text(report.file, style="dim"))
    parts.extend(notes)
    for t in report.theories:
        if t.thresholds is not None:
            parts.append(thresholds_text(m, t.theory, t.thresholds))
    verdict = (
        Text("paradox: some theory's policy meets a predictor that cannot exist", style="bold red")
        if report.paradox
        else Text("consistent: every theory's policy admits an accurate predictor", style="green")
    )
    parts.append(verdict)
    return Group(*parts)


def explanation_renderable(model: Model, e: Explanation) -> RenderableType:
    """A theory's reasoning, observation by observation."""
    how = {
        "condition": "conditions on the act (worlds of the policy with this act here, "
        "given the observation)",
        "intervene": "intervenes on the act (worlds of its policy, act set, predictions fixed)",
        "policy": "intervenes on the policy (all worlds of the policy with this act here)",
    }[e.query]
    tree = Tree(
        Text(f"{e.theory}: {policy_text(model, e.policy).replace(chr(10), '; ')}", style="bold")
    )
    tree.add(Text(f"{e.theory} {how}", style="dim"))
    for row in e.observations:
        obs = ", ".join(f"{k} = {describe_label(v)}" for k, v in row.observation.items())
        played = ", ".join(a if p == 1 else f"{a} {p}" for a, p in row.policy.items())
        node = tree.add(Text(f"{'on ' + obs if obs else 'always'}: {played} — {row.verdict}"))
        for act in row.acts:
            branch = node.add(
                Text(
                    f"{act.action}: {number(act.eu)}",
                    style="bold" if act.action in row.policy else "",
                )
            )
            for w in act.worlds:
                vals = ", ".join(f"{k}={describe_label(v)}" for k, v in w.values.items())
                tag = (
                    ""
                    if w.kind == "settled"
                    else f" ({'prediction erred' if w.kind == 'error' else 'predictor guessed'})"
                )
                branch.add(
                    Text(f"p = {w.probability}: {vals}{tag} → {number(w.utility)}", style="dim")
                )
            if act.more:
                branch.add(Text(f"… {act.more} more worlds", style="dim"))
    parts: list[RenderableType] = [tree]
    for reason in e.paradoxes:
        parts.append(Text(f"paradox: {reason}", style="red"))
    return Group(*parts)


def _marks(t: TheoryReport) -> list[str]:
    marks: list[str] = []
    if not t.policies:
        return marks
    p = t.policies[0]
    if len(t.policies) > 1:
        marks.append(f"{len(t.policies)} policies")
    if not all(x in (0, 1) for row in p.behaviour for x in row):
        marks.append("mixed")
    if t.paradox:
        marks.append("paradox")
    return marks


def _cell_text(model: Model, t: TheoryReport, sep: str) -> tuple[str, str]:
    if not t.policies:
        return "none", "—"
    p = t.policies[0]
    text = policy_text(model, p.behaviour).replace("\n", sep)
    marks = _marks(t)
    if marks:
        text += f" [{', '.join(marks)}]"
    return text, number(p.value)


def compare_renderable(reports: list[ScenarioReport]) -> RenderableType:
    """Problems as rows, theories as columns: each cell the policy and its value."""
    names: list[str] = []
    for r in reports:
        for t in r.theories:
            if t.theory not in names:
                names.append(t.theory)
    table = Table(show_lines=True)
    table.add_column("problem")
    for n in names:
        table.add_column(n)
    for r in reports:
        cells: list[RenderableType] = [Text(r.scenario.name)]
        by = {t.theory: t for t in r.theories}
        for n in names:
            if n not in by:
                cells.append(Text(""))
                continue
            text, val = _cell_text(r.model, by[n], "\n")
            cells.append(Text(f"{text}\n{val}", style="red" if by[n].paradox else ""))
        table.add_row(*cells)
    return table


def compare_markdown(reports: list[ScenarioReport]) -> str:
    """The comparison as a Markdown table (policy; value), ready for a paper or a README."""
    names: list[str] = []
    for r in reports:
        for t in r.theories:
            if t.theory not in names:
                names.append(t.theory)
    lines = ["| problem | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for r in reports:
        by = {t.theory: t for t in r.theories}
        cells = []
        for n in names:
            if n not in by:
                cells.append("")
                continue
            text, val = _cell_text(r.model, by[n], "; ")
            cells.append(f"{text}: {val}".replace("|", "\\|"))
        lines.append(f"| {r.scenario.name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def compare_json(reports: list[ScenarioReport]) -> dict[str, object]:
    """The comparison as plain data."""
    rows = []
    for r in reports:
        cells = {}
        for t in r.theories:
            first = t.policies[0] if t.policies else None
            text = policy_text(r.model, first.behaviour).replace("\n", "; ") if first else None
            cells[t.theory] = {
                "policy": text,
                "marks": _marks(t),
                "value": None
                if first is None or first.value is None
                else str(leading(first.value)),
                "policies": len(t.policies),
                "paradox": t.paradox,
                "mixed": first is not None
                and not all(x in (0, 1) for row in first.behaviour for x in row),
            }
        rows.append({"file": r.file, "name": r.scenario.name, "theories": cells})
    return {"schema_version": 1, "command": "compare", "rows": rows}


def sweep_columns(result: Sweep) -> list[tuple[str, list[str], Any]]:
    """Per theory: its name, the policy text of each region, and the region index per point."""
    out = []
    for col in result.columns:
        texts = []
        for r in col.thresholds.regions:
            if r.policies is None:
                texts.append("invalid")
            elif not r.policies:
                texts.append("none")
            else:
                texts.append(
                    " | ".join(
                        policy_text(result.model, pi).replace("\n", "; ") for pi in r.shown or ()
                    )
                )
        out.append((col.theory, texts, col.region))
    return out


def sweep_csv(result: Sweep) -> str:
    """The sweep as CSV: the parameter, then each theory's policy and value."""
    import csv
    import io

    from rich.console import Console

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    header = [result.grid.parameter]
    for col in result.columns:
        header += [f"{col.theory}_policy", f"{col.theory}_value"]
    w.writerow(header)
    cols = sweep_columns(result)
    values = [c.values for c in result.columns]
    for k, x in enumerate(result.points):
        row: list[str] = [repr(float(x))]
        for (_, texts, region), vals in zip(cols, values, strict=True):
            i = int(region[k])
            row.append(texts[i] if i >= 0 else "")
            v = float(vals[k])
            row.append("" if v != v else repr(v))
        w.writerow(row)
    return buf.getvalue()


def sweep_json(result: Sweep) -> dict[str, Any]:
    """The sweep as plain data: exact thresholds and formulas per region, values per point."""
    cols = sweep_columns(result)
    theories = []
    for col, (_, texts, region) in zip(result.columns, cols, strict=True):
        regions = []
        for r, text, formula in zip(col.thresholds.regions, texts, col.formulas, strict=True):
            regions.append(
                {
                    "from": None if r.lo is None else str(r.lo),
                    "to": None if r.hi is None else str(r.hi),
                    "from_closed": r.lo_closed,
                    "to_closed": r.hi_closed,
                    "policy": text,
                    "formula": formula,
                }
            )
        theories.append(
            {
                "theory": col.theory,
                "thresholds": [str(x) for x in col.thresholds.points],
                "regions": regions,
                "region": [int(i) for i in region],
                "values": [None if v != v else float(v) for v in col.values],
            }
        )
    g = result.grid
    return {
        "schema_version": 1,
        "command": "sweep",
        "parameter": g.parameter,
        "grid": {"from": str(g.lo), "to": str(g.hi), "count": g.count},
        "points": [float(x) for x in result.points],
        "theories": theories,
    }


# -- LaTeX, notebooks and plain text ------------------------------------------------------------

_LATEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "[": "{[}",  # a cell starting with [ would be read as the optional argument of \\
    "]": "{]}",
    "→": r"$\to$",
    "≈": r"$\approx$",
    "≤": r"$\le$",
    "—": "---",
}


def latex_escape(text: str) -> str:
    """``text`` for a LaTeX document: ``& % $ # _ { } ~ ^ \\`` (and ``< > [ ]``) escaped, the
    arrows and symbols of the tables as math, control characters as spaces."""
    return "".join(_LATEX.get(c, c if c.isprintable() else " ") for c in text)


def compare_latex(reports: list[ScenarioReport]) -> str:
    """The comparison as a booktabs table (``\\toprule``, ``\\midrule``, ``\\bottomrule``):
    problems as rows, theories as columns, with exactly the cells of :func:`compare_markdown`
    (read back from its rows, so the two tables cannot drift apart), every text escaped."""
    rows = [_markdown_cells(line) for line in compare_markdown(reports).splitlines()]
    header, body = rows[0], rows[2:]  # rows[1] is the |---| rule
    lines = [
        r"% needs \usepackage{booktabs}",
        r"\begin{tabular}{" + "l" * len(header) + "}",
        r"\toprule",
        " & ".join(latex_escape(c) for c in header) + r" \\",
        r"\midrule",
    ]
    lines += [" & ".join(latex_escape(c) for c in row) + r" \\" for row in body]
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def _markdown_cells(line: str) -> list[str]:
    """The cells of one row of :func:`compare_markdown`'s table, ``\\|`` unescaped."""
    import re

    inner = line[2:-2]  # the row is "| " + " | ".join(cells) + " |"; a cell may be empty
    return [c.replace("\\|", "|") for c in re.split(r"(?<!\\) \| ", inner)]


def sweep_renderable(result: Sweep) -> RenderableType:
    """A sweep as a table: per theory, each region of the parameter, the policy there and its
    value as an exact formula (the numbers per grid point are the CSV's)."""
    g = result.grid
    title = f"{g.parameter} from {g.lo} to {g.hi}, {g.count} points"
    table = Table(title=title, title_justify="left", show_lines=True)
    for name in ("theory", "region", "policy", "value"):
        table.add_column(name)
    for col, entry in zip(result.columns, sweep_columns(result), strict=True):
        texts = entry[1]  # the policy text of each region
        shown = [
            (r, text, formula)
            for r, text, formula in zip(col.thresholds.regions, texts, col.formulas, strict=True)
            if r.policies is not None
        ]
        for i, (r, text, formula) in enumerate(shown):
            table.add_row(
                Text(col.theory if i == 0 else "", style="bold"),
                Text(_interval(g.parameter, r)),
                Text(text),
                Text("—" if formula is None else formula),
            )
    return table


def text_of(renderable: RenderableType, width: int = 110) -> str:
    """A renderable as plain text (no colour), ``width`` columns wide: ``str()`` of reports."""
    import io

    from rich.console import Console

    buf = io.StringIO()
    # force_jupyter=False: in a notebook rich would display the table instead of writing it
    console = Console(
        file=buf, width=width, color_system=None, highlight=False, force_jupyter=False
    )
    console.print(renderable)
    return "".join(line.rstrip() + "\n" for line in buf.getvalue().splitlines())


def html_of(renderable: RenderableType, width: int = 110) -> str:
    """A renderable as an HTML ``<pre>`` fragment with inline colours, for Jupyter
    (``_repr_html_``). rich escapes the text, so names from a file cannot inject markup."""
    import io

    from rich.console import Console

    console = Console(
        file=io.StringIO(),
        width=width,
        record=True,
        color_system="truecolor",
        highlight=False,
        force_jupyter=False,
    )
    console.print(renderable)
    return console.export_html(
        inline_styles=True,
        code_format='<pre style="font-family: Menlo, \'DejaVu Sans Mono\', consolas, '
        'monospace; line-height: 1.25">{code}</pre>',
    )
