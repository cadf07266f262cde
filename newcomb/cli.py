"""The command line: ``newcomb check``, ``compare``, ``explain``, ``sweep``, ``simulate``,
``phase``, ``study``, ``graph`` and ``schema``.

A thin typer app over :func:`newcomb.report.analyse` and :mod:`newcomb.render`. Exit codes:
0 when every theory's policy is consistent, 1 when a paradox was found, 2 for a bad file, bad
usage or a problem past a bound (one line on stderr, never a traceback).
"""

# No ``from __future__ import annotations`` here: typer reads the commands' annotations at
# every start, and as strings they would be evaluated (about 10 ms of the cold start).
import difflib
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.console import Console

from . import __version__
from .errors import LimitError, NewcombError, ScenarioError, UsageError, shown
from .errors import clip as _clip
from .io import load, locate
from .model import PARADOX_RULES, Scenario, parse_number
from .report import ScenarioReport, analyse
from .theories import BUILTINS, Theory, load_spec, theory_name
from .theories import load as load_theory
from .world import Limits, Progress

if TYPE_CHECKING:
    from .several import SeveralReport

__all__ = ["app", "main"]

app = typer.Typer(
    name="newcomb",
    help="Decision theories on Newcomb-like problems, with a consistency checker for predictors.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

EXIT_OK, EXIT_PARADOX, EXIT_ERROR = 0, 1, 2


def _version(value: bool) -> None:
    if value:
        typer.echo(f"newcomb {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[
        Optional[bool],  # noqa: UP045 - typer needs Optional here
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = None,
) -> None:
    """Decision theories on Newcomb-like problems."""


def _out() -> Console:
    """stdout console; 120 columns when not a terminal (unless COLUMNS says otherwise).

    Names, labels and file names come from files and user code: no string is read as rich
    markup (``[/]``) or emoji codes (``:fire:``); styles come from the renderables only."""
    console = Console(highlight=False, markup=False, emoji=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(highlight=False, markup=False, emoji=False, width=120)
    return console


def _err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)


def _parse_sets(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--set {shown(item)}: expected NAME=VALUE, e.g. --set p=1/5")
        if name in out:
            raise UsageError(f"--set {shown(item)}: {shown(name)} is set twice; keep one --set")
        try:
            out[name] = parse_number(value.strip())
        except ScenarioError as e:
            raise UsageError(f"--set {shown(item)}: {e.message}") from None
    return out


def _known_parameter(option: str, name: str, scenario: Scenario) -> None:
    """Refuse an option (``--set``, ``--param``, ``--x``, ``--y``, ``--symbolic``) that names
    a parameter the scenario does not have, naming the option rather than the file's key."""
    if name not in scenario.parameters:
        known = ", ".join(scenario.parameters) or "none"
        params = list(scenario.parameters)
        close = [p for p in params if p.lower() == name.lower()]
        close = close or difflib.get_close_matches(name, params, n=1)
        hint = f"; did you mean {shown(close[0])}?" if close else ""
        raise UsageError(
            f"{option}: no parameter named {shown(name)} (parameters: {_clip(known)}){hint}"
        )


def _with_queries(run: "_Run", command: str) -> None:
    """Refuse a ``--theory`` without a query in a command that follows thresholds (``sweep``
    takes a fixed policy, whose value is one formula in the parameter; ``phase`` does not)."""
    from .theories import FixedPolicy

    for t in run.theories:
        if t.query is None and not (command == "sweep" and isinstance(t, FixedPolicy)):
            what = "policy" if isinstance(t, FixedPolicy) else "theory class without a query"
            _fail_line(
                _err(),
                f"--theory {shown(theory_name(t))}: {command} follows a theory's thresholds "
                f"through its query (condition, intervene or policy), and this {what} has "
                "none; check it at single values with check --set, or over a grid with newcomb "
                "study (compute: sweep), which checks it exactly at each point",
            )
            raise typer.Exit(EXIT_ERROR)


def _not_set(option: str, spec: str, name: str, run: "_Run") -> None:
    """Refuse a grid over a parameter that ``--set`` also fixes (one of them would be ignored)."""
    if name in run.overrides:
        raise UsageError(
            f"{option} {spec} and --set {name}={run.overrides[name]} both give {shown(name)}: "
            "drop one"
        )


def _writable(option: str, path: Path | None, suffixes: tuple[str, ...] = ()) -> None:
    """Refuse an output path before the work rather than after it: its folder must exist and,
    when ``suffixes`` are given, its suffix must be one of them (one line, exit 2)."""
    if path is None:
        return
    message = None
    if suffixes and path.suffix.lower() not in suffixes:
        message = f"expected a file ending {', '.join(suffixes[:-1])} or {suffixes[-1]}"
    elif not path.parent.is_dir():
        message = f"no such directory {shown(str(path.parent))}"
    elif path.is_dir():
        message = "is a directory; expected a file name"
    if message is not None:
        _fail_line(_err(), f"{option} {shown(str(path))}: {message}")
        raise typer.Exit(EXIT_ERROR)


def _write(option: str, path: Path, text: str) -> None:
    """Write an output file; an OS error (permissions, a full disk) is one line and exit 2."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        _fail_line(_err(), f"{option} {shown(str(path))}: {e.strerror or e}")
        raise typer.Exit(EXIT_ERROR) from None


PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def _load_user_theory(spec: str) -> Theory:
    """``module:Name`` from the current directory or installed packages, or ``path.py:Name``."""
    return load_spec(spec, os.getcwd())


SetOpt = Annotated[
    Optional[list[str]],  # noqa: UP045 - typer needs Optional here
    typer.Option(
        "--set", help="Override a parameter: NAME=VALUE (exact, e.g. p=1/5).", metavar="NAME=VALUE"
    ),
]
ParadoxOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--paradox", help="Override the paradox rule: fail, random or retry.", metavar="RULE"
    ),
]
TheoryOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--theory",
        help="Add a theory, policy or policy function: module:Name or file.py:Name.",
        metavar="SPEC",
    ),
]
OnlyOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option("--only", help="Run only the named theories (built-in or added).", metavar="NAME"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON only.")]
MaxPoliciesOpt = Annotated[
    int, typer.Option("--max-policies", help="Bound on pure policies a theory may search.")
]
MaxWorldsOpt = Annotated[
    int, typer.Option("--max-worlds", help="Bound on worlds in one enumeration.")
]
MaxMixedOpt = Annotated[
    int, typer.Option("--max-mixed", help="Bound on pure policies a mixed policy draws.")
]
MaxTableOpt = Annotated[
    int,
    typer.Option(
        "--max-table", help="Bound on compiled table entries (worlds × prediction values × acts)."
    ),
]
MaxEquationsOpt = Annotated[
    int,
    typer.Option(
        "--max-equations", help="Bound on the indifference equations the mixed search solves."
    ),
]


def _bound(run: "_Run", max_table: int, max_equations: int) -> None:
    """Add ``--max-table`` and ``--max-equations`` to the run's limits (at least 1 each)."""
    if min(max_table, max_equations) < 1:
        _fail_line(_err(), "--max-table and --max-equations must be at least 1")
        raise typer.Exit(EXIT_ERROR)
    run.limits = replace(run.limits, max_table=max_table, max_equations=max_equations)


ExhaustiveOpt = Annotated[
    bool,
    typer.Option(
        "--exhaustive",
        help="Enumerate every world for every policy (the plain path, for checking the fast one).",
    ),
]
SelfLocatingOpt = Annotated[
    str,
    typer.Option(
        "--self-locating",
        help="Credence over the visits of an information set, for CDT and EDT: default (CDT "
        "generalized thirding, EDT generalized double halving), thirding or halving.",
        metavar="RULE",
    ),
]
PlotOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(
        "--plot",
        help="Also draw a figure to this file (.png, .svg or .pdf; needs matplotlib).",
        metavar="FILE",
    ),
]
FilesArg = Annotated[list[Path], typer.Argument(help="Scenario files (YAML).", show_default=False)]


@dataclass
class _Run:
    """What every command shares: options turned into theories, overrides and limits, and the
    exit code so far."""

    overrides: dict[str, Any]
    paradox: str | None
    theories: list[Theory]
    limits: Limits
    exhaustive: bool = False
    self_locating: str = "default"
    several_ok: bool = False  # check reads scenarios with decision points; other commands not yet
    code: int = EXIT_OK

    def load(self, path: Path) -> Scenario:
        """Read a scenario file and apply ``--set`` and ``--paradox``."""
        scenario = load(path)
        if scenario.decisions and not self.several_ok:
            raise UsageError(
                "this command does not support scenarios with decision points (decide "
                "variables) yet; newcomb check does"
            )
        for k, v in self.overrides.items():
            _known_parameter(f"--set {k}={v}", k, scenario)
        if self.overrides:
            try:
                scenario = scenario.with_parameters(**self.overrides)
            except ScenarioError as e:
                raise ScenarioError(f"--set: {e.message}", file=str(path)) from None
        if self.paradox is not None:
            scenario = scenario.with_paradox(self.paradox)
        return scenario

    def analyse(
        self,
        files: list[Path],
        symbols: tuple[str, ...] = (),
        *,
        quiet: bool = False,
        errors: list[dict[str, Any]] | None = None,
    ) -> Iterator[ScenarioReport | None]:
        """:meth:`reports` for the commands that read scenarios with one decision only
        (:meth:`load` refuses decision points for them)."""
        for report in self.reports(files, symbols, quiet=quiet, errors=errors):
            assert report is None or isinstance(report, ScenarioReport)
            yield report

    def reports(
        self,
        files: list[Path],
        symbols: tuple[str, ...] = (),
        *,
        quiet: bool = False,
        errors: list[dict[str, Any]] | None = None,
    ) -> Iterator["ScenarioReport | SeveralReport | None"]:
        """Each file's report; a bad file is reported on stderr (exit 2) and the rest go on.

        A progress bar is drawn on stderr for long searches when stderr is a terminal and the
        output is not JSON (``quiet``).
        """
        err = _err()
        for path in files:
            name = str(path)
            try:
                scenario = self.load(path)
            except ScenarioError as e:  # the file itself, before --set applies to anything
                self._fail(err, str(e.located(file=name)), name, errors)
                yield None
                continue
            except UsageError as e:
                self._fail(err, f"{name}: {e}", name, errors)
                yield None
                continue
            try:
                for symbol in symbols:
                    _known_parameter(f"--symbolic {symbol}", symbol, scenario)
                with _progress(err, name, enabled=not quiet) as progress:
                    report = analyse(
                        scenario,
                        self.theories,
                        limits=self.limits,
                        file=name,
                        symbols=symbols,
                        progress=progress,
                        exhaustive=self.exhaustive,
                        self_locating=self.self_locating,
                    )
            except ScenarioError as e:
                where = e.located(file=name)
                message = str(where)
                if self.overrides and where.path[:1] != ("parameters",):
                    sets = ", ".join(f"{k}={v}" for k, v in self.overrides.items())
                    message += f" (with --set {sets})"
                self._fail(err, message, name, errors)
                yield None
                continue
            except (UsageError, LimitError) as e:
                self._fail(err, f"{name}: {e}", name, errors)
                yield None
                continue
            if report.paradox and self.code == EXIT_OK:
                self.code = EXIT_PARADOX
            yield report

    def _fail(
        self, err: Console, message: str, name: str, errors: list[dict[str, Any]] | None
    ) -> None:
        """One line on stderr; exit code 2; and an entry for JSON output when collecting."""
        _fail_line(err, message)
        self.code = EXIT_ERROR
        if errors is not None:
            errors.append({"schema_version": 1, "file": name, "error": _clip_message(message)})


@contextmanager
def _progress(
    err: Console, name: str, *, enabled: bool = True, doing: str = "searching policies"
) -> Iterator[Progress | None]:
    """A rich progress bar on stderr, only on a terminal; yields the callback or None. Every
    long command (a policy search, a study's tasks, a simulation's episodes) uses this one."""
    if not enabled or not err.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    from .render import clip

    # The file name is shown as it is: no markup, no emoji codes (TextColumn without markup).
    columns = (TextColumn("{task.description}", markup=False), BarColumn(), TaskProgressColumn())
    with Bar(*columns, TimeRemainingColumn(), console=err, transient=True) as bar:
        task = bar.add_task(f"{clip(name)}: {doing}", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _clip_message(message: str) -> str:
    """An error line of readable size: each run of more than 200 non-blank characters (a long
    name, label or file name) shortened with an ellipsis, and the whole line to 2000."""
    from .render import MAX_TEXT, clip

    return clip(re.sub(rf"\S{{{MAX_TEXT + 1},}}", lambda m: clip(m[0]), message), 2000)


def _self_locating(run: _Run, rule: str) -> None:
    """Check ``--self-locating`` and let ``run`` read scenarios with decision points."""
    from .theories.recall import SELF_LOCATING

    if rule not in SELF_LOCATING:
        _fail_line(
            _err(), f"--self-locating: expected one of {', '.join(SELF_LOCATING)}, got {rule!r}"
        )
        raise typer.Exit(EXIT_ERROR)
    run.self_locating = rule
    run.several_ok = True


def _fail_line(err: Console, message: str) -> None:
    err.print(f"error: {_clip_message(message)}", markup=False)


def _setup(
    set_: list[str] | None,
    paradox: str | None,
    theory: list[str] | None,
    only: list[str] | None,
    max_policies: int,
    max_worlds: int,
    max_mixed: int,
) -> _Run:
    """Check the options; on a mistake print one line and exit 2."""
    try:
        overrides = _parse_sets(set_ or [])
        if paradox is not None and paradox not in PARADOX_RULES:
            lower = paradox.lower()
            hint = f"; did you mean {lower!r}?" if lower in PARADOX_RULES else ""
            raise UsageError(
                f"--paradox {shown(paradox)}: expected one of fail, random, retry{hint}"
            )
        theories: list[Theory] = [t() for t in BUILTINS.values()]
        for spec in theory or []:
            theories.append(_load_user_theory(spec))
        if only:
            names = [theory_name(t) for t in theories]
            missing = [n for n in only if n not in names]
            if missing:
                close = [n for n in names if n.lower() == missing[0].lower()]
                hint = f"; did you mean {shown(close[0])}?" if close else ""
                raise UsageError(
                    f"--only {shown(missing[0])}: no such theory "
                    f"(available: {_clip(', '.join(names))}){hint}"
                )
            theories = [t for t in theories if theory_name(t) in only]
        if min(max_policies, max_worlds, max_mixed) < 1:
            raise UsageError("--max-policies, --max-worlds and --max-mixed must be at least 1")
        limits = Limits(max_policies=max_policies, max_worlds=max_worlds, max_mixed=max_mixed)
    except NewcombError as e:
        _fail_line(_err(), str(e))
        raise typer.Exit(EXIT_ERROR) from None
    return _Run(overrides, paradox, theories, limits)


def _with_file(doc: dict[str, Any], file: str) -> dict[str, Any]:
    """A command's JSON with ``file`` after ``schema_version`` and ``command``, as in every
    command's JSON about one scenario file."""
    head: dict[str, Any] = {k: doc[k] for k in ("schema_version", "command") if k in doc}
    return {**head, "file": file, **{k: v for k, v in doc.items() if k not in head}}


def _json_text(doc: Any) -> str:
    """Every command's JSON: indented by two spaces, UTF-8, newline-terminated."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _print_json(doc: Any) -> None:
    sys.stdout.write(_json_text(doc))


@app.command()
def check(
    files: FilesArg,
    set_: SetOpt = None,
    paradox: ParadoxOpt = None,
    theory: TheoryOpt = None,
    only: OnlyOpt = None,
    symbolic: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--symbolic",
            help="Give values as formulas in this parameter (and, for one, its thresholds).",
            metavar="NAME",
        ),
    ] = None,
    as_json: JsonOpt = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="List every draw in the consistency column (not a summary)."
        ),
    ] = False,
    max_policies: MaxPoliciesOpt = Limits.max_policies,
    max_worlds: MaxWorldsOpt = Limits.max_worlds,
    max_mixed: MaxMixedOpt = Limits.max_mixed,
    max_table: MaxTableOpt = Limits.max_table,
    max_equations: MaxEquationsOpt = Limits.max_equations,
    exhaustive: ExhaustiveOpt = False,
    self_locating: SelfLocatingOpt = "default",
) -> None:
    """Run CDT, EDT, FDT (and your theories) on each scenario and check its predictor."""
    run = _setup(set_, paradox, theory, only, max_policies, max_worlds, max_mixed)
    _bound(run, max_table, max_equations)
    run.exhaustive = exhaustive
    _self_locating(run, self_locating)
    results: list[dict[str, Any]] = []
    out = _out()
    for report in run.reports(files, tuple(symbolic or ()), quiet=as_json, errors=results):
        if report is None:
            continue
        if as_json:
            results.append(report.to_json())
            continue
        from .render import report_renderable, several_renderable

        if not isinstance(report, ScenarioReport):  # a scenario with decision points
            out.print(several_renderable(report))
        else:
            out.print(report_renderable(report, verbose=verbose))
        if len(files) > 1:
            out.print()
    if as_json and len(files) > 1:
        _print_json(results)
    elif as_json and results:  # one FILE: its object, or its error object
        _print_json(results[0])
    raise typer.Exit(run.code)


@app.command()
def compare(
    files: FilesArg,
    set_: SetOpt = None,
    paradox: ParadoxOpt = None,
    theory: TheoryOpt = None,
    only: OnlyOpt = None,
    as_json: JsonOpt = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print a Markdown table.")] = False,
    latex: Annotated[
        bool, typer.Option("--latex", help="Print a LaTeX table (booktabs), for a paper.")
    ] = False,
    max_policies: MaxPoliciesOpt = Limits.max_policies,
    max_worlds: MaxWorldsOpt = Limits.max_worlds,
    max_mixed: MaxMixedOpt = Limits.max_mixed,
    max_table: MaxTableOpt = Limits.max_table,
    max_equations: MaxEquationsOpt = Limits.max_equations,
    exhaustive: ExhaustiveOpt = False,
    self_locating: SelfLocatingOpt = "default",
) -> None:
    """One table: problems as rows, theories as columns (policy and value in each cell)."""
    from .render import compare_json, compare_markdown, compare_renderable

    if as_json + markdown + latex > 1:
        _fail_line(_err(), "--json, --markdown and --latex exclude each other: choose one")
        raise typer.Exit(EXIT_ERROR)
    run = _setup(set_, paradox, theory, only, max_policies, max_worlds, max_mixed)
    _bound(run, max_table, max_equations)
    run.exhaustive = exhaustive
    _self_locating(run, self_locating)
    reports = [r for r in run.reports(files, quiet=as_json or markdown or latex) if r is not None]
    if as_json:
        _print_json(compare_json(reports))
    elif markdown:
        sys.stdout.write(compare_markdown(reports))
    elif latex:
        from .render import compare_latex

        sys.stdout.write(compare_latex(reports))
    elif reports:
        _out().print(compare_renderable(reports))
    raise typer.Exit(run.code)


@app.command()
def explain(
    file: Annotated[Path, typer.Argument(help="A scenario file (YAML).", show_default=False)],
    theory_name_: Annotated[
        str,
        typer.Option(
            "--theory", help="The theory to explain: CDT, EDT, FDT or module:Name (file.py:Name)."
        ),
    ] = "EDT",
    set_: SetOpt = None,
    paradox: ParadoxOpt = None,
    as_json: JsonOpt = False,
    max_policies: MaxPoliciesOpt = Limits.max_policies,
    max_worlds: MaxWorldsOpt = Limits.max_worlds,
    max_mixed: MaxMixedOpt = Limits.max_mixed,
    max_table: MaxTableOpt = Limits.max_table,
    max_equations: MaxEquationsOpt = Limits.max_equations,
    exhaustive: ExhaustiveOpt = False,
    self_locating: SelfLocatingOpt = "default",
) -> None:
    """Show a theory's reasoning: expected utilities, the worlds behind them, each paradox.

    Each act's expected utility at each observation, the worlds behind it, why the chosen act
    wins, and the cycle behind each paradox. A theory without a query (a policy, a function)
    gets its policy, value and consistency instead.
    """
    from rich.text import Text

    from .explain import explain as explain_policy
    from .render import clip, explain_json, explanation_renderable, unexplained_renderable

    run = _setup(set_, paradox, None, None, max_policies, max_worlds, max_mixed)
    _bound(run, max_table, max_equations)
    run.exhaustive = exhaustive
    try:
        chosen = load_theory(theory_name_) if theory_name_ in BUILTINS else None
        chosen = chosen or _load_user_theory(theory_name_)
    except NewcombError as e:
        _fail_line(_err(), str(e))
        raise typer.Exit(EXIT_ERROR) from None
    run.theories = [chosen]
    _self_locating(run, self_locating)
    out = _out()
    for report in run.reports([file], quiet=as_json):
        if report is None:
            continue
        if not isinstance(report, ScenarioReport):  # decision points: credence per visit
            from .render import several_explain_json, several_explanation_renderable
            from .several import explain_several

            (several,) = report.theories
            reasons = explain_several(report, several.theory)
            if as_json:
                _print_json(several_explain_json(report, several.theory, reasons))
            else:
                out.print(several_explanation_renderable(report, several.theory, reasons))
            continue
        (t,) = report.theories
        try:  # an explanation lists worlds: bounded by --max-worlds like --exhaustive
            whys = [
                explain_policy(report.model, t.theory, t.query, p.behaviour)
                if t.query is not None
                else None
                for p in t.policies
            ]
        except (LimitError, ScenarioError) as e:
            _fail_line(_err(), f"{file}: {e}")
            raise typer.Exit(EXIT_ERROR) from None
        if as_json:
            _print_json(explain_json(report, whys))
            continue
        if not t.policies:
            out.print(Text(f"{clip(t.theory)}: {t.note or 'no policy'}"))
        for p, why in zip(t.policies, whys, strict=True):
            if why is None:
                out.print(unexplained_renderable(report.model, t.theory, p))
            else:
                out.print(explanation_renderable(report.model, why))
        if t.note and t.policies:
            out.print(t.note)
    raise typer.Exit(run.code)


@app.command()
def sweep(
    file: Annotated[Path, typer.Argument(help="A scenario file (YAML).", show_default=False)],
    param: Annotated[
        str,
        typer.Option(
            "--param", help="The grid: NAME=LO:HI:COUNT, e.g. q=0:1:100001.", metavar="GRID"
        ),
    ],
    set_: SetOpt = None,
    paradox: ParadoxOpt = None,
    theory: TheoryOpt = None,
    only: OnlyOpt = None,
    as_json: JsonOpt = False,
    plot: PlotOpt = None,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--output", "-o", help="Write to this file instead of stdout."),
    ] = None,
    max_policies: MaxPoliciesOpt = Limits.max_policies,
    max_worlds: MaxWorldsOpt = Limits.max_worlds,
    max_mixed: MaxMixedOpt = Limits.max_mixed,
    max_table: MaxTableOpt = Limits.max_table,
    max_equations: MaxEquationsOpt = Limits.max_equations,
) -> None:
    """Each theory's policy and value at every point of a parameter grid (CSV, or --json).

    Solved symbolically once, split at the exact thresholds, evaluated as compiled numpy.
    """
    from .render import sweep_csv, sweep_json
    from .sweep import parse_grid
    from .sweep import sweep as run_sweep

    run = _setup(set_, paradox, theory, only, max_policies, max_worlds, max_mixed)
    _with_queries(run, "sweep")
    name = str(file)
    _bound(run, max_table, max_equations)
    _writable("--output", output)  # before the work, not after it
    _writable("--plot", plot, PLOT_SUFFIXES)
    try:
        grid = parse_grid(param)
        scenario = run.load(file)
        _known_parameter(f"--param {param}", grid.parameter, scenario)
        _not_set("--param", param, grid.parameter, run)
        # no counts to report: the bar only pulses while the thresholds are solved
        with _progress(_err(), name, enabled=not as_json, doing="solving thresholds"):
            try:
                result = run_sweep(scenario, run.theories, grid, limits=run.limits)
            except ScenarioError as e:
                raise locate(scenario, e) from None
    except ScenarioError as e:
        _fail_line(_err(), str(e.located(file=name)))
        raise typer.Exit(EXIT_ERROR) from None
    except (UsageError, LimitError) as e:
        _fail_line(_err(), f"{name}: {e}")
        raise typer.Exit(EXIT_ERROR) from None
    if plot is not None:
        _plot("sweep", result, plot)
    text = _json_text(_with_file(sweep_json(result), name)) if as_json else sweep_csv(result)
    if output is not None:
        _write("--output", output, text)
    else:
        sys.stdout.write(text)
    raise typer.Exit(EXIT_OK)


@app.command()
def study(
    file: Annotated[Path, typer.Argument(help="A study file (YAML).", show_default=False)],
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--output", "-o", help="Write the CSV here (default: the file's output)."),
    ] = None,
    jobs: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--jobs", "-j", help="Local processes (default: one per CPU; 1: in this one)."
        ),
    ] = None,
    scheduler: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--scheduler", help="Run on a Dask cluster: tcp://HOST:PORT.", metavar="ADDRESS"
        ),
    ] = None,
    max_policies: MaxPoliciesOpt = Limits.max_policies,
    max_worlds: MaxWorldsOpt = Limits.max_worlds,
    max_mixed: MaxMixedOpt = Limits.max_mixed,
    max_table: MaxTableOpt = Limits.max_table,
    max_equations: MaxEquationsOpt = Limits.max_equations,
) -> None:
    """Many scenarios × parameter grids × theories → one tidy table, from a study file.

    CSV, and Parquet when pyarrow is installed; on local processes or a Dask cluster.
    """
    from .study import load_study, run_study, with_limits, write_figures, write_outputs

    run = _setup(None, None, None, None, max_policies, max_worlds, max_mixed)
    _bound(run, max_table, max_equations)
    _writable("--output", output)
    err = _err()
    try:
        if jobs is not None and jobs < 1:
            raise UsageError("--jobs must be at least 1")
        if scheduler is not None and not re.fullmatch(r"([a-z]+://)?\S+:\d+/?", scheduler):
            raise UsageError(
                f"--scheduler {shown(scheduler)}: expected a Dask scheduler's address, "
                "tcp://HOST:PORT (e.g. tcp://127.0.0.1:8786)"
            )
        plan = with_limits(load_study(file), run.limits)
        with _progress(err, str(file), doing="tasks") as progress:
            result = run_study(plan, jobs=jobs, scheduler=scheduler, progress=progress)
        target = str(output) if output is not None else plan.output
        written = write_outputs(result, target)
        figures = write_figures(result, plan.figures)
    except ScenarioError as e:
        _fail_line(err, str(e.located(file=str(file))))
        raise typer.Exit(EXIT_ERROR) from None
    except (UsageError, LimitError) as e:
        _fail_line(err, f"{file}: {e}")
        raise typer.Exit(EXIT_ERROR) from None
    if not written:
        sys.stdout.write(result.csv())
    for path in written:
        err.print(f"wrote {path} ({len(result.rows)} rows)", markup=False)
    if figures:
        what = "figure" if len(figures) == 1 else "figures"
        err.print(f"wrote {len(figures)} {what} in {plan.figures}", markup=False)
    raise typer.Exit(EXIT_OK)


@app.command()
def graph(
    file: Annotated[Path, typer.Argument(help="A scenario file (YAML).", show_default=False)],
    fmt: Annotated[
        str,
        typer.Option(
            "--format", "-f", help="dot, mermaid or svg (svg needs Graphviz).", metavar="FORMAT"
        ),
    ] = "dot",
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--output", "-o", help="Write to this file instead of stdout."),
    ] = None,
) -> None:
    """Draw the scenario as an influence diagram: DOT, Mermaid, or SVG (needs Graphviz's dot)."""
    from .graph import to_dot, to_mermaid, to_svg

    writers = {"dot": to_dot, "mermaid": to_mermaid, "svg": to_svg}
    _writable("--output", output)
    try:
        if fmt not in writers:
            hint = f"; did you mean {fmt.lower()!r}?" if fmt.lower() in writers else ""
            raise UsageError(f"--format {shown(fmt)}: expected one of dot, mermaid, svg{hint}")
        text = writers[fmt](load(file))
    except NewcombError as e:
        _fail_line(_err(), str(e))
        raise typer.Exit(EXIT_ERROR) from None
    if output is not None:
        _write("--output", output, text)
    else:
        sys.stdout.write(text)
    raise typer.Exit(EXIT_OK)


@app.command()
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of the scenario file format, for editors."""
    from .schema import scenario_schema

    _print_json(scenario_schema())
    raise typer.Exit(EXIT_OK)


def _plot(kind: str, result: Any, path: Path) -> None:
    """Draw ``result`` with :mod:`newcomb.plot` and write it to ``path``; matplotlib is
    imported only now. A mistake (no matplotlib, a bad suffix) becomes one line and exit 2."""
    from . import plot

    draw: dict[str, Callable[[Any], Any]] = {
        "sweep": plot.plot_sweep,
        "phase": plot.plot_phase,
        "simulate": plot.plot_simulation,
    }
    try:
        plot.save(draw[kind](result), path)
    except UsageError as e:
        _fail_line(_err(), str(e))
        raise typer.Exit(EXIT_ERROR) from None


@app.command()
def simulate(
    file: Annotated[Path, typer.Argument(help="A scenario file (YAML).", show_default=False)],
    episodes: Annotated[
        int, typer.Option("--episodes", "-n", help="Episodes per theory.", metavar="N")
    ] = 100_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random generator.")] = 0,
    trace: Annotated[
        int, typer.Option("--trace", help="Show the first K episodes of each theory.", metavar="K")
    ] = 0,
    set_: SetOpt = None,
    paradox: ParadoxOpt = None,
    theory: TheoryOpt = None,
    only: OnlyOpt = None,
    as_json: JsonOpt = False,
    plot: PlotOpt = None,
    max_policies: MaxPoliciesOpt = Limits.max_policies,
    max_worlds: MaxWorldsOpt = Limits.max_worlds,
    max_mixed: MaxMixedOpt = Limits.max_mixed,
    max_table: MaxTableOpt = Limits.max_table,
    max_equations: MaxEquationsOpt = Limits.max_equations,
) -> None:
    """Play each theory's policy out: the mean payoff and its 99% interval beside the exact value.

    Episodes drawn from the world model; the mean payoff, its standard error and 99% interval
    beside the exact value (flagged when outside).
    """
    from .simulate import simulate as run_simulation

    run = _setup(set_, paradox, theory, only, max_policies, max_worlds, max_mixed)
    _bound(run, max_table, max_equations)
    _writable("--plot", plot, PLOT_SUFFIXES)
    name = str(file)
    if not 1 <= episodes <= 10**9 or trace < 0:
        what = "--trace must be at least 0" if trace < 0 else "--episodes must be 1 to 1000000000"
        _fail_line(_err(), f"{what}, got {trace if trace < 0 else episodes}")
        raise typer.Exit(EXIT_ERROR)
    report = next(iter(run.analyse([file], quiet=as_json)))
    if report is None:
        raise typer.Exit(EXIT_ERROR)
    enabled = not as_json and episodes * len(report.theories) >= 1 << 21
    try:
        with _progress(_err(), name, enabled=enabled, doing="playing episodes") as progress:
            result = run_simulation(report, episodes=episodes, seed=seed, progress=progress)
    except (UsageError, LimitError) as e:
        _fail_line(_err(), f"{name}: {e}")
        raise typer.Exit(EXIT_ERROR) from None
    if plot is not None:
        _plot("simulate", result, plot)
    if as_json:
        _print_json(result.to_json())
        raise typer.Exit(run.code)
    out = _out()
    head = f"{result.name}: {result.episodes} episodes per theory, seed {result.seed}"
    out.print(head, markup=False)
    from .render import simulation_renderable, trace_renderable

    out.print(simulation_renderable(result))
    for t in result.theories if trace else ():
        out.print(f"{t.theory}: the first {min(trace, len(t.index))} episodes", markup=False)
        out.print(trace_renderable(result, t, trace))
    raise typer.Exit(run.code)


@app.command()
def phase(
    file: Annotated[Path, typer.Argument(help="A scenario file (YAML).", show_default=False)],
    x: Annotated[str, typer.Option("--x", help="The x grid: NAME=LO:HI:COUNT.", metavar="GRID")],
    y: Annotated[str, typer.Option("--y", help="The y grid: NAME=LO:HI:COUNT.", metavar="GRID")],
    set_: SetOpt = None,
    paradox: ParadoxOpt = None,
    theory: TheoryOpt = None,
    only: OnlyOpt = None,
    as_json: JsonOpt = False,
    plot: PlotOpt = None,
    max_policies: MaxPoliciesOpt = Limits.max_policies,
    max_worlds: MaxWorldsOpt = Limits.max_worlds,
    max_mixed: MaxMixedOpt = Limits.max_mixed,
    max_table: MaxTableOpt = Limits.max_table,
    max_equations: MaxEquationsOpt = Limits.max_equations,
) -> None:
    """Each theory's verdict over a grid of two parameters, with the exact boundary points.

    A threshold search per grid row, and per column a boundary crosses.
    """
    from .phase import phase as run_phase
    from .sweep import parse_grid

    run = _setup(set_, paradox, theory, only, max_policies, max_worlds, max_mixed)
    _bound(run, max_table, max_equations)
    _with_queries(run, "phase")
    _writable("--plot", plot, PLOT_SUFFIXES)
    name = str(file)
    try:
        gx, gy = _grid("--x", x, parse_grid), _grid("--y", y, parse_grid)
        if gx.count * gy.count > 4_000_000:
            raise UsageError("--x and --y: at most 4000000 cells")
        scenario = run.load(file)
        _known_parameter(f"--x {x}", gx.parameter, scenario)
        _known_parameter(f"--y {y}", gy.parameter, scenario)
        _not_set("--x", x, gx.parameter, run)
        _not_set("--y", y, gy.parameter, run)
        with _progress(_err(), name, enabled=not as_json, doing="grid rows") as progress:
            try:
                result = run_phase(
                    scenario, run.theories, gx, gy, limits=run.limits, progress=progress
                )
            except ScenarioError as e:
                raise locate(scenario, e) from None
    except ScenarioError as e:
        _fail_line(_err(), str(e.located(file=name)))
        raise typer.Exit(EXIT_ERROR) from None
    except (UsageError, LimitError) as e:
        _fail_line(_err(), f"{name}: {e}")
        raise typer.Exit(EXIT_ERROR) from None
    if plot is not None:
        _plot("phase", result, plot)
    if as_json:
        from .phase import phase_json

        _print_json(_with_file(phase_json(result), name))
        raise typer.Exit(EXIT_OK)
    from .render import phase_renderable

    out = _out()
    head = f"{result.x.parameter} × {result.y.parameter}: {gx.count} × {gy.count} cells"
    out.print(head, markup=False)
    out.print(phase_renderable(result))
    raise typer.Exit(EXIT_OK)


def _grid(option: str, spec: str, parse: Any) -> Any:
    """A grid option, with errors naming the option itself."""
    try:
        return parse(spec)
    except UsageError as e:
        raise UsageError(str(e).replace("--param", option, 1)) from None


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: usage mistakes become one ``error:`` line and exit 2."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="newcomb", standalone_mode=False)
    except MemoryError:
        # The bounds (--max-worlds, --max-table, ...) are meant to refuse such work before it
        # starts; if one still admits too much, say so in one line rather than a traceback.
        _err().print(
            "error: out of memory: the problem fits the bounds but not this machine (lower "
            "--max-worlds, --max-table or --max-policies to refuse such problems at once)",
            markup=False,
        )
        sys.exit(EXIT_ERROR)
    except Exception as e:
        # click's exceptions (typer may vendor click, so they are recognised by their shape)
        message = getattr(e, "format_message", None)
        exit_code = getattr(e, "exit_code", None)
        if message is None or exit_code is None:
            raise
        if type(e).__name__ == "NoArgsIsHelpError":
            # rich's help is printed while the error is built; click's plain one is its message
            text = message()
            if text:
                typer.echo(text)
            sys.exit(EXIT_ERROR)
        hint = " (see newcomb --help)" if exit_code == EXIT_ERROR else ""
        _err().print(f"error: {message()}{hint}", markup=False)
        sys.exit(exit_code)
    except KeyboardInterrupt:
        _err().print("interrupted", markup=False)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()
