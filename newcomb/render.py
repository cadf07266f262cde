"""Rich renderables for reports. Only this module and :mod:`newcomb.cli` import rich."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from .check import Consistency, describe_label
from .model import Label
from .report import (
    SCHEMA_VERSION,
    ObservationValue,
    PolicyReport,
    ScenarioReport,
    TheoryReport,
    approx,
    exact,
    exact_str,
    fits,
    policy_report_json,
    short_str,
)
from .series import Num, leading
from .world import Behaviour, Model

if TYPE_CHECKING:  # imported for annotations only, to keep start-up light
    from .explain import Explanation
    from .phase import Phase
    from .several import SeveralReport
    from .simulate import Simulation
    from .sweep import Sweep
    from .thresholds import Region, Thresholds

__all__ = [
    "clip",
    "compare_json",
    "compare_latex",
    "compare_markdown",
    "compare_renderable",
    "explain_json",
    "explanation_renderable",
    "given_renderable",
    "label",
    "number",
    "phase_renderable",
    "policy_text",
    "report_renderable",
    "simulation_renderable",
    "trace_renderable",
    "unexplained_renderable",
]


MAX_TEXT = 200  # characters of a name, label or file name shown before it is clipped
CONSISTENCY_LINES = 6  # draws listed in the consistency column (all of them with --verbose)
MAX_EQUILIBRIA = 4  # policies listed per cell by compare; past it, "… and N more"


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` shortened to ``limit`` characters with an ellipsis: names and labels come from
    files and user code, and one of 10,000 characters must not take over the table."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def label(x: Label) -> str:
    """A label as the scenario file writes it, clipped; a huge number in short form."""
    if isinstance(x, Fraction) and not isinstance(x, bool):
        return short_str(x)
    return clip(describe_label(x))


def number(x: Num | None) -> str:
    """An exact value for the table: ``1001000``, ``2003000/3 ≈ 667666.7``; ``—`` if undefined.

    A numerator or denominator of more than ``report.MAX_DIGITS`` digits is shown by the
    approximation only (``≈ 1e+309``), computed exactly from the integers."""
    if x is None:
        return "—"
    v = leading(x)
    if not (fits(v.numerator) and fits(v.denominator)):
        return f"≈ {approx(v)}"
    if v.denominator == 1:
        return str(v)
    return f"{v} ≈ {approx(v)}"


def _prob(p: Fraction) -> str:
    return short_str(p) if isinstance(p, Fraction) else clip(str(p))


def policy_text(model: Model, pi: Behaviour) -> str:
    """A policy in short form: ``coincide=true → two_box; coincide=false → one_box``."""
    parts = []
    for o, row in enumerate(pi):
        acts = [(clip(model.actions[a]), p) for a, p in enumerate(row) if p]
        what = acts[0][0] if len(acts) == 1 else ", ".join(f"{a} {_prob(p)}" for a, p in acts)
        obs = model.observation_dict(o)
        cond = ", ".join(f"{clip(k)}={label(v)}" for k, v in obs.items())
        parts.append(f"{cond} → {what}" if cond else what)
    if len(parts) > 1 and len({p.split(" → ")[-1] for p in parts}) == 1:
        return f"always {parts[0].split(' → ')[-1]}"
    return "\n".join(parts)


def consistency_text(c: Consistency, *, verbose: bool = False) -> Text:
    """Fixed points per chance draw, with paradoxes marked.

    Past ``CONSISTENCY_LINES`` draws (a mixed policy draws many pure ones), the first few are
    listed and the rest summed up in one line: ``… 24 more draws: 20 consistent, 4 paradox``;
    ``verbose`` lists them all."""
    if not c.has_predictor:
        return Text("no self-referential predictor", style="dim")
    out = Text()
    draws = c.draws
    shown = draws if verbose or len(draws) <= CONSISTENCY_LINES else draws[: CONSISTENCY_LINES - 1]
    for i, d in enumerate(shown):
        if i:
            out.append("\n")
        key = ", ".join(f"{clip(k)}={label(v)}" for k, v in d.chance.items())
        if d.agent is not None:
            drawn = "; ".join(
                f"{', '.join(f'{clip(k)}={label(x)}' for k, x in obs.items())} → {clip(act)}"
                if obs
                else clip(act)
                for obs, act in d.agent
            )
            key = (key + " " if key else "") + f"[agent draws {drawn}]"
        key = key or "every draw"
        if d.paradox:
            out.append(f"{key}: 0 — paradox", style="bold red")
            continue
        chosen = "; ".join(
            ", ".join(f"{clip(k)}={label(v)}" for k, v in x.items()) for x in d.chosen
        )
        line = f"{key}: {d.consistent}"
        if d.consistent > 1:
            line += f" (chose {chosen})" if not d.ambiguous else f" (ambiguous: {chosen})"
        out.append(line, style="yellow" if d.ambiguous else "")
    rest = draws[len(shown) :]
    if rest:
        paradox = sum(1 for d in rest if d.paradox)
        ambiguous = sum(1 for d in rest if d.ambiguous and not d.paradox)
        summary = f"\n… {len(rest)} more draws: {len(rest) - paradox} consistent, {paradox} paradox"
        if ambiguous:
            summary += f" ({ambiguous} ambiguous)"
        out.append(summary, style="bold red" if paradox else "dim")
    return out


def _formula(f: dict[str, str | None], rule: str, v: Num | None) -> str | None:
    """The formula of a value under ``rule``, or None when there is none or it is the value
    itself (a value that does not depend on the symbols is printed once)."""
    text = f.get(rule)
    if text is None or (v is not None and text == exact(v)):
        return None
    return clip(text, 1000)


def _realized(model: Model, p: PolicyReport) -> Text:
    out = Text(number(p.value), style="bold red" if p.value is None else "bold")
    f = p.formula or {}
    main = _formula(f, model.rule, p.value)
    if main is not None:
        out.append(f" = {main}", style="cyan")
    for r, v in p.realized.items():
        if r != model.rule:
            out.append(f"\n{r}: {number(v)}", style="dim")
            other = _formula(f, r, v)
            if other is not None:
                out.append(f" = {other}", style="dim cyan")
    return out


def _row_cells(
    model: Model, t: TheoryReport, p: PolicyReport, first: bool, verbose: bool
) -> list[RenderableType]:
    return [
        Text(clip(t.theory) if first else "", style="bold"),
        Text(policy_text(model, p.behaviour)),
        consistency_text(p.consistency, verbose=verbose),
        Text(number(p.expected)),
        _realized(model, p),
    ]


def _given_cell(g: ObservationValue) -> Text:
    """A policy's value given one observation, with its probability: ``3000000 (P 1/2)``;
    ``never observed`` when it has probability zero at every order. One met only through a
    perfect predictor's infinitesimal error shows ``P 0`` and its leading-order value."""
    if not g.observed:
        return Text("never observed", style="dim")
    prob = "" if g.probability is None else f" (P {short_str(g.probability)})"
    return Text(f"{number(g.value)}{prob}", style="red" if g.value is None else "")


