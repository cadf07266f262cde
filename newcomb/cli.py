"""The command line: ``newcomb check``, ``newcomb compare`` and ``newcomb explain``.

A thin typer app over :func:`newcomb.report.analyse` and :mod:`newcomb.render`. Exit codes:
0 when every theory's policy is consistent, 1 when a paradox was found, 2 for a bad file, bad
usage or a problem past a bound (one line on stderr, never a traceback).
"""

# No ``from __future__ import annotations`` here: typer reads the commands' annotations at
# every start, and as strings they would be evaluated (about 10 ms of the cold start).
import importlib.util
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console

from . import __version__
from .errors import LimitError, NewcombError, ScenarioError, UsageError
from .io import load, locate
from .model import PARADOX_RULES, Scenario, parse_number
from .report import ScenarioReport, analyse
from .theories import BUILTINS, Theory, theory_name
from .theories import load as load_theory
from .world import Limits, Progress

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
    """stdout console; 120 columns when not a terminal (unless COLUMNS says otherwise)."""
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(highlight=False, width=120)
    return console


def _err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _parse_sets(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--set {item!r}: expected NAME=VALUE, e.g. --set p=1/5")
        try:
            out[name] = parse_number(value.strip())
        except ScenarioError as e:
            raise UsageError(f"--set {item!r}: {e.message}") from None
    return out


def _load_user_theory(spec: str) -> Theory:
    """``module:Name`` from the current directory or installed packages, or ``path.py:Name``."""
    module_part, _, attr = spec.partition(":")
    if module_part.endswith(".py"):
        path = Path(module_part)
        if not path.is_file():
            raise UsageError(f"--theory {spec!r}: no such file {module_part!r}")
        mod_name = f"_newcomb_user_{path.stem}"
        loader_spec = importlib.util.spec_from_file_location(mod_name, path)
        if loader_spec is None or loader_spec.loader is None:
            raise UsageError(f"--theory {spec!r}: cannot import {module_part!r}")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[mod_name] = module
        try:
            loader_spec.loader.exec_module(module)
        except Exception as e:  # the user's own code: report whatever it raised
            raise UsageError(
                f"--theory {spec!r}: importing {module_part!r} raised {type(e).__name__}: {e}"
            ) from None
        try:
            return load_theory(f"{mod_name}:{attr}")
        except UsageError as e:
            raise UsageError(
                str(e).replace(f"{mod_name}:{attr}", spec).replace(mod_name, module_part)
            ) from None
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    return load_theory(spec)


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
    code: int = EXIT_OK

    def load(self, path: Path) -> Scenario:
        """Read a scenario file and apply ``--set`` and ``--paradox``."""
        scenario = load(path)
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
        """Each file's report; a bad file is reported on stderr (exit 2) and the rest go on.

        A progress bar is drawn on stderr for long searches when stderr is a terminal and the
        output is not JSON (``quiet``).
        """
        err = _err()
        for path in files:
            name = str(path)
            try:
                scenario = self.load(path)
                with _progress(err, name, enabled=not quiet) as progress:
                    report = analyse(
                        scenario,
                        self.theories,
                        limits=self.limits,
                        file=name,
                        symbols=symbols,
                        progress=progress,
                        exhaustive=self.exhaustive,
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
            errors.append({"schema_version": 1, "file": name, "error": message})


@contextmanager
def _progress(err: Console, name: str, *, enabled: bool) -> Iterator[Progress | None]:
    """A rich progress bar on stderr, only on a terminal; yields the callback or None."""
    if not enabled or not err.is_terminal:
        yield None
        return
    from rich.progress import Progress as Bar

    with Bar(console=err, transient=True) as bar:
        task = bar.add_task(f"{name}: searching policies", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _fail_line(err: Console, message: str) -> None:
    err.print(f"error: {message}", markup=False)


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
            raise UsageError(f"--paradox {paradox!r}: expected one of fail, random, retry")
        theories: list[Theory] = [t() for t in BUILTINS.values()]
        for spec in theory or []:
            theories.append(_load_user_theory(spec))
        if only:
            names = [theory_name(t) for t in theories]
            missing = [n for n in only if n not in names]
            if missing:
                raise UsageError(
                    f"--only {missing[0]!r}: no such theory (available: {', '.join(names)})"
                )
            theories = [t for t in theories if theory_name(t) in only]
        if min(max_policies, max_worlds, max_mixed) < 1:
            raise UsageError("--max-policies, --max-worlds and --max-mixed must be at least 1")
        limits = Limits(max_policies=max_policies, max_worlds=max_worlds, max_mixed=max_mixed)
    except NewcombError as e:
        _err().print(f"error: {e}", markup=False)
        raise typer.Exit(EXIT_ERROR) from None
    return _Run(overrides, paradox, theories, limits)


def _print_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


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
    max_policies: MaxPoliciesOpt = Limits.max_policies,
    max_worlds: MaxWorldsOpt = Limits.max_worlds,
    max_mixed: MaxMixedOpt = Limits.max_mixed,
    max_table: MaxTableOpt = Limits.max_table,
    max_equations: MaxEquationsOpt = Limits.max_equations,
    exhaustive: ExhaustiveOpt = False,
) -> None:
    """Run CDT, EDT, FDT (and your theories) on each scenario and check its predictor."""
    run = _setup(set_, paradox, theory, only, max_policies, max_worlds, max_mixed)
    _bound(run, max_table, max_equations)
    run.exhaustive = exhaustive
    results: list[dict[str, Any]] = []
    out = _out()
    for report in run.analyse(files, tuple(symbolic or ()), quiet=as_json, errors=results):
        if report is None:
            continue
        if as_json:
            results.append(report.to_json())
            continue
        from .render import report_renderable

        out.print(report_renderable(report))
        if len(files) > 1:
            out.print()
    if as_json and len(files) > 1:
        _print_json(results)
    elif as_json and results and "error" not in results[0]:
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
    max_policies: MaxPoliciesOpt = Limits.max_policies,
    max_worlds: MaxWorldsOpt = Limits.max_worlds,
    max_mixed: MaxMixedOpt = Limits.max_mixed,
    max_table: MaxTableOpt = Limits.max_table,
    max_equations: MaxEquationsOpt = Limits.max_equations,
    exhaustive: ExhaustiveOpt = False,
) -> None:
    """One table: problems as rows, theories as columns (policy and value in each cell)."""
    from .render import compare_json, compare_markdown, compare_renderable

    run = _setup(set_, paradox, theory, only, max_policies, max_worlds, max_mixed)
    _bound(run, max_table, max_equations)
    run.exhaustive = exhaustive
    reports = [r for r in run.analyse(files, quiet=as_json or markdown) if r is not None]
    if as_json:
        _print_json(compare_json(reports))
    elif markdown:
        sys.stdout.write(compare_markdown(reports))
    elif reports:
        _out().print(compare_renderable(reports))
    raise typer.Exit(run.code)


@app.command()
def explain(
    file: Annotated[Path, typer.Argument(help="A scenario file (YAML).", show_default=False)],
    theory_name_: Annotated[
        str,
        typer.Option("--theory", help="The theory to explain: CDT, EDT, FDT or module:Name."),
    ] = "EDT",
    set_: SetOpt = None,
    paradox: ParadoxOpt = None,
    max_policies: MaxPoliciesOpt = Limits.max_policies,
    max_worlds: MaxWorldsOpt = Limits.max_worlds,
    max_mixed: MaxMixedOpt = Limits.max_mixed,
    max_table: MaxTableOpt = Limits.max_table,
    max_equations: MaxEquationsOpt = Limits.max_equations,
    exhaustive: ExhaustiveOpt = False,
) -> None:
    """Show a theory's reasoning: each act's expected utility at each observation, the worlds
    behind it, why the chosen act wins, and the cycle behind each paradox."""
    from .explain import explain as explain_policy
    from .render import explanation_renderable

    run = _setup(set_, paradox, None, None, max_policies, max_worlds, max_mixed)
    _bound(run, max_table, max_equations)
    run.exhaustive = exhaustive
    try:
        chosen = load_theory(theory_name_) if theory_name_ in BUILTINS else None
        chosen = chosen or _load_user_theory(theory_name_)
        if chosen.query is None:
            raise UsageError(
                f"--theory {theory_name_!r}: this theory has no query (condition, intervene or "
                "policy) to explain"
            )
    except NewcombError as e:
        _err().print(f"error: {e}", markup=False)
        raise typer.Exit(EXIT_ERROR) from None
    run.theories = [chosen]
    out = _out()
    for report in run.analyse([file]):
        if report is None:
            continue
        (t,) = report.theories
        if not t.policies:
            out.print(f"{t.theory}: {t.note or 'no policy'}")
        for p in t.policies:
            why = explain_policy(report.model, t.theory, t.query or "policy", p.behaviour)
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
    only: OnlyOpt = None,
    as_json: JsonOpt = False,
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
    """Each theory's policy and value at every point of a parameter grid (CSV, or --json):
    solved symbolically once, split at the exact thresholds, evaluated as compiled numpy."""
    from .render import sweep_csv, sweep_json
    from .sweep import parse_grid
    from .sweep import sweep as run_sweep

    run = _setup(set_, paradox, None, only, max_policies, max_worlds, max_mixed)
    name = str(file)
    _bound(run, max_table, max_equations)
    if output is not None and not output.parent.is_dir():  # before the work, not after it
        _fail_line(_err(), f"--output {str(output)!r}: no such directory {str(output.parent)!r}")
        raise typer.Exit(EXIT_ERROR)
    try:
        grid = parse_grid(param)
        scenario = run.load(file)
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
    text = (
        json.dumps(sweep_json(result), ensure_ascii=False) + "\n" if as_json else sweep_csv(result)
    )
    if output is not None:
        try:
            output.write_text(text)
        except OSError as e:
            _fail_line(_err(), f"--output {str(output)!r}: {e.strerror or e}")
            raise typer.Exit(EXIT_ERROR) from None
    else:
        sys.stdout.write(text)
    raise typer.Exit(EXIT_OK)


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
