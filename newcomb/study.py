"""Studies: many scenarios × parameter grids × theories → one tidy table.

A study file (YAML, read by the rules of scenario files: :func:`newcomb.io.load_data`) names

- ``scenarios``: paths or globs, relative to the study file;
- ``grid``: parameter grids ``NAME: LO:HI:COUNT``, each applied to every scenario that has a
  parameter of that name (a scenario with none of them is computed once, at its own values);
- ``theories``: built-in names, ``module:Name`` or ``file.py:Name`` (default: the built-ins);
- ``compute``: any of ``check`` (exact analysis at every grid point), ``sweep`` (the compiled
  sweep of :mod:`newcomb.sweep` along the grid, exact thresholds and float values) and
  ``simulate`` (Monte-Carlo episodes, :mod:`newcomb.simulate`);

and optionally ``set`` (parameter overrides), ``paradox`` (a paradox rule for every
scenario), ``simulate: {episodes, seed}``, ``output`` and ``figures`` (a folder for one
plot per scenario and swept parameter, when matplotlib is installed).

The study is cut into independent tasks (one scenario at one point of the grids it does not
sweep), each a pure function of plain strings, so that it runs the same in this process, on
local processes (:class:`concurrent.futures.ProcessPoolExecutor`) or on a Dask cluster
(``dask.distributed``, imported only then; a task whose worker dies is run again by Dask). Rows
are put in the study's order whatever order the tasks finish in, so every way of running
gives the same table, byte for byte.

This module sits beside the command line, above the report and the renderer: it drives them
for many scenarios and writes tables and figures.
"""

from __future__ import annotations

import csv
import glob
import io
import itertools
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from .errors import NewcombError, ScenarioError, UsageError
from .errors import shown as _shown
from .theories import BUILTINS, load_spec
from .world import Limits

__all__ = [
    "COLUMNS",
    "MAX_TASKS",
    "Study",
    "StudyResult",
    "Task",
    "load_study",
    "run_study",
    "run_task",
    "with_limits",
]

COMPUTE = ("check", "sweep", "simulate")
MAX_TASKS = 100_000
"""Bound on the tasks one study may make (scenarios × points of the grids not swept)."""
MAX_ROWS = 2_000_000
"""Bound on the rows of one study's table, checked before any task runs."""

COLUMNS = (
    "scenario",
    "problem",
    "compute",
    "theory",
    "policy",
    "ties",
    "value",
    "value_float",
    "paradox",
    "formula",
    "stderr",
    "ci_lo",
    "ci_hi",
    "exact",
)
"""The table's columns; one column per grid parameter is inserted after ``compute``."""

_KEYS = {
    "study",
    "name",
    "scenarios",
    "grid",
    "set",
    "theories",
    "compute",
    "paradox",
    "simulate",
    "output",
    "figures",
}


@dataclass(frozen=True)
class Task:
    """One unit of work: a scenario at one point, swept along ``sweep`` if given.

    Every field is plain data, so that a task can be sent to another process or machine.
    """

    index: int
    path: str
    compute: str
    point: tuple[tuple[str, str], ...]
    sweep: str | None
    theories: tuple[str, ...]
    paradox: str | None
    episodes: int
    seed: int
    cwd: str
    limits: tuple[tuple[str, int], ...] = ()  # Limits fields changed from their defaults


@dataclass(frozen=True)
class Study:
    """A study file, checked: what to compute on which scenarios."""

    file: str
    name: str
    scenarios: tuple[tuple[str, str], ...]  # (path as shown, absolute path)
    grid: Mapping[str, str]
    overrides: Mapping[str, str]
    theories: tuple[str, ...]
    compute: tuple[str, ...]
    paradox: str | None
    episodes: int = 10_000
    seed: int = 0
    output: str | None = None
    figures: str | None = None
    tasks: tuple[Task, ...] = field(default=(), repr=False)
    parameters: tuple[str, ...] = ()