def given_renderable(report: ScenarioReport, *, verbose: bool = False) -> RenderableType | None:
    """Each reported policy's value given each observation, E[U | o] under the paradox rule
    beside P(o): observations as rows, policies as columns. ``None`` when there is at most one
    observation (its value given it is the policy's value). Past ``CONSISTENCY_LINES``
    observations the rest are counted in one line; ``verbose`` lists them all."""
    m = report.model
    if len(m.observations) < 2:
        return None
    columns = [
        (f"{clip(t.theory)} {i + 1}" if len(t.policies) > 1 else clip(t.theory), p)
        for t in report.theories
        for i, p in enumerate(t.policies)
    ]
    if not columns:
        return None
    table = Table(expand=False)
    table.add_column("observation")
    for name, _ in columns:
        table.add_column(name)
    n = len(m.observations)
    shown = n if verbose or n <= CONSISTENCY_LINES else CONSISTENCY_LINES - 1
    for o in range(shown):
        obs = ", ".join(f"{clip(k)}={label(v)}" for k, v in m.observation_dict(o).items())
        table.add_row(Text(obs), *(_given_cell(p.by_observation[o]) for _, p in columns))
    if shown < n:
        table.add_row(Text(f"… {n - shown} more observations (--verbose lists them)", style="dim"))
    title = Text(f"value given each observation ({m.rule}), P = its probability")
    return Group(title, table)


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


