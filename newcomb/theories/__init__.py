"""Decision theories: the built-ins, registered here and only here, and user theories.

Users name their own theory, policy or policy function as ``package.module:Name`` (the syntax
of ``[project.scripts]``); :func:`load` imports it and checks it.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from pathlib import Path

from ..errors import UsageError, shown
from .base import Decision, FixedPolicy, Theory, as_theory, eu_table, run_theory, theory_name
from .cdt import CDT
from .edt import EDT
from .fdt import FDT
from .result import MAX_POLICIES, described, interpret, one_line, stdout_to_stderr

__all__ = [
    "BUILTINS",
    "CDT",
    "EDT",
    "FDT",
    "MAX_POLICIES",
    "Decision",
    "FixedPolicy",
    "Theory",
    "as_theory",
    "builtin_theories",
    "eu_table",
    "interpret",
    "load",
    "load_file",
    "load_spec",
    "run_theory",
    "theory_name",
]

BUILTINS: dict[str, type[Theory]] = {t.name: t for t in (CDT, EDT, FDT)}
"""The built-in theories by name, in the order reports show them."""

_SPEC = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def builtin_theories() -> list[Theory]:
    """Fresh instances of the built-in theories."""
    return [t() for t in BUILTINS.values()]


def load(spec: str) -> Theory:
    """Load ``module:Name`` (a Theory class or instance, a Policy, or a policy function).

    A built-in name (``CDT``, ``EDT``, ``FDT``) is accepted too.
    """
    if spec in BUILTINS:
        return BUILTINS[spec]()
    if not _SPEC.match(spec):
        close = [b for b in BUILTINS if b.lower() == spec.strip().lower()]
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UsageError(
            f"--theory {shown(spec)}: expected a built-in theory ({', '.join(BUILTINS)}) or "
            f"module:Name, e.g. mytheories:Cautious{hint}"
        )
    module_name, attr = spec.split(":", 1)
    try:
        with stdout_to_stderr():  # what a module prints on import: not on stdout
            module = importlib.import_module(module_name)
    except ImportError as e:
        raise UsageError(
            f"--theory {spec!r}: cannot import {module_name!r}: {one_line(str(e))}"
        ) from None
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # the user's module may raise anything, SystemExit included
        raise UsageError(
            f"--theory {spec!r}: importing {module_name!r} raised {described(e)}"
        ) from None
    obj: object = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise UsageError(f"--theory {spec!r}: {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    label = attr.split(".")[-1]
    try:
        return as_theory(obj, label)
    except UsageError as e:  # "NAME: what is wrong": name the option as every other line does
        raise UsageError(f"--theory {shown(spec)}: {str(e).removeprefix(label + ': ')}") from None


def load_file(spec: str) -> Theory:
    """Load ``path.py:Name``: a theory, policy or policy function defined in a Python file."""
    module_part, _, attr = spec.partition(":")
    path = Path(module_part)
    if not attr:
        raise UsageError(
            f"--theory {shown(spec)}: expected file.py:NAME, the function or class to run "
            f"(e.g. {shown(module_part + ':mirror')})"
        )
    if not path.is_file():
        raise UsageError(f"--theory {spec!r}: no such file {module_part!r}")
    mod_name = f"_newcomb_user_{path.stem}"
    loader_spec = importlib.util.spec_from_file_location(mod_name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise UsageError(f"--theory {spec!r}: cannot import {module_part!r}")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[mod_name] = module
    try:
        with stdout_to_stderr():
            loader_spec.loader.exec_module(module)
    except (Exception, SystemExit) as e:  # the user's own code: report whatever it raised
        raise UsageError(
            f"--theory {spec!r}: importing {module_part!r} raised {described(e)}"
        ) from None
    try:
        return load(f"{mod_name}:{attr}")
    except UsageError as e:
        raise UsageError(
            str(e).replace(f"{mod_name}:{attr}", spec).replace(mod_name, module_part)
        ) from None


def load_spec(spec: str, cwd: str) -> Theory:
    """What ``--theory`` and a study's ``theories`` name: a built-in, ``module:Name``
    importable from ``cwd`` or installed packages, or ``path.py:Name``."""
    if spec.partition(":")[0].endswith(".py"):
        return load_file(spec)
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    return load(spec)