@dataclass(frozen=True)
class StudyResult:
    """The table of a study: ``columns`` and ``rows`` of strings, in the study's order."""

    study: Study
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def csv(self) -> str:
        """The table as CSV text."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.columns)
        w.writerows(self.rows)
        return buf.getvalue()

    def records(self) -> list[dict[str, str]]:
        """The rows as dictionaries keyed by column."""
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]


# -- reading a study file ------------------------------------------------------------------------


def load_study(path: str | Path) -> Study:
    """Read and check a study file; every mistake is a :class:`ScenarioError` naming the file,
    the key and what was expected. Scenario files are read here too, so that a bad one stops
    the study before any work starts."""
    from .io import load_data

    data, where = load_data(path)
    try:
        return _study(Path(path), data)
    except ScenarioError as e:
        raise where(e) from None


def _fail(message: str, *key: str | int) -> ScenarioError:
    return ScenarioError(message, key)


def _study(path: Path, data: Any) -> Study:
    from .model import parse_number
    from .sweep import parse_grid

    if not isinstance(data, dict):
        raise _fail("expected a mapping with the keys study, scenarios, grid, theories, compute")
    if "study" not in data and "actions" in data:
        raise _fail(
            "this is a scenario, not a study (a study file starts with study: 1 and lists its "
            "scenarios): run newcomb check on it, or list it under a study's scenarios"
        )
    unknown = sorted(str(k) for k in data if k not in _KEYS)
    if unknown:
        raise _fail(f"unknown key (expected: {', '.join(sorted(_KEYS))})", unknown[0])
    if data.get("study") != 1:
        raise _fail("expected study: 1 (the study format's version)", "study")
    base = path.parent
    scenarios = _scenario_paths(base, data.get("scenarios"))
    grid = _strings(data.get("grid", {}), "grid")
    for name, spec in grid.items():
        try:
            parse_grid(f"{name}={spec}")
        except UsageError:
            raise _fail("expected LO:HI:COUNT, e.g. 0:1:101", "grid", name) from None
    overrides = _strings(data.get("set", {}), "set")
    for name, value in overrides.items():
        parse_number(value, ("set", name))
        if name in grid:
            raise _fail(f"{name!r} is in grid too; give it in one of them", "set", name)
    theories = _theory_specs(base, data.get("theories"))
    compute = data.get("compute", ["check"])
    if isinstance(compute, str):
        compute = [compute]
    if not isinstance(compute, list) or not compute or any(c not in COMPUTE for c in compute):
        bad = next((c for c in compute if c not in COMPUTE), None) if compute else None
        got = f", got {_shown(bad)}" if isinstance(compute, list) and bad is not None else ""
        raise _fail(f"expected a list of {', '.join(COMPUTE)}{got}", "compute")
    paradox = data.get("paradox")
    if paradox is not None and paradox not in ("fail", "random", "retry"):
        raise _fail("expected fail, random or retry", "paradox")
    sim = data.get("simulate", {})
    if not isinstance(sim, dict) or set(sim) - {"episodes", "seed"}:
        raise _fail("expected a mapping with episodes and seed", "simulate")
    episodes, seed = sim.get("episodes", 10_000), sim.get("seed", 0)
    if not isinstance(episodes, int) or isinstance(episodes, bool) or not 1 <= episodes <= 10**8:
        raise _fail("expected a whole number of episodes from 1 to 100000000", "simulate")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise _fail("expected a seed that is a whole number ≥ 0", "simulate")
    out = {k: data.get(k) for k in ("name", "output", "figures")}
    for k, v in out.items():
        if v is not None and not isinstance(v, str):
            raise _fail("expected a string", k)
    if out["output"] is not None and not (base / out["output"]).parent.is_dir():
        folder = (base / out["output"]).parent
        raise _fail(f"no such directory {str(folder)!r} for the table (make it first)", "output")
    study = Study(
        file=str(path),
        name=out["name"] or path.stem,
        scenarios=scenarios,
        grid=grid,
        overrides=overrides,
        theories=theories,
        compute=tuple(dict.fromkeys(compute)),
        paradox=paradox,
        episodes=episodes,
        seed=seed,
        output=None if out["output"] is None else str(base / out["output"]),
        figures=None if out["figures"] is None else str(base / out["figures"]),
    )
    return _with_tasks(study)


def _strings(x: Any, key: str) -> dict[str, str]:
    if not isinstance(x, dict):
        raise _fail("expected a mapping of parameter names to values", key)
    out = {}
    for k, v in x.items():
        if not isinstance(k, str):
            raise _fail("expected a parameter name", key)
        if isinstance(v, bool) or not isinstance(v, str | int | Fraction):
            raise _fail("expected a number or LO:HI:COUNT", key, k)
        out[k] = str(v)
    return out


def _scenario_paths(base: Path, x: Any) -> tuple[tuple[str, str], ...]:
    if isinstance(x, str):
        x = [x]
    if not isinstance(x, list) or not x:
        raise _fail("expected a list of scenario files or globs, at least one", "scenarios")
    out: dict[str, str] = {}
    for i, item in enumerate(x):
        if not isinstance(item, str) or not item:
            raise _fail("expected a file name or a glob", "scenarios", i)
        if any(ch in item for ch in "*?["):
            found = glob.glob(os.path.join(base, item))  # an absolute pattern stays absolute
            hits = sorted(p for p in map(Path, found) if p.is_file())
            if not hits:
                raise _fail(f"{item!r} matches no file", "scenarios", i)
        else:
            hits = [base / item]
        for p in hits:
            shown = os.path.relpath(p, base) if not Path(item).is_absolute() else str(p)
            out.setdefault(Path(shown).as_posix(), str(p.resolve()))
    if len(out) > MAX_TASKS:
        raise _fail(f"more than {MAX_TASKS} scenarios", "scenarios")
    return tuple(out.items())


def _theory_specs(base: Path, x: Any) -> tuple[str, ...]:
    if x is None:
        return tuple(BUILTINS)
    if isinstance(x, str):
        x = [x]
    if not isinstance(x, list) or not x:
        raise _fail(
            "expected a list of theories (CDT, EDT, FDT, module:Name or file.py:Name)", "theories"
        )
    out = []
    for i, spec in enumerate(x):
        if not isinstance(spec, str) or not spec:
            raise _fail("expected a theory name", "theories", i)
        module, sep, attr = spec.partition(":")
        if sep and module.endswith(".py"):
            spec = f"{(base / module).resolve()}:{attr}"
        elif spec not in BUILTINS and not sep:
            raise _fail(
                f"{spec!r} is no built-in theory ({', '.join(BUILTINS)}); write module:Name "
                "or file.py:Name for your own",
                "theories",
                i,
            )
        if spec not in BUILTINS:  # import it now: a mistake stops the study before any task
            try:
                load_spec(spec, str(base.resolve()))
            except UsageError as e:
                message = str(e)
                if message.startswith("--theory "):  # the CLI's words, not the file's
                    message = message.partition(": ")[2] or message
                raise _fail(message, "theories", i) from None
        out.append(spec)
    if len(set(out)) != len(out):
        raise _fail("a theory is named twice", "theories")
    return tuple(out)


def _with_tasks(study: Study) -> Study:
    """The study's tasks, found by loading each scenario (a bad one stops the study here)."""
    from dataclasses import replace

    from .io import load
    from .sweep import parse_grid

    tasks: list[Task] = []
    used: dict[str, None] = {}
    fixed: dict[str, None] = {}  # the set: names some scenario has
    rows = 0
    for shown, full in study.scenarios:
        try:
            scenario = load(full)
        except ScenarioError as e:
            raise ScenarioError(str(e.located(file=shown)), ("scenarios",)) from None
        names = [n for n in study.grid if n in scenario.parameters]
        used.update(dict.fromkeys(names))
        fixed.update(dict.fromkeys(n for n in study.overrides if n in scenario.parameters))
        axes = {n: parse_grid(f"{n}={study.grid[n]}") for n in names}
        for compute in study.compute:
            swept = names[-1] if compute == "sweep" and names else None
            outer = [n for n in names if n != swept]
            points = itertools.product(*(range(axes[n].count) for n in outer))
            size = 1
            for n in outer:
                size *= axes[n].count
            if len(tasks) + size > MAX_TASKS:
                raise _fail(f"the study makes more than {MAX_TASKS} tasks", "grid")
            rows += size * (axes[swept].count if swept else 1) * len(study.theories)
            if rows > MAX_ROWS:
                raise _fail(f"the study's table would have more than {MAX_ROWS} rows", "grid")
            for ks in points:
                point = tuple((n, str(axes[n].point(k))) for n, k in zip(outer, ks, strict=True))
                tasks.append(
                    Task(
                        index=len(tasks),
                        path=full,
                        compute=compute,
                        point=point,
                        sweep=None if swept is None else f"{swept}={study.grid[swept]}",
                        theories=study.theories,
                        paradox=study.paradox,
                        episodes=study.episodes,
                        seed=study.seed,
                        cwd=str(Path(study.file).parent.resolve()),
                    )
                )
    unused = [n for n in study.grid if n not in used]
    if unused:
        raise _fail("no scenario of the study has this parameter", "grid", unused[0])
    unset = [n for n in study.overrides if n not in fixed]
    if unset:
        raise _fail("no scenario of the study has this parameter", "set", unset[0])
    return replace(study, tasks=tuple(tasks), parameters=tuple(used))