def report_renderable(report: ScenarioReport, *, verbose: bool = False) -> RenderableType:
    """The table of one scenario: one row per theory (per policy when several).

    Text from the file and from user code (names, labels) is printed literally, never read
    as rich markup, and clipped to ``MAX_TEXT`` characters; ``verbose`` lists every draw in
    the consistency column."""
    m = report.model
    s = report.scenario
    params = ", ".join(f"{clip(k)} = {short_str(v)}" for k, v in s.parameters.items())
    title = Text(clip(s.name) + (f"  ({params})" if params else ""))
    table = Table(title=title, title_justify="left", show_lines=True, expand=False)
    table.add_column("theory")
    table.add_column("policy")
    table.add_column("consistency (fixed points per draw)")
    table.add_column("expected", no_wrap=True)
    table.add_column(f"realized ({m.rule})")
    notes: list[Text] = []
    for t in report.theories:
        if not t.policies:
            table.add_row(
                Text(clip(t.theory), style="bold"), Text("none", style="bold red"), "", "", "—"
            )
        for i, p in enumerate(t.policies):
            table.add_row(*_row_cells(m, t, p, i == 0, verbose))
            for reason in p.consistency.reasons:
                notes.append(Text(f"{clip(t.theory)}: {clip(reason, 2000)}", style="red"))
        if t.note:
            notes.append(Text(f"{clip(t.theory)}: {clip(t.note, 2000)}", style="yellow"))
        if len(t.policies) > 1:
            notes.append(
                Text(f"{clip(t.theory)}: {len(t.policies)} policies qualify; each is shown")
            )
    parts: list[RenderableType] = [table]
    if report.file:
        parts.insert(0, Text(clip(report.file), style="dim"))
    parts.extend(notes)
    for t in report.theories:
        if t.thresholds is not None:
            parts.append(thresholds_text(m, clip(t.theory), t.thresholds))
    given = given_renderable(report, verbose=verbose)
    if given is not None:
        parts.append(given)
    parts.append(verdict_text(report.paradox))
    return Group(*parts)


def explanation_renderable(model: Model, e: Explanation) -> RenderableType:
    """A theory's reasoning, observation by observation."""
    how = {
        "condition": "conditions on the act (worlds of the policy with this act here, "
        "given the observation)",
        "intervene": "intervenes on the act (worlds of its policy, act set, predictions fixed)",
        "policy": "intervenes on the policy (all worlds of the policy with this act here)",
    }[e.query]
    name = clip(e.theory)
    shown = policy_text(model, e.policy).replace("\n", "; ")
    tree = Tree(Text(f"{name}: {shown}", style="bold"))
    tree.add(Text(f"{name} {how}", style="dim"))
    for row in e.observations:
        obs = ", ".join(f"{clip(k)} = {label(v)}" for k, v in row.observation.items())
        played = ", ".join(
            clip(a) if p == 1 else f"{clip(a)} {_prob(p)}" for a, p in row.policy.items()
        )
        verdict = clip(row.verdict, 2000)
        node = tree.add(Text(f"{'on ' + obs if obs else 'always'}: {played} — {verdict}"))
        for act in row.acts:
            branch = node.add(
                Text(
                    f"{clip(act.action)}: {number(act.eu)}",
                    style="bold" if act.action in row.policy else "",
                )
            )
            for w in act.worlds:
                vals = ", ".join(f"{clip(k)}={label(v)}" for k, v in w.values.items())
                tag = (
                    ""
                    if w.kind == "settled"
                    else f" ({'prediction erred' if w.kind == 'error' else 'predictor guessed'})"
                )
                branch.add(
                    Text(
                        f"p = {_prob(w.probability)}: {vals}{tag} → {number(w.utility)}",
                        style="dim",
                    )
                )
            if act.more:
                branch.add(Text(f"… {act.more} more worlds", style="dim"))
    parts: list[RenderableType] = [tree]
    for reason in e.paradoxes:
        parts.append(Text(f"paradox: {clip(reason, 2000)}", style="red"))
    return Group(*parts)


