"""The docs notebook, docs/notebooks/tour.ipynb, runs from top to bottom without an error, and
its stored outputs are the ones it produces now (so the notebook GitHub shows cannot rot).

The kernel is this interpreter (``sys.executable``), importing this checkout of newcomb: a
kernel spec written to a temporary directory named by ``JUPYTER_PATH``, not whatever ``python``
an installed spec would find on the PATH. Starting the kernel takes a few seconds.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).parent.parent
TOUR = ROOT / "docs" / "notebooks" / "tour.ipynb"
KERNEL = "newcomb-test-python"


def execute(path: Path, kernels: Path) -> Any:
    """The notebook at ``path`` executed in its own directory by a kernel of this interpreter."""
    spec = kernels / "kernels" / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "newcomb tests",
                "language": "python",
                "env": {"PYTHONPATH": pythonpath},
            }
        )
    )
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=120,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return nb


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> Any:
    kernels = tmp_path_factory.mktemp("jupyter")
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(kernels), old) if p)
    try:
        return execute(TOUR, kernels)
    finally:
        if old is None:
            del os.environ["JUPYTER_PATH"]
        else:
            os.environ["JUPYTER_PATH"] = old


def texts(cell: Any) -> list[str]:
    """A code cell's outputs as text: streams, and the plain text of results and displays."""
    out = []
    for o in cell.get("outputs", []):
        if o["output_type"] == "stream":
            out.append(o["text"])
        elif o["output_type"] in ("execute_result", "display_data"):
            out.append(o["data"].get("text/plain", ""))
        elif o["output_type"] == "error":
            out.append(f"{o['ename']}: {o['evalue']}")
    return out


def test_no_cell_fails(tour: Any) -> None:
    code = [c for c in tour.cells if c.cell_type == "code"]
    assert code and all(c.get("execution_count") for c in code)
    errors = [o for c in code for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors == []


def test_outputs(tour: Any) -> None:
    import newcomb
    from newcomb.schema import scenario_schema

    code = [c for c in tour.cells if c.cell_type == "code"]
    report = newcomb.analyse(newcomb.load(ROOT / "scenarios" / "omicron.yaml"))
    first = code[0]["outputs"][0]["data"]
    assert first["text/plain"] == repr(report)
    assert first["text/html"] == report._repr_html_()  # the report's table, as HTML
    printed = "".join(texts(code[1]))
    for t in report.theories:
        assert f"{t.theory}: {t.policies[0].policy}; realizes {t.policies[0].value}" in printed
    assert texts(code[2]) == [repr(report.theories[0].policies[0].value)]
    assert "text/html" in code[3]["outputs"][0]["data"]  # the sweep's table
    assert texts(code[3])[0].startswith("Sweep(q from 0 to 1, 101 points; ")
    assert "1001/2000" in texts(code[4])[0]  # where EDT and FDT start to one-box
    assert texts(code[5])[0].startswith("---\ntitle: ") and "flowchart LR" in texts(code[5])[0]
    assert "text/markdown" in code[6]["outputs"][0]["data"]
    schema = scenario_schema()
    assert texts(code[7]) == [f"{schema['$schema']}\n{sorted(schema['properties'])}\n"]


def test_stored_outputs_are_current(tour: Any) -> None:
    stored = nbformat.read(TOUR, as_version=4)
    fresh = [texts(c) for c in tour.cells if c.cell_type == "code"]
    kept = [texts(c) for c in stored.cells if c.cell_type == "code"]
    assert kept == fresh, "re-run docs/notebooks/tour.ipynb and save it with its outputs"