# -- running -------------------------------------------------------------------------------------

Row = dict[str, str]


def with_limits(study: Study, limits: Limits) -> Study:
    """The study with every task bounded by ``limits`` (the CLI's ``--max-*`` options); only
    the fields that differ from the defaults travel with the tasks, as plain data."""
    from dataclasses import asdict, replace

    default = asdict(Limits())
    changed = tuple((k, v) for k, v in asdict(limits).items() if v != default[k])
    return replace(study, tasks=tuple(replace(t, limits=changed) for t in study.tasks))


def run_task(task: Task, overrides: Mapping[str, str] | None = None) -> list[Row]:
    """Compute one task; plain data in, plain rows out (so any process or machine can run it)."""
    from .io import load
    from .model import parse_number

    scenario = load(task.path)
    values = {k: v for k, v in (overrides or {}).items() if k in scenario.parameters}
    values.update(dict(task.point))
    if values:
        scenario = scenario.with_parameters(**{k: parse_number(v) for k, v in values.items()})
    if task.paradox is not None:
        scenario = scenario.with_paradox(task.paradox)
    theories = [load_spec(spec, task.cwd) for spec in task.theories]
    base = {"problem": scenario.name or "", "compute": task.compute, **dict(task.point)}
    limits = Limits(**dict(task.limits))
    if task.compute == "check":
        return list(_check_rows(scenario, theories, base, limits))
    if scenario.decisions:
        raise UsageError(
            f"compute: {task.compute} does not support scenarios with decision points (decide "
            "variables) yet; compute: check does"
        )
    if task.compute == "sweep":
        return list(_sweep_rows(scenario, theories, task, base, limits))
    return list(_simulate_rows(scenario, theories, task, base, limits))