def unexplained_renderable(model: Model, theory: str, p: PolicyReport) -> RenderableType:
    """What ``explain`` shows for a theory without a query: its policy, its value under each
    paradox rule and its consistency, and why there are no expected utilities per act."""
    name = clip(theory)
    tree = Tree(
        Text(f"{name}: {policy_text(model, p.behaviour).replace(chr(10), '; ')}", style="bold")
    )
    tree.add(
        Text(
            f"{name} has no query (condition, intervene or policy): its policy comes from its own "
            "code, not from comparing acts, so there are no expected utilities per act to show",
            style="dim",
        )
    )
    tree.add(Text(f"value ({model.rule}): {number(p.value)}", style="bold"))
    for r, v in p.realized.items():
        if r != model.rule:
            tree.add(Text(f"value ({r}): {number(v)}", style="dim"))
    if len(p.by_observation) > 1:
        node = tree.add(Text(f"value given each observation ({model.rule})"))
        for g in p.by_observation:
            obs = ", ".join(f"{clip(k)} = {label(v)}" for k, v in g.observation.items())
            node.add(Text(f"given {obs}: ").append_text(_given_cell(g)))
    node = tree.add(Text("consistency (fixed points per draw)"))
    node.add(consistency_text(p.consistency, verbose=True))
    parts: list[RenderableType] = [tree]
    for reason in p.consistency.reasons:
        parts.append(Text(f"paradox: {clip(reason, 2000)}", style="red"))
    return Group(*parts)


def explain_json(report: ScenarioReport, whys: list[Explanation | None]) -> dict[str, Any]:
    """``explain --json``: the theory's policies as ``check --json`` details them, each with its
    reasoning per observation (``null`` for a theory without a query)."""
    from .report import label_json

    m = report.model
    (t,) = report.theories
    policies = []
    for p, why in zip(t.policies, whys, strict=True):
        entry = policy_report_json(m, p)
        entry["observations"] = None if why is None else _explanation_rows(why, label_json)
        policies.append(entry)
    out: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "command": "explain"}
    if report.file is not None:
        out["file"] = report.file
    out.update(
        {
            "name": report.scenario.name,
            "theory": t.theory,
            "query": t.query,
            "note": t.note,
            "paradox": t.paradox,
            "policies": policies,
        }
    )
    return out


def _explanation_rows(e: Explanation, label_json: Any) -> list[dict[str, Any]]:
    return [
        {
            "observation": {k: label_json(v) for k, v in row.observation.items()},
            "policy": {a: exact_str(p) for a, p in row.policy.items()},
            "verdict": row.verdict,
            "acts": [
                {
                    "action": act.action,
                    "expected_utility": None if act.eu is None else exact_str(act.eu),
                    "worlds": [
                        {
                            "values": {k: label_json(v) for k, v in w.values.items()},
                            "kind": w.kind,
                            "probability": exact_str(w.probability),
                            "utility": exact_str(w.utility),
                        }
                        for w in act.worlds
                    ],
                    "more_worlds": act.more,
                }
                for act in row.acts
            ],
        }
        for row in e.observations
    ]


def _is_mixed(p: PolicyReport) -> bool:
    return not all(x in (0, 1) for row in p.behaviour for x in row)


class _Cell:
    """One theory's policies on one problem, as compare shows them, from either kind of
    report: (policy text, exact value text, mixed, paradox) per policy, and how many it
    found."""

    def __init__(self, r: ScenarioReport | SeveralReport, theory: str, sep: str) -> None:
        self.rows: list[tuple[str, str | None, str, bool, bool]] = []
        if isinstance(r, ScenarioReport):
            t = next(x for x in r.theories if x.theory == theory)
            for p in t.policies:
                text = policy_text(r.model, p.behaviour).replace("\n", sep)
                self.rows.append((text, exact(p.value), number(p.value), _is_mixed(p), p.paradox))
            self.total = max(t.total, len(t.policies))
        else:
            from .several import approx_str, number_str

            s = next(x for x in r.theories if x.theory == theory)
            for q in s.policies:
                value = number_str(q.value)
                shown = value or "—"
                if isinstance(q.value, Fraction | int):
                    shown = number(Fraction(q.value))
                elif value is not None:
                    shown += f" ≈ {approx_str(q.value)}"
                mixed = not all(x in (0, 1) for row in q.rows for x in row)
                text = sep.join(r.policy_text(q.rows))
                self.rows.append((text, value, shown, mixed, q.paradox))
            self.total = len(s.policies)
        self.paradox = any(row[4] for row in self.rows)


