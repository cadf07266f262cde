"""The command line: ``newcomb check FILE...``.

A thin typer app over :func:`newcomb.report.analyse` and :mod:`newcomb.render`. Exit codes:
0 when every theory's policy is consistent, 1 when a paradox was found, 2 for a bad file, bad
usage or a problem past a bound (one line on stderr, never a traceback).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console

from . import __version__
from .errors import LimitError, NewcombError, ScenarioError, UsageError
from .io import load
from .model import PARADOX_RULES, parse_number
from .report import analyse
from .theories import BUILTINS, Theory
from .theories import load as load_theory
from .world import Limits

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
        return load_theory(f"{mod_name}:{attr}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    return load_theory(spec)


@app.command()
def check(
    files: Annotated[list[Path], typer.Argument(help="Scenario files (YAML).", show_default=False)],
    set_: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--set",
            help="Override a parameter: NAME=VALUE (exact, e.g. p=1/5).",
            metavar="NAME=VALUE",
        ),
    ] = None,
    paradox: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--paradox", help="Override the paradox rule: fail, random or retry.", metavar="RULE"
        ),
    ] = None,
    theory: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--theory",
            help="Add a theory, policy or policy function: module:Name or file.py:Name.",
            metavar="SPEC",
        ),
    ] = None,
    only: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--only", help="Run only the named theories (built-in or added).", metavar="NAME"
        ),
    ] = None,
    symbolic: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--symbolic",
            help="Also give each value as a formula in this parameter.",
            metavar="NAME",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
    max_policies: Annotated[
        int, typer.Option("--max-policies", help="Bound on pure policies a theory may search.")
    ] = Limits.max_policies,
    max_worlds: Annotated[
        int, typer.Option("--max-worlds", help="Bound on worlds in one enumeration.")
    ] = Limits.max_worlds,
    max_mixed: Annotated[
        int, typer.Option("--max-mixed", help="Bound on pure policies a mixed policy draws.")
    ] = Limits.max_mixed,
) -> None:
    """Run CDT, EDT, FDT (and your theories) on each scenario and check its predictor."""
    err = _err()
    try:
        overrides = _parse_sets(set_ or [])
        if paradox is not None and paradox not in PARADOX_RULES:
            raise UsageError(f"--paradox {paradox!r}: expected one of fail, random, retry")
        theories: list[Theory] = [t() for t in BUILTINS.values()]
        for spec in theory or []:
            theories.append(_load_user_theory(spec))
        if only:
            from .theories import theory_name

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
        err.print(f"error: {e}", markup=False)
        raise typer.Exit(EXIT_ERROR) from None

    code = EXIT_OK
    results: list[dict[str, Any]] = []
    out = _out()
    for path in files:
        name = str(path)
        try:
            scenario = load(path)
            if overrides:
                try:
                    scenario = scenario.with_parameters(**overrides)
                except ScenarioError as e:
                    raise ScenarioError(f"--set: {e.message}", file=name) from None
            if paradox is not None:
                scenario = scenario.with_paradox(paradox)
            report = analyse(
                scenario, theories, limits=limits, file=name, symbols=tuple(symbolic or ())
            )
        except ScenarioError as e:
            err.print(f"error: {e.located(file=name)}", markup=False)
            code = EXIT_ERROR
            continue
        except (UsageError, LimitError) as e:
            err.print(f"error: {name}: {e}", markup=False)
            code = EXIT_ERROR
            continue
        if report.paradox and code == EXIT_OK:
            code = EXIT_PARADOX
        if as_json:
            results.append(report.to_json())
        else:
            from .render import report_renderable

            out.print(report_renderable(report))
            if len(files) > 1:
                out.print()
    if as_json and results:
        doc: Any = results[0] if len(files) == 1 else results
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    raise typer.Exit(code)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