def _check_rows(
    scenario: Any, theories: list[Any], base: Row, limits: Limits | None = None
) -> Iterator[Row]:
    from .render import policy_text
    from .report import ScenarioReport, analyse, exact

    report = analyse(scenario, theories, limits=limits)
    if not isinstance(report, ScenarioReport):  # decision points: one rule per slot
        from .several import as_float, number_str

        for s in report.theories:
            if not s.policies:
                yield {**base, "theory": s.theory, "policy": s.note or "none", "ties": "0"}
            for q in s.policies:
                value = number_str(q.value)
                yield {
                    **base,
                    "theory": s.theory,
                    "policy": "; ".join(report.policy_text(q.rows)),
                    "ties": str(len(s.policies)),
                    "value": value or "",
                    "value_float": "" if value is None else repr(as_float(q.value)),
                    "paradox": "true" if q.paradox else "false",
                }
        return
    for t in report.theories:
        if not t.policies:
            yield {**base, "theory": t.theory, "policy": t.note or "none", "ties": "0"}
        for p in t.policies:
            v = p.value
            yield {
                **base,
                "theory": t.theory,
                "policy": policy_text(report.model, p.behaviour).replace("\n", "; "),
                "ties": str(t.total),
                "value": exact(v) or "",
                "value_float": "" if v is None else repr(float(Fraction(exact(v) or 0))),
                "paradox": "true" if p.paradox else "false",
            }