def _equilibria(
    r: ScenarioReport | SeveralReport, theory: str, sep: str
) -> tuple[list[tuple[str, str]], int]:
    """Compare's cell: (policy with its marks, value) for each of the first ``MAX_EQUILIBRIA``
    policies of the theory, and how many more it reports."""
    cell = _Cell(r, theory, sep)
    shown = []
    for text, _, value, mixed, paradox in cell.rows[:MAX_EQUILIBRIA]:
        marks = [m for m, on in (("mixed", mixed), ("paradox", paradox)) if on]
        shown.append((text + (f" [{', '.join(marks)}]" if marks else ""), value))
    return shown, cell.total - len(shown)


def _theory_names(reports: list[ScenarioReport | SeveralReport]) -> list[str]:
    names: list[str] = []
    for r in reports:
        for t in r.theories:
            if t.theory not in names:
                names.append(t.theory)
    return names


def compare_renderable(reports: list[ScenarioReport | SeveralReport]) -> RenderableType:
    """Problems as rows, theories as columns: each cell the policies (up to
    ``MAX_EQUILIBRIA``, then "… and N more") each with its value."""
    names = _theory_names(reports)
    table = Table(show_lines=True)
    table.add_column(Text("problem"))
    for n in names:
        table.add_column(Text(clip(n)))
    for r in reports:
        cells: list[RenderableType] = [Text(clip(r.scenario.name))]
        by = {t.theory: t for t in r.theories}
        for n in names:
            if n not in by:
                cells.append(Text(""))
                continue
            shown, more = _equilibria(r, n, "\n")
            lines = [f"{text}\n{val}" for text, val in shown] or ["none\n—"]
            cell = "\nor ".join(lines) + (f"\n… and {more} more" if more else "")
            cells.append(Text(cell, style="red" if by[n].paradox else ""))
        table.add_row(*cells)
    return table