def _sweep_rows(
    scenario: Any, theories: list[Any], task: Task, base: Row, limits: Limits | None = None
) -> Iterator[Row]:
    from .render import policy_text
    from .sweep import parse_grid, sweep

    if task.sweep is None:  # the scenario has none of the grid's parameters: one exact check
        yield from _check_rows(scenario, theories, {**base, "compute": "check"}, limits)
        return
    grid = parse_grid(task.sweep)
    queried = [t for t in theories if t.query is not None]  # the others: checked at each point
    result = sweep(scenario, queried, grid, limits=limits)
    unswept = [t for t in theories if t.query is None]  # a fixed policy: checked at each point
    for k in range(grid.count):
        x = grid.point(k)
        point = {**base, grid.parameter: str(x)}
        if unswept:
            at = scenario.with_parameters(**{grid.parameter: x})
            yield from _check_rows(at, unswept, {**point, "compute": "check"}, limits)
        for col in result.columns:
            i = int(col.region[k])
            r = col.thresholds.regions[i] if i >= 0 else None
            pols = r.policies if r is not None else None
            v = float(col.values[k])
            yield {
                **point,
                "theory": col.theory,
                "policy": policy_text(result.model, pols[0]).replace("\n", "; ") if pols else "",
                "ties": str(len(pols or ())),
                "value_float": "" if v != v else repr(v),
                "formula": (col.formulas[i] or "") if i >= 0 else "",
            }


def _simulate_rows(
    scenario: Any, theories: list[Any], task: Task, base: Row, limits: Limits | None = None
) -> Iterator[Row]:
    from .render import policy_text
    from .report import exact
    from .simulate import simulate

    result = simulate(scenario, theories, episodes=task.episodes, seed=task.seed, limits=limits)
    for t in result.theories:
        yield {
            **base,
            "theory": t.theory,
            "policy": ""
            if t.policy is None
            else policy_text(result.model, t.policy).replace("\n", "; "),
            "value_float": "" if t.mean is None else repr(t.mean),
            "stderr": "" if t.stderr is None else repr(t.stderr),
            "ci_lo": "" if t.ci is None else repr(t.ci[0]),
            "ci_hi": "" if t.ci is None else repr(t.ci[1]),
            "exact": exact(t.exact) or "",
        }