def compare_markdown(reports: list[ScenarioReport | SeveralReport]) -> str:
    """The comparison as a Markdown table (``policy: value``, several joined by ``or``), ready
    for a paper or a README."""
    names = _theory_names(reports)
    lines = ["| problem | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for r in reports:
        by = {t.theory: t for t in r.theories}
        cells = []
        for n in names:
            if n not in by:
                cells.append("")
                continue
            shown, more = _equilibria(r, n, "; ")
            cell = " or ".join(f"{text}: {val}" for text, val in shown) or "none: —"
            if more:
                cell += f" … and {more} more"
            cells.append(_md(cell))
        lines.append(f"| {_md(clip(r.scenario.name))} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """Text for one Markdown table cell: pipes escaped, no line breaks."""
    return text.replace("|", "\\|").replace("\n", " ")


def compare_json(reports: list[ScenarioReport | SeveralReport]) -> dict[str, object]:
    """The comparison as plain data: per theory its first policy (as before) and every policy
    it reports in ``equilibria``, each with its value."""
    rows = []
    for r in reports:
        cells = {}
        for t in r.theories:
            cell = _Cell(r, t.theory, "; ")
            first = cell.rows[0] if cell.rows else None
            marks = [f"{len(cell.rows)} policies"] if len(cell.rows) > 1 else []
            marks += ["mixed"] if first is not None and first[3] else []
            marks += ["paradox"] if cell.paradox else []
            cells[t.theory] = {
                "policy": None if first is None else first[0],
                "marks": marks,
                "value": None if first is None else first[1],
                "policies": len(cell.rows),
                "paradox": cell.paradox,
                "mixed": first is not None and first[3],
                "equilibria": [
                    {"policy": text, "value": value, "paradox": paradox, "mixed": mixed}
                    for text, value, _, mixed, paradox in cell.rows
                ],
                "more": max(cell.total - len(cell.rows), 0),
            }
        rows.append({"file": r.file, "name": r.scenario.name, "theories": cells})
    return {"schema_version": SCHEMA_VERSION, "command": "compare", "rows": rows}


def sweep_columns(result: Sweep) -> list[tuple[str, list[str], Any, list[str]]]:
    """Per theory: its name, the policy text of each region, the region index per point, and
    the policy each region's value belongs to (the first, where several policies tie)."""
    out = []
    for col in result.columns:
        texts = []
        valued = []
        for r in col.thresholds.regions:
            shown = r.shown or ()
            if r.policies is None:
                texts.append("invalid")
            elif not r.policies:
                texts.append("none")
            else:
                texts.append(
                    " | ".join(policy_text(result.model, pi).replace("\n", "; ") for pi in shown)
                )
            valued.append(
                policy_text(result.model, shown[0]).replace("\n", "; ") if r.policies else ""
            )
        out.append((col.theory, texts, col.region, valued))
    return out


def sweep_csv(result: Sweep) -> str:
    """The sweep as CSV: the parameter, then per theory its policy, its value and the policy
    the value is of (``THEORY_value_of``: the first one where several tie)."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    header = [result.grid.parameter]
    for col in result.columns:
        header += [f"{col.theory}_policy", f"{col.theory}_value", f"{col.theory}_value_of"]
    w.writerow(header)
    cols = sweep_columns(result)
    values = [c.values for c in result.columns]
    for k, x in enumerate(result.points):
        row: list[str] = [repr(float(x))]
        for (_, texts, region, valued), vals in zip(cols, values, strict=True):
            i = int(region[k])
            row.append(texts[i] if i >= 0 else "")
            v = float(vals[k])
            row.append("" if v != v else repr(v))
            row.append(valued[i] if i >= 0 and v == v else "")
        w.writerow(row)
    return buf.getvalue()


def sweep_json(result: Sweep) -> dict[str, Any]:
    """The sweep as plain data: exact thresholds and formulas per region (``value_of``: the
    policy the formula values), values per point."""
    cols = sweep_columns(result)
    theories = []
    for col, (_, texts, region, valued) in zip(result.columns, cols, strict=True):
        regions = []
        for r, text, formula, of in zip(
            col.thresholds.regions, texts, col.formulas, valued, strict=True
        ):
            regions.append(
                {
                    "from": None if r.lo is None else str(r.lo),
                    "to": None if r.hi is None else str(r.hi),
                    "from_closed": r.lo_closed,
                    "to_closed": r.hi_closed,
                    "policy": text,
                    "formula": formula,
                    "value_of": of if formula is not None else None,
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
        "schema_version": SCHEMA_VERSION,
        "command": "sweep",
        "parameter": g.parameter,
        "grid": {"from": exact_str(g.lo), "to": exact_str(g.hi), "count": g.count},
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


def compare_latex(reports: list[ScenarioReport | SeveralReport]) -> str:
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
        code_format="<pre style=\"font-family: Menlo, 'DejaVu Sans Mono', consolas, "
        'monospace; line-height: 1.25">{code}</pre>',
    )


def simulation_renderable(result: Simulation) -> RenderableType:
    """One row per theory: policy, mean ± standard error, the 99% interval, the exact value
    (marked when outside the interval), and paradox episodes when there are any."""
    table = Table()
    for col in ("theory", "policy", "mean ± std. error", "99% interval", "exact"):
        table.add_column(col, no_wrap=col in ("theory", "99% interval"))
    paradox = any(t.paradox_probability for t in result.theories)
    if paradox:
        table.add_column("paradoxes", no_wrap=True)
    for t in result.theories:
        policy = "—" if t.policy is None else policy_text(result.model, t.policy)
        exact = Text(number(t.exact))
        if t.mean is None or t.ci is None:
            cells = [Text(t.theory), Text(policy), Text("—"), Text(t.note or "—"), exact]
        else:
            lo, hi = t.ci
            se = "—" if t.stderr is None else _figure(t.stderr, 3)
            if t.outside:
                exact.append("\noutside the interval", style="bold red")
            cells = [
                Text(t.theory),
                Text(policy),
                Text(f"{_figure(t.mean, 7)}\n± {se}"),
                Text(f"[{_figure(lo, 7)}, {_figure(hi, 7)}]"),
                exact,
            ]
        if paradox:
            cells.append(Text(f"{t.paradoxes}, p = {t.paradox_probability}"))
        table.add_row(*cells)
    return table


def _figure(x: float, digits: int) -> str:
    """``x`` to about ``digits`` significant digits, in fixed point with thousands separators
    and no trailing zeros (``990,523.4``, ``1,000``)."""
    import math

    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    places = max(0, min(12, digits - 1 - math.floor(math.log10(abs(x)))))
    text = f"{x:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def trace_renderable(result: Simulation, t: Any, k: int) -> RenderableType:
    """The first ``k`` episodes of one theory: chance, the predictor, what the agent saw and
    did, and the payoff."""

    def pairs(d: Any) -> str:
        return ", ".join(f"{n}={describe_label(v)}" for n, v in d.items()) or "—"

    m = result.model
    table = Table()
    for col in ("#", "chance", "predictor", "observation", "act", "payoff"):
        table.add_column(col, overflow="fold")
    for n, i in enumerate(t.index[:k].tolist(), start=1):
        o = t.outcomes[i]
        who = pairs(o.predictor) + {"error": " (wrong)", "guess": " (guess)"}.get(o.kind, "")
        if o.kind == "paradox" or o.observation is None or o.act is None:
            cells = [str(n), pairs(o.chance), "no consistent choice", "—", "—", "paradox"]
        else:
            obs, act = pairs(m.observation_dict(o.observation)), m.actions[o.act]
            cells = [str(n), pairs(o.chance), who, obs, act, str(o.payoff)]
        table.add_row(*(Text(c) for c in cells))
    return table


def phase_renderable(result: Phase) -> RenderableType:
    """Each theory's verdicts over the grid: how many cells each holds, and the exact boundary
    points found."""
    table = Table()
    for col in ("theory", "verdict", "cells", "exact boundary points"):
        table.add_column(col, overflow="fold")
    for c in result.columns:
        for i, v in enumerate(c.verdicts):
            first = i == 0
            table.add_row(
                c.theory if first else "",
                Text(v.text),
                str(int((c.cells == i).sum())),
                str(len(c.boundary)) if first else "",
            )
    return table


def several_renderable(report: SeveralReport) -> RenderableType:
    """The table of a scenario with decision points: one row per theory and policy, with its
    behavioural policy per information set, its ex-ante value and whether it is the ex-ante
    optimum, and E[U | visited] per information set and observation."""
    from .several import approx_str, number_str

    s = report.scenario
    params = ", ".join(f"{clip(k)} = {short_str(v)}" for k, v in s.parameters.items())
    title = Text(clip(s.name) + (f"  ({params})" if params else ""))
    table = Table(title=title, title_justify="left", show_lines=True, expand=False)
    table.add_column("theory")
    table.add_column("policy (per information set)")
    table.add_column(f"value ({s.predictor.on_paradox})", no_wrap=True)
    table.add_column("ex-ante optimal")
    table.add_column("E[U | visited]")
    notes: list[Text] = []
    for t in report.theories:
        name = t.theory + (f" + {t.credence}" if t.credence else "")
        if not t.policies:
            table.add_row(
                Text(clip(name), style="bold"), Text("none", style="bold red"), "—", "", ""
            )
        for i, p in enumerate(t.policies):
            value = number_str(p.value)
            shown_value = "—" if value is None else value
            if value is not None and not isinstance(p.value, Fraction | int):
                shown_value += f" ≈ {approx_str(p.value)}"
            given = [
                f"{slot}: " + ("never" if v is None else number_str(v) or "—")
                for slot, (_, v) in zip(report.tree.slots, p.by_slot, strict=True)
            ]
            table.add_row(
                Text(clip(name) if i == 0 else "", style="bold"),
                Text("\n".join(clip(x) for x in report.policy_text(p.rows))),
                Text(shown_value + (" (paradox)" if p.paradox else "")),
                Text("yes" if p.optimal else "no" if p.optimal is not None else "—"),
                Text("\n".join(clip(x) for x in given)),
            )
        if t.note:
            notes.append(Text(f"{clip(name)}: {clip(t.note, 2000)}", style="yellow"))
    parts: list[RenderableType] = [table]
    if report.file:
        parts.insert(0, Text(clip(report.file), style="dim"))
    parts.extend(notes)
    optimum = number_str(report.optimum)
    parts.append(
        Text(f"ex-ante optimum: {optimum or '—'}; self-locating belief: {report.self_locating}")
    )
    parts.append(verdict_text(report.paradox))
    return Group(*parts)


def several_explanation_renderable(
    report: SeveralReport, theory: str, reasons: list[tuple[Any, list[Any]]]
) -> RenderableType:
    """``explain`` on a scenario with decision points: per policy, per slot, each act's
    expected utility as Σ over visits of credence × EU there."""
    from .several import number_str

    t = next(x for x in report.theories if x.theory == theory)
    name = t.theory + (f" + {t.credence}" if t.credence else "")
    parts: list[RenderableType] = []
    if not reasons:
        parts.append(Text(f"{clip(name)}: {clip(t.note or 'no policy', 2000)}"))
    for p, slots in reasons:
        value = number_str(p.value) or "—"
        optimal = "ex-ante optimal" if p.optimal else "not ex-ante optimal"
        root = Tree(Text(f"{clip(name)}: value {value} ({optimal})", style="bold"))
        for sr in slots:
            played = ", ".join(f"{a} {number_str(x)}" for a, x in sr.played.items())
            branch = root.add(Text(f"{clip(sr.slot)}: plays {clip(played)}"))
            for ar in sr.acts:
                label = ar.action
                if not ar.visits:
                    branch.add(Text(f"{clip(label)}: never visited, even under trembles"))
                    continue
                terms = " + ".join(
                    f"{_factor(v.credence)} × {_factor(v.eu)} ({clip(v.point)})" for v in ar.visits
                )
                branch.add(Text(f"{clip(label)}: EU {number_str(ar.eu)} = {terms}"))
        parts.append(root)
    if t.note:
        parts.append(Text(f"{clip(name)}: {clip(t.note, 2000)}", style="yellow"))
    parts.append(
        Text("each EU is Σ over the visits of credence × expected utility there", style="dim")
    )
    return Group(*parts)


def several_explain_json(
    report: SeveralReport, theory: str, reasons: list[tuple[Any, list[Any]]]
) -> dict[str, Any]:
    """``explain --json`` on a scenario with decision points."""
    from .several import number_str

    data = report.to_json()
    t = next(x for x in data["theories"] if x["theory"] == theory)
    for entry, (_, slots) in zip(t["policies"], reasons, strict=True):
        entry["slots"] = [
            {
                "slot": sr.slot,
                "observation": sr.observation,
                "acts": [
                    {
                        "action": ar.action,
                        "eu": number_str(ar.eu),
                        "visits": [
                            {
                                "point": v.point,
                                "credence": number_str(v.credence),
                                "eu": number_str(v.eu),
                            }
                            for v in ar.visits
                        ],
                    }
                    for ar in sr.acts
                ],
            }
            for sr in slots
        ]
    out: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "command": "explain"}
    if report.file is not None:
        out["file"] = report.file
    out.update({"name": data["name"], "self_locating": data["self_locating"], **t})
    return out


def _factor(x: Any) -> str:
    """A number as a factor of a product: in parentheses unless it is one signless term."""
    from .several import number_str

    text = number_str(x)
    if text is None:
        return "—"
    return f"({text})" if " " in text or text.startswith("-") else text


def verdict_text(paradox: bool) -> Text:
    """The report's last line: whether some theory's policy meets a paradox."""
    if paradox:
        return Text(
            "paradox: some theory's policy meets a predictor that cannot exist", style="bold red"
        )
    return Text("consistent: every theory's policy admits an accurate predictor", style="green")