def run_study(
    study: Study,
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> StudyResult:
    """Run every task of ``study`` and assemble the table.

    ``jobs=1`` runs in this process; otherwise local processes (``jobs`` of them, default the
    number of CPUs). ``scheduler`` (``tcp://HOST:PORT``) or a ``dask.distributed.Client``
    runs the tasks on a Dask cluster instead, each retried up to twice. User code's failures
    become :class:`UsageError`; a bad scenario a :class:`ScenarioError`.
    """
    tasks = list(study.tasks)
    if client is not None or scheduler is not None:
        results = _on_dask(tasks, study.overrides, scheduler, client, progress)
    elif jobs == 1 or len(tasks) <= 1:
        results = []
        for k, t in enumerate(tasks):
            results.append(_guarded(t, study.overrides))
            if progress is not None:
                progress(k + 1, len(tasks))
    else:
        results = _on_processes(tasks, study.overrides, jobs, progress)
    shown = {full: name for name, full in study.scenarios}
    columns = (*COLUMNS[:3], *study.parameters, *COLUMNS[3:])
    rows = []
    for t, found in zip(tasks, results, strict=True):
        if isinstance(found, ScenarioError):
            raise found
        if isinstance(found, NewcombError):  # a bound or user code: say which scenario
            raise type(found)(f"{shown[t.path]}: {found}")
        for row in found:
            row = {**row, "scenario": shown[t.path]}
            rows.append(tuple(row.get(c, "") for c in columns))
    return StudyResult(study, columns, tuple(rows))


def _guarded(task: Task, overrides: Mapping[str, str]) -> list[Row] | NewcombError:
    """A task's rows, or the project error it raised (sent back as a value, so that the study
    reports it as one line wherever it ran)."""
    try:
        return run_task(task, overrides)
    except ScenarioError as e:
        return ScenarioError(str(e.located(file=task.path)))
    except NewcombError as e:
        return e


def _on_processes(
    tasks: list[Task],
    overrides: Mapping[str, str],
    jobs: int | None,
    progress: Callable[[int, int], None] | None,
) -> list[Any]:
    from concurrent.futures import ProcessPoolExecutor

    workers = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_guarded, t, dict(overrides)) for t in tasks]
        return _gathered(futures, progress)


def _gathered(futures: Sequence[Any], progress: Callable[[int, int], None] | None) -> list[Any]:
    """Each future's result, in the study's order, reporting progress as they come."""
    out = []
    for k, f in enumerate(futures):
        out.append(f.result())
        if progress is not None:
            progress(k + 1, len(futures))
    return out


def _on_dask(
    tasks: list[Task],
    overrides: Mapping[str, str],
    scheduler: str | None,
    client: Any,
    progress: Callable[[int, int], None] | None,
) -> list[Any]:
    try:
        from distributed import Client
    except ImportError:
        raise UsageError(
            "running on a cluster needs dask.distributed: pip install 'newcomb[dask]'"
        ) from None
    own = client is None
    if own:
        try:
            client = Client(scheduler, timeout="10s")  # type: ignore[no-untyped-call]
        except OSError as e:
            raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None
    try:
        futures = client.map(_guarded, tasks, overrides=dict(overrides), retries=2, pure=False)
        return _gathered(futures, progress)
    finally:
        if own:
            client.close()


def write_outputs(result: StudyResult, output: str | None) -> list[str]:
    """Write the table as CSV (and as Parquet beside it when pyarrow is installed); return the
    files written."""
    if output is None:
        return []
    path = Path(output)
    try:
        path.write_text(result.csv())
    except OSError as e:
        raise UsageError(f"cannot write {output}: {e.strerror}") from None
    written = [str(path)]
    try:
        import pyarrow as pa  # optional
        import pyarrow.parquet as pq
    except ImportError:
        return written
    table = pa.table({c: [r[i] for r in result.rows] for i, c in enumerate(result.columns)})
    pq.write_table(table, path.with_suffix(".parquet"))
    written.append(str(path.with_suffix(".parquet")))
    return written


def write_figures(result: StudyResult, folder: str | None) -> list[str]:
    """One PNG per scenario and grid parameter of the table (:func:`newcomb.plot.plot_study`),
    named after the scenario file and the parameter; return the files written."""
    if folder is None:
        return []
    from .plot import plot_study, save

    out = Path(folder)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot make the folder {folder}: {e.strerror}") from None
    written = []
    records = result.records()
    for shown, _full in result.study.scenarios:
        for name in result.study.parameters:
            if not any(r["scenario"] == shown and r.get(name) for r in records):
                continue
            path = out / f"{Path(shown).stem}-{name}.png"
            try:
                save(plot_study(result, shown, name), path)
            except OSError as e:
                raise UsageError(f"cannot write {path}: {e.strerror}") from None
            written.append(str(path))
    return written
